"""The plan's summary: what a review decides on, first in every format.

A few sentences (the month and year, the budget used, what is committed and paid up front, the
largest placements, the rules that bind and what they cost), the policy checks with the plan's
figure against each limit, and spend by team and by pricing model. Everything is read from the
finished plan's rows, so the summary never disagrees with the tables below it.
"""

from __future__ import annotations

from collections import defaultdict

from advisor.candidates import COMMITMENT_MONTHS
from advisor.commitments import COMMITTED
from advisor.plan import Assignment, ConstraintCost, PolicyCheck, SharedGpus, Summary
from advisor.render.formats import usd
from advisor.rows import shares_of
from advisor.workload.models import Policy


def _checks(policy: Policy, total: float, teams: dict[str, float], committed: float) -> list[PolicyCheck]:
    """Each budget rule of the policy with the plan's figure (the lock-in, quota and fleet rules
    are in the constraint table, with what each costs)."""
    found = []
    budget = policy.budget
    if budget.monthly_usd is not None:
        found.append(PolicyCheck(rule="budget.monthly_usd", limit_usd=budget.monthly_usd, plan_usd=round(total, 2),
                                 passed=total <= budget.monthly_usd + 0.01))
    for team, limit in sorted(budget.per_team_monthly_usd.items()):
        spent = round(teams.get(team, 0.0), 2)
        found.append(PolicyCheck(rule=f"budget.per_team_monthly_usd.{team}", limit_usd=limit, plan_usd=spent,
                                 passed=spent <= limit + 0.01))
    if budget.max_commitment_usd is not None:
        found.append(PolicyCheck(rule="budget.max_commitment_usd", limit_usd=budget.max_commitment_usd,
                                 plan_usd=round(committed, 2), passed=committed <= budget.max_commitment_usd + 0.01))
    return found


def summarise(assignments: list[Assignment], shared: list[SharedGpus], constraints: list[ConstraintCost],
              policy: Policy, total: float, priced: bool) -> Summary:
    """The summary of a feasible plan (its rows, shared GPUs, constraint costs and policy);
    `priced`: whether the run priced each constraint (explanations on)."""
    teams: dict[str, float] = defaultdict(float)
    pricing: dict[str, float] = defaultdict(float)
    for a in assignments:
        teams[a.team] += a.monthly_cost_usd
        pricing[a.pricing] += a.monthly_cost_usd
    for g in shared:  # the idle part of shared GPUs is no team's
        pricing[g.pricing] += g.idle_monthly_usd
    committed_rows = [a for a in assignments if a.pricing in COMMITTED]
    committed_monthly = sum(a.monthly_cost_usd for a in committed_rows)
    liability = sum(a.monthly_cost_usd * (COMMITMENT_MONTHS.get(a.pricing) or a.amortisation_months or 0)
                    for a in committed_rows)
    upfront = sum(a.upfront_usd or 0.0 for a in assignments)
    longest = max((COMMITMENT_MONTHS.get(a.pricing) or a.amortisation_months or 0 for a in committed_rows), default=0)
    sentences = [f"The plan costs {usd(total)} a month ({usd(12 * total)} a year) for "
                 f"{len({a.workload for a in assignments})} workloads"
                 + (f", {100 * total / policy.budget.monthly_usd:.0f}% of the {usd(policy.budget.monthly_usd)} "
                    f"monthly budget." if policy.budget.monthly_usd else ".")]
    if committed_rows:
        sentences.append(f"{usd(committed_monthly)} a month is committed (reserved or bought) for up to {longest} "
                         f"months, {usd(liability)} over the terms"
                         + (f"; {usd(upfront)} is paid up front for bought hardware." if upfront else "."))
    else:
        sentences.append("Nothing is committed: every placement is rented by the hour.")
    largest = sorted(assignments, key=lambda a: (-a.monthly_cost_usd, a.workload, a.placement))[:2]
    sentences.append("The largest placements: " + "; ".join(
        f"{a.workload} on {a.instances} x {a.instance} ({a.provider} {a.region}, {a.pricing}) at "
        f"{usd(a.monthly_cost_usd)} a month" for a in largest) + ".")
    binding = [c for c in constraints if c.binding and c.part_of is None and c.cost_usd]
    if not priced:
        sentences.append("What each rule costs was not priced in this run (explanations off).")
    elif binding:
        sentences.append("Binding rules: " + "; ".join(
            f"{c.description} ({c.setting or c.name}) costs {usd(c.cost_usd or 0.0)} a month"
            for c in binding[:3]) + ".")
    else:
        sentences.append("No rule raises the cost: every workload runs at its cheapest plan.")
    return Summary(sentences=sentences, checks=_checks(policy, total, teams, liability),
                   spend_by_team=shares_of(teams), spend_by_pricing=shares_of(pricing),
                   committed_monthly_usd=round(committed_monthly, 2), commitment_liability_usd=round(liability, 2),
                   upfront_usd=round(upfront, 2))
