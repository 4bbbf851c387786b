"""Benchmark: the own optima of workloads with a traffic profile, the hardest models CP-SAT proves alone.

Usage: python bench/bench_profiled.py [--limit SECONDS]   (default limit: 10, the explanations' limit)

The cases are the profiled services of bench_scale's 60-workload fleet (seed 7, `--profiles`), and
the shipped chat assistant as the plan and its counterfactuals see it: with its min_replicas,
without it, and with each workload rule it meets lifted (jurisdiction, latency_slo, portable).
Each own optimum is solved from an empty memo, as the first solve of a run does. The script
prints each case's wall time, status and cost, and the total: docs/PERFORMANCE.md compares
CP-SAT settings with it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench_scale import POLICIES, synthetic

from advisor.candidates import CandidateSet, build_candidates
from advisor.catalog import load_catalog
from advisor.solver import ledger as solver_ledger
from advisor.solver import model as solver_model
from advisor.topology import Topology
from advisor.workload.loader import expand_paths, load_inputs
from advisor.workload.models import Policy

EXAMPLES = Path(__file__).resolve().parent.parent / "workloads"
CHAT = "chat-assistant"


def cases(catalog, topology) -> list[tuple[str, CandidateSet, Policy, str, list[str]]]:
    """(label, candidates, policy, workload, its own families) for every case."""
    out: list[tuple[str, CandidateSet, Policy, str, list[str]]] = []
    policy = Policy.model_validate(POLICIES["none"])
    fleet = build_candidates(synthetic(60, profiles=True), policy, catalog, topology)
    out += [(w, fleet, policy, w, []) for w in sorted(fleet.options) if w in fleet.levels]
    inputs = load_inputs(expand_paths([EXAMPLES]), catalog)
    shipped = inputs.policy.with_catalog(catalog)
    chat = [w for w in inputs.workloads if w.name == CHAT]
    for rule in ("", "jurisdiction", "latency_slo", "portable"):
        candidates = build_candidates(chat, shipped, catalog, topology, frozenset({rule} - {""}))
        out.append((f"{CHAT} {rule or 'as planned'}", candidates, shipped, CHAT, [f"replicas:{CHAT}"]))
        if not rule:
            out.append((f"{CHAT} without min_replicas", candidates, shipped, CHAT, []))
    return out


def main(argv: list[str]) -> None:
    limit = float(argv[argv.index("--limit") + 1]) if "--limit" in argv else 10.0
    catalog = load_catalog()
    topology = Topology(catalog)
    total = 0.0
    unproven = 0
    for label, candidates, policy, w, own in cases(catalog, topology):
        solver_ledger.forget_all()
        started = time.perf_counter()
        result = solver_model._own_optimum(candidates, policy, w, own, None, limit, False, False)
        took = time.perf_counter() - started
        total += took
        unproven += result.status != "optimal"
        cost = "-" if result.cost_cents is None else f"${result.cost_cents / 100:,.2f}"
        print(f"{label:<36} {len(candidates.options[w]):>5} options  {took:6.2f} s  {result.status:<9} {cost}",
              flush=True)
    print(f"total {total:.2f} s, {unproven} not proven within {limit:g} s of solver work")


if __name__ == "__main__":
    main(sys.argv[1:])
