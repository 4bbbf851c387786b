"""`budget_team:<team>`: a team's monthly spend stays within its budget."""

from __future__ import annotations

import math

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements, SpendRow, spend_cents
from advisor.solver.variables import MILLI, PlacementModel


class BudgetTeam(Family):
    prefix = "budget_team"
    setting = "budget.per_team_monthly_usd"
    lp_unit = "$1 more team budget"
    lp_scale = 100 * MILLI
    template = "policy: monthly budget of team {}"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{team}" for team in sorted(ctx.policy.budget.per_team_monthly_usd)]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        team = name.partition(":")[2]
        limit = round(ctx.policy.budget.per_team_monthly_usd[team] * 100) * MILLI
        mm.m.add(mm.spend("team", team) <= limit).only_enforce_if(mm.family(name))

    def spend_row(self, ctx: Context, name: str) -> SpendRow:
        team = name.partition(":")[2]
        limit = round(ctx.policy.budget.per_team_monthly_usd[team] * 100) * MILLI
        return SpendRow(lambda o: int(o.team == team), limit)

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        return [f"{self.prefix}:{team}" for team, usd in sorted(ctx.policy.budget.per_team_monthly_usd.items())
                if spend_cents(placements, lambda p, t=team: p.option.team == t) > usd * 100 + 1e-6]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        team = name.partition(":")[2]
        spend = spend_cents(placements, lambda p: p.option.team == team)
        teams = {**ctx.policy.budget.per_team_monthly_usd, team: math.ceil(spend / 100 - 1e-9)}
        return Change(document="policy", field=self.setting, value=teams)
