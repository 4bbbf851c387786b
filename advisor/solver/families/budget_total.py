"""`budget_total`: the plan's monthly total stays within `budget.monthly_usd`."""

from __future__ import annotations

import math

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements, SpendRow, spend_cents
from advisor.solver.variables import MILLI, PlacementModel


class BudgetTotal(Family):
    prefix = "budget_total"
    setting = "budget.monthly_usd"
    lp_unit = "$1 more budget"
    lp_scale = 100 * MILLI
    template = "policy: total monthly budget"

    def names(self, ctx: Context) -> list[str]:
        return [self.prefix] if ctx.policy.budget.monthly_usd is not None else []

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        assert ctx.policy.budget.monthly_usd is not None
        limit = round(ctx.policy.budget.monthly_usd * 100) * MILLI
        mm.m.add(mm.total <= limit).only_enforce_if(mm.family(name))

    def spend_row(self, ctx: Context, name: str) -> SpendRow:
        assert ctx.policy.budget.monthly_usd is not None
        return SpendRow(lambda o: 1, round(ctx.policy.budget.monthly_usd * 100) * MILLI)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        budget = ctx.policy.budget.monthly_usd
        return [self.prefix] if budget is not None and spend_cents(placements) > budget * 100 + 1e-6 else []

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        return Change(document="policy", field=self.setting, value=math.ceil(spend_cents(placements) / 100 - 1e-9))
