"""Fleet-scale benchmark (issue 11): where the time and memory of a whole plan go, and how peers compare.

Usage:

    python bench/bench_fleet.py                       # sizes 100 and 1000
    python bench/bench_fleet.py --quick               # one 20-workload fleet, short limits: a smoke check
    python bench/bench_fleet.py --sizes 100 1000 10000 --stage-timeout 600 --peer-time-limit 60
    python bench/bench_fleet.py --sizes 100 --no-peers --no-constraint-costs

Options: --seed (default 7), --sizes, --stage-timeout (wall seconds per stage, default 300), --time-limit
(the planner's main solve, deterministic seconds as in `advisor plan`, default 60), --explain-time-limit
(each counterfactual solve, default 10), --no-constraint-costs, --explain MODE and --explain-budget S (as
in `advisor plan`, passed on where make_plan takes them; default: the planner's defaults), --peer-time-limit
(wall seconds per peer solver, default 60), --no-peers, --memory-limit-gb (address-space limit of each
size's process, default 16, 0 for none), --share-cap (percent; default: chosen from the fleet, see below).

The fleet. `fleet(n, seed)` draws n workloads of all four kinds (realtime-inference about 45%,
batch-inference 25%, training 15%, edge-inference 15%) for five teams, from embedding and
reranking models (33M-335M parameters), vision models on edge devices, and LLMs from 1B to 70B
(small ones more often). Real-time users sit in the catalog's user locations in North America,
Europe and Asia; most services serve one continent, some two or three (those need a placement
per continent: the routing part of the placement model). Some services ask for two replicas, a
few for surviving a region loss or for two regions. The policy caps every cloud provider's share
of spend (`max_provider_share_pct`), gives every team a monthly budget
(`budget.per_team_monthly_usd`) and asks for `lock_in.min_providers: 2`. The caps are set from
the fleet's candidates, untimed, so that they bind at every size (budgets do not change which
options exist). The reference plan is advisor's own optimum without any policy, solved in a forked
process so that the memos it fills do not speed up the timed solve (the cheapest-alone plan, each
workload on its cheapest option alone, if that fails). The share cap is 85% of the reference's
largest counted-provider share, but at least 100/k + 3 where the reference uses k counted providers
(just above 100/k the model is needlessly hard) and below that largest share, so the reference
breaks it. Up to two teams, the largest spenders on that provider after the largest (which stays
free to move) among those whose tight budget leaves the rest of the fleet able to pay for the cap,
get budgets 2% above their reference spend, so the extra spend the cap forces cannot go to them;
the others get enough headroom (at least 50%) to pay for the cap, so the fleet stays feasible.
min_providers: 2 is implied by any share cap below 100% (it is in the model all the same). The
printout says which caps the cheapest-alone plan and the reference break, and, after the solve,
where CP-SAT's plan stands against each cap (a share at the cap, a team at
100% of its budget: binding).

Stages, each in the size's own subprocess (so the peak RSS, `ru_maxrss`, is that size's own), each
cut by --stage-timeout (SIGALRM; a stage cut short prints "timeout" and the stages that need it
are skipped). The parent process also kills a size whose process stops answering.

- load: `load_catalog()`, `Topology`, and validating the generated documents
  (`WORKLOAD_MODELS[kind].model_validate`, `Policy.model_validate`).
- candidates: `advisor.candidates.build_candidates`.
- solve, explain: the real pipeline, `advisor.planner.make_plan`. The benchmark wraps the
  planner's module-level `build_candidates` (its first call gets the candidates built in the
  candidates stage; the explainer's rebuilds go through) and `solve` (timed; its SolveResult gives
  status and gap), so solve is the planner's main solve and explain is everything after it until
  make_plan returns (pricing each constraint, explanations, assembling the Plan).
- render: `advisor.render.render(plan, fmt)` for json, html and md, timed together. When explain
  timed out there is no Plan; "render*" then renders the plan make_plan builds with an explainer that
  returns no explanations and no constraint prices (candidates and SolveResult reused, not recomputed).

Peak memory is `ru_maxrss` after the stage: the peak of the size's process so far. "cpu/wall" is
the process's CPU seconds over wall seconds in the stage (above 1: more than one core busy).

Peers. After the stages, the same option set (`candidates.options`, before the solver's own exact
reductions) is written as a MILP by this file, independently of advisor.solver, and solved with
PuLP + CBC (what SkyPilot and Melange use) and HiGHS (`highspy`), each with --peer-time-limit
and one thread. It mirrors advisor/solver/variables.py and families/*.py:

    n[o] integer units of option o in [0, max_count];  f[o,s] integer load of stream s on o in [0, D[w,s]]
         (f only for the streams o serves: all of them when o.serves is empty)
    sum_o f[o,s] = D[w,s]                                  every stream carried
    sum_s f[o,s] <= c[o] n[o],  c[o] = floor(CAP_SCALE capacity[o]) / CAP_SCALE, clipped to the demand o
                                may serve (the same integer points: the load never exceeds that demand;
                                unclipped, some batch options carry 1e9 load units per unit)
    cost[o] = cc[o] n[o] + lc[o] sum_s f[o,s],  cc = round(1000 count_cost_cents),
              lc = round(1000 load_cost_cents / max(1, total demand))  (milli-cents; the MILP uses
              the same integers divided by 1e5, i.e. dollars, for better-scaled rows)
    budget_total:    total <= round(100 monthly_usd) dollars-cents
    budget_team:t    spend[team t] <= its budget
    provider_share:p 10000 spend[p] <= round(100 cap) sum_{q counted} spend[q]  for every counted provider
                     (counted_providers, imported from advisor.solver.model: clouds only by default)
    vendor_share:v   10000 spend[v] <= round(100 cap) total
    min_providers    used[p] binary <= presence[p], sum_p used[p] >= k over counted providers, where
                     presence sums n[o] of per-unit-billed options and the load of work-billed ones
    replicas:w       min_replicas <= sum_o n[o] <= max_replicas (real-time and batch)
    min_regions:w    region flags <= presence in that region, sum >= min_regions
    region_loss:w    for every region g and set S of user locations: sum of min(c[o], D(S)) n[o] over the
                     options outside g that may serve (failover_serves, else serves) some of S >= D(S)

Both peers prove optimality to a zero relative gap, as CP-SAT does. Their figures: model build time,
solve time, status, their own gap, and the cost of their plan (rounded to integers and checked
against every row) over CP-SAT's cost in the same run. Each peer runs in a forked process of its
own, killed if it has not answered within max(--stage-timeout, its limit + 60 s) (a solver stuck in C++
past its own limit cannot hold the run up). Its RSS column is what it added: HiGHS, the fork's peak
RSS minus what it shared with the size's process; CBC, PuLP's CBC subprocess's own peak (VmHWM,
polled). A peer whose package is missing is skipped with a message; install both with `pip install -e '.[bench]'`.

Targets: for 100, 1,000 and 10,000 workloads, issue 11's target (a plan with explanations in 5 s; in
20 s, proven optimal; in 60 s within 1% of the bound and under 2 GB) beside the size's total stage
time, solve status and gap and peak RSS, and which part was met or missed by how much.

Growth exponents: log(t2/t1) / log(n2/n1) of total stage time between successive sizes (a total
that includes a timeout is a lower bound, marked ">=").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import random
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STAGES = ("load", "candidates", "solve", "explain", "render")
TEAMS = ("search", "support", "research", "commerce", "vision")
CONTINENTS = {
    "north-america": ("us-east", "us-central", "us-west", "ca-central"),
    "europe": ("eu-west", "eu-central", "uk", "eu-north"),
    "asia": ("asia-east", "asia-southeast", "asia-south"),
}
CONTINENT_WEIGHTS = {"north-america": 5, "europe": 3, "asia": 2}
LOCATION_JURISDICTIONS = {"us-east": "us", "us-central": "us", "us-west": "us", "ca-central": "ca", "eu-west": "eu",
                          "eu-central": "eu", "eu-north": "eu", "uk": "uk", "asia-east": "jp",
                          "asia-southeast": "sg", "asia-south": "in"}
# (name, params_b, weight): small LLMs are the common case, 70B the expensive tail
LLMS = (("llama-3.2-1b", 1.24, 3), ("llama-3.2-3b", 3.2, 4), ("mistral-7b", 7.2, 4), ("llama-3-8b", 8.0, 6),
        ("llama-2-13b", 13.0, 2), ("qwen2.5-32b", 32.5, 2), ("llama-3-70b", 70.0, 2))
# (name, params_m, gflops per inference, weight): embeddings, rerankers, image models
ENCODERS = (("bge-small-en", 33.4, 4.4, 3), ("bge-base-en", 110.0, 22.0, 4), ("bge-large-en", 335.0, 78.0, 1),
            ("ms-marco-minilm-l12", 33.0, 9.0, 3), ("resnet-50", 25.6, 8.2, 1))
EDGE_MODELS = (("yolov8n", 3.2, 8.7, 3), ("yolov8s", 11.2, 28.6, 3), ("yolov8m", 25.9, 78.9, 2),
               ("mobilenet-v3-large", 5.4, 0.44, 2))
KIND_WEIGHTS = {"realtime-inference": 45, "batch-inference": 25, "training": 15, "edge-inference": 15}  # percent
TEAM_WEIGHTS = {  # which teams run which kinds
    "realtime-inference": {"search": 4, "support": 4, "commerce": 4, "research": 1, "vision": 1},
    "batch-inference": {"search": 3, "support": 3, "commerce": 2, "research": 2, "vision": 1},
    "training": {"research": 6, "search": 1, "support": 1, "commerce": 1, "vision": 1},
    "edge-inference": {"vision": 6, "commerce": 1},
}
TIGHT_TEAMS, TIGHT_HEADROOM, LOOSE_HEADROOM = 2, 1.02, 1.5
CAP_FRACTION = 0.85
"""The default share cap: this fraction of the cheapest-alone plan's largest counted-provider share."""
MIN_PROVIDERS = 2
RENDER_FORMATS = ("json", "html", "md")
GRACE_S = 60.0
"""The parent kills a size whose process sends nothing for --stage-timeout plus this long."""


def _pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _pick_row(rng: random.Random, rows: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(rows, weights=[r[-1] for r in rows])[0]


def _users(rng: random.Random) -> dict[str, float]:
    """User locations of a real-time service: one continent mostly, sometimes two or all three."""
    k = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
    continents: list[str] = []
    while len(continents) < k:
        c = _pick(rng, CONTINENT_WEIGHTS)
        if c not in continents:
            continents.append(c)
    locations = [loc for c in continents for loc in rng.sample(CONTINENTS[c], rng.choice((1, 1, 2)))]
    weights = [rng.randint(1, 4) for _ in locations]
    percents = [100 * w // sum(weights) for w in weights]
    percents[0] += 100 - sum(percents)
    return {loc: p / 100 for loc, p in zip(locations, percents, strict=True)}


def _realtime(rng: random.Random, doc: dict[str, Any]) -> None:
    users = _users(rng)
    constraints: dict[str, Any] = {}
    jurisdictions = sorted({LOCATION_JURISDICTIONS[loc] for loc in users})
    one_area = set(jurisdictions) <= {"us", "ca"} or set(jurisdictions) <= {"eu", "uk"}
    if one_area and rng.random() < 0.4:  # data residency where the users are
        constraints["jurisdictions"] = jurisdictions
    if rng.random() < 0.5:
        constraints["min_replicas"] = 2
    if len(users) == 1 and rng.random() < 0.04:
        constraints["min_regions"] = 2
    elif rng.random() < 0.04:
        constraints["survive_region_loss"] = True
    if rng.random() < 0.35:  # an encoder: embeddings, reranking, image classification
        name, params_m, gflops, _ = _pick_row(rng, ENCODERS)
        doc["model"] = {"name": name, "params_m": params_m, "gflops_per_inference": gflops,
                        "precision": rng.choice(("fp16", "bf16", "int8"))}
        doc["traffic"] = {"peak_rps": rng.choice((20, 50, 100, 200, 500, 1000)), "users": users}
        doc["slo"] = {"p95_latency_ms": rng.choice((60, 100, 150, 300))}
    else:
        name, params_b, _ = _pick_row(rng, LLMS)
        doc["model"] = {"name": name, "params_b": params_b, "precision": rng.choice(("bf16", "fp8"))}
        rps = rng.choice((0.5, 1, 2, 5, 10, 20)) if params_b < 30 else rng.choice((0.5, 1, 2, 5, 10))
        doc["traffic"] = {"peak_rps": rps, "input_tokens": rng.choice((500, 1000, 2000)),
                          "output_tokens": rng.choice((100, 250, 500)), "users": users}
        if rng.random() < 0.5:
            doc["slo"] = {"ttft_ms": rng.choice((1500, 2000, 3000)), "tpot_ms": rng.choice((50, 60, 80, 100))}
        else:
            doc["slo"] = {"p95_latency_ms": rng.choice((10000, 20000, 30000))}
    if constraints:
        doc["constraints"] = constraints


def _batch(rng: random.Random, doc: dict[str, Any]) -> None:
    constraints: dict[str, Any] = {"spot": rng.random() < 0.5}
    if rng.random() < 0.3:
        constraints["jurisdictions"] = [rng.choice(("us", "eu"))]
    if rng.random() < 0.3:  # embedding a corpus
        name, params_m, gflops, _ = _pick_row(rng, ENCODERS)
        doc["model"] = {"name": name, "params_m": params_m, "gflops_per_inference": gflops, "precision": "fp16"}
        doc["volume"] = {"requests_per_run": rng.choice((1e6, 5e6, 2e7))}
    else:
        name, params_b, _ = _pick_row(rng, LLMS)
        doc["model"] = {"name": name, "params_b": params_b, "precision": rng.choice(("bf16", "fp8"))}
        requests = rng.choice((5_000, 20_000, 100_000, 500_000)) if params_b < 30 else rng.choice((2_000, 20_000))
        doc["volume"] = {"requests_per_run": requests, "input_tokens": rng.choice((500, 1000, 2000, 4000)),
                         "output_tokens": rng.choice((100, 200, 500))}
    doc["window_hours"] = rng.choice((4, 6, 8, 12))
    doc["runs_per_month"] = rng.choice((4, 30))
    doc["constraints"] = constraints


def _training(rng: random.Random, doc: dict[str, Any]) -> None:
    name, params_b, _ = _pick_row(rng, LLMS)
    doc["model"] = {"name": name, "params_b": params_b, "precision": "bf16"}
    big = params_b >= 30
    doc["method"] = "lora" if big or rng.random() < 0.4 else "full"
    doc["tokens_b"] = rng.choice((0.1, 0.5, 1)) if big else rng.choice((0.2, 1, 2, 5, 20))
    doc["deadline_days"] = rng.choice((2, 7, 14)) if big else rng.choice((1, 2, 7, 14))
    doc["runs_per_month"] = rng.choice((1, 2, 4))
    constraints: dict[str, Any] = {"spot": rng.random() < 0.5}
    if rng.random() < 0.2:
        constraints["jurisdictions"] = [rng.choice(("us", "eu"))]
    doc["constraints"] = constraints


def _edge(rng: random.Random, doc: dict[str, Any]) -> None:
    name, params_m, gflops, _ = _pick_row(rng, EDGE_MODELS)
    doc["model"] = {"name": name, "params_m": params_m, "gflops_per_inference": gflops, "precision": "int8"}
    sites: dict[str, Any] = {"count": rng.choice((5, 20, 50, 200, 500)),
                             "inferences_per_s": rng.choice((5, 15, 30, 60))}
    if rng.random() < 0.6:
        sites["max_power_w"] = rng.choice((30, 60, 100))
    doc["sites"] = sites
    doc["slo"] = {"p95_latency_ms": rng.choice((50, 100, 200))}


BUILDERS: dict[str, Callable[[random.Random, dict[str, Any]], None]] = {
    "realtime-inference": _realtime, "batch-inference": _batch, "training": _training, "edge-inference": _edge}


def fleet(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """n workload documents (plain dicts, as a YAML file would hold them), reproducible from the seed.

    Kinds come in shuffled blocks of 20 in the KIND_WEIGHTS proportions, so every fleet of 20 or
    more has all four kinds in the same mix.
    """
    rng = random.Random(seed)
    block = [k for k, weight in KIND_WEIGHTS.items() for _ in range(weight * 20 // 100)]
    docs = []
    kinds: list[str] = []
    for i in range(n):
        if not kinds:
            kinds = rng.sample(block, len(block))
        kind = kinds.pop()
        doc: dict[str, Any] = {"name": f"w{i:05d}", "kind": kind, "team": _pick(rng, TEAM_WEIGHTS[kind])}
        BUILDERS[kind](rng, doc)
        docs.append(doc)
    return docs


def _patch(module: Any, **attrs: Any) -> None:
    """Replace a module's attributes: the planner's stages, timed or stubbed by this benchmark."""
    for name, value in attrs.items():
        setattr(module, name, value)


def policy_doc(share_cap: float, budgets: Mapping[str, float] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": "policy", "name": "fleet-bench",
                           "lock_in": {"max_provider_share_pct": share_cap, "min_providers": MIN_PROVIDERS}}
    if budgets:
        doc["budget"] = {"per_team_monthly_usd": budgets}
    return doc


# --- the peers' MILP, written from the CandidateSet's public data ------------------------------------------

CAP_SCALE = 1000  # as advisor.solver.variables: capacities floored to 1/1000 of a load unit
MILLI = 1000  # money in milli-cents
DOLLARS = 100 * MILLI  # the MILP's rows are in dollars: the model's integers / 1e5
PCT_SCALE = 100  # share caps in hundredths of a percent
MAX_LOCATIONS_EXACT = 8


@dataclass
class Milp:
    """A MILP in a solver-neutral sparse form: columns with bounds and costs, rows with ranges."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)
    units: dict[tuple[str, int], int] = field(default_factory=dict)  # (workload, option index) -> n column
    loads: dict[tuple[str, int, str], int] = field(default_factory=dict)  # (workload, index, stream) -> f column
    exact: dict[int, int] = field(default_factory=dict)  # column -> its cost in milli-cents per unit
    families: list[str] = field(default_factory=list)

    def column(self, lower: float, upper: float, integer: bool, cost: float = 0.0) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        self.cost.append(cost)
        return len(self.lower) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        merged: dict[int, float] = defaultdict(float)
        for j, v in terms:
            merged[j] += v
        self.rows.append((list(merged), list(merged.values()), lower, upper))

    @property
    def nonzeros(self) -> int:
        return sum(len(r[0]) for r in self.rows)


def _streams(o: Any, demand: dict[str, int]) -> list[str]:
    return [s for s in demand if s in o.serves] if o.serves else list(demand)


def _location_sets(streams: list[str]) -> list[tuple[str, ...]]:
    import itertools

    if len(streams) > MAX_LOCATIONS_EXACT:
        return [(s,) for s in streams] + [tuple(streams)]
    return [c for k in range(1, len(streams) + 1) for c in itertools.combinations(streams, k)]


def build_milp(candidates: Any, policy: Any, counted: frozenset[str]) -> Milp:
    """The placement model over every candidate option, from public CandidateSet data only."""
    inf = math.inf
    milp = Milp()
    spend: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)  # (attribute, value) -> cost terms
    presence: dict[tuple[str, str], list[int]] = defaultdict(list)  # ("provider", p) / (w, region) -> columns
    for w in sorted(candidates.options):
        options = candidates.options[w]
        demand = candidates.demands[w]
        total_demand = sum(demand.values())
        carriers: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, o in enumerate(options):
            per_unit = round(o.count_cost_cents * MILLI)
            per_load = round(o.load_cost_cents * MILLI / max(1, total_demand))
            n = milp.column(0, o.max_count, True, per_unit / DOLLARS)
            milp.units[w, i] = n
            milp.exact[n] = per_unit
            terms = [(n, per_unit / DOLLARS)] if per_unit else []
            flows = []
            for s in _streams(o, demand):
                f = milp.column(0, demand[s], True, per_load / DOLLARS)
                milp.loads[w, i, s] = f
                milp.exact[f] = per_load
                carriers[s].append((f, 1.0))
                flows.append(f)
                if per_load:
                    terms.append((f, per_load / DOLLARS))
            # the units carry their load: sum_s f <= floor(CAP capacity) / CAP n, the capacity clipped to the
            # load the option could ever carry (the same integer points, better-scaled rows)
            capacity = min(math.floor(o.capacity * CAP_SCALE) / CAP_SCALE, sum(demand[s] for s in _streams(o, demand)))
            milp.row([(f, 1.0) for f in flows] + [(n, -capacity)], -inf, 0)
            for attribute in ("provider", "vendor", "team"):
                spend[attribute, getattr(o, attribute)].extend(terms)
            present = [n] if per_unit > 0 else flows
            presence["provider", o.provider].extend(present)
            presence[w, o.region_key].extend(present)
        for s, units in demand.items():
            milp.row(carriers[s], units, units)
    aggregate: dict[tuple[str, str], int] = {}

    def total_of(attribute: str, value: str) -> int:
        """A continuous column equal to the spend (dollars) of the options whose attribute is value."""
        if (attribute, value) not in aggregate:
            col = milp.column(0, inf, False)
            milp.row([(col, -1.0)] + spend[attribute, value], 0, 0)
            aggregate[attribute, value] = col
        return aggregate[attribute, value]

    providers = sorted({p for a, p in spend if a == "provider"})
    total = milp.column(0, inf, False)
    milp.row([(total, -1.0)] + [(total_of("provider", p), 1.0) for p in providers], 0, 0)
    budget = policy.budget
    if budget.monthly_usd is not None:
        milp.families.append("budget_total")
        milp.row([(total, 1.0)], -inf, round(budget.monthly_usd * 100) * MILLI / DOLLARS)
    for team, usd in sorted(budget.per_team_monthly_usd.items()):
        milp.families.append(f"budget_team:{team}")
        milp.row([(total_of("team", team), 1.0)], -inf, round(usd * 100) * MILLI / DOLLARS)
    cap = policy.lock_in.max_provider_share_pct
    if cap is not None and cap < 100:
        share = round(cap * PCT_SCALE) / (100 * PCT_SCALE)
        counted_cols = [total_of("provider", p) for p in sorted(counted) if p in providers]
        for p in sorted(counted):
            milp.families.append(f"provider_share:{p}")
            if p in providers:
                milp.row([(total_of("provider", p), 1.0)] + [(c, -share) for c in counted_cols], -inf, 0)
    vcap = policy.lock_in.max_vendor_share_pct
    if vcap is not None and vcap < 100:
        share = round(vcap * PCT_SCALE) / (100 * PCT_SCALE)
        for v in sorted({v for a, v in spend if a == "vendor"}):
            milp.families.append(f"vendor_share:{v}")
            milp.row([(total_of("vendor", v), 1.0), (total, -share)], -inf, 0)
    if policy.lock_in.min_providers > 1:
        milp.families.append("min_providers")
        used = []
        for p in sorted(counted):
            flag = milp.column(0, 1, True)
            milp.row([(flag, 1.0)] + [(j, -1.0) for j in presence["provider", p]], -inf, 0)
            used.append(flag)
        milp.row([(u, 1.0) for u in used], policy.lock_in.min_providers, inf)
    for w in sorted(candidates.options):
        lim = candidates.limits[w]
        options = candidates.options[w]
        if lim.by_count and (lim.min_replicas > 1 or lim.max_replicas is not None):
            milp.families.append(f"replicas:{w}")
            hi = lim.max_replicas if lim.max_replicas is not None else inf
            milp.row([(milp.units[w, i], 1.0) for i in range(len(options))], lim.min_replicas, hi)
        regions = sorted({o.region_key for o in options})
        if lim.min_regions is not None and lim.min_regions > 1:
            milp.families.append(f"min_regions:{w}")
            flags = []
            for region in regions:
                flag = milp.column(0, 1, True)
                milp.row([(flag, 1.0)] + [(j, -1.0) for j in presence[w, region]], -inf, 0)
                flags.append(flag)
            milp.row([(f, 1.0) for f in flags], lim.min_regions, inf)
        if lim.survive_region_loss:
            milp.families.append(f"region_loss:{w}")
            demand = candidates.demands[w]
            for region in regions:
                for subset in _location_sets(sorted(demand)):
                    need = sum(demand[s] for s in subset)
                    helpers = [(milp.units[w, i], min(need, math.floor(o.capacity * CAP_SCALE) / CAP_SCALE))
                               for i, o in enumerate(options)
                               if o.region_key != region and set(o.failover_serves or o.serves) & set(subset)]
                    milp.row(helpers, need, inf)
    return milp


@dataclass
class PeerResult:
    solver: str
    status: str
    build_s: float
    solve_s: float
    cost_millicents: int | None = None
    bound_dollars: float | None = None
    own_gap_pct: float | None = None
    violation: float | None = None
    rss_mb: float | None = None
    note: str = ""


def _checked_cost(milp: Milp, values: list[float]) -> tuple[int, float]:
    """The plan's exact cost (milli-cents, integers rounded) and its largest row violation (relative)."""
    x = [round(v) if milp.integer[j] else v for j, v in enumerate(values)]
    cost = sum(c * x[j] for j, c in milp.exact.items())
    worst = 0.0
    for cols, vals, lo, hi in milp.rows:
        activity = sum(v * x[j] for j, v in zip(cols, vals, strict=True))
        scale = max(1.0, max((abs(v * x[j]) for j, v in zip(cols, vals, strict=True)), default=0.0))
        worst = max(worst, (lo - activity) / scale, (activity - hi) / scale)
    return int(cost), max(0.0, worst)


def solve_highs(milp: Milp, time_limit_s: float) -> PeerResult:
    import highspy
    import numpy as np

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    lp = highspy.HighsLp()
    lp.num_col_ = len(milp.lower)
    lp.num_row_ = len(milp.rows)
    lp.col_cost_ = np.array(milp.cost, dtype=np.float64)
    lp.col_lower_ = np.array(milp.lower, dtype=np.float64)
    lp.col_upper_ = np.array([u if u != math.inf else highspy.kHighsInf for u in milp.upper], dtype=np.float64)
    lp.row_lower_ = np.array([-highspy.kHighsInf if r[2] == -math.inf else r[2] for r in milp.rows])
    lp.row_upper_ = np.array([highspy.kHighsInf if r[3] == math.inf else r[3] for r in milp.rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    starts = [0]
    for cols, _, _, _ in milp.rows:
        starts.append(starts[-1] + len(cols))
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array([j for r in milp.rows for j in r[0]], dtype=np.int32)
    lp.a_matrix_.value_ = np.array([v for r in milp.rows for v in r[1]], dtype=np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                       for i in milp.integer]
    h.passModel(lp)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    result = PeerResult("HiGHS", status, t1 - t0, t2 - t1)
    if info.primal_solution_status >= 2:  # a feasible point
        result.cost_millicents, result.violation = _checked_cost(milp, list(h.getSolution().col_value))
        result.bound_dollars = info.mip_dual_bound
        result.own_gap_pct = 100 * info.mip_gap if math.isfinite(info.mip_gap) else None
    return result


class ChildPeak:
    """Polls the peak RSS (VmHWM) of this process's child processes (CBC, which PuLP starts) while they run;
    getrusage(RUSAGE_CHILDREN) would report the Python process's own size, copied at fork."""

    def __init__(self, every_s: float = 0.2):
        self.every_s = every_s
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _children(self) -> list[str]:
        found = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as f:
                    found.extend(f.read().split())
            except OSError:
                continue
        return found

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except (OSError, ValueError):
                    continue

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _number(pattern: str, text: str) -> float | None:
    """The number a regular expression's first group finds in CBC's log, if any."""
    found = re.search(pattern, text, re.M)
    try:
        return float(found.group(1)) if found else None
    except ValueError:
        return None


def solve_cbc(milp: Milp, time_limit_s: float) -> PeerResult:
    import pulp

    t0 = time.perf_counter()
    prob = pulp.LpProblem("fleet", pulp.LpMinimize)
    xs = [pulp.LpVariable(f"x{j}", lowBound=lo, upBound=None if hi == math.inf else hi,
                          cat=pulp.LpInteger if integer else pulp.LpContinuous)
          for j, (lo, hi, integer) in enumerate(zip(milp.lower, milp.upper, milp.integer, strict=True))]
    prob += pulp.LpAffineExpression([(xs[j], c) for j, c in enumerate(milp.cost) if c])
    for k, (cols, vals, lo, hi) in enumerate(milp.rows):
        expr = pulp.LpAffineExpression([(xs[j], v) for j, v in zip(cols, vals, strict=True)])
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{k}", lo)
            continue
        if lo != -math.inf:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{k}l", lo)
        if hi != math.inf:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{k}u", hi)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "cbc.log")
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, threads=1, gapRel=0.0, logPath=log)
        with ChildPeak() as peak:
            prob.solve(solver)
        t2 = time.perf_counter()
        text = ""
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as f:
                text = f.read()
    outcome = re.search(r"^Result - (.+)$", text, re.M)
    status = outcome.group(1).strip() if outcome else pulp.LpStatus.get(prob.status, str(prob.status))
    result = PeerResult("PuLP+CBC", status, t1 - t0, t2 - t1)
    result.rss_mb = peak.peak_kb / 1024 if peak.peak_kb else None
    result.bound_dollars = _number(r"^Lower bound:\s*(\S+)", text)
    gap = _number(r"^Gap:\s*(\S+)", text)
    result.own_gap_pct = None if gap is None else 100 * gap
    values = [x.varValue for x in xs]
    if prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and None not in values:
        result.cost_millicents, result.violation = _checked_cost(milp, values)  # type: ignore[arg-type]
        if outcome and outcome.group(1).startswith("Optimal"):
            result.own_gap_pct = 0.0
    return result


PEERS: dict[str, tuple[str, Callable[[Milp, float], PeerResult]]] = {
    "HiGHS": ("highspy", solve_highs), "PuLP+CBC": ("pulp", solve_cbc)}


# --- one size, in its own process ------------------------------------------------------------------------


class StageTimeout(BaseException):
    """Raised by SIGALRM when a stage runs past --stage-timeout (BaseException: no `except Exception` eats it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise StageTimeout


PROTOCOL = sys.stdout
"""Where a size's process writes its records (its own stdout is sent to /dev/null: solvers print banners)."""
EMITTED: set[str] = set()


def emit(record: dict[str, Any]) -> None:
    if "stage" in record:
        EMITTED.add(record["stage"])
    PROTOCOL.write(json.dumps(record) + "\n")
    PROTOCOL.flush()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Stage:
    """Times one stage under an alarm; the record is emitted when it ends (or times out)."""

    def __init__(self, name: str, timeout_s: float):
        self.name = name
        self.timeout_s = timeout_s
        self.record: dict[str, Any] = {"stage": name}
        self.t0 = self.cpu0 = 0.0

    def start(self) -> Stage:
        self.t0, self.cpu0 = time.perf_counter(), _cpu_s()
        signal.setitimer(signal.ITIMER_REAL, self.timeout_s)
        return self

    def stop(self, status: str = "ok", **detail: Any) -> dict[str, Any]:
        signal.setitimer(signal.ITIMER_REAL, 0)
        wall = time.perf_counter() - self.t0
        self.record.update(status=status, time_s=wall, cpu_s=_cpu_s() - self.cpu0, rss_mb=_rss_mb(), **detail)
        emit(self.record)
        return self.record


@contextmanager
def stage(name: str, timeout_s: float) -> Iterator[Stage]:
    """A stage: emits its record on success, on timeout (then re-raises StageTimeout) and on errors."""
    s = Stage(name, timeout_s).start()
    try:
        yield s
    except StageTimeout:
        s.stop("timeout")
        raise
    except MemoryError:
        s.stop("out of memory")
        raise
    except Exception as exc:
        s.stop("error", error=f"{type(exc).__name__}: {exc}"[:300])
        raise
    if "status" not in s.record:
        s.stop()


def skipped(name: str, why: str) -> None:
    if name not in EMITTED:
        emit({"stage": name, "status": "skipped", "note": why})


def note(text: str) -> None:
    emit({"note": text})


Spend = list[tuple[str, str, int, bool]]
"""A plan's spend: (team, provider, milli-cents, whether the workload can buy spare units) per placement."""


def cheapest_alone(candidates: Any) -> Spend:
    """Each workload on its cheapest option alone, in the model's own arithmetic: one full-reach option
    carrying everything, else (no option serves every location) the cheapest option per location."""
    out: Spend = []
    for w, options in candidates.options.items():
        demand = candidates.demands[w]
        lim = candidates.limits[w]
        total = sum(demand.values())

        def cost(o: Any, load: int, total: int = total, lim: Any = lim) -> int:
            capacity = math.floor(o.capacity * CAP_SCALE)
            need = math.ceil(CAP_SCALE * load / capacity) if capacity else o.max_count + 1
            units = max(need, lim.min_replicas if lim.by_count else 1)
            if units > o.max_count:
                return -1
            per_load = round(o.load_cost_cents * MILLI / max(1, total))
            return round(o.count_cost_cents * MILLI) * units + per_load * load

        full = [(c, k, o) for k, o in enumerate(options) if o.full_reach and (c := cost(o, total)) >= 0]
        picks = [min(full)] if full else [
            min(each) for s, load in demand.items()
            if (each := [(c, k, o) for k, o in enumerate(options)
                         if s in _streams(o, demand) and (c := cost(o, load)) >= 0])]
        out.extend((lim.team, o.provider, c, lim.by_count) for c, _, o in picks)
    return out


def unconstrained_optimum(candidates: Any, timeout_s: float) -> Spend | None:
    """The spend of advisor's own optimum without any policy, solved in a forked process so that the
    memos it fills (each workload's own optimum) do not speed up the timed solve; None if not found."""
    from advisor.solver import solve
    from advisor.workload.models import Policy

    def spend() -> list[tuple[str, str, int, bool]] | None:
        result = solve(candidates, Policy.model_validate({"kind": "policy"}), time_limit_s=60.0)
        if result.status not in ("optimal", "feasible"):
            return None
        return [(candidates.limits[w].team, p.option.provider, p.cost_millicents, candidates.limits[w].by_count)
                for w, ps in result.placements.items() for p in ps]

    rows, _ = in_fork(spend, timeout_s)
    return [tuple(r) for r in rows] if rows else None  # type: ignore[misc]


def _shares(spend: Spend, counted: frozenset[str]) -> dict[str, float]:
    by: dict[str, float] = defaultdict(float)
    for _, provider, c, _ in spend:
        if provider in counted:
            by[provider] += c
    base = sum(by.values())
    return {p: 100 * v / base for p, v in sorted(by.items(), key=lambda kv: -kv[1])} if base else {}


def _shares_text(shares: dict[str, float]) -> str:
    return ", ".join(f"{p} {v:.1f}%" for p, v in shares.items())


def default_cap(shares: dict[str, float]) -> float:
    """CAP_FRACTION of the largest share, but high enough that the providers the plan already uses
    could carry the fleet (100/k + 3 for k providers: caps just above 100/k make the model needlessly
    hard), and below the largest share so that the cap binds."""
    if not shares:
        return 50.0
    top = next(iter(shares.values()))
    cap = max(math.floor(CAP_FRACTION * top), math.ceil(100 / len(shares)) + 3)
    return float(min(cap, math.ceil(top) - 1, 60))


def calibrate(alone: Spend, optimum: Spend | None, counted: frozenset[str],
              share_cap: float | None) -> tuple[float, dict[str, int], list[str]]:
    """The share cap, the team budgets, and printable lines on whether the reference plans break them.

    The reference is the optimum without any policy (else, if it was not found, the cheapest-alone
    plan). The share cap: see default_cap. Team budgets: each team's reference spend, times
    TIGHT_HEADROOM for up to TIGHT_TEAMS teams (the largest spenders on the capped provider after the
    largest, which stays free to move) and, for the others, a headroom large enough to pay for the
    cap: twice E, the spend on other counted providers that would bring the top provider down
    to the cap by buying spare units alone. A team is made tight only if the other teams' real-time
    and batch workloads (the ones that can buy spare units) spend at least 2E on other counted
    providers, so that the fleet stays feasible.
    """
    reference = optimum or alone
    shares = _shares(reference, counted)
    top = next(iter(shares), None)
    if share_cap is None:
        share_cap = default_cap(shares)
    by_team: dict[str, float] = defaultdict(float)
    on_top: dict[str, float] = defaultdict(float)
    paddable: dict[str, float] = defaultdict(float)
    counted_total = top_total = 0.0
    for team, provider, c, by_count in reference:
        by_team[team] += c
        counted_total += c if provider in counted else 0
        top_total += c if provider == top else 0
        on_top[team] += c if provider == top else 0
        paddable[team] += c if by_count and provider in counted and provider != top else 0
    excess = max(0.0, top_total * 100 / share_cap - counted_total)
    tight: list[str] = []
    for team in sorted(by_team, key=lambda t: (-on_top[t], t))[1:]:  # the largest spender stays free to move
        if len(tight) == TIGHT_TEAMS or on_top[team] == 0:
            break
        if sum(v for u, v in paddable.items() if u not in tight and u != team) >= 2 * excess:
            tight.append(team)
    loose_spend = sum(v for t, v in by_team.items() if t not in tight)
    loose = max(LOOSE_HEADROOM, 1 + 2 * excess / loose_spend) if loose_spend else LOOSE_HEADROOM
    budgets = {t: math.ceil(by_team[t] / DOLLARS * (TIGHT_HEADROOM if t in tight else loose)) for t in sorted(by_team)}
    lines = []
    for label, plan in (("cheapest-alone plan (each workload on its cheapest option alone)", alone),
                        ("optimum without any policy (advisor's solve, in a forked process)", optimum)):
        if plan is None:
            lines.append(f"{label}: not found; the reference is the cheapest-alone plan")
            continue
        sh = _shares(plan, counted)
        first = next(iter(sh), None)
        team_spend: dict[str, float] = defaultdict(float)
        for team, _, c, _ in plan:
            team_spend[team] += c
        broken = [t for t in tight if team_spend[t] / DOLLARS > budgets[t]]
        lines.append(
            f"{label}: ${sum(c for _, _, c, _ in plan) / DOLLARS:,.0f}/month; counted-provider shares "
            f"{_shares_text(sh)}; {len(sh)} counted providers -> breaks "
            + ", ".join(filter(None, [
                f"max_provider_share_pct {share_cap:g}" if first and sh[first] > share_cap else "",
                f"min_providers {MIN_PROVIDERS}" if len(sh) < MIN_PROVIDERS else "",
                f"the budget of {', '.join(broken)}" if broken else ""])) or "nothing")
    lines.append(f"policy: max_provider_share_pct {share_cap:g}, "
                 f"min_providers {MIN_PROVIDERS} (implied by any share cap below 100%), team budgets = reference "
                 f"spend x {TIGHT_HEADROOM:g} for " + (", ".join(tight) if tight else
                                                      "no team (none can be tight and leave the fleet feasible)")
                 + f", x {loose:.2f} for the others: "
                 + ", ".join(f"{t} ${budgets[t]:,}" + (" (tight)" if t in tight else "") for t in sorted(budgets)))
    return share_cap, budgets, lines


def binding_lines(result: Any, policy: Any, counted: frozenset[str]) -> list[str]:
    """Where CP-SAT's plan stands against each cap (a cap binds where the plan sits at it)."""
    plan: Spend = [(p.option.team, p.option.provider, p.cost_millicents, False)
                   for ps in result.placements.values() for p in ps]
    shares = _shares(plan, counted)
    cap = policy.lock_in.max_provider_share_pct
    first = next(iter(shares), None)
    by_team: dict[str, float] = defaultdict(float)
    for team, _, c, _ in plan:
        by_team[team] += c
    teams = policy.budget.per_team_monthly_usd
    return [
        f"CP-SAT's plan: counted-provider shares {_shares_text(shares)} (cap {cap:g}%: "
        f"{'at the cap' if first and shares[first] > cap - 0.5 else 'below the cap'}); {len(shares)} counted "
        "providers used; team spend / budget " + ", ".join(
            f"{t} {100 * by_team.get(t, 0) / DOLLARS / teams[t]:.1f}%" for t in sorted(teams)),
    ]


def relax_impossible_region_rules(docs: list[dict[str, Any]], candidates: Any) -> dict[str, str]:
    """Drop min_regions and survive_region_loss from the documents of workloads whose options lie in
    fewer regions than the rule needs (e.g. Canadian users at 60 ms with data kept in Canada: one
    region serves them), so that the fleet is not infeasible on one workload's own rules.

    Returns what was dropped, by workload. The generator cannot see the catalog, so it asks first
    and this check, run on the candidates, corrects it.
    """
    dropped: dict[str, str] = {}
    for doc in docs:
        constraints = doc.get("constraints") or {}
        need = max(constraints.get("min_regions") or 1, 2 if constraints.get("survive_region_loss") else 1)
        regions = {o.region_key for o in candidates.options.get(doc["name"], [])}
        if need > 1 and len(regions) < need:
            rule = "min_regions" if constraints.get("min_regions") else "survive_region_loss"
            dropped[doc["name"]] = f"{rule} needs {need} regions, {len(regions)} serve it"
            constraints.pop("min_regions", None)
            constraints.pop("survive_region_loss", None)
    return dropped


def run_size(args: argparse.Namespace) -> None:
    """One fleet size: every stage, then the peers; records go to stdout as JSON lines."""
    signal.signal(signal.SIGALRM, _alarm)
    if args.memory_limit_gb > 0:
        limit = int(args.memory_limit_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    n, timeout = args.child, args.stage_timeout
    docs = fleet(n, args.seed)
    kinds = Counter(d["kind"] for d in docs)
    locations = {loc for d in docs for loc in d.get("traffic", {}).get("users", {})}
    continents = sorted(c for c, locs in CONTINENTS.items() if locations & set(locs))
    llm_sizes = Counter(d["model"]["params_b"] for d in docs if "params_b" in d["model"])
    note(f"fleet of {n} (seed {args.seed}): " + ", ".join(f"{kinds[k]} {k}" for k in KIND_WEIGHTS)
         + f"; {len({d['team'] for d in docs})} teams; users in {len(locations)} locations on "
         + f"{len(continents)} continents ({', '.join(continents)}); LLMs by size "
         + ", ".join(f"{s:g}B x{c}" for s, c in sorted(llm_sizes.items()))
         + f"; encoders and vision models x{n - sum(llm_sizes.values())}")
    state: dict[str, Any] = {}
    try:
        with stage("load", timeout) as s:
            from advisor.catalog import load_catalog
            from advisor.topology import Topology
            from advisor.workload.models import WORKLOAD_MODELS, Policy

            catalog = load_catalog()
            topology = Topology(catalog)
            unknown = sorted(locations - set(catalog.locations))
            if unknown:
                raise ValueError(f"user locations the catalog does not know: {unknown}")
            workloads: list[Any] = [WORKLOAD_MODELS[d["kind"]].model_validate(d) for d in docs]
            base_policy = Policy.model_validate(policy_doc(args.share_cap or 50.0))
            s.stop(detail=f"{len(catalog.offerings)} offerings, {len(catalog.regions)} regions")
        with stage("candidates", timeout) as s:
            from advisor.candidates import build_candidates

            candidates = build_candidates(workloads, base_policy, catalog, topology)
            relaxed = relax_impossible_region_rules(docs, candidates)
            if relaxed:
                by_name = {d["name"]: d for d in docs}
                workloads = [WORKLOAD_MODELS[d["kind"]].model_validate(d) for d in docs]
                changed = [w for w in workloads if w.name in relaxed]
                candidates = candidates.with_rebuilt(build_candidates(changed, base_policy, catalog, topology))
                note(f"{len(relaxed)} workloads asked for more regions than serve them; the rule was dropped "
                     "(a fleet infeasible on one workload's own rules measures nothing): "
                     + "; ".join(f"{w} ({by_name[w]['team']}): {why}" for w, why in sorted(relaxed.items())[:5]))
            options = sum(len(v) for v in candidates.options.values())
            empty = [w for w, v in candidates.options.items() if not v or candidates.unserved.get(w)]
            s.stop(options=options, detail=f"{options:,} options"
                   + (f"; {len(empty)} workloads without a way to serve everyone: {empty[:5]}" if empty else ""))
        from advisor.solver.model import counted_providers

        counted = counted_providers(base_policy, candidates)
        share_cap, budgets, lines = calibrate(cheapest_alone(candidates), unconstrained_optimum(candidates, timeout),
                                              counted, args.share_cap)
        policy = Policy.model_validate(policy_doc(share_cap, budgets))
        state.update(candidates=candidates, policy=policy)
        for line in lines:
            note(line)
        run_pipeline(args, workloads, policy, catalog, candidates, state)
    except StageTimeout:
        pass
    except MemoryError:
        note("out of memory (--memory-limit-gb)")
    except Exception as exc:  # the stage that raised it reported it; the later ones cannot run
        note(f"stopped: {type(exc).__name__}: {exc}"[:400])
    if args.peers and "policy" in state:
        run_peers(args, state["candidates"], state["policy"], state)


def explain_options(args: argparse.Namespace, make_plan: Callable[..., Any]) -> dict[str, Any]:
    """--explain, --explain-budget and --jobs, for a make_plan that takes them (older ones do not)."""
    import inspect

    accepted = inspect.signature(make_plan).parameters
    wanted = {"explain": args.explain, "explain_budget_s": args.explain_budget, "jobs": args.jobs}
    for name, value in wanted.items():
        if value is not None and name not in accepted:
            note(f"this advisor's make_plan has no {name} parameter: ignored")
    return {k: v for k, v in wanted.items() if v is not None and k in accepted}


def run_pipeline(args: argparse.Namespace, workloads: list[Any], policy: Any, catalog: Any, candidates: Any,
                 state: dict[str, Any]) -> None:
    """solve, explain and render through advisor.planner.make_plan, with its solve and candidates wrapped."""
    import advisor.planner as planner
    from advisor.render import render
    from advisor.workload.loader import Inputs

    real_build, real_solve, real_explainer = planner.build_candidates, planner.solve, planner.Explainer
    timeout = args.stage_timeout
    current: dict[str, Stage] = {}

    def build(subset: list[Any], rules: Any, *rest: Any, **kwargs: Any) -> Any:
        disabled = kwargs.get("disabled", rest[2] if len(rest) > 2 else frozenset())  # (catalog, topology, disabled)
        if not state.get("served") and not disabled and subset is workloads:
            state["served"] = True  # the planner's main candidates: the ones the candidates stage built
            return candidates
        return real_build(subset, rules, *rest, **kwargs)

    def solve(cands: Any, pol: Any, **kwargs: Any) -> Any:
        if "result" in state:  # a replay (render*): the main solve is already known
            return state["result"]
        current["solve"] = Stage("solve", timeout).start()
        result = real_solve(cands, pol, **kwargs)
        state["result"] = result
        multi = sum(1 for ps in result.placements.values() if len(ps) > 1)
        current["solve"].stop(result.status, gap_pct=result.gap_pct, cost_millicents=result.cost_millicents,
                              bound_millicents=result.bound_millicents,
                              detail=f"cost ${result.cost_cents / 100:,.2f}/month, bound "
                              f"${(result.bound_cents or 0) / 100:,.2f}; {multi} workloads on several placements"
                              if result.cost_cents is not None else "no plan")
        state["solved_at"] = time.perf_counter()
        current["explain"] = Stage("explain", timeout).start()
        return result

    class Quiet(real_explainer):  # type: ignore[misc,valid-type]
        """The explainer of render*: no counterfactual solves."""

        def constraint_costs(self) -> list[Any]:
            return []

        def explanations(self) -> list[Any]:
            return []

    _patch(planner, build_candidates=build, solve=solve)
    inputs = Inputs(workloads=workloads, policy=policy)
    plan = None
    explained = True
    try:
        plan = planner.make_plan(inputs, catalog, time_limit_s=args.time_limit,
                                 explain_time_limit_s=args.explain_time_limit,
                                 explain_constraints=args.constraint_costs, **explain_options(args, planner.make_plan))
        binding = [c.name for c in plan.constraints if c.binding]
        if plan.infeasibility is not None:
            detail = f"plan {plan.status}: {len(plan.infeasibility.causes)} causes, " \
                     f"{len(plan.infeasibility.relaxations)} relaxations"
        else:
            detail = f"{len(plan.explanations)} explanations, {len(plan.constraints)} constraint rows" \
                     + (f"; binding: {', '.join(binding[:8])}" if binding else "")
        current["explain"].stop(detail=detail)
    except StageTimeout:
        for name in ("solve", "explain"):
            if name in current and "status" not in current[name].record:
                current[name].stop("timeout")
                break
        else:
            skipped("solve", "timed out before the main solve")
        if "result" not in state or state["result"].status not in ("optimal", "feasible"):
            skipped("explain", "no plan")
            skipped("render", "no plan")
            return
        explained = False
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        for name in ("solve", "explain"):
            if name in current and "status" not in current[name].record:
                current[name].stop("error", error=error)
                break
        else:
            emit({"stage": "solve", "status": "error", "error": f"make_plan failed before its solve: {error}"})
        raise
    finally:
        _patch(planner, build_candidates=real_build, solve=real_solve)
    result = state["result"]
    if result.status in ("optimal", "feasible"):
        from advisor.solver.model import counted_providers

        for line in binding_lines(result, policy, counted_providers(policy, candidates)):
            note(line)
    name = "render" if explained else "render*"
    with stage("render", timeout) as s:
        s.record["label"] = name
        if plan is None:
            _patch(planner, build_candidates=build, solve=solve, Explainer=Quiet)
            state["served"] = False
            try:
                plan = planner.make_plan(inputs, catalog, time_limit_s=args.time_limit, explain_constraints=False)
            finally:
                _patch(planner, build_candidates=real_build, solve=real_solve, Explainer=real_explainer)
        sizes = {fmt: len(render(plan, fmt)) for fmt in RENDER_FORMATS}
        s.stop(detail=("plan without explanations (explain timed out); " if not explained else "")
               + ", ".join(f"{fmt} {size / 1e6:.2f} MB" for fmt, size in sizes.items()))


def run_peers(args: argparse.Namespace, candidates: Any, policy: Any, state: dict[str, Any]) -> None:
    import importlib.util

    from advisor.solver.model import counted_providers

    timeout = args.stage_timeout
    result = state.get("result")
    try:
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        milp = build_milp(candidates, policy, counted_providers(policy, candidates))
        signal.setitimer(signal.ITIMER_REAL, 0)
        common = time.perf_counter() - t0
    except StageTimeout:
        emit({"peer": "model", "status": "timeout", "time_s": timeout})
        return
    note(f"peer MILP: {len(milp.lower):,} columns ({sum(milp.integer):,} integer), {len(milp.rows):,} rows, "
         f"{milp.nonzeros:,} nonzeros, {len(milp.families)} families; built from the candidates in {common:.1f} s")
    cpsat = result.cost_millicents if result is not None else None
    for name, (package, fn) in PEERS.items():
        if importlib.util.find_spec(package) is None:
            emit({"peer": name, "status": "skipped", "note": f"package {package} is not installed "
                  "(pip install -e '.[bench]')"})
            continue
        record = run_forked(fn, milp, args.peer_time_limit, max(timeout, args.peer_time_limit + 60))
        emit({"peer": name, "build_s_common": common, "cpsat_millicents": cpsat, **record})


def _vm_rss_mb() -> float:
    """The process's resident size now (VmRSS), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def in_fork(compute: Callable[[], Any], deadline_s: float) -> tuple[Any, str | None]:
    """Run `compute` in a forked process (and process group, so that a solver's helpers go with it) and
    return what it sends back as JSON: (value, None), or (None, "timeout") when it does not answer
    within `deadline_s` (it is killed), or (None, "crashed"). The fork leaves without running any of
    the parent's cleanup, so nothing it fills (solver memos, memory) reaches this process."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setpgid(0, 0)
            os.close(read)
            value = compute()
            with os.fdopen(write, "w") as f:
                json.dump(value, f)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    t0 = time.perf_counter()
    chunks = []
    try:
        with os.fdopen(read) as f:
            while True:
                left = deadline_s - (time.perf_counter() - t0)
                ready, _, _ = select.select([f], [], [], max(0.0, left))
                if not ready:
                    os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return None, "timeout"
                chunk = f.read()
                if not chunk:
                    break
                chunks.append(chunk)
    except BaseException:  # the stage's own timeout (or Ctrl-C): the fork does not outlive it
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    os.waitpid(pid, 0)
    try:
        return json.loads("".join(chunks)), None
    except json.JSONDecodeError:
        return None, "crashed"


def run_forked(fn: Callable[[Milp, float], PeerResult], milp: Milp, limit_s: float, deadline_s: float
               ) -> dict[str, Any]:
    """Run one peer in a forked process of its own (`in_fork`): a solver that does not return in time is
    killed without taking the other peer down, and its memory is its own (peak RSS of the fork minus
    what it shared with this process when it started)."""
    base = _vm_rss_mb()

    def record() -> dict[str, Any]:
        try:
            r = fn(milp, limit_s)
        except MemoryError:
            return {"status": "out of memory", "note": "--memory-limit-gb"}
        except Exception as exc:
            return {"status": "error", "note": f"{type(exc).__name__}: {exc}"[:300]}
        return {"status": r.status, "build_s": r.build_s, "solve_s": r.solve_s,
                "cost_millicents": r.cost_millicents, "bound_dollars": r.bound_dollars,
                "own_gap_pct": r.own_gap_pct, "violation": r.violation,
                "rss_mb": r.rss_mb if r.rss_mb is not None else max(0.0, _rss_mb() - base)}

    value, failure = in_fork(record, deadline_s)
    if failure == "timeout":
        return {"status": "timeout", "note": f"killed after {deadline_s:.0f} s (its time limit is {limit_s:g} s)"}
    if failure == "crashed":
        return {"status": "crashed", "note": "the peer's process ended without a result"}
    return value  # type: ignore[no-any-return]


# --- the parent: one process per size, tables ------------------------------------------------------------


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def run_child(args: argparse.Namespace, n: int) -> dict[str, Any]:
    """Run one size in its own process; relay its notes; return its records."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(n), "--seed", str(args.seed),
           "--stage-timeout", str(args.stage_timeout), "--time-limit", str(args.time_limit),
           "--explain-time-limit", str(args.explain_time_limit), "--peer-time-limit", str(args.peer_time_limit),
           "--memory-limit-gb", str(args.memory_limit_gb)]
    if args.share_cap is not None:
        cmd += ["--share-cap", str(args.share_cap)]
    if not args.constraint_costs:
        cmd.append("--no-constraint-costs")
    if args.explain is not None:
        cmd += ["--explain", args.explain]
    if args.explain_budget is not None:
        cmd += ["--explain-budget", str(args.explain_budget)]
    if args.jobs is not None:
        cmd += ["--jobs", str(args.jobs)]
    if not args.peers:
        cmd.append("--no-peers")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    out: dict[str, Any] = {"n": n, "stages": {}, "peers": [], "notes": []}
    patience = max(args.stage_timeout, args.peer_time_limit + 60) + GRACE_S
    while True:
        try:
            line = lines.get(timeout=patience)
        except queue.Empty:
            print(f"  [{n}] no answer for {patience:.0f} s: killing the size's process group {proc.pid}", flush=True)
            os.killpg(proc.pid, signal.SIGKILL)
            out["notes"].append(f"killed after {patience:.0f} s without a record")
            out["killed"] = True
            break
        if line is None:
            break
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            print(f"  [{n}] {line.rstrip()}", flush=True)
            continue
        if "note" in record and "stage" not in record and "peer" not in record:
            print(f"  [{n}] {record['note']}", flush=True)
            out["notes"].append(record["note"])
        elif "stage" in record:
            out["stages"][record["stage"]] = record
            shown = record.get("label", record["stage"])
            print(f"  [{n}] {shown}: {record['status']}" + (f" in {record['time_s']:.1f} s" if "time_s" in record
                                                           else "") + (f" ({record['detail']})" if record.get(
                                                               "detail") else ""), flush=True)
        elif "peer" in record:
            out["peers"].append(record)
            print(f"  [{n}] peer {record['peer']}: {record['status']}", flush=True)
    code = proc.wait()
    if code not in (0, None) and not out.get("killed"):
        out["notes"].append(f"process ended with code {code}")
        print(f"  [{n}] process ended with code {code} (a crash: later stages did not run)", flush=True)
    return out


COMPLETE = ("ok", "optimal", "feasible", "infeasible", "unknown")
"""Stage statuses that ran to their end (the solve's are SolveResult.status)."""


def _total(run: dict[str, Any]) -> tuple[float, bool]:
    """Total stage time, and whether it is only a lower bound (a stage timed out, failed or was skipped)."""
    total, partial = 0.0, False
    for name in STAGES:
        r = run["stages"].get(name)
        total += r.get("time_s", 0.0) if r else 0.0
        partial = partial or r is None or r["status"] not in COMPLETE or r.get("label", name) != name
    return total, partial


def _stage_row(n: int, name: str, r: dict[str, Any] | None, killed: bool) -> str:
    if r is None or r["status"] == "skipped":
        status = "killed" if r is None and killed else "skipped"
        label = name if r is None else r.get("label", name)
        return f"{n:>6}  {label:<10} {'-':>9} {'-':>8} {'-':>11}  {status:<12} {'':>7}  {(r or {}).get('note', '')}"
    t = r.get("time_s", 0.0)
    shown = f">{t:.1f}" if r["status"] == "timeout" else f"{t:.2f}"
    ratio = r.get("cpu_s", 0.0) / t if t > 0 else 0.0
    gap = _fmt(r.get("gap_pct"), ".3f") if name == "solve" else ""
    detail = r.get("detail") or r.get("error") or ""
    return (f"{n:>6}  {r.get('label', name):<10} {shown:>9} {ratio:>8.2f} {r.get('rss_mb', 0):>11,.0f}  "
            f"{r['status']:<12} {gap:>7}  {detail}")


def _peer_row(n: int, p: dict[str, Any]) -> str:
    if p["status"] in ("skipped", "timeout", "error", "crashed", "out of memory"):
        return f"{n:>6}  {p['peer']:<9} {'':>8} {'':>8}  {p['status']:<24} {p.get('note', '')}"
    base = p.get("cpsat_millicents")
    cost = p.get("cost_millicents")
    ratio = cost / base if base and cost is not None else None
    bound = p["bound_dollars"] * DOLLARS / base if base and p.get("bound_dollars") is not None else None
    dollars = f"{cost / DOLLARS:,.0f}" if cost is not None else "-"
    build = p["build_s"] + p.get("build_s_common", 0.0) if p.get("build_s") is not None else None
    return (f"{n:>6}  {p['peer']:<9} {_fmt(build):>8} {_fmt(p.get('solve_s')):>8}  "
            f"{p['status'][:24]:<24} {_fmt(p.get('own_gap_pct'), '.4f'):>9} {dollars:>12} {_fmt(ratio, '.5f'):>11} "
            f"{_fmt(bound, '.5f'):>12} {_fmt(p.get('violation'), '.0e'):>8} {_fmt(p.get('rss_mb'), ',.0f'):>7}")


@dataclass(frozen=True)
class Target:
    """Issue 11's target for one fleet size: the whole plan's wall time, and where stated the
    solve's gap (0: proven optimal) and the size's peak memory."""

    seconds: float
    gap_pct: float | None = None
    rss_mb: float | None = None

    def __str__(self) -> str:
        parts = [f"<= {self.seconds:g} s"]
        if self.gap_pct == 0:
            parts.append("proven optimal")
        elif self.gap_pct is not None:
            parts.append(f"gap <= {self.gap_pct:g}%")
        if self.rss_mb is not None:
            parts.append(f"peak RSS < {self.rss_mb:,.0f} MB")
        return ", ".join(parts)


TARGETS = {100: Target(5.0), 1000: Target(20.0, gap_pct=0.0), 10000: Target(60.0, gap_pct=1.0, rss_mb=2000.0)}
"""Issue 11's table: a plan with explanations at each size, on 2 cores."""


def _verdict(run: dict[str, Any], target: Target) -> tuple[str, str]:
    """What the size measured against its target, and which parts were met or missed by how much."""
    total, partial = _total(run)
    solve = run["stages"].get("solve") or {}
    rss = max((r.get("rss_mb", 0.0) for r in run["stages"].values() if r), default=0.0)
    gap = solve.get("gap_pct")
    measured = f"{'>=' if partial else ''}{total:,.1f} s, {solve.get('status', 'no solve')}" + \
        (f" (gap {gap:g}%)" if gap is not None and solve.get("status") != "optimal" else "") + f", {rss:,.0f} MB"
    late = total - target.seconds
    parts = [f"time {'met' if late <= 0 and not partial else f'missed by {late:,.0f} s'}"]
    if target.gap_pct == 0:
        parts.append("proof met" if solve.get("status") == "optimal" else "proof missed")
    elif target.gap_pct is not None:
        parts.append(f"gap {'met' if gap is not None and gap <= target.gap_pct else 'missed'}")
    if target.rss_mb is not None:
        parts.append(f"memory {'met' if rss < target.rss_mb else f'missed by {rss - target.rss_mb:,.0f} MB'}")
    return measured, "; ".join(parts)


def print_targets(args: argparse.Namespace, runs: list[dict[str, Any]]) -> None:
    """Issue 11's targets next to what this run measured."""
    from advisor.explain import explain_mode

    rows = [(run, TARGETS[run["n"]]) for run in runs if run["n"] in TARGETS]
    if not rows:
        return
    print()
    print("Targets (issue 11: a plan with explanations, 2 cores; measured on this machine)")
    print(f"{'size':>6}  {'explain':<8} {'target':<44} {'measured':<44} verdict")
    for run, target in rows:
        measured, verdict = _verdict(run, target)
        mode = explain_mode(args.explain or "auto", run["n"])
        print(f"{run['n']:>6}  {mode:<8} {str(target):<44} {measured:<44} {verdict}")


def print_tables(args: argparse.Namespace, runs: list[dict[str, Any]]) -> None:
    print()
    print("Stages (wall time; peak RSS of the size's process so far; cpu/wall > 1 means more than one core busy)")
    print(f"{'size':>6}  {'stage':<10} {'time s':>9} {'cpu/wall':>8} {'peak RSS MB':>11}  {'status':<12} "
          f"{'gap %':>7}  detail")
    for run in runs:
        for name in STAGES:
            print(_stage_row(run["n"], name, run["stages"].get(name), bool(run.get("killed"))))
        total, partial = _total(run)
        print(f"{run['n']:>6}  {'total':<10} {('>=' if partial else '') + f'{total:.2f}':>9}")
    print_targets(args, runs)
    if len(runs) > 1:
        print()
        print("Growth exponent of total time, log(t2/t1)/log(n2/n1); per stage where both sizes completed it")
        for a, b in zip(runs, runs[1:], strict=False):
            (t1, p1), (t2, p2) = _total(a), _total(b)
            if t1 > 0 and t2 > 0:
                k = math.log(t2 / t1) / math.log(b["n"] / a["n"])
                print(f"  {a['n']} -> {b['n']}: {k:.2f}  (total {t1:.1f} s -> {t2:.1f} s)"
                      + ("; not comparable: a total includes a timeout, a cut-down or skipped stage" if p1 or p2
                         else ""))
            for name in STAGES:
                ra, rb = a["stages"].get(name), b["stages"].get(name)
                if ra and rb and ra["status"] in COMPLETE and rb["status"] in COMPLETE \
                        and ra.get("label", name) == rb.get("label", name) and ra["time_s"] > 0 and rb["time_s"] > 0:
                    k = math.log(rb["time_s"] / ra["time_s"]) / math.log(b["n"] / a["n"])
                    print(f"      {ra.get('label', name):<10} {k:.2f}")
    if not args.peers:
        return
    from advisor.solver.model import SUBSOLVERS

    print()
    print(f"Peers on the same option set (MILP written by this benchmark from candidates.options; 1 thread each, "
          f"time limit {args.peer_time_limit:g} s, relative gap 0). CP-SAT: the planner's solve in the same run, "
          f"its own settings ({SUBSOLVERS} interleaved subsolvers, deterministic limit {args.time_limit:g}, "
          f"exact option reductions first). Ratios are against CP-SAT's cost; max viol: largest relative row "
          f"violation of the peer's plan with integers rounded.")
    print(f"{'size':>6}  {'solver':<9} {'build s':>8} {'solve s':>8}  {'status':<24} {'own gap %':>9} "
          f"{'cost $/month':>12} {'cost/CP-SAT':>11} {'bound/CP-SAT':>12} {'max viol':>8} {'RSS MB':>7}")
    for run in runs:
        n = run["n"]
        r = run["stages"].get("solve")
        if r and r["status"] != "skipped":
            cost = r.get("cost_millicents")
            dollars = f"{cost / DOLLARS:,.0f}" if cost is not None else "-"
            bound = r.get("bound_millicents")
            ratio = _fmt(bound / cost, ".5f") if cost and bound is not None else "-"
            print(f"{n:>6}  {'CP-SAT':<9} {'':>8} {_fmt(r.get('time_s')):>8}  {r['status']:<24} "
                  f"{_fmt(r.get('gap_pct'), '.4f'):>9} {dollars:>12} {'1' if cost else '-':>11} {ratio:>12} "
                  f"{'':>8} {r.get('rss_mb', 0):>7,.0f}")
        for p in run["peers"]:
            print(_peer_row(n, p))


def _source() -> str:
    """Which advisor is measured: its directory, commit, and whether advisor/ has uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "advisor"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head, dirty = "", ""
    if not head:
        return f"advisor from {root} (not a git checkout)"
    return f"advisor from {root} at {head}" + (f" plus uncommitted changes in {len(dirty.splitlines())} files"
                                               if dirty else "")


def _versions() -> str:
    import importlib.metadata as md

    parts = [f"Python {platform.python_version()}", f"{os.cpu_count()} cores"]
    for package in ("ortools", "highspy", "pulp"):
        try:
            parts.append(f"{package} {md.version(package)}")
        except md.PackageNotFoundError:
            parts.append(f"{package} not installed")
    return ", ".join(parts)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Fleet-scale benchmark of the advisor (see the module docstring).")
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], metavar="N")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quick", action="store_true",
                   help="smoke check: one fleet of 20 and short limits (stage 25 s, planner 5, explain 1, peers 5 s)")
    p.add_argument("--stage-timeout", type=float, default=300.0, metavar="S", help="wall seconds per stage")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S",
                   help="the planner's main solve (deterministic seconds, as `advisor plan --time-limit`)")
    p.add_argument("--explain-time-limit", type=float, default=10.0, metavar="S",
                   help="each counterfactual solve (as `advisor plan --explain-time-limit`)")
    p.add_argument("--no-constraint-costs", dest="constraint_costs", action="store_false",
                   help="skip pricing each constraint (as `advisor plan --no-constraint-costs`)")
    p.add_argument("--explain", default=None, metavar="MODE",
                   help="explanation mode passed to make_plan, e.g. full, summary, none (default: the planner's)")
    p.add_argument("--explain-budget", type=float, default=None, metavar="S",
                   help="deterministic seconds for all counterfactual solves together (default: the planner's)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="threads for counterfactual solves, as `advisor plan --jobs` (default: the planner's, 1)")
    p.add_argument("--peer-time-limit", type=float, default=60.0, metavar="S", help="wall seconds per peer solve")
    p.add_argument("--no-peers", dest="peers", action="store_false", help="skip the HiGHS and CBC peers")
    p.add_argument("--share-cap", type=float, default=None, metavar="PCT",
                   help="max_provider_share_pct (default: 85%% of the cheapest-alone plan's largest share, 30-60)")
    p.add_argument("--memory-limit-gb", type=float, default=16.0, metavar="GB",
                   help="address-space limit of each size's process (0: none)")
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = [20]
        args.stage_timeout, args.time_limit, args.explain_time_limit, args.peer_time_limit = 25.0, 5.0, 1.0, 5.0
    return args


def main(argv: list[str]) -> None:
    args = parse(argv)
    if args.child is not None:
        global PROTOCOL
        PROTOCOL = os.fdopen(os.dup(1), "w")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        run_size(args)
        return
    print(f"bench_fleet: seed {args.seed}, sizes {' '.join(map(str, args.sizes))}; stage timeout "
          f"{args.stage_timeout:g} s; planner time limit {args.time_limit:g} (deterministic s), explain "
          f"{args.explain_time_limit:g}, constraint costs {'on' if args.constraint_costs else 'off'}, explain mode "
          f"{args.explain or 'default'}, explain budget {args.explain_budget or 'default'}, "
          f"jobs {args.jobs or 'default'}; peers "
          + (f"{args.peer_time_limit:g} s, 1 thread" if args.peers else "off") + f"; {_versions()}", flush=True)
    print(_source(), flush=True)
    runs = []
    for n in args.sizes:
        print(f"size {n}:", flush=True)
        runs.append(run_child(args, n))
    print_tables(args, runs)


if __name__ == "__main__":
    main(sys.argv[1:])
