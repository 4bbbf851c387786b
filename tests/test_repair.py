"""The greedy repair's warm start (advisor.solver.repair): every plan it gives meets every rule, never
costs less than the optimum, and it says so when it finds nothing rather than give a broken plan."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from test_properties import CATALOG, TOPOLOGY, brute_force_cost, fleets

from advisor.candidates import build_candidates
from advisor.solver.families import SpendRow
from advisor.solver.lagrange import Column, LagrangeBound, _Coefficients
from advisor.solver.model import _known_placements, _repaired_plan, family_names, fleet_lagrange_bound, policy_breaks
from advisor.solver.repair import repaired


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_a_repaired_plan_meets_every_rule_and_costs_no_less_than_the_brute_force_optimum(case):
    fleet, policy = case
    candidates = build_candidates(fleet, policy, CATALOG, TOPOLOGY)
    if any(not opts for opts in candidates.options.values()):
        return
    lag = fleet_lagrange_bound(candidates, policy)
    if lag is None:
        return
    workloads = sorted(candidates.options)
    names = family_names(policy, candidates)
    plan = _repaired_plan(policy, candidates, workloads, names, lag, 10.0)
    expected = brute_force_cost(fleet, policy)
    if plan is None:
        return
    assert expected is not None, "a plan where the brute force finds none"
    placements = _known_placements(candidates, workloads, plan)
    assert not set(policy_breaks(placements, policy, candidates)) & set(names)
    assert plan.cost == sum(p.cost_millicents for ps in placements.values() for p in ps)
    assert plan.cost / 1000 >= expected - 0.01 * len(fleet) - 1e-6  # milli-cents against cents


def two_teams(rhs_a: int, rhs_b: int) -> LagrangeBound:
    """Three workloads of teams a, a, b, each with a cheap column on provider x and a dearer one on y;
    rows: team a's spend <= rhs_a, provider x's spend <= rhs_b."""
    rows = [SpendRow(coefficient=lambda o: 0, rhs=rhs_a), SpendRow(coefficient=lambda o: 0, rhs=rhs_b)]
    coefficients = _Coefficients(rows)
    groups = {("x", "v", "a"): (1, 1), ("y", "v", "a"): (1, 0), ("x", "v", "b"): (0, 1), ("y", "v", "b"): (0, 0)}
    coefficients.memo.update(groups)

    def column(provider: str, team: str, cost: int) -> Column:
        return Column(cost=cost, spend=(((provider, "v", team), cost),), pattern={f"{provider}-{cost}": (1, {})})

    columns = {"w1": [column("x", "a", 10), column("y", "a", 13)],
               "w2": [column("x", "a", 20), column("y", "a", 21)],
               "w3": [column("x", "b", 30), column("y", "b", 40)]}
    return LagrangeBound(coefficients=coefficients, multipliers=[0, 0], least={}, columns=columns,
                         favoured={w: cs[0].pattern for w, cs in columns.items()})


def test_moves_trade_one_rows_excess_for_anothers_where_that_is_cheapest():
    # all on x: x spends 60 > 45; moving w2 to y (+1) frees 20 on x and costs team a 1 more (31 <= 32)
    chosen = repaired(two_teams(rhs_a=32, rhs_b=45), ["w1", "w2", "w3"], lambda w, c: True)
    assert chosen is not None
    assert [chosen[w].pattern for w in ("w1", "w2", "w3")] == [{"x-10": (1, {})}, {"y-21": (1, {})},
                                                               {"x-30": (1, {})}]


def test_no_plan_when_the_rows_cannot_all_hold():
    # team a's two workloads cost at least 30 together, over its 29
    assert repaired(two_teams(rhs_a=29, rhs_b=45), ["w1", "w2", "w3"], lambda w, c: True) is None


def test_a_workload_without_an_allowed_column_gets_no_plan():
    assert repaired(two_teams(rhs_a=100, rhs_b=100), ["w1", "w2", "w3"], lambda w, c: w != "w2") is None
