"""`provider_share:<p>`: no counted provider carries more than the cap's share of counted spend."""

from __future__ import annotations

import math

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements, SpendRow, spend_cents
from advisor.solver.variables import MILLI, PlacementModel

PCT_SCALE = 100  # caps in hundredths of a percent


def share_pct(spend: float, base: float) -> float:
    """The cap (in percent, rounded up to a tenth) that admits `spend` out of `base`."""
    return min(100.0, math.ceil(1000 * spend / base - 1e-9) / 10) if base else 100.0


class ProviderShare(Family):
    prefix = "provider_share"
    setting = "lock_in.max_provider_share_pct"
    lp_unit = "$1 more spend allowed on the provider"
    lp_scale = 100 * PCT_SCALE * 100 * MILLI
    template = "policy: largest share of spend on provider {}"

    def names(self, ctx: Context) -> list[str]:
        cap = ctx.policy.lock_in.max_provider_share_pct
        return [f"{self.prefix}:{p}" for p in sorted(ctx.counted)] if cap is not None and cap < 100 else []

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        cap = round((ctx.policy.lock_in.max_provider_share_pct or 100) * PCT_SCALE)
        provider = name.partition(":")[2]
        mm.m.add(100 * PCT_SCALE * mm.spend("provider", provider) <= cap * mm.counted_total()
                 ).only_enforce_if(mm.family(name))

    def spend_row(self, ctx: Context, name: str) -> SpendRow:
        cap = round((ctx.policy.lock_in.max_provider_share_pct or 100) * PCT_SCALE)
        provider = name.partition(":")[2]
        return SpendRow(lambda o: 100 * PCT_SCALE * (o.provider == provider) - cap * (o.provider in ctx.counted), 0)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        cap = ctx.policy.lock_in.max_provider_share_pct
        if cap is None or cap >= 100:
            return []
        base = spend_cents(placements, lambda p: p.option.provider in ctx.counted)
        return [f"{self.prefix}:{provider}" for provider in sorted(ctx.counted)
                if 100 * spend_cents(placements, lambda p, q=provider: p.option.provider == q) > cap * base + 1e-6]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        provider = name.partition(":")[2]
        base = spend_cents(placements, lambda p: p.option.provider in ctx.counted)
        spend = spend_cents(placements, lambda p: p.option.provider == provider)
        return Change(document="policy", field=self.setting, value=share_pct(spend, base))
