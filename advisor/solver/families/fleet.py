"""`fleet:<name>`: the plan places at most a declared fleet's units on it.

A fleet is hardware the company holds (sunk) or plans to buy (to_buy): `count` units of one
bought offering at one site (advisor.catalog.models.Fleet). Its options carry its name
(`Option.fleet`); the sum over every workload of units x instances per unit on them stays
within the count. Bought hardware runs at every load level, so the peak count is what it holds.
"""

from __future__ import annotations

from advisor.catalog.models import Fleet
from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import PlacementModel


def held(placements: Placements, fleet: str) -> int:
    """Units (instances) the placements put on one fleet."""
    return sum(p.instances for ps in placements.values() for p in ps if p.option.fleet == fleet)


def _fleet(ctx: Context, name: str) -> Fleet:
    wanted = name.partition(":")[2]
    return next(f for f in ctx.policy.fleets if f.name == wanted)


class FleetCount(Family):
    prefix = "fleet"
    setting = "fleets"
    template = "policy: units fleet {} holds"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{f.name}" for f in sorted(ctx.policy.fleets, key=lambda f: f.name)]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        fleet = _fleet(ctx, name)
        terms = [(o.unit_instances, mm.n[w, i]) for w in mm.workloads for i, o in enumerate(mm.options[w])
                 if o.fleet == fleet.name]
        fixed = sum(o.unit_instances * units for o, units in mm.rest.units if o.fleet == fleet.name)
        mm.m.add(sum((k * n for k, n in terms), fixed) <= fleet.count).only_enforce_if(mm.family(name))

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        return [f"{self.prefix}:{f.name}" for f in sorted(ctx.policy.fleets, key=lambda f: f.name)
                if held(placements, f.name) > f.count]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        fleet = _fleet(ctx, name)
        return Change(document="policy", field=f"fleets.{fleet.name}.count",
                      value=max(fleet.count, held(placements, fleet.name)))
