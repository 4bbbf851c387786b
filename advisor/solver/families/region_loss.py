"""`region_loss:<workload>`: losing any one region leaves capacity for peak traffic, rerouted in time.

For every region g the workload could use and every set S of its user locations, the options
outside g that may serve some location of S (within the failover objective) must together
carry S's peak load (supply-demand theorem: these inequalities hold exactly when a feasible
rerouting exists). With L user locations that is 2^L - 1 inequalities per region.
"""

from __future__ import annotations

import itertools
import math

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import CAP_SCALE, PlacementModel

MAX_LOCATIONS_EXACT = 8
"""Above this many user locations only single locations and all of them together are checked."""


def location_sets(streams: list[str]) -> list[tuple[str, ...]]:
    if len(streams) > MAX_LOCATIONS_EXACT:
        return [(s,) for s in streams] + [tuple(streams)]
    return [c for k in range(1, len(streams) + 1) for c in itertools.combinations(streams, k)]


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
        for region in sorted({o.region_key for o in options}):
            for subset in location_sets(sorted(demand)):
                need = CAP_SCALE * sum(demand[s] for s in subset)
                helpers = [(i, o) for i, o in enumerate(options)
                           if o.region_key != region and set(o.failover_serves) & set(subset)]
                capacity = sum(math.floor(o.capacity * CAP_SCALE) * mm.n[w, i] for i, o in helpers)
                mm.m.add(capacity >= need).only_enforce_if(lit)

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
