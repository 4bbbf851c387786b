"""Property-based tests: for random small fleets and policies, every plan passes the
independent checker, and the solver's cost equals a brute-force optimum."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.planner import make_plan
from advisor.topology import Topology
from advisor.verify import verify
from advisor.workload.loader import Inputs
from advisor.workload.models import WORKLOAD_MODELS, Policy

CATALOG = load_catalog([Path(__file__).parent / "fixtures" / "small-catalog"], include_shipped=False)
TOPOLOGY = Topology(CATALOG)
TEAMS = ["red", "blue"]


@st.composite
def workloads(draw, index: int):
    kind = draw(st.sampled_from(["training", "batch-inference", "realtime-inference", "edge-inference"]))
    name = f"w{index}"
    team = draw(st.sampled_from(TEAMS))
    constraints = {"spot": draw(st.booleans())} if kind in ("training", "batch-inference") else {}
    if kind != "edge-inference" and draw(st.booleans()):
        constraints["jurisdictions"] = draw(st.sampled_from([["us"], ["eu"], ["us", "eu"]]))
    if kind != "edge-inference" and draw(st.booleans()):
        constraints["portable"] = True
    params = draw(st.sampled_from([1, 3, 8]))
    if kind == "training":
        data = {"model": {"name": "m", "params_b": params}, "tokens_b": draw(st.sampled_from([0.5, 1, 5])),
                "deadline_days": draw(st.sampled_from([1, 3, 7]))}
    elif kind == "batch-inference":
        data = {"model": {"name": "m", "params_b": params},
                "volume": {"requests_per_run": draw(st.integers(100, 50_000)), "input_tokens": 500,
                           "output_tokens": 100}, "window_hours": draw(st.sampled_from([2, 6, 12]))}
    elif kind == "realtime-inference":
        data = {"model": {"name": "m", "params_b": params},
                "traffic": {"peak_rps": draw(st.sampled_from([0.5, 2, 10])), "input_tokens": 500,
                            "output_tokens": 100, "users": draw(st.sampled_from(
                                [{"us-east": 1.0}, {"eu-central": 1.0}, {"us-east": 0.5, "eu-central": 0.5}]))},
                "slo": {"p95_latency_ms": draw(st.sampled_from([2000, 5000, 20000]))}}
    else:
        data = {"model": {"name": "d", "params_m": 10, "gflops_per_inference": 20, "precision": "int8"},
                "sites": {"count": draw(st.integers(1, 50)), "inferences_per_s": draw(st.sampled_from([10, 900]))},
                "slo": {"p95_latency_ms": 100}}
    return WORKLOAD_MODELS[kind].model_validate(
        {"name": name, "kind": kind, "team": team, "constraints": constraints, **data})


@st.composite
def fleets(draw):
    count = draw(st.integers(1, 3))
    fleet = [draw(workloads(i)) for i in range(count)]
    policy = Policy.model_validate({
        "kind": "policy",
        "budget": {"monthly_usd": draw(st.one_of(st.none(), st.sampled_from([50, 500, 5000, 100_000]))),
                   "per_team_monthly_usd": draw(st.sampled_from([{}, {"red": 300}]))},
        "lock_in": {"max_provider_share_pct": draw(st.one_of(st.none(), st.sampled_from([40, 60, 80]))),
                    "max_vendor_share_pct": draw(st.one_of(st.none(), st.sampled_from([50, 90]))),
                    "min_providers": draw(st.sampled_from([1, 1, 2])),
                    "scope": draw(st.sampled_from(["clouds", "all"]))},
    })
    return fleet, policy


def _breaks_policy(combo, policy, kinds) -> bool:
    """The policy, written out again from its documentation (README, lock_in.scope), for the brute force."""
    total = sum(o.monthly_cost_cents for o in combo)
    lock = policy.lock_in
    counted = [o for o in combo if lock.scope == "all" or kinds[o.provider] in ("cloud", "gpu-cloud")]
    counted_total = sum(o.monthly_cost_cents for o in counted)
    if policy.budget.monthly_usd is not None and total > policy.budget.monthly_usd * 100 + 1e-9:
        return True
    for team, usd in policy.budget.per_team_monthly_usd.items():
        if sum(o.monthly_cost_cents for o in combo if o.team == team) > usd * 100 + 1e-9:
            return True
    if lock.max_provider_share_pct is not None and counted_total:
        for p in {o.provider for o in counted}:
            spent = sum(o.monthly_cost_cents for o in counted if o.provider == p)
            if spent / counted_total * 100 > lock.max_provider_share_pct + 1e-9:
                return True
    if lock.max_vendor_share_pct is not None and total:
        for v in {o.vendor for o in combo}:
            spent = sum(o.monthly_cost_cents for o in combo if o.vendor == v)
            if spent / total * 100 > lock.max_vendor_share_pct + 1e-9:
                return True
    return lock.min_providers > 1 and len({o.provider for o in counted}) < lock.min_providers


def brute_force_cost(fleet, policy) -> int | None:
    """Cheapest total over every combination of options, found without the solver or the checker.

    Options that no policy rule can tell apart (same provider, vendor, team and cost) are tried once.
    """
    candidates = build_candidates(fleet, policy, CATALOG, TOPOLOGY)
    kinds = {name: p.kind for name, p in CATALOG.providers.items()}
    choices = []
    for w in fleet:
        unique = {(o.provider, o.vendor, o.team, o.monthly_cost_cents): o for o in candidates.options[w.name]}
        choices.append(list(unique.values()))
    best = None
    for combo in itertools.product(*choices):
        if not _breaks_policy(combo, policy, kinds):
            total = sum(o.monthly_cost_cents for o in combo)
            best = total if best is None else min(best, total)
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_every_plan_holds_and_is_optimal(case):
    fleet, policy = case
    inputs = Inputs(workloads=fleet, policy=policy, files=[])
    plan = make_plan(inputs, CATALOG, time_limit_s=20, explain_constraints=False)
    expected = brute_force_cost(fleet, policy)
    if expected is None:
        assert plan.status == "infeasible"
        assert plan.infeasibility is not None and plan.infeasibility.message
    else:
        assert plan.status == "optimal"
        assert verify(plan, fleet, policy, CATALOG) == []
        assert round(plan.total_monthly_cost_usd * 100) == expected


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_same_inputs_give_the_same_plan(case):
    fleet, policy = case
    inputs = Inputs(workloads=fleet, policy=policy, files=[])
    first = make_plan(inputs, CATALOG, time_limit_s=20, explain_constraints=False)
    second = make_plan(inputs, CATALOG, time_limit_s=20, explain_constraints=False)
    assert first.model_dump_json() == second.model_dump_json()


def test_checker_catches_a_broken_plan():
    """The checker must be able to fail: tamper with a valid plan and expect violations."""
    fleet = [WORKLOAD_MODELS["training"].model_validate(
        {"name": "t", "kind": "training", "model": {"name": "m", "params_b": 1}, "tokens_b": 1,
         "deadline_days": 3})]
    policy = Policy(kind="policy")
    plan = make_plan(Inputs(workloads=fleet, policy=policy, files=[]), CATALOG, explain_constraints=False)
    assert verify(plan, fleet, policy, CATALOG) == []
    a = plan.assignments[0]
    cheaper = a.model_copy(update={"monthly_cost_usd": a.monthly_cost_usd / 2})
    bad = plan.model_copy(update={"assignments": [cheaper]})
    assert any("monthly cost" in v for v in verify(bad, fleet, policy, CATALOG))
    spot = a.model_copy(update={"pricing": "spot"})
    assert any("spot" in v for v in verify(plan.model_copy(update={"assignments": [spot]}), fleet, policy, CATALOG))
    tight = Policy.model_validate({"kind": "policy", "budget": {"monthly_usd": 1}})
    assert any(v.startswith("budget_total") for v in verify(plan, fleet, tight, CATALOG))
    twice = plan.model_copy(update={"assignments": [a, a]})
    assert any("placed 2 times" in v for v in verify(twice, fleet, policy, CATALOG))
