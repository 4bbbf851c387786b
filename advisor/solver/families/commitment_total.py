"""`commitment_total`: what the plan commits to stays within `budget.max_commitment_usd`.

A commitment is capacity billed for a term whether it is used or not: a 1- or 3-year
reservation, or bought hardware over its amortisation term. Its liability is its monthly cost
times the term in months (`Option.term_months`); the rule caps the sum over the plan.
"""

from __future__ import annotations

import math

from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import MILLI, Coefficients, PlacementModel


def liability_cents(placements: Placements) -> float:
    """Cents the plan's committed placements bill over their terms."""
    return sum(p.cost_cents * p.option.term_months for ps in placements.values() for p in ps)


class CommitmentTotal(Family):
    prefix = "commitment_total"
    setting = "budget.max_commitment_usd"
    lp_unit = "$1 more commitment allowed"
    lp_scale = 100 * MILLI
    template = "policy: total commitment (reserved and bought capacity, monthly cost x term)"

    def names(self, ctx: Context) -> list[str]:
        return [self.prefix] if ctx.policy.budget.max_commitment_usd is not None else []

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        assert ctx.policy.budget.max_commitment_usd is not None
        limit = round(ctx.policy.budget.max_commitment_usd * 100) * MILLI
        terms = [(mm.coefficients[w, i].per_unit * o.term_months, mm.n[w, i])
                 for w in mm.workloads for i, o in enumerate(mm.options[w]) if o.term_months]
        # the placements held fixed outside the model (a warm start's rest): committed units bill per unit
        fixed = sum(Coefficients.of(o, 1).per_unit * units * o.term_months for _, o, units in mm.rest.presence
                    if o.term_months)
        mm.m.add(sum((k * n for k, n in terms), fixed) <= limit).only_enforce_if(mm.family(name))

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        cap = ctx.policy.budget.max_commitment_usd
        return [self.prefix] if cap is not None and liability_cents(placements) > cap * 100 + 1e-6 else []

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        return Change(document="policy", field=self.setting, value=math.ceil(liability_cents(placements) / 100 - 1e-9))
