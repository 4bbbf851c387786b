"""Counterfactual questions side by side: the same answers and the same cut for any number of threads."""

from __future__ import annotations

import threading
import time

import pytest
from ortools.sat.python import cp_model

from advisor.counterfactuals import Budget, Question, answer_all
from advisor.solver import ledger
from advisor.solver.model import run_interruptibly
from advisor.solver.result import SolveResult


def charging(work: float, value: str, sleep_s: float = 0.0) -> Question[str]:
    """A question that takes `work` deterministic seconds (and `sleep_s` of wall time) to answer."""

    def ask() -> str:
        time.sleep(sleep_s)
        ledger.charge(work)
        return value

    return Question(ask=ask, cut=lambda: f"{value}: cut")


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_the_budget_cuts_the_same_questions_whatever_finishes_first(jobs):
    # later questions finish first in wall time; the cut still follows question order and work
    questions = [charging(3.0, f"q{i}", sleep_s=0.02 * (6 - i)) for i in range(6)]
    budget = Budget(limit_s=7.0)
    answers = answer_all(questions, budget, jobs=jobs)
    # 0 + 3 + 3 = 6 < 7: the third runs; after it 9 >= 7, so the rest are cut
    assert answers == ["q0", "q1", "q2", "q3: cut", "q4: cut", "q5: cut"]
    assert budget.cut_short == 3 and budget.used_s == 9.0


@pytest.mark.parametrize("jobs", [1, 3])
def test_without_a_budget_every_question_is_answered_in_order(jobs):
    questions = [charging(1.0, f"q{i}", sleep_s=0.01 * (i % 3)) for i in range(7)]
    budget = Budget(limit_s=None)
    assert answer_all(questions, budget, jobs=jobs) == [f"q{i}" for i in range(7)]
    assert budget.cut_short == 0 and budget.used_s == 7.0


def test_a_question_sees_neither_the_others_work_nor_what_they_leave_unproven():
    """Each question counts its own work from zero, and what a question memoises without an exact key
    (found or not depending on what ran beside it) is its own: the others do not see it."""
    seen: list[tuple[float, bool]] = []
    lock = threading.Lock()

    def ask() -> str:
        with lock:
            seen.append((ledger.solver_work(), ledger.holds(("proven", "w"))))
        ledger.remember(("proven", "w"), SolveResult(status="optimal"), 1.0)
        ledger.charge(2.0)
        return "done"

    questions = [Question(ask=ask, cut=lambda: "cut") for _ in range(4)]
    assert answer_all(questions, Budget(limit_s=None), jobs=2) == ["done"] * 4
    assert seen == [(0.0, False)] * 4
    assert not ledger.holds(("proven", "w"))  # nothing left behind


def test_a_failing_question_fails_the_batch():
    def broken() -> str:
        raise ValueError("a bug in a question")

    questions = [charging(0.0, "q0"), Question(ask=broken, cut=lambda: "cut"), charging(0.0, "q2")]
    with pytest.raises(ValueError, match="a bug in a question"):
        answer_all(questions, Budget(limit_s=None), jobs=2)


def long_search(seconds: float) -> str:
    """A search that runs until stopped or `seconds` of wall time pass (a knapsack CP-SAT does not close fast)."""
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 1000, f"x{i}") for i in range(60)]
    model.add(sum((i % 7 + 1) * x for i, x in enumerate(xs)) == 99_991)
    model.maximize(sum((i % 11 + 1) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    run_interruptibly(solver, model)
    return "finished"


def test_a_question_told_to_stop_stops_its_search():
    """A question cut while it runs (the budget ran out before it) stops its search at once."""
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    with ledger.isolated({}, stop), pytest.raises(ledger.Stopped):
        long_search(60.0)
    assert time.monotonic() - started < 5.0


def test_a_signal_while_questions_run_stops_them_and_goes_on():
    """Ctrl-C raises in the main thread while it waits for answers: the searches under way in the
    other threads are stopped, not waited for, and the interruption goes on to the CLI."""
    from advisor.progress import Progress
    from advisor.signals import Interrupted

    class CtrlC(Progress):
        def __init__(self) -> None:
            self.calls = 0

        def step(self, label: str, done: int, total: int) -> None:
            self.calls += 1
            if self.calls == 3:  # the questions are under way by now
                raise Interrupted(2)

    questions = [Question(ask=lambda: long_search(120.0), cut=lambda: "cut") for _ in range(2)]
    started = time.monotonic()
    with pytest.raises(Interrupted):
        answer_all(questions, Budget(limit_s=None), jobs=2, progress=CtrlC())
    assert time.monotonic() - started < 10.0
