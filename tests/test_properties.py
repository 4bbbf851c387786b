"""Property-based tests: for random small fleets and policies, every plan passes the
independent checker, and the solver's cost equals a brute-force optimum."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.demand import demand_units
from advisor.planner import make_plan
from advisor.topology import Topology
from advisor.verify import verify
from advisor.workload.loader import Inputs
from advisor.workload.models import WORKLOAD_MODELS, Policy

CATALOG = load_catalog([Path(__file__).parent / "fixtures" / "small-catalog"], include_shipped=False)
TOPOLOGY = Topology(CATALOG)
TEAMS = ["red", "blue"]
KINDS = ("training", "batch-inference", "realtime-inference", "edge-inference")


@st.composite
def workloads(draw, index: int, kinds: tuple[str, ...] = KINDS):
    kind = draw(st.sampled_from(kinds))
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
                "traffic": {"peak_rps": draw(st.sampled_from([0.5, 2, 5])), "input_tokens": 500,
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
    provider_cap = draw(st.one_of(st.none(), st.sampled_from([40, 60, 80])))
    vendor_cap = draw(st.one_of(st.none(), st.sampled_from([50, 90])))
    # Under a share cap the best split of a batch job's work can fall anywhere in 1000 shares; the
    # brute force tries only whole and one-share splits, so capped fleets carry no batch job.
    kinds = KINDS if provider_cap is None and vendor_cap is None else tuple(k for k in KINDS if k != "batch-inference")
    count = draw(st.integers(1, 3))
    fleet = [draw(workloads(i, kinds)) for i in range(count)]
    policy = Policy.model_validate({
        "kind": "policy",
        "budget": {"monthly_usd": draw(st.one_of(st.none(), st.sampled_from([50, 500, 5000, 100_000]))),
                   "per_team_monthly_usd": draw(st.sampled_from([{}, {"red": 300}]))},
        "lock_in": {"max_provider_share_pct": provider_cap, "max_vendor_share_pct": vendor_cap,
                    "min_providers": draw(st.sampled_from([1, 1, 2])),
                    "scope": draw(st.sampled_from(["clouds", "all"]))},
    })
    return fleet, policy


def _breaks_policy(plans, policy, kinds) -> bool:
    """The policy, written out again from its documentation (README, lock_in.scope), for the brute force.

    `plans` holds one workload plan each: a list of (provider, vendor, team, cents, carries_load).
    """
    parts = [part for plan in plans for part in plan]
    total = sum(cents for _, _, _, cents, _ in parts)
    lock = policy.lock_in
    counted = [p for p in parts if lock.scope == "all" or kinds[p[0]] in ("cloud", "gpu-cloud")]
    counted_total = sum(p[3] for p in counted)
    if policy.budget.monthly_usd is not None and total > policy.budget.monthly_usd * 100 + 1e-6:
        return True
    for team, usd in policy.budget.per_team_monthly_usd.items():
        if sum(p[3] for p in parts if p[2] == team) > usd * 100 + 1e-6:
            return True
    if lock.max_provider_share_pct is not None and counted_total:
        for provider in {p[0] for p in counted}:
            spent = sum(p[3] for p in counted if p[0] == provider)
            if spent * 100 > lock.max_provider_share_pct * counted_total + 1e-6:
                return True
    if lock.max_vendor_share_pct is not None and total:
        for vendor in {p[1] for p in parts}:
            spent = sum(p[3] for p in parts if p[1] == vendor)
            if spent * 100 > lock.max_vendor_share_pct * total + 1e-6:
                return True
    used = {p[0] for p in counted if p[4]}
    return lock.min_providers > 1 and len(used) < lock.min_providers


MAX_UNITS = 4
"""Units per workload the brute force tries (the fleets below need at most a few)."""


def _routes(units, demand) -> float:
    """Load (in demand units) the bought units can carry at most, by max-flow over who may serve whom."""
    import networkx as nx

    graph = nx.DiGraph()
    for stream, need in demand.items():
        graph.add_edge("source", f"s:{stream}", capacity=need)
    for k, o in enumerate(units):
        graph.add_edge(f"u:{k}", "sink", capacity=math.floor(o.capacity * 1000) / 1000)
        for stream in (o.serves or demand):
            graph.add_edge(f"s:{stream}", f"u:{k}", capacity=float("inf"))
    return nx.maximum_flow_value(graph, "source", "sink")


def workload_plans(w, options, demand):
    """Every way the brute force can carry one workload: bought units (multisets of up to MAX_UNITS) of
    options billed per unit, with whatever load they cannot carry on the cheapest work-billed option."""
    total = sum(demand.values())
    per_unit = [o for o in options if o.count_cost_cents > 0]
    per_work = sorted((o for o in options if o.count_cost_cents == 0 and not o.serves),
                      key=lambda o: o.load_cost_cents)
    plans = []
    for k in range(0, MAX_UNITS + 1):
        for units in itertools.combinations_with_replacement(per_unit, k):
            if any(units.count(o) > o.max_count for o in set(units)):
                continue  # an option sells at most max_count units (an edge fleet: one)
            carried = _routes(units, demand) if units else 0.0
            rest = total - carried
            bought = [(o.provider, o.vendor, o.team, round(o.count_cost_cents * 1000), True) for o in units]
            min_replicas = w.constraints.min_replicas if w.kind in ("realtime-inference", "batch-inference") else 1
            for residual in _residuals(per_work, rest, total):
                if residual is None or (not units and not residual):
                    continue
                if len(units) < min_replicas and not residual:
                    continue
                plans.append([(p, v, t, cents / 1000, load) for p, v, t, cents, load in bought + residual])
    # a provider/vendor/team spend signature with a dearer plan is never needed
    best = {}
    for plan in plans:
        signature = tuple(sorted((p, v, t, load) for p, v, t, _, load in plan))
        cost = sum(c for _, _, _, c, _ in plan)
        key = (signature, tuple(sorted(c for *_, c, _ in plan)))
        if key not in best or cost < best[key][0]:
            best[key] = (cost, plan)
    return [plan for _, plan in best.values()]


def _residuals(per_work, rest: float, total: int):
    """Ways to carry the load the bought units leave: nothing left, one work-billed option, or two
    (all but one load unit on the first: the cheapest split that still uses both)."""
    if rest <= 1e-9:
        yield []
        return
    def part(o, amount):
        return (o.provider, o.vendor, o.team, round(o.load_cost_cents * 1000 / total) * amount, True)
    for o in per_work:
        if math.floor(o.capacity * 1000) * o.max_count >= 1000 * rest:
            yield [part(o, rest)]
    if rest >= 2:
        for a, b in itertools.permutations(per_work, 2):
            yield [part(a, rest - 1), part(b, 1)]


def brute_force_cost(fleet, policy) -> float | None:
    """Cheapest total over every combination of workload plans, found without the solver or the checker."""
    candidates = build_candidates(fleet, policy, CATALOG, TOPOLOGY)
    kinds = {name: p.kind for name, p in CATALOG.providers.items()}
    choices = [workload_plans(w, candidates.options[w.name], demand_units(w)) for w in fleet]
    best = None
    for combo in itertools.product(*choices):
        if not _breaks_policy(combo, policy, kinds):
            total = sum(c for plan in combo for *_, c, _ in plan)
            best = total if best is None else min(best, total)
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_every_plan_holds_and_is_optimal(case):
    fleet, policy = case
    inputs = Inputs(workloads=fleet, policy=policy, files=[])
    plan = make_plan(inputs, CATALOG, time_limit_s=20, explain_constraints=False)
    expected = brute_force_cost(fleet, policy)
    if plan.status == "infeasible":
        assert expected is None
        assert plan.infeasibility is not None and plan.infeasibility.message
        return
    assert plan.status == "optimal"
    assert verify(plan, fleet, policy, CATALOG) == []
    # per assignment: its work-billed cost is whole millicents per load unit (up to half a cent over
    # 1,000 units) and the plan states it in cents (another half)
    tolerance = 0.01 + len(plan.assignments)
    if within_brute_force_reach(plan):  # the brute force tried this plan: it must find the same optimum
        assert expected is not None
        assert plan.total_monthly_cost_usd * 100 == pytest.approx(expected, abs=tolerance)
    else:  # a plan with more units than the brute force tries: never dearer than what it found
        assert expected is None or plan.total_monthly_cost_usd * 100 <= expected + tolerance


def within_brute_force_reach(plan) -> bool:
    """Whether every workload's plan is one the brute force enumerates (few units, two work-billed parts)."""
    per_workload: dict[str, list] = {}
    for a in plan.assignments:
        per_workload.setdefault(a.workload, []).append(a)
    for rows in per_workload.values():
        bought = [a for a in rows if a.pricing in ("reserved_1y", "reserved_3y", "capex") or a.kind != "batch-inference"
                  and a.kind != "training"]
        worked = [a for a in rows if a not in bought]
        if sum(a.instances for a in bought if a.kind not in ("training", "edge-inference")) > MAX_UNITS:
            return False
        if len(worked) > 2:
            return False
    return True


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
