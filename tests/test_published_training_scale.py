"""The training model against MLPerf Training results at many scales (tests/data/mlperf_training_scale.yaml).

Every result is held out: no constant of the model was fitted to them. GPT-3 175B pretraining on
up to BOUNDED_GPT3_DEVICES GPUs is bounded like the other published cases (within +-30%). The rest
are reported as known misses, because the model has neither of the two things they show (issue 13):
- **evaluation time**: MLPerf's time to train includes the evaluations (about 11% of the run of
  Llama 2 70B LoRA on 8 H100, per the logs);
- **scale-out under a fixed global batch**: Llama 2 70B LoRA runs at a global batch of 8
  sequences up to 64 GPUs (one sequence shared by 8 GPUs at 64), GPT-3 at a few thousand
  sequences on up to 11,616 GPUs, and per-device throughput falls.
So the model is optimistic on each of them (it finishes too early), by more at larger scale.
The tests assert that direction, and the printed table shows each error: when the model learns
scale-out and evaluation time, these become bounded cases.

The tokens each run trained are the median samples (LoRA) or tokens (GPT-3) at convergence read
from the result logs (`log_stats_derived`), times the sequence length for LoRA.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_published_results import CATALOG, ERRORS, training_tokens_per_s_per_device

DATA = yaml.safe_load((Path(__file__).parent / "data" / "mlperf_training_scale.yaml").read_text(encoding="utf-8"))
LORA_SEQUENCE = 8192  # the benchmark's sequence length (reference README; `benchmarks` in the data file)
MODELS = {"llama2_70b_lora": ("lora", 70.0), "gpt3": ("full", 175.0)}
BOUNDED_GPT3_DEVICES = 1536
BOUND = 0.30


def _tokens(result: dict) -> float | None:
    stats = result.get("log_stats_derived") or {}
    if result["benchmark"] == "llama2_70b_lora":
        samples = stats.get("samples_at_convergence_median")
        return samples * LORA_SEQUENCE if samples else None
    return stats.get("tokens_at_convergence_median")


CASES = sorted(r["id"] for r in DATA["results"]
               if r["benchmark"] in MODELS and r["accelerator"] in CATALOG.accelerators and _tokens(r))
BY_ID = {r["id"]: r for r in DATA["results"]}
BOUNDED_CASES = [c for c in CASES if BY_ID[c]["benchmark"] == "gpt3"
                 and BY_ID[c]["accelerator_count"] <= BOUNDED_GPT3_DEVICES]
MISSES = [c for c in CASES if c not in BOUNDED_CASES]


def estimated_minutes(result: dict) -> float:
    """Minutes to train the logged tokens at the model's per-device rate (FP8, 8-GPU instances)."""
    method, params_b = MODELS[result["benchmark"]]
    record = {"id": result["id"], "params_b": params_b, "precision": "fp8", "accelerator": result["accelerator"],
              "sequence_length": LORA_SEQUENCE if method == "lora" else 2048}
    rate = training_tokens_per_s_per_device(record, method=method)
    tokens = _tokens(result)
    assert tokens is not None
    return tokens / (rate * result["accelerator_count"]) / 60


def test_the_data_covers_many_scales_and_accelerators():
    """At least 40 results, from 8 to 1,024+ accelerators, on several accelerator types."""
    results = [BY_ID[c] for c in CASES]
    assert len(results) >= 40 and len(BOUNDED_CASES) >= 8
    assert min(r["accelerator_count"] for r in results) == 8 and max(r["accelerator_count"] for r in results) >= 1024
    assert {"h100-sxm", "h200", "mi300x"} <= {r["accelerator"] for r in results}


def _error(case_id: str, bounded: bool) -> float:
    result = BY_ID[case_id]
    published = result["time_to_train_minutes"]
    estimate = estimated_minutes(result)
    error = (estimate - published) / published
    ERRORS.append((case_id, published, estimate, error, bounded))
    return error


@pytest.mark.parametrize("case_id", BOUNDED_CASES)
def test_pretraining_up_to_a_few_thousand_gpus_is_within_30_percent(case_id):
    error = _error(case_id, bounded=True)
    assert abs(error) <= BOUND, f"{case_id}: error {error:+.1%}"


@pytest.mark.parametrize("case_id", MISSES)
def test_training_at_scale_is_reported_and_optimistic(case_id):
    error = _error(case_id, bounded=False)
    assert error < 0, f"{case_id}: the model is now pessimistic ({error:+.1%}); revisit the known miss"


def test_the_miss_grows_with_scale():
    """The model's missing scale-out loss shows as a larger error at 64 than at 8 GPUs, for one submitter."""
    nvidia = {BY_ID[c]["accelerator_count"]: c for c in CASES
              if c.startswith("mlperf-train-v4.0-llama2-70b-lora-nvidia-") and BY_ID[c]["accelerator"] == "h100-sxm"}
    small, large = BY_ID[nvidia[8]], BY_ID[nvidia[64]]

    def error(result: dict) -> float:
        return (estimated_minutes(result) - result["time_to_train_minutes"]) / result["time_to_train_minutes"]

    assert error(large) < error(small) - 0.1
