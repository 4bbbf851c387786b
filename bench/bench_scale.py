"""Benchmark: plan N synthetic workloads against the shipped catalog and print where time goes.

Usage: python bench/bench_scale.py [N ...]   (default: 10 50 200)

The peer is the spreadsheet method: the cheapest feasible option per workload, ignoring
fleet-wide policy. The ratio shows what the solver costs in time and what it saves (or has to
spend) to satisfy the policy.
"""

from __future__ import annotations

import random
import resource
import sys
import time

from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.solver import solve
from advisor.topology import Topology
from advisor.verify import Spend, policy_violations
from advisor.workload.models import WORKLOAD_MODELS, Policy

LOCATIONS = ["us-east", "us-west", "eu-central", "eu-west", "asia-east", "asia-southeast"]


def synthetic(n: int, seed: int = 7):
    rng = random.Random(seed)
    fleet = []
    for i in range(n):
        kind = rng.choice(["training", "batch-inference", "realtime-inference", "realtime-inference"])
        params = rng.choice([1, 3, 8, 13, 70])
        base = {"name": f"w{i:05d}", "kind": kind, "team": rng.choice(["a", "b", "c"]),
                "model": {"name": f"m{params}", "params_b": params, "precision": rng.choice(["bf16", "fp8"])}}
        if kind == "training":
            base |= {"tokens_b": rng.choice([1, 5, 20]), "deadline_days": rng.choice([2, 7, 14]),
                     "constraints": {"spot": rng.random() < 0.5}}
        elif kind == "batch-inference":
            base |= {"volume": {"requests_per_run": rng.randint(1_000, 500_000), "input_tokens": 1000,
                                "output_tokens": 200}, "window_hours": rng.choice([4, 8, 12])}
        else:
            users = rng.sample(LOCATIONS, 2)
            base |= {"traffic": {"peak_rps": rng.choice([1, 5, 20]), "input_tokens": 800, "output_tokens": 200,
                                 "users": {users[0]: 0.5, users[1]: 0.5}},
                     "slo": {"p95_latency_ms": rng.choice([8000, 15000, 30000])},
                     "constraints": {"jurisdictions": rng.choice([["us"], ["eu"], ["us", "eu"], None])}}
        fleet.append(WORKLOAD_MODELS[kind].model_validate(base))
    return fleet


def run(n: int, catalog, topology) -> None:
    policy = Policy.model_validate({"kind": "policy", "lock_in": {"max_provider_share_pct": 50, "min_providers": 2}})
    fleet = synthetic(n)
    t0 = time.perf_counter()
    candidates = build_candidates(fleet, policy, catalog, topology)
    t1 = time.perf_counter()
    result = solve(candidates, policy, time_limit_s=120, workers=2)
    t2 = time.perf_counter()
    options = sum(len(v) for v in candidates.options.values())
    greedy = [candidates.options[w.name][0] for w in fleet if candidates.options[w.name]]
    greedy_cost = sum(o.monthly_cost_cents for o in greedy)
    greedy_ok = not policy_violations([Spend(o.provider, o.vendor, o.team, o.monthly_cost_cents) for o in greedy],
                                      policy)
    t3 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cost = result.cost_cents or 0
    print(f"{n:>6} workloads  {options:>8} options  candidates {t1 - t0:7.2f} s  solve {t2 - t1:7.2f} s "
          f"({result.status}, gap {result.gap_pct})  peer(greedy) {t3 - t2:6.3f} s  "
          f"cost ratio solver/greedy {cost / greedy_cost if greedy_cost else 0:.3f} "
          f"(greedy meets policy: {greedy_ok})  max RSS {rss_mb:,.0f} MB", flush=True)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 50, 200]
    t = time.perf_counter()
    catalog = load_catalog()
    topology = Topology(catalog)
    print(f"catalog: {len(catalog.offerings)} offerings, {len(catalog.regions)} regions, "
          f"loaded in {time.perf_counter() - t:.2f} s")
    for n in sizes:
        run(n, catalog, topology)


if __name__ == "__main__":
    main(sys.argv[1:])
