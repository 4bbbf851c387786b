"""Region loss states only the rows no other row implies (advisor.solver.families.region_loss._rows).
Whatever units a plan buys, the kept rows hold exactly when every (region, set of locations) row
of the rule's definition holds, which this file writes out on its own."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.candidates import Option
from advisor.solver.families.region_loss import _rows
from advisor.solver.variables import CAP_SCALE

LOCATIONS = ("eu-central", "uk", "us-east")
REGIONS = ("r1", "r2", "r3")


def option(region: str, failover: tuple[str, ...], capacity: float) -> Option:
    return Option.model_construct(
        workload="w", kind="realtime-inference", team="t", provider="p", region=region, jurisdiction=None,
        offering="o", accelerator="gpu", vendor="v", pricing="on_demand", instances=1, accelerator_count=1,
        monthly_cost_cents=0, price_source="", price_as_of="", price_estimate=False, capacity=capacity,
        count_cost_cents=100.0, load_cost_cents=0.0, unit_instances=1, max_count=5, serves=failover,
        failover_serves=failover, serve_rtt_ms=(10.0,) * len(failover), full_reach=True)


options_strategy = st.lists(st.tuples(st.sampled_from(REGIONS),
                                      st.sets(st.sampled_from(LOCATIONS), min_size=1).map(lambda s: tuple(sorted(s))),
                                      st.sampled_from((1.0, 2.5, 4.0, 7.0))), min_size=1, max_size=7)


def survives_every_loss(options: list[Option], units: list[int], demand: dict[str, int]) -> bool:
    """The rule as defined: every region lost, every set of locations still carried."""
    for region in {o.region_key for o in options}:
        for k in range(1, len(demand) + 1):
            for subset in itertools.combinations(sorted(demand), k):
                carried = sum(math.floor(o.capacity * CAP_SCALE) * n for o, n in zip(options, units, strict=True)
                              if o.region_key != region and set(o.failover_serves) & set(subset))
                if carried < CAP_SCALE * sum(demand[s] for s in subset):
                    return False
    return True


@settings(max_examples=300, deadline=None)
@given(options_strategy, st.dictionaries(st.sampled_from(LOCATIONS), st.integers(1, 9), min_size=1),
       st.data())
def test_the_kept_rows_hold_exactly_when_every_row_holds(specs, demand, data):
    options = [option(*spec) for spec in specs]
    units = data.draw(st.lists(st.integers(0, 4), min_size=len(options), max_size=len(options)))
    kept = all(sum(math.floor(options[i].capacity * CAP_SCALE) * units[i] for i in range(len(options))
                   if helpers >> i & 1) >= CAP_SCALE * need for helpers, need in _rows(options, demand))
    assert kept == survives_every_loss(options, units, demand)


def test_locations_every_option_reaches_come_down_to_one_row_per_region():
    both = ("eu-central", "uk")
    options = [option(region, both, 5.0) for region in REGIONS]
    rows = _rows(options, {"eu-central": 3, "uk": 4})
    # per region lost: the other two carry both locations together (3 sets of locations each before)
    assert sorted(need for _, need in rows) == [7, 7, 7]
