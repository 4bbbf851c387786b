"""The performance model against published measurements (tests/data/published_results.yaml).

Each case runs the same sizing code a plan uses, on the published configuration, and must land
within +-25% of the published figure (issue 13's bound). The error of every case, and of the known misses that are
reported but not bounded, is printed at the end of the test run.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import yaml

from advisor.catalog import load_catalog
from advisor.catalog.models import Offering
from advisor.estimate import size
from advisor.estimate.llm import serving_points
from advisor.workload.models import WORKLOAD_MODELS, ModelSpec

DATA = Path(__file__).parent / "data"
RECORDS = {r["id"]: r for r in yaml.safe_load((DATA / "published_results.yaml").read_text())["results"]}
SERVING = {r["id"]: r for r in yaml.safe_load((DATA / "published_serving.yaml").read_text())["results"]}
CATALOG = load_catalog()
BOUND = 0.25
ERRORS: list[tuple[str, float, float, float, bool]] = []  # id, published, estimate, error, bounded


def offering(accelerator: str, count: int) -> Offering:
    """An instance of `count` accelerators on a scale-out fabric, as in the published systems."""
    return Offering.model_validate({
        "provider": "published", "name": f"{count}x{accelerator}", "accelerator": accelerator,
        "accelerator_count": count, "interconnect": {"nvlink_domain": count, "fabric": "infiniband",
                                                            "fabric_gbps": 400 * count},
        "source": "published configuration", "as_of": "2026-01-01",
        "prices": [{"region": "any", "on_demand": 1.0, "source": "unused", "as_of": "2026-01-01"}]})


def training_tokens_per_s_per_device(rec: dict, method: str = "full", instance: int = 8) -> float:
    w = WORKLOAD_MODELS["training"].model_validate({
        "name": "t", "kind": "training", "method": method, "tokens_b": 1, "deadline_days": 365,
        "seq_len": rec.get("sequence_length", 4096),
        "model": {"name": rec["id"], "params_b": rec["params_b"], "precision": rec["precision"]}})
    s = size(w, offering(rec["accelerator"], instance), CATALOG.accelerators[rec["accelerator"]])
    return s.throughput_per_instance / instance


def flops_per_token(rec: dict, method: str = "full") -> float:
    return (6 if method == "full" else 4) * rec["params_b"] * 1e9


def est_nemo_gpt3(rec):
    return training_tokens_per_s_per_device(rec)


def est_lora_time_to_train(rec):
    rate = training_tokens_per_s_per_device(rec, method="lora")
    return rec["tokens_trained"] / (rate * rec["accelerator_count"]) / 60


def est_gpt3_time_to_train(rec):
    rate = training_tokens_per_s_per_device(rec)
    return rec["tokens_trained"] / (rate * rec["accelerator_count"]) / 60


def est_model_tflops_per_device(rec):
    return training_tokens_per_s_per_device(rec, instance=4) * flops_per_token(rec) / 1e12


def est_neuron_samples_per_s(rec):
    rate = training_tokens_per_s_per_device(rec, instance=16)
    return rate * rec["accelerator_count"] / rec["sequence_length"]


def est_resnet50_l4(rec):
    # ResNet-50: 3.8e9 multiply-adds per 224x224 image (He et al. 2016, Table 1) = 7.6 GFLOPs
    w = WORKLOAD_MODELS["batch-inference"].model_validate({
        "name": "r", "kind": "batch-inference", "window_hours": 1,
        "model": {"name": "resnet50", "params_m": 25.6, "gflops_per_inference": 7.6, "precision": "int8"},
        "volume": {"requests_per_run": 1000}})
    return size(w, offering("l4", 1), CATALOG.accelerators["l4"]).throughput_per_instance


BOUNDED = {
    "nemo-25.02-gpt3-175b-pretrain-512xh100": est_nemo_gpt3,
    "mlperf-train-v4.0-llama2-70b-lora-8xh100": est_lora_time_to_train,
    "maxtext-32b-pretrain-v5e-256": est_model_tflops_per_device,
    "maxtext-64b-pretrain-v5p-128": est_model_tflops_per_device,
    "neuron-llama2-70b-pretrain-32xtrn1-32xlarge": est_neuron_samples_per_s,
    "mlperf-inf-v3.1-resnet50-offline-1xl4": est_resnet50_l4,
}
"""Cases held out from calibration: the utilisation constants come from other measurements."""

def est_neuron_batch_one_tokens_per_s(rec):
    """AWS's samples run one request at a time on all 12 chips and count input plus output tokens."""
    model = ModelSpec(name=rec["id"], params_b=rec["params_b"], precision=rec["precision"])
    count = rec["accelerator_count"]
    points = serving_points(model, CATALOG.accelerators[rec["accelerator"]], count, rec["input_tokens"],
                            rec["output_tokens"], count)
    one = next(p for p in points if p.tp == count and p.batch == 1)
    return (rec["input_tokens"] + rec["output_tokens"]) / (one.latency_ms / 1000)


KNOWN_MISSES = {
    "neuron-llama2-70b-inf2-48xlarge-bs1": est_neuron_batch_one_tokens_per_s,
    "mlperf-train-v4.0-gpt3-175b-11616xh100": est_gpt3_time_to_train,
    "mlperf-train-v3.1-gpt3-175b-10752xh100": est_gpt3_time_to_train,
}
"""Reported, not bounded: time-to-train at >10,000 GPUs includes start-up and evaluation time and
scaling losses the model does not have; AWS's Llama 2 70B Inferentia2 sample runs at half the
speed its 13B sample (which the Neuron constants are fitted to) predicts (docs/PERFORMANCE_MODEL.md)."""


def serving_throughput(rec: dict) -> float:
    """Offline output tokens/s of the published system: its GPU count and tensor-parallel size, at
    most `max_concurrency` requests in flight where the run capped them."""
    count, tp = rec["accelerator_count"], rec.get("tensor_parallel") or rec["accelerator_count"]
    model = ModelSpec(name=rec["model"], params_b=rec["params_b"], precision=rec["precision"])
    accelerator = CATALOG.accelerators[rec["accelerator"]]
    nvlink = 1 if rec["accelerator"] in ("l40s",) else count  # L40S has no NVLink
    points = serving_points(model, accelerator, count, rec["input_tokens"], rec["output_tokens"], nvlink)
    cap = rec.get("max_concurrency")
    return (count // tp) * max((p.tokens_per_s for p in points if p.tp == tp and (cap is None or p.batch <= cap)),
                               default=0.0)


def is_calibration(case_id: str) -> bool:
    """Rows the serving constants were fitted to (assumptions.CALIBRATION and AMD_CALIBRATION); all
    others are held out. AMD: the 70B rows at 128/2048 and 2048/2048 of both ROCm vLLM revisions."""
    return (case_id.startswith("trtllm-v020-") and ("-h200-" in case_id or "-8b-" in case_id)) or \
        case_id == "trtllm-v017-31-70b-fp8-l40s-tp8-1000-1000" or \
        (case_id.startswith("rocm-vllm") and "-70b-" in case_id and case_id.endswith(("-128-2048", "-2048-2048")))


SERVING_KNOWN_MISSES = {
    "trtllm-v017-8b-fp16-a100-80gb-tp1-128-128": "A100 in FP16: utilisation fitted on Hopper FP8 is too low",
    "trtllm-v017-31-70b-fp16-a100-80gb-tp4-1000-1000": "A100 in FP16 at TP 4: as above (-29%)",
    "trtllm-v017-31-70b-fp16-a100-80gb-tp8-1000-1000": "A100 in FP16 at TP 8: as above, and NVLink 3 scales better",
    "trtllm-v020-33-70b-fp8-h100-sxm-tp1-128-2048": "70 GB of weights on one 80 GB H100: the model keeps 10% of "
                                                    "memory for the runtime and rules it out",
    **{i: "TPU v6e serving has no fitted constants (NVIDIA's are used) and tensor parallelism over ICI is charged "
          "NVIDIA's NVLink overhead: at TP 8 the model gives 42-54 ms per output token where vLLM measured 25-35 ms"
       for i in SERVING if i.startswith("tpu-recipes-")},
    **{i: "405B on 8 MI300X at TP 8: the tensor-parallel overhead, one figure for every model size, understates a "
          "large model's efficiency at TP 8 (NVIDIA's 405B rows at TP 8 are 30-36% pessimistic too)"
       for i, r in SERVING.items() if i.startswith("rocm-vllm") and r["params_b"] >= 400},
}
SERVING_BOUNDED = sorted(
    i for i, r in SERVING.items()
    if r["precision"] in ("fp8", "fp16", "bf16") and not is_calibration(i) and i not in SERVING_KNOWN_MISSES
    and r["params_b"] < 400 and r["accelerator"] in CATALOG.accelerators
)
"""Held-out TensorRT-LLM and ROCm vLLM rows (NVIDIA's 405B rows need pipeline parallelism the model lacks;
AMD's 405B rows are known misses, above)."""


def _record(case_id: str, estimate: float, bounded: bool) -> float:
    published = (RECORDS.get(case_id) or SERVING[case_id])["value"]
    error = (estimate - published) / published
    ERRORS.append((case_id, published, estimate, error, bounded))
    return error


@pytest.mark.parametrize("case_id", sorted(BOUNDED))
def test_estimate_within_30_percent_of_published(case_id):
    error = _record(case_id, BOUNDED[case_id](RECORDS[case_id]), bounded=True)
    assert abs(error) <= BOUND, f"{case_id}: error {error:+.1%}"


@pytest.mark.parametrize("case_id", SERVING_BOUNDED)
def test_serving_throughput_within_30_percent_of_published(case_id):
    error = _record(case_id, serving_throughput(SERVING[case_id]), bounded=True)
    assert abs(error) <= BOUND, f"{case_id}: error {error:+.1%}"


@pytest.mark.parametrize("case_id", sorted(SERVING_KNOWN_MISSES))
def test_serving_known_misses_are_reported(case_id):
    error = _record(case_id, serving_throughput(SERVING[case_id]), bounded=False)
    assert error < 0  # the model is pessimistic here, never optimistic


@pytest.mark.parametrize("case_id", sorted(KNOWN_MISSES))
def test_known_misses_are_reported(case_id):
    error = _record(case_id, KNOWN_MISSES[case_id](RECORDS[case_id]), bounded=False)
    assert error < 0 if RECORDS[case_id]["metric"] == "time_to_train_minutes" else error > 0  # optimistic


def summary_lines() -> list[str]:
    """The table the test run prints (see conftest.py)."""
    if not ERRORS:
        return []
    lines = ["published results: estimate vs published (bounded cases must be within +-25%)"]
    for case_id, published, estimate, error, bounded in sorted(ERRORS):
        tag = "" if bounded else "  (known miss, not bounded)"
        lines.append(f"  {case_id:<56} published {published:>12,.2f}  estimate {estimate:>12,.2f}  "
                     f"error {error:+7.1%}{tag}")
    bounded_errors = [abs(e[3]) for e in ERRORS if e[4]]
    if bounded_errors:
        lines.append(f"  median absolute error of bounded cases: {statistics.median(bounded_errors):.1%} "
                     f"over {len(bounded_errors)} cases")
    return lines
