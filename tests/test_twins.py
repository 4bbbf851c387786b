"""Twin moves (advisor.solver.twins): a capped tie-break moves placements, at the same price, to
the region nearest their users, keeping a move only where the model admits it and it routes
nearer."""

from __future__ import annotations

from ortools.sat.python import cp_model

from advisor.candidates import CandidateSet, Option, WorkloadLimits
from advisor.solver import model
from advisor.solver.twins import twin_moves
from advisor.workload.models import Policy

DEMAND = {"eu-central": 3, "us-east": 1}
"""Mostly European users: a Frankfurt unit serves them with less travel than a Virginia one."""


def option(region: str, rtt: tuple[float, float], unit: float = 1000.0) -> Option:
    return Option.model_construct(
        workload="w", kind="realtime-inference", team="t", provider="p", region=region, jurisdiction=None,
        offering="o", accelerator="gpu", vendor="v", pricing="on_demand", instances=1, accelerator_count=1,
        monthly_cost_cents=0, price_source="", price_as_of="", price_estimate=False, capacity=4.0,
        count_cost_cents=unit, load_cost_cents=0.0, unit_instances=1, max_count=5,
        serves=tuple(DEMAND), failover_serves=tuple(DEMAND), serve_rtt_ms=rtt, full_reach=True)


FAR = option("us-1", (90.0, 10.0))
NEAR = option("eu-1", (10.0, 90.0))


def built(options: list[Option], policy: Policy, families: list[str]) -> model.PlacementModel:
    cs = CandidateSet(options={"w": options}, demands={"w": dict(DEMAND)},
                      limits={"w": WorkloadLimits(kind="realtime-inference", team="t", by_count=True)})
    mm, _ = model._build(policy, cs, ["w"], {}, families, {"w": options})
    for lit in mm.enforce.values():
        mm.m.add(lit == 1)
    return mm


def far_plan(mm: model.PlacementModel) -> dict[cp_model.IntVar, int]:
    """One unit in Virginia carrying everyone."""
    values = {var: 0 for var in (*mm.n.values(), *mm.f.values())}
    values[mm.n["w", 0]] = 1
    values.update({mm.f["w", 0, s]: d for s, d in DEMAND.items()})
    return values


def solved_at(mm: model.PlacementModel, values: dict[cp_model.IntVar, int]) -> cp_model.CpSolver:
    """A solver holding exactly `values` (the search's first plan, as the tie-break receives it)."""
    for var, value in values.items():
        mm.m.add_hint(var, value)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    assert solver.solve(mm.m) == cp_model.OPTIMAL
    return solver


def test_a_placement_may_move_to_its_twin_in_another_region():
    mm = built([FAR, NEAR], Policy(kind="policy"), [])
    (moved,) = twin_moves(mm, far_plan(mm).__getitem__)
    assert (moved[mm.n["w", 0]], moved[mm.n["w", 1]]) == (0, 1)


def test_no_move_without_a_twin_at_the_same_price():
    dearer = option("eu-1", (10.0, 90.0), unit=1001.0)  # a cent more: not a twin
    mm = built([FAR, dearer], Policy(kind="policy"), [])
    assert twin_moves(mm, far_plan(mm).__getitem__) == []


def tie_broken(options: list[Option], policy: Policy, families: list[str], monkeypatch) -> list[str]:
    """The regions of the units a tie-break ends with, from the Virginia plan, when its search
    runs out of time before its first plan (the moves' routing solves still run)."""
    run = model.run_interruptibly

    def capped(solver: cp_model.CpSolver, m: cp_model.CpModel, *args: object) -> cp_model.CpSolverStatus:
        return run(solver, m, *args) if solver.parameters.fix_variables_to_their_hinted_value else cp_model.UNKNOWN

    monkeypatch.setattr(model, "run_interruptibly", capped)
    mm = built(options, policy, families)
    first = solved_at(mm, far_plan(mm))
    solver = model._tie_break(mm, first, round(first.value(mm.total)), 30.0)
    return [o.region for i, o in enumerate(mm.options["w"]) if solver.value(mm.n["w", i])]


def test_a_capped_tie_break_moves_the_units_nearer_the_users(monkeypatch):
    assert tie_broken([FAR, NEAR], Policy(kind="policy"), [], monkeypatch) == ["eu-1"]


def test_a_move_that_breaks_a_rule_is_not_kept(monkeypatch):
    """No GPUs allowed in Frankfurt (a quota of 0): the units stay in Virginia."""
    policy = Policy.model_validate({"kind": "policy", "quotas": {"p:eu-1:gpu": 0}})
    assert tie_broken([FAR, NEAR], policy, ["quota:p:eu-1:gpu"], monkeypatch) == ["us-1"]


def test_a_move_that_routes_no_nearer_is_not_kept(monkeypatch):
    farther = option("ap-1", (95.0, 95.0))
    assert tie_broken([FAR, farther], Policy(kind="policy"), [], monkeypatch) == ["us-1"]
