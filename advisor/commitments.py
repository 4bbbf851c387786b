"""Baseline and burst of a workload with a traffic profile: what it commits to and what it rents.

The solver chooses, per workload, committed capacity (reserved 1y or 3y, or bought hardware),
which bills all 730 hours of a month, and hourly capacity that runs only while the load needs
it (advisor.solver.variables). This module states the result the way a procurement review
reads it, from the plan's rows and the catalog:

- each commitment: instances, term, monthly amount and total liability (monthly x term), the
  purchase price of bought hardware, its utilisation under the profile and its break-even
  utilisation against renting on demand;
- the burst: instances at peak, instance-hours a month and what they bill.

Utilisation: committed capacity is filled first, longest term first, so commitment c carries
min(load_l - capacity of longer terms, capacity_c) at each level l of the profile as written
(not the model's merged levels, which round the load up); its utilisation is that load summed
over the month's hours, over its capacity times 730 hours.

Break-even utilisation: the share of hours a committed instance must be busy for it to cost
what the same work would on demand: its monthly cost over 730 hours of on-demand capacity
that carries as much. A reservation is compared with the on-demand price of the same offering
in the same region; bought hardware, which has no on-demand price, with the workload's
cheapest on-demand option per unit of throughput.

Under a request-size mix an instance's throughput is its rate at the workload's mix, the
harmonic mean 1 / sum_b (share_b / rate_b) of its rates per bucket: the requests/s it serves when
its requests come in the mix's proportions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from advisor.candidates import CandidateSet, Option, commitment_months
from advisor.catalog.models import HOURS_PER_MONTH, Catalog
from advisor.demand import Levels, profile_levels
from advisor.plan import Assignment, Burst, Commitment, LevelRun
from advisor.solver import Placement, solve
from advisor.solver.families import couples
from advisor.solver.model import family_names
from advisor.workload.models import Policy, RealtimeInference, Workload
from advisor.workload.profile import levels as written_levels
from advisor.workload.profile import mean_share

CommittedPricing = Literal["capex", "reserved_3y", "reserved_1y"]
COMMITTED: tuple[CommittedPricing, ...] = ("capex", "reserved_3y", "reserved_1y")
"""Pricing models that bill the whole month for a term, longest term first (the fill order)."""


def schedule(w: Workload, p: Placement) -> tuple[list[LevelRun], float | None]:
    """The placement's instances at each load level of the workload's profile, and the
    instance-hours it runs a month; ([], None) without a profile."""
    levels = profile_levels(w)
    if not levels:
        return [], None
    per_unit = p.option.unit_instances
    runs = [LevelRun(load_pct=round(100 * share, 2), hours_per_month=round(hours, 2),
                     instances=p.at_level(level) * per_unit)
            for level, (share, hours) in enumerate(levels)]
    return runs, round(sum(r.instances * hours for r, (_, hours) in zip(runs, levels, strict=True)), 2)


def _profiled(w: Workload) -> bool:
    """Whether the workload declares a traffic profile (a flat one too: its plan still reads as
    commitments and burst, though the model needs no load levels for it)."""
    return isinstance(w, RealtimeInference) and w.traffic.profile is not None


def mean_load_pct(w: Workload) -> float | None:
    if not isinstance(w, RealtimeInference) or not _profiled(w):
        return None
    return round(100 * mean_share(*w.traffic.week()), 2)


def commitments(w: Workload, rows: list[Assignment], catalog: Catalog, options: list[Option]) -> list[Commitment]:
    """The workload's commitments per pricing model and term (module docstring); [] without a profile."""
    if not isinstance(w, RealtimeInference) or not _profiled(w):
        return []
    levels = tuple(written_levels(*w.traffic.week()))  # the load as written: merged levels round it up
    groups: dict[tuple[CommittedPricing, int], list[Assignment]] = {}
    for a in rows:
        for pricing in COMMITTED:
            if a.pricing == pricing:
                groups.setdefault((pricing, _term_months(a, catalog)), []).append(a)
    order = sorted(groups, key=lambda key: (COMMITTED.index(key[0]), -key[1]))
    below = 0.0  # requests/s carried by the longer-term commitments already filled
    out = []
    for pricing, term in order:
        group = groups[pricing, term]
        capacity = sum(a.instances * _rate(w, a, options) for a in group)
        monthly = round(sum(a.monthly_cost_usd for a in group), 2)
        upfront = None
        break_even, against = _break_even(w, group, catalog, options)
        if pricing == "capex":
            upfront = round(sum(a.instances * _purchase_price(a, catalog) for a in group), 2)
        out.append(Commitment(
            pricing=pricing, term_months=term, instances=sum(a.instances for a in group), monthly_usd=monthly,
            total_liability_usd=round(monthly * term, 2), upfront_usd=upfront,
            utilisation_pct=_utilisation(levels, w.traffic.peak_rps, below, capacity),
            break_even_utilisation_pct=break_even, break_even_against=against))
        below += capacity
    return out


def burst(w: Workload, rows: list[Assignment]) -> Burst | None:
    """The hourly-billed capacity of a workload with a profile; None without a profile or burst."""
    hourly = [a for a in rows if a.pricing not in COMMITTED]
    if not _profiled(w) or not hourly:
        return None
    return Burst(peak_instances=sum(a.instances for a in hourly),
                 instance_hours_per_month=round(sum(a.instance_hours_per_month or a.instances * HOURS_PER_MONTH
                                                    for a in hourly), 2),
                 monthly_usd=round(sum(a.monthly_cost_usd for a in hourly), 2))


def _term_months(a: Assignment, catalog: Catalog) -> int:
    return commitment_months(catalog.offerings[f"{a.provider}:{a.instance}"], a.pricing)


def _purchase_price(a: Assignment, catalog: Catalog) -> float:
    purchase = catalog.offerings[f"{a.provider}:{a.instance}"].purchase
    return purchase.unit_price_usd if purchase is not None else 0.0


def _utilisation(levels: Levels, peak_rps: float, below: float, capacity: float) -> float:
    """Average use of `capacity` requests/s filled after `below`, over the month's 730 hours."""
    if capacity <= 0:
        return 0.0
    carried = sum(hours * min(max(0.0, share * peak_rps - below), capacity) for share, hours in levels)
    return round(100 * carried / (capacity * HOURS_PER_MONTH), 1)


def mix_rate(w: RealtimeInference, o: Option) -> float:
    """Requests/s one instance of `o` serves at the workload's request-size mix (module docstring);
    its own throughput without a mix, 0 when it does not serve every size."""
    if not w.traffic.mix:
        return o.sizing.throughput_per_instance
    rates = dict((name, s.throughput_per_instance) for name, s in o.bucket_sizings)
    if any(rates.get(b.name, 0.0) <= 0 for b in w.traffic.mix):
        return 0.0
    return 1 / sum(b.share / rates[b.name] for b in w.traffic.mix)


def _rate(w: RealtimeInference, a: Assignment, options: list[Option]) -> float:
    """An assignment's requests/s per instance at the workload's mix (its estimate without a mix, or
    when no option of its place serves every size)."""
    if not w.traffic.mix:
        return a.estimate.throughput_per_instance
    same = [mix_rate(w, o) for o in options if (o.provider, o.region, o.offering, o.pricing) ==
            (a.provider, a.region, a.instance, a.pricing)]
    return max(same, default=0.0) or a.estimate.throughput_per_instance


def _break_even(w: RealtimeInference, group: list[Assignment], catalog: Catalog,
                options: list[Option]) -> tuple[float | None, str | None]:
    """Break-even utilisation of a commitment against renting on demand (module docstring)."""
    a = max(group, key=lambda row: (row.instances, row.provider, row.region, row.instance))
    per_instance = a.monthly_cost_usd / max(1, a.instances)
    if a.pricing != "capex":
        offering = catalog.offerings.get(f"{a.provider}:{a.instance}")
        prices = [row for row in offering.prices if row.region == a.region] if offering is not None else []
        if not prices:
            return None, None
        on_demand = prices[0].on_demand * HOURS_PER_MONTH
        return round(100 * per_instance / on_demand, 1), f"on-demand {a.provider}:{a.region} {a.instance}"
    rented = [o for o in options if o.pricing == "on_demand" and o.full_reach and mix_rate(w, o) > 0 and o.hourly_usd]
    mine = _rate(w, a, options)
    if not rented or mine <= 0:
        return None, None
    best = min(rented, key=lambda o: ((o.hourly_usd or 0.0) / mix_rate(w, o), o.key))
    per_throughput = (best.hourly_usd or 0.0) * HOURS_PER_MONTH / mix_rate(w, best)
    return (round(100 * per_instance / mine / per_throughput, 1),
            f"on-demand {best.provider}:{best.region} {best.offering}")


def peak_sized_costs(workloads: list[Workload], policy: Policy,
                     build: Callable[[list[Workload], Policy, frozenset[str]], CandidateSet],
                     time_limit_s: float) -> dict[str, tuple[float, float]]:
    """Per workload with a traffic profile: the monthly cost of its cheapest plan sized for its peak
    around the clock, and what following the profile saves against it. Both are the workload's
    own optimum (the policy's rules that tie workloads together left out), so the saving is the
    profile's alone, not a share cap's or a budget's."""
    out = {}
    for w in workloads:
        if not _profiled(w):
            continue
        assert isinstance(w, RealtimeInference)
        flat = w.model_copy(update={"traffic": w.traffic.model_copy(update={"profile": None})})
        costs = [_own_cost(v, policy, build, time_limit_s) for v in (flat, w)]
        if costs[0] is not None and costs[1] is not None:
            out[w.name] = (costs[0], round(costs[0] - costs[1], 2))
    return out


def _own_cost(w: Workload, policy: Policy, build: Callable[[list[Workload], Policy, frozenset[str]], CandidateSet],
              time_limit_s: float) -> float | None:
    """The workload's proven own optimum in dollars a month (None: not proven within the limit)."""
    candidates = build([w], policy, frozenset())
    coupling = frozenset(n for n in family_names(policy, candidates) if couples(n))
    result = solve(candidates, policy, disabled=coupling, time_limit_s=time_limit_s, tie_break=False)
    return round(result.cost_cents / 100, 2) if result.cost_cents is not None and result.status == "optimal" else None
