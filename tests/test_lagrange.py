"""The Lagrangian bound of coupled fleets: never above the optimum, stronger than the own optima,
and the cuts it adds keep the solver's optimum (advisor.solver.lagrange)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_properties import CATALOG, TOPOLOGY, brute_force_cost, fleets

import advisor.solver.ledger as ledger
import advisor.solver.model as model
import advisor.solver.patterns as patterns
from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.solver import solve
from advisor.solver.families import family_of
from advisor.solver.model import Context, counted_providers, family_names, fleet_lagrange_bound, own_lower_bounds
from advisor.topology import Topology
from advisor.workload.models import Policy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_scale import synthetic  # noqa: E402

LOCK_IN = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 50, "min_providers": 2}})


@pytest.fixture(scope="module")
def capped_fleet():
    catalog = load_catalog()
    candidates = build_candidates(synthetic(12, seed=3), LOCK_IN, catalog, Topology(catalog))
    return candidates


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_the_bound_never_exceeds_the_brute_force_optimum(case):
    fleet, policy = case
    candidates = build_candidates(fleet, policy, CATALOG, TOPOLOGY)
    if any(not opts for opts in candidates.options.values()):
        return
    lag = fleet_lagrange_bound(candidates, policy)
    expected = brute_force_cost(fleet, policy)
    if lag is None or expected is None:
        return
    assert lag.bound / 1000 <= expected + 0.01 * len(fleet) + 1e-6  # milli-cents against cents


def test_the_bound_is_stronger_than_the_own_optima_and_below_the_optimum(capped_fleet):
    names = family_names(LOCK_IN, capped_fleet)
    workloads = sorted(capped_fleet.options)
    own = sum(own_lower_bounds(capped_fleet, LOCK_IN, workloads, names, {}, 10.0).values())
    lag = fleet_lagrange_bound(capped_fleet, LOCK_IN)
    assert lag is not None and any(lag.multipliers)  # the 50% cap binds: it has a price
    result = solve(capped_fleet, LOCK_IN, time_limit_s=60)
    assert result.status == "optimal"
    assert own < lag.bound <= result.cost_millicents


def test_every_row_is_the_rule_its_family_checks(capped_fleet):
    """A family's spend row holds on a plan exactly when the family finds the plan does not break it."""
    result = solve(capped_fleet, Policy.model_validate({"kind": "policy"}), time_limit_s=60)
    ctx = Context(LOCK_IN, capped_fleet, counted_providers(LOCK_IN, capped_fleet))
    broken = set(model.policy_breaks(result.placements, LOCK_IN, capped_fleet))
    rows = 0
    for name in family_names(LOCK_IN, capped_fleet):
        family = family_of(name)
        row = family.spend_row(ctx, name) if family is not None else None
        if row is None:
            continue
        rows += 1
        lhs = sum(row.coefficient(p.option) * p.cost_millicents for ps in result.placements.values() for p in ps)
        assert (lhs > row.rhs) == (name in broken), name
    assert rows and broken  # the policy-free plan breaks a cap: both sides are exercised


def test_cuts_scaled_down_against_overflow_keep_the_optimum(capped_fleet, monkeypatch):
    exact = solve(capped_fleet, LOCK_IN, time_limit_s=60)
    monkeypatch.setattr(model, "CUT_LIMIT", 1 << 40)  # forces every cut's weights to be divided
    ledger.forget_all()
    scaled = solve(capped_fleet, LOCK_IN, time_limit_s=60)
    assert scaled.status == exact.status == "optimal"
    assert scaled.cost_millicents == exact.cost_millicents


def test_fleets_whose_option_ceilings_overflow_64_bits_still_solve(capped_fleet):
    """Every option at its most can sum past 2^63 / 10,000 on a large fleet; share caps multiply
    spends by 10,000, and CP-SAT rejects a row that could overflow. The solve must still answer."""
    from advisor.candidates import CandidateSet

    options = {w: [o._replace(max_count=10**6) for o in opts] for w, opts in capped_fleet.options.items()}
    huge = CandidateSet(options=options, ruled_out=capped_fleet.ruled_out, provider_kinds=capped_fleet.provider_kinds,
                        demands=capped_fleet.demands, limits=capped_fleet.limits, unserved=capped_fleet.unserved,
                        mig=capped_fleet.mig)
    result = solve(huge, LOCK_IN, time_limit_s=60)
    assert result.status == "optimal"
    assert result.cost_millicents <= solve(capped_fleet, LOCK_IN, time_limit_s=60).cost_millicents



def _spends(plan: model.KnownPlan, candidates) -> list:
    """The independent checker's view of a known plan: spend per option, from the catalog's prices."""
    from advisor.verify import Spend

    cost: dict[tuple[str, str], float] = {}
    for (w, key), n in plan.units.items():
        o = patterns.options_by_key(candidates, w)[key]
        cost[w, key] = cost.get((w, key), 0) + n * o.count_cost_cents
    for (w, key, _), v in plan.load.items():
        o = patterns.options_by_key(candidates, w)[key]
        cost[w, key] = cost.get((w, key), 0) + v * o.load_cost_cents / sum(candidates.demands[w].values())
    return [Spend(o.provider, o.vendor, o.team, c, candidates.provider_kinds.get(o.provider, "cloud"))
            for (w, key), c in cost.items() if c for o in [patterns.options_by_key(candidates, w)[key]]]


def test_the_master_lps_plan_made_whole_meets_the_policy(capped_fleet):
    """Large fleets start from the master LP's plan with its split workloads re-solved: that plan
    must carry every stream, meet every cap, and cost no less than the optimum."""
    from advisor.verify import policy_violations

    workloads = sorted(capped_fleet.options)
    names = family_names(LOCK_IN, capped_fleet)
    lag = fleet_lagrange_bound(capped_fleet, LOCK_IN)
    assert lag is not None and lag.fractional  # the 50% cap splits some workload in the LP
    lower = own_lower_bounds(capped_fleet, LOCK_IN, workloads, names, {}, 60.0)
    plan = model._rounded(LOCK_IN, capped_fleet, workloads, names, {}, lag, lower, 60.0)
    assert plan is not None
    assert solve(capped_fleet, LOCK_IN, time_limit_s=60).cost_millicents <= plan.cost
    spends = _spends(plan, capped_fleet)
    assert not policy_violations(spends, LOCK_IN)
    assert plan.cost / 1000 == pytest.approx(sum(x.cost_cents for x in spends), abs=len(workloads))  # the whole fleet
    for w in workloads:
        for s, d in capped_fleet.demands[w].items():
            assert sum(v for (v_w, _, st), v in plan.load.items() if v_w == w and st == s) == d
        for (v_w, key, _), v in plan.load.items():  # no unit carries more than it can
            if v_w == w and v:
                o = patterns.options_by_key(capped_fleet, w)[key]
                carried = sum(x for (y, k, _), x in plan.load.items() if y == w and k == key)
                assert carried <= o.capacity * plan.units.get((w, key), 0) + 1e-9 or not o.count_cost_cents


def test_an_unproven_joint_plan_reports_the_lagrangian_bound_when_cp_sats_is_weaker(capped_fleet, monkeypatch):
    """A joint search that stops unproven reports the best bound known, not only CP-SAT's: its
    bound after presolve can fall below the Lagrangian one it was given (the 100-workload fleet of
    bench_fleet reported $65,537 where the Lagrangian bound was $65,821). Without the cuts CP-SAT's
    own bound is the LP's, far weaker here."""
    monkeypatch.setattr(model, "add_lagrange_cuts", lambda mm, lag: None)
    monkeypatch.setattr(model, "add_own_cuts", lambda mm, lower: None)
    lag = fleet_lagrange_bound(capped_fleet, LOCK_IN)
    assert lag is not None
    result = solve(capped_fleet, LOCK_IN, time_limit_s=1)
    assert result.status == "feasible"  # the case at hand: a plan, no proof
    assert lag.bound <= result.bound_millicents <= result.cost_millicents
