"""Solver work and own optima: what a solve has spent, and what earlier solves already proved.

Budgets count CP-SAT's deterministic work, never wall time, so that the same inputs give the
same answers on any machine. The count and the memo of workloads' own optima are kept per
thread of control: counterfactual solves may run side by side in threads (advisor.counterfactuals),
and each must see the same work count and the same memo whatever runs next to it, or their
answers would depend on scheduling.

Outside `isolated()`, a thread's solves read and fill the shared memo. Inside it, the shared memo
is read only, as it was when the batch of blocks began, and what the block memoises goes to the
batch's own layer, dropped when the batch ends. Only results that are a function of their key and
of that frozen memo go there (`remember(..., pure=True)`): an own optimum under a given limit.
"Proven under some other limit" entries (`pure=False`), which a block could find or not depending
on what ran beside it, are not kept. So a counterfactual's answer does not depend on which other
counterfactuals ran before or beside it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.solver.result import SolveResult

Key = tuple[object, ...]
OWN_OPTIMA_KEPT = 32_768
"""Memoised own optima kept in the shared memo (least recently used dropped first)."""

_shared: OrderedDict[Key, tuple[SolveResult, float]] = OrderedDict()
"""Each workload's own optimum (its options, own families, forced option, limit) and the work it
took: counterfactual solves and rebuilt candidate sets ask for most of them again."""


class _Thread(threading.local):
    """One thread's account: the work charged so far and the current solve's bookkeeping."""

    def __init__(self) -> None:
        self.work = 0.0
        self.charged: set[Key] = set()
        self.own_work_end = math.inf
        self.batch: dict[Key, tuple[SolveResult, float]] | None = None
        self.stop: threading.Event | None = None


class Stopped(BaseException):
    """The thread's isolated block was told to stop (its answer is no longer wanted): raised from
    the search it was in. A BaseException, so no `except Exception` on the way takes it for a result."""


_mine = _Thread()


def solver_work() -> float:
    """Deterministic seconds of CP-SAT work charged in this thread so far: what budgets count.
    A memoised result is charged the work it took, so a budget never depends on the memo."""
    return _mine.work


def charge(work: float) -> None:
    """Add a finished search's deterministic work to this thread's count."""
    _mine.work += work


def begin_solve(time_limit_s: float) -> None:
    """A new top-level solve: its own optima share `time_limit_s` and each is charged once.

    Each own optimum past that share gets only a floor (model.OWN_WORK_FLOOR_S): a fleet with
    hundreds of workloads that need CP-SAT alone (region loss, min_regions) then ends near its
    limit with feasible own plans and their bounds, instead of proving each one (1,000 of them
    took tens of minutes). A solve asks for some own optima twice (one by one, then as patterns
    of the joint search) and pays for each once, whatever the memo held."""
    _mine.own_work_end = _mine.work + time_limit_s
    _mine.charged.clear()


def own_work_left() -> float:
    """Work the current solve's own optima may still use (negative once spent)."""
    return _mine.own_work_end - _mine.work


def recall(key: Key) -> SolveResult | None:
    """The memoised result under `key`, charged its work once per solve; None if not memoised."""
    found = _mine.batch.get(key) if _mine.batch is not None else None
    if found is None:
        found = _shared.get(key)
        if found is not None and _mine.batch is None:
            _shared.move_to_end(key)
    if found is None:
        return None
    result, work = found
    if key not in _mine.charged:  # charged as if solved again: budgets do not depend on what is memoised
        _mine.work += work
        _mine.charged.add(key)
    return result


def holds(key: Key) -> bool:
    return (_mine.batch is not None and key in _mine.batch) or key in _shared


def remember(key: Key, result: SolveResult, work: float, pure: bool = True) -> None:
    """Memoise a result that took `work`; it counts as charged in the current solve. `pure`: the
    result is a function of the key and of the memo (see the module docstring)."""
    _mine.charged.add(key)
    if _mine.batch is not None:
        if pure:
            _mine.batch[key] = (result, work)
        return
    _shared[key] = (result, work)
    while len(_shared) > OWN_OPTIMA_KEPT:
        _shared.popitem(last=False)


def forget_all() -> None:
    """Empty the shared memo (tests and benchmarks that time a solve from nothing)."""
    _shared.clear()


def isolating() -> bool:
    """Whether this thread is inside `isolated()` (a counterfactual question's solves)."""
    return _mine.batch is not None


def stop_requested() -> bool:
    """Whether this thread's isolated block has been told to stop (checked while a search runs)."""
    return _mine.stop is not None and _mine.stop.is_set()


@contextmanager
def isolated(batch: dict[Key, tuple[SolveResult, float]], stop: threading.Event | None = None) -> Iterator[None]:
    """Solves in the block start from a work count of zero, read the shared memo and `batch` (the layer
    the blocks of one batch share) and write only to `batch`: the block's answers are the same
    whatever runs before or beside it. Once `stop` is set, the search running in the block raises
    `Stopped`."""
    saved = (_mine.work, _mine.charged, _mine.own_work_end, _mine.batch, _mine.stop)
    _mine.work, _mine.charged, _mine.own_work_end, _mine.batch, _mine.stop = 0.0, set(), math.inf, batch, stop
    try:
        yield
    finally:
        _mine.work, _mine.charged, _mine.own_work_end, _mine.batch, _mine.stop = saved
