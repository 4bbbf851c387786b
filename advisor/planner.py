"""The pipeline: inputs + catalog -> candidates -> solve -> explain -> Plan."""

from __future__ import annotations

import gc
from typing import Literal

from advisor.candidates import SHARED_GPU_GROUP_MAX, CandidateSet, build_candidates
from advisor.catalog.models import Catalog
from advisor.commitments import peak_sized_costs
from advisor.explain import Explainer, explain_mode, usd
from advisor.infeasibility import explain_infeasibility
from advisor.packing import shared_gpus
from advisor.plan import (
    Assignment,
    CatalogLayerInfo,
    Explanation,
    GridFigure,
    Infeasibility,
    Plan,
    SolverInfo,
)
from advisor.progress import SILENT, Progress
from advisor.provenance import provenance
from advisor.resources import shipped_catalog_dir
from advisor.risks import risk_register
from advisor.rows import assignment, shares, workload_plan
from advisor.solver import solve
from advisor.solver.model import counted_providers
from advisor.summary import summarise
from advisor.topology import Topology
from advisor.workload.loader import Inputs
from advisor.workload.models import Policy, Workload

WHOLE_GPU_NOTE = ("{} real-time services could share MIG slices of the same GPUs, more than the {} that are "
                  "planned together: they were planned on whole GPUs and CPUs, so sharing GPUs among them may "
                  "cost less than this plan.")
COUPLED_WHOLE_GPU_NOTE = ("A policy rule ties the workloads together, and the joint search does not pack MIG "
                          "slices: {} could share slices of GPUs but were planned on whole GPUs and CPUs.")
NOTES = [
    "Performance figures are roofline estimates unless marked measured; see docs/PERFORMANCE_MODEL.md.",
    "Spot prices are a dated sample and vary by the hour; spot capacity can be reclaimed.",
    "Latency is compute time plus a great-circle round-trip estimate from each user location to the region "
    "that serves it.",
]


def _model_detail(w: Workload) -> str:
    """The model's size and precision as a report shows it: '70B, fp8', '47B (13B active), bf16'."""
    m = w.model
    if m.params_b is not None:
        size = f"{m.params_b:g}B" + (f" ({m.active_params_b:g}B active)" if m.active_params_b else "")
    else:
        size = f"{m.params_m:g}M params, {m.gflops_per_inference:g} GFLOPs/inference"
    return f"{size}, {m.precision}"


def _described(explanations: list[Explanation], workloads: list[Workload]) -> list[Explanation]:
    """Each explanation with its workload's model and description, which the reports show."""
    by_name = {w.name: w for w in workloads}
    return [e.model_copy(update={"model": w.model.name, "model_detail": _model_detail(w),
                                 "description": w.description})
            if (w := by_name.get(e.workload)) else e for e in explanations]


def _layers(catalog: Catalog) -> list[CatalogLayerInfo]:
    shipped = str(shipped_catalog_dir())
    return [CatalogLayerInfo(path="(shipped catalog)" if layer.path == shipped else layer.path, files=layer.files,
                             oldest_as_of=str(layer.oldest_as_of) if layer.oldest_as_of else None,
                             newest_as_of=str(layer.newest_as_of) if layer.newest_as_of else None,
                             sha256=layer.sha256 or None)
            for layer in catalog.layers]


PADDING_NOTE = (
    "A share-of-spend cap binds ({}): the cheapest plan meets it partly by spending more on other "
    "providers or vendors, which raises the total and so lowers the capped share. If that is not what the "
    "cap is for, move a workload off the capped provider (pin it with constraints.providers) instead."
)


TIMEOUT_MESSAGE = (
    "the solver found no plan within its limit of {:g} s of work; that proves neither that a plan exists "
    "nor that none does: raise --time-limit"
)


def make_plan(inputs: Inputs, catalog: Catalog, *, time_limit_s: float = 60.0,
              explain_time_limit_s: float = 10.0, explain_constraints: bool = True, explain: str = "auto",
              explain_budget_s: float | None = None, jobs: int = 1,
              progress: Progress = SILENT) -> Plan:
    """Run every stage and return the explained Plan (feasible, infeasible or timed out).

    Time limits are deterministic solver work (docs/ARCHITECTURE.md), so the same inputs and
    limits give the same Plan on any machine and under any load; `jobs` (threads for the
    counterfactual solves) changes only how long it takes.
    """
    topology = Topology(catalog)
    workloads, policy = inputs.workloads, inputs.policy.with_catalog(catalog)

    whole: frozenset[str] = frozenset()

    def build(subset: list[Workload], rules: Policy, disabled: frozenset[str]) -> CandidateSet:
        return build_candidates(subset, rules, catalog, topology, disabled, whole_gpus=whole)

    progress(f"building candidates for {len(workloads)} workloads")
    candidates = build_candidates(workloads, policy, catalog, topology, frozenset(), progress)
    whole = candidates.whole_gpus  # too many services to pack together: whole GPUs for them, in every rebuild
    if whole:
        progress(f"{len(whole)} services could share MIG GPUs, more than {SHARED_GPU_GROUP_MAX} in one group: "
                 f"planning them on whole GPUs")
    # A fleet's candidates are about a million long-lived objects without cycles: moved out of the
    # collector's sight, later collections during the solve do not walk them again (seconds at 1,000).
    gc.freeze()
    n_options = sum(len(v) for v in candidates.options.values())
    progress(f"solving: {n_options} feasible options")
    result = solve(candidates, policy, time_limit_s=time_limit_s, progress=progress)
    mode = explain_mode(explain, len(workloads))
    if explain_budget_s is None:  # explanations are bounded by default: as much solver work as the plan
        explain_budget_s = time_limit_s
    explainer = Explainer(workloads, policy, candidates, result, build, min(time_limit_s, explain_time_limit_s),
                          progress, mode, explain_budget_s, jobs)
    solver_info = SolverInfo(
        status=result.status, objective_usd=usd(result.cost_cents) if result.cost_cents is not None else None,
        bound_usd=usd(result.bound_cents) if result.bound_cents is not None else None, gap_pct=result.gap_pct,
        workloads=len(workloads), options=n_options, time_limit=time_limit_s,
        stopped_by_limit=result.status in ("feasible", "unknown") and not result.too_large,
        stopped_by_size=result.too_large, explanations=mode, explain_budget=explain_budget_s)
    layers = _layers(catalog)
    if result.status not in ("optimal", "feasible"):
        status: Literal["infeasible", "timeout"]
        if result.status == "unknown":  # the limit came before any plan: nothing is proven either way
            status = "timeout"
            message = TIMEOUT_MESSAGE.format(time_limit_s)
            why = Infeasibility(message=message, causes=[message], conflicting_constraints=[],
                                workloads_without_options=[], relaxations=[])
        else:
            status = "infeasible"
            progress("no feasible plan: finding every cause and checking relaxations")
            why = explain_infeasibility(explainer)
        return Plan(status=status, total_monthly_cost_usd=None, total_annual_cost_usd=None,
                    assignments=[], explanations=[], constraints=[], spend_by_provider=[], spend_by_vendor=[],
                    infeasibility=why, objective=policy.objective, budget_monthly_usd=policy.budget.monthly_usd,
                    solver=solver_info.model_copy(update={"explanations_cut_short": explainer.cut_short}),
                    policy=policy.name, input_files=inputs.files, catalog_layers=layers, notes=NOTES,
                    provenance=provenance(inputs.files, inputs.sha256))
    constraints = []
    if explain_constraints and mode != "none":
        progress("pricing each constraint")
        constraints = explainer.constraint_costs()
    progress("explaining choices")
    explanations = _described(explainer.explanations(), workloads)
    rows = {w.name: [assignment(w, p, i, topology, catalog) for i, p in enumerate(result.placements[w.name], start=1)]
            for w in workloads}
    assignments = [a for w in workloads for a in rows[w.name]]
    peak_sized = peak_sized_costs(workloads, policy, build, time_limit_s) if mode != "none" else {}
    shared = shared_gpus(assignments, catalog)
    total = round(sum(a.monthly_cost_usd for a in assignments) + sum(g.idle_monthly_usd for g in shared), 2)
    vendors = {name: acc.vendor for name, acc in catalog.accelerators.items()}
    share_settings = ("lock_in.max_provider_share_pct", "lock_in.max_vendor_share_pct")
    capped = sorted({c.setting or c.name for c in constraints if c.binding and c.setting in share_settings})
    notes = NOTES + [PADDING_NOTE.format(", ".join(capped))] if capped else NOTES
    if whole:
        notes = [*notes, WHOLE_GPU_NOTE.format(len(whole), SHARED_GPU_GROUP_MAX)]
    if result.whole_gpus:
        notes = [*notes, COUPLED_WHOLE_GPU_NOTE.format(", ".join(result.whole_gpus))]
    solved: Literal["optimal", "feasible"] = "optimal" if result.status == "optimal" else "feasible"
    plans = [workload_plan(w, rows[w.name], catalog, candidates.options[w.name], peak_sized.get(w.name),
                           candidates.ruled_out.get(w.name, []))
             for w in workloads]
    by_provider = shares(assignments, "provider", shared=shared)
    by_vendor = shares(assignments, "vendor", vendors, shared)
    cpus = frozenset(name for name, acc in catalog.accelerators.items() if acc.kind == "cpu")
    risks = risk_register(assignments, plans, policy, by_provider, by_vendor, counted_providers(policy, candidates),
                          cpus)
    annual = sum(a.annual_cost_usd for a in assignments) + sum(12 * g.idle_monthly_usd for g in shared)
    return Plan(
        status=solved, total_monthly_cost_usd=total, total_annual_cost_usd=round(annual, 2),
        assignments=assignments, explanations=explanations,
        constraints=constraints, spend_by_provider=by_provider,
        spend_by_vendor=by_vendor, objective=policy.objective, shared_gpus=shared,
        summary=summarise(assignments, shared, constraints, policy, total, explain_constraints and mode != "none",
                          risks, full=mode == "full"),
        workloads=plans, risks=risks, grids=_grids(assignments, catalog),
        budget_monthly_usd=policy.budget.monthly_usd, policy=policy.name,
        solver=solver_info.model_copy(update={"explanations_cut_short": explainer.cut_short}),
        input_files=inputs.files, catalog_layers=layers, notes=notes,
        provenance=provenance(inputs.files, inputs.sha256))


def _grids(assignments: list[Assignment], catalog: Catalog) -> list[GridFigure]:
    """The grid carbon figure of each region the plan uses, with its source."""
    used = sorted({(a.provider, a.region) for a in assignments})
    return [GridFigure(provider=p, region=r, gco2_per_kwh=region.carbon_gco2_per_kwh, source=region.carbon_source)
            for p, r in used if (region := catalog.region(p, r)) is not None and region.carbon_gco2_per_kwh is not None]
