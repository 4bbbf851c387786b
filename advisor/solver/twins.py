"""Nearer twins: an equal-cost plan whose placements sit in the regions nearest their users.

The tie-break (advisor.solver.model._tie_break) searches, at the optimal cost, for the plan
whose load travels the least round trip. Its search is capped, and on a profiled service's model
it may stop near its first plan: when an instance costs the same in two regions, Frankfurt's
users then stay on a Virginia instance although a Frankfurt one costs no more.

A placement's twin is the same offering at the same price and capacity in another region:
moving its units there (bought, and running at each load level) keeps the plan's cost and its
spend per provider, vendor and team. The load is then routed anew onto the moved units (the
caller's model, with the units fixed): a twin in Frankfurt helps only once Frankfurt's users are
sent to it, and Virginia's to the units that stay. Region rules (residency, region loss, spread,
quotas) may not hold after a move; the model, which routes it, says so.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from advisor.candidates import Option
from advisor.solver.variables import PlacementModel, route_steps


def twin_moves(mm: PlacementModel, value: Callable[[cp_model.IntVar], int]) -> list[dict[cp_model.IntVar, int]]:
    """The units of the plan `value` reads (n and u), each with one placement of a workload with
    several user locations moved to one of its unused twins: the nearest first, by how far the
    placement's peak load would travel there. The load is the caller's to route anew."""
    units = {var: int(value(var)) for var in (*mm.n.values(), *mm.u.values())}
    moves: list[tuple[int, int, str, int, int]] = []
    for w in mm.workloads:
        if len(mm.candidates.demands[w]) <= 1:
            continue  # one stream: nothing travels further from one region than another
        options = mm.options[w]
        loads = {i: {s: int(value(mm.f[w, i, s])) for s in mm.streams(w, o)} for i, o in enumerate(options)}
        used = {i for i in range(len(options)) if units[mm.n[w, i]] or any(loads[i].values())}
        by_kind: dict[tuple[object, ...], list[int]] = {}
        for i, o in enumerate(options):
            if o.mig_profile is None:  # a MIG slice shares its pool's GPUs: never moved alone
                by_kind.setdefault(_kind(o), []).append(i)
        for i in sorted(used):
            if options[i].mig_profile is not None:
                continue
            for j in by_kind[_kind(options[i])]:
                if j not in used and options[j].region_key != options[i].region_key \
                        and _same_terms(mm, w, i, j, units[mm.n[w, i]]):
                    moves.append((_travel(options[j], loads[i]) - _travel(options[i], loads[i]), len(moves), w, i, j))
    out = []
    for *_, w, i, j in sorted(moves):
        moved = dict(units)
        _move(mm, moved, w, i, j)
        out.append(moved)
    return out


def _kind(o: Option) -> tuple[object, ...]:
    """What a twin shares with the option: everything but the region (and what follows from it)."""
    return (o.provider, o.vendor, o.offering, o.pricing, o.accelerator, o.count_cost_cents, o.load_cost_cents,
            o.level_costs_cents, o.capacity, o.unit_instances, o.term_months)


def _travel(o: Option, load: dict[str, int]) -> int:
    """The tie-break's measure of a peak load on option o: round-trip steps times load units (a
    stream o does not serve counts as far as the farthest it does)."""
    rtt = dict(zip(o.serves, route_steps(o, o.serves), strict=True))
    farthest = max(rtt.values(), default=0)
    return sum(rtt.get(s, farthest) * v for s, v in load.items())


def _same_terms(mm: PlacementModel, w: str, i: int, j: int, units: int) -> bool:
    """Whether option j holds option i's units at the same costs per unit and per level."""
    ca, cb = mm.coefficients[w, i], mm.coefficients[w, j]
    return units <= mm.most[w, j] and (ca.per_unit, ca.per_load, ca.per_level) == (cb.per_unit, cb.per_load,
                                                                                   cb.per_level)


def _move(mm: PlacementModel, units: dict[cp_model.IntVar, int], w: str, i: int, j: int) -> None:
    """Option i's units, bought and running at each level, moved to option j (unused until now)."""
    units[mm.n[w, j]], units[mm.n[w, i]] = units[mm.n[w, i]], 0
    for level in range(1, len(mm.candidates.levels.get(w, ()))):
        if (w, i, level) in mm.u:  # twins bill the same levels: j has the variable too
            units[mm.u[w, j, level]], units[mm.u[w, i, level]] = units[mm.u[w, i, level]], 0
