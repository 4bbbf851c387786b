"""Plan rows from the solver's placements: one Assignment per placement, one WorkloadPlan per workload.

Money is rounded to cents per placement here, once; the plan's totals are sums of these rows,
so every figure a reviewer adds up by hand matches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from advisor.candidates import Option, RuledOut
from advisor.catalog.models import BOUGHT, Catalog, Purchase
from advisor.commitments import burst, commitments, mean_load_pct, schedule
from advisor.demand import bucket_of, level_demand, location_of, profile_levels
from advisor.estimate import Sizing
from advisor.estimate.bands import band_of
from advisor.mig import whole_gpu
from advisor.plan import (
    Assignment,
    EstimateSummary,
    Route,
    Share,
    SharedGpus,
    SizeShare,
    WorkloadPlan,
    WorkloadRoute,
)
from advisor.rightsizing import right_sizing
from advisor.solver import Placement
from advisor.topology import Topology
from advisor.workload.models import BatchInference, EdgeInference, RealtimeInference, Training, Workload


def _estimate(s: Sizing, w: Workload, accelerator: str) -> EstimateSummary:
    band = band_of(w, s.basis, accelerator)
    return EstimateSummary(
        band_pct=band.pct if band else None, band=band.text if band else None,
        basis=s.basis, basis_source=s.basis_source, devices_per_replica=s.devices_per_replica, batch=s.batch,
        throughput_per_instance=round(s.throughput_per_instance, 3), throughput_unit=s.throughput_unit,
        tokens_per_s_per_replica=round(s.tokens_per_s_per_replica, 1) if s.tokens_per_s_per_replica else None,
        compute_latency_ms=round(s.compute_latency_ms, 2) if s.compute_latency_ms is not None else None,
        ttft_ms=round(s.ttft_ms, 2) if s.ttft_ms is not None else None,
        tpot_ms=round(s.tpot_ms, 3) if s.tpot_ms is not None else None,
        memory_per_device_gb=round(s.memory_per_device_gb, 2),
        busy_hours_per_month=round(s.busy_hours_per_month, 2),
        job_hours=round(s.job_hours, 2) if s.job_hours is not None else None,
        power_w_per_site=s.power_w_per_site, mfu=s.mfu, layout=s.layout,
        utilisation_pct=round(100 * s.utilisation, 1) if s.utilisation is not None else None,
        queue_wait_ms=round(s.queue_wait_ms, 2) if s.queue_wait_ms is not None else None,
    )


def _routes(w: RealtimeInference, p: Placement, topology: Topology, load: dict[str, int] | None = None,
            demand: dict[str, int] | None = None) -> list[Route]:
    """The streams routed to a placement: per user location (and request size, under a mix) its
    share, round trip and latency; at the peak, or with `load` and `demand` at a quieter level."""
    load, demand = (p.load, p.demand) if load is None or demand is None else (load, demand)
    routes = []
    for name in sorted(load):
        location, size = location_of(name), bucket_of(name)
        s = p.option.sizing_of(size)
        rtt = topology.rtt(location, p.option.region_key)
        share = load[name] / demand[name] if demand.get(name) else 0.0
        routes.append(Route(
            location=location, size=size, share_pct=round(100 * share, 3),
            network_rtt_ms=round(rtt, 1),
            latency_ms=round(s.compute_latency_ms + rtt, 1) if s.compute_latency_ms is not None else None,
            ttft_ms=round(s.ttft_ms + rtt, 1) if s.ttft_ms is not None else None,
            throughput_per_instance=round(s.throughput_per_instance, 3) if size is not None else None))
    return routes


def _sizes(p: Placement) -> list[SizeShare]:
    """A batch job's request sizes processed by a placement (under a mix), with each one's share."""
    if not p.option.bucket_sizings:
        return []
    out = []
    for name in sorted(p.load):
        size = bucket_of(name)
        if size is not None:
            out.append(SizeShare(size=size, share_pct=round(100 * p.stream_share(name), 3),
                                 throughput_per_instance=round(p.option.sizing_of(size).throughput_per_instance, 3)))
    return out


def _carbon(o: Option, p: Placement) -> float | None:
    """The option's carbon alone, scaled to this placement: by work for hourly-billed work, else by instances."""
    if o.carbon_kg_per_month is None:
        return None
    scale = p.share if o.load_cost_cents > 0 else p.instances / max(1, o.instances)
    return round(o.carbon_kg_per_month * scale, 1)


def _main_sizing(p: Placement) -> Sizing:
    """The sizing a placement is reported with: under a request-size mix, that of the size it
    carries most of (its first served size when it carries none)."""
    o = p.option
    if not o.bucket_sizings:
        return o.sizing
    by_size: dict[str | None, int] = defaultdict(int)
    for name, units in p.load.items():
        by_size[bucket_of(name)] += units
    main = max(sorted(by_size, key=str), key=by_size.__getitem__, default=o.bucket_sizings[0][0])
    return o.sizing_of(main)


def _bought(o: Option, catalog: Catalog | None) -> Purchase | None:
    """The purchase record of a bought or owned placement's offering; None for rented capacity."""
    offering = catalog.offerings.get(f"{o.provider}:{o.offering}") if catalog is not None else None
    return offering.purchase if o.pricing in BOUGHT and offering is not None else None


def _purchase(o: Option, catalog: Catalog | None) -> tuple[float | None, int | None]:
    """(unit price, amortisation months) of hardware bought for the plan; (None, None) otherwise."""
    purchase = _bought(o, catalog)
    if o.pricing != "capex" or purchase is None:
        return None, None
    return purchase.unit_price_usd, purchase.lifetime_months


def _operations(o: Option, p: Placement, catalog: Catalog | None) -> float | None:
    """The facility, network and staff part of a bought placement's month (None: rented, or no figure)."""
    purchase = _bought(o, catalog)
    if purchase is None or purchase.operations is None:
        return None
    return round(p.instances * purchase.operations_usd, 2)


def assignment(w: Workload, p: Placement, index: int, topology: Topology,
               catalog: Catalog | None = None) -> Assignment:
    o, s = p.option, _main_sizing(p)
    slo = w.slo if isinstance(w, (RealtimeInference, EdgeInference)) else None
    routes = _routes(w, p, topology) if isinstance(w, RealtimeInference) else []
    per_instance = o.accelerator_count // max(1, o.instances)
    cents = round(p.cost_cents)
    latency = max((r.latency_ms for r in routes if r.latency_ms is not None), default=None) if routes \
        else (o.latency_ms if slo is not None else None)
    ttft = max((r.ttft_ms for r in routes if r.ttft_ms is not None), default=None) if routes else (
        round(s.ttft_ms + (o.network_rtt_ms or 0.0), 1) if s.ttft_ms is not None else None)
    rtt = max((r.network_rtt_ms for r in routes), default=None) if routes else o.network_rtt_ms
    runs, instance_hours = schedule(w, p)
    unit_price, amortisation = _purchase(o, catalog)
    if p.level_loads and isinstance(w, RealtimeInference):  # a mix under a profile: the routing at each level
        levels = profile_levels(w)
        runs = [run if k == 0 else run.model_copy(update={"serves": _routes(
            w, p, topology, p.level_loads[k - 1], level_demand(p.demand, levels[k][0]))})
            for k, run in enumerate(runs)]
    months = months_a_year(w)
    upfront = round(p.instances * unit_price, 2) if unit_price is not None else None
    r = o.spot_interruption
    fallback = None
    if r is not None and o.hourly_usd is not None and o.fallback_hourly_usd is not None:
        blended = (1 - r) * o.hourly_usd + r * o.fallback_hourly_usd
        fallback = round(cents / 100 * r * o.fallback_hourly_usd / blended, 2) if blended else 0.0
    return Assignment(
        workload=w.name, kind=w.kind, team=w.team, provider=o.provider, region=o.region,
        jurisdiction=o.jurisdiction, instance=o.offering, instances=p.instances, accelerator=o.accelerator,
        accelerator_count=p.instances * per_instance, pricing=o.pricing, hourly_usd=o.hourly_usd,
        monthly_cost_usd=round(cents / 100, 2), annual_cost_usd=round(months * cents / 100, 2),
        latency_ms=latency if slo is not None else None,
        slo_p95_latency_ms=slo.p95_latency_ms if slo else None,
        slo_ttft_ms=slo.ttft_ms if slo else None, slo_tpot_ms=slo.tpot_ms if slo else None,
        ttft_ms=ttft, tpot_ms=round(s.tpot_ms, 2) if s.tpot_ms is not None else None,
        network_rtt_ms=rtt, carbon_kg_per_month=_carbon(o, p), estimate=_estimate(s, w, o.accelerator),
        price_source=o.price_source, price_as_of=o.price_as_of, price_is_estimate=o.price_estimate,
        placement=index, load_share_pct=round(100 * p.share, 1), serves=routes,
        sizes=_sizes(p) if isinstance(w, BatchInference) else [],
        schedule=runs, instance_hours_per_month=instance_hours,
        spot_interruption_pct=None if r is None else round(100 * r, 2), fallback_hourly_usd=o.fallback_hourly_usd,
        fallback_monthly_usd=fallback,
        upfront_usd=upfront, amortisation_months=amortisation, fleet=o.fleet,
        operations_monthly_usd=_operations(o, p, catalog), mig_profile=o.mig_profile,
        first_year_usd=first_year(cents, months, upfront, amortisation), once=months == 1,
    )


def carbon_of(rows: list[Assignment]) -> float | None:
    """The rows' emissions a month together; None when a row has no grid figure (a partial sum would mislead)."""
    carbon = [a.carbon_kg_per_month for a in rows]
    return None if None in carbon else round(sum(c for c in carbon if c is not None), 1)


def months_a_year(w: Workload) -> int:
    """Months of a year a workload is billed: 12, or one for work that runs once."""
    return 1 if isinstance(w, (Training, BatchInference)) and w.once else 12


def first_year(cents: int, months: int, upfront: float | None, amortisation: int | None) -> float:
    """What a placement costs in its first year: bought hardware at its purchase price (paid up
    front) plus its running costs, rented capacity as billed (a reservation's first 12 months)."""
    if upfront is None or not amortisation:
        return round(months * cents / 100, 2)
    return (round(upfront * 100) + months * (cents - amortised_cents(upfront, amortisation))) / 100


def amortised_cents(upfront: float, months: int) -> int:
    """A purchase's share of one month, in whole cents (the bill of materials' purchase line)."""
    return round(round(upfront * 100) / months)


def workload_plan(w: Workload, rows: list[Assignment], catalog: Catalog, options: list[Option],
                  peak_sized: tuple[float, float] | None = None,
                  ruled_out: list[RuledOut] | None = None) -> WorkloadPlan:
    """A workload's total and routing (per user location and region, the share and the worst
    latency), and under a traffic profile its commitments and burst (advisor.commitments)."""
    routing: dict[tuple[str, str, str, str], list[Route]] = defaultdict(list)
    for a in rows:
        for r in a.serves:
            routing[r.location, r.size or "", a.provider, a.region].append(r)
    routes = [WorkloadRoute(location=loc, provider=provider, region=region, size=size or None,
                            share_pct=round(sum(r.share_pct for r in rs), 1),
                            latency_ms=max((r.latency_ms for r in rs if r.latency_ms is not None), default=None),
                            ttft_ms=max((r.ttft_ms for r in rs if r.ttft_ms is not None), default=None))
              for (loc, size, provider, region), rs in sorted(routing.items())]
    c = w.constraints
    return WorkloadPlan(
        workload=w.name, kind=w.kind, team=w.team, monthly_cost_usd=round(sum(a.monthly_cost_usd for a in rows), 2),
        first_year_usd=round(sum(a.first_year_usd or 0.0 for a in rows), 2),
        carbon_kg_per_month=carbon_of(rows),
        placements=len(rows), regions=sorted({f"{a.provider}:{a.region}" for a in rows}), routing=routes,
        min_regions=c.min_regions, survive_region_loss=c.survive_region_loss, mean_load_pct=mean_load_pct(w),
        commitments=commitments(w, rows, catalog, options), burst=burst(w, rows),
        spot_share_pct=_spot_share(w, rows),
        peak_sized_monthly_usd=peak_sized[0] if peak_sized else None,
        profile_saving_monthly_usd=peak_sized[1] if peak_sized else None,
        right_sizing=right_sizing(w, rows, ruled_out or [], catalog))


def _spot_share(w: Workload, rows: list[Assignment]) -> float | None:
    """Share of an interruptible workload's work on spot; None when it does not allow spot."""
    if isinstance(w, RealtimeInference) or not w.constraints.spot:
        return None
    return round(sum(a.load_share_pct for a in rows if a.pricing == "spot"), 1)


def shares(rows: list[Assignment], attribute: str, vendors: dict[str, str] | None = None,
           shared: Sequence[SharedGpus] = ()) -> list[Share]:
    """Spend by provider (attribute 'provider') or accelerator vendor (with the accelerator -> vendor
    map), the idle part of shared GPUs included."""
    spend: dict[str, float] = defaultdict(float)
    for a in rows:
        key = vendors[whole_gpu(a.accelerator)] if vendors is not None else getattr(a, attribute)
        spend[key] += a.monthly_cost_usd
    for g in shared:
        spend[vendors[g.accelerator] if vendors is not None else getattr(g, attribute)] += g.idle_monthly_usd
    return shares_of(spend)


def shares_of(spend: dict[str, float]) -> list[Share]:
    """Monthly spend by name as shares of their total, largest first."""
    total = sum(spend.values())
    return [Share(name=k, monthly_cost_usd=round(v, 2), share_pct=round(100 * v / total, 2) if total else 0.0)
            for k, v in sorted(spend.items(), key=lambda kv: (-kv[1], kv[0]))]
