"""Roofline model of LLM serving with continuous batching.

For tensor-parallel degree t and b concurrent requests (input I, output O tokens):
  prefill_s = 2 * P_active * I / (t * e(t) * peak * PREFILL_MFU)             (one request)
  step_s    = max((W + b * (I + O/2) * kv) / (t * e(t) * bw * BW_EFF),
                  2 * P_active * b / (t * e(t) * peak * DECODE_MFU))         (one decode step)
  e(t)      = 1 / (1 + overhead * (t - 1))   tensor-parallel efficiency (NVLink or PCIe)
  round_s   = O * step_s + b * prefill_s      (every request is prefilled once per O steps)
  TTFT      = prefill_s                       (its own prefill)
  TPOT      = (O * step_s + (b - 1) * prefill_s) / O   (decode stretched by others' prefills)
  latency   = TTFT + O * TPOT = round_s
  throughput = b / round_s requests per second.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from advisor.catalog.models import Accelerator
from advisor.estimate import assumptions as A
from advisor.estimate.shapes import shape_for
from advisor.workload.models import Architecture, ModelSpec


@dataclass(frozen=True)
class ServingPoint:
    """One (tensor parallelism, concurrency) operating point of a replica."""

    tp: int
    batch: int
    ttft_ms: float
    tpot_ms: float
    latency_ms: float
    rps: float  # requests per second per replica
    tokens_per_s: float  # output tokens per second per replica
    memory_per_device_gb: float


def architecture(model: ModelSpec) -> Architecture:
    """The given shape, else the shape of the nearest known open model of that size."""
    return model.architecture or shape_for(model.params_b or 0)


def kv_bytes_per_token(model: ModelSpec) -> float:
    arch = architecture(model)
    return 2 * arch.layers * arch.kv_heads * arch.head_dim * A.kv_bytes(model.precision)


def weight_bytes(model: ModelSpec) -> float:
    return (model.params_b or 0) * 1e9 * A.BYTES_PER_PARAM[model.precision]


def min_tensor_parallel(model: ModelSpec, accelerator: Accelerator) -> int:
    """Fewest devices whose memory holds the weights with room for requests."""
    usable = (accelerator.memory_gb or 0) * 1e9 * A.USABLE_MEMORY
    if usable <= 0:
        return 1 << 30
    return max(1, math.ceil(weight_bytes(model) / (usable * 0.95)))


def tensor_parallel_degrees(count: int, smallest: int) -> list[int]:
    """Degrees that split an instance of `count` devices evenly, from `smallest` up.

    Divisors come in pairs (t, count // t), so the loop runs to the square root of `count`
    only: no loop ever runs over a magnitude a catalog layer gives."""
    divisors: set[int] = set()
    t = 1
    while t * t <= count:
        if count % t == 0:
            divisors.update((t, count // t))
        t += 1
    return sorted(d for d in divisors if d >= max(1, smallest))


@functools.lru_cache(maxsize=4096)
def serving_points(model: ModelSpec, accelerator: Accelerator, max_tp: int,
                   input_tokens: int, output_tokens: int, nvlink_domain: int | None = None
                   ) -> tuple[ServingPoint, ...]:
    """Every feasible (tp, batch) point, tp dividing the instance's `max_tp` devices evenly.

    Cached: every region of an offering asks the same question (only the latency budget differs)."""
    peak = A.peak_tflops(accelerator, model.precision)
    if peak is None or accelerator.memory_gb is None or accelerator.memory_bandwidth_gbps is None:
        return ()
    active = (model.active_params_b or model.params_b or 0) * 1e9
    weights = weight_bytes(model)
    kv_token = kv_bytes_per_token(model)
    usable = accelerator.memory_gb * 1e9 * A.USABLE_MEMORY
    util = A.serving_utilisation(accelerator)
    points: list[ServingPoint] = []
    for tp in tensor_parallel_degrees(max_tp, min_tensor_parallel(model, accelerator)):
        scaling = A.tensor_parallel_efficiency(tp, max_tp if nvlink_domain is None else nvlink_domain)
        flops = tp * peak * 1e12 * scaling
        bandwidth = tp * accelerator.memory_bandwidth_gbps * 1e9 * scaling
        prefill_s = 2 * active * input_tokens / (flops * util.prefill_mfu)
        for batch in A.BATCH_SIZES:
            memory = (weights + batch * (input_tokens + output_tokens) * kv_token) / tp
            if memory > usable:
                break
            step_s = max(
                (weights + batch * (input_tokens + output_tokens / 2) * kv_token)
                / (bandwidth * util.decode_bandwidth_efficiency),
                2 * active * batch / (flops * util.decode_mfu),
            )
            round_s = output_tokens * step_s + batch * prefill_s
            ttft_s = prefill_s
            tpot_s = (output_tokens * step_s + (batch - 1) * prefill_s) / output_tokens
            points.append(ServingPoint(
                tp=tp, batch=batch, ttft_ms=ttft_s * 1000, tpot_ms=tpot_s * 1000,
                latency_ms=(ttft_s + output_tokens * tpot_s) * 1000, rps=batch / round_s,
                tokens_per_s=batch * output_tokens / round_s, memory_per_device_gb=memory / 1e9,
            ))
    return tuple(points)
