"""Size one workload on one offering: instances needed, busy hours, compute latency.

`size` raises `Unfit(rule, reason)` when the offering cannot run the workload at all; the
rule name is what the report groups ruled-out options by.
"""

from __future__ import annotations

import math
from typing import Literal

from advisor.catalog.models import HIGH_BANDWIDTH_FABRICS, HOURS_PER_MONTH, Accelerator, Offering
from advisor.estimate import assumptions as A
from advisor.estimate.llm import min_tensor_parallel, serving_points, weight_bytes
from advisor.strict import Strict
from advisor.workload.models import (
    BatchInference,
    EdgeInference,
    ModelSpec,
    RealtimeInference,
    Training,
    Workload,
)

MAX_INSTANCES = 100_000
"""More instances than this for one workload is beyond any provider's capacity."""


class Unfit(Exception):
    """The offering cannot run the workload; `rule` names the check that failed."""

    def __init__(self, rule: str, reason: str):
        self.rule = rule
        self.reason = reason
        super().__init__(reason)


class Sizing(Strict):
    """How a workload runs on an offering; the key numbers a reviewer checks."""

    basis: Literal["roofline", "measured"] = "roofline"
    instances: int
    busy_hours_per_month: float
    compute_latency_ms: float | None = None
    devices_per_replica: int
    batch: int | None = None
    throughput_per_instance: float
    throughput_unit: str
    tokens_per_s_per_replica: float | None = None
    memory_per_device_gb: float
    power_w_per_site: float | None = None
    job_hours: float | None = None


def _fixed_model_rate(model: ModelSpec, accelerator: Accelerator) -> tuple[float, float]:
    """(latency_ms at batch 1, inferences per second per device) from GFLOPs and peak rate."""
    peak = A.peak_tflops(accelerator, model.precision)
    if peak is None:
        raise Unfit("precision", f"{accelerator.name} cannot run {model.precision} models")
    effective = peak * 1e12 * A.FIXED_MODEL_UTILISATION
    flops = (model.gflops_per_inference or 0) * 1e9
    return flops / effective * 1000, effective / flops


def _check_fixed_memory(model: ModelSpec, accelerator: Accelerator) -> float:
    needed_gb = (model.params_m or 0) * 1e6 * A.BYTES_PER_PARAM[model.precision] / 1e9
    if accelerator.memory_gb is not None and needed_gb > accelerator.memory_gb * A.USABLE_MEMORY:
        raise Unfit("memory_fit", f"model needs {needed_gb:.1f} GB; {accelerator.name} has "
                                  f"{accelerator.memory_gb:g} GB")
    return needed_gb


def _llm_best_point(model: ModelSpec, offering: Offering, accelerator: Accelerator,
                    input_tokens: int, output_tokens: int, latency_budget_ms: float | None):
    """The (tp, batch) point with most requests/s per instance within the latency budget."""
    max_tp = offering.accelerator_count  # tensor parallelism stays inside one instance
    tp_needed = min_tensor_parallel(model, accelerator)
    if tp_needed > max_tp:
        raise Unfit("memory_fit", f"weights need {weight_bytes(model) / 1e9:.0f} GB: "
                                  f"{tp_needed} x {accelerator.name} ({accelerator.memory_gb:g} GB each), "
                                  f"but one {offering.name} joins only {max_tp}")
    points = serving_points(model, accelerator, max_tp, input_tokens, output_tokens)
    if not points:
        raise Unfit("memory_fit", f"{model.name} with a {input_tokens + output_tokens}-token context "
                                  f"does not fit {offering.name}")
    if latency_budget_ms is not None:
        fast_enough = [p for p in points if p.latency_ms <= latency_budget_ms]
        if not fast_enough:
            best = min(p.latency_ms for p in points)
            raise Unfit("latency_slo", f"fastest estimate is {best:.0f} ms of compute, "
                                       f"budget after network is {latency_budget_ms:.0f} ms")
        points = fast_enough
    per_instance = offering.accelerator_count
    return max(points, key=lambda p: ((per_instance // p.tp) * p.rps, -p.tp, p.batch))


def _size_training(w: Training, offering: Offering, accelerator: Accelerator) -> Sizing:
    model = w.model
    params = (model.params_b or 0) * 1e9
    active = (model.active_params_b or model.params_b or 0) * 1e9
    flops = (6 if w.method == "full" else 4) * active * w.tokens_b * 1e9
    precision = model.precision if model.precision in ("fp8", "bf16", "fp16", "fp32") else "bf16"
    peak = A.peak_tflops(accelerator, precision)
    if peak is None or accelerator.kind == "edge":
        raise Unfit("precision", f"{accelerator.name} cannot train in {precision}")
    if w.method == "full":
        state = params * A.FULL_TRAINING_BYTES_PER_PARAM
    else:
        state = params * A.BYTES_PER_PARAM[model.precision] * 1.02  # frozen weights + small adapters
    per_device = accelerator.memory_gb * 1e9 * A.TRAINING_STATE_MEMORY
    if w.sharding == "replicated":
        if state > per_device:
            raise Unfit("memory_fit", f"unsharded training state is {state / 1e9:.0f} GB; "
                                      f"{accelerator.name} holds {per_device / 1e9:.0f} GB")
        devices_for_memory = 1
    else:
        devices_for_memory = math.ceil(state / per_device)
    hours_allowed = min(w.deadline_days * 24, HOURS_PER_MONTH / w.runs_per_month)
    rate = peak * 1e12 * A.TRAINING_MFU
    devices_for_deadline = math.ceil(flops / (hours_allowed * 3600 * rate))
    devices = max(1, devices_for_memory, devices_for_deadline)
    instances = math.ceil(devices / offering.accelerator_count)
    if instances > 1 and offering.interconnect.fabric not in HIGH_BANDWIDTH_FABRICS:
        raise Unfit("fabric", f"needs {instances} instances but {offering.name} has no high-bandwidth "
                              f"fabric ({offering.interconnect.fabric})")
    total_devices = instances * offering.accelerator_count
    job_hours = flops / (total_devices * rate) / 3600
    return Sizing(
        instances=instances,
        busy_hours_per_month=job_hours * w.runs_per_month,
        devices_per_replica=total_devices,
        throughput_per_instance=offering.accelerator_count * rate / (6 * active),
        throughput_unit="tokens/s",
        memory_per_device_gb=state / total_devices / 1e9 if w.sharding == "fsdp" else state / 1e9,
        job_hours=job_hours,
    )


def _size_batch(w: BatchInference, offering: Offering, accelerator: Accelerator) -> Sizing:
    model = w.model
    if model.is_llm:
        point = _llm_best_point(model, offering, accelerator, w.volume.input_tokens or 1,
                                w.volume.output_tokens or 1, None)
        rps = (offering.accelerator_count // point.tp) * point.rps
        extra = dict(devices_per_replica=point.tp, batch=point.batch,
                     tokens_per_s_per_replica=point.tokens_per_s,
                     memory_per_device_gb=point.memory_per_device_gb)
    else:
        memory = _check_fixed_memory(model, accelerator)
        _, per_device = _fixed_model_rate(model, accelerator)
        rps = per_device * offering.accelerator_count
        extra = dict(devices_per_replica=1, memory_per_device_gb=memory)
    per_run_instance_hours = w.volume.requests_per_run / rps / 3600
    instances = max(w.constraints.min_replicas, math.ceil(per_run_instance_hours / w.window_hours))
    run_hours = per_run_instance_hours / instances
    return Sizing(instances=instances, busy_hours_per_month=run_hours * w.runs_per_month,
                  throughput_per_instance=rps, throughput_unit="requests/s", job_hours=run_hours, **extra)


def _size_realtime(w: RealtimeInference, offering: Offering, accelerator: Accelerator,
                   network_rtt_ms: float) -> Sizing:
    model = w.model
    budget = w.slo.p95_latency_ms - network_rtt_ms
    if budget <= 0:
        raise Unfit("latency_slo", f"network round trip alone is {network_rtt_ms:.0f} ms, "
                                   f"over the {w.slo.p95_latency_ms:g} ms SLO")
    if model.is_llm:
        point = _llm_best_point(model, offering, accelerator, w.traffic.input_tokens or 1,
                                w.traffic.output_tokens or 1, budget)
        rps = (offering.accelerator_count // point.tp) * point.rps
        latency = point.latency_ms
        extra = dict(devices_per_replica=point.tp, batch=point.batch,
                     tokens_per_s_per_replica=point.tokens_per_s,
                     memory_per_device_gb=point.memory_per_device_gb)
    else:
        memory = _check_fixed_memory(model, accelerator)
        latency, per_device = _fixed_model_rate(model, accelerator)
        if latency > budget:
            raise Unfit("latency_slo", f"compute takes {latency:.1f} ms, budget after network is "
                                       f"{budget:.0f} ms")
        rps = per_device * offering.accelerator_count
        extra = dict(devices_per_replica=1, memory_per_device_gb=memory)
    instances = max(w.constraints.min_replicas, math.ceil(w.traffic.peak_rps / rps))
    return Sizing(instances=instances, busy_hours_per_month=HOURS_PER_MONTH, compute_latency_ms=latency,
                  throughput_per_instance=rps, throughput_unit="requests/s", **extra)


def _size_edge(w: EdgeInference, offering: Offering, accelerator: Accelerator) -> Sizing:
    model = w.model
    memory = _check_fixed_memory(model, accelerator)
    latency, per_device = _fixed_model_rate(model, accelerator)
    if latency > w.slo.p95_latency_ms:
        raise Unfit("latency_slo", f"compute takes {latency:.1f} ms, over the {w.slo.p95_latency_ms:g} ms SLO")
    per_unit = per_device * offering.accelerator_count
    units_per_site = max(w.constraints.min_replicas, math.ceil(w.sites.inferences_per_s / per_unit))
    unit_power = _unit_power_w(offering, accelerator)
    power = units_per_site * unit_power if unit_power is not None else None
    if w.sites.max_power_w is not None and power is None:
        raise Unfit("power_budget", f"no power figure for {offering.name}; cannot check the site budget")
    if w.sites.max_power_w is not None and power is not None and power > w.sites.max_power_w:
        raise Unfit("power_budget", f"{units_per_site} x {offering.name} draw {power:g} W per site, "
                                    f"over the {w.sites.max_power_w:g} W budget")
    return Sizing(instances=units_per_site * w.sites.count, busy_hours_per_month=HOURS_PER_MONTH,
                  compute_latency_ms=latency, devices_per_replica=1, throughput_per_instance=per_unit,
                  throughput_unit="inferences/s", memory_per_device_gb=memory, power_w_per_site=power)


def _unit_power_w(offering: Offering, accelerator: Accelerator) -> float | None:
    """Power of one unit: the purchase record's system power, else accelerators x TDP."""
    if offering.purchase is not None:
        return offering.purchase.power_w
    if accelerator.tdp_w is None:
        return None
    return accelerator.tdp_w * offering.accelerator_count


def size(workload: Workload, offering: Offering, accelerator: Accelerator,
         network_rtt_ms: float = 0.0) -> Sizing:
    """Dispatch on the workload kind; raise Unfit with the failing rule."""
    if isinstance(workload, Training):
        sizing = _size_training(workload, offering, accelerator)
    elif isinstance(workload, BatchInference):
        sizing = _size_batch(workload, offering, accelerator)
    elif isinstance(workload, RealtimeInference):
        sizing = _size_realtime(workload, offering, accelerator, network_rtt_ms)
    else:
        sizing = _size_edge(workload, offering, accelerator)
    if sizing.instances > MAX_INSTANCES:
        raise Unfit("capacity", f"needs {sizing.instances:,} x {offering.name}, more than the "
                                f"{MAX_INSTANCES:,} instances any provider could supply")
    return sizing
