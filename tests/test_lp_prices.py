"""First-order prices from the LP relaxation's duals (advisor.solver.lp), against a hand-worked LP."""

from __future__ import annotations

import pytest

from advisor.candidates import CandidateSet, Option, WorkloadLimits
from advisor.solver.lp import first_order_prices
from advisor.solver.model import family_names
from advisor.workload.models import Policy


def option(workload: str, provider: str, unit_cents: float) -> Option:
    return Option.model_construct(
        workload=workload, kind="realtime-inference", team="t", provider=provider, region="r", jurisdiction=None,
        offering=f"o-{provider}", accelerator="gpu", vendor="v", pricing="on-demand", instances=1,
        accelerator_count=1, monthly_cost_cents=unit_cents, price_source="", price_as_of="", price_estimate=False,
        capacity=1.0, count_cost_cents=unit_cents, load_cost_cents=0.0, unit_instances=1, max_count=1, serves=(),
        failover_serves=(), serve_rtt_ms=(), full_reach=True)


def test_a_share_cap_dual_is_the_lp_saving_per_dollar_it_lets_through():
    """Two workloads, each one unit: $10 on provider a or $15 on b; a may carry 60% of spend.
    LP: with A units on a, spend_a = 10A and the total is 30 - 5A; the cap 10A <= 0.6 (30 - 5A)
    gives A = 18/13. Letting $d more through the cap gives A = (18 + d)/13 and the total falls
    by 5/13 per dollar: the first-order price is $0.3846 per $1."""
    options = {w: [option(w, "a", 1000), option(w, "b", 1500)] for w in ("w1", "w2")}
    candidates = CandidateSet(options=options, demands={w: {"all": 1} for w in options},
                              limits={w: WorkloadLimits(kind="realtime-inference", team="t") for w in options},
                              provider_kinds={"a": "cloud", "b": "cloud"})
    policy = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 60}})
    prices = first_order_prices(candidates, policy, family_names(policy, candidates)).prices
    assert prices["provider_share:a"].usd_per_unit == pytest.approx(5 / 13, rel=1e-6)
    assert prices["provider_share:a"].unit == "$1 more spend allowed on the provider"
    assert prices["provider_share:b"].usd_per_unit == pytest.approx(0.0, abs=1e-9)  # b is far below its cap


def test_a_budget_that_does_not_bind_has_no_price():
    options = {"w1": [option("w1", "a", 1000)]}
    candidates = CandidateSet(options=options, demands={"w1": {"all": 1}},
                              limits={"w1": WorkloadLimits(kind="realtime-inference", team="t")})
    policy = Policy.model_validate({"kind": "policy", "budget": {"monthly_usd": 100}})
    prices = first_order_prices(candidates, policy, family_names(policy, candidates)).prices
    assert prices["budget_total"].usd_per_unit == pytest.approx(0.0, abs=1e-9)
