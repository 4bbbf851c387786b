"""Catalog records as pydantic models; field names carry their unit.

Every record that states a figure carries `source` and `as_of`, so a report can say where
each number came from and how old it is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, PositiveInt, field_validator, model_validator

from advisor.problems import InputError, Problem
from advisor.strict import Strict

NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]*$")

AcceleratorKind = Literal["gpu", "tpu", "asic", "npu", "edge"]
ProviderKind = Literal["cloud", "gpu-cloud", "onprem", "edge"]
Fabric = Literal["efa", "infiniband", "ici", "roce", "ethernet", "neuronlink", "none"]
PricingModel = Literal["on_demand", "spot", "reserved_1y", "reserved_3y", "capex"]
PRICING_MODELS: tuple[PricingModel, ...] = ("on_demand", "spot", "reserved_1y", "reserved_3y", "capex")

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
    tdp_w: float | None = Field(default=None, gt=0, le=MAX_TDP_W)
    software_stack: str
    portable: bool
    trains: bool = True  # False for inference-only parts (AWS Inferentia, edge NPUs)

    _name = field_validator("name", "vendor")(_check_name)

    @model_validator(mode="after")
    def _has_compute(self) -> Accelerator:
        if self.bf16_tflops is None and self.int8_tops is None:
            raise ValueError("an accelerator needs bf16_tflops or int8_tops")
        if self.kind != "edge" and (self.memory_gb is None or self.memory_bandwidth_gbps is None):
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


class Purchase(Sourced):
    """Bought hardware: amortised purchase price plus power."""

    unit_price_usd: float = Field(gt=0, le=MAX_UNIT_PRICE_USD)
    lifetime_months: PositiveInt = Field(le=MAX_LIFETIME_MONTHS)
    power_w: float = Field(gt=0, le=MAX_POWER_W)
    electricity_usd_per_kwh: float = Field(ge=0, le=MAX_ELECTRICITY_USD_PER_KWH)
    pue: float = Field(default=1.0, ge=1.0, le=3.0)

    @property
    def monthly_usd(self) -> float:
        """Amortisation plus energy: price / lifetime + kW x 730 h x PUE x $/kWh."""
        energy = self.power_w / 1000 * HOURS_PER_MONTH * self.pue * self.electricity_usd_per_kwh
        return self.unit_price_usd / self.lifetime_months + energy


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


class Catalog(Strict):
    """The merged catalog of all layers, with lookups by name."""

    accelerators: dict[str, Accelerator]
    mig: dict[str, MigGpu]
    locations: dict[str, Location]
    providers: dict[str, Provider]
    regions: dict[str, Region]  # key: provider:name
    offerings: dict[str, Offering]  # key: provider:name
    measurements: dict[str, CatalogMeasurement] = {}  # key: model@accelerator x devices
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


Catalog.model_rebuild()
