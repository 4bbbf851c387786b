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
    plan = plan_for([service("a")], lock_in={"min_providers": 2}, budget={"monthly_usd": 100_000})
    assert plan.status == "infeasible"
    assert plan.infeasibility.conflicting_constraints == ["min_providers"]


def test_share_caps_that_no_single_placement_can_meet_are_the_core():
    # One workload puts 100% of spend on whichever provider it uses: both caps conflict, nothing else.
    plan = plan_for([service("a")], lock_in={"max_provider_share_pct": 90}, budget={"monthly_usd": 100_000})
    assert plan.status == "infeasible"
    assert plan.infeasibility.conflicting_constraints == ["provider_share:alpha", "provider_share:beta"]


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
