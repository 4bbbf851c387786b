"""Solver work and own optima: what a solve has spent, and what earlier solves already proved.

Budgets count CP-SAT's deterministic work, never wall time, so that the same inputs give the
same answers on any machine. The count and the memo of workloads' own optima are kept per
thread of control: counterfactual solves may run side by side in threads (advisor.counterfactuals),
and each must see the same work count and the same memo whatever runs next to it, or their
answers would depend on scheduling.

Outside `isolated()`, a thread's solves read and fill the shared memo. Inside it, the shared memo
is read only, as it was when the batch of blocks began; what the block memoises goes to its own
private layer (dropped at its end), and results that are a function of their exact key alone (an
own optimum under the limit it actually got: `exact`) also to the batch's layer, which the
blocks of one batch share. So a counterfactual reads only what the batch began with, what it
solved itself, and results any block would have computed the same way: its answer does not
depend on which other counterfactuals ran before or beside it.
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
        self.private: dict[Key, tuple[SolveResult, float]] = {}
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


def recall(key: Key, exact: Key | None = None) -> SolveResult | None:
    """The memoised result under `key` (or, inside `isolated()`, under `exact` in the batch's layer),
    charged its work once per solve; None if not memoised."""
    if _mine.batch is None:
        found = _shared.get(key)
        if found is not None:
            _shared.move_to_end(key)
    else:
        found = _mine.private.get(key) or _shared.get(key)
        if found is None and exact is not None:
            found = _mine.batch.get(exact)
    if found is None:
        return None
    result, work = found
    if key not in _mine.charged:  # charged as if solved again: budgets do not depend on what is memoised
        _mine.work += work
        _mine.charged.add(key)
    return result


def holds(key: Key) -> bool:
    return key in _mine.private or key in _shared


def remember(key: Key, result: SolveResult, work: float, exact: Key | None = None) -> None:
    """Memoise a result that took `work`; it counts as charged in the current solve. `exact`: a key
    under which the result is what solving again would give, whoever asks (see the module docstring)."""
    _mine.charged.add(key)
    if _mine.batch is not None:
        _mine.private[key] = (result, work)
        if exact is not None:
            _mine.batch[exact] = (result, work)
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
    """Solves in the block start from a work count of zero, read the shared memo, their own private
    layer and `batch` (the layer the blocks of one batch share), and write only to the last two:
    the block's answers are the same whatever runs before or beside it. Once `stop` is set, the
    search running in the block raises `Stopped`."""
    saved = (_mine.work, _mine.charged, _mine.own_work_end, _mine.batch, _mine.private, _mine.stop)
    _mine.work, _mine.charged, _mine.own_work_end = 0.0, set(), math.inf
    _mine.batch, _mine.private, _mine.stop = batch, {}, stop
    try:
        yield
    finally:
        (_mine.work, _mine.charged, _mine.own_work_end, _mine.batch, _mine.private, _mine.stop) = saved
