"""The independent checker on plans with several placements per workload.

The plans are made by hand: a real plan of the fixture workloads is the template, and its
assignments are copied into placements whose counts, shares, routes and costs are worked out
here from the catalog. Each test breaks one rule and expects the checker to name it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import WORKLOADS

from advisor.catalog.models import HOURS_PER_MONTH, Catalog
from advisor.estimate import size
from advisor.plan import Assignment, Plan, Route, WorkloadPlan
from advisor.topology import great_circle_km, rtt_ms
from advisor.verify import verify
from advisor.workload.loader import load_inputs
from advisor.workload.models import WORKLOAD_MODELS, Policy, Workload

POLICY = Policy(kind="policy")


@pytest.fixture(scope="module")
def base(baseline_json: str) -> Plan:
    return Plan.model_validate_json(baseline_json)


@pytest.fixture(scope="module")
def inputs(small_catalog: Catalog) -> dict[str, Workload]:
    return {w.name: w for w in load_inputs([WORKLOADS], small_catalog).workloads}


def _changed(w: Workload, **fields: Any) -> Workload:
    """The workload with some fields changed (dotted names reach into sections), validated again."""
    data = w.model_dump(exclude_none=True)
    for dotted, value in fields.items():
        *path, last = dotted.split("__")
        target = data
        for part in path:
            target = target.setdefault(part, {})
        target[last] = value
    return WORKLOAD_MODELS[w.kind].model_validate(data)


def _rtt(catalog: Catalog, location: str, provider: str, region: str) -> float:
    loc, r = catalog.locations.get(location), catalog.regions[f"{provider}:{region}"]
    return 0.0 if loc is None else rtt_ms(great_circle_km(loc.lat, loc.lon, r.lat, r.lon))


def _placement(base: Plan, catalog: Catalog, w: Workload, number: int, provider: str, region: str, offering: str,
               instances: int, *, pricing: str = "on_demand", share: float = 100.0,
               serves: dict[str, float] | None = None, cost: float | None = None) -> Assignment:
    """A placement of `w`, copied from the template plan's assignment of a workload of the same kind;
    its monthly cost is worked out from the catalog unless given."""
    template = next(a for a in base.assignments if a.kind == w.kind)
    o = catalog.offerings[f"{provider}:{offering}"]
    row = next((p for p in o.prices if p.region == region), None)
    hourly = row.hourly(pricing) if row is not None else None  # type: ignore[arg-type]
    if cost is None:
        assert hourly is not None
        if pricing.startswith("reserved") or w.kind == "realtime-inference":
            cost = instances * HOURS_PER_MONTH * hourly
        else:  # load-proportional: this share of the whole workload's bill on that offering alone
            alone = size(w, o, catalog.accelerators[o.accelerator])
            # spot: 20% of it (the default) reclaimed and replaced by the same instance on demand
            rate = hourly if pricing != "spot" or row is None else 0.8 * hourly + 0.2 * row.on_demand
            cost = share / 100 * alone.instances * alone.busy_hours_per_month * rate
    routes = [Route(location=loc, share_pct=pct, network_rtt_ms=round(_rtt(catalog, loc, provider, region), 1))
              for loc, pct in (serves or {}).items()]
    return template.model_copy(update={
        "workload": w.name, "team": w.team, "provider": provider, "region": region,
        "jurisdiction": catalog.regions[f"{provider}:{region}"].jurisdiction, "instance": offering,
        "instances": instances, "accelerator": o.accelerator, "accelerator_count": instances * o.accelerator_count,
        "pricing": pricing, "hourly_usd": hourly, "monthly_cost_usd": round(cost, 2),
        "annual_cost_usd": round(12 * cost, 2), "first_year_usd": round(12 * cost, 2), "placement": number,
        "load_share_pct": share, "serves": routes,
        "spot_interruption_pct": 20.0 if pricing == "spot" else None,
        "fallback_hourly_usd": row.on_demand if pricing == "spot" and row is not None else None})


def _plan(base: Plan, *assignments: Assignment) -> Plan:
    total = round(sum(a.monthly_cost_usd for a in assignments), 2)
    return base.model_copy(update={"assignments": list(assignments), "total_monthly_cost_usd": total,
                                   "total_annual_cost_usd": round(12 * total, 2), "workloads": [],
                                   "summary": None})


def _found(plan: Plan, w: Workload, catalog: Catalog) -> list[str]:
    return verify(plan, [w], POLICY, catalog)


# --- real-time: a service split by user location --------------------------------------------


@pytest.fixture(scope="module")
def busy_chat(inputs) -> Workload:
    """30 requests/s from two locations: one gpu-a instance (about 17.7 requests/s) per location."""
    return _changed(inputs["chat"], traffic__peak_rps=30)


def _split(base, catalog, w, us_instances=1, eu_instances=1, us_serves=None, eu_serves=None, **kw):
    us = _placement(base, catalog, w, 1, "alpha", "us-1", "a1", us_instances, share=50,
                    serves=us_serves if us_serves is not None else {"us-east": 100.0}, **kw)
    eu = _placement(base, catalog, w, 2, "alpha", "eu-1", "a1", eu_instances, share=50,
                    serves=eu_serves if eu_serves is not None else {"eu-central": 100.0}, **kw)
    return us, eu


def test_a_correct_split_by_location_holds(base, small_catalog, busy_chat):
    plan = _plan(base, *_split(base, small_catalog, busy_chat))
    assert _found(plan, busy_chat, small_catalog) == []


def test_one_placement_without_routes_serves_every_location(base, small_catalog, busy_chat):
    """Plans with one placement per workload list no routes: it serves every location."""
    alone = _placement(base, small_catalog, busy_chat, 1, "alpha", "us-1", "a1", 2)
    assert _found(_plan(base, alone), busy_chat, small_catalog) == []
    short = _placement(base, small_catalog, busy_chat, 1, "alpha", "us-1", "a1", 1)
    assert any("routed here" in v for v in _found(_plan(base, short), busy_chat, small_catalog))


def test_load_shares_must_add_up(base, small_catalog, busy_chat):
    us, eu = _split(base, small_catalog, busy_chat)
    plan = _plan(base, us, eu.model_copy(update={"load_share_pct": 70.0}))
    assert any("load shares" in v and "120" in v for v in _found(plan, busy_chat, small_catalog))


def test_route_shares_of_a_location_must_add_up(base, small_catalog, busy_chat):
    plan = _plan(base, *_split(base, small_catalog, busy_chat, eu_serves={"eu-central": 60.0}))
    assert any("traffic of eu-central routed 60%" in v for v in _found(plan, busy_chat, small_catalog))
    unserved = _plan(base, *_split(base, small_catalog, busy_chat, eu_serves={}))
    assert any("eu-central routed 0%" in v for v in _found(unserved, busy_chat, small_catalog))


def test_placements_are_numbered_from_one(base, small_catalog, busy_chat):
    us, eu = _split(base, small_catalog, busy_chat)
    found = _found(_plan(base, us, eu.model_copy(update={"placement": 1})), busy_chat, small_catalog)
    assert any("placed 2 times, numbered [1, 1]" in v for v in found)


def test_an_unknown_user_location_is_a_violation(base, small_catalog, busy_chat):
    plan = _plan(base, *_split(base, small_catalog, busy_chat, eu_serves={"eu-central": 100.0, "mars": 10.0}))
    assert any("mars is unknown" in v for v in _found(plan, busy_chat, small_catalog))


def test_a_route_over_the_latency_objective(base, small_catalog, inputs):
    """Measured at 3600 ms: within 3650 ms for users 2 ms away, not for users 87 ms away."""
    measured = [{"accelerator": "gpu-a", "requests_per_s": 20, "latency_ms": 3600, "source": "test bench"}]
    w = _changed(inputs["chat"], traffic__peak_rps=30, slo={"p95_latency_ms": 3650}, measured=measured)
    assert _found(_plan(base, *_split(base, small_catalog, w)), w, small_catalog) == []
    far = _split(base, small_catalog, w, us_serves={"us-east": 100.0, "eu-central": 10.0},
                 eu_serves={"eu-central": 90.0})
    found = _found(_plan(base, *far), w, small_catalog)
    assert any("placement 1" in v and "latency" in v for v in found), found
    assert not any("placement 2" in v for v in found)


def test_capacity_short_on_one_placement(base, small_catalog, busy_chat):
    """us-1 carries all of us-east and 30% of eu-central: 19.5 requests/s on one 17.7 requests/s instance."""
    plan = _plan(base, *_split(base, small_catalog, busy_chat, us_serves={"us-east": 100.0, "eu-central": 30.0},
                               eu_serves={"eu-central": 70.0}))
    found = _found(plan, busy_chat, small_catalog)
    assert [v for v in found if "routed here" in v] == [
        next(v for v in found if v.startswith("chat placement 1") and "19.5 requests/s routed here" in v)]
    enough = _plan(base, *_split(base, small_catalog, busy_chat, us_instances=2,
                                 us_serves={"us-east": 100.0, "eu-central": 30.0}, eu_serves={"eu-central": 70.0}))
    assert _found(enough, busy_chat, small_catalog) == []


def test_replica_bounds_count_every_placement(base, small_catalog, busy_chat):
    w = _changed(busy_chat, constraints__max_replicas=3)
    plan = _plan(base, *_split(base, small_catalog, w, us_instances=2, eu_instances=2))
    assert any("4 instances over max_replicas 3" in v for v in _found(plan, w, small_catalog))
    w = _changed(busy_chat, constraints__min_replicas=3)
    plan = _plan(base, *_split(base, small_catalog, w))
    assert any("2 instances under min_replicas 3" in v for v in _found(plan, w, small_catalog))


def test_min_regions(base, small_catalog, busy_chat):
    w = _changed(busy_chat, constraints__min_regions=2)
    assert _found(_plan(base, *_split(base, small_catalog, w)), w, small_catalog) == []
    two_providers = _plan(base,
                          _placement(base, small_catalog, w, 1, "alpha", "us-1", "a1", 1, share=50,
                                     serves={"us-east": 100.0}),
                          _placement(base, small_catalog, w, 2, "beta", "us-1", "b1", 1, share=50,
                                     serves={"eu-central": 100.0}))
    assert _found(two_providers, w, small_catalog) == []  # alpha:us-1 and beta:us-1 are two regions
    w3 = _changed(busy_chat, constraints__min_regions=3)
    assert any("placed in 2 region(s), min_regions is 3" in v
               for v in _found(_plan(base, *_split(base, small_catalog, w3)), w3, small_catalog))
    same = _plan(base,
                 _placement(base, small_catalog, w, 1, "alpha", "us-1", "a1", 1, share=50, serves={"us-east": 100.0}),
                 _placement(base, small_catalog, w, 2, "alpha", "us-1", "x1", 8, share=50,
                            serves={"eu-central": 100.0}))
    assert any("placed in 1 region(s), min_regions is 2" in v for v in _found(same, w, small_catalog))


def test_surviving_a_region_loss(base, small_catalog, busy_chat):
    """Each region alone must carry the whole 30 requests/s peak: two instances each."""
    w = _changed(busy_chat, constraints__survive_region_loss=True)
    assert _found(_plan(base, *_split(base, small_catalog, w, us_instances=2, eu_instances=2)), w,
                  small_catalog) == []
    found = _found(_plan(base, *_split(base, small_catalog, w)), w, small_catalog)
    assert any("losing alpha:us-1" in v for v in found) and any("losing alpha:eu-1" in v for v in found)
    half = _found(_plan(base, *_split(base, small_catalog, w, us_instances=2)), w, small_catalog)
    assert [v for v in half if "losing" in v] == [next(v for v in half if "losing alpha:us-1" in v)]
    alone = _found(_plan(base, _placement(base, small_catalog, w, 1, "alpha", "us-1", "a1", 4)), w, small_catalog)
    assert any("losing alpha:us-1, the other placements carry 0" in v for v in alone)


def test_a_standby_placement_counts_after_a_region_loss(base, small_catalog, busy_chat):
    """A placement that lists no routes while another does serves nobody until a region is lost."""
    w = _changed(busy_chat, constraints__survive_region_loss=True)
    plan = _plan(base,
                 _placement(base, small_catalog, w, 1, "alpha", "us-1", "a1", 2, share=100,
                            serves={"us-east": 100.0, "eu-central": 100.0}),
                 _placement(base, small_catalog, w, 2, "alpha", "eu-1", "a1", 2, share=0))
    assert _found(plan, w, small_catalog) == []


def test_the_failover_objective_decides_who_can_take_over(base, small_catalog, busy_chat):
    """Compute takes about 4635 ms at the planned load (serving, plus the p95 queue
    wait): users 87 ms away are answered in 4722 ms, over a 4700 ms failover objective."""
    w = _changed(busy_chat, constraints__survive_region_loss=True, constraints__failover_latency_ms=4700)
    found = _found(_plan(base, *_split(base, small_catalog, w, us_instances=2, eu_instances=2)), w, small_catalog)
    assert any("4700 ms failover objective" in v for v in found)
    loose = _changed(busy_chat, constraints__survive_region_loss=True, constraints__failover_latency_ms=5000)
    assert _found(_plan(base, *_split(base, small_catalog, loose, us_instances=2, eu_instances=2)), loose,
                  small_catalog) == []


def test_real_time_cost_is_the_whole_month(base, small_catalog, busy_chat):
    us, eu = _split(base, small_catalog, busy_chat)
    cheap = eu.model_copy(update={"monthly_cost_usd": eu.monthly_cost_usd / 2})
    found = _found(_plan(base, us, cheap), busy_chat, small_catalog)
    assert any(v.startswith("chat placement 2") and "monthly cost" in v for v in found)


def test_a_summary_that_disagrees_with_the_placements(base, small_catalog, busy_chat):
    us, eu = _split(base, small_catalog, busy_chat)
    plan = _plan(base, us, eu)
    cost = round(us.monthly_cost_usd + eu.monthly_cost_usd, 2)
    good = WorkloadPlan(workload="chat", kind=busy_chat.kind, team=busy_chat.team, monthly_cost_usd=cost,
                        placements=2, regions=["alpha:us-1", "alpha:eu-1"])
    assert _found(plan.model_copy(update={"workloads": [good]}), busy_chat, small_catalog) == []
    bad = good.model_copy(update={"placements": 1, "regions": ["alpha:us-1"]})
    found = _found(plan.model_copy(update={"workloads": [bad]}), busy_chat, small_catalog)
    assert any("counts 1 placements" in v for v in found) and any("lists regions" in v for v in found)


# --- batch: load shares of each run -----------------------------------------------------------


@pytest.fixture(scope="module")
def big_batch(inputs) -> Workload:
    """300,000 requests in 4 h: one gpu-a instance processes about 177,900."""
    return _changed(inputs["nightly"], volume__requests_per_run=300_000)


def test_a_batch_split_holds_and_bills_its_share(base, small_catalog, big_batch):
    us = _placement(base, small_catalog, big_batch, 1, "alpha", "us-1", "a1", 1, share=50)
    beta = _placement(base, small_catalog, big_batch, 2, "beta", "us-1", "b1", 1, share=50)
    assert _found(_plan(base, us, beta), big_batch, small_catalog) == []
    # the whole workload's bill on b1 (two instances for its busy hours), not half of it
    o = small_catalog.offerings["beta:b1"]
    alone = size(big_batch, o, small_catalog.accelerators[o.accelerator])
    whole = alone.instances * alone.busy_hours_per_month * 3.0
    found = _found(_plan(base, us, beta.model_copy(update={"monthly_cost_usd": round(whole, 2)})), big_batch,
                   small_catalog)
    assert any(v.startswith("nightly placement 2") and "monthly cost" in v for v in found)


def test_a_batch_placement_short_of_its_share(base, small_catalog, big_batch):
    us = _placement(base, small_catalog, big_batch, 1, "alpha", "us-1", "a1", 1, share=70)
    beta = _placement(base, small_catalog, big_batch, 2, "beta", "us-1", "b1", 1, share=30)
    found = _found(_plan(base, us, beta), big_batch, small_catalog)
    assert [v for v in found if "requests per run" in v] == [
        next(v for v in found if v.startswith("nightly placement 1") and "210,000 requests per run" in v)]


def test_reserved_batch_bills_every_hour(base, small_catalog, big_batch):
    us = _placement(base, small_catalog, big_batch, 1, "alpha", "us-1", "a1", 1, share=50, pricing="reserved_1y")
    assert math.isclose(us.monthly_cost_usd, HOURS_PER_MONTH * 1.5)
    beta = _placement(base, small_catalog, big_batch, 2, "beta", "us-1", "b1", 1, share=50)
    assert _found(_plan(base, us, beta), big_batch, small_catalog) == []


# --- training and edge: never split within one run or one site --------------------------------


def test_training_runs_spread_over_placements(base, small_catalog, inputs):
    w = _changed(inputs["tune"], runs_per_month=4)
    one = _placement(base, small_catalog, w, 1, "alpha", "us-1", "a1", 1, share=75, pricing="spot")
    eight = _placement(base, small_catalog, w, 2, "alpha", "us-1", "a8", 1, share=25, pricing="spot")
    assert _found(_plan(base, one, eight), w, small_catalog) == []
    big = _changed(w, tokens_b=400)  # one run needs several a8 instances
    o = small_catalog.offerings["alpha:a8"]
    need = size(big, o, small_catalog.accelerators["gpu-a"]).instances
    assert need > 1
    short = _placement(base, small_catalog, big, 1, "alpha", "us-1", "a8", need - 1, share=50, pricing="spot")
    rest = _placement(base, small_catalog, big, 2, "alpha", "us-1", "a8", need, share=50, pricing="spot")
    found = _found(_plan(base, short, rest), big, small_catalog)
    assert any(v.startswith("tune placement 1") and f"demand needs {need}" in v for v in found)
    assert not any(v.startswith("tune placement 2") for v in found)


def test_edge_has_exactly_one_placement(base, small_catalog, inputs):
    w = inputs["cameras"]
    template = next(a for a in base.assignments if a.workload == "cameras")
    half = template.model_copy(update={"load_share_pct": 50.0})
    found = _found(_plan(base, half, half.model_copy(update={"placement": 2})), w, small_catalog)
    assert any("expected exactly one" in v for v in found)
    assert _found(_plan(base, template), w, small_catalog) == []
    elsewhere = template.model_copy(update={"region": "us-1"})
    assert any("stands at site" in v for v in _found(_plan(base, elsewhere), w, small_catalog))


def test_the_checker_shares_no_code_with_the_solver():
    import ast
    from pathlib import Path

    import advisor.verify

    tree = ast.parse(Path(advisor.verify.__file__).read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    banned = ("advisor.solver", "advisor.explain", "advisor.infeasibility", "advisor.changes", "advisor.planner")
    assert not [m for m in modules if m and m.startswith(banned)]
