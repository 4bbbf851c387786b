"""Pydantic models of the workload and policy documents users write.

Field names carry their unit (`params_b`, `p95_latency_ms`, `monthly_usd`). One model per
workload kind, selected by `kind`, so each kind states exactly the fields it needs.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Tag,
    field_validator,
    model_validator,
)

from advisor.catalog.models import (
    MIN_MEASURED_MS,
    MIN_MEASURED_REQUESTS_PER_S,
    MIN_MEASURED_TOKENS_PER_S,
    Catalog,
    Fleet,
    PricingModel,
    fleet_place,
)
from advisor.strict import Strict
from advisor.validation import FieldError, form
from advisor.workload.profile import shares

Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
# Upper limits far beyond any real fleet, so that costs and counts stay within the solver's
# 64-bit integers (larger values made the solver crash instead of reporting the input).
MAX_MONTHLY_USD = 1e12
MAX_RPS = 1e7
MAX_REPLICAS = 100_000
WORKLOAD_KINDS = ("training", "batch-inference", "realtime-inference", "edge-inference")


class Input(Strict):
    """Base of every user document: no unknown fields, and numbers must be finite (no .inf/.nan)."""

    model_config = ConfigDict(allow_inf_nan=False)


def _check_name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError(
            "names are 1-100 characters: letters, digits, '.', '_' and '-', starting with a letter or digit"
        )
    return value


class Architecture(Input):
    """Transformer shape; when omitted, defaults by model size are used (see PERFORMANCE_MODEL.md)."""

    layers: PositiveInt
    kv_heads: PositiveInt
    head_dim: PositiveInt = 128


class ModelSpec(Input):
    """The model being trained or served: an LLM (params_b) or a fixed-cost network (gflops)."""

    name: str = Field(min_length=1, max_length=100)
    params_b: PositiveFloat | None = Field(default=None, le=20000)
    active_params_b: PositiveFloat | None = None
    params_m: PositiveFloat | None = None
    gflops_per_inference: PositiveFloat | None = None
    precision: Precision = "bf16"
    architecture: Architecture | None = None

    @model_validator(mode="after")
    def _one_family(self) -> ModelSpec:
        if self.params_b is None and self.gflops_per_inference is None:
            raise ValueError("give params_b (a language model) or gflops_per_inference (any other model)")
        if self.params_b is not None and self.gflops_per_inference is not None:
            raise ValueError("give either params_b or gflops_per_inference, not both")
        if self.gflops_per_inference is not None and self.params_m is None:
            raise ValueError("a model given by gflops_per_inference also needs params_m (its size)")
        if self.active_params_b is not None and (self.params_b is None or self.active_params_b > self.params_b):
            raise ValueError("active_params_b must not exceed params_b")
        return self

    @property
    def is_llm(self) -> bool:
        return self.params_b is not None


class Constraints(Input):
    """Per-workload placement limits."""

    jurisdictions: list[str] | None = None
    providers: list[str] | None = None
    regions: list[str] | None = None  # provider:region, e.g. aws:eu-west-1
    accelerators: list[str] | None = None
    pricing: list[PricingModel] | None = None
    portable: bool = False
    spot: bool = False
    min_replicas: PositiveInt = Field(default=1, le=MAX_REPLICAS)
    max_replicas: PositiveInt | None = Field(default=None, le=MAX_REPLICAS)
    min_regions: PositiveInt | None = Field(default=None, le=50)
    """Spread the workload over at least this many regions (sum over all its placements)."""
    survive_region_loss: bool = False
    """Real-time only: losing any one region still leaves capacity for peak traffic, rerouted
    within `failover_latency_ms` (default: the normal objectives)."""
    failover_latency_ms: PositiveFloat | None = Field(default=None, le=1e6)
    dedicated: bool = False
    """Whole GPUs only: a real-time service otherwise may run on MIG slices of GPUs it shares with
    other workloads (advisor.mig)."""
    """p95 (or time-to-first-token) objective for users rerouted after a region loss."""

    @model_validator(mode="after")
    def _replica_bounds(self) -> Constraints:
        if self.max_replicas is not None and self.max_replicas < self.min_replicas:
            raise FieldError("max_replicas must be at least min_replicas", "max_replicas")
        if self.failover_latency_ms is not None and not self.survive_region_loss:
            raise FieldError("failover_latency_ms needs survive_region_loss: true", "failover_latency_ms")
        return self


class Measurement(Input):
    """A measured figure for this model on one accelerator; it replaces the estimate.

    Inference: `requests_per_s` of one replica of `devices_per_replica` devices and its p95
    compute times without network: `latency_ms` (whole request), `ttft_ms` (time to first
    token), `tpot_ms` (time per output token). An objective whose figure is not measured rules
    the option out (see docs/PERFORMANCE_MODEL.md). Training: `tokens_per_s_per_device`.
    """

    accelerator: str = Field(min_length=1, max_length=100)
    devices_per_replica: PositiveInt = Field(default=1, le=4096)
    requests_per_s: float | None = Field(default=None, ge=MIN_MEASURED_REQUESTS_PER_S, le=1e9)
    latency_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    ttft_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    tpot_ms: float | None = Field(default=None, ge=MIN_MEASURED_MS, le=1e9)
    tokens_per_s_per_device: float | None = Field(default=None, ge=MIN_MEASURED_TOKENS_PER_S, le=1e9)
    source: str = Field(min_length=3, max_length=500)
    bucket: str | None = Field(default=None, max_length=100)
    """With traffic.mix: the request-size bucket these figures were measured at."""

    @model_validator(mode="after")
    def _has_figures(self) -> Measurement:
        if self.tokens_per_s_per_device is None and self.requests_per_s is None:
            raise FieldError("a measurement needs requests_per_s (inference) or tokens_per_s_per_device "
                             "(training)", "requests_per_s")
        return self


class WorkloadBase(Input):
    name: str
    team: str = Field(default="default", min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    model: ModelSpec
    constraints: Constraints = Constraints()
    measured: list[Measurement] = Field(default=[], max_length=200)

    _name = field_validator("name")(_check_name)

    @model_validator(mode="after")
    def _availability_fits_the_kind(self) -> WorkloadBase:
        kind = getattr(self, "kind", "")
        if self.constraints.survive_region_loss and kind != "realtime-inference":
            raise FieldError("survive_region_loss applies to realtime-inference (peak traffic after a region loss)",
                             "constraints", "survive_region_loss")
        if self.constraints.min_regions is not None and kind == "edge-inference":
            raise FieldError("edge devices stand at the workload's own sites; min_regions does not apply",
                             "constraints", "min_regions")
        return self


class Training(WorkloadBase):
    """A training or fine-tuning job that must finish by a deadline, run `runs_per_month` times
    (`once`: in one month only, e.g. a first training run, so a year counts it once)."""

    kind: Literal["training"]
    tokens_b: PositiveFloat = Field(le=1e6)
    deadline_days: float = Field(ge=0.01, le=365)
    runs_per_month: PositiveFloat = Field(default=1, le=1000)
    once: bool = False
    method: Literal["full", "lora"] = "full"
    sharding: Literal["replicated", "zero1", "zero2", "zero3", "fsdp"] = "fsdp"
    seq_len: PositiveInt = Field(default=4096, le=1_000_000)
    global_batch_tokens: PositiveInt | None = Field(default=None, le=1_000_000_000)
    """Tokens per optimizer step (global batch x sequence length); default 4,194,304 for full
    training and 65,536 for LoRA. Each step adds a fixed overhead (docs/PERFORMANCE_MODEL.md)."""

    @model_validator(mode="after")
    def _llm(self) -> Training:
        if not self.model.is_llm:
            raise FieldError("training needs model.params_b", "model")
        return self


MAX_MIX_BUCKETS = 8
"""Request-size buckets a mix holds at most: each multiplies the streams the solver routes."""


class MixBucket(Input):
    """One request size of a language-model service: its tokens and its share of the requests."""

    name: str
    input_tokens: PositiveInt = Field(le=2_000_000)
    output_tokens: PositiveInt = Field(le=200_000)
    share: float = Field(gt=0, le=1)
    """Share of the workload's requests of this size (the buckets' shares add up to 1)."""

    _name = field_validator("name")(_check_name)


def check_mix(mix: list[MixBucket] | None) -> list[MixBucket] | None:
    """Bucket names differ and their shares add up to 1."""
    if mix is None:
        return None
    names = [b.name for b in mix]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"bucket names must differ: {', '.join(repeated)} repeated")
    total = sum(b.share for b in mix)
    if abs(total - 1.0) > 0.01:
        raise ValueError(f"bucket shares must add up to 1.0 (they add up to {total:g})")
    return mix


def check_mix_measurements(w: WorkloadBase, mix: list[MixBucket] | None, where: str) -> None:
    """A mix needs a language model and no single request size; measurements name their bucket."""
    if mix is None:
        if any(m.bucket is not None for m in w.measured):
            raise FieldError(f"a measurement names a request-size bucket, but the workload has no {where}.mix",
                             "measured")
        return
    if not w.model.is_llm:
        raise FieldError(f"{where}.mix gives request sizes in tokens: it needs a language model (params_b)",
                         where, "mix")
    buckets = {b.name for b in mix}
    for m in w.measured:
        if m.bucket is None:
            raise FieldError("with a request-size mix each measurement names the bucket it was measured at "
                             f"(bucket: one of {', '.join(sorted(buckets))})", "measured")
        if m.bucket not in buckets:
            raise FieldError(f"measurement for bucket {m.bucket!r}, which {where}.mix does not have "
                             f"({', '.join(sorted(buckets))})", "measured")


class BatchVolume(Input):
    requests_per_run: PositiveFloat = Field(le=1e12)
    input_tokens: PositiveInt | None = Field(default=None, le=2_000_000)
    output_tokens: PositiveInt | None = Field(default=None, le=200_000)
    mix: list[MixBucket] | None = Field(default=None, min_length=2, max_length=MAX_MIX_BUCKETS)
    """Request sizes of a language-model job, each with its share of requests; in place of
    input_tokens and output_tokens. Each size may run on different accelerators."""

    _mix = field_validator("mix")(check_mix)


class BatchInference(WorkloadBase):
    """Offline work: `requests_per_run` must finish within `window_hours`, `runs_per_month` times
    (`once`: in one month only, e.g. a backfill, so a year counts it once)."""

    kind: Literal["batch-inference"]
    volume: BatchVolume
    window_hours: float = Field(ge=0.01, le=744)
    runs_per_month: PositiveFloat = 30
    once: bool = False

    @model_validator(mode="after")
    def _tokens_for_llm(self) -> BatchInference:
        v = self.volume
        check_mix_measurements(self, v.mix, "volume")
        if v.mix is not None and (v.input_tokens is not None or v.output_tokens is not None):
            raise FieldError("give either volume.input_tokens and output_tokens or volume.mix, not both",
                             "volume", "mix")
        if self.model.is_llm and v.mix is None and (v.input_tokens is None or v.output_tokens is None):
            raise FieldError("an LLM batch job needs volume.input_tokens and volume.output_tokens (or volume.mix)",
                             "volume")
        if self.window_hours * self.runs_per_month > 744:
            raise FieldError("window_hours x runs_per_month exceeds the hours in a month", "runs_per_month")
        return self


ProfileName = Literal["flat", "business-hours", "consumer-evening"]
"""Named daily shapes (advisor.workload.profile.PRESETS, documented there with their numbers)."""
HourShares = Annotated[list[Annotated[float, Field(ge=0, le=1)]], Field(min_length=24, max_length=24)]
"""24 shares of peak_rps, one per hour from 00:00."""


def _written_as(value: object) -> str:
    """Which form a profile is written in, so that an error speaks of that form only."""
    if isinstance(value, str):
        return form("name")
    if isinstance(value, dict | WeeklyProfile):
        return form("weekly")
    return form("hours")


_NamedDay = Annotated[ProfileName, Tag(form("name"))]
_HourlyDay = Annotated[HourShares, Tag(form("hours"))]
DayProfile = Annotated[_NamedDay | _HourlyDay, Discriminator(_written_as)]


class WeeklyProfile(Input):
    """Different shapes on weekdays (5 days) and at weekends (2 days)."""

    weekday: DayProfile
    weekend: DayProfile


Profile = Annotated[_NamedDay | _HourlyDay | Annotated[WeeklyProfile, Tag(form("weekly"))], Discriminator(_written_as)]


class Traffic(Input):
    peak_rps: PositiveFloat = Field(le=MAX_RPS)
    input_tokens: PositiveInt | None = Field(default=None, le=2_000_000)
    output_tokens: PositiveInt | None = Field(default=None, le=200_000)
    users: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    profile: Profile | None = None
    """Load per hour of day as shares of peak_rps; none: peak_rps around the clock (`flat`)."""
    mix: list[MixBucket] | None = Field(default=None, min_length=2, max_length=MAX_MIX_BUCKETS)
    """Request sizes of a language-model service, each with its share of requests; in place of
    input_tokens and output_tokens. Each size may be served by different accelerators."""

    _mix = field_validator("mix")(check_mix)

    @field_validator("profile")
    @classmethod
    def _peak_hour(cls, profile: str | list[float] | WeeklyProfile | None) -> str | list[float] | WeeklyProfile | None:
        if profile is not None:
            largest = max(max(day) for day in week_shares(profile))
            if largest != 1.0:
                raise ValueError(f"the busiest hour has {largest:g} of peak_rps; the profile's peak hour must be 1 "
                                 "(shares are of peak_rps, so the busiest hour carries peak_rps)")
        return profile

    def week(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(weekday, weekend) shares of peak per hour; flat without a profile."""
        return week_shares(self.profile if self.profile is not None else "flat")

    @field_validator("users")
    @classmethod
    def _shares(cls, users: dict[str, float]) -> dict[str, float]:
        total = sum(users.values())
        if abs(total - 1.0) > 0.01:
            raise ValueError(f"user shares must add up to 1.0 (they add up to {total:g})")
        return users


def week_shares(profile: str | list[float] | WeeklyProfile) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A written profile as (weekday, weekend) shares of peak per hour."""
    if isinstance(profile, WeeklyProfile):
        return shares(profile.weekday), shares(profile.weekend)
    return shares(profile), shares(profile)


class Slo(Input):
    """Latency objectives at p95, as users see them (network round trip included).

    `p95_latency_ms` bounds a whole request; language-model services may instead (or also) bound
    the time to first token and the time per output token.
    """

    p95_latency_ms: PositiveFloat | None = None
    ttft_ms: PositiveFloat | None = None
    tpot_ms: PositiveFloat | None = None

    @model_validator(mode="after")
    def _some_objective(self) -> Slo:
        if self.p95_latency_ms is None and self.ttft_ms is None and self.tpot_ms is None:
            raise FieldError("give p95_latency_ms, or ttft_ms and/or tpot_ms for a language model", "p95_latency_ms")
        return self


class RealtimeInference(WorkloadBase):
    """Always-on serving: peak requests per second within a p95 latency SLO, seen from its users."""

    kind: Literal["realtime-inference"]
    traffic: Traffic
    slo: Slo

    @model_validator(mode="after")
    def _checks(self) -> RealtimeInference:
        t = self.traffic
        check_mix_measurements(self, t.mix, "traffic")
        if t.mix is not None:
            self._check_mix()
        elif self.model.is_llm and (t.input_tokens is None or t.output_tokens is None):
            raise FieldError("an LLM service needs traffic.input_tokens and traffic.output_tokens (or traffic.mix)",
                             "traffic")
        if self.constraints.spot:
            raise FieldError("realtime-inference cannot use spot capacity: it is not interruptible",
                             "constraints", "spot")
        if not self.model.is_llm and self.slo.p95_latency_ms is None:
            raise FieldError("a model without tokens needs slo.p95_latency_ms", "slo")
        return self

    def _check_mix(self) -> None:
        t = self.traffic
        if t.input_tokens is not None or t.output_tokens is not None:
            raise FieldError("give either traffic.input_tokens and output_tokens or traffic.mix, not both",
                             "traffic", "mix")
        if self.constraints.survive_region_loss:
            raise FieldError("traffic.mix with survive_region_loss is not supported yet", "traffic", "mix")


class EdgeSite(Input):
    count: PositiveInt = Field(le=1_000_000)
    inferences_per_s: PositiveFloat
    max_power_w: PositiveFloat | None = None


class EdgeInference(WorkloadBase):
    """Inference on devices bought for each site (factories, shops, vehicles)."""

    kind: Literal["edge-inference"]
    sites: EdgeSite
    slo: Slo

    @model_validator(mode="after")
    def _not_llm(self) -> EdgeInference:
        if self.model.is_llm:
            raise FieldError("edge-inference models are given by gflops_per_inference and params_m", "model")
        if self.slo.p95_latency_ms is None:
            raise FieldError("edge-inference needs slo.p95_latency_ms", "slo")
        return self


Workload = Training | BatchInference | RealtimeInference | EdgeInference
WORKLOAD_MODELS: dict[str, type[WorkloadBase]] = {
    "training": Training,
    "batch-inference": BatchInference,
    "realtime-inference": RealtimeInference,
    "edge-inference": EdgeInference,
}


class Budget(Input):
    monthly_usd: NonNegativeFloat | None = Field(default=None, le=MAX_MONTHLY_USD)
    per_team_monthly_usd: dict[str, Annotated[NonNegativeFloat, Field(le=MAX_MONTHLY_USD)]] = {}
    max_commitment_usd: NonNegativeFloat | None = Field(default=None, le=MAX_MONTHLY_USD * 120)
    """The most the plan may commit to in all: over reserved and bought capacity, its monthly
    cost times its term in months (12 or 36 for reservations, the amortisation term of hardware)."""
    max_commitment_term_months: PositiveInt | None = Field(default=None, le=120)
    """The longest term the plan may commit to: 12 allows 1-year reservations only, 36 also
    3-year ones; bought hardware counts its amortisation term."""


class LockIn(Input):
    max_provider_share_pct: float | None = Field(default=None, gt=0, le=100)
    max_vendor_share_pct: float | None = Field(default=None, gt=0, le=100)
    min_providers: PositiveInt = Field(default=1, le=100)
    scope: Literal["clouds", "all"] = "clouds"
    """Which providers provider share caps and min_providers count: `clouds` (cloud and GPU-cloud
    providers; spend on owned on-premises servers and edge devices is no lock-in) or `all`."""


class Policy(Input):
    """What spans workloads: budget, lock-in limits, allowed providers, objective."""

    kind: Literal["policy"]
    name: str = "policy"
    budget: Budget = Budget()
    lock_in: LockIn = LockIn()
    allowed_providers: list[str] | None = None
    objective: Literal["cost"] = "cost"
    quotas: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = {}
    """Accelerators the plan may hold at once per `provider:region:accelerator` (a cloud's GPU
    quota), over every workload and pricing model, e.g. {aws:us-east-1:h100-sxm: 64}."""
    fleets: list[Fleet] = Field(default=[], max_length=10_000)
    """Hardware the company holds or plans to buy (advisor.catalog.models.Fleet), with the catalog
    layers' fleets (a policy fleet of the same name wins)."""
    spot_interruption_pct: float | None = Field(default=None, ge=0, lt=100)
    """Share of spot capacity reclaimed while a job runs, for every provider (default: each
    provider's catalog figure, else advisor.catalog.models.DEFAULT_SPOT_INTERRUPTION_PCT)."""

    _name = field_validator("name")(_check_name)

    @field_validator("quotas")
    @classmethod
    def _quota_keys(cls, quotas: dict[str, int]) -> dict[str, int]:
        for key in quotas:
            if len(key.split(":")) != 3 or not all(key.split(":")):
                raise ValueError(f"quota key {key!r} is not provider:region:accelerator (e.g. aws:us-east-1:h100-sxm)")
        return quotas

    @field_validator("fleets")
    @classmethod
    def _fleet_names(cls, fleets: list[Fleet]) -> list[Fleet]:
        names = [fleet.name for fleet in fleets]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"fleet names must differ; given twice: {', '.join(twice)}")
        return fleets

    def with_catalog(self, catalog: Catalog) -> Policy:
        """This policy with the catalog layers' fleets and quotas added (its own win by name and scope):
        what every stage plans and checks against."""
        if not catalog.fleets and not catalog.quotas:
            return self
        quotas = {**{q.scope: q.limit for q in catalog.quotas.values()}, **self.quotas}
        offerings = catalog.offerings
        own = {f.name for f in self.fleets} | {fleet_place(f, offerings) for f in self.fleets}
        fleets = [*(f for f in catalog.fleets.values() if f.name not in own and fleet_place(f, offerings) not in own),
                  *self.fleets]
        return self.model_copy(update={"quotas": quotas, "fleets": fleets})
