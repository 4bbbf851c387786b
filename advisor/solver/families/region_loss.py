"""`region_loss:<workload>`: losing any one region leaves capacity for peak traffic, rerouted in time.

For every region g the workload could use and every set S of its user locations, the options
outside g that may serve some location of S (within the failover objective) must together
carry S's peak load (supply-demand theorem: these inequalities hold exactly when a feasible
rerouting exists). With L user locations that is 2^L - 1 inequalities per region, of which the
model states only those no other one implies (_rows).
"""

from __future__ import annotations

import functools
import itertools
import math
import operator

from ortools.sat.python import cp_model

from advisor.candidates import Option
from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import CAP_SCALE, PlacementModel

MAX_LOCATIONS_EXACT = 8
"""Above this many user locations only single locations and all of them together are checked."""


def location_sets(streams: list[str]) -> list[tuple[str, ...]]:
    if len(streams) > MAX_LOCATIONS_EXACT:
        return [(s,) for s in streams] + [tuple(streams)]
    return [c for k in range(1, len(streams) + 1) for c in itertools.combinations(streams, k)]


def _rows(options: list[Option], demand: dict[str, int]) -> list[tuple[int, int]]:
    """The rows worth stating, as (helpers: a bitmask of option indices, load they must carry).

    Per region g and set S of locations the helpers are the options outside g that may serve S.
    A row is implied by another whose helpers are among its own and whose load is no smaller, so
    only those others are kept: sets of locations with the same helpers (a service whose every
    option reaches every location) come down to the largest load. A 5-location service in 61
    regions had 1,891 rows; building them took most of its own optimum's time.
    """
    reach = {s: sum(1 << i for i, o in enumerate(options) if s in o.failover_serves) for s in demand}
    rows: dict[int, int] = {}
    for region in sorted({o.region_key for o in options}):
        outside = sum(1 << i for i, o in enumerate(options) if o.region_key != region)
        for subset in location_sets(sorted(demand)):
            helpers = outside & functools.reduce(operator.or_, (reach[s] for s in subset))
            rows[helpers] = max(rows.get(helpers, 0), sum(demand[s] for s in subset))
    # largest load first, and among equal loads the fewest helpers first: a kept row with no
    # smaller load and helpers among these implies this one
    by_load = sorted(rows.items(), key=lambda row: (-row[1], row[0].bit_count(), row[0]))
    kept: list[tuple[int, int]] = []
    for helpers, need in by_load:
        if not any(other & helpers == other for other, _ in kept):
            kept.append((helpers, need))
    return sorted(kept, key=lambda row: (-row[1], row[0]))


class RegionLoss(Family):
    prefix = "region_loss"
    setting = "constraints.survive_region_loss"
    template = "workload {}: survive the loss of any one region"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{w}" for w, lim in sorted(ctx.candidates.limits.items()) if lim.survive_region_loss]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        w = name.partition(":")[2]
        if w not in mm.options:
            return
        lit = mm.family(name)
        demand = ctx.candidates.demands[w]
        options = mm.options[w]
        carry = [math.floor(o.capacity * CAP_SCALE) for o in options]
        for helpers, need in _rows(options, demand):
            chosen = [i for i, bit in enumerate(reversed(bin(helpers)[2:])) if bit == "1"]
            capacity = cp_model.LinearExpr.weighted_sum([mm.n[w, i] for i in chosen], [carry[i] for i in chosen])
            mm.m.add(capacity >= CAP_SCALE * need).only_enforce_if(lit)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        out = []
        for name in self.names(ctx):
            w = name.partition(":")[2]
            demand = ctx.candidates.demands[w]
            ps = placements.get(w, [])
            for region in {p.option.region_key for p in ps}:
                if any(sum(demand[s] for s in subset) > sum(
                        p.count * p.option.capacity for p in ps if p.option.region_key != region
                        and set(p.option.failover_serves) & set(subset))
                       for subset in location_sets(sorted(demand))):
                    out.append(name)
                    break
        return out

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        return Change(document=name.partition(":")[2], field=self.setting, value=False)
