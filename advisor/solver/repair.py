"""A plan of whole columns that meets every spend row: the warm start when rounding fails.

The master LP of the Lagrangian bound (advisor.solver.lagrange) mixes whole ways to carry each
workload (columns). Its plan is made whole by re-solving the workloads it splits with the rest
held fixed (model._rounded); at 10,000 workloads that CP-SAT model (52 workloads, 111,293
variables) found nothing in its share of the limit, and neither did the pattern search, so the
fleet got no plan at all. This finds one without a search, in the spirit of a greedy repair:

1. every workload takes the column the master LP favours (or, where that one breaks a rule of
   the workload's own, its cheapest column that does not);
2. while a row is over its right-hand side, move workloads to other columns, best first by the
   cost added plus a penalty per unit of excess (rows normalised by their largest coefficient),
   doubling the penalties of the rows still over whenever no move helps;
3. then, while a move to another column lowers the cost and keeps every row, make the one that
   saves most.

Only rows over spend are read here (budgets, share caps); the caller checks the finished plan
against every family (min_providers, regions, region loss) before using it. Everything is
integer arithmetic over numpy arrays and ties go to the lower index, so the same input gives
the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from advisor.solver.lagrange import Column, LagrangeBound

BATCH = 64
"""Moves tried per pass: the best ones of distinct workloads, each re-checked before it is made."""
PASSES = 400
"""Passes at most, for the repair and for the improvement each."""
PENALTY_CEILING = 2.0**40
"""How far a row's penalty may grow (times the mean column cost per unit of excess) before giving up."""


def repaired(lag: LagrangeBound, workloads: list[str], allowed: Callable[[str, Column], bool]
             ) -> dict[str, Column] | None:
    """One column per workload meeting every row of `lag`, or None when the greedy moves cannot
    remove the excess. `allowed(w, column)`: the column meets w's own rules."""
    owners: list[int] = []
    columns: list[Column] = []
    start: list[int] = []
    for index, w in enumerate(workloads):
        mine = [c for c in lag.columns.get(w, []) if allowed(w, c)]
        if not mine:
            return None
        favoured = lag.favoured.get(w)
        first = next((k for k, c in enumerate(mine) if c.pattern == favoured), None)
        if first is None:
            first = min(range(len(mine)), key=lambda k: (mine[k].cost, k))
        start.append(len(columns) + first)
        owners.extend([index] * len(mine))
        columns.extend(mine)
    rows = lag.coefficients.rows
    owner = np.array(owners, dtype=np.int64)
    cost = np.array([c.cost for c in columns], dtype=np.int64)
    activity = np.array([lag.coefficients.activity(c) for c in columns], dtype=np.int64).reshape(len(columns),
                                                                                               len(rows))
    rhs = np.array([row.rhs for row in rows], dtype=np.int64)
    scale = np.maximum(1, np.abs(activity).max(axis=0)).astype(np.float64)
    chosen = np.array(start, dtype=np.int64)
    used = activity[chosen].sum(axis=0)
    used = _repair(owner, cost, activity, rhs, scale, chosen, used)
    if used is None:
        return None
    _improve(owner, cost, activity, rhs, chosen, used)
    return {w: columns[chosen[index]] for index, w in enumerate(workloads)}


def _excess(used: np.ndarray, rhs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Each row's excess over its right-hand side, in units of its largest coefficient."""
    return np.maximum(0, used - rhs) / scale


def _batch(order: np.ndarray, owner: np.ndarray) -> Iterator[tuple[int, int]]:
    """The moves of one pass, best first: (column, workload) for the first BATCH distinct workloads in
    `order`; each is re-checked against the rows as they are when its turn comes."""
    seen: set[int] = set()
    for k in order:
        w = int(owner[k])
        if w in seen:
            continue
        seen.add(w)
        yield int(k), w
        if len(seen) >= BATCH:
            return


def _repair(owner: np.ndarray, cost: np.ndarray, activity: np.ndarray, rhs: np.ndarray, scale: np.ndarray,
            chosen: np.ndarray, used: np.ndarray) -> np.ndarray | None:
    """Moves that lower cost + sum_r penalty_r x excess_r, best first, until no row is over (None: the
    penalties grew as far as they may and some row is still over).

    Where no move helps while a row is over (moving a team's workload off a capped provider breaks
    the team's budget, say), the penalties of the rows still over double: moves that trade excess
    on them for excess elsewhere then pay, and later moves remove the new excess where it is cheap."""
    penalty = np.full(len(rhs), float(cost.mean()))
    for _ in range(PASSES):
        if (used <= rhs).all():
            return used
        current = chosen[owner]
        now = float((penalty * _excess(used, rhs, scale)).sum())
        after = (penalty * _excess(used[None, :] + activity - activity[current], rhs, scale)).sum(axis=1)
        gain = (cost - cost[current]).astype(np.float64) + after - now
        better = np.flatnonzero(gain < -1e-9)
        if better.size == 0:
            over = used > rhs
            if penalty[over].max() > PENALTY_CEILING * float(cost.mean()):
                return None
            penalty[over] *= 2
            continue
        for k, w in _batch(better[np.lexsort((better, gain[better]))], owner):
            trial = used + activity[k] - activity[chosen[w]]
            change = float(cost[k] - cost[chosen[w]]) + float((penalty * (_excess(trial, rhs, scale)
                                                                          - _excess(used, rhs, scale))).sum())
            if change < -1e-9:
                used, chosen[w] = trial, k
    return used if (used <= rhs).all() else None


def _improve(owner: np.ndarray, cost: np.ndarray, activity: np.ndarray, rhs: np.ndarray,
             chosen: np.ndarray, used: np.ndarray) -> None:
    """Moves that lower the cost and keep every row, the largest saving first, until none is left."""
    for _ in range(PASSES):
        current = chosen[owner]
        saving = cost[current] - cost
        fits = ((used[None, :] + activity - activity[current]) <= rhs).all(axis=1)
        good = np.flatnonzero((saving > 0) & fits)
        if good.size == 0:
            return
        moved = False
        for k, w in _batch(good[np.lexsort((good, -saving[good]))], owner):
            trial = used + activity[k] - activity[chosen[w]]
            if cost[k] < cost[chosen[w]] and (trial <= rhs).all():
                used[:] = trial
                chosen[w] = k
                moved = True
        if not moved:
            return
