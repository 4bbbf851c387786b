"""Candidates: every (offering, region, pricing) option per workload, with cost and latency.

Each check is a named rule, so an option ruled out keeps the names and the reasons of every
rule it breaks, and explanations can ask "what if this rule were relaxed?" by disabling it.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import math
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, get_args

from advisor.catalog.models import (
    BOUGHT,
    DEFAULT_SPOT_INTERRUPTION_PCT,
    HOURS_PER_MONTH,
    PRICING_MODELS,
    Accelerator,
    Catalog,
    Fleet,
    Interconnect,
    MigGpu,
    Offering,
    PricingModel,
    Provider,
    fleet_site,
)
from advisor.demand import (
    ALL,
    BATCH_UNITS,
    RT_UNITS_PER_RPS,
    bucket_of,
    bucket_workloads,
    demand_units,
    load_weights,
    location_of,
    mix_of,
    profile_levels,
    splits_by_count,
    stream,
    units_by_level,
    units_for_load,
)
from advisor.estimate import Sizing, Unfit, size
from advisor.estimate.sizing import MAX_INSTANCES
from advisor.mig import compute_share, slice_accelerator, slice_accelerators, usable_profiles, whole_gpu
from advisor.progress import Progress
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
    "cpu_model": "CPU-only offerings run fixed-cost models (GFLOPs per inference), not LLMs",
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
    "commitment_term": "policy: longest commitment term (budget.max_commitment_term_months)",
}
PHYSICAL_RULES = frozenset({"kind_match", "memory_fit", "precision", "training_support", "cpu_model", "fabric",
                            "spot_realtime", "capacity"})
"""Rules no relaxation can lift: they describe what the hardware can do."""


class Listing(NamedTuple):
    """What the catalog lists for one offering in one region at one pricing model, beyond what the
    placement model reads: one record shared by every option of that place (reports read it)."""

    jurisdiction: str | None
    accelerator: str
    unit_monthly_usd: float | None
    hourly_usd: float | None
    price_source: str
    price_as_of: str
    price_estimate: bool
    fallback_hourly_usd: float | None  # spot: the on-demand price of the same offering (it replaces reclaimed capacity)
    spot_interruption: float | None  # spot: the share of its capacity assumed reclaimed while the work runs
    region_key: str  # provider:region, as Option.region_key
    fleet: str | None = None  # the declared fleet (advisor.catalog.models.Fleet) whose units these are
    mig_profile: str | None = None  # a MIG slice of the offering's GPUs (advisor.mig): a unit is one slice


class _OptionRecord(NamedTuple):
    """Option's storage: one tuple per option, what the catalog lists of its place shared (`listing`)."""

    workload: str
    kind: str
    team: str
    provider: str
    region: str
    offering: str
    vendor: str
    pricing: PricingModel
    instances: int
    accelerator_count: int
    monthly_cost_cents: int
    latency_ms: float | None
    network_rtt_ms: float | None
    carbon_kg_per_month: float | None
    sizing: Sizing
    capacity: float
    count_cost_cents: float
    load_cost_cents: float
    unit_instances: int
    max_count: int
    serves: tuple[str, ...]
    failover_serves: tuple[str, ...]
    serve_rtt_ms: tuple[float, ...]  # network round trip to each location in `serves`
    full_reach: bool
    level_costs_cents: tuple[float, ...]  # profiled, billed by the hour: one unit running at each quieter level
    term_months: int  # committed capacity: the term it bills for (12, 36, or bought hardware's amortisation); else 0
    stream_capacity: tuple[float, ...]  # request-size mix: load units a unit carries of each stream in `serves`
    bucket_sizings: tuple[tuple[str, Sizing], ...]  # request-size mix: (bucket, its sizing) per bucket served
    key: str
    listing: Listing


class Option(_OptionRecord):
    """One way to run (part of) one workload: an offering in a region at a pricing model.

    The placement model buys integer *units* of an option: `capacity` load units each
    (advisor.demand), costing `count_cost_cents` a month each, plus `load_cost_cents` for
    carrying the workload's whole demand (hourly billing of batch and training work is
    proportional to the work, not to the instances held). `instances`, `monthly_cost_cents`
    and `latency_ms` describe the option carrying the whole workload alone, as reports show it.
    A real-time option serves the user locations in `serves`: the ones whose round trip its
    serving point was sized for (a variant per reach). For a workload with a traffic profile
    (advisor.demand.profile_levels), an option billed by the hour costs `count_cost_cents` per
    unit held through the peak hours and `level_costs_cents` per unit running through each
    quieter level's hours; a committed one (reserved, bought) bills the whole month and runs at
    every level. Under a request-size mix a unit carries each stream (location and bucket) at
    its own rate, `stream_capacity`, and `capacity` is the fastest (advisor.demand.load_weights).

    A fleet has millions of options, so an option is one immutable tuple (about 260 bytes, where
    a pydantic model took 1.3 KB): the fields the solver reads are items, what only reports read
    of the catalog's listing (`jurisdiction`, `accelerator`, prices and their source) is one
    `Listing` shared by every option of the same place. Equal options compare and hash equal.
    `Option(**fields)` takes the fields by name (`FIELDS`, defaults as `DEFAULTS`) and checks
    that none is missing or unknown; the candidates stage builds options without those checks.
    """

    __slots__ = ()

    FIELDS: ClassVar[tuple[str, ...]] = (
        "workload", "kind", "team", "provider", "region", "jurisdiction", "offering", "accelerator", "vendor",
        "pricing", "instances", "accelerator_count", "unit_monthly_usd", "hourly_usd", "monthly_cost_cents",
        "latency_ms", "network_rtt_ms", "carbon_kg_per_month", "sizing", "price_source", "price_as_of",
        "price_estimate", "capacity", "count_cost_cents", "load_cost_cents", "unit_instances", "max_count",
        "serves", "failover_serves", "serve_rtt_ms", "full_reach", "level_costs_cents", "term_months",
        "stream_capacity", "bucket_sizings", "fallback_hourly_usd", "spot_interruption", "fleet", "mig_profile")
    """The option's fields by name, in the order reports and `repr` list them."""
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "unit_monthly_usd": None, "hourly_usd": None, "latency_ms": None, "network_rtt_ms": None,
        "carbon_kg_per_month": None, "capacity": 1.0, "count_cost_cents": 0.0, "load_cost_cents": 0.0,
        "unit_instances": 1, "max_count": 1, "serves": (), "failover_serves": (), "serve_rtt_ms": (),
        "full_reach": True, "level_costs_cents": (), "term_months": 0, "stream_capacity": (),
        "bucket_sizings": (), "fallback_hourly_usd": None, "spot_interruption": None, "fleet": None,
        "mig_profile": None}

    def __new__(cls, **fields: Any) -> Option:
        unknown = sorted(fields.keys() - set(cls.FIELDS))
        missing = [name for name in cls.FIELDS if name not in fields and name not in cls.DEFAULTS]
        if unknown or missing:
            raise TypeError(f"Option: unknown fields {unknown}, missing fields {missing}")
        if fields["pricing"] not in get_args(PricingModel):
            raise ValueError(f"Option: pricing must be one of {', '.join(get_args(PricingModel))}, "
                             f"not {fields['pricing']!r}")
        return cls.model_construct(**fields)

    @classmethod
    def model_construct(cls, **fields: Any) -> Option:
        """An option from its fields by name, unchecked; a field left out is None unless it has a
        default (kept from the pydantic model, for callers written against it)."""
        values = {**cls.DEFAULTS, **fields}
        get = values.get
        provider, region = get("provider"), get("region")
        listing = Listing._make([f"{provider}:{region}" if name == "region_key" else get(name)
                                 for name in Listing._fields])
        base = option_key(str(provider), str(region), str(get("offering")), str(get("pricing")), get("mig_profile"))
        key = base if values["full_reach"] else f"{base}|{'+'.join(values['serves'])}"
        record = tuple(key if name == "key" else listing if name == "listing" else get(name)
                       for name in _OptionRecord._fields)
        return tuple.__new__(cls, record)

    def __repr__(self) -> str:
        return f"Option({', '.join(f'{name}={getattr(self, name)!r}' for name in self.FIELDS)})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _option, (tuple(self),)

    def fields(self) -> dict[str, Any]:
        """Every field by name, in `FIELDS` order."""
        return {name: getattr(self, name) for name in self.FIELDS}

    @property
    def jurisdiction(self) -> str | None:
        return self.listing.jurisdiction

    @property
    def accelerator(self) -> str:
        return self.listing.accelerator

    @property
    def unit_monthly_usd(self) -> float | None:
        return self.listing.unit_monthly_usd

    @property
    def hourly_usd(self) -> float | None:
        return self.listing.hourly_usd

    @property
    def price_source(self) -> str:
        return self.listing.price_source

    @property
    def price_as_of(self) -> str:
        return self.listing.price_as_of

    @property
    def price_estimate(self) -> bool:
        return self.listing.price_estimate

    @property
    def region_key(self) -> str:
        return self.listing.region_key

    @property
    def fleet(self) -> str | None:
        """The declared fleet whose units these are (its count caps them), if any."""
        return self.listing.fleet

    @property
    def mig_profile(self) -> str | None:
        """The MIG profile of a slice option (its units are slices of shared GPUs), else None."""
        return self.listing.mig_profile

    @property
    def pool(self) -> str | None:
        """The GPUs a slice option's slices are packed onto: its instance type, region and pricing."""
        if self.listing.mig_profile is None:
            return None
        return f"{self.provider}:{self.region}:{self.offering}:{self.pricing}"

    @property
    def fallback_hourly_usd(self) -> float | None:
        return self.listing.fallback_hourly_usd

    @property
    def spot_interruption(self) -> float | None:
        return self.listing.spot_interruption

    @property
    def monthly_cost_usd(self) -> float:
        return self.monthly_cost_cents / 100

    def load_weights(self) -> dict[str, int]:
        """Weight of a load unit of each stream in this option's capacity row ({}: all equal)."""
        return load_weights(self.capacity, self.serves, self.stream_capacity)

    def units_for(self, load: dict[str, int]) -> int:
        """Least units of this option that carry `load` (stream -> load units)."""
        return units_for_load(self.capacity, self.load_weights(), load)

    def accelerators_per_unit(self) -> int:
        """Accelerators one unit of the option holds (what a quota counts)."""
        return self.accelerator_count // max(1, self.instances) * self.unit_instances

    def sizing_of(self, bucket: str | None) -> Sizing:
        """The sizing a stream of `bucket` runs at (the option's own without a mix)."""
        return next((s for name, s in self.bucket_sizings if name == bucket), self.sizing)


def option_key(provider: str, region: str, offering: str, pricing: str, mig_profile: str | None = None) -> str:
    """The key of an option that serves every user location (a variant adds `|` and its locations)."""
    return f"{provider}:{region}:{offering}:{pricing}" + (f"#{mig_profile}" if mig_profile else "")


def _option(record: tuple[Any, ...]) -> Option:
    """An option from its record, in `_OptionRecord` order, unchecked (the hot path, and unpickling)."""
    return tuple.__new__(Option, record)


class RuledOut(NamedTuple):
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


_Record = tuple[str, str, str, str, tuple[str, ...], tuple[str, ...], "int | None", "float | None"]
"""A RuledOut without its workload: (provider, region, offering, pricing, rules, reasons, cost, latency)."""

_ruled_out = tuple.__new__  # RuledOut from a full tuple of fields, without the keyword handling (hot path)


class RuledOutByWorkload(MutableMapping[str, list[RuledOut]]):
    """Workload -> its ruled-out options, read like a dict of lists but stored compactly.

    A fleet rules out about as many options as it keeps, one per (offering, slot) a workload cannot
    use, so a list of RuledOut objects per workload grows with fleet size times catalog size. Here a
    workload keeps one tuple of records without its name, shared with every workload of the same
    shape (and each record with every workload that breaks the same rules the same way); reading a
    workload gives a new list of RuledOut, which the reader may keep or drop. A list stored with
    `[]=` is kept and given back as it is.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, list[RuledOut]] | None = None) -> None:
        self._data: dict[str, tuple[_Record, ...] | list[RuledOut]] = {}
        if items:
            self.update(items)

    def __getitem__(self, workload: str) -> list[RuledOut]:
        value = self._data[workload]
        if isinstance(value, list):
            return value
        return [_ruled_out(RuledOut, (workload, *record)) for record in value]

    def __setitem__(self, workload: str, value: list[RuledOut]) -> None:
        self._data[workload] = value

    def set_records(self, workload: str, records: tuple[_Record, ...]) -> None:
        """Store records shared with other workloads; each read adds the workload's name."""
        self._data[workload] = records

    def __delitem__(self, workload: str) -> None:
        del self._data[workload]

    def __contains__(self, workload: object) -> bool:
        return workload in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def count(self, workload: str) -> int:
        """How many options the workload has ruled out, without building them."""
        return len(self._data[workload])

    def only(self, workloads: list[str]) -> RuledOutByWorkload:
        """The records of `workloads` alone, in that order, shared with these (nothing is rebuilt)."""
        out = RuledOutByWorkload()
        out._data = {w: self._data[w] for w in workloads if w in self._data}
        return out

    def rules_used(self) -> set[str]:
        """Every rule that rules out some option of some workload, without building the records."""
        used: set[str] = set()
        for value in self._data.values():
            for record in value:
                used.update(record.rules if isinstance(record, RuledOut) else record[4])
        return used

    def __repr__(self) -> str:
        return f"RuledOutByWorkload({dict(self.items())!r})"


def pools_of(candidates: CandidateSet, w: str) -> frozenset[str]:
    """The MIG pools workload w has slice options in (advisor.mig), found once per candidate set."""
    key = ("pools", w)
    if key not in candidates.solved:
        # the listing's field first: `pool` is a property, and a fleet has 100k+ options without slices
        candidates.solved[key] = frozenset(str(o.pool) for o in candidates.options[w]
                                           if o.listing.mig_profile is not None)
    return candidates.solved[key]  # type: ignore[no-any-return]


def sharing_groups(candidates: CandidateSet) -> list[list[str]]:
    """Workloads that may share MIG GPUs, linked by slice options in a common pool (sharing a GPU
    may be cheaper than either alone, so they are planned together), each group sorted; a workload
    that shares no pool is a group of its own."""
    key = ("sharing",)
    if key not in candidates.solved:
        parent = {w: w for w in candidates.options}

        def root(w: str) -> str:
            while parent[w] != w:
                parent[w] = parent[parent[w]]
                w = parent[w]
            return w

        first: dict[str, str] = {}
        for w in sorted(candidates.options):
            for pool in sorted(pools_of(candidates, w)):
                parent[root(w)] = root(first.setdefault(pool, w))
        groups: dict[str, list[str]] = {}
        for w in sorted(candidates.options):
            groups.setdefault(root(w), []).append(w)
        candidates.solved[key] = sorted(groups.values())
    return candidates.solved[key]  # type: ignore[no-any-return]


SHARED_GPU_GROUP_MAX = 8
"""The most workloads planned together on shared MIG GPUs: the joint model of a group proves its
optimum in seconds at this size (3 in the shipped examples: 4 s), and grows with every workload
(57 small services of the 200-workload benchmark fleet did not finish in minutes). Larger groups
are planned on whole GPUs and CPUs, and the plan says so."""


def merge_ruled_out(*parts: Mapping[str, list[RuledOut]]) -> RuledOutByWorkload:
    """The ruled-out options of several candidate sets in one, later parts winning (as `{**a, **b}`),
    without building the records of a compact part."""
    merged = RuledOutByWorkload()
    for part in parts:
        if isinstance(part, RuledOutByWorkload):
            merged._data.update(part._data)
        else:
            merged.update(part)
    return merged


@dataclass
class CandidateSet:
    options: dict[str, list[Option]] = field(default_factory=dict)
    ruled_out: RuledOutByWorkload = field(default_factory=RuledOutByWorkload)
    provider_kinds: dict[str, str] = field(default_factory=dict)  # provider -> cloud, gpu-cloud, onprem, edge
    demands: dict[str, dict[str, int]] = field(default_factory=dict)  # workload -> stream -> units
    limits: dict[str, WorkloadLimits] = field(default_factory=dict)
    unserved: dict[str, list[str]] = field(default_factory=dict)  # real-time user locations no option can serve
    levels: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    """Workloads with a traffic profile: (share of peak, hours a month) per load level (advisor.demand)."""
    mig: dict[str, MigGpu] = field(default_factory=dict)
    """MIG geometry of the GPUs slice options cut (catalog/mig.yaml), by accelerator."""
    whole_gpus: frozenset[str] = frozenset()
    """Workloads kept off MIG slices because more than SHARED_GPU_GROUP_MAX could share GPUs."""
    solved: dict[tuple[object, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    """The solver's memo of what it computed from these candidates (fingerprints of each workload's options)."""

    def __post_init__(self) -> None:
        if not isinstance(self.ruled_out, RuledOutByWorkload):  # a plain dict of lists, as tests write them
            self.ruled_out = RuledOutByWorkload(self.ruled_out)

    def only(self, workloads: list[str]) -> CandidateSet:
        """These candidates for `workloads` alone (a fresh memo): a question about a few workloads
        need not read the fleet's other options. Read by key, in the order asked: summary mode asks
        this of each of 10,000 workloads, and a pass over the fleet each time was quadratic."""
        keep = list(dict.fromkeys(workloads))

        def mine(d: dict[str, Any]) -> dict[str, Any]:
            return {w: d[w] for w in keep if w in d}

        return CandidateSet(options=mine(self.options), mig=self.mig, whole_gpus=self.whole_gpus & set(keep),
                            ruled_out=self.ruled_out.only(keep),
                            provider_kinds=self.provider_kinds, demands=mine(self.demands), limits=mine(self.limits),
                            unserved=mine(self.unserved), levels=mine(self.levels))

    def with_rebuilt(self, extra: CandidateSet) -> CandidateSet:
        """These candidates with the workloads `extra` holds replaced by its versions (a fresh memo)."""
        return CandidateSet(options={**self.options, **extra.options}, mig={**self.mig, **extra.mig},
                            whole_gpus=self.whole_gpus | extra.whole_gpus,
                            ruled_out=merge_ruled_out(self.ruled_out, extra.ruled_out),
                            provider_kinds=self.provider_kinds, demands={**self.demands, **extra.demands},
                            limits={**self.limits, **extra.limits}, unserved={**self.unserved, **extra.unserved},
                            levels={**{w: v for w, v in self.levels.items() if w not in extra.options},
                                    **extra.levels})


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
    on_demand: float | None  # the on-demand price in the same region (spot's fallback)
    source: str
    as_of: str
    estimate: bool
    carbon: float | None
    fleet: str | None = None  # a declared fleet's units (capped by its count)


def _slots(offering: Offering, catalog: Catalog, fleets: list[Fleet]) -> Iterator[_Slot]:
    """The priced places of an offering: each region at each listed pricing model; bought hardware
    at each site, where a declared fleet replaces the open purchase by its own (capped) units."""
    if offering.purchase is not None:
        p = offering.purchase
        sites: list[str | None] = [*offering.regions] or [None]  # None: an edge device's own sites
        held = {site: [f for f in fleets if f.offering == offering.key and fleet_site(f, offering) == site]
                for site in sites}
        for name in offering.regions or [EDGE_SITE]:
            region = catalog.region(offering.provider, name)
            place = (name, region.jurisdiction if region else None, region.key if region else None)
            carbon = region.carbon_gco2_per_kwh if region else None
            declared = held.get(name if offering.regions else None, [])
            for fleet in declared:
                unit = p.running_usd if fleet.paid == "sunk" else p.monthly_usd
                yield _Slot(*place, fleet.pricing, None, unit, None, p.source, str(p.as_of), p.estimate, carbon,
                            fleet.name)
            if not declared:
                yield _Slot(*place, "capex", None, p.monthly_usd, None, p.source, str(p.as_of), p.estimate, carbon)
        return
    for price in offering.prices:
        region = catalog.region(offering.provider, price.region)
        assert region is not None  # checked when the catalog loads
        for pricing in PRICING_MODELS:
            hourly = price.hourly(pricing)
            if hourly is None:
                continue
            yield _Slot(price.region, region.jurisdiction, region.key, pricing, hourly, None, price.on_demand,
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
    if c.accelerators is not None and acc.name not in c.accelerators and whole_gpu(acc.name) not in c.accelerators:
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
    longest, term = policy.budget.max_commitment_term_months, commitment_months(offering, slot.pricing)
    if longest is not None and term > longest:
        broken.append(("commitment_term", f"{slot.pricing} commits for {term} months; the policy allows at most "
                       f"{longest}"))
    return broken


def spot_interruption(policy: Policy, provider: Provider | None) -> float:
    """The share of spot capacity reclaimed while work runs: the policy's figure, else the provider's
    catalog figure, else DEFAULT_SPOT_INTERRUPTION_PCT (an estimate, with its source there)."""
    pct = policy.spot_interruption_pct
    if pct is None and provider is not None:
        pct = provider.spot_interruption_pct
    return (DEFAULT_SPOT_INTERRUPTION_PCT if pct is None else pct) / 100


COMMITMENT_MONTHS = {"reserved_1y": 12, "reserved_3y": 36}


def commitment_months(offering: Offering, pricing: str) -> int:
    """The months a pricing model commits to: 12 or 36 for reservations, bought hardware's
    amortisation term; 0 for capacity billed by the hour."""
    if pricing == "capex":
        return offering.purchase.lifetime_months if offering.purchase is not None else 0
    return COMMITMENT_MONTHS.get(pricing, 0)  # owned (sunk) hardware commits to nothing new


def monthly_cost_usd(sizing: Sizing, slot_pricing: str, hourly: float | None, unit_monthly: float | None) -> float:
    """On-demand and spot bill busy hours; commitments bill the whole month; bought hardware its
    monthly figure (amortisation, energy and operations; owned: energy and operations)."""
    if slot_pricing in BOUGHT:
        return sizing.instances * (unit_monthly or 0.0)
    hours = HOURS_PER_MONTH if slot_pricing in ("reserved_1y", "reserved_3y") else sizing.busy_hours_per_month
    return sizing.instances * hours * (hourly or 0.0)


def _request_size(w: Workload) -> tuple[int | None, int | None]:
    if isinstance(w, RealtimeInference):
        return w.traffic.input_tokens, w.traffic.output_tokens
    if isinstance(w, BatchInference):
        return w.volume.input_tokens, w.volume.output_tokens
    return None, None


def with_catalog_measurements(w: Workload, catalog: Catalog) -> Workload:
    """The workload with the catalog's measurements of its model added; its own measurements win,
    and one taken at the workload's request size comes before one that names no size."""
    own = {m.accelerator for m in w.measured}
    figures = set(Measurement.model_fields)  # every figure both records carry: none is dropped on the way
    size = _request_size(w)
    fitting = [m for m in catalog.measurements.values() if m.model == w.model.name and m.accelerator not in own
               and (m.input_tokens is None or (m.input_tokens, m.output_tokens) == size)]
    fitting.sort(key=lambda m: m.input_tokens is None)  # stable: catalog order within each kind
    shared = [Measurement(**m.model_dump(include=figures)) for m in fitting]
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


_NOT_READ_BY_SIZING: dict[str, Any] = {"name": True, "team": True, "description": True, "constraints": True,
                                       "traffic": {"users": True}}


def sizing_key(w: Workload) -> str:
    """Everything `advisor.estimate.size` may read of a workload, as a string: workloads equal in it
    get equal sizings on every offering at every round trip.

    That is the whole workload but its name, team, description, constraints (sizing reads only
    min_replicas, which is kept) and user locations (sizing reads only the round trip to them, which
    the caller passes with the offering). Leaving out only what sizing is known not to read keeps the
    key safe when sizing starts to read a new field."""
    return f"{w.constraints.min_replicas}|{w.model_dump_json(exclude=_NOT_READ_BY_SIZING)}"


_NOT_SHAPE = {"name", "team", "description"}


def shape_key(w: Workload) -> str:
    """The workload but its name, team and description: workloads equal in it get the same options
    and ruled-out options (with their own names and teams)."""
    return w.model_dump_json(exclude=_NOT_SHAPE)


class _Reuse:
    """What one build computes once and shares among its workloads.

    - sizings by `sizing_key`, offering and round trip: the costly part, and fleets share models,
      request sizes and traffic figures far more often than whole workloads; a round trip between
      two that gave one sizing gets it without sizing (`_Sizings.between`);
    - the static rule checks of every slot, by workload kind and constraints (all they read);
    - whole results by `shape_key`, for workloads that differ only in name, team or description;
    - sizings, ruled-out records, their rules and reasons, and the numbers of options (costs,
      capacities, latencies), so that equal ones are stored once.

    `build_candidates(reuse=False)` gives each workload a fresh one that shares nothing and sizes
    every round trip: every workload is then computed on its own, the reference the tests compare
    the shared computation with."""

    def __init__(self, shared: bool) -> None:
        self.shared = shared
        self.sizings: dict[str, _Sizings] = {}
        self.static: dict[str, list[_StaticCheck]] = {}
        self.shapes: dict[str, _Shape] = {}
        self.records: dict[_Record, _Record] = {}
        self.floats: dict[float, float] = {}  # numbers of options and records, so that equal ones are stored once
        self.ints: dict[int, int] = {}
        self.rules: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.sizing_values: dict[Sizing, Sizing] = {}  # equal sizings (of workloads of other sizing keys): one


@dataclass(frozen=True)
class _StaticCheck:
    """The static rules one slot breaks for workloads of one kind and constraints."""

    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    kind_mismatch: _Record | None  # the whole ruled-out record when the slot is for the other kind


@dataclass(frozen=True)
class _Shape:
    """One workload's result, for the next workload of the same shape: options (of the first
    workload, renamed when reused), ruled-out records, streams with no option."""

    options: list[Option]
    records: tuple[_Record, ...]
    unserved: list[str]


class _Place:
    """One slot of one offering with what every workload reads of it, found once per build."""

    __slots__ = ("offering", "accelerator", "slot", "offering_key", "option_key", "held", "power_kw", "fixed",
                 "listing", "partial_keys", "capex", "reserved", "hourly", "unit_monthly", "term", "mig",
                 "slice_share")

    def __init__(self, offering: Offering, accelerator: Accelerator, slot: _Slot, interruption: float = 0.0,
                 mig: str | None = None, slice_share: float = 1.0):
        """`interruption`: the share of spot capacity reclaimed while work runs (spot slots only);
        `mig`: a MIG profile, for the place of one slice (`offering` and `accelerator` are then the
        slice's, and `slot` prices it at `slice_share` of the instance)."""
        self.offering, self.accelerator, self.slot, self.mig = offering, accelerator, slot, mig
        self.slice_share = slice_share  # a slice's share of its GPU (compute slices over the GPU's)
        self.offering_key = offering.key if mig is None else f"{offering.key}#{mig}"
        self.option_key = option_key(offering.provider, slot.region, offering.name, slot.pricing, mig)
        self.held = HOURS_PER_MONTH * 100 * (slot.hourly or 0.0)  # as _unit_costs computes it
        # the first factors of an option's energy, in the order _option multiplies them
        self.power_kw = None if accelerator.tdp_w is None else accelerator.tdp_w / 1000 * offering.accelerator_count
        # the option fields of the place, in _OptionRecord order: the head of the record, and the listing
        self.fixed = (offering.provider, slot.region, offering.name, accelerator.vendor, slot.pricing)
        spot = slot.pricing == "spot"
        self.listing = Listing(slot.jurisdiction, accelerator.name, slot.unit_monthly, slot.hourly, slot.source,
                               slot.as_of, slot.estimate, slot.on_demand if spot else None,
                               interruption if spot else None, f"{offering.provider}:{slot.region}", slot.fleet, mig)
        self.partial_keys: dict[tuple[str, ...], str] = {}  # locations served -> key of the variant serving them
        # a slice's GPU is held all month (the packing buys whole instances), like a reservation
        self.capex = slot.pricing in BOUGHT
        self.reserved = slot.pricing in ("reserved_1y", "reserved_3y") or mig is not None
        self.term = commitment_months(offering, slot.pricing)
        self.hourly, self.unit_monthly = slot.hourly or 0.0, slot.unit_monthly or 0.0
        if spot:  # reclaimed capacity is replaced by the same offering on demand: the blended hourly price
            self.hourly = (1 - interruption) * self.hourly + interruption * (slot.on_demand or 0.0)

    def cents(self, sizing: Sizing) -> int:
        """The month's cost in cents, as `monthly_cost_usd` computes it, with the slot's pricing read once
        (spot at its price blended with the on-demand fallback's)."""
        if self.capex:
            return round(100 * (sizing.instances * self.unit_monthly))
        hours = HOURS_PER_MONTH if self.reserved else sizing.busy_hours_per_month
        return round(100 * (sizing.instances * hours * self.hourly))


class _Sizings:
    """Sizings of workloads equal in `sizing_key`, by offering and network RTT."""

    def __init__(self, interpolate: bool) -> None:
        self.exact: dict[tuple[str, float], Sizing | Unfit] = {}
        self.interpolate = interpolate
        self.curves: dict[str, tuple[list[float], list[Sizing | Unfit]]] = {}  # offering -> RTTs sized, in order

    def between(self, offering: str, rtt: float) -> Sizing | None:
        """The sizing at `rtt` when the nearest round trips sized on each side gave that same sizing.

        Sizing is monotone in the round trip: a longer one leaves less of each latency objective,
        so it admits only serving points (or measurements) that a shorter one admits too, and the
        best of a smaller set that still holds the best of the larger one is that same point. So
        when two round trips give one sizing, every round trip between them gives it too."""
        curve = self.curves.get(offering)
        if curve is None:
            return None
        rtts, results = curve
        i = bisect.bisect_left(rtts, rtt)
        if 0 < i < len(rtts):
            low, high = results[i - 1], results[i]
            if low is high and isinstance(low, Sizing):
                return low
        return None

    def add(self, offering: str, rtt: float, found: Sizing | Unfit) -> Sizing | Unfit:
        """Record a sizing computed at `rtt`; an equal neighbour's object stands for it, so that
        runs of equal sizings share one object (and `between` compares by identity)."""
        rtts, results = self.curves.setdefault(offering, ([], []))
        i = bisect.bisect_left(rtts, rtt)
        if isinstance(found, Sizing):
            for j in (i - 1, i):
                if 0 <= j < len(results) and isinstance(results[j], Sizing) and results[j] == found:
                    found = results[j]
                    break
        rtts.insert(i, rtt)
        results.insert(i, found)
        return found


class _Sizer:
    """Sizes one workload, with some sizing rules relaxed, through the build's cache of sizings by
    `sizing_key`, offering and network RTT: regions, and workloads of the same shape, share the work."""

    def __init__(self, workload: Workload, catalog: Catalog, topology: Topology, relaxed: frozenset[str],
                 reuse: _Reuse):
        self.w = _relaxed(workload, relaxed & SIZING_RULES)
        self.catalog = catalog
        self.topology = topology
        key = sizing_key(self.w)
        self.sizings = reuse.sizings.get(key) or reuse.sizings.setdefault(key, _Sizings(reuse.shared))
        self.cache = self.sizings.exact
        self.values = reuse.sizing_values

    def __call__(self, offering: Offering, rtt: float | None) -> Sizing | Unfit:
        return self.sized(offering, offering.key, rtt)

    def sized(self, offering: Offering, offering_key: str, rtt: float | None) -> Sizing | Unfit:
        key = (offering_key, rtt if rtt is not None else -1.0)
        found = self.cache.get(key)
        if found is not None:
            return found
        if rtt is not None and self.sizings.interpolate:
            found = self.sizings.between(offering_key, rtt)
        if found is None:
            try:
                found = size(self.w, offering, self.catalog.accelerators[offering.accelerator], rtt)
                found = self.values.setdefault(found, found)  # equal sizings of other workloads: one object
            except Unfit as unfit:
                found = unfit.with_traceback(None)  # kept for the whole build: keep no frames alive
            if rtt is not None and self.sizings.interpolate:
                found = self.sizings.add(offering_key, rtt, found)
        self.cache[key] = found
        return found

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


def static_key(w: Workload) -> str:
    """What `_static_rules` reads of a workload: its kind and constraints (policy and relaxed rules
    are the build's own)."""
    return f"{w.kind}|{w.constraints.model_dump_json()}"


def _static_checks(w: Workload, policy: Policy, disabled: frozenset[str], places: list[_Place],
                   reuse: _Reuse) -> list[_StaticCheck]:
    """The static rules each place breaks for this workload, shared by workloads of one `static_key`."""
    key = static_key(w)
    found = reuse.static.get(key)
    if found is None:
        found = []
        for place in places:
            offering, slot = place.offering, place.slot
            broken = tuple(r for r in _static_rules(w, policy, offering, place.accelerator, slot)
                           if r[0] not in disabled)
            kind_mismatch = tuple(reason for rule, reason in broken if rule == "kind_match")
            record: _Record | None = None
            if kind_mismatch:
                record = (offering.provider, slot.region, offering.name, slot.pricing, ("kind_match",),
                          kind_mismatch, None, None)
            found.append(_StaticCheck(tuple(r for r, _ in broken), tuple(m for _, m in broken), record))
        reuse.static[key] = found
    return found


@dataclass
class _Region:
    """What a real-time workload reads of one region: round trips to its user locations, the worst
    one (the full-reach option's), and the reaches of the variants that serve only nearer users."""

    worst: float
    rtts: dict[str, float]
    partial: list[tuple[float, tuple[str, ...]]]  # (reach, locations served) of every variant, farthest first
    serve_rtts: dict[tuple[str, ...], tuple[float, ...]]


_Entry = tuple[tuple[bool, int, float, str], tuple[Any, ...]]
"""An option before it is built: its sort key and its record (`_OptionRecord` order)."""


class _Workload:
    """One workload's options and ruled-out records, computed slot by slot."""

    def __init__(self, w: Workload, policy: Policy, catalog: Catalog, topology: Topology,
                 disabled: frozenset[str], reuse: _Reuse, sliced: bool = True):
        self.w = w
        self.policy = policy
        self.disabled = disabled
        self.reuse = reuse
        self.topology = topology
        enriched = with_catalog_measurements(w, catalog)
        self.sizer = _Sizer(enriched, catalog, topology, disabled, reuse)
        # the same workload without a latency limit: what an option ruled out by latency would cost
        self._unlimited: _Sizer | None = None
        self._make_unlimited = lambda: _Sizer(enriched, catalog, topology, disabled | {"latency_slo"}, reuse)
        self.demand = demand_units(w)
        self.streams = tuple(self.demand)
        self.total = sum(self.demand.values())
        self.realtime = isinstance(w, RealtimeInference)
        self.users = w.traffic.users if isinstance(w, RealtimeInference) else None
        self.head = (w.name, w.kind, w.team)
        self.regions: dict[str, _Region] = {}
        self.blamed: dict[tuple[str, str], str] = {}
        self.by_count = isinstance(w, (RealtimeInference, BatchInference))
        self.min_replicas = w.constraints.min_replicas
        self.failover = isinstance(w, RealtimeInference) and w.constraints.failover_latency_ms is not None
        self.levels = profile_levels(w)
        # MIG slices: real-time services that share GPUs (not `dedicated`; a request-size mix is not sliced)
        # (nor availability rules: their searches price each option alone, which a slice is not)
        c = w.constraints
        self.slices = (sliced and self.realtime and not c.dedicated and mix_of(w) is None
                       and not c.survive_region_loss and c.min_regions is None)
        self.buckets: dict[str, _Sizer] = {}  # request-size mix: a sizer per bucket
        self._unlimited_buckets: dict[str, _Sizer] | None = None
        if mix_of(w) is not None:
            sized = {name: with_catalog_measurements(one, catalog) for name, one in bucket_workloads(w).items()}
            self.buckets = {name: _Sizer(one, catalog, topology, disabled, reuse) for name, one in sized.items()}
            unlimited = disabled | {"latency_slo"}
            self._make_unlimited_buckets = lambda: {name: _Sizer(one, catalog, topology, unlimited, reuse)
                                                    for name, one in sized.items()}

    @property
    def unlimited(self) -> _Sizer:
        """Made when first needed: only options ruled out by latency ask what they would cost."""
        if self._unlimited is None:
            self._unlimited = self._make_unlimited()
        return self._unlimited

    def region(self, region_key: str) -> _Region:
        """A real-time workload's round trips to one region, found once for all its offerings."""
        found = self.regions.get(region_key)
        if found is None:
            assert self.users is not None
            rtts = {loc: self.topology.rtt(loc, region_key) for loc in self.users}
            partial = []
            for reach in sorted(set(rtts.values()), reverse=True):
                serves = tuple(sorted(loc for loc, r in rtts.items() if r <= reach + 1e-9))
                if len(serves) < len(self.users):  # the full-reach option is built on its own
                    partial.append((reach, serves))
            found = self.regions[region_key] = _Region(self.topology.worst_rtt(self.users, region_key), rtts,
                                                       partial, {})
        return found

    def blame_network(self, place: _Place, region_key: str, unfit: Unfit) -> str:
        """The sizer's latency reason, found once per offering and region (every pricing model has it)."""
        key = (place.offering_key, region_key)
        found = self.blamed.get(key)
        if found is None:
            found = self.blamed[key] = self.sizer.blame_network(place.offering, region_key, unfit)
        return found

    def shape(self, places: list[_Place]) -> _Shape:
        """Every place checked in catalog order: its option (and the variants for nearer users), or
        its ruled-out record with every rule it breaks; options sorted as reports list them."""
        if self.buckets:
            return self.mixed_shape(places)
        w, sizer, disabled = self.w, self.sizer, self.disabled
        entries: list[_Entry] = []
        records: list[_Record] = []
        interned = self.reuse.records
        checks = _static_checks(w, self.policy, disabled, places, self.reuse)
        max_replicas = w.constraints.max_replicas  # real-time and batch: a model family over all placements
        check_replicas = max_replicas is not None and not splits_by_count(w) and "max_replicas" not in disabled
        several = self.realtime and len(self.demand) > 1
        realtime, regions = self.realtime, self.regions
        slices = self.slices
        for place, check in zip(places, checks, strict=True):
            if place.mig is not None and not slices:
                continue
            if check.kind_mismatch is not None:
                records.append(check.kind_mismatch)
                continue
            offering, slot = place.offering, place.slot
            region_key = slot.region_key
            region = None
            if realtime and region_key is not None:
                region = regions.get(region_key) or self.region(region_key)
            rtt = region.worst if region is not None else None
            sizing = sizer.sized(offering, place.offering_key, rtt)
            rules, reasons = check.rules, check.reasons
            if place.mig is not None and (rules or isinstance(sizing, Unfit)
                                          or sizing.instances * place.slice_share >= 1):
                continue  # slices only for a service smaller than one GPU (the whole GPU's record says the rest)
            cost_cents = latency = None
            if isinstance(sizing, Unfit):
                if sizing.rule == "latency_slo" and not rules and region is not None:
                    # nearer users can be served from here: the option stays, for them
                    self.partial_variants(entries, place, region, None)
                reason = sizing.reason
                if sizing.rule == "latency_slo" and region_key is not None:
                    reason = self.blame_network(place, region_key, sizing)
                rules, reasons = (*rules, sizing.rule), (*reasons, reason)
                if sizing.rule == "latency_slo":
                    relaxed = self.unlimited.sized(offering, place.offering_key, rtt)
                    if isinstance(relaxed, Sizing):
                        cost_cents = place.cents(relaxed)
                        latency = _latency(relaxed, rtt)
            else:
                cost_cents = place.cents(sizing)
                latency = _latency(sizing, rtt)
                if check_replicas and sizing.instances > max_replicas:  # type: ignore[operator]
                    rules = (*rules, "max_replicas")
                    reasons = (*reasons, f"needs {sizing.instances} instances, max_replicas is {max_replicas}")
            if rules:
                if cost_cents is not None:  # the parts records repeat, stored once
                    cost_cents = self.reuse.ints.setdefault(cost_cents, cost_cents)
                    latency = _shared(latency, self.reuse.floats)
                rules_reasons = (rules, reasons)
                rules, reasons = self.reuse.rules.setdefault(rules_reasons, rules_reasons)
                record = (offering.provider, slot.region, offering.name, slot.pricing, rules, reasons,
                          cost_cents, latency)
                records.append(interned.setdefault(record, record))
                continue
            assert isinstance(sizing, Sizing) and cost_cents is not None
            entries.append(self.entry(place, sizing, rtt, latency, cost_cents, self.streams, region))
            if several and region is not None:
                self.partial_variants(entries, place, region, rtt)
        entries.sort(key=_sort_key)
        options = [_option(record) for _, record in entries]
        served = {s for o in options for s in (o.serves or self.demand)}
        return _Shape(options, tuple(records), sorted(set(self.demand) - served))

    def mixed_shape(self, places: list[_Place]) -> _Shape:
        """Options of a workload with a request-size mix: per place and reach (the round trip of the
        farthest user location served, widest first), each bucket sized on its own; an option
        serves the streams of the locations within its reach whose buckets meet the objectives
        there, each at its bucket's rate. A narrower reach is kept only when it serves some
        bucket faster than the wider one."""
        entries: list[_Entry] = []
        records: list[_Record] = []
        checks = _static_checks(self.w, self.policy, self.disabled, places, self.reuse)
        for place, check in zip(places, checks, strict=True):
            if place.mig is not None:
                continue
            if check.kind_mismatch is not None:
                records.append(check.kind_mismatch)
                continue
            offering, slot = place.offering, place.slot
            region = self.region(slot.region_key) if self.realtime and slot.region_key is not None else None
            reaches: list[tuple[float | None, tuple[str, ...]]] = [(None, (ALL,))]  # batch: no users, one reach
            if self.realtime:
                reaches = [] if region is None else [(region.worst, tuple(sorted(self.users or ()))),
                                                     *region.partial]
            first_unfit: tuple[str, Unfit] | None = None
            wider: dict[str, float] = {}
            full = False
            for reach, locations in reaches:
                sized = {name: sizer.sized(offering, place.offering_key, reach) for name, sizer in self.buckets.items()}
                fit = {name: z for name, z in sized.items() if isinstance(z, Sizing)}
                if first_unfit is None:
                    first_unfit = next(((name, z) for name, z in sized.items() if isinstance(z, Unfit)), None)
                rates = {name: self.rate(z) for name, z in fit.items()}
                if not fit or check.rules or all(rates[b] <= wider.get(b, -1.0) for b in rates):
                    continue
                wider = {b: max(r, wider.get(b, -1.0)) for b, r in rates.items()}
                serves = tuple(sorted(stream(loc, b) for loc in locations for b in fit))
                self.mixed_entry(entries, place, fit, serves, _rates_of(serves, rates), reach, region)
                full = full or len(serves) == len(self.demand)
            if full:
                continue
            # no option here serves every size of every user: the record says why, and what the
            # place would cost without a latency objective (the relaxation an explanation offers)
            rules, reasons = check.rules, check.reasons
            cost_cents = latency = None
            if self.realtime and region is None:
                rules, reasons = (*rules, "latency_slo"), (*reasons, f"{offering.name} stands at a site with no known "
                                                           "location: the round trip to users is unknown")
            elif first_unfit is not None:
                name, unfit = first_unfit
                rules, reasons = (*rules, unfit.rule), (*reasons, f"{name} requests: {unfit.reason}")
                if unfit.rule == "latency_slo" and region is not None:
                    cost_cents, latency = self.unlimited_mix(place, region.worst)
            if not rules:
                continue
            records.append((offering.provider, slot.region, offering.name, slot.pricing, rules, reasons, cost_cents,
                            latency))
        entries.sort(key=_sort_key)
        options = [_option(record) for _, record in entries]
        served = {st for o in options for st in o.serves}
        return _Shape(options, tuple(records), sorted(set(self.demand) - served))

    def unlimited_mix(self, place: _Place, reach: float) -> tuple[int | None, float | None]:
        """(monthly cents, latency) of a place serving every size of every user without a latency
        objective; (None, None) when some size does not run there at all."""
        if self._unlimited_buckets is None:
            self._unlimited_buckets = self._make_unlimited_buckets()
        sized = {name: sizer.sized(place.offering, place.offering_key, reach)
                 for name, sizer in self._unlimited_buckets.items()}
        fit = {name: z for name, z in sized.items() if isinstance(z, Sizing)}
        if len(fit) < len(sized):
            return None, None
        serves = tuple(sorted(self.demand))
        sizing = self.as_one(fit, serves, _rates_of(serves, {name: self.rate(z) for name, z in fit.items()}))
        return place.cents(sizing), _mix_latency(fit, reach)

    def as_one(self, fit: dict[str, Sizing], serves: tuple[str, ...], stream_capacity: tuple[float, ...]) -> Sizing:
        """The sizing of an option serving `serves` of a mixed workload: its most requested
        bucket's, with the units that carry those streams' demand at each one's rate."""
        capacity = max(stream_capacity)
        load = {st: self.demand[st] for st in serves}
        units = max(self.min_replicas, units_for_load(capacity, load_weights(capacity, serves, stream_capacity), load))
        main = max(fit, key=lambda b: (self.share_of(b), b))
        sizing = fit[main].model_copy(update={"instances": units})
        return self.reuse.sizing_values.setdefault(sizing, sizing)

    def share_of(self, bucket: str) -> float:
        """A bucket's share of the workload's requests."""
        return next(b.share for b in mix_of(self.w) or [] if b.name == bucket)

    def rate(self, sizing: Sizing) -> float:
        """Load units of the workload's demand one instance carries at a bucket's sizing
        (requests/s for a service, its share of a run's requests in the window for a batch job)."""
        if isinstance(self.w, BatchInference):
            return BATCH_UNITS * sizing.throughput_per_instance * 3600 * self.w.window_hours \
                / self.w.volume.requests_per_run
        return sizing.throughput_per_instance * RT_UNITS_PER_RPS

    def work_cents(self, place: _Place, load: dict[str, int], rates: dict[str, float]) -> float:
        """Cents a month a batch job's work-billed option bills for carrying `load` (stream -> load
        units) at each stream's rate: the instance-hours that load takes, runs_per_month times."""
        assert isinstance(self.w, BatchInference)
        windows = sum(units / rates[st] for st, units in load.items())  # instance-windows a run
        return 100 * place.hourly * windows * self.w.window_hours * self.w.runs_per_month

    def mixed_entry(self, entries: list[_Entry], place: _Place, fit: dict[str, Sizing], serves: tuple[str, ...],
                    stream_capacity: tuple[float, ...], reach: float | None, region: _Region | None) -> None:
        """The option of one place serving `serves` of a mixed workload (as_one)."""
        sizing = self.as_one(fit, serves, stream_capacity)
        latency = _mix_latency(fit, reach or 0.0) if self.realtime else None
        cost_cents = place.cents(sizing)
        if isinstance(self.w, BatchInference) and not (place.capex or place.reserved):  # billed by the work
            cost_cents = round(self.work_cents(place, {st: self.demand[st] for st in serves},
                                               dict(zip(serves, stream_capacity, strict=True))))
        entries.append(self.entry(place, sizing, reach, latency, cost_cents, serves, region,
                                  (max(stream_capacity), stream_capacity, tuple(sorted(fit.items())))))

    def partial_variants(self, entries: list[_Entry], place: _Place, region: _Region, below: float | None) -> None:
        """Real-time options sized for the nearer user locations only, one per reach (round trip).

        A replica that serves only nearby users has more of the latency objective left for compute,
        so it may run a larger batch; a variant is kept only when its serving point differs from the
        next wider one (else the wider one serves the same users at the same price).
        """
        wider: Sizing | None = None
        for reach, serves in region.partial:
            if below is not None and not reach < below - 1e-9:
                continue
            sizing = self.sizer.sized(place.offering, place.offering_key, reach)
            if isinstance(sizing, Unfit):
                continue
            if wider is not None and sizing.throughput_per_instance <= wider.throughput_per_instance:
                continue  # no faster than a variant that serves more users
            entries.append(self.entry(place, sizing, reach, _latency(sizing, reach), place.cents(sizing),
                                      serves, region))
            wider = sizing

    def entry(self, place: _Place, sizing: Sizing, rtt: float | None, latency: float | None, cost_cents: int,
              serves: tuple[str, ...], region: _Region | None,
              mix: tuple[float, tuple[float, ...], tuple[tuple[str, Sizing], ...]] | None = None) -> _Entry:
        """The fields of the option of one place at one sizing, serving the streams `serves`, in field
        order, with the option's sort key (the arithmetic of each field as the reports have it).
        `mix`: under a request-size mix, (capacity, stream_capacity, bucket_sizings)."""
        w, slot = self.w, place.slot
        instances = sizing.instances
        carbon = None
        if slot.carbon is not None and place.power_kw is not None:
            carbon = round(place.power_kw * instances * sizing.busy_hours_per_month * slot.carbon / 1000, 1)
        realtime = self.realtime
        level_costs: tuple[float, ...] = ()
        if realtime and slot.pricing not in BOUGHT:
            count_cost, load_cost, unit_instances = place.held, 0.0, 1  # as _unit_costs has it
            capacity = sizing.throughput_per_instance * RT_UNITS_PER_RPS  # as _capacity has it
            if self.levels and not place.reserved:  # billed by the hour: held through each level's hours only
                count_cost, *rest = (place.held * hours / HOURS_PER_MONTH for _, hours in self.levels)
                level_costs = tuple(rest)
        else:
            count_cost, load_cost, unit_instances = _unit_costs(w, sizing, slot, place.held, place.hourly)
            capacity = _capacity(w, sizing, self.demand)
        stream_capacity: tuple[float, ...] = ()
        bucket_sizings: tuple[tuple[str, Sizing], ...] = ()
        weights: dict[str, int] = {}
        if mix is not None:
            capacity, stream_capacity, bucket_sizings = mix
            weights = load_weights(capacity, serves, stream_capacity)
            if load_cost:  # work-billed: the whole demand at the fastest rate (each stream weighs its own)
                load_cost = self.work_cents(place, {ALL: self.total}, {ALL: capacity})
            need = instances  # as_one: the units these streams need, at least min_replicas
        elif self.by_count:
            need = math.ceil(self.total / capacity) if capacity > 0 else MAX_INSTANCES
        if self.by_count:
            # more than the load needs only to pad a share-of-spend cap (or to survive a region loss)
            max_count = min(MAX_INSTANCES, PADDING_FACTOR * max(need, self.min_replicas) + PADDING_UNITS)
        else:
            max_count = 1
        full = (not realtime and mix is None) or len(serves) == len(self.demand)
        failover = serves
        if self.failover:
            assert isinstance(w, RealtimeInference)
            failover = _failover_serves(w, sizing, slot, self.topology)
        rtts: tuple[float, ...] = ()
        if region is not None:
            rtts = region.serve_rtts.get(serves) or region.serve_rtts.setdefault(
                serves, tuple(region.rtts[location_of(st)] for st in serves))
        # alone, a partial option could not serve everyone: rank it by its unit cost
        monthly = cost_cents if full else round(max_count * count_cost + load_cost)
        if full and level_costs:  # alone through the day: as many units at each level as its load needs
            units = units_by_level(self.demand, [share for share, _ in self.levels], capacity, weights,
                                   self.min_replicas)
            monthly = round(sum(cost * k for k, cost in zip(units, (count_cost, *level_costs), strict=True)))
        if full:
            key = place.option_key
        else:
            key = place.partial_keys.get(serves) or place.partial_keys.setdefault(
                serves, f"{place.option_key}|{'+'.join(serves)}")
        # equal numbers of different options are one object (a fleet repeats them across workloads)
        floats = self.reuse.floats
        rtt = None if rtt is None else round(rtt, 1)
        record = (
            *self.head, *place.fixed,
            instances, instances * place.offering.accelerator_count, self.reuse.ints.setdefault(monthly, monthly),
            _shared(latency, floats), _shared(rtt, floats), _shared(carbon, floats), sizing,
            _shared(capacity, floats), _shared(count_cost, floats), _shared(load_cost, floats), unit_instances,
            max_count, serves if realtime or mix is not None else (), failover, rtts, full, level_costs, place.term,
            _shared_capacities(stream_capacity, floats), bucket_sizings, key, place.listing)
        return (not full, monthly, latency or 0.0, key), record


def _shared_capacities(rates: tuple[float, ...], floats: dict[float, float]) -> tuple[float, ...]:
    return tuple(_shared(r, floats) or 0.0 for r in rates) if rates else ()


def _rates_of(serves: tuple[str, ...], rates: dict[str, float]) -> tuple[float, ...]:
    """Each served stream's rate: its bucket's (stream_capacity)."""
    return tuple(rates[bucket_of(st) or ""] for st in serves)


def _mix_latency(fit: dict[str, Sizing], rtt: float) -> float | None:
    """The slowest bucket's latency at a round trip; None without latency figures."""
    slowest = max((z for z in fit.values() if z.compute_latency_ms is not None),
                  key=lambda z: z.compute_latency_ms or 0.0, default=None)
    return None if slowest is None else _latency(slowest, rtt)


def _sort_key(entry: _Entry) -> tuple[bool, int, float, str]:
    """Options that carry the workload alone first, then by cost, latency and key."""
    return entry[0]


def _shared(number: float | None, floats: dict[float, float]) -> float | None:
    """`number`, or the equal float met before (a float only: 1 == 1.0, and not 0.0, which equals -0.0)."""
    return floats.setdefault(number, number) if type(number) is float and number else number


def _renamed(option: Option, head: tuple[str, str, str]) -> Option:
    """The option of another workload of the same shape: only the workload's name and team differ."""
    return _option((*head, *option[3:]))


def _unit_costs(w: Workload, sizing: Sizing, slot: _Slot, held: float, hourly: float) -> tuple[float, float, int]:
    """(cost of one unit in cents a month, cost of the whole demand's work in cents, instances per unit);
    `held` is the month of one instance, HOURS_PER_MONTH * 100 * (slot.hourly or 0.0); `hourly` the
    price the work bills at (for spot, blended with its on-demand fallback: _Place)."""
    if isinstance(w, EdgeInference):
        return sizing.instances * 100 * (slot.unit_monthly or 0.0), 0.0, sizing.instances
    unit_instances = sizing.instances if isinstance(w, Training) else 1
    if slot.pricing in BOUGHT:
        return unit_instances * 100 * (slot.unit_monthly or 0.0), 0.0, unit_instances
    if slot.pricing in ("reserved_1y", "reserved_3y") or isinstance(w, RealtimeInference):
        return unit_instances * held, 0.0, unit_instances
    work = 100 * monthly_cost_usd(sizing, slot.pricing, hourly, slot.unit_monthly)
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


def _failover_serves(w: RealtimeInference, sizing: Sizing, slot: _Slot, topology: Topology) -> tuple[str, ...]:
    """User locations this serving point can still serve within failover_latency_ms after a region loss."""
    limit = w.constraints.failover_latency_ms or 0.0
    if slot.region_key is None:
        return ()
    served = []
    for loc in sorted(w.traffic.users):
        rtt = topology.rtt(loc, slot.region_key)
        first = sizing.ttft_ms if w.slo.ttft_ms is not None and sizing.ttft_ms is not None else None
        whole = sizing.compute_latency_ms if w.slo.p95_latency_ms is not None else None
        if all(v is None or v + rtt <= limit for v in (first, whole)):
            served.append(loc)
    return tuple(served)


def _latency(sizing: Sizing, rtt: float | None) -> float | None:
    if sizing.compute_latency_ms is None:
        return None
    return round(sizing.compute_latency_ms + (rtt or 0.0), 1)


def _options_for(w: Workload, policy: Policy, catalog: Catalog, topology: Topology,
                 disabled: frozenset[str], out: CandidateSet, places: list[_Place], reuse: _Reuse,
                 sliced: bool = True) -> None:
    key = shape_key(w) + ("" if sliced else "|whole GPUs")
    shape = reuse.shapes.get(key)
    if shape is None:
        shape = reuse.shapes[key] = _Workload(w, policy, catalog, topology, disabled, reuse, sliced).shape(places)
        options = shape.options
    else:
        head = (w.name, w.kind, w.team)
        options = [_renamed(o, head) for o in shape.options]
    out.options[w.name] = options
    if isinstance(out.ruled_out, RuledOutByWorkload):
        out.ruled_out.set_records(w.name, shape.records)
    else:
        out.ruled_out[w.name] = [_ruled_out(RuledOut, (w.name, *r)) for r in shape.records]
    out.unserved[w.name] = list(shape.unserved)
    out.demands[w.name] = demand_units(w)
    levels = profile_levels(w)
    if levels:
        out.levels[w.name] = levels
    c = w.constraints
    out.limits[w.name] = WorkloadLimits(
        kind=w.kind, team=w.team, min_replicas=c.min_replicas, max_replicas=c.max_replicas,
        by_count=splits_by_count(w), min_regions=c.min_regions, survive_region_loss=c.survive_region_loss)


SLICE_PRICING = frozenset({"on_demand", "reserved_1y", "reserved_3y"})
"""Pricing models whose instances may be cut into MIG slices shared by workloads (bought hardware
and spot capacity are not: advisor.mig)."""


def _slice_places(places: list[_Place], catalog: Catalog) -> list[_Place]:
    """A place per MIG profile of every rented single-GPU place whose GPU has MIG geometry: one slice,
    priced at its share of the instance (the GPU's compute slices it holds)."""
    found = []
    for place in places:
        gpu = catalog.mig.get(place.accelerator.name)
        if gpu is None or place.slot.pricing not in SLICE_PRICING or place.offering.accelerator_count != 1:
            continue  # slices of single-GPU instances: a pool buys GPUs one at a time
        offering, slot = place.offering, place.slot
        for profile in usable_profiles(gpu):
            share = compute_share(gpu, profile.name)  # of a single-GPU instance
            accelerator = slice_accelerator(place.accelerator, gpu, profile)
            one = offering.model_copy(update={"accelerator": accelerator.name, "accelerator_count": 1,
                                              "interconnect": Interconnect()})
            priced = dataclasses.replace(slot, hourly=None if slot.hourly is None else slot.hourly * share,
                                         on_demand=None if slot.on_demand is None else slot.on_demand * share)
            found.append(_Place(one, accelerator, priced, mig=profile.name, slice_share=share))
    return found


def build_candidates(workloads: list[Workload], policy: Policy, catalog: Catalog, topology: Topology,
                     disabled: frozenset[str] = frozenset(),
                     progress: Progress | None = None, *, reuse: bool = True,
                     whole_gpus: frozenset[str] = frozenset()) -> CandidateSet:
    """Options and ruled-out options for every workload, with `disabled` rules not applied; the
    workloads in `whole_gpus` get no MIG slice options (see SHARED_GPU_GROUP_MAX).

    Workloads share what they have in common (sizings, rule checks, whole results: see `_Reuse`);
    `reuse=False` computes every workload on its own, with the same result, only slower."""
    out = CandidateSet(provider_kinds={name: p.kind for name, p in catalog.providers.items()}, mig=dict(catalog.mig))
    places = [_Place(offering, catalog.accelerators[offering.accelerator], slot,
                     spot_interruption(policy, catalog.providers.get(offering.provider)))
              for offering in catalog.offerings.values() for slot in _slots(offering, catalog, policy.fleets)]
    places += _slice_places(places, catalog)
    catalog = catalog.model_copy(update={"accelerators": {**catalog.accelerators, **slice_accelerators(catalog)}})
    shared = _Reuse(shared=True)
    with _cyclic_gc_paused():
        for done, w in enumerate(workloads, start=1):
            _options_for(w, policy, catalog, topology, disabled, out, places,
                         shared if reuse else _Reuse(shared=False), w.name not in whole_gpus)
            if progress is not None:
                progress.step("candidates", done, len(workloads))
    return _without_unneeded_slices(out, whole_gpus)


def _without_unneeded_slices(out: CandidateSet, whole_gpus: frozenset[str]) -> CandidateSet:
    """The candidates with the slice options no plan needs left out: slices of a pool only one
    workload could use (alone, the whole GPU at the same price carries at least what its slices
    do, and at no worse a latency), and every slice of the workloads of a group of more than
    SHARED_GPU_GROUP_MAX that could share GPUs (recorded in `whole_gpus`, with those given)."""
    users: dict[str, set[str]] = {}
    for w, options in out.options.items():
        for o in options:
            if o.pool is not None:
                users.setdefault(o.pool, set()).add(w)
    shared = {pool for pool, names in users.items() if len(names) > 1}
    for w, options in out.options.items():
        if any(o.pool is not None and o.pool not in shared for o in options):
            out.options[w] = [o for o in options if o.pool is None or o.pool in shared]
    out.solved.clear()
    large = {w for group in sharing_groups(out) if len(group) > SHARED_GPU_GROUP_MAX for w in group}
    for w in large:
        out.options[w] = [o for o in out.options[w] if o.mig_profile is None]
    out.solved.clear()
    out.whole_gpus = frozenset(whole_gpus | large)
    return out


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the candidates are built.

    A fleet's candidates are about a million small objects that all stay alive (options, their
    field dicts, records) and form no cycles; the collector would walk the growing heap again and
    again, which took more than half of the stage's time. Memory is still freed by reference
    counting; the collector runs as usual again afterwards (unless it was off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
