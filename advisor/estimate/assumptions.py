"""Every constant the performance model assumes, in one place, each with its reason or source.

docs/PERFORMANCE_MODEL.md explains them; change them here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.catalog.models import Accelerator

BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
"""Weight bytes per parameter by storage precision."""

USABLE_MEMORY = 0.90
"""Share of device memory left for weights, KV cache and activations after the runtime."""

WEIGHT_BYTES, GRAD_BYTES, OPTIMIZER_BYTES = 2.0, 2.0, 12.0
"""Mixed-precision Adam per parameter: bf16 weights, bf16 gradients, fp32 master + m + v."""

ACTIVATION_BYTES_PER_TOKEN_HIDDEN_LAYER = 2.0
ACTIVATION_WORKING_SET = 34.0
"""Activations with full recomputation and flash attention, micro-batch 1 (Korthikanti et al.
2022, 'Reducing Activation Recomputation in Large Transformer Models'): each layer keeps its
bf16 input (2 x seq x hidden bytes) and one layer at a time holds its working set
(34 x seq x hidden bytes)."""

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
"""Concurrent requests per replica considered; the best under the latency objectives is chosen."""

FIXED_MODEL_UTILISATION = 0.35
"""Share of peak INT8/FP16 throughput reached by vision and other fixed-cost networks."""


@dataclass(frozen=True)
class ServingUtilisation:
    prefill_mfu: float
    decode_bandwidth_efficiency: float
    decode_mfu: float
    source: str


SERVING_DEFAULT = ServingUtilisation(
    prefill_mfu=0.50, decode_bandwidth_efficiency=0.75, decode_mfu=0.50,
    source="an 8192^3 BF16 GEMM on H100 SXM ran at 81% of peak and a device-to-device copy at 90% of "
           "peak bandwidth (shared/reference measurements); serving kernels reach less, so 50% / 75%",
)


@dataclass(frozen=True)
class TrainingUtilisation:
    mfu: float
    source: str


TRAINING_MFU: dict[str, TrainingUtilisation] = {
    "default": TrainingUtilisation(0.40, "typical of well-tuned dense-transformer training (estimate)"),
}


def family(accelerator: Accelerator) -> str:
    """The utilisation family: vendor plus kind, e.g. nvidia-gpu, google-tpu, aws-asic."""
    return f"{accelerator.vendor}-{accelerator.kind}"


def serving_utilisation(accelerator: Accelerator) -> ServingUtilisation:
    return SERVING_DEFAULT


def training_mfu(accelerator: Accelerator) -> TrainingUtilisation:
    return TRAINING_MFU.get(family(accelerator), TRAINING_MFU["default"])


def peak_tflops(accelerator: Accelerator, precision: str) -> float | None:
    """Dense peak for the precision the model computes in; None if the chip cannot run it."""
    bf16 = accelerator.bf16_tflops
    if precision in ("int8", "int4"):
        return accelerator.int8_tops or accelerator.fp8_tflops or bf16
    if precision == "fp8":
        return accelerator.fp8_tflops or bf16
    if precision == "fp32":
        return bf16 / 2 if bf16 else None  # TF32 tensor rate is half the BF16 rate on NVIDIA parts
    return bf16


def kv_bytes(precision: str) -> float:
    """KV-cache bytes per element: 8-bit caches for 8/4-bit models, 16-bit otherwise."""
    return 1.0 if precision in ("fp8", "int8", "int4") else 2.0
