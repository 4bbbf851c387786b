"""Measured figures win over the roofline estimate, from a workload or from a catalog layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.catalog import load_catalog
from advisor.cli import main
from advisor.estimate import Unfit, size
from advisor.problems import InputError
from advisor.workload.models import WORKLOAD_MODELS

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "small-catalog"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([SMALL], include_shipped=False)


def chat(**extra):
    return WORKLOAD_MODELS["realtime-inference"].model_validate({
        "name": "chat", "kind": "realtime-inference",
        "model": {"name": "chat-8b", "params_b": 8},
        "traffic": {"peak_rps": 120, "input_tokens": 500, "output_tokens": 100, "users": {"us-east": 1.0}},
        "slo": {"p95_latency_ms": 5000}, **extra})


def test_workload_measurement_replaces_the_estimate(catalog):
    measured = chat(measured=[{"accelerator": "gpu-a", "requests_per_s": 40, "latency_ms": 800,
                               "source": "our load test"}])
    s = size(measured, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"], 10)
    assert s.basis == "measured"
    assert s.throughput_per_instance == 40 and s.instances == 3  # 120 rps / 40
    assert s.compute_latency_ms == 800
    assert size(chat(), catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"], 10).basis == "roofline"


def test_measured_latency_over_the_slo_rules_the_option_out(catalog):
    slow = chat(measured=[{"accelerator": "gpu-a", "requests_per_s": 40, "latency_ms": 4995, "source": "x test"}])
    with pytest.raises(Unfit) as err:
        size(slow, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"], 10)
    assert err.value.rule == "latency_slo" and "measured" in err.value.reason


def test_training_measurement_sets_the_rate(catalog):
    w = WORKLOAD_MODELS["training"].model_validate({
        "name": "t", "kind": "training", "model": {"name": "m", "params_b": 1}, "tokens_b": 1, "deadline_days": 3,
        "measured": [{"accelerator": "gpu-a", "tokens_per_s_per_device": 10_000, "source": "our run"}]})
    s = size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"])
    assert s.basis == "measured" and s.mfu is None
    # the measured rate holds its steps' overhead: only the interruption share of one GPU is added
    assert s.job_hours == pytest.approx(1e9 / 10_000 / (1 - 0.1 / 16_384) / 3600)
    assert "steps" not in s.basis_source


def test_catalog_layer_measurement_reaches_the_report(tmp_path):
    workloads = tmp_path / "w"
    workloads.mkdir()
    text = (FIXTURES / "workloads" / "chat.yaml").read_text()
    (workloads / "chat.yaml").write_text(text.replace("constraints: {", "constraints: {accelerators: [gpu-a], "),
                                         encoding="utf-8")
    args = ["plan", str(workloads), "--catalog", str(SMALL), "--catalog", str(FIXTURES / "layers" / "measured"),
            "--no-shipped-catalog", "-q"]
    out, md = tmp_path / "plan.json", tmp_path / "plan.md"
    assert main([*args, "-o", str(out)]) == 0 and main([*args, "-o", str(md)]) == 0
    chosen = json.loads(out.read_text())["assignments"][0]
    assert chosen["accelerator"] == "gpu-a"
    assert chosen["estimate"]["basis"] == "measured"
    assert chosen["estimate"]["throughput_per_instance"] == 50
    assert chosen["estimate"]["basis_source"] == "team benchmark (test fixture)"
    assert "| chat | measured |" in md.read_text()


def test_measurement_with_unknown_accelerator_is_an_input_error(tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "m.yaml").write_text("measurements:\n  - model: x\n    accelerator: gpu-zz\n    requests_per_s: 1\n"
                                  "    source: bench\n    as_of: 2026-01-01\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_catalog([SMALL, layer], include_shipped=False)
    assert "m.yaml:3:18" in str(err.value) and "unknown accelerator 'gpu-zz'" in str(err.value)


def test_a_catalog_layer_measurement_carries_ttft_and_tpot_to_the_workload(tmp_path):
    """TTFT and TPOT measured in a catalog layer must reach sizing (they used to be dropped)."""
    from advisor.candidates import with_catalog_measurements
    from advisor.catalog import load_catalog
    from advisor.workload.models import WORKLOAD_MODELS

    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "m.yaml").write_text(
        "measurements:\n  - {model: chat-8b, accelerator: gpu-a, requests_per_s: 50, latency_ms: 900, "
        "ttft_ms: 120, tpot_ms: 9, source: team benchmark, as_of: 2026-01-01}\n", encoding="utf-8")
    fixtures = Path(__file__).parent / "fixtures" / "small-catalog"
    catalog = load_catalog([fixtures, layer], include_shipped=False)
    w = WORKLOAD_MODELS["realtime-inference"].model_validate({
        "name": "chat", "kind": "realtime-inference", "model": {"name": "chat-8b", "params_b": 8},
        "traffic": {"peak_rps": 2, "input_tokens": 500, "output_tokens": 100, "users": {"us-east": 1.0}},
        "slo": {"ttft_ms": 500, "tpot_ms": 20}})
    (m,) = with_catalog_measurements(w, catalog).measured
    assert (m.ttft_ms, m.tpot_ms) == (120, 9)
