"""The Plan: the one result model every renderer reads (JSON output contract, schema 1.x).

Field names and meanings of `status`, `total_monthly_cost_usd` and `assignments[*]` are a
contract other tools rely on (see docs/ARCHITECTURE.md); add fields, never rename them.
"""

from __future__ import annotations

from typing import Literal

from advisor.strict import Strict

SCHEMA_VERSION = "1.8"


class EstimateSummary(Strict):
    """The key numbers behind a placement, and whether they are estimated or measured."""

    basis: Literal["roofline", "measured"]
    basis_source: str
    devices_per_replica: int
    batch: int | None = None
    throughput_per_instance: float
    throughput_unit: str
    tokens_per_s_per_replica: float | None = None
    compute_latency_ms: float | None = None
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    memory_per_device_gb: float
    busy_hours_per_month: float
    job_hours: float | None = None
    power_w_per_site: float | None = None
    mfu: float | None = None
    layout: str | None = None  # how a multi-instance training job is joined: ICI slice, fabric or DCN
    band_pct: float | None = None  # how far the estimate may be off (hold-out error of its family, or of its
    # accelerator within the family); None: measured
    band: str | None = None  # that band described: '±16% (LLM serving, 26 hold-out cases)'
    utilisation_pct: float | None = None  # real-time: the share of an instance's rate the plan loads it to
    queue_wait_ms: float | None = None  # real-time: p95 wait in the queue at that load (in latency and TTFT)


class Route(Strict):
    """User traffic from one location served by one placement (real-time workloads)."""

    location: str
    share_pct: float  # share of that location's traffic (of that size, under a request-size mix)
    network_rtt_ms: float
    size: str | None = None  # under a request-size mix (traffic.mix): the bucket these requests are
    throughput_per_instance: float | None = None  # under a request-size mix: requests/s an instance serves of this size
    latency_ms: float | None = None  # p95 end to end: compute + network
    ttft_ms: float | None = None  # network included


class SizeShare(Strict):
    """A batch job under a request-size mix: the share of one size's requests a placement processes."""

    size: str
    share_pct: float  # share of that size's requests in a run
    throughput_per_instance: float  # requests/s an instance processes of this size


class LevelRun(Strict):
    """Instances a placement runs through one load level of its workload's traffic profile."""

    load_pct: float  # the level's load, as a share of peak
    hours_per_month: float  # hours a month the load is at this level
    instances: int
    serves: list[Route] = []  # under a request-size mix, below the peak: the streams routed here at this level


PlanPricing = Literal["on_demand", "spot", "reserved_1y", "reserved_3y", "capex", "owned"]


class Assignment(Strict):
    """One placement: a count of one option (offering, region, pricing) carrying part of a workload."""

    workload: str
    kind: str
    team: str
    provider: str
    region: str
    jurisdiction: str | None
    instance: str
    instances: int
    accelerator: str
    accelerator_count: int
    pricing: PlanPricing
    hourly_usd: float | None
    monthly_cost_usd: float
    annual_cost_usd: float  # a year of it: 12 months, or one for work that runs once (`once: true`)
    latency_ms: float | None = None
    slo_p95_latency_ms: float | None = None
    ttft_ms: float | None = None
    slo_ttft_ms: float | None = None
    tpot_ms: float | None = None
    slo_tpot_ms: float | None = None
    network_rtt_ms: float | None = None
    carbon_kg_per_month: float | None = None
    estimate: EstimateSummary
    price_source: str
    price_as_of: str
    price_is_estimate: bool
    placement: int = 1  # 1-based, within the workload
    load_share_pct: float = 100.0  # share of the workload's demand this placement carries
    serves: list[Route] = []  # real-time: the user locations routed here
    sizes: list[SizeShare] = []  # batch under a request-size mix: each size's share processed here
    schedule: list[LevelRun] = []  # under a traffic profile: instances running at each load level, peak first
    instance_hours_per_month: float | None = None  # under a traffic profile: instance-hours run (billed if hourly)
    spot_interruption_pct: float | None = None  # spot: share of its capacity assumed reclaimed while the work runs
    fallback_hourly_usd: float | None = None  # spot: on-demand price of the same instance, which replaces it
    fallback_monthly_usd: float | None = None  # spot: the part of monthly_cost_usd paid for that replacement
    upfront_usd: float | None = None  # bought hardware: the purchase price of these instances, paid up front
    amortisation_months: int | None = None  # bought hardware: the months monthly_cost_usd spreads that price over
    fleet: str | None = None  # a declared fleet's units (owned: already paid for; capex: still to buy)
    mig_profile: str | None = None  # MIG slices: instances counts slices of this profile on shared GPUs
    operations_monthly_usd: float | None = None  # bought or owned: the facility, network and staff part of monthly
    first_year_usd: float | None = None  # paid in the first year: bought hardware at its price, the rest as billed
    once: bool = False  # one-off work (training or batch `once: true`): billed in one month, counted once a year


class GpuSlice(Strict):
    """One MIG slice of a shared GPU: its profile, first memory slice, and the workload holding it."""

    profile: str
    start: int
    workload: str | None = None  # None: idle


class SharedGpus(Strict):
    """`count` identical GPUs of one instance type, region and pricing, cut into the same MIG slices."""

    provider: str
    region: str
    instance: str
    pricing: PlanPricing
    accelerator: str
    count: int
    slices: list[GpuSlice]
    monthly_cost_usd: float  # the whole GPUs (instances), a month
    idle_monthly_usd: float  # the part of it no workload's slices pay for (their shares are in assignments)
    idle_first_year_usd: float = 0.0  # that idle part over the first year


class WorkloadRoute(Strict):
    """Where one user location's traffic goes: a region and its share of that location's traffic."""

    location: str
    provider: str
    region: str
    share_pct: float
    size: str | None = None  # under a request-size mix: the bucket
    latency_ms: float | None = None
    ttft_ms: float | None = None


class Commitment(Strict):
    """Capacity a workload commits to for a term (reserved or bought): it bills every hour, used or not."""

    pricing: Literal["reserved_1y", "reserved_3y", "capex"]
    term_months: int  # 12 or 36 for reservations; the amortisation term of bought hardware
    instances: int
    monthly_usd: float
    total_liability_usd: float  # monthly x term: what the term commits to in all
    upfront_usd: float | None = None  # bought hardware: the purchase price of these instances
    utilisation_pct: float  # its average use under the profile (committed capacity is filled first)
    break_even_utilisation_pct: float | None = None  # the use at which renting on demand would cost the same
    break_even_against: str | None = None  # the on-demand offering that comparison uses


class Burst(Strict):
    """Capacity rented by the hour above the commitments: what runs at peak and what the month bills."""

    peak_instances: int
    instance_hours_per_month: float
    monthly_usd: float


class RightSizing(Strict):
    """A placement busy only a small share of its capacity at peak, and the smaller option that was
    ruled out (the cheapest on an instance of fewer accelerators) with the rules against it."""

    placement: int
    utilisation_pct: float  # load at peak over what the placement's instances carry
    smaller_option: str | None = None  # offering (provider region, pricing); None: no smaller one was considered
    smaller_monthly_usd: float | None = None  # what it would cost carrying the workload alone, where it could be sized
    ruled_out_by: list[str] = []  # the rules it breaks, described
    reasons: list[str] = []


class WorkloadPlan(Strict):
    """One workload's placements in total: cost, regions and routing."""

    workload: str
    kind: str
    team: str
    monthly_cost_usd: float
    placements: int
    regions: list[str]  # provider:region
    routing: list[WorkloadRoute] = []
    min_regions: int | None = None
    survive_region_loss: bool = False
    mean_load_pct: float | None = None  # under a traffic profile: average load as a share of peak
    commitments: list[Commitment] = []  # under a traffic profile: capacity committed for a term, per pricing
    burst: Burst | None = None  # under a traffic profile: capacity rented by the hour above the commitments
    spot_share_pct: float | None = None  # interruptible work: share of its work placed on spot (with fallback)
    peak_sized_monthly_usd: float | None = None  # its own cheapest plan sized for its peak around the clock
    profile_saving_monthly_usd: float | None = None  # what following the profile saves on its own cheapest plan
    right_sizing: list[RightSizing] = []  # placements busy less than 20% at peak (advisor.rightsizing)
    first_year_usd: float | None = None  # its placements' first_year_usd
    carbon_kg_per_month: float | None = None  # its placements' emissions, where every region has a grid figure


class Alternative(Strict):
    provider: str
    region: str
    instance: str
    accelerator: str
    pricing: str
    monthly_cost_usd: float
    delta_usd: float
    latency_ms: float | None = None
    why_not: str
    proven: bool = True  # False: the counterfactual behind why_not was not settled within the time limit
    instances: int | None = None  # what it needs to carry the workload alone
    accelerator_count: int | None = None
    ttft_ms: float | None = None  # p95 time to first token, network included (language models)


class RuledOutGroup(Strict):
    rule: str
    description: str
    count: int
    closest: str | None = None
    closest_monthly_cost_usd: float | None = None


class Explanation(Strict):
    workload: str
    summary: str
    options_considered: int
    options_feasible: int
    alternatives: list[Alternative]
    ruled_out: list[RuledOutGroup]
    model: str | None = None  # the workload's model name, as written
    model_detail: str | None = None  # its size and precision, e.g. "70B, fp8"
    description: str = ""  # the workload's description, as written (may hold line breaks)


class ConstraintCost(Strict):
    """What one constraint costs: the plan's total with it, minus the total without it.

    `binding` is None and `cost_usd` None when the re-solve was not settled within the time
    limit. A row with `part_of` set is one part of a user-facing setting priced as a whole
    (e.g. `provider_share:aws` of `lock_in.max_provider_share_pct`).
    """

    name: str
    description: str
    binding: bool | None
    cost_usd: float | None
    detail: str
    setting: str | None = None
    part_of: str | None = None
    first_order_usd: float | None = None  # dual price per `first_order_unit` (--explain summary): not proven
    first_order_unit: str | None = None
    proven: bool = True


class Change(Strict):
    """One edit to an input document: set `field` (a dotted path) of `document` to `value`.

    `document` is `policy` or a workload's name; `value` None means: remove the field (use its default).
    """

    document: str
    field: str
    value: float | int | bool | str | list[str] | dict[str, float] | None


class Relaxation(Strict):
    """A set of changes that, applied together, make the plan feasible (checked by re-planning)."""

    constraints: list[str]
    suggestion: str
    resulting_monthly_cost_usd: float | None = None  # the re-planned total with every change applied
    option_monthly_cost_usd: float | None = None  # the option a workload relaxation brings back, alone
    changes: list[Change] = []
    proven_optimal: bool = True  # False: the re-planned total is the best found within the time limit


class EmptyWorkload(Strict):
    workload: str
    reasons: list[RuledOutGroup]


class Infeasibility(Strict):
    message: str
    causes: list[str] = []
    conflicting_constraints: list[str]
    workloads_without_options: list[EmptyWorkload]
    relaxations: list[Relaxation]


class SolverInfo(Strict):
    engine: str = "OR-Tools CP-SAT"
    status: str
    objective_usd: float | None
    bound_usd: float | None
    gap_pct: float | None
    workloads: int
    options: int
    time_limit: float | None = None  # deterministic seconds of solver work (see docs/ARCHITECTURE.md)
    stopped_by_limit: bool = False
    stopped_by_size: bool = False  # the full search was not run: its model was too large (docs/ARCHITECTURE.md)
    explanations: Literal["full", "summary", "none"] = "full"  # --explain: how far alternatives were re-solved
    explain_budget: float | None = None  # deterministic seconds for all counterfactual solves together
    explanations_cut_short: int = 0  # counterfactual solves not run because the budget was spent

    @property
    def explanation_note(self) -> str:
        """How far the report's explanations go, for its header (empty when fully re-solved)."""
        parts = []
        if self.explanations == "summary":
            parts.append("summary (alternatives compared by cost alone, rules priced to first order: coupling "
                         "rules by the solve's dual prices, a workload's own rules on that workload alone; "
                         "--explain full re-solves them)")
        elif self.explanations == "none":
            parts.append("none (no alternatives or constraint prices)")
        if self.explanations_cut_short:
            budget = f" of {self.explain_budget:g} s" if self.explain_budget is not None else ""
            parts.append(f"{self.explanations_cut_short} counterfactual solves not run: the explanation "
                         f"budget{budget} was spent")
        return "; ".join(parts)


class Share(Strict):
    name: str
    monthly_cost_usd: float
    share_pct: float


class PolicyCheck(Strict):
    """One budget rule of the policy against the plan's figure."""

    rule: str  # the policy setting, e.g. budget.per_team_monthly_usd.support
    limit_usd: float
    plan_usd: float
    passed: bool


class CommitmentLine(Strict):
    """What the plan commits to one provider under one pricing model and term, over its workloads."""

    provider: str
    pricing: Literal["reserved_1y", "reserved_3y", "capex"]
    term_months: int
    instances: int
    monthly_usd: float
    liability_usd: float  # monthly x term
    upfront_usd: float = 0.0  # bought hardware: paid before it runs
    workloads: list[str]


class Summary(Strict):
    """What a review decides on, first in every format (advisor.summary)."""

    sentences: list[str]
    checks: list[PolicyCheck]
    spend_by_team: list[Share]
    spend_by_pricing: list[Share]
    committed_monthly_usd: float  # reserved and bought placements, a month
    commitment_liability_usd: float  # those, each over its term (12, 36 months, or the amortisation)
    upfront_usd: float  # bought hardware's purchase price, paid up front
    first_year_usd: float | None = None  # the rows' first_year_usd and shared GPUs' idle part over a year
    spend_by_region: list[Share] = []  # provider:region
    commitments: list[CommitmentLine] = []  # committed spend by provider, pricing and term
    carbon_kg_per_month: float | None = None  # every placement's emissions (None: a region has no grid figure)


class GridFigure(Strict):
    """The grid carbon intensity a plan's emissions rest on, for one region it uses, with its source."""

    provider: str
    region: str
    gco2_per_kwh: float
    source: str


class Risk(Strict):
    """One entry of the plan's risk register (advisor.risks): what could go wrong, and what limits it."""

    kind: Literal["spot", "single_region", "lock_in", "estimate", "low_utilisation", "capacity"]
    severity: Literal["high", "medium", "low"]
    subject: str  # a workload, provider or provider:region
    risk: str
    mitigation: str


class InputFile(Strict):
    path: str
    sha256: str


class Provenance(Strict):
    """What produced the plan: the advisor, its inputs by content, and when (SOURCE_DATE_EPOCH fixes it)."""

    advisor_version: str
    generated_at: str | None = None  # UTC, from SOURCE_DATE_EPOCH; None keeps the JSON the same on every run
    inputs: list[InputFile] = []


class CatalogLayerInfo(Strict):
    path: str
    files: int
    oldest_as_of: str | None
    newest_as_of: str | None
    sha256: str | None = None  # of the layer's files, paths and contents


class Plan(Strict):
    schema_version: str = SCHEMA_VERSION
    status: Literal["optimal", "feasible", "infeasible", "timeout"]
    objective: str
    total_monthly_cost_usd: float | None
    total_annual_cost_usd: float | None
    budget_monthly_usd: float | None
    assignments: list[Assignment]
    explanations: list[Explanation]
    constraints: list[ConstraintCost]
    spend_by_provider: list[Share]
    spend_by_vendor: list[Share]
    summary: Summary | None = None
    workloads: list[WorkloadPlan] = []
    shared_gpus: list[SharedGpus] = []
    infeasibility: Infeasibility | None = None
    solver: SolverInfo
    policy: str
    input_files: list[str]
    catalog_layers: list[CatalogLayerInfo]
    notes: list[str]
    risks: list[Risk] = []
    grids: list[GridFigure] = []  # the grid figures behind carbon_kg_per_month, per region used
    provenance: Provenance | None = None
