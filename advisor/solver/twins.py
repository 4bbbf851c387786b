"""Nearer twins: an equal-cost plan whose placements sit in the regions nearest their users.

The tie-break (advisor.solver.model._tie_break) searches, at the optimal cost, for the plan
whose load travels the least round trip. Its search is capped, and on a profiled service's model
it may stop near its first plan: when an instance costs the same in two regions, Frankfurt's
users then stay on a Virginia instance although a Frankfurt one costs no more.

A placement's twin is the same offering at the same price and capacity in another region:
moving the whole placement there (units bought, units running at each load level, and the load
of every stream at every level) keeps the plan's cost and its spend per provider, vendor and
team, and carries the same load. Region rules (residency, region loss, spread, quotas) may not
hold after a move; the caller checks the moved plan with the model before it keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from advisor.candidates import Option
from advisor.solver.variables import PlacementModel, rtt_bucket


def route_weight(o: Option, stream: str) -> int:
    """What a load unit of `stream` carried by `o` adds to the tie-break: its round trip in steps."""
    rtt = dict(zip(o.serves, o.serve_rtt_ms, strict=False))
    return rtt_bucket(rtt.get(stream, 0.0))


def nearer_twins(mm: PlacementModel, value: Callable[[cp_model.IntVar], int]) -> dict[cp_model.IntVar, int] | None:
    """The plan `value` reads (n, f, u, g), with each placement of a workload with several user
    locations moved to its unused twin whose peak load travels the least, where that is less than
    it travels now; None when no placement moves."""
    plan = {var: int(value(var)) for var in (*mm.n.values(), *mm.f.values(), *mm.u.values(), *mm.g.values())}
    moved = False
    for w in mm.workloads:
        if len(mm.candidates.demands[w]) <= 1:
            continue  # one stream: nothing travels further from one region than another
        options = mm.options[w]
        used = {i for i in range(len(options)) if _loads(mm, plan, w, i) or plan[mm.n[w, i]]}
        by_kind: dict[tuple[object, ...], list[int]] = {}
        for i, o in enumerate(options):
            if o.mig_profile is None:  # a MIG slice shares its pool's GPUs: never moved alone
                by_kind.setdefault(_kind(o), []).append(i)
        for i in sorted(used):
            o = options[i]
            if o.mig_profile is not None:
                continue
            loads = _loads(mm, plan, w, i)
            travel = _travel(o, loads)
            twins = [(_travel(options[j], loads), j) for j in by_kind[_kind(o)]
                     if j not in used and _carries(mm, w, i, j, loads, plan[mm.n[w, i]])]
            best = min(twins, default=None)
            if best is not None and best[0] < travel:
                _move(mm, plan, w, i, best[1])
                used = (used - {i}) | {best[1]}
                moved = True
    return plan if moved else None


def _kind(o: Option) -> tuple[object, ...]:
    """What a twin shares with the option: everything but the region (and what follows from it)."""
    return (o.provider, o.vendor, o.offering, o.pricing, o.accelerator, o.count_cost_cents, o.load_cost_cents,
            o.level_costs_cents, o.capacity, o.unit_instances, o.term_months)


def _loads(mm: PlacementModel, plan: dict[cp_model.IntVar, int], w: str, i: int) -> dict[tuple[str, int], int]:
    """Option i's nonzero load by (stream, level); level 0 is the peak."""
    o = mm.options[w][i]
    out = {}
    for s in mm.streams(w, o):
        for level in range(len(mm.candidates.levels.get(w, ())) or 1):
            var = mm.f[w, i, s] if level == 0 else mm.g.get((w, i, s, level))
            if var is not None and plan[var]:
                out[s, level] = plan[var]
    return out


def _travel(o: Option, loads: dict[tuple[str, int], int]) -> int:
    """The tie-break's measure of the peak load: round-trip steps times load units."""
    return sum(route_weight(o, s) * v for (s, level), v in loads.items() if level == 0)


def _carries(mm: PlacementModel, w: str, i: int, j: int, loads: dict[tuple[str, int], int], units: int) -> bool:
    """Whether option j can hold option i's units and carry its load at the same cost and weight."""
    a, b = mm.options[w][i], mm.options[w][j]
    ca, cb = mm.coefficients[w, i], mm.coefficients[w, j]
    if units > mm.most[w, j] or (ca.per_unit, ca.per_load, ca.per_level) != (cb.per_unit, cb.per_load, cb.per_level):
        return False
    served = set(mm.streams(w, b))
    wa, wb = a.load_weights(), b.load_weights()
    return all(s in served and ca.load_rate(s) == cb.load_rate(s) and wa.get(s) == wb.get(s) for s, _ in loads)


def _move(mm: PlacementModel, plan: dict[cp_model.IntVar, int], w: str, i: int, j: int) -> None:
    """Option i's units, running units and loads, moved to option j (unused until now)."""
    levels = range(1, len(mm.candidates.levels.get(w, ())))
    plan[mm.n[w, j]], plan[mm.n[w, i]] = plan[mm.n[w, i]], 0
    for level in levels:
        if (w, i, level) in mm.u:  # twins bill the same levels: j has the variable too
            plan[mm.u[w, j, level]], plan[mm.u[w, i, level]] = plan[mm.u[w, i, level]], 0
    for s in mm.streams(w, mm.options[w][i]):  # a stream j does not serve carries nothing here (_carries)
        if (w, j, s) in mm.f:
            plan[mm.f[w, j, s]], plan[mm.f[w, i, s]] = plan[mm.f[w, i, s]], 0
        for level in levels:
            if (w, j, s, level) in mm.g:
                plan[mm.g[w, j, s, level]], plan[mm.g[w, i, s, level]] = plan[mm.g[w, i, s, level]], 0
