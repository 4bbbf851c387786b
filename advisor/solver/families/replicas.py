"""`replicas:<workload>`: min_replicas and max_replicas hold over the sum of a workload's placements."""

from __future__ import annotations

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import PlacementModel


class Replicas(Family):
    prefix = "replicas"
    setting = "constraints.min_replicas / max_replicas"
    lp_unit = "one replica fewer required"
    lp_scale = 1
    template = "workload {}: min_replicas and max_replicas over all its placements"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{w}" for w, lim in sorted(ctx.candidates.limits.items())
                if lim.by_count and (lim.min_replicas > 1 or lim.max_replicas is not None)]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        w = name.partition(":")[2]
        if w not in mm.options:
            return
        lim = ctx.candidates.limits[w]
        lit = mm.family(name)
        units = sum(mm.n[w, i] for i in range(len(mm.options[w])))
        mm.m.add(units >= lim.min_replicas).only_enforce_if(lit)
        if lim.max_replicas is not None:
            mm.m.add(units <= lim.max_replicas).only_enforce_if(lit)
        for level in range(1, len(ctx.candidates.levels.get(w, ()))):  # min_replicas holds at every hour
            running = sum(mm.u.get((w, i, level), mm.n[w, i]) for i in range(len(mm.options[w])))
            mm.m.add(running >= lim.min_replicas).only_enforce_if(lit)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        out = []
        for name in self.names(ctx):
            w = name.partition(":")[2]
            lim = ctx.candidates.limits[w]
            count = sum(p.count for p in placements.get(w, []))
            quietest = min((sum(p.at_level(level) for p in placements.get(w, []))
                            for level in range(len(ctx.candidates.levels.get(w, ())))), default=count)
            if min(count, quietest) < lim.min_replicas or (lim.max_replicas is not None and count > lim.max_replicas):
                out.append(name)
        return out

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        w = name.partition(":")[2]
        count = sum(p.count for p in placements.get(w, []))
        lim = ctx.candidates.limits[w]
        if count < lim.min_replicas:
            return Change(document=w, field="constraints.min_replicas", value=max(1, count))
        return Change(document=w, field="constraints.max_replicas", value=None)
