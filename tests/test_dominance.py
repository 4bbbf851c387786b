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


def test_after_a_region_loss_dominance_reads_the_locations_as_the_model_does():
    """An option with no failover locations of its own is counted by the region-loss family for its
    normal ones (`failover_serves or serves`): one that takes over only A must not drop it. With the
    reduction, the model stays feasible at the unreduced optimum (one unit in each region)."""
    from ortools.sat.python import cp_model

    from advisor.candidates import CandidateSet, WorkloadLimits
    from advisor.solver import model
    from advisor.workload.models import Policy

    takes_a = option(BOTH, (10.0, 90.0), unit=900.0, failover=("eu-central",), offering="fast")
    takes_both_normally = option(BOTH, (10.0, 90.0), unit=1000.0, failover=(), offering="slow")
    other_region = option(BOTH, (90.0, 10.0), unit=900.0, region="us-1", offering="fast")
    options = [takes_a, takes_both_normally, other_region]
    assert takes_both_normally in reduce_options(options, frozenset({"region_loss"}))
    cs = CandidateSet(options={"w": options}, demands={"w": {"eu-central": 1, "us-east": 4}},
                      limits={"w": WorkloadLimits(kind="realtime-inference", team="t", by_count=True,
                                                  survive_region_loss=True)})
    mm, _ = model._build(Policy(kind="policy"), cs, ["w"], {}, ["region_loss:w"])
    for lit in mm.enforce.values():
        mm.m.add(lit == 1)
    solver = cp_model.CpSolver()
    assert solver.solve(mm.m) == cp_model.OPTIMAL
