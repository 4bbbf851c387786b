"""Candidates: every (offering, region, pricing) option per workload, with cost and latency.

Each check is a named rule, so an option ruled out keeps the names and the reasons of every
rule it breaks, and explanations can ask "what if this rule were relaxed?" by disabling it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from advisor.catalog.models import (
    HOURS_PER_MONTH,
    PRICING_MODELS,
    Accelerator,
    Catalog,
    Offering,
    PricingModel,
)
from advisor.demand import BATCH_UNITS, RT_UNITS_PER_RPS, demand_units, splits_by_count
from advisor.estimate import Sizing, Unfit, size
from advisor.estimate.sizing import MAX_INSTANCES
from advisor.strict import Strict
from advisor.topology import Topology
from advisor.workload.models import (
    BatchInference,
    EdgeInference,
    Measurement,
    Policy,
    RealtimeInference,
    Training,
    Workload,
)

EDGE_SITE = "site"
"""Region name of edge options: devices stand at the workload's own sites."""

RULES: dict[str, str] = {
    "kind_match": "edge devices serve only edge-inference, and edge-inference only runs on them",
    "memory_fit": "the model fits the offering's memory",
    "precision": "the accelerator runs the model's precision",
    "training_support": "training needs an accelerator made for training",
    "fabric": "multi-instance jobs need a high-bandwidth fabric",
    "allowed_providers": "policy: allowed providers",
    "providers": "workload: allowed providers",
    "regions": "workload: allowed regions",
    "accelerators": "workload: allowed accelerators",
    "jurisdiction": "workload: data residency (jurisdictions)",
    "portable": "workload: portable software stack only",
    "spot_interruptible": "spot capacity only for interruptible work",
    "spot_realtime": "real-time serving never runs on spot capacity",
    "pricing": "workload: allowed pricing models",
    "max_replicas": "workload: at most max_replicas instances (a training job or an edge fleet)",
    "latency_slo": "workload: latency objectives (p95, TTFT, TPOT)",
    "power_budget": "workload: power budget per edge site",
    "capacity": "the fleet size stays within what can be bought",
}
PHYSICAL_RULES = frozenset({"kind_match", "memory_fit", "precision", "training_support", "fabric", "spot_realtime",
                            "capacity"})
"""Rules no relaxation can lift: they describe what the hardware can do."""


class Option(Strict):
    """One way to run (part of) one workload: an offering in a region at a pricing model.

    The placement model buys integer *units* of an option: `capacity` load units each
    (advisor.demand), costing `count_cost_cents` a month each, plus `load_cost_cents` for
    carrying the workload's whole demand (hourly billing of batch and training work is
    proportional to the work, not to the instances held). `instances`, `monthly_cost_cents`
    and `latency_ms` describe the option carrying the whole workload alone, as reports show it.
    A real-time option serves the user locations in `serves`: the ones whose round trip its
    serving point was sized for (a variant per reach).
    """

    workload: str
    kind: str
    team: str
    provider: str
    region: str
    jurisdiction: str | None
    offering: str
    accelerator: str
    vendor: str
    pricing: PricingModel
    instances: int
    accelerator_count: int
    unit_monthly_usd: float | None = None
    hourly_usd: float | None = None
    monthly_cost_cents: int
    latency_ms: float | None = None
    network_rtt_ms: float | None = None
    carbon_kg_per_month: float | None = None
    sizing: Sizing
    price_source: str
    price_as_of: str
    price_estimate: bool
    capacity: float = 1.0
    count_cost_cents: float = 0.0
    load_cost_cents: float = 0.0
    unit_instances: int = 1
    max_count: int = 1
    serves: tuple[str, ...] = ()
    failover_serves: tuple[str, ...] = ()
    serve_rtt_ms: tuple[float, ...] = ()  # network round trip to each location in `serves`
    full_reach: bool = True

    @cached_property
    def key(self) -> str:
        """Identifies the option within its workload (fleets read it often: computed once)."""
        base = f"{self.provider}:{self.region}:{self.offering}:{self.pricing}"
        return base if self.full_reach else f"{base}|{'+'.join(self.serves)}"

    @property
    def region_key(self) -> str:
        return f"{self.provider}:{self.region}"

    @property
    def monthly_cost_usd(self) -> float:
        return self.monthly_cost_cents / 100


@dataclass(frozen=True)
class RuledOut:
    """An option that breaks at least one rule; cost is known when sizing succeeded."""

    workload: str
    provider: str
    region: str
    offering: str
    pricing: str
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    monthly_cost_cents: int | None = None
    latency_ms: float | None = None


@dataclass
class CandidateSet:
    options: dict[str, list[Option]] = field(default_factory=dict)
    ruled_out: dict[str, list[RuledOut]] = field(default_factory=dict)
    provider_kinds: dict[str, str] = field(default_factory=dict)  # provider -> cloud, gpu-cloud, onprem, edge
    demands: dict[str, dict[str, int]] = field(default_factory=dict)  # workload -> stream -> units
    limits: dict[str, WorkloadLimits] = field(default_factory=dict)
    unserved: dict[str, list[str]] = field(default_factory=dict)  # real-time user locations no option can serve
    solved: dict[tuple[object, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    """The solver's memo of what it computed from these candidates (fingerprints of each workload's options)."""


@dataclass(frozen=True)
class WorkloadLimits:
    """What the placement model needs to know of a workload beyond its options."""

    kind: str
    team: str
    min_replicas: int = 1
    max_replicas: int | None = None
    by_count: bool = False  # min/max replicas count instances (real-time and batch)
    min_regions: int | None = None
    survive_region_loss: bool = False


@dataclass(frozen=True)
class _Slot:
    """One priced place an offering can run: region, pricing model and the price record."""

    region: str
    jurisdiction: str | None
    region_key: str | None
    pricing: PricingModel
    hourly: float | None
    unit_monthly: float | None
    source: str
    as_of: str
    estimate: bool
    carbon: float | None


def _slots(offering: Offering, catalog: Catalog) -> Iterator[_Slot]:
    if offering.purchase is not None:
        p = offering.purchase
        regions = offering.regions or [EDGE_SITE]
        for name in regions:
            region = catalog.region(offering.provider, name)
            yield _Slot(name, region.jurisdiction if region else None, region.key if region else None,
                        "capex", None, p.monthly_usd, p.source, str(p.as_of), p.estimate,
                        region.carbon_gco2_per_kwh if region else None)
        return
    for price in offering.prices:
        region = catalog.region(offering.provider, price.region)
        assert region is not None  # checked when the catalog loads
        for pricing in PRICING_MODELS:
            hourly = price.hourly(pricing)
            if hourly is None:
                continue
            yield _Slot(price.region, region.jurisdiction, region.key, pricing, hourly, None,
                        price.source, str(price.as_of), price.estimate or pricing == "spot",
                        region.carbon_gco2_per_kwh)


def _static_rules(w: Workload, policy: Policy, offering: Offering, acc: Accelerator,
                  slot: _Slot) -> list[tuple[str, str]]:
    """Rules that depend only on where and how the option is bought, not on its size."""
    c = w.constraints
    broken: list[tuple[str, str]] = []
    edge_workload = isinstance(w, EdgeInference)
    if edge_workload != (acc.kind == "edge"):
        broken.append(("kind_match", "edge-inference needs site devices" if edge_workload
                       else f"{acc.name} is an edge device"))
    if policy.allowed_providers is not None and offering.provider not in policy.allowed_providers:
        broken.append(("allowed_providers", f"policy does not allow provider {offering.provider}"))
    if c.providers is not None and offering.provider not in c.providers:
        broken.append(("providers", f"workload allows only {', '.join(c.providers)}"))
    if c.regions is not None and f"{offering.provider}:{slot.region}" not in c.regions:
        broken.append(("regions", f"workload allows only {', '.join(c.regions)}"))
    if c.accelerators is not None and acc.name not in c.accelerators:
        broken.append(("accelerators", f"workload allows only {', '.join(c.accelerators)}"))
    if (c.jurisdictions is not None and not edge_workload
            and (slot.jurisdiction is None or slot.jurisdiction not in c.jurisdictions)):
        broken.append(("jurisdiction", f"{slot.region} is in jurisdiction {slot.jurisdiction}, "
                       f"workload allows {', '.join(c.jurisdictions)}"))
    if c.portable and not acc.portable:
        broken.append(("portable", f"{acc.name} needs the {acc.software_stack} stack, which is not portable"))
    if slot.pricing == "spot" and isinstance(w, RealtimeInference):
        broken.append(("spot_realtime", "spot capacity can be reclaimed at any time; real-time serving needs it"))
    elif slot.pricing == "spot" and not c.spot:
        broken.append(("spot_interruptible", "spot capacity can be reclaimed; the workload does not allow spot"))
    if c.pricing is not None and slot.pricing not in c.pricing:
        broken.append(("pricing", f"workload allows only {', '.join(c.pricing)} pricing"))
    return broken


def monthly_cost_usd(sizing: Sizing, slot_pricing: str, hourly: float | None, unit_monthly: float | None) -> float:
    """On-demand and spot bill busy hours; commitments bill the whole month; capex amortises."""
    if slot_pricing == "capex":
        return sizing.instances * (unit_monthly or 0.0)
    hours = HOURS_PER_MONTH if slot_pricing in ("reserved_1y", "reserved_3y") else sizing.busy_hours_per_month
    return sizing.instances * hours * (hourly or 0.0)


def with_catalog_measurements(w: Workload, catalog: Catalog) -> Workload:
    """The workload with the catalog's measurements of its model added; its own measurements win."""
    own = {m.accelerator for m in w.measured}
    figures = set(Measurement.model_fields)  # every figure both records carry: none is dropped on the way
    shared = [Measurement(**m.model_dump(include=figures))
              for m in catalog.measurements.values() if m.model == w.model.name and m.accelerator not in own]
    return w.model_copy(update={"measured": [*w.measured, *shared]}) if shared else w


SIZING_RULES = frozenset({"latency_slo", "power_budget"})
"""Relaxable rules checked while sizing; relaxing one sizes the workload without that limit."""


def _relaxed(w: Workload, rules: frozenset[str]) -> Workload:
    """The workload without the sizing limits named in `rules`."""
    if "latency_slo" in rules and isinstance(w, (RealtimeInference, EdgeInference)):
        unlimited = {"p95_latency_ms": None, "ttft_ms": None, "tpot_ms": None}  # not validated: no objective left
        w = w.model_copy(update={"slo": w.slo.model_copy(update=unlimited)})
    if "power_budget" in rules and isinstance(w, EdgeInference):
        w = w.model_copy(update={"sites": w.sites.model_copy(update={"max_power_w": None})})
    return w


class _Sizer:
    """Sizes one workload, with some sizing rules relaxed; caches per (offering, network RTT)
    so that regions share the work."""

    def __init__(self, workload: Workload, catalog: Catalog, topology: Topology, relaxed: frozenset[str]):
        self.w = _relaxed(with_catalog_measurements(workload, catalog), relaxed & SIZING_RULES)
        self.catalog = catalog
        self.topology = topology
        self.cache: dict[tuple[str, float], Sizing | Unfit] = {}

    def rtt(self, region_key: str | None) -> float | None:
        if isinstance(self.w, RealtimeInference) and region_key is not None:
            return self.topology.worst_rtt(self.w.traffic.users, region_key)
        return None

    def __call__(self, offering: Offering, rtt: float | None) -> Sizing | Unfit:
        key = (offering.key, rtt if rtt is not None else -1.0)
        if key not in self.cache:
            try:
                self.cache[key] = size(self.w, offering, self.catalog.accelerators[offering.accelerator], rtt)
            except Unfit as unfit:
                self.cache[key] = unfit
        return self.cache[key]

    def blame_network(self, offering: Offering, region_key: str, unfit: Unfit) -> str:
        """The latency reason, naming the user locations that break the objective when nearer
        users alone would be served in time (the slowest location decides; routing each location
        to its own region is not modelled)."""
        if not isinstance(self.w, RealtimeInference):
            return unfit.reason
        users = self.w.traffic.users
        rtts = {location: self.topology.rtt(location, region_key) for location in users}
        if isinstance(self(offering, min(rtts.values())), Unfit):
            return unfit.reason  # too slow even for the nearest users: not the network's fault
        too_far = [location for location in sorted(users, key=lambda loc: (-rtts[loc], loc))
                   if isinstance(self(offering, rtts[location]), Unfit)]
        places = "; ".join(f"users in {location} ({_share(users[location])} of traffic) are "
                           f"{rtts[location]:.0f} ms away from {region_key}" for location in too_far)
        return (f"{places}, too far for the {_objectives(self.w)} objective ({unfit.reason}); this region "
                f"serves only the nearer users, and the others need a region within reach")


def _share(share: float) -> str:
    return f"{100 * share:.3g}%"


def _objectives(w: RealtimeInference) -> str:
    slo = w.slo
    parts = [f"{value:g} ms {label}" for label, value in
             (("p95", slo.p95_latency_ms), ("TTFT", slo.ttft_ms), ("TPOT", slo.tpot_ms)) if value is not None]
    return ", ".join(parts)


def _options_for(w: Workload, policy: Policy, catalog: Catalog, topology: Topology,
                 disabled: frozenset[str], out: CandidateSet, slots: dict[str, list[_Slot]]) -> None:
    options: list[Option] = []
    ruled_out: list[RuledOut] = []
    sizer = _Sizer(w, catalog, topology, disabled)
    # the same workload without a latency limit: what an option ruled out by latency would cost
    unlimited = _Sizer(w, catalog, topology, disabled | {"latency_slo"})
    demand = demand_units(w)
    for offering in catalog.offerings.values():
        acc = catalog.accelerators[offering.accelerator]
        for slot in slots[offering.key]:
            broken = [r for r in _static_rules(w, policy, offering, acc, slot) if r[0] not in disabled]
            kind_mismatch = [reason for rule, reason in broken if rule == "kind_match"]
            if kind_mismatch:
                ruled_out.append(RuledOut(w.name, offering.provider, slot.region, offering.name, slot.pricing,
                                          ("kind_match",), tuple(kind_mismatch)))
                continue
            rtt = sizer.rtt(slot.region_key)
            sizing = sizer(offering, rtt)
            partial: list[Option] = []
            if isinstance(sizing, Unfit) and sizing.rule == "latency_slo" and not broken:
                partial = _partial_variants(w, sizer, offering, acc, slot, demand)
            cost_cents = latency = None
            if isinstance(sizing, Unfit):
                if partial:  # nearer users can be served from here: the option stays, for them
                    options.extend(partial)
                reason = sizing.reason
                if sizing.rule == "latency_slo" and slot.region_key is not None:
                    reason = sizer.blame_network(offering, slot.region_key, sizing)
                broken.append((sizing.rule, reason))
                if sizing.rule == "latency_slo":
                    relaxed = unlimited(offering, rtt)
                    if isinstance(relaxed, Sizing):
                        cost_cents = _cents(relaxed, slot)
                        latency = _latency(relaxed, rtt)
            else:
                cost_cents = _cents(sizing, slot)
                latency = _latency(sizing, rtt)
                mx = w.constraints.max_replicas  # real-time and batch: a model family over all placements
                if (mx is not None and not splits_by_count(w) and sizing.instances > mx
                        and "max_replicas" not in disabled):
                    broken.append(("max_replicas", f"needs {sizing.instances} instances, max_replicas is {mx}"))
            if broken:
                ruled_out.append(RuledOut(w.name, offering.provider, slot.region, offering.name, slot.pricing,
                                          tuple(r for r, _ in broken), tuple(m for _, m in broken),
                                          cost_cents, latency))
                continue
            assert isinstance(sizing, Sizing)
            option = _option(w, offering, acc, slot, sizing, rtt, cost_cents or 0)
            options.append(_with_units(w, option, sizing, slot, demand, tuple(demand), sizer, offering))
            if isinstance(w, RealtimeInference) and len(demand) > 1:
                options.extend(_partial_variants(w, sizer, offering, acc, slot, demand, below=rtt))
    options.sort(key=lambda o: (not o.full_reach, o.monthly_cost_cents, o.latency_ms or 0.0, o.key))
    served = {s for o in options for s in (o.serves or demand)}
    out.unserved[w.name] = sorted(set(demand) - served)
    out.options[w.name] = options
    out.ruled_out[w.name] = ruled_out
    out.demands[w.name] = demand
    c = w.constraints
    out.limits[w.name] = WorkloadLimits(
        kind=w.kind, team=w.team, min_replicas=c.min_replicas, max_replicas=c.max_replicas,
        by_count=splits_by_count(w), min_regions=c.min_regions, survive_region_loss=c.survive_region_loss)


def _partial_variants(w: Workload, sizer: _Sizer, offering: Offering, acc: Accelerator, slot: _Slot,
                      demand: dict[str, int], below: float | None = None) -> list[Option]:
    """Real-time options sized for the nearer user locations only, one per reach (round trip).

    A replica that serves only nearby users has more of the latency objective left for compute,
    so it may run a larger batch; a variant is kept only when its serving point differs from the
    next wider one (else the wider one serves the same users at the same price).
    """
    if not isinstance(w, RealtimeInference) or slot.region_key is None:
        return []
    rtts = {loc: sizer.topology.rtt(loc, slot.region_key) for loc in demand}
    reaches = sorted({r for r in rtts.values() if below is None or r < below - 1e-9}, reverse=True)
    variants: list[Option] = []
    wider: Sizing | None = None
    for reach in reaches:
        serves = tuple(sorted(loc for loc, r in rtts.items() if r <= reach + 1e-9))
        if len(serves) == len(demand):
            continue  # the full-reach option is built by the caller
        sizing = sizer(offering, reach)
        if isinstance(sizing, Unfit):
            continue
        if wider is not None and sizing.throughput_per_instance <= wider.throughput_per_instance:
            continue  # no faster than a variant that serves more users
        option = _option(w, offering, acc, slot, sizing, reach, _cents(sizing, slot))
        variants.append(_with_units(w, option, sizing, slot, demand, serves, sizer, offering))
        wider = sizing
    return variants


def _unit_costs(w: Workload, sizing: Sizing, slot: _Slot) -> tuple[float, float, int]:
    """(cost of one unit in cents a month, cost of the whole demand's work in cents, instances per unit)."""
    held = HOURS_PER_MONTH * 100 * (slot.hourly or 0.0)
    if isinstance(w, EdgeInference):
        return sizing.instances * 100 * (slot.unit_monthly or 0.0), 0.0, sizing.instances
    unit_instances = sizing.instances if isinstance(w, Training) else 1
    if slot.pricing == "capex":
        return unit_instances * 100 * (slot.unit_monthly or 0.0), 0.0, unit_instances
    if slot.pricing in ("reserved_1y", "reserved_3y") or isinstance(w, RealtimeInference):
        return unit_instances * held, 0.0, unit_instances
    work = 100 * monthly_cost_usd(sizing, slot.pricing, slot.hourly, slot.unit_monthly)
    return 0.0, work, unit_instances


def _capacity(w: Workload, sizing: Sizing, demand: dict[str, int]) -> float:
    """Load units one unit of the option carries (advisor.demand)."""
    if isinstance(w, RealtimeInference):
        return sizing.throughput_per_instance * RT_UNITS_PER_RPS
    if isinstance(w, BatchInference):
        per_instance = sizing.throughput_per_instance * 3600 * w.window_hours
        return BATCH_UNITS * per_instance / w.volume.requests_per_run
    return float(sum(demand.values()))


PADDING_FACTOR, PADDING_UNITS = 2, 2
"""Units of one option a workload may buy: twice what it needs alone, plus two. Beyond its load,
units only help to meet a share-of-spend cap by spending elsewhere, or to survive a region loss."""


def _with_units(w: Workload, option: Option, sizing: Sizing, slot: _Slot, demand: dict[str, int],
                serves: tuple[str, ...], sizer: _Sizer, offering: Offering) -> Option:
    count_cost, load_cost, unit_instances = _unit_costs(w, sizing, slot)
    capacity = _capacity(w, sizing, demand)
    if isinstance(w, (RealtimeInference, BatchInference)):
        need = math.ceil(sum(demand.values()) / capacity) if capacity > 0 else MAX_INSTANCES
        # more than the load needs only to pad a share-of-spend cap (or to survive a region loss)
        max_count = min(MAX_INSTANCES, PADDING_FACTOR * max(need, w.constraints.min_replicas) + PADDING_UNITS)
    else:
        max_count = 1
    full = len(serves) == len(demand) or not isinstance(w, RealtimeInference)
    failover = serves
    if isinstance(w, RealtimeInference) and w.constraints.failover_latency_ms is not None:
        failover = _failover_serves(w, sizing, slot, sizer)
    rtts = tuple(sizer.topology.rtt(loc, slot.region_key) for loc in serves) \
        if isinstance(w, RealtimeInference) and slot.region_key is not None else ()
    updates = dict(capacity=capacity, count_cost_cents=count_cost, load_cost_cents=load_cost, serve_rtt_ms=rtts,
                   unit_instances=unit_instances, max_count=max_count,
                   serves=serves if isinstance(w, RealtimeInference) else (), failover_serves=failover,
                   full_reach=full)
    if not full:  # alone, a partial option could not serve everyone: rank it by its unit cost
        updates["monthly_cost_cents"] = round(max_count * count_cost + load_cost)
    return option.model_copy(update=updates)


def _failover_serves(w: RealtimeInference, sizing: Sizing, slot: _Slot, sizer: _Sizer) -> tuple[str, ...]:
    """User locations this serving point can still serve within failover_latency_ms after a region loss."""
    limit = w.constraints.failover_latency_ms or 0.0
    if slot.region_key is None:
        return ()
    served = []
    for loc in sorted(w.traffic.users):
        rtt = sizer.topology.rtt(loc, slot.region_key)
        first = sizing.ttft_ms if w.slo.ttft_ms is not None and sizing.ttft_ms is not None else None
        whole = sizing.compute_latency_ms if w.slo.p95_latency_ms is not None else None
        if all(v is None or v + rtt <= limit for v in (first, whole)):
            served.append(loc)
    return tuple(served)


def _cents(sizing: Sizing, slot: _Slot) -> int:
    return round(100 * monthly_cost_usd(sizing, slot.pricing, slot.hourly, slot.unit_monthly))


def _latency(sizing: Sizing, rtt: float | None) -> float | None:
    if sizing.compute_latency_ms is None:
        return None
    return round(sizing.compute_latency_ms + (rtt or 0.0), 1)


def _option(w: Workload, offering: Offering, acc: Accelerator, slot: _Slot, sizing: Sizing,
            rtt: float | None, cost_cents: int) -> Option:
    carbon = None
    if slot.carbon is not None and acc.tdp_w is not None:
        kwh = acc.tdp_w / 1000 * offering.accelerator_count * sizing.instances * sizing.busy_hours_per_month
        carbon = round(kwh * slot.carbon / 1000, 1)
    # model_construct: every field comes from validated catalog and workload records (hot path)
    return Option.model_construct(
        workload=w.name, kind=w.kind, team=w.team, provider=offering.provider, region=slot.region,
        jurisdiction=slot.jurisdiction, offering=offering.name, accelerator=acc.name, vendor=acc.vendor,
        pricing=slot.pricing, instances=sizing.instances,
        accelerator_count=sizing.instances * offering.accelerator_count,
        unit_monthly_usd=slot.unit_monthly, hourly_usd=slot.hourly, monthly_cost_cents=cost_cents,
        latency_ms=_latency(sizing, rtt), network_rtt_ms=None if rtt is None else round(rtt, 1),
        carbon_kg_per_month=carbon, sizing=sizing,
        price_source=slot.source, price_as_of=slot.as_of, price_estimate=slot.estimate,
    )


PROGRESS_EVERY = 250
"""Report progress after this many workloads (a large fleet takes tens of seconds)."""


def build_candidates(workloads: list[Workload], policy: Policy, catalog: Catalog, topology: Topology,
                     disabled: frozenset[str] = frozenset(),
                     progress: Callable[[str], None] | None = None) -> CandidateSet:
    """Options and ruled-out options for every workload, with `disabled` rules not applied."""
    out = CandidateSet(provider_kinds={name: p.kind for name, p in catalog.providers.items()})
    slots = {key: list(_slots(offering, catalog)) for key, offering in catalog.offerings.items()}
    for done, w in enumerate(workloads, start=1):
        _options_for(w, policy, catalog, topology, disabled, out, slots)
        if progress and done % PROGRESS_EVERY == 0 and done < len(workloads):
            progress(f"  candidates: {done}/{len(workloads)} workloads")
    return out
