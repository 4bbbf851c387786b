"""Never a wrong report (issue #7): objectives, network round trips, fabrics and TPU slices.

Each test pins a case where an earlier version produced a plan that looked right and was not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from advisor.catalog import load_catalog
from advisor.catalog.models import CatalogMeasurement
from advisor.estimate import Sizing, Unfit, size
from advisor.problems import InputError
from advisor.verify import _latency_violations
from advisor.workload.models import WORKLOAD_MODELS, Measurement

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small-catalog"
TOKYO = "locations:\n  - {name: asia-east, city: Tokyo, lat: 35.68, lon: 139.69, jurisdiction: jp}\n"


@pytest.fixture(scope="module")
def small():
    return load_catalog([SMALL], include_shipped=False)


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def _chat(slo: dict, measured: list[dict] | None = None, users: dict | None = None):
    return WORKLOAD_MODELS["realtime-inference"].model_validate({
        "name": "chat", "kind": "realtime-inference", "model": {"name": "chat-8b", "params_b": 8},
        "traffic": {"peak_rps": 10, "input_tokens": 500, "output_tokens": 100, "users": users or {"us-east": 1.0}},
        "slo": slo, "measured": measured or []})


def _training(tokens_b: float, params_b: float = 7, deadline_days: float = 1, measured: list | None = None):
    return WORKLOAD_MODELS["training"].model_validate({
        "name": "t", "kind": "training", "model": {"name": "m", "params_b": params_b},
        "tokens_b": tokens_b, "deadline_days": deadline_days, "measured": measured or []})


def _size(w, catalog, offering: str, rtt: float | None = None) -> Sizing:
    o = catalog.offerings[offering]
    return size(w, o, catalog.accelerators[o.accelerator], rtt)


# 1. measured figures answer every objective, or the option is ruled out


SLOW = [{"accelerator": "gpu-a", "requests_per_s": 5, "latency_ms": 9000, "source": "load test"}]


def test_measured_p95_alone_cannot_pass_a_ttft_objective(small):
    with pytest.raises(Unfit) as err:
        _size(_chat({"ttft_ms": 150, "tpot_ms": 5}, SLOW), small, "alpha:a1", 2.0)
    assert err.value.rule == "latency_slo" and "TTFT" in err.value.reason and "ttft_ms" in err.value.reason


def test_measured_p95_alone_cannot_pass_a_tpot_objective(small):
    with pytest.raises(Unfit) as err:
        _size(_chat({"tpot_ms": 5}, SLOW), small, "alpha:a1", 2.0)
    assert "TPOT" in err.value.reason


def test_measured_ttft_and_tpot_within_the_objectives_are_used(small):
    fast = [{"accelerator": "gpu-a", "requests_per_s": 5, "ttft_ms": 100, "tpot_ms": 4, "source": "load test"}]
    s = _size(_chat({"ttft_ms": 150, "tpot_ms": 5}, fast), small, "alpha:a1", 2.0)
    assert s.basis == "measured" and s.ttft_ms == 100 and s.tpot_ms == 4


def test_measured_ttft_over_the_objective_is_ruled_out(small):
    slow_first_token = [{"accelerator": "gpu-a", "requests_per_s": 5, "ttft_ms": 149, "tpot_ms": 4,
                         "source": "load test"}]
    with pytest.raises(Unfit) as err:  # 149 ms + 2 ms of network > 150 ms
        _size(_chat({"ttft_ms": 150, "tpot_ms": 5}, slow_first_token), small, "alpha:a1", 2.0)
    assert "measured TTFT 149 ms" in err.value.reason


def test_measurement_without_latency_cannot_pass_a_p95_objective(small):
    no_latency = [{"accelerator": "gpu-a", "requests_per_s": 5, "source": "load test"}]
    with pytest.raises(Unfit) as err:
        _size(_chat({"p95_latency_ms": 5000}, no_latency), small, "alpha:a1", 2.0)
    assert "p95 latency" in err.value.reason


def test_catalog_measurements_carry_ttft_and_tpot():
    m = CatalogMeasurement.model_validate({"model": "m", "accelerator": "gpu-a", "requests_per_s": 2,
                                           "ttft_ms": 90, "tpot_ms": 3, "source": "bench", "as_of": "2026-01-01"})
    assert (m.ttft_ms, m.tpot_ms) == (90, 3)


def _plan_json(tmp_path: Path, workload: str, *layers: Path) -> tuple[int, dict]:
    from advisor.cli import main

    workloads = _write(tmp_path / "w", "w.yaml", workload)
    out = tmp_path / "plan.json"
    args = ["plan", str(workloads), "--catalog", str(SMALL)]
    for layer in layers:
        args += ["--catalog", str(layer)]
    code = main([*args, "--no-shipped-catalog", "-q", "-o", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8"))


CHAT_YAML = """name: chat
kind: realtime-inference
model: {name: chat-8b, params_b: 8}
traffic: {peak_rps: 10, input_tokens: 500, output_tokens: 100, users: {us-east: 1.0}}
slo: {ttft_ms: 150, tpot_ms: 5}
constraints: {accelerators: [gpu-a]}
measured:
"""


def test_cli_rules_out_a_9000_ms_measurement_under_ttft_and_tpot_objectives(tmp_path):
    code, plan = _plan_json(tmp_path, CHAT_YAML + "  - {accelerator: gpu-a, requests_per_s: 5, latency_ms: 9000, "
                                                  "source: load test}\n")
    assert code == 1 and plan["status"] == "infeasible"
    reasons = json.dumps(plan["infeasibility"])
    assert "TTFT" in reasons and "ttft_ms" in reasons


def test_cli_reports_measured_ttft_and_tpot(tmp_path):
    code, plan = _plan_json(tmp_path, CHAT_YAML + "  - {accelerator: gpu-a, requests_per_s: 5, ttft_ms: 100, "
                                                  "tpot_ms: 4, source: load test}\n")
    assert code == 0
    chosen = plan["assignments"][0]
    assert chosen["estimate"]["basis"] == "measured"
    assert chosen["estimate"]["ttft_ms"] == 100 and chosen["estimate"]["tpot_ms"] == 4
    assert chosen["tpot_ms"] == 4 and chosen["ttft_ms"] == pytest.approx(100 + chosen["network_rtt_ms"], abs=0.1)


def test_checker_flags_an_objective_without_a_figure():
    w = _chat({"ttft_ms": 150, "tpot_ms": 5})
    blank = Sizing(instances=1, busy_hours_per_month=730, devices_per_replica=1, throughput_per_instance=1,
                   throughput_unit="requests/s", memory_per_device_gb=0, compute_latency_ms=9000)
    found = _latency_violations("chat", w, blank, 2.0)
    assert any("TTFT" in v for v in found) and any("TPOT" in v for v in found)


# 17. measured figures in sane ranges; sizing never overflows


@pytest.mark.parametrize("figure", ["requests_per_s", "tokens_per_s_per_device", "latency_ms", "ttft_ms", "tpot_ms"])
def test_denormal_measured_figures_are_input_errors(figure):
    with pytest.raises(ValidationError):
        Measurement.model_validate({"accelerator": "gpu-a", "requests_per_s": 1, figure: 5e-324, "source": "x y"})
    with pytest.raises(ValidationError):
        CatalogMeasurement.model_validate({"model": "m", "accelerator": "gpu-a", "requests_per_s": 1,
                                           figure: 5e-324, "source": "x y", "as_of": "2026-01-01"})


def test_a_tiny_rate_is_a_capacity_refusal_not_an_overflow(small):
    tiny = Measurement.model_construct(accelerator="gpu-a", devices_per_replica=1, requests_per_s=5e-324,
                                       latency_ms=10.0, ttft_ms=None, tpot_ms=None, tokens_per_s_per_device=None,
                                       source="typo")
    w = _chat({"p95_latency_ms": 5000}).model_copy(update={"measured": [tiny]})
    with pytest.raises(Unfit) as err:
        _size(w, small, "alpha:a1", 2.0)
    assert err.value.rule == "capacity"
    slow = Measurement.model_construct(accelerator="gpu-a", devices_per_replica=1, requests_per_s=None,
                                       latency_ms=None, ttft_ms=None, tpot_ms=None, tokens_per_s_per_device=5e-324,
                                       source="typo")
    with pytest.raises(Unfit) as err:
        _size(_training(1).model_copy(update={"measured": [slow]}), small, "alpha:a8")
    assert err.value.rule == "capacity"


# 2. a bought server stands somewhere; an unknown round trip is never 0 ms


UNSITED = """offerings:
  - provider: alpha
    name: rack
    accelerator: gpu-a
    accelerator_count: 8
    regions: []
    source: our purchase
    as_of: 2026-01-01
    purchase: {unit_price_usd: 200000, lifetime_months: 48, power_w: 6000, electricity_usd_per_kwh: 0.1,
               source: our purchase, as_of: 2026-01-01}
"""


def test_catalog_refuses_a_bought_server_without_a_site(tmp_path):
    layer = _write(tmp_path / "layer", "rack.yaml", UNSITED)
    with pytest.raises(InputError) as err:
        load_catalog([SMALL, layer], include_shipped=False)
    (problem,) = err.value.problems
    assert problem.file.endswith("rack.yaml") and problem.line == 6  # at the empty `regions:` of the record
    assert "must list the regions (sites)" in problem.message


def test_edge_devices_still_stand_at_the_workloads_sites(small):
    assert small.offerings["edge:e1"].regions == []


def test_unknown_round_trip_rules_a_realtime_service_out(small):
    with pytest.raises(Unfit) as err:
        _size(_chat({"p95_latency_ms": 5000}), small, "alpha:a1", None)
    assert err.value.rule == "latency_slo" and "unknown" in err.value.reason


def test_checker_refuses_a_realtime_placement_without_a_located_site(small):
    """The checker never counts an unknown round trip as 0 ms (here: a region record without coordinates)."""
    from advisor.plan import Assignment
    from advisor.verify import _check_assignment
    from advisor.workload.models import Policy

    a = Assignment.model_validate({
        "workload": "chat", "kind": "realtime-inference", "team": "default", "provider": "alpha", "region": "us-1",
        "jurisdiction": None, "instance": "a1", "instances": 1, "accelerator": "gpu-a", "accelerator_count": 1,
        "pricing": "on_demand", "hourly_usd": 2.0, "monthly_cost_usd": 1460.0, "annual_cost_usd": 17520.0,
        "estimate": {"basis": "roofline", "basis_source": "x", "devices_per_replica": 1,
                     "throughput_per_instance": 1, "throughput_unit": "requests/s", "memory_per_device_gb": 1,
                     "busy_hours_per_month": 730},
        "price_source": "x", "price_as_of": "2026-01-01", "price_is_estimate": False})
    unlocated = small.model_copy(update={"regions": {k: r for k, r in small.regions.items() if k != "alpha:us-1"}})
    found = _check_assignment(_chat({"p95_latency_ms": 5000}), a, Policy(kind="policy"), unlocated)
    assert any("no known location" in v for v in found)


# 9. the fabric rule reads the bandwidth, not the label


def test_a3_mega_joins_a_multi_node_job(shipped):
    s = _size(_training(300), shipped, "gcp:a3-megagpu-8g")
    assert s.instances > 1 and "1600 Gbps" in (s.layout or "")


def test_a_100_gbps_server_is_refused_with_its_bandwidth(shipped):
    with pytest.raises(Unfit) as err:
        _size(_training(300), shipped, "gcp:a2-highgpu-8g")
    assert err.value.rule == "fabric" and "100 Gbps" in err.value.reason
    assert "12.5 Gbps per accelerator" in err.value.reason


def test_unknown_bandwidth_cannot_join_a_multi_node_job(shipped):
    with pytest.raises(Unfit) as err:
        _size(_training(300), shipped, "lambda:gpu_8x_h100_sxm5")
    assert err.value.rule == "fabric" and "not known" in err.value.reason


def test_one_instance_needs_no_fabric(shipped):
    assert _size(_training(0.5), shipped, "lambda:gpu_8x_h100_sxm5").instances == 1


# 10. TPU hosts join into real slice shapes; slices talk over the data-centre network


def _v5e_chips(tokens_b: float, shipped) -> int:
    s = _size(_training(tokens_b), shipped, "gcp:tpu-v5litepod-8")
    return s.instances * 8


def test_a_120_chip_v5e_job_is_one_128_chip_slice(shipped):
    per_chip_day = _size(_training(1, deadline_days=365), shipped, "gcp:tpu-v5litepod-8").throughput_per_instance / 8
    tokens_b = 115 * per_chip_day * 86_400 / 1e9  # the deadline needs 115 chips: 15 hosts
    s = _size(_training(tokens_b), shipped, "gcp:tpu-v5litepod-8")
    assert s.instances == 16 and s.devices_per_replica == 128
    assert s.layout == "one 128-chip ICI slice (16 x tpu-v5litepod-8)"


def test_a_v5e_job_beyond_one_pod_runs_as_slices_over_the_data_centre_network(shipped):
    per_chip_day = _size(_training(1, deadline_days=365), shipped, "gcp:tpu-v5litepod-8").throughput_per_instance / 8
    s = _size(_training(300 * per_chip_day * 86_400 / 1e9), shipped, "gcp:tpu-v5litepod-8")
    assert s.devices_per_replica == 512  # the fewest slices: two whole 256-chip pods
    assert "2 slices of 256 chips" in (s.layout or "") and "data-centre network" in (s.layout or "")


def test_sub_host_tpu_slices_do_not_join(shipped):
    with pytest.raises(Unfit) as err:
        _size(_training(300), shipped, "gcp:tpu-v5litepod-1")
    assert err.value.rule == "fabric"


# 11. the slowest user location decides the p95; the report says who and how much traffic


def test_infeasibility_names_the_far_location_and_its_share(tmp_path):
    layer = _write(tmp_path / "tokyo", "locations.yaml", TOKYO)
    service = ("name: detect\nkind: realtime-inference\n"
               "model: {name: detector, params_m: 10, gflops_per_inference: 20, precision: int8}\n"
               "traffic: {peak_rps: 2, users: {us-east: 0.99, asia-east: 0.01}}\nslo: {p95_latency_ms: 100}\n")
    code, plan = _plan_json(tmp_path, service, layer)
    assert code == 1
    latency = [g for e in plan["infeasibility"]["workloads_without_options"] for g in e["reasons"]
               if g["rule"] == "latency_slo"]
    assert latency and "asia-east (1% of traffic)" in latency[0]["closest"]
    assert "others need a region within reach" in latency[0]["closest"]
    assert "users in asia-east" in plan["infeasibility"]["message"]
