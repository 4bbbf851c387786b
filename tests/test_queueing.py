"""Queueing at a loaded replica (advisor.estimate.queueing) and the load real-time plans run at.

The Erlang C figures are checked against textbook closed forms and against a simulation of the
queue that shares no code with the module; the planned load against MLPerf Inference's server
scenario, whose results state how much of the offline rate a system keeps under latency limits.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from pathlib import Path

import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.estimate.llm import serving_points
from advisor.estimate.queueing import MAX_UTILISATION, UTILISATION_STEP, planned_utilisation, wait_probability, wait_s
from advisor.estimate.sizing import size
from advisor.workload.models import ModelSpec, RealtimeInference

CATALOG = load_catalog()
RECORDS = {r["id"]: r for r in yaml.safe_load(
    (Path(__file__).parent / "data" / "published_results.yaml").read_text())["results"]}


def test_one_slot_waits_with_the_probability_of_its_load():
    # M/M/1: an arrival waits exactly when the server is busy, which it is a share rho of the time
    for rho in (0.1, 0.5, 0.9):
        assert wait_probability(1, rho) == pytest.approx(rho)


def test_two_slots_match_the_closed_form():
    # c = 2, offered load a = 1: C = (a^2/2! * 2/(2-1)) / (1 + a + a^2/2! * 2/(2-1)) = 1/3
    assert wait_probability(2, 0.5) == pytest.approx(1 / 3)


def test_thousands_of_slots_stay_finite():
    # the textbook a^c / c! overflows at a few hundred slots; the recursion does not
    assert 0.0 < wait_probability(4096, 0.99) < 1.0
    assert wait_probability(4096, 0.5) < 1e-12


def test_one_slot_p95_wait_is_the_closed_form():
    # M/M/1: P(wait > t) = rho exp(-mu (1 - rho) t); at rho 0.8 and 1 s service: ln(0.8/0.05)/0.2 s
    assert wait_s(1, 1.0, 0.8) == pytest.approx(math.log(16) / 0.2)
    assert wait_s(1, 1.0, 0.04) == 0.0  # 96% of arrivals find the server idle


def _simulated_p95_wait(slots: int, service_s: float, utilisation: float, requests: int = 1_000_000) -> float:
    """The p95 wait of a first-come, first-served queue with Poisson arrivals and exponential
    service, simulated (seeded)."""
    rng = random.Random(1)
    rate = utilisation * slots / service_s
    free = [0.0] * slots  # when each slot is next free
    heapq.heapify(free)
    now, waits = 0.0, []
    for _ in range(requests):
        now += rng.expovariate(rate)
        start = max(now, heapq.heappop(free))
        waits.append(start - now)
        heapq.heappush(free, start + rng.expovariate(1 / service_s))
    waits = sorted(waits[requests // 10:])  # the queue starts empty: the first tenth warms it up
    return waits[int(0.95 * len(waits))]


@pytest.mark.parametrize(("slots", "utilisation"), [(1, 0.7), (8, 0.85), (64, 0.95)])
def test_p95_wait_agrees_with_a_simulated_queue(slots, utilisation):
    simulated = _simulated_p95_wait(slots, 2.0, utilisation)
    assert wait_s(slots, 2.0, utilisation) == pytest.approx(simulated, rel=0.1)


def test_planned_utilisation_is_the_highest_step_within_the_slack():
    u = planned_utilisation(8, 1.0, 0.5)
    assert wait_s(8, 1.0, u) <= 0.5 < wait_s(8, 1.0, round(u + UTILISATION_STEP, 6))
    assert round(u / UTILISATION_STEP, 9) == round(u / UTILISATION_STEP)


def test_no_load_fits_a_negative_slack_and_sizing_never_divides_by_it():
    # sizing skips (LLM points) or rules out (fixed-cost models) a utilisation of 0 rather than
    # dividing the peak by a zero rate
    assert planned_utilisation(4, 1.0, -0.001) == 0.0
    assert planned_utilisation(1, 1.0, 0.0) == UTILISATION_STEP  # one slot at 5%: 95% of arrivals never wait


def test_without_an_objective_on_the_wait_a_replica_runs_at_the_ceiling():
    assert planned_utilisation(1, 10.0, None) == MAX_UTILISATION


def test_more_slack_never_plans_less_load():
    loads = [planned_utilisation(16, 1.0, slack) for slack in (0.0, 0.05, 0.2, 1.0, 10.0)]
    assert loads == sorted(loads)


def _chat(ttft_ms: float) -> RealtimeInference:
    return RealtimeInference.model_validate({
        "name": "chat", "kind": "realtime-inference",
        "model": {"name": "llama-3-70b", "params_b": 70, "precision": "fp8"},
        "traffic": {"peak_rps": 100, "input_tokens": 1000, "output_tokens": 250, "users": {"us-east": 1.0}},
        "slo": {"ttft_ms": ttft_ms, "tpot_ms": 60}})


def test_a_real_time_replica_is_planned_below_its_rate_and_its_ttft_includes_the_wait():
    offering = CATALOG.offerings["aws:p5.48xlarge"]
    accelerator = CATALOG.accelerators[offering.accelerator]
    tight, loose = size(_chat(1500), offering, accelerator, 10.0), size(_chat(20_000), offering, accelerator, 10.0)
    for sizing in (tight, loose):
        assert sizing.utilisation is not None and sizing.queue_wait_ms is not None
        assert sizing.ttft_ms is not None and sizing.ttft_ms + 10.0 <= _chat(1500).slo.ttft_ms or sizing is loose
    assert tight.utilisation is not None and loose.utilisation is not None
    assert tight.utilisation < loose.utilisation == MAX_UTILISATION
    assert tight.instances >= loose.instances
    # the planned rate is the replica's rate at that load
    assert tight.throughput_per_instance == pytest.approx(
        tight.utilisation * loose.throughput_per_instance / loose.utilisation, rel=0.05)


SERVER_PAIRS = sorted((i, i.replace("server", "offline")) for i, r in RECORDS.items()
                      if r["kind"] == "inference-server" and "interactive" not in i
                      and i.replace("server", "offline") in RECORDS)
"""MLPerf Inference Llama 2 70B Server results with the Offline result of the same system and round."""
SERVER_RATIO_TOLERANCE = 0.12
"""How far the model's share of the offline rate kept under the server limits may be from the
published one, relative (docs/PERFORMANCE_MODEL.md, "Queueing")."""


def server_share(rec: dict, input_tokens: int) -> float:
    """The model's server rate over its offline rate on the record's system: the best point within
    the TPOT limit at the load whose p99 wait keeps the TTFT limit, against the best point at full load."""
    model = ModelSpec(name=rec["model"], params_b=rec["params_b"], precision=rec["precision"])
    count = rec["accelerator_count"]
    points = serving_points(model, CATALOG.accelerators[rec["accelerator"]], count, input_tokens,
                            rec["output_tokens"], count)
    offline = max((count // p.tp) * p.tokens_per_s for p in points)
    server = max((count // p.tp) * p.tokens_per_s * planned_utilisation(
        p.batch, p.latency_ms / 1000, (rec["ttft_limit_ms"] - p.ttft_ms) / 1000, quantile=0.99)
        for p in points if p.tpot_ms <= rec["tpot_limit_ms"] and p.ttft_ms <= rec["ttft_limit_ms"])
    return server / offline


def test_there_are_server_and_offline_pairs():
    assert len(SERVER_PAIRS) >= 5


@pytest.mark.parametrize(("server_id", "offline_id"), SERVER_PAIRS)
@pytest.mark.parametrize("input_tokens", [512, 768, 1024])
def test_server_scenario_keeps_the_published_share_of_offline(server_id, offline_id, input_tokens):
    # The dataset's mean input length is not published (tests/data/mlperf_dataset_stats.yaml): the
    # check holds over the range it can take (inputs are capped at 1,024 tokens).
    published = RECORDS[server_id]["value"] / RECORDS[offline_id]["value"]
    modelled = server_share(RECORDS[server_id], input_tokens)
    assert modelled <= MAX_UTILISATION + 1e-9
    assert abs(modelled - published) / published <= SERVER_RATIO_TOLERANCE, \
        f"{server_id} at {input_tokens} input tokens: modelled {modelled:.3f}, published {published:.3f}"


def test_reports_state_the_planned_load_and_wait_of_real_time_placements_only(run_cli):
    from conftest import CATALOG_ARGS, WORKLOADS

    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)["assignments"]
    for a in rows:
        e = a["estimate"]
        if a["kind"] == "realtime-inference":
            assert 0 < e["utilisation_pct"] <= 100 * MAX_UTILISATION and e["queue_wait_ms"] >= 0
            assert e["compute_latency_ms"] >= e["queue_wait_ms"]
        else:
            assert e["utilisation_pct"] is None and e["queue_wait_ms"] is None
    assert any(a["kind"] == "realtime-inference" for a in rows) and any(a["kind"] != "realtime-inference" for a in rows)
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    realtime = next(a for a in rows if a["kind"] == "realtime-inference")
    assert "| Load / p95 wait |" in md and f"| {realtime['estimate']['utilisation_pct']:.0f}% / " in md
