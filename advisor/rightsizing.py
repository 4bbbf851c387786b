"""Right-sizing: placements busy only a small share of their capacity, and what smaller option
was ruled out and why.

A placement's utilisation at peak is the load routed to it over what its instances carry:
for a real-time service the requests/s of each route over that route's rate per instance,
for edge devices the sites' inferences/s over the devices' rate. Batch and training bill the
work they do, so they hold no idle capacity to report. Below RIGHT_SIZING_PCT the report says
so and names the cheapest ruled-out option on a smaller instance, with the rule that ruled it
out: the question a reviewer asks of a small model on a large node. A smaller instance holds
fewer accelerators of the same class, or is a CPU-only instance where the placement holds
accelerators (vCPUs and GPUs are not counted against each other).
"""

from __future__ import annotations

from advisor.candidates import RULES, RuledOut
from advisor.catalog.models import Catalog
from advisor.plan import Assignment, RightSizing
from advisor.workload.models import EdgeInference, RealtimeInference, Workload

RIGHT_SIZING_PCT = 20.0
"""Utilisation at peak below which a placement is reported as oversized."""


def peak_utilisation_pct(w: Workload, a: Assignment) -> float | None:
    """The share of a placement's capacity its load uses at peak; None where it does not apply."""
    if a.instances < 1 or a.estimate.throughput_per_instance <= 0:
        return None
    if isinstance(w, RealtimeInference):
        users = w.traffic.users
        total = sum(users.values())
        sizes = {b.name: b.share for b in w.traffic.mix or []}
        busy = 0.0
        for r in a.serves:
            rps = w.traffic.peak_rps * users.get(r.location, 0.0) / total * sizes.get(r.size or "", 1.0)
            busy += rps * r.share_pct / 100 / (r.throughput_per_instance or a.estimate.throughput_per_instance)
        if not a.serves:
            return 0.0 if a.load_share_pct == 0 else None
        return round(100 * busy / a.instances, 1)
    if isinstance(w, EdgeInference):
        need = w.sites.count * w.sites.inferences_per_s
        return round(100 * need / (a.instances * a.estimate.throughput_per_instance), 1)
    return None


def right_sizing(w: Workload, rows: list[Assignment], ruled_out: list[RuledOut],
                 catalog: Catalog) -> list[RightSizing]:
    """Each of the workload's placements busy less than RIGHT_SIZING_PCT at peak, with the cheapest
    ruled-out option on an instance of fewer accelerators and the rules against it."""
    out = []
    for a in rows:
        used = peak_utilisation_pct(w, a)
        if used is None or used >= RIGHT_SIZING_PCT:
            continue
        size = _size(catalog, a.provider, a.instance)
        smaller = [r for r in ruled_out if _size(catalog, r.provider, r.offering) < size]
        best = min(smaller, key=lambda r: (r.monthly_cost_cents is None, r.monthly_cost_cents or 0, r.provider,
                                           r.region, r.offering, r.pricing), default=None)
        out.append(RightSizing(
            placement=a.placement, utilisation_pct=used,
            smaller_option=None if best is None else f"{best.offering} ({best.provider} {best.region}, {best.pricing})",
            smaller_monthly_usd=None if best is None or best.monthly_cost_cents is None
            else round(best.monthly_cost_cents / 100, 2),
            ruled_out_by=[] if best is None else [RULES.get(rule, rule) for rule in best.rules],
            reasons=[] if best is None else list(best.reasons)))
    return out


def _size(catalog: Catalog, provider: str, name: str) -> tuple[int, int]:
    """(1 with accelerators, 0 CPU-only; accelerators or vCPUs per instance): smaller sorts first."""
    offering = catalog.offerings.get(f"{provider}:{name}")
    if offering is None:
        return 1 << 30, 1 << 30
    accelerator = catalog.accelerators.get(offering.accelerator)
    return int(accelerator is None or accelerator.kind != "cpu"), offering.accelerator_count
