"""The plan's summary: what a review decides on, first in every format.

A few sentences (the month and the first year, the budget used, what is committed to whom for
how long and paid up front, the largest placements, the rules that bind and what they cost, the
risks), the policy checks with the plan's figure against each limit, spend by team, region and
pricing model, and the commitments by provider and term. Everything is read from the finished
plan's rows, so the summary never disagrees with the tables below it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from advisor.candidates import COMMITMENT_MONTHS
from advisor.commitments import COMMITTED
from advisor.plan import Assignment, CommitmentLine, ConstraintCost, PolicyCheck, Risk, SharedGpus, Summary
from advisor.render.formats import usd
from advisor.rows import carbon_of, shares_of
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


def _term(a: Assignment) -> int:
    """A committed row's term in months: its reservation's, or its hardware's amortisation."""
    return COMMITMENT_MONTHS.get(a.pricing) or a.amortisation_months or 0


def _commitments(committed: list[Assignment]) -> list[CommitmentLine]:
    """Committed rows by provider, pricing and term: to whom the plan commits, for how long."""
    groups: dict[tuple[str, str, int], list[Assignment]] = defaultdict(list)
    for a in committed:
        groups[a.provider, a.pricing, _term(a)].append(a)
    lines = [CommitmentLine(provider=provider, pricing=pricing, term_months=term,  # type: ignore[arg-type]
                            instances=sum(a.instances for a in rows),
                            monthly_usd=round(sum(a.monthly_cost_usd for a in rows), 2),
                            liability_usd=round(sum(a.monthly_cost_usd * term for a in rows), 2),
                            upfront_usd=round(sum(a.upfront_usd or 0.0 for a in rows), 2),
                            workloads=sorted({a.workload for a in rows}))
             for (provider, pricing, term), rows in groups.items()]
    return sorted(lines, key=lambda line: (-line.liability_usd, line.provider, line.pricing))


def _risk_sentence(risks: list[Risk]) -> str:
    if not risks:
        return "The risk register is empty."
    counts = Counter(r.severity for r in risks)
    head = ", ".join(f"{counts[s]} {s}" for s in ("high", "medium", "low") if counts[s])
    first = risks[0]
    return f"Risks: {head}; first: {first.subject}: {first.risk}"


def _unsettled(rules: list[str], full: bool) -> str:
    """Rules whose cost was not re-solved, named (the first three) with how to price them: in summary
    mode a full run; in a full run (its budget spent, or a re-solve unsettled in its limit) more work."""
    named = ", ".join(rules[:3]) + (", ..." if len(rules) > 3 else "")
    how = "a larger --explain-budget or --explain-time-limit settles them" if full else "--explain full re-solves them"
    if len(rules) == 1:
        return f"1 rule ({named}) was not re-solved, so what it costs is not known: {how}"
    return f"{len(rules)} rules ({named}) were not re-solved, so what they cost is not known: {how}"


def summarise(assignments: list[Assignment], shared: list[SharedGpus], constraints: list[ConstraintCost],
              policy: Policy, total: float, priced: bool, risks: list[Risk], full: bool = True) -> Summary:
    """The summary of a feasible plan (its rows, shared GPUs, constraint costs, policy and risk
    register); `priced`: whether the run priced each constraint (explanations on); `full`: whether
    it re-solved them (--explain full) rather than pricing them to first order."""
    teams: dict[str, float] = defaultdict(float)
    pricing: dict[str, float] = defaultdict(float)
    regions: dict[str, float] = defaultdict(float)
    for a in assignments:
        teams[a.team] += a.monthly_cost_usd
        pricing[a.pricing] += a.monthly_cost_usd
        regions[f"{a.provider}:{a.region}"] += a.monthly_cost_usd
    for g in shared:  # the idle part of shared GPUs is no team's
        pricing[g.pricing] += g.idle_monthly_usd
        regions[f"{g.provider}:{g.region}"] += g.idle_monthly_usd
    committed_rows = [a for a in assignments if a.pricing in COMMITTED]
    committed_monthly = sum(a.monthly_cost_usd for a in committed_rows)
    liability = sum(a.monthly_cost_usd * _term(a) for a in committed_rows)
    upfront = sum(a.upfront_usd or 0.0 for a in assignments)
    first_year = round(sum(a.first_year_usd or 0.0 for a in assignments) + sum(g.idle_first_year_usd for g in shared),
                       2)
    lines = _commitments(committed_rows)
    once = sorted({a.workload for a in assignments if a.once})
    sentences = [f"The plan costs {usd(total)} a month for {len({a.workload for a in assignments})} workloads"
                 + (f", {100 * total / policy.budget.monthly_usd:.0f}% of the {usd(policy.budget.monthly_usd)} "
                    f"monthly budget" if policy.budget.monthly_usd else "")
                 + f"; its first year costs {usd(first_year)}"
                 + (", bought hardware at its purchase price" if upfront else "")
                 + (f", one-off work ({', '.join(once)}) once" if once else "") + "."]
    if committed_rows:
        sentences.append(f"{usd(committed_monthly)} a month is committed, {usd(liability)} over the terms: "
                         + "; ".join(f"{usd(line.liability_usd)} to {line.provider} ({line.pricing}, "
                                     f"{line.term_months} months)" for line in lines[:3])
                         + (f"; {usd(upfront)} is paid up front for bought hardware." if upfront else "."))
    else:
        sentences.append("Nothing is committed: every placement is rented by the hour.")
    largest = sorted(assignments, key=lambda a: (-a.monthly_cost_usd, a.workload, a.placement))[:2]
    sentences.append("The largest placements: " + "; ".join(
        f"{a.workload} on {a.instances} x {a.instance} ({a.provider} {a.region}, {a.pricing}) at "
        f"{usd(a.monthly_cost_usd)} a month" for a in largest) + ".")
    binding = [c for c in constraints if c.binding and c.part_of is None and c.cost_usd]
    # rows not re-solved (--explain summary, or a cut-short budget) may bind: never called free
    open_rows = [c.setting or c.name for c in constraints if c.binding is None and c.part_of is None]
    if not priced:
        sentences.append("What each rule costs was not priced in this run (explanations off).")
    elif binding:
        sentences.append("Binding rules: " + "; ".join(
            f"{c.description} ({c.setting or c.name}) costs {usd(c.cost_usd or 0.0)} a month"
            for c in binding[:3]) + (f"; {_unsettled(open_rows, full)}." if open_rows else "."))
    elif open_rows:
        sentences.append(f"No rule is proven to raise the cost; {_unsettled(open_rows, full)}.")
    else:
        sentences.append("No rule raises the cost: every workload runs at its cheapest plan.")
    sentences.append(_risk_sentence(risks))
    return Summary(sentences=sentences, checks=_checks(policy, total, teams, liability),
                   spend_by_team=shares_of(teams), spend_by_pricing=shares_of(pricing),
                   committed_monthly_usd=round(committed_monthly, 2), commitment_liability_usd=round(liability, 2),
                   upfront_usd=round(upfront, 2), first_year_usd=first_year, spend_by_region=shares_of(regions),
                   commitments=lines,
                   carbon_kg_per_month=carbon_of(assignments))
