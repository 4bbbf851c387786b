"""A workload with families of its own is solved in two passes (advisor.solver.model.
_alone_in_two_passes): a short search, then the search again over the options within the cost
of the plan it found. The second pass must keep the optimum: the cut is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

import advisor.solver.model as model
from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.topology import Topology
from advisor.workload.loader import load_inputs
from advisor.workload.models import Policy

EXAMPLE = Path(__file__).resolve().parents[1] / "workloads" / "checkout-ranking.yaml"


@pytest.fixture(scope="module")
def region_loss():
    catalog = load_catalog()
    workload = load_inputs([EXAMPLE], catalog).workloads[0]
    assert workload.constraints.survive_region_loss
    policy = Policy.model_validate({"kind": "policy"})
    candidates = build_candidates([workload], policy, catalog, Topology(catalog))
    names = [n for n in model.family_names(policy, candidates) if n.endswith(f":{workload.name}")]
    return candidates, policy, workload.name, names


def _solve(region_loss):
    candidates, policy, w, names = region_loss
    return model._solve_together(candidates, policy, [w], names, {}, 60.0, False, {}, True)


def test_the_second_pass_keeps_the_optimum(region_loss, monkeypatch):
    proven = _solve(region_loss)
    assert proven.status == "optimal"
    passes = []
    real = model.within_reach
    monkeypatch.setattr(model, "within_reach", lambda *a, **k: passes.append(a[2]) or real(*a, **k))
    def first_stops_at_its_first_plan(time_limit_s, *args, **kwargs):
        solver = real_solver(time_limit_s, *args, **kwargs)
        # the short first search stops at its first plan: it proves nothing
        solver.parameters.stop_after_first_solution = time_limit_s <= model.FIRST_PASS_S
        return solver

    real_solver = model._solver
    monkeypatch.setattr(model, "_solver", first_stops_at_its_first_plan)
    found = _solve(region_loss)
    assert passes, "the second pass did not run"
    assert found.status == "optimal" and found.cost_millicents == proven.cost_millicents
    assert passes[0] >= proven.cost_millicents  # cut at the cost of a real plan, never below the optimum


def test_the_two_region_start_is_a_real_plan_and_keeps_the_optimum(region_loss, monkeypatch):
    """The first plan built without a search (cheapest option alone, plus the cheapest in another
    region as a standby) survives the loss of either region and costs no less than the optimum;
    the search from it proves the same optimum as the searched first plan does."""
    candidates, policy, w, names = region_loss
    mm, _ = model._build(policy, candidates, [w], {}, names)
    start = model._two_region_start(candidates, mm, w, names, {})
    assert start is not None
    placed = model._known_placements(candidates, [w], start)
    assert not model.policy_breaks(placed, policy, candidates)
    assert sum(p.cost_millicents for p in placed[w]) == start.cost
    cost = start.cost
    with_start = _solve(region_loss)
    monkeypatch.setattr(model, "_two_region_start", lambda *a, **k: None)
    searched = _solve(region_loss)
    assert with_start.status == searched.status == "optimal"
    assert with_start.cost_millicents == searched.cost_millicents <= cost


def test_the_two_region_start_serves_min_regions_too(monkeypatch):
    """Asked for two regions (no region-loss rule), the same start spans two regions and the search
    from it proves the optimum the searched first plan proves."""
    catalog = load_catalog()
    base = load_inputs([EXAMPLE], catalog).workloads[0]
    workload = base.model_copy(update={"constraints": base.constraints.model_copy(
        update={"survive_region_loss": False, "min_regions": 2})})
    policy = Policy.model_validate({"kind": "policy"})
    candidates = build_candidates([workload], policy, catalog, Topology(catalog))
    names = [n for n in model.family_names(policy, candidates) if n.endswith(f":{workload.name}")]
    assert any(n.startswith("min_regions:") for n in names)
    mm, _ = model._build(policy, candidates, [workload.name], {}, names)
    start = model._two_region_start(candidates, mm, workload.name, names, {})
    assert start is not None
    keys = [k for (_, k), n in start.units.items() if n]
    regions = {o.region_key for o in mm.options[workload.name] if o.key in keys}
    assert len(regions) == 2
    with_start = model._solve_together(candidates, policy, [workload.name], names, {}, 60.0, False, {}, True)
    monkeypatch.setattr(model, "_two_region_start", lambda *a, **k: None)
    searched = model._solve_together(candidates, policy, [workload.name], names, {}, 60.0, False, {}, True)
    assert with_start.status == searched.status == "optimal"
    assert with_start.cost_millicents == searched.cost_millicents <= start.cost
