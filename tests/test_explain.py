"""Explanations name the right cause: the binding constraint, the conflicting one, the rule to relax."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.catalog import load_catalog
from advisor.planner import make_plan
from advisor.verify import verify
from advisor.workload.loader import Inputs
from advisor.workload.models import WORKLOAD_MODELS, Policy

CATALOG = load_catalog([Path(__file__).parent / "fixtures" / "small-catalog"], include_shipped=False)


def service(name: str, **constraints):
    """A small always-on service; on the test catalog alpha is cheapest (asic-x, then a1), beta dearer."""
    return WORKLOAD_MODELS["realtime-inference"].model_validate({
        "name": name, "kind": "realtime-inference",
        "model": {"name": "m", "params_b": 1},
        "traffic": {"peak_rps": 1, "input_tokens": 100, "output_tokens": 50, "users": {"us-east": 1.0}},
        "slo": {"p95_latency_ms": 10_000}, "constraints": {"portable": True, **constraints}})


def plan_for(workloads, **policy):
    p = Policy.model_validate({"kind": "policy", **policy})
    plan = make_plan(Inputs(workloads=workloads, policy=p, files=[]), CATALOG, time_limit_s=20)
    assert verify(plan, workloads, p, CATALOG) == []
    return plan


def test_lock_in_cap_is_named_as_binding_with_its_cost():
    free = plan_for([service("a"), service("b")])
    assert {a.provider for a in free.assignments} == {"alpha"}
    capped = plan_for([service("a"), service("b")], lock_in={"max_provider_share_pct": 60})
    assert {a.provider for a in capped.assignments} == {"alpha", "beta"}
    cost = {c.name: c for c in capped.constraints}["provider_share:alpha"]
    assert cost.binding
    assert cost.cost_usd == pytest.approx(capped.total_monthly_cost_usd - free.total_monthly_cost_usd, abs=0.01)
    moved = next(a.workload for a in capped.assignments if a.provider == "beta")
    why = {x.workload: x for x in capped.explanations}[moved]
    cheaper = [alt for alt in why.alternatives if alt.provider == "alpha" and alt.delta_usd < 0]
    assert cheaper and "provider_share:alpha" in cheaper[0].why_not


def test_dearer_alternatives_say_how_much_more():
    plan = plan_for([service("a")])
    for alt in plan.explanations[0].alternatives:
        assert alt.delta_usd >= 0
        assert alt.why_not.startswith(f"costs ${alt.delta_usd:,.2f} more per month")


def test_budget_conflict_names_only_the_budget_and_the_budget_that_would_do():
    cheapest = plan_for([service("a"), service("b")]).total_monthly_cost_usd
    plan = plan_for([service("a"), service("b")], budget={"monthly_usd": 100},
                    lock_in={"max_provider_share_pct": 100, "min_providers": 1})
    assert plan.status == "infeasible"
    assert plan.infeasibility.conflicting_constraints == ["budget_total"]
    relax = plan.infeasibility.relaxations[0]
    assert relax.constraints == ["budget_total"]
    assert f"{int(-(-cheapest // 1)):,}" in relax.suggestion
    assert relax.resulting_monthly_cost_usd == pytest.approx(cheapest)


def test_min_providers_alone_is_the_conflict_for_a_single_workload():
    plan = plan_for([service("a", providers=["alpha"])], lock_in={"min_providers": 2}, budget={"monthly_usd": 100_000})
    assert plan.status == "infeasible"
    assert plan.infeasibility.conflicting_constraints == ["min_providers"]


def test_share_caps_that_no_single_placement_can_meet_are_the_core():
    # One workload allowed on one provider puts 100% of spend there: that provider's cap is the conflict.
    plan = plan_for([service("a", providers=["alpha"])], lock_in={"max_provider_share_pct": 90},
                    budget={"monthly_usd": 100_000})
    assert plan.status == "infeasible"
    assert plan.infeasibility.conflicting_constraints == ["provider_share:alpha"]


def test_workload_without_options_names_the_rules_and_what_to_relax():
    stuck = service("stuck", providers=["beta"], accelerators=["asic-x"])  # asic-x is only sold by alpha
    plan = plan_for([stuck, service("ok")])
    assert plan.status == "infeasible"
    empty = plan.infeasibility.workloads_without_options
    assert [e.workload for e in empty] == ["stuck"]
    rules = {g.rule for g in empty[0].reasons}
    assert {"providers", "accelerators"} <= rules
    suggestions = " ".join(r.suggestion for r in plan.infeasibility.relaxations)
    assert "stuck: relax" in suggestions
    assert "allowed providers" in suggestions or "allowed accelerators" in suggestions


def test_relaxing_the_site_power_budget_brings_options_back():
    from advisor.candidates import build_candidates
    from advisor.topology import Topology

    cameras = WORKLOAD_MODELS["edge-inference"].model_validate({
        "name": "cameras", "kind": "edge-inference",
        "model": {"name": "d", "params_m": 10, "gflops_per_inference": 20, "precision": "int8"},
        "sites": {"count": 10, "inferences_per_s": 30, "max_power_w": 5}, "slo": {"p95_latency_ms": 100}})
    policy = Policy(kind="policy")
    strict = build_candidates([cameras], policy, CATALOG, Topology(CATALOG))
    assert strict.options["cameras"] == []
    assert {r.rules for r in strict.ruled_out["cameras"] if r.offering == "e1"} == {("power_budget",)}
    relaxed = build_candidates([cameras], policy, CATALOG, Topology(CATALOG), frozenset({"power_budget"}))
    assert [o.offering for o in relaxed.options["cameras"]] == ["e1"]


# --- issue: explanations that tell the truth --------------------------------------------------

def _explainer(cs, p, time_limit_s=20.0):
    from advisor.explain import Explainer
    from advisor.solver import solve

    return Explainer([], p, cs, solve(cs, p), lambda *args: cs, time_limit_s)


def test_a_share_cap_that_binds_as_a_whole_is_priced_as_a_whole():
    """No single provider's cap costs anything alone, but the setting costs $70: the rows say so."""
    from test_solver import fleet, option

    cs = fleet(w0=[option("w0", "gcp", 80_00), option("w0", "aws", 150_00), option("w0", "azure", 200_00)],
               w1=[option("w1", "gcp", 50_00), option("w1", "azure", 120_00), option("w1", "aws", 200_00)],
               w2=[option("w2", "aws", 120_00), option("w2", "azure", 200_00), option("w2", "gcp", 200_00)])
    p = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 40}})
    rows = {c.name: c for c in _explainer(cs, p).constraint_costs()}
    whole = rows["lock_in.max_provider_share_pct"]
    assert whole.binding is True and whole.cost_usd == pytest.approx(70.0) and whole.part_of is None
    parts = [rows[f"provider_share:{x}"] for x in ("aws", "azure", "gcp")]
    assert all(r.part_of == "lock_in.max_provider_share_pct" and r.cost_usd == 0 for r in parts)
    assert "act together" in whole.detail


def test_the_padding_note_appears_when_the_whole_cap_binds():
    plan = plan_for([service("a"), service("b")], lock_in={"max_provider_share_pct": 60})
    assert any("share-of-spend cap binds (lock_in.max_provider_share_pct)" in n for n in plan.notes)


def test_unsettled_counterfactuals_are_not_stated_as_facts():
    """With no time for the re-solves, nothing may read as 'not binding' or 'same cost'."""
    from test_solver import fleet, option

    cs = fleet(w0=[option("w0", "gcp", 80_00), option("w0", "aws", 150_00), option("w0", "azure", 200_00)],
               w1=[option("w1", "gcp", 50_00), option("w1", "azure", 120_00), option("w1", "aws", 200_00)],
               w2=[option("w2", "aws", 120_00), option("w2", "azure", 200_00), option("w2", "gcp", 200_00)])
    p = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 40}})
    from advisor.explain import Explainer
    from advisor.solver import solve

    quick = Explainer([], p, cs, solve(cs, p), lambda *args: cs, 1e-9)
    rows = quick.constraint_costs()
    assert any(row.binding is None for row in rows)  # the per-provider re-solves get no time at all
    for row in rows:
        assert row.binding is not False or row.proven, row
        if row.binding is None:
            assert row.cost_usd is None and "not determined within" in row.detail
    base = solve(cs, p)
    chosen = base.chosen["w0"]
    for alt in cs.options["w0"]:
        if alt.key != chosen.key and alt.monthly_cost_cents <= chosen.monthly_cost_cents:
            text, proven = quick.why_not(_w("w0"), chosen, alt)
            assert "tie is broken" not in text or proven
            if not proven:
                assert "not determined within" in text


def _w(name):
    return service(name)


def test_edge_devices_and_owned_servers_do_not_count_for_min_providers():
    """$ of edge devices next to one cloud is not 'two providers' unless the policy says scope: all."""
    cameras = WORKLOAD_MODELS["edge-inference"].model_validate({
        "name": "cameras", "kind": "edge-inference",
        "model": {"name": "d", "params_m": 10, "gflops_per_inference": 20, "precision": "int8"},
        "sites": {"count": 2, "inferences_per_s": 10}, "slo": {"p95_latency_ms": 100}})
    pinned = service("a", providers=["alpha"])
    clouds = plan_for([cameras, pinned], lock_in={"min_providers": 2})
    assert clouds.status == "infeasible"
    assert clouds.infeasibility.conflicting_constraints == ["min_providers"]
    every = plan_for([cameras, pinned], lock_in={"min_providers": 2, "scope": "all"})
    assert every.status == "optimal" and {a.provider for a in every.assignments} == {"edge", "alpha"}


def _apply(workloads, policy, changes):
    """Apply a relaxation's changes to the documents as a user would edit YAML (no advisor code)."""
    import copy

    docs = {w.name: w.model_dump(exclude_none=True) for w in workloads}
    docs["policy"] = policy.model_dump(exclude_none=True)
    docs = copy.deepcopy(docs)
    for change in changes:
        node = docs[change.document]
        *parents, last = change.field.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if change.value is None:
            node.pop(last, None)
        else:
            node[last] = change.value
    new_policy = Policy.model_validate(docs.pop("policy"))
    return [WORKLOAD_MODELS[d["kind"]].model_validate(d) for d in docs.values()], new_policy


def test_two_causes_at_once_are_both_reported_and_every_relaxation_works():
    """A workload with no option and a budget below any plan: both named; each relaxation re-plans feasible."""
    stuck = service("stuck", providers=["beta"], accelerators=["asic-x"])  # asic-x is only sold by alpha
    fleet = [stuck, service("ok")]
    plan = plan_for(fleet, budget={"monthly_usd": 1})
    assert plan.status == "infeasible"
    inf = plan.infeasibility
    assert [e.workload for e in inf.workloads_without_options] == ["stuck"]
    assert inf.conflicting_constraints == ["budget_total"]
    assert len(inf.causes) == 2 and "stuck" in inf.causes[0] and "budget" in inf.causes[1]
    assert inf.relaxations
    policy = Policy.model_validate({"kind": "policy", "budget": {"monthly_usd": 1}})
    for relaxation in inf.relaxations:
        assert any(c.document == "stuck" for c in relaxation.changes)
        assert any(c.field == "budget.monthly_usd" for c in relaxation.changes)
        workloads, relaxed_policy = _apply(fleet, policy, relaxation.changes)
        replanned = make_plan(Inputs(workloads=workloads, policy=relaxed_policy, files=[]), CATALOG,
                              explain_constraints=False)
        assert replanned.status == "optimal"
        assert verify(replanned, workloads, relaxed_policy, CATALOG) == []
        assert replanned.total_monthly_cost_usd == pytest.approx(relaxation.resulting_monthly_cost_usd)


def test_resulting_cost_is_always_the_replanned_total_and_the_option_has_its_own_field():
    stuck = service("stuck", providers=["beta"], accelerators=["asic-x"])
    fleet = [stuck, service("ok")]
    plan = plan_for(fleet)
    policy = Policy(kind="policy")
    for relaxation in plan.infeasibility.relaxations:
        workloads, relaxed_policy = _apply(fleet, policy, relaxation.changes)
        replanned = make_plan(Inputs(workloads=workloads, policy=relaxed_policy, files=[]), CATALOG,
                              explain_constraints=False)
        assert replanned.total_monthly_cost_usd == pytest.approx(relaxation.resulting_monthly_cost_usd)
        assert relaxation.option_monthly_cost_usd is not None
        assert relaxation.option_monthly_cost_usd < relaxation.resulting_monthly_cost_usd  # "ok" costs too


def test_latency_relaxations_offer_the_least_raise_and_the_cheapest_and_both_work():
    slow = WORKLOAD_MODELS["realtime-inference"].model_validate({
        "name": "chat", "kind": "realtime-inference", "model": {"name": "m", "params_b": 8},
        "traffic": {"peak_rps": 2, "input_tokens": 500, "output_tokens": 100, "users": {"us-east": 1.0}},
        "slo": {"p95_latency_ms": 150}})
    plan = plan_for([slow])
    raises = [c.value for r in plan.infeasibility.relaxations for c in r.changes if c.field == "slo.p95_latency_ms"]
    assert len(raises) == 2 and raises[0] < raises[1]  # least raise first, then the one the cheapest option needs
    for relaxation in plan.infeasibility.relaxations:
        workloads, policy = _apply([slow], Policy(kind="policy"), relaxation.changes)
        replanned = make_plan(Inputs(workloads=workloads, policy=policy, files=[]), CATALOG, explain_constraints=False)
        assert replanned.status == "optimal"
        assert replanned.total_monthly_cost_usd == pytest.approx(relaxation.resulting_monthly_cost_usd)


def _three_providers():
    from test_solver import fleet, option

    return fleet(w0=[option("w0", "gcp", 80_00), option("w0", "aws", 150_00), option("w0", "azure", 200_00)],
                 w1=[option("w1", "gcp", 50_00), option("w1", "azure", 120_00), option("w1", "aws", 200_00)],
                 w2=[option("w2", "aws", 120_00), option("w2", "azure", 200_00), option("w2", "gcp", 200_00)])


def test_a_relaxed_solve_without_time_still_answers_with_the_plan_it_relaxes(monkeypatch):
    """Lifting a family only widens the plan's choices, so the plan itself bounds the relaxed cost:
    when the joint search's steps find no plan in their time, the re-solve still reports it
    (feasible, with its bound), so the report can say 'saves between $0 and ...' instead of nothing."""
    import advisor.solver.model as model
    from advisor.solver import solve

    cs = _three_providers()
    p = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 40}})
    base = solve(cs, p)
    assert base.status == "optimal" and base.cost_millicents is not None
    # the warm-start steps find nothing, and the search gets no time: as on a large fleet
    monkeypatch.setattr(model, "_rounded", lambda *args: None)
    monkeypatch.setattr(model, "_repaired_plan", lambda *args: None)
    monkeypatch.setattr(model, "_single_placement_plan", lambda *args: None)
    lifted = frozenset({"provider_share:gcp"})
    blind = solve(cs, p, disabled=lifted, time_limit_s=1e-9, tie_break=False)
    assert blind.status == "unknown"  # without the plan it relaxes: nothing to say
    relaxed = solve(cs, p, disabled=lifted, time_limit_s=1e-9, tie_break=False, known=base)
    assert relaxed.status in ("feasible", "optimal")
    assert relaxed.cost_millicents is not None and relaxed.cost_millicents <= base.cost_millicents


def test_a_plan_whose_options_changed_is_no_start():
    """A start must be a plan the model admits exactly: an option whose price changed is not the same option."""
    import dataclasses

    from advisor.solver import solve
    from advisor.solver.model import _still_admitted

    cs = _three_providers()
    p = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 40}})
    base = solve(cs, p)
    assert _still_admitted(base, cs, sorted(cs.options)) is not None
    dearer = {w: [o._replace(count_cost_cents=o.count_cost_cents + 1) for o in opts] for w, opts in cs.options.items()}
    changed = dataclasses.replace(cs, options=dearer, solved={})
    assert _still_admitted(base, changed, sorted(cs.options)) is None
