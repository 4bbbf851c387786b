"""`min_providers`: at least k counted providers carry a placement."""

from __future__ import annotations

from collections.abc import Callable

from advisor.candidates import Option
from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import PlacementModel


def _of_provider(provider: str) -> Callable[[str, Option], bool]:
    return lambda w, o: o.provider == provider


class MinProviders(Family):
    prefix = "min_providers"
    setting = "lock_in.min_providers"
    lp_unit = "one provider fewer required"
    lp_scale = 1
    template = "policy: minimum number of providers"

    def names(self, ctx: Context) -> list[str]:
        return [self.prefix] if ctx.policy.lock_in.min_providers > 1 else []

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        used = []
        for provider in sorted(mm.counted):
            flag = mm.m.new_bool_var(f"used[{provider}]")
            mm.m.add(flag <= mm.presence(_of_provider(provider)))
            used.append(flag)
        mm.m.add(sum(used) >= ctx.policy.lock_in.min_providers).only_enforce_if(mm.family(name))

    @staticmethod
    def _used(ctx: Context, placements: Placements) -> int:
        return len({p.option.provider for ps in placements.values() for p in ps if p.option.provider in ctx.counted})

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        k = ctx.policy.lock_in.min_providers
        return [self.prefix] if k > 1 and self._used(ctx, placements) < k else []

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        return Change(document="policy", field=self.setting, value=max(1, self._used(ctx, placements)))
