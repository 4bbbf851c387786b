"""Whole patterns for the fleet's warm start (advisor.solver.patterns): a profiled service can move
to another provider at about its profiled cost there, and the master LP's columns cost what the
pattern really costs through the load levels."""

from __future__ import annotations

import pytest
from test_lagrange import LOCK_IN, synthetic

import advisor.solver.lagrange as lagrange
import advisor.solver.model as model
from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.solver.patterns import (
    alone_choices,
    alone_cost,
    burst_patterns,
    options_by_key,
    pattern_cost,
    units_alone,
)
from advisor.topology import Topology


@pytest.fixture(scope="module")
def profiled():
    catalog = load_catalog()
    return build_candidates(synthetic(16, seed=3, profiles=True), LOCK_IN, catalog, Topology(catalog))


def _profiled_workloads(candidates) -> list[str]:
    found = sorted(w for w in candidates.options if len(candidates.levels.get(w, ())) > 1)
    assert found  # the fixture has profiled services: the tests below are not vacuous
    return found


def test_a_burst_pattern_pairs_committed_and_hourly_units_of_one_provider_and_carries_the_peak(profiled):
    seen = 0
    for w in _profiled_workloads(profiled):
        by_key = options_by_key(profiled, w)
        for pattern in burst_patterns(profiled, w, regional=False):
            seen += 1
            (base, (base_units, base_load)), (burst, (burst_units, burst_load)) = (
                (by_key[k], v) for k, v in pattern.items())
            assert not base.level_costs_cents and burst.level_costs_cents  # committed, then hourly
            assert (base.provider, base.vendor) == (burst.provider, burst.vendor)
            assert base.units_for(base_load) <= base_units and burst.units_for(burst_load) <= burst_units
            demand = profiled.demands[w]
            assert {s: base_load.get(s, 0) + burst_load.get(s, 0) for s in demand} == demand
    assert seen


def test_burst_patterns_are_cheaper_than_the_peak_sized_option_somewhere(profiled):
    """What they are for: the cheapest way for a provider to carry a profiled service is often a
    mix, which the single peak-sized options alone cannot express."""
    cheaper = 0
    for w in _profiled_workloads(profiled):
        alone = {(o.provider, o.vendor): alone_cost(profiled, w, o) for o in alone_choices(profiled, w, False, None)}
        by_key = options_by_key(profiled, w)
        for pattern in burst_patterns(profiled, w, regional=False):
            first = by_key[next(iter(pattern))]
            cheaper += pattern_cost(profiled, w, pattern) < alone[first.provider, first.vendor]
    assert cheaper


def test_a_column_costs_its_hourly_units_through_every_load_level(profiled):
    """A column of one hourly option alone costs what that option alone costs under the profile,
    not its peak hours only (which made burst fleets look cheap to the master LP)."""
    checked = 0
    for w in _profiled_workloads(profiled):
        for o in alone_choices(profiled, w, False, None):
            if o.level_costs_cents and profiled.limits[w].min_replicas <= 1:
                column = lagrange._column(profiled, w, {o.key: (units_alone(profiled, w, o),
                                                                dict(profiled.demands[w]))})
                assert column.cost == alone_cost(profiled, w, o)
                checked += 1
    assert checked


def test_the_estimated_operation_of_a_pattern_is_never_cheaper_than_its_best(profiled):
    """pattern_cost prices a column by a feasible way through the levels: the model's best way
    through them (model._operated) costs no more."""
    checked = 0
    for w in _profiled_workloads(profiled):
        for pattern in burst_patterns(profiled, w, regional=False):
            operation = model._operated(LOCK_IN, profiled, w, pattern, 10.0)
            assert operation is not None
            running, _ = operation
            by_key = options_by_key(profiled, w)
            total = sum(profiled.demands[w].values())
            best = sum(model.Coefficients.of(by_key[k], total).cost(n, load, running.get((w, k), ()))
                       for k, (n, load) in pattern.items())
            assert best <= pattern_cost(profiled, w, pattern)
            checked += 1
    assert checked


def test_a_profiled_workload_alone_starts_from_a_whole_pattern_that_meets_its_rules(profiled):
    """model._pattern_start: a plan without a search, no cheaper than the workload's optimum, whose
    stated cost is what its placements cost."""
    names = model.family_names(LOCK_IN, profiled)
    own = model._own_families(names)
    started = 0
    for w in _profiled_workloads(profiled):
        mm, _ = model._build(LOCK_IN, profiled, [w], {}, own.get(w, []), {w: profiled.options[w]})
        if mm.pools:  # MIG slices share GPUs: the solver never starts those from a pattern
            continue
        start = model._pattern_start(LOCK_IN, profiled, mm, w, own.get(w, []), 10.0)
        if start is None:
            continue
        started += 1
        placements = model._known_placements(profiled, [w], start)
        assert start.cost == sum(p.cost_millicents for p in placements[w])
        assert not set(model.policy_breaks(placements, LOCK_IN, profiled)) & set(own.get(w, []))
        optimum = model._own_optimum(profiled, LOCK_IN, w, own.get(w, []), None, 10.0, False, False)
        assert optimum.status in ("optimal", "feasible") and start.cost >= optimum.bound_millicents
    assert started
