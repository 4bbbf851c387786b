"""`vendor_share:<v>`: no accelerator vendor carries more than the cap's share of all spend."""

from __future__ import annotations

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements, SpendRow, spend_cents
from advisor.solver.families.provider_share import PCT_SCALE, share_pct
from advisor.solver.variables import MILLI, PlacementModel


class VendorShare(Family):
    prefix = "vendor_share"
    setting = "lock_in.max_vendor_share_pct"
    lp_unit = "$1 more spend allowed on the vendor"
    lp_scale = 100 * PCT_SCALE * 100 * MILLI
    template = "policy: largest share of spend on accelerator vendor {}"

    def names(self, ctx: Context) -> list[str]:
        cap = ctx.policy.lock_in.max_vendor_share_pct
        if cap is None or cap >= 100:
            return []
        vendors = {o.vendor for opts in ctx.candidates.options.values() for o in opts}
        return [f"{self.prefix}:{v}" for v in sorted(vendors)]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        cap = round((ctx.policy.lock_in.max_vendor_share_pct or 100) * PCT_SCALE)
        vendor = name.partition(":")[2]
        mm.m.add(100 * PCT_SCALE * mm.spend("vendor", vendor) <= cap * mm.total).only_enforce_if(mm.family(name))

    def spend_row(self, ctx: Context, name: str) -> SpendRow:
        cap = round((ctx.policy.lock_in.max_vendor_share_pct or 100) * PCT_SCALE)
        vendor = name.partition(":")[2]
        return SpendRow(lambda o: 100 * PCT_SCALE * (o.vendor == vendor) - cap, 0)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        cap = ctx.policy.lock_in.max_vendor_share_pct
        if cap is None or cap >= 100:
            return []
        total = spend_cents(placements)
        vendors = sorted({p.option.vendor for ps in placements.values() for p in ps})
        return [f"{self.prefix}:{v}" for v in vendors
                if 100 * spend_cents(placements, lambda p, x=v: p.option.vendor == x) > cap * total + 1e-6]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        vendor = name.partition(":")[2]
        total = spend_cents(placements)
        spend = spend_cents(placements, lambda p: p.option.vendor == vendor)
        return Change(document="policy", field=self.setting, value=share_pct(spend, total))
