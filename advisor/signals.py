"""Signals end a run cleanly: exit 128 + signal number, nothing written, no temporary file left.

SIGINT, SIGTERM and SIGHUP raise `Interrupted` in the main thread wherever it is (the solver
runs in a helper thread so that this happens at once), so every `finally` and cleanup
handler on the way out runs: a half-written report is deleted and any existing report at
the output path stays as it was. Further signals are ignored while that cleanup runs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

CAUGHT = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """A signal asked the run to stop (a BaseException, so no `except Exception` swallows it)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _interrupt(signum: int, frame: FrameType | None) -> None:
    for caught in CAUGHT:
        signal.signal(caught, signal.SIG_IGN)
    raise Interrupted(signum)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, the caught signals raise `Interrupted`; the old handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {caught: signal.signal(caught, _interrupt) for caught in CAUGHT}
    try:
        yield
    finally:
        for caught, handler in previous.items():
            signal.signal(caught, handler)
