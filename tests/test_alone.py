"""The exact search for one workload alone (advisor.solver.alone) against the CP-SAT model.

The search replaces CP-SAT for workloads with no family of their own, so it must find the
model's optimum: the same cost, a plan that carries every stream within its units, and the
same tie-break (one stream: earliest options; several: the shortest round trips)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.candidates import CandidateSet, Option, WorkloadLimits
from advisor.solver import alone, ledger, model
from advisor.solver import solve as solve_plan
from advisor.solver.result import SolveResult
from advisor.workload.models import Policy

POLICY = Policy.model_validate({"kind": "policy"})
STREAMS = ("eu-central", "us-east", "asia-east")


def option(i: int, *, unit: float = 0.0, work: float = 0.0, capacity: float = 1.0, max_count: int = 5,
           serves: tuple[str, ...] = (), rtt: tuple[float, ...] = (), full: bool = True) -> Option:
    return Option.model_construct(
        workload="w", kind="realtime-inference", team="t", provider=f"p{i % 3}", region=f"r{i}", jurisdiction=None,
        offering=f"o{i}", accelerator="gpu", vendor="v", pricing="on-demand", instances=1, accelerator_count=1,
        monthly_cost_cents=0, price_source="", price_as_of="", price_estimate=False, capacity=capacity,
        count_cost_cents=unit, load_cost_cents=work, unit_instances=1, max_count=max_count, serves=serves,
        failover_serves=serves, serve_rtt_ms=rtt, full_reach=full)


def candidates(options: list[Option], demand: dict[str, int], min_replicas: int = 1) -> CandidateSet:
    limits = WorkloadLimits(kind="realtime-inference", team="t", min_replicas=min_replicas, by_count=True)
    return CandidateSet(options={"w": options}, demands={"w": demand}, limits={"w": limits})


def by_search(options: list[Option], demand: dict[str, int], min_replicas: int = 1) -> SolveResult:
    ledger.forget_all()
    return solve_plan(candidates(options, demand, min_replicas), POLICY)


def by_cp_sat(options: list[Option], demand: dict[str, int], monkeypatch: pytest.MonkeyPatch,
              min_replicas: int = 1) -> SolveResult:
    ledger.forget_all()
    with monkeypatch.context() as patch:
        patch.setattr(alone, "NODE_LIMIT", 0)  # the search gives up at once: CP-SAT solves it
        return solve_plan(candidates(options, demand, min_replicas), POLICY, time_limit_s=30)


def carries_everything(result: SolveResult, demand: dict[str, int]) -> bool:
    placements = result.placements["w"]
    for p in placements:
        if set(p.load) - set(p.option.serves or demand):
            return False
        if p.option.count_cost_cents and sum(p.load.values()) * 1000 > math.floor(p.option.capacity * 1000) * p.count:
            return False
    return all(sum(p.load.get(s, 0) for p in placements) == d for s, d in demand.items())


def round_trip_score(result: SolveResult) -> int:
    return sum(round(dict(zip(p.option.serves, p.option.serve_rtt_ms, strict=True))[s] / 10) * v
               for p in result.placements["w"] for s, v in p.load.items())


@st.composite
def one_stream(draw):
    count = draw(st.integers(1, 6))
    options = []
    for i in range(count):
        work_billed = draw(st.booleans())
        options.append(option(i, unit=0 if work_billed else draw(st.integers(1, 50)) * 100.0,
                              work=draw(st.integers(1, 90)) * 100.0 if work_billed else 0.0,
                              capacity=draw(st.sampled_from([0.4, 1.0, 1.7, 3.0, 12.5])),
                              max_count=draw(st.integers(1, 12))))
    return options, {"all": draw(st.integers(1, 40))}


@st.composite
def several_streams(draw):
    k = draw(st.integers(2, 3))
    streams = STREAMS[:k]
    options = []
    for i in range(draw(st.integers(1, 7))):
        served = tuple(s for s in streams if draw(st.booleans())) or (streams[0],)
        options.append(option(i, unit=draw(st.integers(1, 30)) * 100.0, capacity=draw(st.sampled_from([0.5, 1.0, 2.5])),
                              max_count=draw(st.integers(1, 8)), serves=served,
                              rtt=tuple(float(draw(st.integers(1, 20)) * 10) for _ in served),
                              full=len(served) == k))
    return options, {s: draw(st.integers(1, 6)) for s in streams}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=one_stream(), min_replicas=st.integers(1, 4))
def test_one_stream_search_finds_the_models_optimum(case, min_replicas, monkeypatch):
    """With and without a min_replicas (1: no replicas family at all)."""
    options, demand = case
    searched = by_search(options, demand, min_replicas)
    reference = by_cp_sat(options, demand, monkeypatch, min_replicas)
    assert searched.status == reference.status
    if reference.status == "optimal":
        assert searched.cost_millicents == reference.cost_millicents
        assert carries_everything(searched, demand)
        for result in (searched, reference):  # standby work-billed units are listed too
            assert sum(p.count for p in result.placements["w"]) >= min_replicas


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=several_streams())
def test_several_streams_search_finds_the_models_optimum_and_nearest_routing(case, monkeypatch):
    options, demand = case
    searched, reference = by_search(options, demand), by_cp_sat(options, demand, monkeypatch)
    assert searched.status == reference.status
    if reference.status == "optimal":
        assert searched.cost_millicents == reference.cost_millicents
        assert carries_everything(searched, demand)
        assert round_trip_score(searched) == round_trip_score(reference)


def test_mixing_two_unit_sizes_beats_either_alone():
    """Demand 10: a 4-unit option at $30 and a 3-unit one at $25. Alone: 3 x $30 = $90 or
    4 x $25 = $100; mixed, 1 x 4 + 2 x 3 = 10 for $80 (hand-worked)."""
    result = by_search([option(0, unit=3000, capacity=4, max_count=9), option(1, unit=2500, capacity=3, max_count=9)],
                       {"all": 10})
    assert result.cost_millicents == 80 * 100 * 1000
    assert sorted((p.option.offering, p.count) for p in result.placements["w"]) == [("o0", 1), ("o1", 2)]


def test_work_billed_capacity_yields_to_cheaper_bought_units():
    """Demand 10 load units: work-billed at $10 per unit of load, or units of 4 at $30. Two units
    ($60) plus 2 units of work ($20) = $80 beats 10 units of work ($100) and 3 units ($90)."""
    result = by_search([option(0, work=100 * 100, capacity=1, max_count=30), option(1, unit=3000, capacity=4,
                                                                                     max_count=9)], {"all": 10})
    assert result.cost_millicents == 80 * 100 * 1000


def test_users_are_routed_to_their_nearest_region_among_equal_costs():
    """Two regions at the same price, each close to one location: each location goes to its own."""
    near_eu = option(0, unit=1000, capacity=2, serves=("eu-central", "us-east"), rtt=(10.0, 90.0))
    near_us = option(1, unit=1000, capacity=2, serves=("eu-central", "us-east"), rtt=(90.0, 10.0))
    result = by_search([near_eu, near_us], {"eu-central": 2, "us-east": 2})
    routes = {(p.option.offering, s) for p in result.placements["w"] for s in p.load}
    assert routes == {("o0", "eu-central"), ("o1", "us-east")}


def test_a_demand_no_units_can_carry_is_infeasible():
    result = by_search([option(0, unit=1000, capacity=1, max_count=2)], {"all": 3})
    assert result.status == "infeasible"


def _plans_within(options: list[Option], demand: dict[str, int], limit: int) -> set[int]:
    """Brute force for options_within: every unit vector (counts up to 6) that carries the one
    stream, cheapest routing of the work, at most `limit`; the bought options of those plans."""
    total = sum(demand.values())
    bought = [i for i, o in enumerate(options) if o.count_cost_cents]
    free = [i for i, o in enumerate(options) if not o.count_cost_cents]
    import itertools

    used: set[int] = set()
    ranges = [range(min(o.max_count, 6) + 1) if i in bought else range(1) for i, o in enumerate(options)]
    for counts in itertools.product(*ranges):
        coefficients = [model.Coefficients.of(o, total) for o in options]
        spent = sum(c.per_unit * n for c, n in zip(coefficients, counts, strict=True))
        offers = sorted([(coefficients[i].per_load, math.floor(options[i].capacity * 1000) * counts[i] // 1000)
                         for i in bought]
                        + [(coefficients[i].per_load, math.floor(options[i].capacity * 1000) * options[i].max_count
                            // 1000) for i in free])
        left, cost = demand["all"], spent
        for rate, capacity in offers:
            take = min(left, capacity)
            cost += rate * take
            left -= take
        if left == 0 and cost <= limit:
            used.update(i for i in bought if counts[i])
    return used


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_stream(), st.integers(0, 3000))
def test_options_within_keeps_every_option_of_every_plan_within_the_limit(case, extra):
    """The reduced-cost filter is exact: no option that some plan within the limit buys is dropped."""
    options, demand = case
    options = [option(i, unit=o.count_cost_cents, work=o.load_cost_cents, capacity=o.capacity,
                      max_count=min(o.max_count, 6)) for i, o in enumerate(options)]  # what the brute force tries
    best = alone.solve_alone(options, demand)
    if best is None or not best.feasible:
        return
    limit = best.cost + extra * 1000
    kept = alone.options_within(options, demand, limit)
    assert kept is not None
    assert _plans_within(options, demand, limit) <= kept


def test_a_search_too_deep_for_recursion_hands_over_instead_of_crashing(monkeypatch):
    """Hundreds of options left after the filters: the search declines (None) and the caller
    uses CP-SAT or keeps the options, rather than exhausting Python's recursion limit."""
    options = [option(i, unit=1000.0 + i, capacity=1.0, max_count=3) for i in range(60)]
    monkeypatch.setattr(alone, "DEPTH_LIMIT", 50)
    assert alone.solve_alone(options, {"all": 100}) is None
    assert alone.options_within(options, {"all": 100}, 10**12) is None
    monkeypatch.setattr(alone, "DEPTH_LIMIT", 400)
    assert alone.solve_alone(options, {"all": 100}) is not None


@settings(max_examples=150, deadline=None)
@given(supply=st.lists(st.integers(0, 40), min_size=1, max_size=4),
       room=st.lists(st.integers(0, 60), min_size=1, max_size=4),
       costs=st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=16, max_size=16))
def test_min_cost_flow_matches_network_simplex(supply: list[int], room: list[int], costs: list[int | None]) -> None:
    """The routing of several streams onto bought units is the least round trip networkx finds,
    and it ships every stream within every unit's room."""
    import networkx as nx

    arcs = {(b, i): c for b in range(len(supply)) for i in range(len(room))
            if (c := costs[b * 4 + i]) is not None}
    graph = nx.DiGraph()
    for b, v in enumerate(supply):
        graph.add_node(("s", b), demand=-v)
    graph.add_node("sink", demand=sum(supply))
    for i, r in enumerate(room):
        graph.add_edge(("t", i), "sink", capacity=r, weight=0)
    for (b, i), c in arcs.items():
        graph.add_edge(("s", b), ("t", i), weight=c)
    try:
        best, _ = nx.network_simplex(graph)
    except nx.NetworkXUnfeasible:
        return  # the search checks that the streams fit before it routes them
    flow = alone._min_cost_flow(dict(enumerate(supply)), dict(enumerate(room)), arcs)
    assert all(v >= 0 for v in flow.values())
    assert all(sum(v for (s, _), v in flow.items() if s == b) == want for b, want in enumerate(supply))
    assert all(sum(v for (_, t), v in flow.items() if t == i) <= r for i, r in enumerate(room))
    assert sum(arcs[a] * v for a, v in flow.items()) == best
