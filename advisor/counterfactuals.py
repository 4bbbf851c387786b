"""Counterfactual questions run side by side within one budget of solver work.

An explanation asks many independent questions ("what would the plan cost without this rule?",
"with this option forced in?"), each one or a few solves. They run on `jobs` threads: CP-SAT
searches in C++ with the GIL released, so searches overlap (the Python that builds each model
does not). Threads rather than processes keep the candidates shared, so memory stays that of
one question at a time plus its model.

The answers do not depend on `jobs` or on scheduling:

- each question runs in `ledger.isolated()`: it reads the memo of own optima as it was when the
  batch began, shares with the others only results that solving again would reproduce exactly,
  and leaves nothing behind, so no answer depends on which questions ran before or beside it;
- the budget is spent in question order: question i is answered when the work of the answered
  questions before it is below the budget, whatever finished first. Questions past that point
  are "cut short"; any of them that had started is stopped and its answer dropped, so the
  questions cut are exactly those a one-thread run would cut.

The budget is checked before a question, not within it: a question that starts under budget
runs all its solves (a minimal-core search needs every step to name a minimal set).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from advisor.progress import SILENT, Progress
from advisor.solver import ledger
from advisor.solver.model import SUBSOLVERS

T = TypeVar("T")
WAIT_S = 0.05
"""How often the main thread wakes while it waits for answers (signals are handled in it)."""


def default_jobs() -> int:
    """Threads for counterfactuals: the cores over the subsolvers a joint search already uses."""
    return max(1, (os.cpu_count() or 1) // SUBSOLVERS)


@dataclass
class Budget:
    """Deterministic solver work all counterfactuals together may use (None: no limit)."""

    limit_s: float | None
    used_s: float = 0.0
    cut_short: int = 0

    @property
    def spent(self) -> bool:
        return self.limit_s is not None and self.used_s >= self.limit_s


@dataclass(frozen=True)
class Question(Generic[T]):
    """One counterfactual: `ask` runs its solves; `cut` is its answer when the budget came first."""

    ask: Callable[[], T]
    cut: Callable[[], T]


def _answer(question: Question[T], batch: dict[ledger.Key, Any], stop: threading.Event) -> tuple[T, float]:
    with ledger.isolated(batch, stop):
        value = question.ask()
        return value, ledger.solver_work()


def answer_all(questions: Sequence[Question[T]], budget: Budget, jobs: int = 1, label: str = "explaining",
               progress: Progress = SILENT) -> list[T]:
    """Each question's answer, in order, within `budget` (see the module docstring)."""
    if not questions:
        return []
    answers: list[T] = []
    stop = threading.Event()
    batch: dict[ledger.Key, Any] = {}  # what the questions memoise, shared among them, dropped at the end
    if jobs <= 1 or len(questions) <= 1:
        for i, question in enumerate(questions):
            progress.step(label, i, len(questions))
            if budget.spent:
                budget.cut_short += 1
                answers.append(question.cut())
                continue
            value, work = _answer(question, batch, stop)
            budget.used_s += work
            answers.append(value)
        progress.step(label, len(questions), len(questions))
        return answers
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="counterfactual")
    running: dict[int, Future[tuple[T, float]]] = {}
    submitted = 0
    try:
        while len(answers) < len(questions):
            progress.step(label, len(answers), len(questions))
            while not budget.spent and submitted < len(questions) and len(running) < jobs:
                running[submitted] = pool.submit(_answer, questions[submitted], batch, stop)
                submitted += 1
            i = len(answers)
            if budget.spent:  # every question from here on is cut: stop the ones under way
                stop.set()
                budget.cut_short += 1
                answers.append(questions[i].cut())
                continue
            wait([running[i]], timeout=WAIT_S, return_when=FIRST_COMPLETED)
            if not running[i].done():
                continue
            value, work = running.pop(i).result()
            budget.used_s += work
            answers.append(value)
    except BaseException:
        stop.set()
        raise
    finally:
        for future in running.values():
            future.cancel()
        pool.shutdown(wait=True)
    progress.step(label, len(questions), len(questions))
    return answers
