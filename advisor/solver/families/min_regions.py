"""`min_regions:<workload>`: a workload's placements span at least N regions."""

from __future__ import annotations

from collections.abc import Callable

from advisor.candidates import Option
from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import PlacementModel


def _in_region(workload: str, region: str) -> Callable[[str, Option], bool]:
    return lambda w, o: w == workload and o.region_key == region


class MinRegions(Family):
    prefix = "min_regions"
    setting = "constraints.min_regions"
    lp_unit = "one region fewer required"
    lp_scale = 1
    template = "workload {}: spread over at least min_regions regions"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{w}" for w, lim in sorted(ctx.candidates.limits.items())
                if lim.min_regions is not None and lim.min_regions > 1]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        w = name.partition(":")[2]
        if w not in mm.options:
            return
        used = []
        for region in sorted({o.region_key for o in mm.options[w]}):
            flag = mm.m.new_bool_var(f"region[{w},{region}]")
            mm.m.add(flag <= mm.presence(_in_region(w, region)))
            used.append(flag)
        mm.m.add(sum(used) >= (ctx.candidates.limits[w].min_regions or 1)).only_enforce_if(mm.family(name))

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        return [name for name in self.names(ctx)
                if len({p.option.region_key for p in placements.get(name.partition(":")[2], [])})
                < (ctx.candidates.limits[name.partition(":")[2]].min_regions or 1)]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        w = name.partition(":")[2]
        used = len({p.option.region_key for p in placements.get(w, [])})
        return Change(document=w, field=self.setting, value=None if used <= 1 else used)
