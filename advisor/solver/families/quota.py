"""`quota:<provider:region:accelerator>`: the plan holds at most the quota's accelerators there.

Cloud GPU quotas cap the accelerators an account may run at once in a region, whatever the
workload or pricing model: the sum over every option of that provider, region and accelerator
of its units x accelerators per unit stays within `policy.quotas`. Under a traffic profile the
peak fleet counts (it runs at the busiest hour); work-billed units count what their load needs.
"""

from __future__ import annotations

from collections import Counter

from advisor.candidates import Option
from advisor.catalog.models import MigGpu
from advisor.mig import whole_gpu
from advisor.packing import fewest_gpus
from advisor.plan import Change
from advisor.solver.families import Context, Family, Placements
from advisor.solver.variables import PlacementModel


def quota_key(o: Option) -> str:
    return f"{o.provider}:{o.region}:{whole_gpu(o.accelerator)}"


def held(placements: Placements, key: str, mig: dict[str, MigGpu]) -> int:
    """Accelerators the placements hold under one quota key: MIG slices as the fewest whole GPUs
    that hold them, pool by pool."""
    whole = sum(p.count * p.option.accelerators_per_unit() for ps in placements.values() for p in ps
                if quota_key(p.option) == key and p.option.mig_profile is None)
    pools: dict[str, Counter[str]] = {}
    for ps in placements.values():
        for p in ps:
            if quota_key(p.option) == key and p.option.pool is not None and p.option.mig_profile is not None:
                pools.setdefault(p.option.pool, Counter())[p.option.mig_profile] += p.count
    gpu = mig.get(key.rsplit(":", 1)[1])
    sliced = sum(k for need in pools.values() if gpu is not None for _, k in fewest_gpus(gpu, dict(need)))
    return whole + sliced


class Quota(Family):
    prefix = "quota"
    setting = "quotas"
    template = "policy: quota of accelerators at {}"

    def names(self, ctx: Context) -> list[str]:
        return [f"{self.prefix}:{key}" for key in sorted(ctx.policy.quotas)]

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        key = name.partition(":")[2]
        terms = [(o.accelerators_per_unit(), mm.n[w, i]) for w in mm.workloads for i, o in enumerate(mm.options[w])
                 if quota_key(o) == key]
        fixed = sum(o.accelerators_per_unit() * units for o, units in mm.rest.units if quota_key(o) == key)
        # MIG slices hold the GPUs of their pool, which count whole
        gpus = [p.gpus for p in mm.pools if p.gpus is not None and p.quota_key == key]
        mm.m.add(sum((k * n for k, n in terms), fixed) + sum(gpus) <= ctx.policy.quotas[key]).only_enforce_if(
            mm.family(name))

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        return [f"{self.prefix}:{key}" for key, limit in sorted(ctx.policy.quotas.items())
                if held(placements, key, ctx.candidates.mig) > limit]

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        key = name.partition(":")[2]
        return Change(document="policy", field=self.setting,
                      value={**ctx.policy.quotas,
                             key: max(ctx.policy.quotas[key], held(placements, key, ctx.candidates.mig))})
