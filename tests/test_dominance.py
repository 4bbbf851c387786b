"""Exact dominance between one workload's options (advisor.solver.dominance): which reach
variants a plan can do without."""

from __future__ import annotations

import pytest

from advisor.candidates import Option
from advisor.solver.dominance import reduce_options

BOTH = ("eu-central", "us-east")


def option(serves: tuple[str, ...], rtt: tuple[float, ...], capacity: float = 10.0, unit: float = 1000.0,
           full: bool = True) -> Option:
    return Option.model_construct(
        workload="w", kind="realtime-inference", team="t", provider="p", region="eu-1", jurisdiction=None,
        offering="o", accelerator="gpu", vendor="v", pricing="on_demand", instances=1, accelerator_count=1,
        monthly_cost_cents=0, price_source="", price_as_of="", price_estimate=False, capacity=capacity,
        count_cost_cents=unit, load_cost_cents=0.0, unit_instances=1, max_count=5, serves=serves,
        failover_serves=serves, serve_rtt_ms=rtt, full_reach=full)


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
