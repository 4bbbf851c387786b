"""Every constant the performance model assumes, in one place, each with its reason.

docs/PERFORMANCE_MODEL.md explains them; change them here, nowhere else.
"""

from __future__ import annotations

from advisor.catalog.models import Accelerator

BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
"""Weight bytes per parameter by storage precision."""

USABLE_MEMORY = 0.90
"""Share of device memory left for weights and KV cache after the runtime and fragmentation."""

TRAINING_STATE_MEMORY = 0.75
"""Share of device memory for weights, gradients and optimizer state; the rest holds activations."""

FULL_TRAINING_BYTES_PER_PARAM = 16.0
"""Mixed-precision Adam: bf16 weights (2) + bf16 grads (2) + fp32 master weights (4) + m and v (8)."""

PREFILL_MFU = 0.50
"""Share of peak tensor throughput reached by prefill (large matrix products)."""

DECODE_BANDWIDTH_EFFICIENCY = 0.75
"""Share of peak memory bandwidth reached while decoding (a device-to-device copy reaches ~90%)."""

DECODE_MFU = 0.50
"""Share of peak tensor throughput reached by decode once it becomes compute-bound at large batch."""

TRAINING_MFU = 0.40
"""Model FLOPs utilisation of large dense-transformer training on a well-tuned stack."""

FIXED_MODEL_UTILISATION = 0.35
"""Share of peak INT8/FP16 throughput reached by vision and other fixed-cost networks."""

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
"""Serving batch sizes considered; the best one under the latency budget is chosen."""


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
