"""Progress of a run on stderr: stage lines, counted steps with an ETA, and the solver's best plan.

Stages call one `Progress` object: `progress("message")` for a stage, `progress.step(label,
done, total)` for counted work (candidates, workloads solved alone, explanations) and
`progress.solving(cost, bound)` whenever the solver finds a better plan. What is shown depends
on where it goes (`--progress`): live bars with counts and an ETA on a terminal (drawn by
rich), plain lines for logs, or nothing. Everything shown passes `terminal_safe`, so a
hostile file name cannot move the cursor.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bars

from advisor.terminal import terminal_safe


class Progress:
    """Reports nothing: the base of the visible kinds, and what `-q` and redirected stderr get."""

    def __call__(self, message: str) -> None:
        """A stage begins (or a one-off note)."""

    def step(self, label: str, done: int, total: int) -> None:
        """`done` of `total` units of counted work under `label`."""

    def solving(self, cost_usd: float, bound_usd: float) -> None:
        """The solver found a plan costing `cost_usd`; no plan costs less than `bound_usd`."""

    def close(self) -> None:
        """Stop drawing (bars are removed once the run ends)."""


SILENT = Progress()


class Lines(Progress):
    """Plain lines for logs: every stage, every tenth of counted work, at most one solver line a second."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._last_share: dict[str, int] = {}
        self._last_solve = 0.0

    def _print(self, text: str) -> None:
        print(terminal_safe(f"advisor: {text}"), file=self.stream, flush=True)

    def __call__(self, message: str) -> None:
        self._print(message)

    def step(self, label: str, done: int, total: int) -> None:
        tenth = 10 * done // max(1, total)
        if done == total or tenth > self._last_share.get(label, 0):
            self._last_share[label] = tenth
            self._print(f"  {label}: {done}/{total}")

    def solving(self, cost_usd: float, bound_usd: float) -> None:
        now = time.monotonic()
        if now - self._last_solve >= 1.0:
            self._last_solve = now
            self._print(f"  best plan so far ${cost_usd:,.2f}/month, no plan below ${bound_usd:,.2f}")


class Live(Progress):
    """Bars with counts and an ETA on a terminal; stage lines scroll above them."""

    def __init__(self, console: Console):
        self.console = console
        self.bars = Bars(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                         console=console, transient=True)
        self.tasks: dict[str, TaskID] = {}
        self.bars.start()

    def __call__(self, message: str) -> None:
        self.console.print(terminal_safe(f"advisor: {message}"), markup=False, highlight=False)

    def step(self, label: str, done: int, total: int) -> None:
        if label not in self.tasks:
            self.tasks[label] = self.bars.add_task(terminal_safe(label), total=total)
        self.bars.update(self.tasks[label], completed=done, total=total)

    def solving(self, cost_usd: float, bound_usd: float) -> None:
        text = f"solving: best ${cost_usd:,.2f}/month, bound ${bound_usd:,.2f}"
        if "solving" not in self.tasks:
            self.tasks["solving"] = self.bars.add_task(text, total=None)
        self.bars.update(self.tasks["solving"], description=text)

    def close(self) -> None:
        self.bars.stop()


def for_stderr(mode: str, stream: TextIO | None = None) -> Progress:
    """The progress display `--progress` asks for: `auto` is bars on a terminal and nothing otherwise."""
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "bars" if stream.isatty() else "none"
    if mode == "bars":
        return Live(Console(file=stream, stderr=True))
    if mode == "lines":
        return Lines(stream)
    return SILENT
