"""The solver on small fleets whose optimum is known by hand."""

from __future__ import annotations

import pytest

from advisor.candidates import CandidateSet, Option, WorkloadLimits
from advisor.estimate import Sizing
from advisor.solver import solve
from advisor.workload.models import Policy

SIZING = Sizing(instances=1, busy_hours_per_month=730, devices_per_replica=1, throughput_per_instance=1,
                throughput_unit="requests/s", memory_per_device_gb=1)


def option(workload: str, provider: str, cents: int, vendor: str = "nvidia", team: str = "t",
           name: str | None = None) -> Option:
    """An option that carries its whole workload in one unit (the single-placement special case)."""
    return Option(workload=workload, kind="realtime-inference", team=team, provider=provider, region="r1",
                  jurisdiction="us", offering=name or f"{provider}-{cents}", accelerator="gpu", vendor=vendor,
                  pricing="on_demand", instances=1, accelerator_count=1, monthly_cost_cents=cents, sizing=SIZING,
                  price_source="test", price_as_of="2026-01-01", price_estimate=False,
                  capacity=1.0, count_cost_cents=cents, max_count=1)


def fleet(**options: list[Option]) -> CandidateSet:
    cs = CandidateSet()
    for w, opts in options.items():
        cs.options[w] = sorted(opts, key=lambda o: (o.monthly_cost_cents, o.key))
        cs.ruled_out[w] = []
        cs.demands[w] = {"all": 1}
        cs.limits[w] = WorkloadLimits(kind="realtime-inference", team=opts[0].team if opts else "t")
    return cs


def policy(**kw) -> Policy:
    data: dict = {"kind": "policy"}
    for key, value in kw.items():
        section, _, field = key.partition("__")
        data.setdefault(section, {})[field] = value
    return Policy.model_validate(data)


def chosen(result) -> dict[str, str]:
    return {w: o.provider for w, o in result.chosen.items()}


def test_without_policy_each_workload_takes_its_cheapest_option():
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 120_00)],
               b=[option("b", "aws", 90_00), option("b", "gcp", 80_00)])
    result = solve(cs, Policy(kind="policy"))
    assert result.status == "optimal"
    assert chosen(result) == {"a": "aws", "b": "gcp"}
    assert result.cost_cents == 180_00


def test_lock_in_cap_forces_a_trade_off_when_cheapest_choices_break_it():
    # Cheapest per workload is aws+aws ($200, 100% aws). With aws capped at 60%:
    #   gcp+aws = 120+100 = 220 (aws 45%)   aws+gcp = 100+150 = 250   gcp+gcp = 270
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 120_00)],
               b=[option("b", "aws", 100_00), option("b", "gcp", 150_00)])
    result = solve(cs, policy(lock_in__max_provider_share_pct=60))
    assert result.status == "optimal"
    assert chosen(result) == {"a": "gcp", "b": "aws"}
    assert result.cost_cents == 220_00


def test_vendor_cap_counts_accelerator_vendors_not_providers():
    cs = fleet(a=[option("a", "aws", 100_00, vendor="nvidia"), option("a", "aws", 130_00, vendor="aws", name="inf")],
               b=[option("b", "gcp", 100_00, vendor="nvidia"), option("b", "gcp", 110_00, vendor="google", name="tpu")])
    result = solve(cs, policy(lock_in__max_vendor_share_pct=55))
    # nvidia+nvidia = 100% nvidia; nvidia+google = 210 (nvidia 47.6%) is the cheapest that fits
    assert {w: o.vendor for w, o in result.chosen.items()} == {"a": "nvidia", "b": "google"}
    assert result.cost_cents == 210_00


def test_min_providers_splits_the_fleet():
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 130_00)],
               b=[option("b", "aws", 100_00), option("b", "gcp", 110_00)])
    result = solve(cs, policy(lock_in__min_providers=2))
    assert chosen(result) == {"a": "aws", "b": "gcp"}
    assert result.cost_cents == 210_00


def test_team_budget_moves_that_teams_workload_only():
    cs = fleet(a=[option("a", "aws", 80_00, team="red"), option("a", "gcp", 95_00, team="red")],
               b=[option("b", "aws", 50_00, team="blue")])
    result = solve(cs, policy(budget__per_team_monthly_usd={"red": 90}))
    assert result.chosen["a"].monthly_cost_cents == 80_00
    tight = solve(cs, policy(budget__per_team_monthly_usd={"red": 70}), want_core=True)
    assert tight.status == "infeasible"
    assert tight.core == ["budget_team:red"]


def test_total_budget_too_small_is_infeasible_with_budget_in_the_core():
    cs = fleet(a=[option("a", "aws", 100_00)], b=[option("b", "gcp", 100_00)])
    result = solve(cs, policy(budget__monthly_usd=150), want_core=True)
    assert result.status == "infeasible"
    assert result.core == ["budget_total"]
    assert solve(cs, policy(budget__monthly_usd=200)).status == "optimal"


def test_conflicting_cap_and_budget_are_reported_together():
    # Only aws is cheap enough for the budget, but the cap forbids aws taking it all.
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 300_00)])
    result = solve(cs, policy(budget__monthly_usd=150, lock_in__max_provider_share_pct=50), want_core=True)
    assert result.status == "infeasible"
    assert set(result.core) <= {"budget_total", "provider_share:aws", "provider_share:gcp"}
    assert "budget_total" in result.core


def test_workload_without_options_is_named():
    cs = fleet(a=[option("a", "aws", 100_00)], b=[])
    result = solve(cs, Policy(kind="policy"))
    assert result.status == "infeasible"
    assert result.empty_workloads == ["b"]


def test_disabled_family_is_switched_off():
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 120_00)],
               b=[option("b", "aws", 100_00), option("b", "gcp", 150_00)])
    p = policy(lock_in__max_provider_share_pct=60)
    assert solve(cs, p, disabled=frozenset({"provider_share:aws"})).cost_cents == 200_00


def test_forced_option_is_respected():
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 120_00)])
    forced = cs.options["a"][1].key
    result = solve(cs, Policy(kind="policy"), forced={"a": forced})
    assert result.chosen["a"].key == forced


@pytest.mark.parametrize("run", range(3))
def test_ties_break_the_same_way_every_time(run):
    # Equal cost on two providers: the earlier option in sort order (by key) wins.
    cs = fleet(a=[option("a", "gcp", 100_00), option("a", "aws", 100_00)],
               b=[option("b", "gcp", 100_00), option("b", "aws", 100_00)])
    result = solve(cs, Policy(kind="policy"))
    assert chosen(result) == {"a": "aws", "b": "aws"}


def test_tie_break_keeps_the_policy():
    # Both aws would tie on cost but break a 50% cap; the tie-break must not swap into a violation.
    cs = fleet(a=[option("a", "aws", 100_00), option("a", "gcp", 100_00)],
               b=[option("b", "aws", 100_00), option("b", "gcp", 100_00)])
    result = solve(cs, policy(lock_in__max_provider_share_pct=50))
    assert sorted(chosen(result).values()) == ["aws", "gcp"]


def test_family_names_match_the_model_that_is_built():
    from advisor.solver.model import _build, family_names

    cs = fleet(a=[option("a", "aws", 100_00, team="red"), option("a", "gcp", 120_00, vendor="google")],
               b=[option("b", "azure", 90_00, vendor="amd")])
    p = policy(budget__monthly_usd=500, budget__per_team_monthly_usd={"red": 300},
               lock_in__max_provider_share_pct=70, lock_in__max_vendor_share_pct=80, lock_in__min_providers=2)
    names = family_names(p, cs)
    assert names == list(_build(p, cs, ["a", "b"], {}, names)[0].enforce)
    assert family_names(Policy(kind="policy"), cs, ["a", "b"]) == []


@pytest.mark.parametrize(("capped", "unproven"), [(True, "feasible"), (True, "unknown"), (False, "unknown")])
def test_a_workload_infeasible_alone_makes_the_fleet_infeasible_past_an_unproven_one(monkeypatch, capped, unproven):
    """Workloads are solved alone first; one whose own rules cannot hold decides the answer even
    when an earlier workload's own optimum is unproven (a 10,000-workload fleet went to the joint
    search at its first unproven workload and ended "unknown" after 9 minutes, where its workload
    3,216 could not have two regions)."""
    import dataclasses

    import advisor.solver.model as model

    cs = fleet(a=[option("a", "aws", 100), option("a", "gcp", 120)],
               b=[option("b", "aws", 100), option("b", "aws", 120, name="other")])
    cs.limits["b"] = dataclasses.replace(cs.limits["b"], min_regions=2)  # both options are in aws:r1
    real = model._own_optimum

    def unproven_a(candidates, policy, w, *args):
        result = real(candidates, policy, w, *args)
        if w != "a" or result.status != "optimal":
            return result
        if unproven == "unknown":  # no plan within its limit
            return dataclasses.replace(result, status="unknown", placements={}, cost_millicents=None,
                                       bound_millicents=None)
        return dataclasses.replace(result, status="feasible")

    monkeypatch.setattr(model, "_own_optimum", unproven_a)
    rules = policy(lock_in__max_provider_share_pct=60) if capped else policy()
    assert solve(cs, rules).status == "infeasible"
    assert solve(cs, rules, want_core=True).core == ["min_regions:b"]
