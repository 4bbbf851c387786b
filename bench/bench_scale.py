"""Benchmark: plan N synthetic workloads against the shipped catalog and print where time goes.

Usage: python bench/bench_scale.py [--policy lock-in|none] [--profiles] [--mixes] [--one-location] [N ...]
       (default: lock-in, no profiles or mixes; 10 50 200; --help lists the options)

`--policy lock-in` (the default) caps every provider at 50% of the spend and asks for two
providers: a coupling policy. `--policy none` is the empty policy: nothing couples the
workloads, and each of these synthetic workloads needs only one placement.

`--profiles` gives each real-time workload a daily traffic profile (one of the presets, drawn
with the fleet's seed): its plan then commits to a baseline and rents the burst, with load levels
in the model. `--mixes` gives each real-time and batch workload a request-size mix instead of
one request size: short requests (300 tokens in, 100 out) and long ones (6,000 in, 400 out), the
short share drawn from 60-90% with the fleet's seed. Each option then carries each (location,
size) stream at its own rate. Both flags together give real-time workloads a profile and a mix.
`--one-location` puts each real-time workload's users in one location (the first of its two):
with `--policy none` that is the fleet of issue 8's "one placement per workload" case, and
"multi" says how many workloads still get more than one.

The peer is the spreadsheet method: the cheapest feasible option per workload, ignoring
fleet-wide policy. The ratio shows what the solver costs in time and what it saves (or has to
spend) to satisfy the policy. "multi" counts the workloads the plan gives more than one
placement. The script runs on the one-option solver (result.chosen) and on the placement
model (result.placements) alike, so both can be measured with it.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from typing import Any

from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.solver import solve
from advisor.topology import Topology
from advisor.verify import Spend, policy_violations
from advisor.workload.models import WORKLOAD_MODELS, Policy

LOCATIONS = ["us-east", "us-west", "eu-central", "eu-west", "asia-east", "asia-southeast"]


PROFILES = ("business-hours", "consumer-evening", "flat")


MIX_SHORT_SHARES = (0.6, 0.7, 0.8, 0.9)


def synthetic(n: int, seed: int = 7, profiles: bool = False, mixes: bool = False, one_location: bool = False):
    rng = random.Random(seed)
    shapes = random.Random(seed + 1)  # a stream of its own: the fleet is the same with or without profiles
    fleet = []
    for i in range(n):
        kind = rng.choice(["training", "batch-inference", "realtime-inference", "realtime-inference"])
        params = rng.choice([1, 3, 8, 13, 70])
        base: dict[str, Any] = {"name": f"w{i:05d}", "kind": kind, "team": rng.choice(["a", "b", "c"]),
                "model": {"name": f"m{params}", "params_b": params, "precision": rng.choice(["bf16", "fp8"])}}
        if kind == "training":
            base |= {"tokens_b": rng.choice([1, 5, 20]), "deadline_days": rng.choice([2, 7, 14]),
                     "constraints": {"spot": rng.random() < 0.5}}
        elif kind == "batch-inference":
            base |= {"volume": {"requests_per_run": rng.randint(1_000, 500_000), "input_tokens": 1000,
                                "output_tokens": 200}, "window_hours": rng.choice([4, 8, 12])}
        else:
            users = rng.sample(LOCATIONS, 2)
            shares = {users[0]: 1.0} if one_location else {users[0]: 0.5, users[1]: 0.5}
            base |= {"traffic": {"peak_rps": rng.choice([1, 5, 20]), "input_tokens": 800, "output_tokens": 200,
                                 "users": shares},
                     "slo": {"p95_latency_ms": rng.choice([8000, 15000, 30000])},
                     "constraints": {"jurisdictions": rng.choice([["us"], ["eu"], ["us", "eu"], None])}}
        if profiles and kind == "realtime-inference":
            base["traffic"]["profile"] = shapes.choice(PROFILES)
        if mixes and kind in ("realtime-inference", "batch-inference"):
            short = shapes.choice(MIX_SHORT_SHARES)
            section = base["traffic" if kind == "realtime-inference" else "volume"]
            del section["input_tokens"], section["output_tokens"]
            section["mix"] = [
                {"name": "short", "input_tokens": 300, "output_tokens": 100, "share": short},
                {"name": "long", "input_tokens": 6000, "output_tokens": 400, "share": round(1 - short, 2)}]
        fleet.append(WORKLOAD_MODELS[kind].model_validate(base))
    return fleet


POLICIES = {
    "lock-in": {"kind": "policy", "lock_in": {"max_provider_share_pct": 50, "min_providers": 2}},
    "none": {"kind": "policy"},
}


def placements_per_workload(result) -> dict[str, int]:
    """Placements per workload: the placement model's lists, or one each for the one-option solver."""
    placements = getattr(result, "placements", None)
    if placements is not None:
        return {w: len(ps) for w, ps in placements.items()}
    return dict.fromkeys(result.chosen, 1)


def run(n: int, catalog, topology, policy_name: str, profiles: bool = False, mixes: bool = False,
        one_location: bool = False) -> None:
    policy = Policy.model_validate(POLICIES[policy_name])
    fleet = synthetic(n, profiles=profiles, mixes=mixes, one_location=one_location)
    t0 = time.perf_counter()
    candidates = build_candidates(fleet, policy, catalog, topology)
    gc.freeze()  # as advisor.planner does: the candidates stay out of the collector's sight while solving
    t1 = time.perf_counter()
    result = solve(candidates, policy, time_limit_s=120)
    t2 = time.perf_counter()
    options = sum(len(v) for v in candidates.options.values())
    # Options that carry the whole workload alone (the placement model also has partial-reach ones).
    # the peer takes each workload's cheapest whole option: it cannot pack MIG slices (their share of a
    # GPU is not what a slice alone costs)
    alone = {w.name: [o for o in candidates.options[w.name] if o.full_reach and o.mig_profile is None]
             for w in fleet}
    greedy = [alone[w.name][0] for w in fleet if alone[w.name]]
    greedy_cost = sum(o.monthly_cost_cents for o in greedy)
    # share caps count clouds only by default (lock_in.scope): the check needs each provider's kind
    kinds = candidates.provider_kinds
    greedy_ok = not policy_violations([Spend(o.provider, o.vendor, o.team, o.monthly_cost_cents,
                                             kinds.get(o.provider, "cloud")) for o in greedy], policy)
    t3 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cost = result.cost_cents or 0
    counts = placements_per_workload(result)
    multi = sum(1 for c in counts.values() if c > 1)
    label = "".join(f"  {name}" for name, on in (("profiles", profiles), ("mixes", mixes),
                                                 ("one-location", one_location)) if on)
    print(f"{n:>6} workloads  policy {policy_name:<7}{label}  {options:>8} options  candidates {t1 - t0:7.2f} s  "
          f"solve {t2 - t1:7.2f} s ({result.status}, gap {result.gap_pct})  "
          f"placements {sum(counts.values())} (multi {multi})  peer(greedy) {t3 - t2:6.3f} s  "
          f"cost ratio solver/greedy {cost / greedy_cost if greedy_cost else 0:.3f} "
          f"(greedy meets policy: {greedy_ok})  max RSS {rss_mb:,.0f} MB", flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench_scale.py", description="Plan N synthetic workloads against the shipped catalog and print "
                                           "where the time goes (see the module docstring).")
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 50, 200], metavar="N",
                        help="fleet sizes to plan, one after the other (default: 10 50 200)")
    parser.add_argument("--policy", choices=sorted(POLICIES), default="lock-in",
                        help="lock-in: every provider capped at 50%% of the spend and two providers; "
                             "none: the empty policy (default: lock-in)")
    parser.add_argument("--profiles", action="store_true",
                        help="give each real-time workload a daily traffic profile")
    parser.add_argument("--mixes", action="store_true",
                        help="give each real-time and batch workload a request-size mix")
    parser.add_argument("--one-location", action="store_true",
                        help="give each real-time workload users in one location (the same fleet otherwise): "
                             "with --policy none, the fleet where a workload rarely needs a second placement")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    t = time.perf_counter()
    catalog = load_catalog()
    topology = Topology(catalog)
    print(f"catalog: {len(catalog.offerings)} offerings, {len(catalog.regions)} regions, "
          f"loaded in {time.perf_counter() - t:.2f} s")
    for n in args.sizes:
        run(n, catalog, topology, args.policy, args.profiles, args.mixes, args.one_location)


if __name__ == "__main__":
    main(sys.argv[1:])
