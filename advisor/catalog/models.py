"""Catalog records as pydantic models; field names carry their unit.

Every record that states a figure carries `source` and `as_of`, so a report can say where
each number came from and how old it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PositiveInt, field_validator, model_validator

from advisor.problems import InputError, Problem
from advisor.strict import Strict

NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]*$")

AcceleratorKind = Literal["gpu", "tpu", "asic", "npu", "edge", "cpu"]
"""`cpu`: one vCPU of a CPU-only instance (its accelerator_count is the instance's vCPUs)."""
ProviderKind = Literal["cloud", "gpu-cloud", "onprem", "edge"]
Fabric = Literal["efa", "infiniband", "ici", "roce", "ethernet", "neuronlink", "none"]
PricingModel = Literal["on_demand", "spot", "reserved_1y", "reserved_3y", "capex", "owned"]
PRICING_MODELS: tuple[PricingModel, ...] = ("on_demand", "spot", "reserved_1y", "reserved_3y", "capex")
"""The pricing models a catalog price lists (hourly prices, or a purchase). `owned` is hardware a
declared fleet already holds (`Fleet`, paid: sunk): only its energy and operation are paid."""
BOUGHT: frozenset[str] = frozenset({"capex", "owned"})
"""Pricing models of hardware one owns: billed for the whole month, whatever the load."""

DEFAULT_SPOT_INTERRUPTION_PCT = 20.0
"""Share of spot capacity assumed reclaimed while a batch window or a training job runs, when
neither the policy (`spot_interruption_pct`) nor the provider's catalog record gives one. An
estimate: AWS's Spot Instance Advisor (https://aws.amazon.com/ec2/spot/instance-advisor/, read
2026-11) reports per instance type and region the share of spot capacity reclaimed over the
trailing month in the buckets <5%, 5-10%, 10-15%, 15-20% and >20%; GPU instance types often sit
in the top bucket, so the lower edge of that bucket is the default."""
HOURS_PER_MONTH = 730.0

# Upper limits of catalog figures, far above any real one (docs/CATALOG.md, "Limits"): they catch
# a slipped digit, and keep costs and counts within the solver's 64-bit integers and loops short.
MAX_HOURLY_USD = 10_000.0  # USD per instance-hour; the dearest instances list near 130
MAX_UNIT_PRICE_USD = 1e8  # USD for one bought unit; a full GPU rack costs a few million
MAX_LIFETIME_MONTHS = 240  # amortisation period: 20 years
MAX_POWER_W = 1e6  # draw of one bought unit: 1 MW
MAX_ELECTRICITY_USD_PER_KWH = 10.0  # retail power costs well under 1 USD/kWh
MAX_ACCELERATOR_COUNT = 1024  # accelerators in one instance or device; also the NVLink domain
MAX_VCPUS = 100_000  # vCPUs of one instance
MAX_RAM_GB = 1e6  # host memory of one instance; the largest have 32 TB
MAX_MEMORY_GB = 1e5  # memory of one accelerator (or MIG slice); today's largest have ~200 GB
MAX_BANDWIDTH_GBPS = 1e6  # memory bandwidth of one accelerator, or an instance's fabric
MAX_TFLOPS = 1e6  # bf16/fp8 TFLOPS or int8 TOPS of one accelerator
MAX_TDP_W = 1e5  # power of one accelerator; today's largest draw ~1.2 kW
MAX_CARBON_GCO2_PER_KWH = 5000.0  # grid carbon intensity; coal-only grids are ~1000
MAX_EGRESS_USD_PER_GB = 100.0  # data transfer price; list prices are cents
MAX_OPERATIONS_USD = 1e6  # operating a bought unit for a month (facility per kW, network, staff)
MAX_FLEET_COUNT = 1_000_000  # units one declared fleet holds
MAX_MIG_SLICES = 64  # compute or memory slices of one MIG GPU (NVIDIA's have 7 and 8)

HourlyUsd = Annotated[float, Field(gt=0, le=MAX_HOURLY_USD)]
MemoryGb = Annotated[float, Field(gt=0, le=MAX_MEMORY_GB)]
Tflops = Annotated[float, Field(gt=0, le=MAX_TFLOPS)]
Slices = Annotated[int, Field(gt=0, le=MAX_MIG_SLICES)]
MIN_MEASURED_REQUESTS_PER_S = 1e-6
MIN_MEASURED_TOKENS_PER_S = 1e-3
MIN_MEASURED_MS = 0.001
"""Lower bounds of measured figures: below them a figure is a typo (5e-324), and sizing from it
would ask for more instances than exist."""


UNSITED_PURCHASE = ("bought servers must list the regions (sites) where they stand, so latency and residency "
                    "can be computed")


class CatalogRecord(Strict):
    """Base of every catalog record: numbers must be finite (no .inf/.nan)."""

    model_config = ConfigDict(allow_inf_nan=False)


class Sourced(CatalogRecord):
    """A figure's provenance: where it can be checked and when it was true."""

    source: str = Field(min_length=3)
    as_of: dt.date
    estimate: bool = False
    notes: str = ""


def _check_name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError("names use lowercase letters, digits, '.', '_' and '-'")
    return value


class Accelerator(Sourced):
    name: str
    display_name: str
    vendor: str
    kind: AcceleratorKind
    memory_gb: MemoryGb | None = None
    memory_bandwidth_gbps: float | None = Field(default=None, gt=0, le=MAX_BANDWIDTH_GBPS)
    bf16_tflops: Tflops | None = None
    fp8_tflops: Tflops | None = None
    int8_tops: Tflops | None = None
    fp32_tflops: Tflops | None = None  # dense FP32; CPUs list it (vector units), accelerators need not
    single_stream_int8_tops: Tflops | None = None  # dense INT8 of the engine one stream runs on (no DLAs)
    tdp_w: float | None = Field(default=None, gt=0, le=MAX_TDP_W)
    software_stack: str
    portable: bool
    trains: bool = True  # False for inference-only parts (AWS Inferentia, edge NPUs)

    _name = field_validator("name", "vendor")(_check_name)

    @model_validator(mode="after")
    def _has_compute(self) -> Accelerator:
        if self.bf16_tflops is None and self.int8_tops is None and self.fp32_tflops is None:
            raise ValueError("an accelerator needs bf16_tflops, int8_tops or fp32_tflops")
        if self.kind not in ("edge", "cpu") and (self.memory_gb is None or self.memory_bandwidth_gbps is None):
            raise ValueError("datacenter accelerators need memory_gb and memory_bandwidth_gbps")
        return self


class MigProfile(CatalogRecord):
    name: str
    compute_slices: Slices
    memory_slices: Slices
    memory_gb: MemoryGb
    max_instances: Slices
    placements: list[int]
    size: Slices


class MigGpu(Sourced):
    accelerator: str
    compute_slices: Slices
    memory_slices: Slices
    profiles: list[MigProfile]


class Location(CatalogRecord):
    name: str
    city: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    jurisdiction: str
    source: str = ""
    as_of: dt.date | None = None

    _name = field_validator("name")(_check_name)


class Egress(Sourced):
    internet_usd_per_gb: float = Field(ge=0, le=MAX_EGRESS_USD_PER_GB)
    inter_region_usd_per_gb: float = Field(ge=0, le=MAX_EGRESS_USD_PER_GB)


class Provider(CatalogRecord):
    name: str
    display_name: str
    kind: ProviderKind
    egress: Egress | None = None
    notes: str = ""
    spot_interruption_pct: float | None = Field(default=None, ge=0, lt=100)
    """Share of spot capacity reclaimed while a job runs (the policy's figure wins; else
    DEFAULT_SPOT_INTERRUPTION_PCT); give its source in `notes`."""

    _name = field_validator("name")(_check_name)


class Region(Sourced):
    provider: str
    name: str
    display_name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    jurisdiction: str
    country: str
    carbon_gco2_per_kwh: float | None = Field(default=None, ge=0, le=MAX_CARBON_GCO2_PER_KWH)
    carbon_source: str = ""

    _name = field_validator("name")(_check_name)

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.name}"


class Interconnect(CatalogRecord):
    """How an instance's devices are joined inside it and to other instances.

    `fabric_gbps` is the scale-out bandwidth per instance (for TPU hosts: the data-centre
    network); 0 means unknown, and such an offering cannot join a multi-instance job.
    `slice_sizes` (TPU) lists the device counts of the ICI slices its hosts form; devices in
    separate slices talk over the data-centre network.
    """

    nvlink_domain: PositiveInt = Field(default=1, le=MAX_ACCELERATOR_COUNT)
    fabric: Fabric = "ethernet"
    fabric_gbps: float = Field(default=0, ge=0, le=1e6)
    slice_sizes: list[PositiveInt] = Field(default=[], max_length=64)


class Price(Sourced):
    """Hourly prices of one offering in one region, USD per instance-hour."""

    region: str
    on_demand: HourlyUsd
    spot: HourlyUsd | None = None
    reserved_1y: HourlyUsd | None = None
    reserved_3y: HourlyUsd | None = None

    @model_validator(mode="after")
    def _discounts_below_on_demand(self) -> Price:
        for model in ("spot", "reserved_1y", "reserved_3y"):
            value = getattr(self, model)
            if value is not None and value >= self.on_demand:
                raise ValueError(
                    f"{model} price {value} must be below the on-demand price {self.on_demand}"
                )
        return self

    def hourly(self, pricing: PricingModel) -> float | None:
        return getattr(self, pricing) if pricing != "capex" else None


DISCOUNTABLE: tuple[str, ...] = ("on_demand", "spot", "reserved_1y", "reserved_3y")


class PriceOverride(Sourced):
    """A layer's change to existing hourly prices (e.g. a negotiated rate) without copying the offering.

    Given prices replace the existing ones; `discount_pct` then scales every price the row has.
    The overridden rows take this record's source and as_of, so reports show the new provenance.
    """

    offering: str  # provider:name
    region: str | None = None  # None: every region the offering is priced in
    on_demand: HourlyUsd | None = None
    spot: HourlyUsd | None = None
    reserved_1y: HourlyUsd | None = None
    reserved_3y: HourlyUsd | None = None
    discount_pct: float | None = Field(default=None, gt=0, lt=100)

    @field_validator("offering")
    @classmethod
    def _provider_and_name(cls, value: str) -> str:
        provider, sep, name = value.partition(":")
        if not (provider and sep and name):
            raise ValueError("write the offering as provider:name, e.g. aws:p5.48xlarge")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> PriceOverride:
        if self.discount_pct is None and all(getattr(self, m) is None for m in DISCOUNTABLE):
            raise ValueError("a price override needs a price (on_demand, spot, reserved_1y, "
                             "reserved_3y) or discount_pct")
        return self

    def apply(self, price: Price) -> dict[str, float | None]:
        """The row's prices after this override: given values first, then the discount."""
        factor = 1 - (self.discount_pct or 0) / 100
        values: dict[str, float | None] = {}
        for model in DISCOUNTABLE:
            value = getattr(self, model)
            value = getattr(price, model) if value is None else value
            values[model] = None if value is None else round(value * factor, 6)
        return values


class Operations(Sourced):
    """What operating one bought unit costs a month beyond its energy: the facility (space, cooling
    and power delivery, quoted per kW of IT load), the network and the staff. The energy itself is
    the purchase's electricity x PUE, so a facility rate here must exclude it (docs/CATALOG.md)."""

    facility_usd_per_kw_month: float = Field(ge=0, le=MAX_OPERATIONS_USD)
    network_usd_per_unit_month: float = Field(ge=0, le=MAX_OPERATIONS_USD)
    staff_usd_per_unit_month: float = Field(ge=0, le=MAX_OPERATIONS_USD)

    def monthly_usd(self, power_w: float) -> float:
        return power_w / 1000 * self.facility_usd_per_kw_month + self.network_usd_per_unit_month \
            + self.staff_usd_per_unit_month


class Purchase(Sourced):
    """Bought hardware: amortised purchase price, energy and (where the catalog states them) the
    costs of operating it."""

    unit_price_usd: float = Field(gt=0, le=MAX_UNIT_PRICE_USD)
    lifetime_months: PositiveInt = Field(le=MAX_LIFETIME_MONTHS)
    power_w: float = Field(gt=0, le=MAX_POWER_W)
    electricity_usd_per_kwh: float = Field(ge=0, le=MAX_ELECTRICITY_USD_PER_KWH)
    pue: float = Field(default=1.0, ge=1.0, le=3.0)
    operations: Operations | None = None

    @property
    def energy_usd(self) -> float:
        """kW x 730 h x PUE x $/kWh."""
        return self.power_w / 1000 * HOURS_PER_MONTH * self.pue * self.electricity_usd_per_kwh

    @property
    def operations_usd(self) -> float:
        return 0.0 if self.operations is None else self.operations.monthly_usd(self.power_w)

    @property
    def running_usd(self) -> float:
        """What a unit already paid for (sunk) costs a month: energy and operations."""
        return self.energy_usd + self.operations_usd

    @property
    def monthly_usd(self) -> float:
        """What a unit bought for the plan costs a month: price / lifetime, energy and operations."""
        return self.unit_price_usd / self.lifetime_months + self.running_usd


class Offering(Sourced):
    provider: str
    name: str
    accelerator: str
    accelerator_count: PositiveInt = Field(le=MAX_ACCELERATOR_COUNT)
    vcpus: PositiveInt | None = Field(default=None, le=MAX_VCPUS)
    ram_gb: float | None = Field(default=None, gt=0, le=MAX_RAM_GB)
    interconnect: Interconnect = Interconnect()
    prices: list[Price] = []
    purchase: Purchase | None = None
    regions: list[str] = []

    @model_validator(mode="after")
    def _priced_once(self) -> Offering:
        if self.purchase is None and not self.prices:
            raise ValueError("an offering needs hourly `prices` or a `purchase` block")
        if self.purchase is not None and self.prices:
            raise ValueError("an offering has either hourly `prices` or a `purchase` block, not both")
        seen: set[str] = set()
        for price in self.prices:
            if price.region in seen:
                raise ValueError(f"region '{price.region}' is priced twice")
            seen.add(price.region)
        return self

    @model_validator(mode="after")
    def _slices_of_whole_hosts(self) -> Offering:
        for size in self.interconnect.slice_sizes:
            if size % self.accelerator_count:
                raise ValueError(f"slice size {size} is not a whole number of {self.accelerator_count}-device "
                                 f"instances")
        return self

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.name}"


class CatalogMeasurement(Sourced):
    """A measured figure for a model on an accelerator, shared by every workload of that model.

    Inference: `requests_per_s` of one replica of `devices_per_replica` devices and its p95
    compute `latency_ms`, `ttft_ms` and `tpot_ms`; training: `tokens_per_s_per_device`.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    model: str = Field(min_length=1, max_length=100)
    accelerator: str
    devices_per_replica: PositiveInt = Field(default=1, le=4096)
    requests_per_s: float | None = Field(default=None, ge=MIN_MEASURED_REQUESTS_PER_S, le=1e9)
    latency_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    ttft_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    tpot_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    tokens_per_s_per_device: float | None = Field(default=None, ge=MIN_MEASURED_TOKENS_PER_S, le=1e9)
    input_tokens: PositiveInt | None = Field(default=None, le=2_000_000)
    output_tokens: PositiveInt | None = Field(default=None, le=200_000)
    """The request size measured: the figures then apply only to workloads (or request-size
    buckets of a `traffic.mix`) of exactly that size; without them, to every size."""

    @model_validator(mode="after")
    def _has_figures(self) -> CatalogMeasurement:
        if self.tokens_per_s_per_device is None and self.requests_per_s is None:
            raise ValueError("a measurement needs requests_per_s (inference) or tokens_per_s_per_device (training)")
        if (self.input_tokens is None) != (self.output_tokens is None):
            raise ValueError("give both input_tokens and output_tokens (the request size measured), or neither")
        return self

    @property
    def key(self) -> str:
        size = "" if self.input_tokens is None else f"@{self.input_tokens}/{self.output_tokens}"
        return f"{self.model}@{self.accelerator}x{self.devices_per_replica}{size}"


Paid = Literal["sunk", "to_buy"]


class Fleet(CatalogRecord):
    """Hardware a company holds or plans to buy: `count` units of one bought offering at one site.

    `sunk`: already paid for; a plan pays only its energy and operations (pricing `owned`).
    `to_buy`: not bought yet; a plan pays its amortisation too and states the up-front amount
    (pricing `capex`). Either way the plan places at most `count` units there, and a site with a
    declared fleet offers no other purchase of that offering (declare a `to_buy` fleet to buy more)."""

    name: str
    offering: str  # provider:name of an offering with a purchase block
    site: str | None = None  # a region of the offering; default: its only one
    count: PositiveInt = Field(le=MAX_FLEET_COUNT)
    paid: Paid = "sunk"
    source: str = ""
    as_of: dt.date | None = None
    notes: str = ""

    _name = field_validator("name")(_check_name)

    @property
    def pricing(self) -> PricingModel:
        return "owned" if self.paid == "sunk" else "capex"


class QuotaRecord(CatalogRecord):
    """A catalog layer's account quota: at most `limit` accelerators at once under `scope`
    (provider:region:accelerator); a policy's `quotas` entry for the same scope wins."""

    scope: str
    limit: int = Field(ge=0, le=1_000_000)
    source: str = ""
    as_of: dt.date | None = None
    notes: str = ""

    @field_validator("scope")
    @classmethod
    def _three_parts(cls, scope: str) -> str:
        if len(scope.split(":")) != 3 or not all(scope.split(":")):
            raise ValueError(f"quota scope {scope!r} is not provider:region:accelerator (e.g. aws:us-east-1:h100-sxm)")
        return scope


def fleet_problem(fleet: Fleet, offerings: Mapping[str, Offering]) -> tuple[str, str] | None:
    """(field, message) when a fleet names what the catalog lacks, else None."""
    offering = offerings.get(fleet.offering)
    if offering is None:
        return "offering", f"unknown offering '{fleet.offering}' (write provider:name, e.g. onprem:dgx-h100-eu)"
    if offering.purchase is None:
        return "offering", f"{fleet.offering} is rented by the hour, not bought; a fleet holds bought hardware"
    if fleet.site is None and len(offering.regions) > 1:
        return "site", f"{fleet.offering} stands at {', '.join(offering.regions)}: name the fleet's site"
    if fleet.site is not None and offering.regions and fleet.site not in offering.regions:
        return "site", f"{fleet.offering} does not stand at '{fleet.site}'; its sites: {', '.join(offering.regions)}"
    return None


def fleet_site(fleet: Fleet, offering: Offering) -> str | None:
    """The site a fleet stands at: its own, else the offering's only one (None: edge devices)."""
    return fleet.site or (offering.regions[0] if offering.regions else None)


def fleet_place(fleet: Fleet, offerings: Mapping[str, Offering]) -> str:
    """offering@site/paid: two fleets of one place would be one fleet counted twice."""
    offering = offerings.get(fleet.offering)
    site = fleet_site(fleet, offering) if offering is not None else fleet.site
    return f"{fleet.offering}@{site}/{fleet.paid}"


def fleet_problems(fleets: list[Fleet], offerings: Mapping[str, Offering]) -> list[tuple[int, str, str]]:
    """(index, field, message) of each fleet that names what the catalog lacks or repeats the
    place of an earlier one."""
    found: list[tuple[int, str, str]] = []
    places: dict[str, str] = {}
    for i, fleet in enumerate(fleets):
        problem = fleet_problem(fleet, offerings)
        if problem is not None:
            found.append((i, *problem))
            continue
        place = fleet_place(fleet, offerings)
        if place in places:
            found.append((i, "name", f"fleets '{places[place]}' and '{fleet.name}' are both {fleet.paid} "
                                     f"{fleet.offering} at one site: merge their counts"))
        places.setdefault(place, fleet.name)
    return found


class Catalog(Strict):
    """The merged catalog of all layers, with lookups by name."""

    accelerators: dict[str, Accelerator]
    mig: dict[str, MigGpu]
    locations: dict[str, Location]
    providers: dict[str, Provider]
    regions: dict[str, Region]  # key: provider:name
    offerings: dict[str, Offering]  # key: provider:name
    measurements: dict[str, CatalogMeasurement] = {}  # key: model@accelerator x devices
    fleets: dict[str, Fleet] = {}  # key: name
    quotas: dict[str, QuotaRecord] = {}  # key: scope
    layers: list[CatalogLayer]

    @model_validator(mode="after")
    def _bought_servers_have_sites(self) -> Catalog:
        """Only edge devices stand at the workload's own sites; every other bought server needs a
        located site, or latency and residency would be computed from nowhere (0 ms)."""
        problems = [Problem("catalog", 1, 1, f"offering {key}: {UNSITED_PURCHASE}")
                    for key, o in self.offerings.items()
                    if o.purchase is not None and not o.regions
                    and o.accelerator in self.accelerators and self.accelerators[o.accelerator].kind != "edge"]
        if problems:
            raise InputError(problems)  # not a ValueError: it reaches the CLI as an input error
        return self

    def region(self, provider: str, name: str) -> Region | None:
        return self.regions.get(f"{provider}:{name}")

    @property
    def jurisdictions(self) -> set[str]:
        return {r.jurisdiction for r in self.regions.values()} | {
            loc.jurisdiction for loc in self.locations.values()
        }


class CatalogLayer(Strict):
    """One directory that contributed to the catalog, with the span of its as-of dates."""

    path: str
    files: int
    oldest_as_of: dt.date | None
    newest_as_of: dt.date | None
    sha256: str = ""  # of its files' paths (relative to it) and contents, in order: which data a plan read


Catalog.model_rebuild()
