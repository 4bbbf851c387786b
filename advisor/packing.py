"""Which workload holds which MIG slice of which GPU: the plan's shared GPUs.

The solver buys slices per pool (an instance type in a region at a pricing model) and the fewest
GPUs whose configurations hold them (advisor.solver.variables). This module lays the slices out:
the fewest GPUs of the pool's configurations that hold every slice (a small exact search),
each slice given to a workload in a fixed order, and identical GPUs grouped. The plan states the
layout, and the independent checker re-verifies it against catalog/mig.yaml.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ortools.sat.python import cp_model

from advisor.catalog.models import HOURS_PER_MONTH, Catalog, MigGpu
from advisor.mig import compute_share, configurations, usable_profiles, whole_gpu
from advisor.plan import Assignment, GpuSlice, PlanPricing, SharedGpus

Slot = tuple[str, int]


@dataclass(frozen=True)
class GpuLayout:
    """`count` identical GPUs, each holding `slices`: (profile, start, workload or None when idle)."""

    count: int
    slices: tuple[tuple[str, int, str | None], ...]


def fewest_gpus(gpu: MigGpu, need: dict[str, int]) -> list[tuple[tuple[Slot, ...], int]]:
    """(configuration's slots, GPUs so configured) for the fewest GPUs holding `need` slices of
    each profile; among those, the earliest configurations in catalog order. Raises ValueError
    when no configuration holds a profile needed."""
    profiles = [p.name for p in usable_profiles(gpu)]
    names = [name for name in need if need[name] > 0]
    with_counts = [(c, dict(zip(profiles, c.counts, strict=True))) for c in configurations(gpu)]
    useful = [(c, k) for c, k in with_counts if any(k.get(n, 0) for n in names)]
    if any(all(not k.get(n, 0) for _, k in useful) for n in names):
        raise ValueError(f"no MIG configuration of {gpu.accelerator} holds {', '.join(names)}")
    model = cp_model.CpModel()
    most = sum(need.values())
    y = [model.new_int_var(0, most, f"y{k}") for k in range(len(useful))]
    for name in names:
        model.add(sum(k.get(name, 0) * v for (_, k), v in zip(useful, y, strict=True)) >= need[name])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    model.minimize(sum(y))
    if solver.solve(model) != cp_model.OPTIMAL:
        raise ValueError(f"no packing of {need} on {gpu.accelerator} found")
    gpus = round(solver.objective_value)
    model.add(sum(y) == gpus)
    model.minimize(sum((k + 1) * v for k, v in enumerate(y)))  # the earliest configurations
    solver.solve(model)
    return [(c.slots, solver.value(v)) for (c, _), v in zip(useful, y, strict=True) if solver.value(v)]


def lay_out(gpu: MigGpu, slices: dict[str, dict[str, int]]) -> list[GpuLayout]:
    """The GPUs of one pool holding `slices` (workload -> profile -> slices), grouped: each GPU of
    the fewest takes its configuration's slots in order, and each slot goes to the first workload
    (by name) that still needs that profile; a slot no workload needs stays idle."""
    need: Counter[str] = Counter()
    for profiles in slices.values():
        need.update(profiles)
    left = {w: Counter(profiles) for w, profiles in sorted(slices.items())}
    groups: Counter[tuple[tuple[str, int, str | None], ...]] = Counter()
    order: list[tuple[tuple[str, int, str | None], ...]] = []
    for slots, count in fewest_gpus(gpu, dict(need)):
        for _ in range(count):
            placed = []
            for profile, start in slots:
                holder = next((w for w, c in left.items() if c[profile] > 0), None)
                if holder is not None:
                    left[holder][profile] -= 1
                placed.append((profile, start, holder))
            layout = tuple(placed)
            if layout not in groups:
                order.append(layout)
            groups[layout] += 1
    return [GpuLayout(groups[layout], layout) for layout in order]


def shared_gpus(assignments: list[Assignment], catalog: Catalog) -> list[SharedGpus]:
    """The plan's shared GPUs: per pool of its slice placements, the GPUs laid out and grouped, with
    what they cost and the idle part no slice pays for."""
    pools: dict[tuple[str, str, str, PlanPricing], dict[str, Counter[str]]] = {}
    for a in assignments:
        if a.mig_profile is not None:
            pool = pools.setdefault((a.provider, a.region, a.instance, a.pricing), {})
            pool.setdefault(a.workload, Counter())[a.mig_profile] += a.instances
    out = []
    for (provider, region, instance, pricing), slices in sorted(pools.items()):
        offering = catalog.offerings[f"{provider}:{instance}"]
        gpu = catalog.mig[whole_gpu(offering.accelerator)]
        price = next(p for p in offering.prices if p.region == region).hourly(pricing) or 0.0
        per_gpu = price * HOURS_PER_MONTH / offering.accelerator_count
        for layout in lay_out(gpu, {w: dict(c) for w, c in slices.items()}):
            idle = sum(compute_share(gpu, profile) for profile, _, holder in layout.slices if holder is None)
            idle += 1 - sum(compute_share(gpu, profile) for profile, _, _ in layout.slices)  # unused compute
            idle_monthly = round(layout.count * per_gpu * idle, 2)
            out.append(SharedGpus(
                provider=provider, region=region, instance=instance, pricing=pricing, accelerator=gpu.accelerator,
                count=layout.count, slices=[GpuSlice(profile=p, start=s, workload=h) for p, s, h in layout.slices],
                monthly_cost_usd=round(layout.count * per_gpu, 2),
                idle_monthly_usd=idle_monthly, idle_first_year_usd=round(12 * idle_monthly, 2)))
    return out
