"""The plan's risk register: what could go wrong with a feasible plan, generated from its rows.

Each rule reads the finished plan (its rows, workload totals and spend) and the policy, never the
solver, so the register states what the report's tables show: spot exposure and its fallback,
services in one region, spend concentrated near a lock-in cap, figures resting on estimates,
capacity bought but little used, and allocations large enough to be hard to get. Thresholds are
named constants below, and docs/ARCHITECTURE.md lists them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from advisor.catalog.models import BOUGHT
from advisor.plan import Assignment, Risk, Share, WorkloadPlan
from advisor.render.formats import ms, usd
from advisor.workload.models import Policy

CAP_MARGIN_PCT = 5.0
"""A capped share within this many points of its cap is a risk: a small price change breaks the cap."""
CONCENTRATION_PCT = 70.0
"""Without a cap, one provider or vendor holding this share of the spend is a concentration risk."""
LOW_USE_PCT = 50.0
"""Committed capacity used less than this on average (under a traffic profile) is a risk."""
LARGE_ALLOCATION_GPUS = 32
"""Rented accelerators of one type in one provider region, from this many, may need a capacity
reservation or a quota increase (64 and more: high)."""
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
KIND_ORDER = {"single_region": 0, "capacity": 1, "spot": 2, "lock_in": 3, "low_utilisation": 4, "estimate": 5}
"""Within a severity, what stops a service or a deadline comes before what costs money."""


def _names(items: Iterable[str], most: int = 4) -> str:
    """'a, b and c', or 'a, b, c, d and 3 more'."""
    listed = sorted(set(items))
    if len(listed) > most:
        return ", ".join(listed[:most]) + f" and {len(listed) - most} more"
    return ", ".join(listed[:-1]) + (" and " if len(listed) > 1 else "") + listed[-1] if listed else ""


def _spot(rows: list[Assignment], plans: list[WorkloadPlan]) -> list[Risk]:
    found = []
    by_workload: dict[str, list[Assignment]] = defaultdict(list)
    for a in rows:
        if a.pricing == "spot":
            by_workload[a.workload].append(a)
    share = {p.workload: p.spot_share_pct for p in plans}
    for w, spot in sorted(by_workload.items()):
        fallback = sum(a.fallback_monthly_usd or 0.0 for a in spot)
        reclaimed = max((a.spot_interruption_pct or 0.0) for a in spot)
        kind = spot[0].kind
        found.append(Risk(
            kind="spot", severity="medium" if kind == "training" else "low", subject=w,
            risk=f"{share.get(w) or 100:g}% of its work runs on spot ("
                 + "; ".join(f"{a.instances} x {a.instance}, {a.provider} {a.region}" for a in spot)
                 + f"); the plan assumes up to {reclaimed:g}% of that capacity is reclaimed while it runs.",
            mitigation=f"The on-demand fallback is priced in ({usd(fallback)} a month); the "
                       + ("deadline" if kind == "training" else "window")
                       + " holds only if on-demand capacity of the same instance is there when spot is reclaimed, "
                         "and the work must checkpoint to resume."))
    return found


def _single_region(plans: list[WorkloadPlan]) -> list[Risk]:
    found = []
    for p in plans:
        if p.kind != "realtime-inference" or p.survive_region_loss or len(p.regions) != 1:
            continue
        locations = sorted({r.location for r in p.routing})
        many = len(locations) > 1
        found.append(Risk(
            kind="single_region", severity="high" if many else "medium", subject=p.workload,
            risk=f"served from one region only ({p.regions[0]})"
                 + (f" for users in {_names(locations)}" if many else "")
                 + ": an outage there stops the service.",
            mitigation="Set constraints.survive_region_loss: true (or min_regions: 2); the constraint table "
                       "then states what that costs."))
    return found


def _concentration(spend: list[Share], cap: float | None, what: str, setting: str,
                   counted: Callable[[str], bool]) -> list[Risk]:
    counted_spend = [s for s in spend if counted(s.name)]
    total = sum(s.monthly_cost_usd for s in counted_spend)
    if total <= 0:
        return []
    found = []
    for s in counted_spend:
        share = 100 * s.monthly_cost_usd / total
        if cap is not None and cap < 100 and share >= cap - CAP_MARGIN_PCT:
            found.append(Risk(
                kind="lock_in", severity="medium", subject=s.name,
                risk=f"{s.name} holds {share:.1f}% of the {what} spend, against the {cap:g}% cap ({setting}).",
                mitigation="A price change or a new workload on it may break the cap; the constraint table states "
                           "what the cap costs now."))
        elif cap is None and share >= CONCENTRATION_PCT and len(counted_spend) >= 1 and total >= 1.0:
            found.append(Risk(
                kind="lock_in", severity="low", subject=s.name,
                risk=f"{s.name} holds {share:.1f}% of the {what} spend, and the policy sets no cap ({setting}).",
                mitigation=f"Set {setting} to cap the dependence; the plan then says what the cap costs."))
    return found


def _estimates(rows: list[Assignment], total: float) -> list[Risk]:
    found = []
    priced = [a for a in rows if a.price_is_estimate]
    if priced:
        amount = sum(a.monthly_cost_usd for a in priced)
        found.append(Risk(
            kind="estimate", severity="medium" if total and amount >= 0.25 * total else "low",
            subject=_names(a.workload for a in priced),
            risk=f"{usd(amount)} a month rests on estimated prices ("
                 + _names(f"{a.instance} {a.pricing}" for a in priced) + ").",
            mitigation="Ask the vendor for a quote before committing; each row's price source says where the "
                       "estimate comes from."))
    modelled = [a for a in rows if a.estimate.basis == "roofline"]
    if modelled:
        amount = sum(a.monthly_cost_usd for a in modelled)
        found.append(Risk(
            kind="estimate", severity="low", subject=_names(a.workload for a in modelled),
            risk=f"sized by the performance model without a measurement ({usd(amount)} a month): a real "
                 "throughput or latency may differ.",
            mitigation="Add a measurement (measured: in the workload) or benchmark before buying; "
                       "docs/PERFORMANCE_MODEL.md states the model's errors."))
    return found


def _objectives_at_risk(a: Assignment) -> list[str]:
    """The latency objectives a placement meets only inside its estimate's band: its compute share
    (the figure less the network round trip) raised by the band goes over the objective."""
    band = a.estimate.band_pct
    if band is None:
        return []
    rtt = a.network_rtt_ms or 0.0
    found = []
    objectives = (("p95 latency", a.latency_ms, a.slo_p95_latency_ms, rtt), ("TTFT", a.ttft_ms, a.slo_ttft_ms, rtt),
                  ("TPOT", a.tpot_ms, a.slo_tpot_ms, 0.0))
    for label, value, limit, network in objectives:
        if value is not None and limit is not None and network + (value - network) * (1 + band / 100) > limit:
            found.append(f"{label} {ms(value)} against {ms(limit)}")
    return found


def _inside_band(rows: list[Assignment]) -> list[Risk]:
    """One risk per workload. Placements on different accelerators can carry different bands, so
    when they do, each objective names its own band; when they agree, the band is stated once."""
    found = []
    at_risk: dict[str, list[tuple[str, str]]] = defaultdict(list)
    placements = Counter(a.workload for a in rows)
    for a in rows:
        for objective in _objectives_at_risk(a):
            several = placements[a.workload] > 1
            at_risk[a.workload].append((f"{objective} (placement {a.placement})" if several else objective,
                                        a.estimate.band or ""))
    for w, objectives in sorted(at_risk.items()):
        bands = {band for _, band in objectives}
        if len(bands) == 1:
            text = f"inside the estimate's band {bands.pop()}: " + "; ".join(o for o, _ in objectives)
        else:
            text = "inside their estimates' bands: " + "; ".join(f"{o}, band {band}" for o, band in objectives)
        found.append(Risk(
            kind="estimate", severity="medium", subject=w,
            risk=f"meets its objectives only {text}.",
            mitigation="Measure it on the hardware (measured: in the workload), or plan with headroom."))
    return found


def _low_use(plans: list[WorkloadPlan]) -> list[Risk]:
    found = []
    for p in plans:
        if p.right_sizing:
            busy = [f"{r.utilisation_pct:g}%" + (f" (placement {r.placement})" if p.placements > 1 else "")
                    for r in p.right_sizing]
            smaller = sorted({r.smaller_option for r in p.right_sizing if r.smaller_option})
            found.append(Risk(
                kind="low_utilisation", severity="medium", subject=p.workload,
                risk=f"busy only {_names(busy)} of {'its' if len(busy) == 1 else 'their'} capacity at peak"
                     + (f"; the smaller {_names(smaller)} was ruled out" if smaller else "") + ".",
                mitigation="Check the rules that rule out smaller hardware (the workload's right-sizing note), "
                           "or share the hardware with other services."))
        for c in p.commitments:
            if c.utilisation_pct < LOW_USE_PCT:
                found.append(Risk(
                    kind="low_utilisation", severity="medium", subject=p.workload,
                    risk=f"{c.instances} committed instances ({c.pricing}) are used {c.utilisation_pct:g}% on "
                         f"average; {usd(c.total_liability_usd)} is owed over {c.term_months} months either way.",
                    mitigation="Commit to fewer and rent the rest by the hour if the traffic profile is uncertain."))
    return found


def _capacity(rows: list[Assignment], cpus: frozenset[str]) -> list[Risk]:
    gpus: dict[tuple[str, str, str], int] = defaultdict(int)
    users: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for a in rows:
        if a.pricing in BOUGHT or a.accelerator in cpus or a.mig_profile:
            continue
        key = (a.provider, a.region, a.accelerator)
        gpus[key] += a.accelerator_count
        users[key].add(a.workload)
    return [Risk(kind="capacity", severity="high" if n >= 2 * LARGE_ALLOCATION_GPUS else "medium",
                 subject=f"{provider}:{region}",
                 risk=f"{n} x {accelerator} rented in {provider} {region} "
                      f"({_names(users[provider, region, accelerator])}) may be hard to get at once.",
                 mitigation="Confirm the quota and capacity with the provider, or reserve it; a quota in the policy "
                            "(quotas:) makes the plan respect the limit you are given.")
            for (provider, region, accelerator), n in sorted(gpus.items()) if n >= LARGE_ALLOCATION_GPUS]


def risk_register(rows: list[Assignment], plans: list[WorkloadPlan], policy: Policy, providers: list[Share],
                  vendors: list[Share], counted_providers: frozenset[str], cpus: frozenset[str]) -> list[Risk]:
    """Every risk of a feasible plan, the most severe first (then by kind and subject); `cpus`:
    the accelerators listed per vCPU, which no capacity risk counts."""
    total = sum(a.monthly_cost_usd for a in rows)
    cap = policy.lock_in
    found = [*_spot(rows, plans), *_single_region(plans),
             *_concentration(providers, cap.max_provider_share_pct, "counted provider",
                             "lock_in.max_provider_share_pct", lambda name: name in counted_providers),
             *_concentration(vendors, cap.max_vendor_share_pct, "accelerator vendor",
                             "lock_in.max_vendor_share_pct", lambda name: True),
             *_estimates(rows, total), *_inside_band(rows), *_low_use(plans), *_capacity(rows, cpus)]
    return sorted(found, key=lambda r: (SEVERITY_ORDER[r.severity], KIND_ORDER[r.kind], r.subject))
