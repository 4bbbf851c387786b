"""Exact dominance between one workload's options: drop the ones no optimal plan needs."""

from __future__ import annotations

import math

from advisor.candidates import Option
from advisor.solver.variables import CAP_SCALE, rtt_bucket

Profile = tuple[float, tuple[float, ...], tuple[int, ...], int, dict[str, int], tuple[float, ...], frozenset[str]]
"""What dominance compares: unit cost, load cost and capacity (per stream under a request-size
mix), max count, round-trip bucket per location served, level costs, locations served after a
region loss."""


def reduce_options(options: list[Option], prefixes: frozenset[str], keep: frozenset[str] = frozenset(),
                   priced: bool = False, nearest_later: bool = False) -> list[Option]:
    """Drop options another option of the same workload makes unnecessary: an exact reduction.

    o1 dominates o2 when it serves every user location o2 serves (normally and after a region
    loss), sells at least as many units, each carrying at least as much for no more money, and
    agrees with o2 on everything a family whose prefix is in `prefixes` reads: the provider for
    provider caps and min_providers, the vendor for vendor caps, the team for team budgets, the
    region for min_regions and region losses. At the same price it must also be no farther from
    any user location o2 serves (so the tie-break can still route users to the nearest region). A
    variant sized for a nearer reach (fewer locations, a shorter round trip, so often a larger
    capacity) is kept unless its wider twin carries as much for no more. Under
    quotas it must hold the same accelerators per unit in the same region (a quota counts them);
    under fleet counts it must draw on the same fleet (or none). A MIG slice option is compared only
    with slices of the same profile and pool (its share of a GPU is a lower bound of its cost). Under a
    share-of-spend cap only equal costs dominate (a cap can make spending more on one provider
    the only way to keep another's share down), unless `priced`: a Lagrangian subproblem
    (advisor.solver.lagrange) has no caps, only a price per provider and vendor, so there the
    cheaper option of the same provider and vendor dominates. With `nearest_later`, a joint model
    whose plan is tie-broken workload by workload afterwards (model._tie_break_each, over all
    options), the nearer region need not be kept at the same price: one of equals is enough.
    """
    share_caps = bool(prefixes & {"provider_share", "vendor_share"}) and not priced

    def group(o: Option) -> tuple[object, ...]:
        return (o.provider if prefixes & {"provider_share", "min_providers"} else None,
                o.vendor if "vendor_share" in prefixes else None,
                o.team if "budget_team" in prefixes else None,
                o.region_key if prefixes & {"min_regions", "region_loss"} else None,
                # under quotas, only options that take the same quota per unit stand in for each other
                (o.region_key, o.accelerator, o.accelerators_per_unit()) if "quota" in prefixes else None,
                # a fleet's units stand in only for units of the same fleet (its count caps them)
                (o.fleet, o.unit_instances) if "fleet" in prefixes else None,
                # a MIG slice costs its share of a GPU only when others fill the rest: slices stand in
                # only for slices of the same profile in the same pool, and no whole option for them
                (o.pool, o.mig_profile),
                o.serves if o.stream_capacity else None,  # rates per stream line up with the same serves
                o.unit_instances, len(o.stream_capacity),
                bool(o.level_costs_cents))  # billed by the hour under a profile, or committed: no common measure

    def profile(o: Option) -> Profile:
        rates = o.stream_capacity or (o.capacity,)  # per stream under a request-size mix (same serves)
        # work-billed under a mix: a slower stream costs capacity / rate times the fastest's
        work = tuple(o.load_cost_cents * o.capacity / r if r > 0 else math.inf for r in rates) \
            if o.stream_capacity and o.load_cost_cents else (o.load_cost_cents,)
        return (o.count_cost_cents, work, tuple(math.floor(r * CAP_SCALE) for r in rates), o.max_count,
                {s: rtt_bucket(r) for s, r in zip(o.serves, o.serve_rtt_ms, strict=False)}, o.level_costs_cents,
                frozenset(o.failover_serves))  # as the region-loss family reads them

    def dominates(a: Profile, b: Profile) -> bool:
        # the cheap tests first: most front members carry less than b (they come first by cost)
        if a[3] < b[3] or (a[2][0] < b[2][0] if len(a[2]) == 1 else any(x < y for x, y in zip(a[2], b[2],
                                                                                            strict=True))):
            return False
        same_price = a[0] == b[0] and a[1] == b[1] and a[5] == b[5]
        cheaper = same_price if share_caps else (a[0] <= b[0] and all(x <= y for x, y in zip(a[1], b[1], strict=True))
                                                 and all(x <= y for x, y in zip(a[5], b[5], strict=True)))
        if not cheaper:
            return False
        # a serves every location b serves (after a region loss too); at the same price b may still
        # be the nearer region, which the tie-break prefers
        reach = (a[4].keys() >= b[4].keys() if a[4] and b[4] else a[4].keys() == b[4].keys()) and a[6] >= b[6]
        return reach and (not same_price or nearest_later or all(a[4][s] <= b[4][s] for s in b[4]))

    keys = [o.key for o in options]
    fronts: dict[tuple[object, ...], list[Profile]] = {}
    kept = []
    for i in sorted(range(len(options)), key=lambda i: (options[i].count_cost_cents, options[i].load_cost_cents,
                                                        -options[i].capacity, keys[i])):
        o = options[i]
        front = fronts.setdefault(group(o), [])
        mine = profile(o)
        if keys[i] not in keep and any(dominates(f, mine) for f in front):
            continue
        front.append(mine)
        kept.append(i)
    return [options[i] for i in sorted(kept)]  # the candidates' order: cost alone, latency, key
