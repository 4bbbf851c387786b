"""Independent plan checker: re-verify every constraint of a plan without the solver.

It recomputes from the inputs and the catalog what a reviewer would check by hand. A workload
may have several placements (integer counts of several offering x region x pricing options);
the checker verifies that each placement is a real offering priced in that region with that
pricing model and obeys the workload's rules; that the placements of a workload carry all of
its demand (load shares, and for real-time services the routing of each user location) with
enough capacity and within the latency objectives of every route; replica bounds, the number
of regions and, when asked for, the survival of any one region's loss (a max-flow over the
remaining placements); costs that add up; budget, per-team budget, provider and vendor shares
and the minimum number of providers. It shares no code with `advisor.solver`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from advisor.candidates import with_catalog_measurements
from advisor.catalog.models import (
    BOUGHT,
    DEFAULT_SPOT_INTERRUPTION_PCT,
    HOURS_PER_MONTH,
    Accelerator,
    Catalog,
    Offering,
    fleet_site,
)
from advisor.estimate import Sizing, Unfit, size
from advisor.mig import slice_accelerator, whole_gpu
from advisor.plan import Assignment, Plan, Route
from advisor.topology import great_circle_km, rtt_ms
from advisor.workload.models import (
    BatchInference,
    EdgeInference,
    Policy,
    RealtimeInference,
    Training,
    Workload,
)

CENT = 0.011  # rounding tolerance in USD
COST_REL_TOL = 1e-4  # plus 0.01% of the cost, per placement
SHARE_TOL_PCT = 0.2  # load shares: per placement; route shares of one location: in total
LATENCY_TOL_MS = 0.1
CAPACITY_REL_TOL = 0.002  # the solver counts traffic in scaled integers
EDGE_SITE = "site"  # region of edge devices: they stand at the workload's own sites


LOCK_IN_KINDS = ("cloud", "gpu-cloud")
"""Provider kinds the lock-in rules count under `lock_in.scope: clouds` (the default)."""


@dataclass(frozen=True)
class Spend:
    """What policy-level checks need to know of one placement."""

    provider: str
    vendor: str
    team: str
    cost_cents: int
    provider_kind: str = "cloud"


def policy_violations(spends: Iterable[Spend], policy: Policy) -> list[str]:
    """Budget, team budget, provider/vendor share and provider-count violations of a set of placements.

    Provider shares are shares of the spend on counted providers, and only counted providers
    count towards min_providers: clouds and GPU clouds, or every provider with `scope: all`.
    """
    spends = list(spends)
    total = sum(s.cost_cents for s in spends)
    counted = [s for s in spends if policy.lock_in.scope == "all" or s.provider_kind in LOCK_IN_KINDS]
    counted_total = sum(s.cost_cents for s in counted)
    found: list[str] = []
    if policy.budget.monthly_usd is not None and total > round(policy.budget.monthly_usd * 100):
        found.append(f"budget_total: total {total / 100:,.2f} exceeds {policy.budget.monthly_usd:,.2f}")
    by_team: dict[str, int] = defaultdict(int)
    by_provider: dict[str, int] = defaultdict(int)
    by_vendor: dict[str, int] = defaultdict(int)
    for s in spends:
        by_team[s.team] += s.cost_cents
        by_vendor[s.vendor] += s.cost_cents
    for s in counted:
        by_provider[s.provider] += s.cost_cents
    for team, cap in policy.budget.per_team_monthly_usd.items():
        if by_team.get(team, 0) > round(cap * 100):
            found.append(f"budget_team:{team}: {by_team[team] / 100:,.2f} exceeds {cap:,.2f}")
    for label, cap_pct, spend, base in (("provider_share", policy.lock_in.max_provider_share_pct, by_provider,
                                         counted_total),
                                        ("vendor_share", policy.lock_in.max_vendor_share_pct, by_vendor, total)):
        if cap_pct is None or base == 0:
            continue
        for name, cents in spend.items():
            if 100 * 100 * cents > round(cap_pct * 100) * base:
                found.append(f"{label}:{name}: {100 * cents / base:.2f}% exceeds {cap_pct:g}%")
    if policy.lock_in.min_providers > 1 and len(by_provider) < policy.lock_in.min_providers:
        found.append(f"min_providers: {len(by_provider)} providers counted, policy needs "
                     f"{policy.lock_in.min_providers}")
    return found


# --- latency -------------------------------------------------------------------------------


CALLERS_IN_REGION_MS = 1.0  # callers in the serving region itself (an estimate, as the planner's)


def _rtt(catalog: Catalog, location: str, provider: str, region: str) -> float | None:
    """Round trip from a user location (a city, or callers in a region written provider:region)
    to a region; None when either has no known location."""
    r = catalog.region(provider, region)
    if r is None:
        return None
    if location == f"{provider}:{region}":
        return CALLERS_IN_REGION_MS
    loc = catalog.locations.get(location) or catalog.regions.get(location)
    if loc is None:
        return None
    return rtt_ms(great_circle_km(loc.lat, loc.lon, r.lat, r.lon))


def _known_location(catalog: Catalog, location: str) -> bool:
    return location in catalog.locations or location in catalog.regions


def _latency_violations(name: str, w: RealtimeInference | EdgeInference, need: Sizing,
                        network: float) -> list[str]:
    """Each objective checked against its figure; an objective without a figure is a violation."""
    slo = w.slo
    checks = (("p95 latency", need.compute_latency_ms, network, slo.p95_latency_ms),
              ("TTFT", need.ttft_ms, network, slo.ttft_ms), ("TPOT", need.tpot_ms, 0.0, slo.tpot_ms))
    bad = []
    for label, compute, added, limit in checks:
        if limit is None:
            continue
        if compute is None:
            bad.append(f"{name}: the SLO bounds {label}, but the plan has no {label} figure to check")
        elif compute + added > limit + LATENCY_TOL_MS:
            bad.append(f"{name}: {label} {compute + added:.0f} ms over the SLO {limit:g} ms")
    return bad


def _serves_within_failover(w: RealtimeInference, need: Sizing, network: float) -> bool:
    """Whether a placement at its operating point answers users `network` ms away within the
    failover objective: `failover_latency_ms` replaces the p95 and TTFT objectives the SLO sets."""
    slo, failover = w.slo, w.constraints.failover_latency_ms
    p95 = failover if failover is not None and slo.p95_latency_ms is not None else slo.p95_latency_ms
    ttft = failover if failover is not None and slo.ttft_ms is not None else slo.ttft_ms
    for compute, added, limit in ((need.compute_latency_ms, network, p95), (need.ttft_ms, network, ttft),
                                  (need.tpot_ms, 0.0, slo.tpot_ms)):
        if limit is None:
            continue
        if compute is None or compute + added > limit + LATENCY_TOL_MS:
            return False
    return True


# --- one placement -------------------------------------------------------------------------

Stream = tuple[str, str | None]
"""A real-time workload's traffic from one user location, of one request-size bucket (None without a mix)."""


def _streams(w: RealtimeInference) -> list[Stream]:
    sizes: list[str | None] = [b.name for b in w.traffic.mix] if w.traffic.mix else [None]
    return [(loc, size) for loc in sorted(w.traffic.users) for size in sizes]


def _of_size(w: Workload, size: str | None) -> Workload:
    """The workload as the performance model sizes one request-size bucket of its mix: that
    bucket's tokens, its share of the peak (or of a run's requests) and its measurements (the
    workload itself without a mix)."""
    if isinstance(w, RealtimeInference):
        section, amount = "traffic", "peak_rps"
    elif isinstance(w, BatchInference):
        section, amount = "volume", "requests_per_run"
    else:
        return w
    part = getattr(w, section)
    bucket = next((b for b in part.mix or [] if b.name == size), None)
    if bucket is None:
        return w
    changed = part.model_copy(update={"mix": None, "input_tokens": bucket.input_tokens,
                                      "output_tokens": bucket.output_tokens,
                                      amount: getattr(part, amount) * bucket.share})
    measured = [m.model_copy(update={"bucket": None}) for m in w.measured if m.bucket == size]
    return w.model_copy(update={section: changed, "measured": measured})


@dataclass
class _Placed:
    """One placement as the checker sees it: what the catalog says and what it was sized to."""

    a: Assignment
    label: str
    offering: Offering | None = None
    acc: Accelerator | None = None
    hourly: float | None = None
    unit_monthly: float | None = None
    sizing: Sizing | None = None  # None: the offering cannot run the workload, or no price/site
    routes: dict[Stream, float] = field(default_factory=dict)  # real-time: (location, size) -> share of its traffic (%)
    sizes: dict[str | None, Sizing] = field(default_factory=dict)  # request-size mix: the sizing of each bucket
    level_routes: list[dict[Stream, float]] = field(default_factory=list)  # mix under a profile: per quieter level
    work_hours: float | None = None  # batch under a mix: instance-hours a month its share of each size takes
    on_demand: float | None = None  # the on-demand price of the same instance and region (spot's fallback)
    spot_rate: float = 0.0  # spot: share of capacity reclaimed while the work runs

    @property
    def region_key(self) -> str:
        return f"{self.a.provider}:{self.a.region}"


def _label(w: Workload, a: Assignment, count: int) -> str:
    return w.name if count == 1 else f"{w.name} placement {a.placement} ({a.provider}:{a.region} {a.instance})"


def _check_offer(w: Workload, p: _Placed, policy: Policy, catalog: Catalog) -> list[str]:
    """Offering, price, site and the workload's placement rules; fills offering, acc and price."""
    a, name = p.a, p.label
    if a.kind != w.kind:
        return [f"{name}: kind {a.kind}, the workload is {w.kind}"]
    bad: list[str] = []
    if a.team != w.team:
        bad.append(f"{name}: team {a.team}, the workload's team is {w.team}")
    offering = catalog.offerings.get(f"{a.provider}:{a.instance}")
    if offering is None:
        return bad + [f"{name}: offering {a.provider}:{a.instance} is not in the catalog"]
    acc = catalog.accelerators[offering.accelerator]
    share = 1.0  # of the instance's price one unit pays: a MIG slice pays its share of the GPU
    if a.mig_profile is not None:
        sliced = _mig_slice(w, a, name, offering, catalog)
        if isinstance(sliced, str):
            return bad + [sliced]
        offering, acc, share = sliced
    if a.accelerator != acc.name:
        bad.append(f"{name}: accelerator {a.accelerator} does not match {offering.name} ({acc.name})")
    if a.accelerator_count != a.instances * offering.accelerator_count:
        bad.append(f"{name}: accelerator_count {a.accelerator_count} != instances x {offering.accelerator_count}")
    if a.instances < 1:
        bad.append(f"{name}: {a.instances} instances; a placement has at least one")
    # price and pricing model
    if a.pricing in BOUGHT:
        if offering.purchase is None:
            return bad + [f"{name}: {offering.name} is not bought hardware"]
        sites = offering.regions or [EDGE_SITE]
        if a.region not in sites:
            return bad + [f"{name}: {offering.name} stands at {', '.join(sites)}, not at {a.region}"]
        bad.extend(_check_fleet(a, name, offering, policy))
        purchase = offering.purchase
        unit: float | None = purchase.running_usd if a.pricing == "owned" else purchase.monthly_usd
        hourly = None
        upfront = a.instances * purchase.unit_price_usd if a.pricing == "capex" else None
        if upfront is None and a.upfront_usd is not None:
            bad.append(f"{name}: owned hardware is already paid for, yet it shows {a.upfront_usd:,.2f} up front")
        if upfront is not None and (a.upfront_usd is None
                                    or abs(a.upfront_usd - upfront) > CENT + COST_REL_TOL * upfront):
            bad.append(f"{name}: a purchase of {a.instances} x {offering.name} shows up front {a.upfront_usd}, the "
                       f"catalog's price gives {upfront:,.2f}")
        months = purchase.lifetime_months if a.pricing == "capex" else None
        if a.amortisation_months != months:
            bad.append(f"{name}: amortised over {a.amortisation_months} months, the catalog says {months}")
        operations = a.instances * purchase.operations_usd if purchase.operations is not None else None
        if (operations is None) != (a.operations_monthly_usd is None) or (
                operations is not None and a.operations_monthly_usd is not None
                and abs(a.operations_monthly_usd - operations) > CENT + COST_REL_TOL * operations):
            bad.append(f"{name}: operating costs {a.operations_monthly_usd} a month, the catalog gives "
                       f"{operations if operations is None else round(operations, 2)}")
    else:
        rows = [row for row in offering.prices if row.region == a.region]
        hourly = rows[0].hourly(a.pricing) if rows else None
        if hourly is None:
            return bad + [f"{name}: {offering.name} has no {a.pricing} price in {a.region}"]
        hourly *= share
        if a.hourly_usd is not None and not math.isclose(a.hourly_usd, hourly, abs_tol=1e-6):
            bad.append(f"{name}: hourly price {a.hourly_usd:g} but the catalog gives {hourly:g}")
        unit = None
        p.on_demand = rows[0].on_demand
        if a.upfront_usd is not None:
            bad.append(f"{name}: {a.pricing} capacity is rented, yet it shows {a.upfront_usd:,.2f} up front")
        if a.pricing == "spot":
            p.spot_rate = _spot_rate(a, policy, catalog)
            if a.spot_interruption_pct is None or abs(a.spot_interruption_pct - 100 * p.spot_rate) > 0.01:
                bad.append(f"{name}: spot interruption {a.spot_interruption_pct}% but the policy and catalog give "
                           f"{100 * p.spot_rate:g}%")
            if a.fallback_hourly_usd is None or not math.isclose(a.fallback_hourly_usd, rows[0].on_demand,
                                                                 abs_tol=1e-6):
                bad.append(f"{name}: spot fallback at {a.fallback_hourly_usd} an hour, but the same instance costs "
                           f"{rows[0].on_demand:g} on demand")
    p.offering, p.acc, p.hourly, p.unit_monthly = offering, acc, hourly, unit
    # residency, provider and pricing rules
    region = catalog.region(a.provider, a.region)
    c = w.constraints
    is_edge = isinstance(w, EdgeInference)
    if is_edge != (acc.kind == "edge"):
        bad.append(f"{name}: {acc.kind} device for a {w.kind} workload")
    if c.jurisdictions is not None and not is_edge and (region is None or region.jurisdiction not in c.jurisdictions):
        bad.append(f"{name}: region {a.region} breaks residency {c.jurisdictions}")
    if c.providers is not None and a.provider not in c.providers:
        bad.append(f"{name}: provider {a.provider} not allowed by the workload")
    if policy.allowed_providers is not None and a.provider not in policy.allowed_providers:
        bad.append(f"{name}: provider {a.provider} not allowed by the policy")
    if c.regions is not None and f"{a.provider}:{a.region}" not in c.regions:
        bad.append(f"{name}: region {a.provider}:{a.region} not allowed")
    if c.accelerators is not None and acc.name not in c.accelerators and whole_gpu(acc.name) not in c.accelerators:
        bad.append(f"{name}: accelerator {acc.name} not allowed")
    if c.portable and not acc.portable:
        bad.append(f"{name}: {acc.name} ({acc.software_stack}) is not portable")
    if a.pricing == "spot" and (not c.spot or isinstance(w, RealtimeInference)):
        bad.append(f"{name}: spot pricing for a workload that does not allow it")
    if c.pricing is not None and a.pricing not in c.pricing:
        bad.append(f"{name}: pricing {a.pricing} not allowed")
    return bad


MIG_PRICING = ("on_demand", "reserved_1y", "reserved_3y")


def _mig_slice(w: Workload, a: Assignment, name: str, offering: Offering,
               catalog: Catalog) -> tuple[Offering, Accelerator, float] | str:
    """A slice placement's offering and accelerator as one slice, and the share of the instance
    it pays (compute slices over the GPU's); or what is wrong with it."""
    gpu = catalog.mig.get(offering.accelerator)
    profile = next((p for p in gpu.profiles if p.name == a.mig_profile), None) if gpu is not None else None
    if gpu is None or profile is None or "+me" in profile.name:
        return f"{name}: {offering.name} ({offering.accelerator}) has no MIG profile {a.mig_profile}"
    if offering.accelerator_count != 1 or a.pricing not in MIG_PRICING:
        return f"{name}: slices are cut from single-GPU instances rented on demand or reserved, not {a.pricing} " \
               f"{offering.name}"
    if not isinstance(w, RealtimeInference) or w.constraints.dedicated:
        return f"{name}: only real-time services that are not dedicated run on shared MIG slices"
    acc = slice_accelerator(catalog.accelerators[offering.accelerator], gpu, profile)
    one = offering.model_copy(update={"accelerator": acc.name, "accelerator_count": 1})
    return one, acc, profile.compute_slices / gpu.compute_slices


def _shared_gpu_violations(plan: Plan, catalog: Catalog) -> list[str]:
    """Each shared GPU's slices against catalog/mig.yaml (placements, overlaps, compute, instance
    limits), its cost, and the slices it gives each workload against that workload's placements."""
    found: list[str] = []
    held: dict[tuple[str, str, str, str, str, str], int] = defaultdict(int)
    for g in plan.shared_gpus:
        label = f"shared {g.instance} ({g.provider} {g.region}, {g.pricing})"
        offering = catalog.offerings.get(f"{g.provider}:{g.instance}")
        gpu = catalog.mig.get(g.accelerator)
        if offering is None or gpu is None or offering.accelerator != g.accelerator or g.count < 1:
            found.append(f"{label}: not a MIG GPU of the catalog")
            continue
        profiles = {p.name: p for p in gpu.profiles}
        used: list[tuple[int, int]] = []
        counts: dict[str, int] = defaultdict(int)
        compute = 0
        paid = 0.0
        for s in g.slices:
            p = profiles.get(s.profile)
            if p is None or s.start not in p.placements:
                found.append(f"{label}: slice {s.profile} cannot start at memory slice {s.start}")
                continue
            span = (s.start, s.start + p.size)
            if any(lo < span[1] and span[0] < hi for lo, hi in used):
                found.append(f"{label}: slice {s.profile} at {s.start} overlaps another slice")
            used.append(span)
            counts[s.profile] += 1
            compute += p.compute_slices
            if s.workload is not None:
                paid += p.compute_slices / gpu.compute_slices
                held[g.provider, g.region, g.instance, g.pricing, s.workload, s.profile] += g.count
        if compute > gpu.compute_slices:
            found.append(f"{label}: slices use {compute} compute slices, the GPU has {gpu.compute_slices}")
        for profile, k in counts.items():
            if k > profiles[profile].max_instances:
                found.append(f"{label}: {k} x {profile}, at most {profiles[profile].max_instances} per GPU")
        rows = [r for r in offering.prices if r.region == g.region]
        hourly = rows[0].hourly(g.pricing) if rows else None
        if hourly is None:
            found.append(f"{label}: no {g.pricing} price in {g.region}")
            continue
        cost = g.count * hourly * HOURS_PER_MONTH / offering.accelerator_count
        if abs(g.monthly_cost_usd - cost) > CENT + COST_REL_TOL * cost:
            found.append(f"{label}: costs {g.monthly_cost_usd} a month, the catalog gives {cost:,.2f}")
        if abs(g.idle_monthly_usd - cost * (1 - paid)) > CENT + COST_REL_TOL * cost:
            found.append(f"{label}: idle part {g.idle_monthly_usd} a month, its free slices give "
                         f"{cost * (1 - paid):,.2f}")
    placed: dict[tuple[str, str, str, str, str, str], int] = defaultdict(int)
    for a in plan.assignments:
        if a.mig_profile is not None:
            placed[a.provider, a.region, a.instance, a.pricing, a.workload, a.mig_profile] += a.instances
    for key in sorted(set(placed) | set(held)):
        if placed[key] != held[key]:
            found.append(f"{key[4]}: {placed[key]} x {key[5]} slices of {key[2]} ({key[0]} {key[1]}) placed, "
                         f"{held[key]} laid out on shared GPUs")
    return found


def _check_fleet(a: Assignment, name: str, offering: Offering, policy: Policy) -> list[str]:
    """Bought hardware at a site with declared fleets comes from one of them, at its pricing; owned
    hardware only from a sunk fleet."""
    site = a.region if offering.regions else None  # edge devices stand at the workload's own sites
    here = [f for f in policy.fleets if f.offering == offering.key and fleet_site(f, offering) == site]
    if not here:
        if a.fleet is not None or a.pricing == "owned":
            return [f"{name}: no fleet of {offering.key} is declared at {a.region}, yet the placement is "
                    f"{a.pricing} from fleet {a.fleet}"]
        return []
    fleet = next((f for f in here if f.name == a.fleet), None)
    if fleet is None:
        return [f"{name}: {offering.key} at {a.region} is held by fleet(s) {', '.join(f.name for f in here)}; "
                f"the placement names {a.fleet}"]
    if fleet.pricing != a.pricing:
        return [f"{name}: fleet {fleet.name} is {fleet.paid}, so its pricing is {fleet.pricing}, not {a.pricing}"]
    return []


def _fleet_violations(assignments: list[Assignment], policy: Policy) -> list[str]:
    """Units placed on each declared fleet against its count."""
    held: dict[str, int] = defaultdict(int)
    for a in assignments:
        if a.fleet is not None:
            held[a.fleet] += a.instances
    return [f"fleet {f.name}: the plan places {held[f.name]} x {f.offering}, the fleet holds {f.count}"
            for f in policy.fleets if held[f.name] > f.count]


def _size(w: Workload, p: _Placed, catalog: Catalog, rtt: float | None) -> list[str]:
    """Size the workload on the placement's offering (alone); fills `sizing`."""
    assert p.offering is not None and p.acc is not None
    try:
        p.sizing = size(with_catalog_measurements(w, catalog), p.offering, p.acc, rtt)
    except Unfit as unfit:
        return [f"{p.label}: {p.offering.name} cannot run it: {unfit.reason}"]
    return []


def _spot_rate(a: Assignment, policy: Policy, catalog: Catalog) -> float:
    """Share of spot capacity reclaimed while work runs: the policy's, the provider's, or the default."""
    pct = policy.spot_interruption_pct
    provider = catalog.providers.get(a.provider)
    if pct is None and provider is not None:
        pct = provider.spot_interruption_pct
    return (DEFAULT_SPOT_INTERRUPTION_PCT if pct is None else pct) / 100


def _expected_cost(w: Workload, p: _Placed) -> float | None:
    """The placement's monthly cost recomputed from the catalog; None when it cannot be priced."""
    a = p.a
    if p.unit_monthly is not None:
        return a.instances * p.unit_monthly
    if p.hourly is None:
        return None
    if a.schedule and not a.pricing.startswith("reserved"):  # under a traffic profile: the hours it runs
        return sum(run.instances * run.hours_per_month for run in a.schedule) * p.hourly
    if a.pricing.startswith("reserved") or isinstance(w, (RealtimeInference, EdgeInference)):
        return a.instances * HOURS_PER_MONTH * p.hourly
    if p.sizing is None:
        return None
    # on-demand and spot batch or training: billed for the work it does, in proportion to its load;
    # spot capacity reclaimed (share p.spot_rate) is replaced by the same instance on demand
    hourly = p.hourly if a.pricing != "spot" else (1 - p.spot_rate) * p.hourly + p.spot_rate * (p.on_demand or 0.0)
    if p.work_hours is not None:  # under a request-size mix: each size's share at its own rate
        return p.work_hours * hourly
    return a.load_share_pct / 100 * p.sizing.instances * p.sizing.busy_hours_per_month * hourly


def _check_cost(w: Workload, p: _Placed) -> list[str]:
    expected = _expected_cost(w, p)
    if expected is None:
        return []
    if abs(expected - p.a.monthly_cost_usd) > CENT + COST_REL_TOL * abs(expected):
        return [f"{p.label}: monthly cost {p.a.monthly_cost_usd:,.2f} but prices give {expected:,.2f}"]
    return []


# --- one workload --------------------------------------------------------------------------


def _check_numbering(w: Workload, placed: list[Assignment]) -> list[str]:
    bad: list[str] = []
    numbers = sorted(a.placement for a in placed)
    if numbers != list(range(1, len(placed) + 1)):
        bad.append(f"{w.name}: placed {len(placed)} times, numbered {numbers}; placements are numbered "
                   f"1..{len(placed)}")
    negative = [a.placement for a in placed if a.load_share_pct < 0]
    if negative:
        bad.append(f"{w.name}: negative load share in placement {negative}")
    total = sum(a.load_share_pct for a in placed)
    if abs(total - 100) > SHARE_TOL_PCT * len(placed):
        bad.append(f"{w.name}: load shares of its {len(placed)} placements add to {total:g}%, not 100%")
    return bad


def _user_load(w: RealtimeInference) -> dict[str, float]:
    """Peak requests/s from each user location: peak_rps split by the (normalised) user shares."""
    users = w.traffic.users
    total = sum(users.values())
    return {loc: w.traffic.peak_rps * share / total for loc, share in users.items()}


def _check_routing(w: RealtimeInference, placed: list[_Placed], catalog: Catalog) -> list[str]:
    """Route shares per location, and the locations named; fills `routes` of each placement.

    Plans made with one placement per workload list no routes: that placement serves every
    user location with all of its traffic. When some placements list routes, one that lists
    none serves no location (a standby)."""
    bad: list[str] = []
    users = w.traffic.users
    sizes = {b.name for b in w.traffic.mix or []}
    legacy = all(not p.a.serves for p in placed) and not sizes
    for p in placed:
        if legacy:
            p.routes = {(loc, None): 100.0 for loc in users}
            continue
        bad.extend(_read_routes(w, p, p.a.serves, p.routes, catalog, ""))
        for run in p.a.schedule[1:] if sizes else []:
            p.level_routes.append({})
            bad.extend(_read_routes(w, p, run.serves, p.level_routes[-1], catalog, f" at {run.load_pct:g}% load"))
        if not sizes and any(run.serves for run in p.a.schedule):
            bad.append(f"{p.label}: lists routes per load level, which only a request-size mix has")
    for loc in sorted(users):
        if not _known_location(catalog, loc):
            bad.append(f"{w.name}: user location {loc} is unknown; its round trip cannot be computed")
    for loc, bucket in _streams(w):
        total = sum(p.routes.get((loc, bucket), 0.0) for p in placed)
        if abs(total - 100) > SHARE_TOL_PCT:
            what = loc if bucket is None else f"{bucket} requests of {loc}"
            bad.append(f"{w.name}: traffic of {what} routed {total:g}%, not 100%")
    return bad


def _read_routes(w: RealtimeInference, p: _Placed, routes: list[Route], into: dict[Stream, float],
                 catalog: Catalog, when: str) -> list[str]:
    """Check the streams a list of routes names (user locations of the workload, request sizes of
    its mix, each once, shares not negative) and record their shares in `into`."""
    bad: list[str] = []
    users = w.traffic.users
    sizes = {b.name for b in w.traffic.mix or []}
    for r in routes:
        what = r.location if r.size is None else f"{r.size} requests of {r.location}"
        if not _known_location(catalog, r.location):
            bad.append(f"{p.label}: user location {r.location} is unknown; its round trip cannot be computed")
        elif r.location not in users:
            bad.append(f"{p.label}: serves {r.location}, which is not a user location of the workload")
        elif (r.size is None) != (not sizes) or (r.size is not None and r.size not in sizes):
            bad.append(f"{p.label}: routes {what}, but the workload's request sizes are "
                       f"{', '.join(sorted(sizes)) or 'not split (no traffic.mix)'}")
        elif (r.location, r.size) in into:
            bad.append(f"{p.label}: routes {what} twice{when}")
        elif r.share_pct < 0:
            bad.append(f"{p.label}: negative share {r.share_pct:g}% of {what}{when}")
        else:
            into[r.location, r.size] = r.share_pct
    return bad


def _check_realtime(w: RealtimeInference, p: _Placed, catalog: Catalog) -> list[str]:
    """Latency of every route and capacity for the traffic routed here, from a sizing at the
    round trip of the farthest location this placement serves (under a request-size mix, one
    sizing per bucket routed here; their loads add as load / rate <= instances)."""
    a = p.a
    if catalog.region(a.provider, a.region) is None:
        return [f"{p.label}: {a.provider}:{a.region} has no known location; the round trip to users "
                f"is unknown, so the latency objective cannot hold"]
    served = {loc for loc, _ in p.routes} | {loc for level in p.level_routes for loc, _ in level}
    rtts = {loc: _rtt(catalog, loc, a.provider, a.region) for loc in served}
    known = {loc: r for loc, r in rtts.items() if r is not None}
    if served:
        farthest = max(known.values(), default=None)
    else:  # a standby is sized as if it served every user location (as one placement does)
        every = [_rtt(catalog, loc, a.provider, a.region) for loc in w.traffic.users]
        farthest = None if any(r is None for r in every) else max(r for r in every if r is not None)
    if farthest is None:
        return [f"{p.label}: the round trip to its users is unknown, so the latency objective cannot hold"]
    if w.traffic.mix:
        return _check_mixed(w, p, catalog, farthest, known)
    bad = _size(w, p, catalog, farthest)
    if p.sizing is None:
        return bad
    for loc in sorted(known):
        bad.extend(_latency_violations(f"{p.label}, users in {loc}", w, p.sizing, known[loc]))
    load = _user_load(w)
    routed = sum(load[loc] * share / 100 for (loc, _), share in p.routes.items() if loc in load)
    capacity = a.instances * p.sizing.throughput_per_instance
    if routed > capacity * (1 + CAPACITY_REL_TOL):
        bad.append(f"{p.label}: {routed:.4g} requests/s routed here, {a.instances} instances carry "
                   f"{capacity:.4g}")
    return bad


def _check_mixed(w: RealtimeInference, p: _Placed, catalog: Catalog, farthest: float,
                 rtts: dict[str, float]) -> list[str]:
    """A placement of a workload with a request-size mix: each bucket routed here sized on its
    own (a standby: the buckets that fit), latency per route, and the instances this placement
    holds busy: the sum over its routes of requests/s / that bucket's rate per instance."""
    assert p.offering is not None and p.acc is not None
    bad: list[str] = []
    routed = {bucket for _, bucket in p.routes} | {bucket for level in p.level_routes for _, bucket in level}
    for b in w.traffic.mix or []:
        try:
            p.sizes[b.name] = size(with_catalog_measurements(_of_size(w, b.name), catalog), p.offering, p.acc,
                                   farthest)
        except Unfit as unfit:
            if b.name in routed:
                bad.append(f"{p.label}: {p.offering.name} cannot serve {b.name} requests: {unfit.reason}")
    if not p.sizes:
        return bad or [f"{p.label}: {p.offering.name} serves no request size of the workload"]
    p.sizing = next(iter(p.sizes.values()))
    levels = [(1.0, p.a.instances, p.routes, "")] + [
        (run.load_pct / 100, run.instances, routes, f" at {run.load_pct:g}% load")
        for run, routes in zip(p.a.schedule[1:], p.level_routes, strict=False)]
    load = _user_load(w)
    bucket_share = {b.name: b.share for b in w.traffic.mix or []}
    for share_of_peak, instances, routes, when in levels:
        busy = 0.0
        for (loc, name), share in sorted(routes.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            sizing = p.sizes.get(name)
            if sizing is None or loc not in rtts or name is None:
                continue
            bad.extend(_latency_violations(f"{p.label}, {name} requests of {loc}{when}", w, sizing, rtts[loc]))
            rps = load[loc] * bucket_share[name] * share_of_peak * share / 100
            busy += rps / sizing.throughput_per_instance
        if busy > instances * (1 + CAPACITY_REL_TOL):
            bad.append(f"{p.label}: the requests routed here{when} keep {busy:.4g} instances busy (requests/s over "
                       f"each size's rate), it runs {instances}")
    return bad


def _check_batch(w: BatchInference, p: _Placed, catalog: Catalog) -> list[str]:
    if w.volume.mix:
        return _check_batch_mix(w, p, catalog)
    bad = _size(w, p, catalog, None)
    if p.sizing is None:
        return bad
    a = p.a
    work = a.load_share_pct / 100 * w.volume.requests_per_run
    capacity = a.instances * p.sizing.throughput_per_instance * 3600 * w.window_hours
    if work > capacity * (1 + CAPACITY_REL_TOL):
        bad.append(f"{p.label}: {work:,.0f} requests per run, {a.instances} instances process {capacity:,.0f} "
                   f"within the {w.window_hours:g} h window")
    return bad


def _check_batch_mix(w: BatchInference, p: _Placed, catalog: Catalog) -> list[str]:
    """A batch job with a request-size mix: each size processed here sized on its own; the work of
    every size's share fits the instances within the window (sum of requests / rate), and the
    instance-hours that work takes a month are what a work-billed placement pays for."""
    assert p.offering is not None and p.acc is not None
    mix = {b.name: b for b in w.volume.mix or []}
    bad: list[str] = []
    seconds = 0.0  # instance-seconds one run of this placement's share takes
    seen: set[str] = set()
    for share in p.a.sizes:
        if share.size not in mix or share.size in seen or share.share_pct < 0:
            bad.append(f"{p.label}: processes {share.share_pct:g}% of size {share.size!r}; the job's sizes are "
                       f"{', '.join(sorted(mix))}, each listed once with a share not below 0")
            continue
        seen.add(share.size)
        try:
            sizing = size(with_catalog_measurements(_of_size(w, share.size), catalog), p.offering, p.acc, None)
        except Unfit as unfit:
            bad.append(f"{p.label}: {p.offering.name} cannot process {share.size} requests: {unfit.reason}")
            continue
        p.sizing = p.sizing or sizing
        p.sizes[share.size] = sizing
        requests = w.volume.requests_per_run * mix[share.size].share * share.share_pct / 100
        seconds += requests / sizing.throughput_per_instance
    if seconds > p.a.instances * w.window_hours * 3600 * (1 + CAPACITY_REL_TOL):
        bad.append(f"{p.label}: its share of each size takes {seconds / 3600:,.4g} instance-hours a run, "
                   f"{p.a.instances} instances have {p.a.instances * w.window_hours:g} within the "
                   f"{w.window_hours:g} h window")
    p.work_hours = seconds / 3600 * w.runs_per_month
    return bad


def _check_sizes_processed(w: BatchInference, placed: list[_Placed]) -> list[str]:
    """Every request size of a batch job's mix is processed in full over its placements."""
    bad = []
    for b in w.volume.mix or []:
        total = sum(s.share_pct for p in placed for s in p.a.sizes if s.size == b.name)
        if abs(total - 100) > SHARE_TOL_PCT:
            bad.append(f"{w.name}: {total:g}% of its {b.name} requests processed, not 100%")
    return bad


def _check_whole_job(w: Training | EdgeInference, p: _Placed, catalog: Catalog) -> list[str]:
    """Training runs and edge sites are never split: each placement has what the whole needs."""
    bad = _size(w, p, catalog, None)
    if p.sizing is None:
        return bad
    a = p.a
    if a.instances < p.sizing.instances:
        bad.append(f"{p.label}: {a.instances} instances, demand needs {p.sizing.instances}")
    mx = w.constraints.max_replicas
    if mx is not None and a.instances > mx:
        bad.append(f"{p.label}: {a.instances} instances over max_replicas {mx}")
    if isinstance(w, EdgeInference):
        bad.extend(_latency_violations(p.label, w, p.sizing, 0.0))
    return bad


def _check_region_loss(w: RealtimeInference, placed: list[_Placed], catalog: Catalog) -> list[str]:
    """For each region the workload uses, the placements elsewhere carry the peak traffic of every
    user location within the failover objective: a max-flow from the locations (their peak load)
    to the placements that can answer them in time (their capacity) must carry all of it."""
    load = _user_load(w)
    total = sum(load.values())
    bad: list[str] = []
    for lost in sorted({p.region_key for p in placed}):
        graph = nx.DiGraph()
        for loc, rps in load.items():
            graph.add_edge("source", ("location", loc), capacity=rps)
        for i, p in enumerate(placed):
            if p.region_key == lost or p.sizing is None:
                continue
            graph.add_edge(("placement", i), "sink", capacity=p.a.instances * p.sizing.throughput_per_instance)
            for loc in load:
                rtt = _rtt(catalog, loc, p.a.provider, p.a.region)
                if rtt is not None and _serves_within_failover(w, p.sizing, rtt):
                    graph.add_edge(("location", loc), ("placement", i))  # no capacity: unbounded
        carried = nx.maximum_flow_value(graph, "source", "sink") if graph.has_node("sink") else 0.0
        if carried < total * (1 - CAPACITY_REL_TOL):
            objective = (f"{w.constraints.failover_latency_ms:g} ms failover objective"
                         if w.constraints.failover_latency_ms is not None else "normal objectives")
            bad.append(f"{w.name}: losing {lost}, the other placements carry {carried:.4g} of the "
                       f"{total:.4g} requests/s peak within the {objective}")
    return bad


def _load_levels(w: RealtimeInference) -> list[tuple[float, float]]:
    """(share of peak, hours a month) of each distinct hourly load of the workload's profile,
    highest first, hours without traffic left out; [] without a profile (or a flat one).
    Recomputed from the written profile: 24 shares a day, 5 weekdays and 2 weekend days a week."""
    if w.traffic.profile is None:
        return []
    weekday, weekend = w.traffic.week()
    hours: dict[float, float] = defaultdict(float)
    for day, days in ((weekday, 5), (weekend, 2)):
        for share in day:
            hours[share] += days * HOURS_PER_MONTH / (7 * 24)
    if len(hours) == 1:
        return []
    return sorted(((share, h) for share, h in hours.items() if share > 0), key=lambda item: -item[0])


def _schedule_levels_bad(w: RealtimeInference, label: str, runs: list[tuple[float, float]]) -> list[str]:
    """A schedule's levels must cover the profile: each hour counted at the lowest listed level
    at or above its load, with the hours of each level adding up."""
    hours: dict[int, float] = defaultdict(float)
    for share, h in _load_levels(w):
        above = [k for k, (level, _) in enumerate(runs) if level >= share - 1e-4]  # load_pct has 2 decimals
        if not above:
            return [f"{label}: no level of its schedule covers the hours at {100 * share:g}% of peak"]
        hours[min(above, key=lambda k: runs[k][0])] += h
    if any(abs(hours.get(k, 0.0) - h) > 0.01 * (1 + len(runs)) for k, (_, h) in enumerate(runs)):
        return [f"{label}: the hours of its schedule's levels do not add up to the profile's"]
    return []


def _check_schedule(w: RealtimeInference, placed: list[_Placed], catalog: Catalog) -> list[str]:
    """Under a traffic profile: every placement lists the profile's load levels with the instances
    it runs at each (at most its peak count; all of them when committed), and at every level the
    running instances carry that level's load of each user location (a max-flow from the
    locations to the placements that may answer them within the objectives)."""
    levels = _load_levels(w)
    bad: list[str] = []
    if not levels:
        for p in placed:
            if p.a.schedule:
                bad.append(f"{p.label}: lists a schedule, but the workload has no traffic profile")
        return bad
    first = [(run.load_pct / 100, run.hours_per_month) for run in placed[0].a.schedule]
    for p in placed:
        runs = [(run.load_pct / 100, run.hours_per_month) for run in p.a.schedule]
        if runs != first or not runs or runs[0][0] < 1 - 1e-6:
            bad.append(f"{p.label}: its schedule's levels differ from the workload's other placements or miss "
                       "the peak")
            return bad
    bad.extend(_schedule_levels_bad(w, w.name, first))
    if bad:
        return bad
    for p in placed:
        committed = p.a.pricing != "on_demand" and p.a.pricing != "spot"
        for run in p.a.schedule:
            if run.instances > p.a.instances or run.instances < 0 or (committed and run.instances != p.a.instances):
                bad.append(f"{p.label}: runs {run.instances} instances at {run.load_pct:g}% load; it holds "
                           f"{p.a.instances}{' (committed: all of them run)' if committed else ''}")
    load = _user_load(w)
    for level, (share, _) in enumerate(first):
        running = sum(p.a.schedule[level].instances for p in placed)
        if running < w.constraints.min_replicas:
            bad.append(f"{w.name}: {running} instances run at {100 * share:g}% of peak, under min_replicas "
                       f"{w.constraints.min_replicas}")
        if w.traffic.mix:  # the plan states its routing at each level: each stream routed in full
            if level:
                bad.extend(_level_coverage(w, placed, level, share))
            continue
        graph = nx.DiGraph()
        for loc, rps in load.items():
            graph.add_edge("source", ("location", loc), capacity=rps * share)
        for i, p in enumerate(placed):
            if p.sizing is None:
                continue
            graph.add_edge(("placement", i), "sink",
                           capacity=p.a.schedule[level].instances * p.sizing.throughput_per_instance)
            for loc in load:
                rtt = _rtt(catalog, loc, p.a.provider, p.a.region)
                if (loc, None) in p.routes or (rtt is not None and not _latency_violations("", w, p.sizing, rtt)):
                    graph.add_edge(("location", loc), ("placement", i))
        need = sum(load.values()) * share
        carried = nx.maximum_flow_value(graph, "source", "sink") if graph.has_node("sink") else 0.0
        if carried < need * (1 - CAPACITY_REL_TOL) - 1e-9:
            bad.append(f"{w.name}: at {100 * share:g}% of peak the running instances carry {carried:.4g} of "
                       f"{need:.4g} requests/s")
    return bad


def _level_coverage(w: RealtimeInference, placed: list[_Placed], level: int, share: float) -> list[str]:
    """Under a request-size mix, every stream is routed in full at a quieter level (the capacity
    and latency of each route are checked per placement, in _check_mixed)."""
    bad = []
    for loc, bucket in _streams(w):
        total = sum(p.level_routes[level - 1].get((loc, bucket), 0.0) for p in placed
                    if len(p.level_routes) >= level)
        if abs(total - 100) > SHARE_TOL_PCT:
            bad.append(f"{w.name}: at {100 * share:g}% of peak, {bucket} requests of {loc} routed {total:g}%, "
                       "not 100%")
    return bad


def _check_workload(w: Workload, assignments: list[Assignment], policy: Policy, catalog: Catalog) -> list[str]:
    """Every placement of one workload, and what holds over all of them."""
    if not assignments:
        return [f"{w.name}: not placed"]
    bad = _check_numbering(w, assignments)
    placed = [_Placed(a, _label(w, a, len(assignments))) for a in sorted(assignments, key=lambda a: a.placement)]
    if isinstance(w, RealtimeInference):
        bad.extend(_check_routing(w, placed, catalog))
    if isinstance(w, EdgeInference) and len(placed) != 1:
        bad.append(f"{w.name}: edge devices are bought for every site at once; {len(placed)} placements, "
                   f"expected exactly one")
    for p in placed:
        offer = _check_offer(w, p, policy, catalog)
        bad.extend(offer)
        if p.offering is None:
            continue
        if isinstance(w, RealtimeInference):
            bad.extend(_check_realtime(w, p, catalog))
        elif isinstance(w, BatchInference):
            bad.extend(_check_batch(w, p, catalog))
        else:
            bad.extend(_check_whole_job(w, p, catalog))
        bad.extend(_check_cost(w, p))
    c = w.constraints
    if isinstance(w, (RealtimeInference, BatchInference)):
        instances = sum(a.instances for a in assignments)
        if c.max_replicas is not None and instances > c.max_replicas:
            bad.append(f"{w.name}: {instances} instances over max_replicas {c.max_replicas}")
        if instances < c.min_replicas:
            bad.append(f"{w.name}: {instances} instances under min_replicas {c.min_replicas}")
    regions = {p.region_key for p in placed}
    if c.min_regions is not None and len(regions) < c.min_regions:
        bad.append(f"{w.name}: placed in {len(regions)} region(s), min_regions is {c.min_regions}")
    if isinstance(w, BatchInference) and w.volume.mix:
        bad.extend(_check_sizes_processed(w, placed))
    elif any(a.sizes for a in assignments):
        bad.append(f"{w.name}: lists shares per request size; only a batch job with volume.mix has them")
    if isinstance(w, RealtimeInference) and c.survive_region_loss:
        bad.extend(_check_region_loss(w, placed, catalog))
    if isinstance(w, RealtimeInference):
        bad.extend(_check_schedule(w, placed, catalog))
    elif any(a.schedule for a in assignments):
        bad.append(f"{w.name}: lists a schedule; only real-time workloads with a traffic profile have one")
    return bad


def _check_assignment(w: Workload, a: Assignment, policy: Policy, catalog: Catalog) -> list[str]:
    """Check one assignment as the only placement of its workload."""
    return _check_workload(w, [a], policy, catalog)


def _check_summaries(plan: Plan, by_name: dict[str, Workload]) -> list[str]:
    """The per-workload summary, when the plan has one, agrees with its placements."""
    if not plan.workloads:
        return []
    bad: list[str] = []
    placed: dict[str, list[Assignment]] = defaultdict(list)
    for a in plan.assignments:
        placed[a.workload].append(a)
    seen: set[str] = set()
    for s in plan.workloads:
        if s.workload not in by_name:
            bad.append(f"{s.workload}: summarised, but not a workload of the inputs")
            continue
        if s.workload in seen:
            bad.append(f"{s.workload}: summarised twice")
        seen.add(s.workload)
        mine = placed[s.workload]
        if s.placements != len(mine):
            bad.append(f"{s.workload}: summary counts {s.placements} placements, the plan has {len(mine)}")
        regions = {f"{a.provider}:{a.region}" for a in mine}
        if set(s.regions) != regions:
            bad.append(f"{s.workload}: summary lists regions {sorted(s.regions)}, placements use {sorted(regions)}")
        cost = sum(a.monthly_cost_usd for a in mine)
        if abs(cost - s.monthly_cost_usd) > 2 * CENT * max(1, len(mine)):
            bad.append(f"{s.workload}: summary cost {s.monthly_cost_usd:,.2f}, placements add to {cost:,.2f}")
        shares: dict[str, float] = defaultdict(float)
        for r in s.routing:
            what = r.location if r.size is None else f"{r.size} requests of {r.location}"
            shares[what] += r.share_pct
            if f"{r.provider}:{r.region}" not in regions:
                bad.append(f"{s.workload}: routes {what} to {r.provider}:{r.region}, where it has no placement")
        for what, total in sorted(shares.items()):
            if abs(total - 100) > SHARE_TOL_PCT:
                bad.append(f"{s.workload}: summary routes {total:g}% of {what}, not 100%")
    for name in by_name:
        if name not in seen:
            bad.append(f"{name}: missing from the plan's workload summary")
    return bad


def verify(plan: Plan, workloads: list[Workload], policy: Policy, catalog: Catalog) -> list[str]:
    """Every violation found in `plan`; an empty list means the plan holds."""
    if plan.status in ("infeasible", "timeout"):
        return [] if not plan.assignments else [f"a plan with status {plan.status} must not carry assignments"]
    policy = policy.with_catalog(catalog)
    found: list[str] = []
    by_name = {w.name: w for w in workloads}
    placed: dict[str, list[Assignment]] = defaultdict(list)
    for a in plan.assignments:
        if a.workload not in by_name:
            found.append(f"{a.workload}: not a workload of the inputs")
            continue
        placed[a.workload].append(a)
    for w in workloads:
        found.extend(_check_workload(w, placed[w.name], policy, catalog))
    found.extend(_check_summaries(plan, by_name))
    total = sum(a.monthly_cost_usd for a in plan.assignments) + sum(g.idle_monthly_usd for g in plan.shared_gpus)
    tolerance = 2 * CENT * max(1, len(plan.assignments) + len(plan.shared_gpus))
    if plan.total_monthly_cost_usd is None or abs(total - plan.total_monthly_cost_usd) > tolerance:
        found.append(f"total {plan.total_monthly_cost_usd} != sum of assignments {total:,.2f}")
    spends = [Spend(a.provider, catalog.accelerators[whole_gpu(a.accelerator)].vendor, a.team,
                    round(a.monthly_cost_usd * 100),
                    catalog.providers[a.provider].kind if a.provider in catalog.providers else "cloud")
              for a in plan.assignments if whole_gpu(a.accelerator) in catalog.accelerators]
    # the idle part of shared GPUs: the provider's and vendor's spend, no team's
    spends += [Spend(g.provider, catalog.accelerators[g.accelerator].vendor, "", round(g.idle_monthly_usd * 100),
                     catalog.providers[g.provider].kind if g.provider in catalog.providers else "cloud")
               for g in plan.shared_gpus if g.accelerator in catalog.accelerators]
    found.extend(policy_violations(spends, policy))
    found.extend(_commitment_violations(plan.assignments, policy, catalog))
    found.extend(_quota_violations(plan, policy))
    found.extend(_fleet_violations(plan.assignments, policy))
    found.extend(_shared_gpu_violations(plan, catalog))
    found.extend(_year_violations(plan, by_name))
    return found


def _year_violations(plan: Plan, by_name: dict[str, Workload]) -> list[str]:
    """Each row's year against its month: 12 months, or one for work that runs once; its first
    year with bought hardware at its purchase price instead of its amortisation; the totals."""
    bad: list[str] = []
    annual_total = first_total = 0.0
    placements = Counter(a.workload for a in plan.assignments)
    for a in plan.assignments:
        w = by_name.get(a.workload)
        once = isinstance(w, (Training, BatchInference)) and w.once
        months = 1 if once else 12
        annual = months * a.monthly_cost_usd
        first = annual
        if a.upfront_usd is not None and a.amortisation_months:
            first = a.upfront_usd + months * (a.monthly_cost_usd - a.upfront_usd / a.amortisation_months)
        name = _label(w, a, placements[a.workload]) if w is not None else a.workload
        if once != a.once:
            bad.append(f"{name}: marked once={a.once}, but the workload {'runs once' if once else 'recurs'}")
        if abs(a.annual_cost_usd - annual) > months * CENT:
            bad.append(f"{name}: annual cost {a.annual_cost_usd:,.2f}, {months} months of it is {annual:,.2f}")
        if a.first_year_usd is not None and abs(a.first_year_usd - first) > 2 * months * CENT:
            bad.append(f"{name}: first year {a.first_year_usd:,.2f}, expected {first:,.2f}")
        annual_total += a.annual_cost_usd
        first_total += a.first_year_usd if a.first_year_usd is not None else annual
    idle = sum(g.idle_monthly_usd for g in plan.shared_gpus)
    annual_total += 12 * idle
    first_total += 12 * idle
    tolerance = 12 * CENT * max(1, len(plan.assignments) + len(plan.shared_gpus))  # a cent a month, a year
    if plan.total_annual_cost_usd is not None and abs(plan.total_annual_cost_usd - annual_total) > tolerance:
        bad.append(f"annual total {plan.total_annual_cost_usd:,.2f} != sum of rows {annual_total:,.2f}")
    summary = plan.summary
    if summary is not None and summary.first_year_usd is not None \
            and abs(summary.first_year_usd - first_total) > tolerance:
        bad.append(f"first-year total {summary.first_year_usd:,.2f} != sum of rows {first_total:,.2f}")
    return bad


def _quota_violations(plan: Plan, policy: Policy) -> list[str]:
    """Accelerators held per provider, region and accelerator against policy.quotas (the shared
    GPUs that MIG slices are cut from count whole)."""
    held: dict[str, int] = defaultdict(int)
    for a in plan.assignments:
        if a.mig_profile is None:
            held[f"{a.provider}:{a.region}:{a.accelerator}"] += a.accelerator_count
    for g in plan.shared_gpus:
        held[f"{g.provider}:{g.region}:{g.accelerator}"] += g.count
    return [f"quota {key}: the plan holds {held[key]} accelerators, the quota is {limit}"
            for key, limit in sorted(policy.quotas.items()) if held[key] > limit]


def _commitment_violations(assignments: list[Assignment], policy: Policy, catalog: Catalog) -> list[str]:
    """Reserved and bought capacity against budget.max_commitment_usd (monthly x term, summed) and
    budget.max_commitment_term_months; terms from the catalog: 12 or 36 months for reservations,
    the purchase's lifetime for bought hardware."""
    cap, longest = policy.budget.max_commitment_usd, policy.budget.max_commitment_term_months
    if cap is None and longest is None:
        return []
    found: list[str] = []
    liability = 0.0
    for a in assignments:
        offering = catalog.offerings.get(f"{a.provider}:{a.instance}")
        if a.pricing == "capex":
            months = offering.purchase.lifetime_months if offering is not None and offering.purchase else 0
        elif a.pricing == "owned":  # already paid for: no new commitment
            months = 0
        else:
            months = {"reserved_1y": 12, "reserved_3y": 36}.get(a.pricing, 0)
        liability += a.monthly_cost_usd * months
        if longest is not None and months > longest:
            found.append(f"{a.workload} placement {a.placement}: {a.pricing} commits for {months} months, over "
                         f"max_commitment_term_months {longest}")
    if cap is not None and liability > cap + CENT * max(1, len(assignments)) * 36:
        found.append(f"commitments total {liability:,.2f} (monthly x term), over max_commitment_usd {cap:,.2f}")
    return found
