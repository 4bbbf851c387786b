"""Independent plan checker: re-verify every constraint of a plan without the solver.

It recomputes from the inputs and the catalog what a reviewer would check by hand: each
workload placed once, on a real offering priced in that region with that pricing model;
enough instances for the demand; latency within the SLO; residency, portability, spot and
provider rules; costs that add up; budget, per-team budget, provider and vendor shares and
the minimum number of providers. It shares no code with `advisor.solver`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.candidates import with_catalog_measurements
from advisor.catalog.models import HOURS_PER_MONTH, Catalog
from advisor.estimate import Sizing, Unfit, size
from advisor.plan import Assignment, Plan
from advisor.topology import great_circle_km, rtt_ms
from advisor.workload.models import EdgeInference, Policy, RealtimeInference, Workload

CENT = 0.011  # rounding tolerance in USD


LOCK_IN_KINDS = ("cloud", "gpu-cloud")
"""Provider kinds the lock-in rules count under `lock_in.scope: clouds` (the default)."""


@dataclass(frozen=True)
class Spend:
    """What policy-level checks need to know of one placement."""

    provider: str
    vendor: str
    team: str
    cost_cents: int
    provider_kind: str = "cloud"


def policy_violations(spends: Iterable[Spend], policy: Policy) -> list[str]:
    """Budget, team budget, provider/vendor share and provider-count violations of a set of placements.

    Provider shares are shares of the spend on counted providers, and only counted providers
    count towards min_providers: clouds and GPU clouds, or every provider with `scope: all`.
    """
    spends = list(spends)
    total = sum(s.cost_cents for s in spends)
    counted = [s for s in spends if policy.lock_in.scope == "all" or s.provider_kind in LOCK_IN_KINDS]
    counted_total = sum(s.cost_cents for s in counted)
    found: list[str] = []
    if policy.budget.monthly_usd is not None and total > round(policy.budget.monthly_usd * 100):
        found.append(f"budget_total: total {total / 100:,.2f} exceeds {policy.budget.monthly_usd:,.2f}")
    by_team: dict[str, int] = defaultdict(int)
    by_provider: dict[str, int] = defaultdict(int)
    by_vendor: dict[str, int] = defaultdict(int)
    for s in spends:
        by_team[s.team] += s.cost_cents
        by_vendor[s.vendor] += s.cost_cents
    for s in counted:
        by_provider[s.provider] += s.cost_cents
    for team, cap in policy.budget.per_team_monthly_usd.items():
        if by_team.get(team, 0) > round(cap * 100):
            found.append(f"budget_team:{team}: {by_team[team] / 100:,.2f} exceeds {cap:,.2f}")
    for label, cap_pct, spend, base in (("provider_share", policy.lock_in.max_provider_share_pct, by_provider,
                                         counted_total),
                                        ("vendor_share", policy.lock_in.max_vendor_share_pct, by_vendor, total)):
        if cap_pct is None or base == 0:
            continue
        for name, cents in spend.items():
            if 100 * 100 * cents > round(cap_pct * 100) * base:
                found.append(f"{label}:{name}: {100 * cents / base:.2f}% exceeds {cap_pct:g}%")
    if policy.lock_in.min_providers > 1 and len(by_provider) < policy.lock_in.min_providers:
        found.append(f"min_providers: {len(by_provider)} providers counted, policy needs "
                     f"{policy.lock_in.min_providers}")
    return found


def _worst_rtt(catalog: Catalog, users: dict[str, float], provider: str, region: str) -> float | None:
    """Round trip from the slowest user location; None when the site has no known location."""
    r = catalog.region(provider, region)
    if r is None:
        return None
    return max(rtt_ms(great_circle_km(catalog.locations[u].lat, catalog.locations[u].lon, r.lat, r.lon))
               for u in users)


def _latency_violations(name: str, w: RealtimeInference | EdgeInference, need: Sizing,
                        network: float) -> list[str]:
    """Each objective checked against its figure; an objective without a figure is a violation."""
    slo = w.slo
    checks = (("p95 latency", need.compute_latency_ms, network, slo.p95_latency_ms),
              ("TTFT", need.ttft_ms, network, slo.ttft_ms), ("TPOT", need.tpot_ms, 0.0, slo.tpot_ms))
    bad = []
    for label, compute, added, limit in checks:
        if limit is None:
            continue
        if compute is None:
            bad.append(f"{name}: the SLO bounds {label}, but the plan has no {label} figure to check")
        elif compute + added > limit + 0.1:
            bad.append(f"{name}: {label} {compute + added:.0f} ms over the SLO {limit:g} ms")
    return bad


def _check_assignment(w: Workload, a: Assignment, policy: Policy, catalog: Catalog) -> list[str]:
    bad: list[str] = []
    name = w.name
    offering = catalog.offerings.get(f"{a.provider}:{a.instance}")
    if offering is None:
        return [f"{name}: offering {a.provider}:{a.instance} is not in the catalog"]
    acc = catalog.accelerators[offering.accelerator]
    if a.accelerator != acc.name:
        bad.append(f"{name}: accelerator {a.accelerator} does not match {offering.name} ({acc.name})")
    if a.accelerator_count != a.instances * offering.accelerator_count:
        bad.append(f"{name}: accelerator_count {a.accelerator_count} != instances x {offering.accelerator_count}")
    # price and pricing model
    if a.pricing == "capex":
        if offering.purchase is None:
            return bad + [f"{name}: {offering.name} is not bought hardware"]
        unit = offering.purchase.monthly_usd
        billed_hours = None
        hourly = None
    else:
        rows = [p for p in offering.prices if p.region == a.region]
        hourly = getattr(rows[0], a.pricing) if rows else None
        if hourly is None:
            return bad + [f"{name}: {offering.name} has no {a.pricing} price in {a.region}"]
        unit = None
    # residency, provider and pricing rules
    region = catalog.region(a.provider, a.region)
    c = w.constraints
    is_edge = isinstance(w, EdgeInference)
    if is_edge != (acc.kind == "edge"):
        bad.append(f"{name}: {acc.kind} device for a {w.kind} workload")
    if c.jurisdictions is not None and not is_edge and (region is None or region.jurisdiction not in c.jurisdictions):
        bad.append(f"{name}: region {a.region} breaks residency {c.jurisdictions}")
    if c.providers is not None and a.provider not in c.providers:
        bad.append(f"{name}: provider {a.provider} not allowed by the workload")
    if policy.allowed_providers is not None and a.provider not in policy.allowed_providers:
        bad.append(f"{name}: provider {a.provider} not allowed by the policy")
    if c.regions is not None and f"{a.provider}:{a.region}" not in c.regions:
        bad.append(f"{name}: region {a.provider}:{a.region} not allowed")
    if c.accelerators is not None and acc.name not in c.accelerators:
        bad.append(f"{name}: accelerator {acc.name} not allowed")
    if c.portable and not acc.portable:
        bad.append(f"{name}: {acc.name} ({acc.software_stack}) is not portable")
    if a.pricing == "spot" and not c.spot:
        bad.append(f"{name}: spot pricing for a workload that does not allow it")
    if c.pricing is not None and a.pricing not in c.pricing:
        bad.append(f"{name}: pricing {a.pricing} not allowed")
    if c.max_replicas is not None and a.instances > c.max_replicas:
        bad.append(f"{name}: {a.instances} instances over max_replicas {c.max_replicas}")
    # capacity and latency, recomputed
    rtt = None
    if isinstance(w, RealtimeInference):
        rtt = _worst_rtt(catalog, w.traffic.users, a.provider, a.region)
        if rtt is None:
            return bad + [f"{name}: {a.provider}:{a.region} has no known location; the round trip to users "
                          f"is unknown, so the latency objective cannot hold"]
    try:
        need = size(with_catalog_measurements(w, catalog), offering, acc, rtt)
    except Unfit as unfit:
        return bad + [f"{name}: {offering.name} cannot run it: {unfit.reason}"]
    if a.instances < need.instances:
        bad.append(f"{name}: {a.instances} instances, demand needs {need.instances}")
    if isinstance(w, EdgeInference):
        bad.extend(_latency_violations(name, w, need, 0.0))
    elif isinstance(w, RealtimeInference) and rtt is not None:
        bad.extend(_latency_violations(name, w, need, rtt))
    # cost, recomputed
    if unit is not None:
        expected = a.instances * unit
    else:
        if a.pricing.startswith("reserved") or need.busy_hours_per_month >= HOURS_PER_MONTH:
            billed_hours = HOURS_PER_MONTH
        else:  # the same instance-hours of work, spread over the instances the plan bought
            billed_hours = need.busy_hours_per_month * need.instances / a.instances
        expected = a.instances * billed_hours * (hourly or 0.0)
    if not math.isclose(expected, a.monthly_cost_usd, abs_tol=CENT):
        bad.append(f"{name}: monthly cost {a.monthly_cost_usd:,.2f} but prices give {expected:,.2f}")
    return bad


def verify(plan: Plan, workloads: list[Workload], policy: Policy, catalog: Catalog) -> list[str]:
    """Every violation found in `plan`; an empty list means the plan holds."""
    if plan.status in ("infeasible", "timeout"):
        return [] if not plan.assignments else [f"a plan with status {plan.status} must not carry assignments"]
    found: list[str] = []
    by_name = {w.name: w for w in workloads}
    placed: dict[str, int] = defaultdict(int)
    for a in plan.assignments:
        placed[a.workload] += 1
        if a.workload not in by_name:
            found.append(f"{a.workload}: not a workload of the inputs")
            continue
        found.extend(_check_assignment(by_name[a.workload], a, policy, catalog))
    for name in by_name:
        if placed[name] != 1:
            found.append(f"{name}: placed {placed[name]} times, expected exactly once")
    total = sum(a.monthly_cost_usd for a in plan.assignments)
    if plan.total_monthly_cost_usd is None or not math.isclose(total, plan.total_monthly_cost_usd, abs_tol=CENT * 2):
        found.append(f"total {plan.total_monthly_cost_usd} != sum of assignments {total:,.2f}")
    spends = [Spend(a.provider, catalog.accelerators[a.accelerator].vendor, a.team, round(a.monthly_cost_usd * 100),
                    catalog.providers[a.provider].kind if a.provider in catalog.providers else "cloud")
              for a in plan.assignments if a.accelerator in catalog.accelerators]
    found.extend(policy_violations(spends, policy))
    return found
