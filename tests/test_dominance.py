"""Exact dominance between one workload's options (advisor.solver.dominance): which reach
variants a plan can do without."""

from __future__ import annotations

import pytest

from advisor.candidates import Option
from advisor.solver.dominance import reduce_options

BOTH = ("eu-central", "us-east")


def option(serves: tuple[str, ...], rtt: tuple[float, ...], capacity: float = 10.0, unit: float = 1000.0,
           full: bool = True, region: str = "eu-1", failover: tuple[str, ...] | None = None,
           offering: str = "o") -> Option:
    return Option.model_construct(
        workload="w", kind="realtime-inference", team="t", provider="p", region=region, jurisdiction=None,
        offering=offering, accelerator="gpu", vendor="v", pricing="on_demand", instances=1, accelerator_count=1,
        monthly_cost_cents=0, price_source="", price_as_of="", price_estimate=False, capacity=capacity,
        count_cost_cents=unit, load_cost_cents=0.0, unit_instances=1, max_count=5, serves=serves,
        failover_serves=serves if failover is None else failover, serve_rtt_ms=rtt, full_reach=full)


WIDE = option(BOTH, (10.0, 90.0))


@pytest.mark.parametrize(("variant", "kept"), [
    (option(("eu-central",), (10.0,), full=False), False),  # carries no more, for no less, no nearer
    (option(("eu-central",), (10.0,), capacity=12.0, full=False), True),  # sized for the nearer reach: more
    (option(("eu-central",), (10.0,), unit=999.0, full=False), True),  # cheaper
    (option(("eu-central",), (0.0,), full=False), True),  # nearer at the same price: the tie-break wants it
])
def test_a_narrower_variant_is_dropped_only_when_the_wider_option_does_all_it_does(variant, kept):
    assert (variant in reduce_options([WIDE, variant], frozenset())) == kept
    assert WIDE in reduce_options([WIDE, variant], frozenset())


def test_a_wider_option_is_not_dominated_by_a_narrower_one():
    """The narrower option cannot carry the US users' load: both stay, though it is cheaper."""
    narrow = option(("eu-central",), (10.0,), unit=500.0, capacity=20.0, full=False)
    assert reduce_options([WIDE, narrow], frozenset()) == [WIDE, narrow]


def solved(options: list[Option], reduced: bool) -> tuple[int, float | None]:
    """(status, cost) of one workload that must survive the loss of a region, over the options as
    they are or as dominance reduces them."""
    from ortools.sat.python import cp_model

    from advisor.candidates import CandidateSet, WorkloadLimits
    from advisor.solver import model
    from advisor.workload.models import Policy

    cs = CandidateSet(options={"w": options}, demands={"w": {"eu-central": 1, "us-east": 4}},
                      limits={"w": WorkloadLimits(kind="realtime-inference", team="t", by_count=True,
                                                  survive_region_loss=True)})
    mm, _ = model._build(Policy(kind="policy"), cs, ["w"], {}, ["region_loss:w"], None if reduced else {"w": options})
    for lit in mm.enforce.values():
        mm.m.add(lit == 1)
    solver = cp_model.CpSolver()
    status = solver.solve(mm.m)
    return status, solver.objective_value if status == cp_model.OPTIMAL else None


@pytest.mark.parametrize("us_failover", [("us-east",), ()])
def test_after_a_region_loss_the_reduction_changes_no_answer(us_failover):
    """Frankfurt options that take over Frankfurt's users (cheaper) or nobody's (dearer) after a
    loss, and a Virginia one; the reduced model answers as the whole one does."""
    takes_eu = option(BOTH, (10.0, 90.0), unit=900.0, failover=("eu-central",), offering="fast")
    takes_none = option(BOTH, (10.0, 90.0), unit=1000.0, failover=(), offering="slow")
    takes_both = option(BOTH, (10.0, 90.0), unit=1100.0, failover=BOTH, offering="big")
    virginia = option(BOTH, (90.0, 10.0), unit=900.0, region="us-1", failover=(*us_failover, "eu-central"),
                      offering="fast")
    options = [takes_eu, takes_none, takes_both, virginia]
    assert solved(options, reduced=True) == solved(options, reduced=False)


def test_an_option_that_meets_the_failover_objective_nowhere_takes_over_nothing():
    """Its units count for no one after a loss (as the checker reads a plan): with only it in
    Frankfurt, losing Virginia leaves its users unserved."""
    from ortools.sat.python import cp_model

    takes_none = option(BOTH, (10.0, 90.0), unit=900.0, failover=(), offering="slow")
    virginia = option(BOTH, (90.0, 10.0), unit=900.0, region="us-1", offering="fast")
    assert solved([takes_none, virginia], reduced=False)[0] == cp_model.INFEASIBLE
