"""The performance model on cases worked out by hand (formulas in docs/PERFORMANCE_MODEL.md)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from advisor.candidates import monthly_cost_usd
from advisor.catalog import load_catalog
from advisor.estimate import Unfit, size
from advisor.estimate.llm import kv_bytes_per_token, serving_points, weight_bytes
from advisor.estimate.shapes import formula_shape
from advisor.topology import great_circle_km, rtt_ms
from advisor.workload.models import WORKLOAD_MODELS, ModelSpec, Training

SMALL = Path(__file__).parent / "fixtures" / "small-catalog"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([SMALL], include_shipped=False)


def test_weights_and_kv_cache_of_llama_3_70b():
    model = ModelSpec(name="llama-3-70b", params_b=70, precision="bf16",
                      architecture={"layers": 80, "kv_heads": 8, "head_dim": 128})
    assert weight_bytes(model) == 140e9
    # 2 (K and V) x 80 layers x 8 heads x 128 dims x 2 bytes
    assert kv_bytes_per_token(model) == 327_680
    fp8 = model.model_copy(update={"precision": "fp8"})
    assert weight_bytes(fp8) == 70e9 and kv_bytes_per_token(fp8) == 163_840


def test_formula_shape_follows_size():
    assert formula_shape(7).layers == 33  # Llama-2-7B has 32
    assert formula_shape(70).layers == 71  # Llama-3-70B has 80
    assert formula_shape(7).kv_heads == 8


def test_serving_point_at_batch_one_by_hand(catalog):
    gpu = catalog.accelerators["gpu-a"]  # 400 TFLOPS bf16, 2000 GB/s
    model = ModelSpec(name="m", params_b=8, precision="bf16",
                      architecture={"layers": 32, "kv_heads": 8, "head_dim": 128})
    points = {p.batch: p for p in serving_points(model, gpu, 1, 500, 100)}
    kv = 2 * 32 * 8 * 128 * 2
    prefill = 2 * 8e9 * 500 / (400e12 * 0.6)  # prefill at 60% of peak
    step = (16e9 + 550 * kv) / (2000e9 * 0.70)  # memory-bound decode at 70% of peak bandwidth
    one = points[1]
    assert one.ttft_ms == pytest.approx(prefill * 1000)
    assert one.latency_ms == pytest.approx((prefill + 100 * step) * 1000, rel=1e-9)
    assert one.rps == pytest.approx(1 / (prefill + 100 * step), rel=1e-9)
    # at batch 8 the decode step reads 8 caches and each request waits for 7 other prefills
    step8 = (16e9 + 8 * 550 * kv) / (2000e9 * 0.70)
    assert points[8].tpot_ms == pytest.approx((100 * step8 + 7 * prefill) / 100 * 1000, rel=1e-9)
    assert points[8].rps == pytest.approx(8 / (100 * step8 + 8 * prefill), rel=1e-9)


def test_bigger_batches_raise_throughput_and_latency(catalog):
    gpu = catalog.accelerators["gpu-a"]
    points = [p for p in serving_points(ModelSpec(name="m", params_b=8), gpu, 1, 500, 100) if p.tp == 1]
    assert [p.batch for p in points] == sorted(p.batch for p in points)
    assert all(b.rps >= a.rps * 0.999 and b.latency_ms > a.latency_ms for a, b in zip(points, points[1:], strict=False))
    assert points[-1].rps > 5 * points[0].rps


def _workload(kind: str, **fields):
    return WORKLOAD_MODELS[kind].model_validate({"name": "w", "kind": kind, **fields})


def test_training_time_and_devices_by_hand(catalog):
    w = _workload("training", model={"name": "m", "params_b": 1}, tokens_b=1, deadline_days=3)
    s = size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"])
    # 6 x 1e9 x 1e9 FLOPs at 400 TFLOPS x 41% MFU (NVIDIA, BF16) = 1.64e14 FLOP/s, plus 239 steps
    # of 4,194,304 tokens at 0.131 s each, over the 1 - 0.1 / 16,384 of the time not interrupted
    assert s.mfu == 0.41
    assert s.job_hours == pytest.approx((6e18 / 1.64e14 + 239 * 0.131) / (1 - 0.1 / 16384) / 3600)
    assert "239 steps of 4,194,304 tokens" in s.basis_source
    assert s.instances == 1 and s.devices_per_replica == 1


def test_int4_lora_trains_at_the_bf16_peak_with_4_bit_weights(catalog):
    """QLoRA-style: 4-bit frozen weights in memory, BF16 matmuls, and the basis says so."""
    def lora(precision: str):
        w = _workload("training", method="lora", tokens_b=1, deadline_days=3,
                      model={"name": "m", "params_b": 8, "precision": precision})
        return size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"])

    bf16, int4 = lora("bf16"), lora("int4")
    # 4 x 8e9 x 1e9 FLOPs at 400 TFLOPS x 41% x 0.826 (LoRA) MFU, and 15,259 steps of 65,536 tokens
    hand = (4 * 8e9 * 1e9 / (1.64e14 * 0.826) + 15259 * 0.131) / (1 - 0.1 / 16384) / 3600
    assert bf16.job_hours == int4.job_hours == pytest.approx(hand)
    assert "int4 weights computed at the BF16 peak" in int4.basis_source
    assert "BF16 peak" not in bf16.basis_source
    # frozen weights: 2 bytes against 0.5 per parameter (x 1.02 for the adapters)
    assert int4.memory_per_device_gb < bf16.memory_per_device_gb - 8 * 1.5 * 1.02 + 0.01


def test_training_deadline_needs_more_devices_and_a_fabric(catalog):
    w = _workload("training", model={"name": "m", "params_b": 7}, tokens_b=100, deadline_days=2)
    gpu = catalog.accelerators["gpu-a"]
    needed = math.ceil(6 * 7e9 * 100e9 / (48 * 3600 * 1.64e14))  # 15 devices
    s = size(w, catalog.offerings["alpha:a8"], gpu)
    assert s.instances == math.ceil(needed / 8)
    with pytest.raises(Unfit) as err:
        size(w, catalog.offerings["alpha:a1"], gpu)  # 16 single-GPU instances without a fabric
    assert err.value.rule == "fabric"


def test_model_too_big_for_memory_is_ruled_out_with_reason(catalog):
    w = _workload("batch-inference", model={"name": "big", "params_b": 70},
                  volume={"requests_per_run": 10, "input_tokens": 10, "output_tokens": 10}, window_hours=1)
    with pytest.raises(Unfit) as err:
        size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"])
    assert err.value.rule == "memory_fit"
    assert "140 GB" in err.value.reason


def test_fixed_model_latency_and_power_by_hand(catalog):
    w = _workload("edge-inference", model={"name": "d", "params_m": 10, "gflops_per_inference": 20,
                                           "precision": "int8"},
                  sites={"count": 10, "inferences_per_s": 30, "max_power_w": 50}, slo={"p95_latency_ms": 100})
    s = size(w, catalog.offerings["edge:e1"], catalog.accelerators["edge-e"])
    # one input at a time on an edge GPU: 40 TOPS x 14% = 5.6e12 op/s -> 20e9 / 5.6e12 = 3.57 ms;
    # batched: 40 TOPS x 35% = 14e12 op/s -> 700 inferences/s per device
    assert s.compute_latency_ms == pytest.approx(20e9 / 5.6e12 * 1000)
    assert s.throughput_per_instance == pytest.approx(14e12 / 20e9)
    assert s.instances == 10 and s.power_w_per_site == 15
    tight = w.model_copy(update={"sites": w.sites.model_copy(update={"max_power_w": 10})})
    with pytest.raises(Unfit) as err:
        size(tight, catalog.offerings["edge:e1"], catalog.accelerators["edge-e"])
    assert err.value.rule == "power_budget"


def test_realtime_latency_includes_network_budget(catalog):
    w = _workload("realtime-inference", model={"name": "m", "params_b": 8},
                  traffic={"peak_rps": 1, "input_tokens": 500, "output_tokens": 100, "users": {"us-east": 1}},
                  slo={"p95_latency_ms": 1000})
    with pytest.raises(Unfit) as err:  # batch 1 alone takes ~1.1 s
        size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"], network_rtt_ms=10)
    assert err.value.rule == "latency_slo"
    with pytest.raises(Unfit, match="network round trip"):
        size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"], network_rtt_ms=1200)


def test_round_trip_new_york_london():
    km = great_circle_km(40.71, -74.01, 51.51, -0.13)
    assert km == pytest.approx(5570, rel=0.01)
    assert rtt_ms(km) == pytest.approx(2 * km * 1.3 / 200 + 2)
    assert 65 < rtt_ms(km) < 80  # measured transatlantic RTT is ~70-75 ms


def test_commitments_bill_the_whole_month_and_on_demand_the_busy_hours(catalog):
    w = _workload("training", model={"name": "m", "params_b": 1}, tokens_b=1, deadline_days=3)
    s = size(w, catalog.offerings["alpha:a1"], catalog.accelerators["gpu-a"])
    assert monthly_cost_usd(s, "on_demand", 2.0, None) == pytest.approx(2.0 * s.busy_hours_per_month)
    assert monthly_cost_usd(s, "reserved_1y", 1.5, None) == pytest.approx(1.5 * 730)
    assert monthly_cost_usd(s, "capex", None, 10.0) == pytest.approx(10.0)


def test_training_needs_params():
    with pytest.raises(ValueError):
        Training.model_validate({"name": "t", "kind": "training", "model": {"name": "x", "params_m": 1,
                                 "gflops_per_inference": 1}, "tokens_b": 1, "deadline_days": 1})


@pytest.mark.parametrize("sharding, per_device_gb", [
    ("replicated", 112.0),      # 16 bytes x 7e9
    ("zero1", 28.0 + 10.5),     # weights + grads (4P) + optimizer 12P / 8
    ("zero2", 14.0 + 12.25),    # weights (2P) + (grads + optimizer) 14P / 8
    ("zero3", 14.0),            # 16P / 8
    ("fsdp", 14.0),
])
def test_training_state_by_sharding_by_hand(sharding, per_device_gb):
    from advisor.estimate.sizing import _training_state_bytes

    w = _workload("training", model={"name": "m", "params_b": 7}, tokens_b=1, deadline_days=3, sharding=sharding)
    assert _training_state_bytes(w, 8) / 1e9 == pytest.approx(per_device_gb)


def test_replicated_training_that_does_not_fit_is_ruled_out(catalog):
    w = _workload("training", model={"name": "m", "params_b": 7}, tokens_b=1, deadline_days=3,
                  sharding="replicated")
    with pytest.raises(Unfit) as err:
        size(w, catalog.offerings["alpha:a8"], catalog.accelerators["gpu-a"])
    assert err.value.rule == "memory_fit"
    sharded = size(w.model_copy(update={"sharding": "fsdp"}), catalog.offerings["alpha:a8"],
                   catalog.accelerators["gpu-a"])
    assert sharded.instances == 1


def test_default_shapes_come_from_real_models():
    from advisor.estimate.shapes import known_shapes, shape_for

    assert len(known_shapes()) >= 10  # model_shapes.yaml ships with the package
    assert (shape_for(70).layers, shape_for(70).kv_heads) == (80, 8)  # Llama 3 70B
    assert shape_for(8).layers == 32
