"""Roofline model of LLM serving: prefill bound by compute, decode bound by memory bandwidth.

For tensor-parallel degree t and batch b, one serving cycle processes b requests:
  prefill_s = 2 * P_active * input_tokens / (t * peak * PREFILL_MFU)          (per request)
  step_s    = max((W + b * ctx_avg * kv_per_token) / (t * bw * BW_EFF),
                  2 * P_active * b / (t * peak * DECODE_MFU))                 (per decode step)
  cycle_s   = b * prefill_s + output_tokens * step_s
A request's latency is one cycle; throughput is b / cycle_s requests per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.catalog.models import Accelerator
from advisor.estimate import assumptions as A
from advisor.workload.models import Architecture, ModelSpec


@dataclass(frozen=True)
class ServingPoint:
    """One (tensor parallelism, batch) operating point of a replica."""

    tp: int
    batch: int
    latency_ms: float
    rps: float  # requests per second per replica
    tokens_per_s: float  # output tokens per second per replica
    memory_per_device_gb: float


def default_architecture(params_b: float) -> Architecture:
    """Shape of a dense decoder with head_dim 128, width 128 x layers and 8 KV heads (GQA).

    From params ~ 12 * layers * width^2 with width = 128 * layers: layers = (P / 196608)^(1/3).
    Llama-2-7B has 32 layers (formula: 33); Llama-3-70B has 80 (formula: 71).
    """
    layers = max(2, round((params_b * 1e9 / 196_608) ** (1 / 3)))
    return Architecture(layers=layers, kv_heads=8, head_dim=128)


def kv_bytes_per_token(model: ModelSpec) -> float:
    arch = model.architecture or default_architecture(model.params_b or 0)
    return 2 * arch.layers * arch.kv_heads * arch.head_dim * A.kv_bytes(model.precision)


def weight_bytes(model: ModelSpec) -> float:
    return (model.params_b or 0) * 1e9 * A.BYTES_PER_PARAM[model.precision]


def min_tensor_parallel(model: ModelSpec, accelerator: Accelerator) -> int:
    """Fewest devices whose memory holds the weights with room for at least one request."""
    usable = accelerator.memory_gb * 1e9 * A.USABLE_MEMORY
    return max(1, math.ceil(weight_bytes(model) / (usable * 0.95)))


def serving_points(model: ModelSpec, accelerator: Accelerator, max_tp: int,
                   input_tokens: int, output_tokens: int) -> list[ServingPoint]:
    """Every feasible (tp, batch) point on power-of-two tp up to `max_tp`."""
    peak = A.peak_tflops(accelerator, model.precision)
    if peak is None:
        return []
    params = model.params_b or 0
    active = (model.active_params_b or params) * 1e9
    weights = weight_bytes(model)
    kv_token = kv_bytes_per_token(model)
    usable = accelerator.memory_gb * 1e9 * A.USABLE_MEMORY
    ctx_max = input_tokens + output_tokens
    ctx_avg = input_tokens + output_tokens / 2
    points: list[ServingPoint] = []
    tp = 1
    while tp <= max_tp:
        flops = tp * peak * 1e12
        bandwidth = tp * accelerator.memory_bandwidth_gbps * 1e9
        prefill_s = 2 * active * input_tokens / (flops * A.PREFILL_MFU)
        for batch in A.BATCH_SIZES:
            memory = (weights + batch * ctx_max * kv_token) / tp
            if memory > usable:
                break
            step_s = max(
                (weights + batch * ctx_avg * kv_token) / (bandwidth * A.DECODE_BANDWIDTH_EFFICIENCY),
                2 * active * batch / (flops * A.DECODE_MFU),
            )
            cycle_s = batch * prefill_s + output_tokens * step_s
            points.append(ServingPoint(
                tp=tp, batch=batch, latency_ms=cycle_s * 1000, rps=batch / cycle_s,
                tokens_per_s=batch * output_tokens / cycle_s, memory_per_device_gb=memory / 1e9,
            ))
        tp *= 2
    return points
