"""Size one workload on one offering: instances needed, busy hours, compute latency.

`size` raises `Unfit(rule, reason)` when the offering cannot run the workload at all; the
rule name is what the report groups ruled-out options by. A measurement given for the model
on that accelerator replaces the roofline estimate (basis "measured").
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

from advisor.catalog.models import HOURS_PER_MONTH, Accelerator, Offering
from advisor.estimate import assumptions as A
from advisor.estimate.llm import ServingPoint, architecture, min_tensor_parallel, serving_points, weight_bytes
from advisor.estimate.queueing import MAX_UTILISATION, planned_load
from advisor.estimate.scaleout import training_layout
from advisor.estimate.shapes import hidden_size_for
from advisor.estimate.unfit import Unfit
from advisor.strict import Strict
from advisor.workload.models import (
    BatchInference,
    EdgeInference,
    Measurement,
    ModelSpec,
    RealtimeInference,
    Training,
    Workload,
)

MAX_INSTANCES = 100_000
"""More instances than this for one workload is beyond any provider's capacity."""


def whole_count(needed: float, offering: Offering) -> int:
    """ceil(needed) instances, refusing more than MAX_INSTANCES before building a huge integer
    (a tiny measured rate gives inf, and ceil(inf) raises)."""
    if not math.isfinite(needed) or needed > MAX_INSTANCES:
        raise Unfit("capacity", f"needs more than {MAX_INSTANCES:,} x {offering.name}, more than any "
                                f"provider could supply")
    return max(1, math.ceil(needed))


class Sizing(Strict):
    """How a workload runs on an offering; the key numbers a reviewer checks."""

    basis: Literal["roofline", "measured"] = "roofline"
    basis_source: str = "roofline model, docs/PERFORMANCE_MODEL.md"
    instances: int
    busy_hours_per_month: float
    compute_latency_ms: float | None = None
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    devices_per_replica: int
    batch: int | None = None
    throughput_per_instance: float
    throughput_unit: str
    tokens_per_s_per_replica: float | None = None
    memory_per_device_gb: float
    power_w_per_site: float | None = None
    job_hours: float | None = None
    mfu: float | None = None
    layout: str | None = None  # how a multi-instance job is joined (ICI slice, fabric, DCN)
    utilisation: float | None = None  # real-time: the share of a replica's rate the plan uses (queueing)
    queue_wait_ms: float | None = None  # real-time: p95 wait in the queue at that load (in ttft and latency)


@dataclass(frozen=True)
class Budget:
    """Compute-latency budgets left after the network round trip (None: unconstrained)."""

    latency_ms: float | None = None
    ttft_ms: float | None = None
    tpot_ms: float | None = None

    def admits(self, p: ServingPoint) -> bool:
        return ((self.latency_ms is None or p.latency_ms <= self.latency_ms)
                and (self.ttft_ms is None or p.ttft_ms <= self.ttft_ms)
                and (self.tpot_ms is None or p.tpot_ms <= self.tpot_ms))

    def slack_ms(self, ttft_ms: float, latency_ms: float) -> float | None:
        """What the objectives leave for queueing at a point with these unloaded times (None: no
        objective bounds the wait; TPOT does not, a queued request has not started decoding)."""
        slacks = [limit - value for limit, value in ((self.ttft_ms, ttft_ms), (self.latency_ms, latency_ms))
                  if limit is not None]
        return min(slacks) if slacks else None

    def describe(self) -> str:
        parts = [f"{name} {value:.0f} ms" for name, value in
                 (("latency", self.latency_ms), ("TTFT", self.ttft_ms), ("TPOT", self.tpot_ms)) if value is not None]
        return ", ".join(parts)


MEASURED_FIGURES = (("p95 latency", "latency_ms", "latency_ms"), ("TTFT", "ttft_ms", "ttft_ms"),
                    ("TPOT", "tpot_ms", "tpot_ms"))
"""(label, Budget field, Measurement field) of each objective a measurement must answer."""


def check_measured_times(measured: Measurement, budget: Budget, accelerator: str) -> None:
    """Every objective the budget bounds is checked against its measured figure.

    A measurement without the figure an objective needs rules the option out: mixing measured
    throughput with an estimated latency from another operating point could pass a service
    that the measurement itself shows to be too slow."""
    for label, limit_field, figure_field in MEASURED_FIGURES:
        limit = getattr(budget, limit_field)
        if limit is None:
            continue
        figure = getattr(measured, figure_field)
        if figure is None:
            raise Unfit("latency_slo", f"the objective bounds {label}, but the measurement on {accelerator} gives "
                                       f"no {figure_field}; add it to the measurement (or remove the measurement "
                                       f"to use the roofline estimate)")
        if figure > limit:
            after = "" if label == "TPOT" else " after the network round trip"
            raise Unfit("latency_slo", f"measured {label} {figure:g} ms, over the budget of {limit:g} ms{after}")


def _measurement(w: Workload, accelerator: Accelerator) -> Measurement | None:
    """The workload's own measurement for this accelerator, if it gave one."""
    return next((m for m in w.measured if m.accelerator == accelerator.name), None)


def _fixed_model_rate(model: ModelSpec, accelerator: Accelerator) -> tuple[float, float]:
    """(latency_ms at batch 1, inferences per second per device) from GFLOPs and peak rate.

    Batched work uses the whole part; one input at a time on an edge GPU runs on the GPU alone
    (not its DLAs) and fills little of it (A.single_stream)."""
    peak = A.peak_tflops(accelerator, model.precision)
    if peak is None:
        raise Unfit("precision", f"{accelerator.name} cannot run {model.precision} models")
    effective = peak * 1e12 * A.fixed_model_utilisation(accelerator)
    flops = (model.gflops_per_inference or 0) * 1e9
    single = A.single_stream(accelerator, model.precision, peak)
    latency_ms = flops / (single * 1e12) * 1000 if single is not None else flops / effective * 1000
    return latency_ms, effective / flops


def _check_fixed_memory(model: ModelSpec, accelerator: Accelerator, offering: Offering) -> float:
    """The weights' size; an accelerator's own memory must hold them, a CPU instance's RAM."""
    needed_gb = (model.params_m or 0) * 1e6 * A.BYTES_PER_PARAM[model.precision] / 1e9
    memory, holder = (offering.ram_gb, offering.name) if accelerator.kind == "cpu" else \
        (accelerator.memory_gb, accelerator.name)
    if memory is not None and needed_gb > memory * A.USABLE_MEMORY:
        raise Unfit("memory_fit", f"model needs {needed_gb:.1f} GB; {holder} has {memory:g} GB")
    return needed_gb


@functools.lru_cache(maxsize=4096)
def _ranked_points(model: ModelSpec, accelerator: Accelerator, max_tp: int, input_tokens: int, output_tokens: int,
                   nvlink_domain: int | None) -> tuple[tuple[ServingPoint, ...], ServingPoint | None]:
    """The serving points from most to fewest requests/s per instance (ties in their own order, as
    `max` would pick them), and the fastest point (the first, as `min` would pick it).

    Cached: every round trip to every region asks for the best point within its own budget."""
    points = serving_points(model, accelerator, max_tp, input_tokens, output_tokens, nvlink_domain)
    ranked = sorted(points, key=lambda p: ((max_tp // p.tp) * p.rps, -p.tp, p.batch), reverse=True)  # stable
    return tuple(ranked), min(points, key=lambda p: p.latency_ms, default=None)


@dataclass(frozen=True)
class Loaded:
    """A serving point at the load a plan runs it: the share of its rate and the p95 queue wait."""

    point: ServingPoint
    utilisation: float
    wait_ms: float


def _loaded(point: ServingPoint, budget: Budget) -> Loaded:
    """The point at the highest load whose p95 wait keeps the objectives (advisor.estimate.queueing):
    the batch's slots serve a request each, for one round."""
    slack = budget.slack_ms(point.ttft_ms, point.latency_ms)
    utilisation, wait = planned_load(point.batch, point.latency_ms / 1000, None if slack is None else slack / 1000)
    return Loaded(point, utilisation, wait * 1000)


def _llm_best_point(model: ModelSpec, offering: Offering, accelerator: Accelerator,
                    input_tokens: int, output_tokens: int, budget: Budget, queued: bool = False) -> Loaded:
    """The (tp, batch) point with most requests/s per instance within the latency budget; `queued`
    (real-time work): at the load whose queue wait keeps the budget, most requests/s at that load."""
    max_tp = offering.accelerator_count  # tensor parallelism stays inside one instance
    tp_needed = min_tensor_parallel(model, accelerator)
    if tp_needed > max_tp:
        raise Unfit("memory_fit", f"weights need {weight_bytes(model) / 1e9:.0f} GB: "
                                  f"{tp_needed} x {accelerator.name} ({accelerator.memory_gb:g} GB each), "
                                  f"but one {offering.name} joins only {max_tp}")
    ranked, fastest = _ranked_points(model, accelerator, max_tp, input_tokens, output_tokens,
                                     offering.interconnect.nvlink_domain)
    if fastest is None:
        raise Unfit("memory_fit", f"{model.name} with a {input_tokens + output_tokens}-token context "
                                  f"does not fit {offering.name}")
    best: Loaded | None = None
    best_rate = 0.0
    for p in ranked:  # most requests/s per instance first
        rate = (max_tp // p.tp) * p.rps
        if best is not None and (not queued or MAX_UTILISATION * rate <= best_rate):
            break
        if not budget.admits(p):
            continue
        found = _loaded(p, budget) if queued else Loaded(p, 1.0, 0.0)
        if found.utilisation <= 0:
            continue  # no load keeps its queue wait within the objectives
        if best is None or found.utilisation * rate > best_rate:
            best, best_rate = found, found.utilisation * rate
    if best is None:
        raise Unfit("latency_slo", f"fastest estimate is {fastest.latency_ms:.0f} ms (TTFT {fastest.ttft_ms:.0f} ms, "
                                   f"TPOT {fastest.tpot_ms:.1f} ms); budget after network: {budget.describe()}")
    return best


def _training_state_bytes(w: Training, devices: int) -> float:
    """Weights, gradients and optimizer state per device for the sharding strategy."""
    params = (w.model.params_b or 0) * 1e9
    if w.method == "lora":  # frozen weights in the model's precision, adapters negligible (2%)
        weights = params * A.BYTES_PER_PARAM[w.model.precision] * 1.02
        return weights / devices if w.sharding in ("zero3", "fsdp") else weights
    weight_b, grad_b, optimizer_b = A.training_state_bytes(w.model.precision)
    weights, grads, optimizer = params * weight_b, params * grad_b, params * optimizer_b
    if w.sharding == "replicated":
        return weights + grads + optimizer
    if w.sharding == "zero1":
        return weights + grads + optimizer / devices
    if w.sharding == "zero2":
        return weights + (grads + optimizer) / devices
    return (weights + grads + optimizer) / devices


def _activation_bytes(w: Training) -> float:
    """Per device, full recomputation, micro-batch 1 (see assumptions)."""
    arch = architecture(w.model)
    hidden = hidden_size_for(w.model.params_b or 0, arch) if w.model.architecture is None else 128 * arch.layers
    return w.seq_len * hidden * (A.ACTIVATION_BYTES_PER_TOKEN_HIDDEN_LAYER * arch.layers + A.ACTIVATION_WORKING_SET)


def _devices_for_memory(w: Training, accelerator: Accelerator, usable: float) -> int:
    activations = _activation_bytes(w)
    if _training_state_bytes(w, 1 << 20) + activations > usable:
        raise Unfit("memory_fit", f"even fully sharded, {w.model.name} needs more than {accelerator.name}'s "
                                  f"{accelerator.memory_gb:g} GB per device")
    devices = 1
    while _training_state_bytes(w, devices) + activations > usable:
        devices *= 2
    low = devices // 2 + 1 if devices > 1 else 1
    for d in range(low, devices + 1):  # the smallest count, not just a power of two
        if _training_state_bytes(w, d) + activations <= usable:
            return d
    return devices


def train_seconds(tokens: float, devices: int, rate_tokens: float, steps: int) -> float:
    """Seconds of training: the compute at `rate_tokens` per device, and each optimizer step's
    fixed overhead, which does not shrink with more devices (a fixed global batch)."""
    return tokens / (devices * rate_tokens) + steps * A.TRAINING_STEP_OVERHEAD_S


def elapsed_seconds(training: float, devices: int) -> float:
    """Elapsed time of `training` seconds of work on `devices` GPUs, with the share expected to be
    lost to interruptions and checkpoints (it grows with the GPU count, as failures do)."""
    return training / (1.0 - _interruption_loss(devices))


def _interruption_loss(devices: int) -> float:
    return min(0.5, A.INTERRUPTION_LOSS_AT_16K_GPUS * devices / A.INTERRUPTION_REFERENCE_GPUS)


def _devices_for_deadline(tokens: float, rate_tokens: float, overhead_s: float, seconds_allowed: float) -> float:
    """Devices (fractional) whose elapsed time meets the deadline: the compute must fit in what the
    steps' overhead and the interruptions leave. The loss grows with the devices, so this searches."""
    low = tokens / ((seconds_allowed - overhead_s) * rate_tokens)
    if not math.isfinite(low):
        return low  # a vanishing rate: whole_count refuses it by name
    devices = low
    for _ in range(50):  # a fixed point: devices -> devices / (1 - loss(devices)), converging fast
        needed = low / (1.0 - _interruption_loss(math.ceil(devices)))
        if needed <= devices:
            return devices
        devices = needed
    return devices


def _size_training(w: Training, offering: Offering, accelerator: Accelerator) -> Sizing:
    model = w.model
    active = (model.active_params_b or model.params_b or 0) * 1e9
    tokens = w.tokens_b * 1e9
    flops = (6 if w.method == "full" else 4) * active * tokens
    # 8- and 4-bit weights are stored quantised and dequantised for BF16 matmuls (QLoRA's storage
    # and compute types): no framework on the catalog's parts trains with INT8 or INT4 matmuls
    precision = model.precision if model.precision in ("fp8", "bf16", "fp16", "fp32") else "bf16"
    peak = A.peak_tflops(accelerator, precision)
    if not accelerator.trains or accelerator.kind == "edge":
        raise Unfit("training_support", f"{accelerator.name} is an inference-only part")
    if peak is None or accelerator.memory_gb is None:
        raise Unfit("precision", f"{accelerator.name} cannot train in {precision}")
    usable = accelerator.memory_gb * 1e9 * A.USABLE_MEMORY
    devices_for_memory = _devices_for_memory(w, accelerator, usable)
    measured = _measurement(w, accelerator)
    if measured is not None and measured.tokens_per_s_per_device is not None:
        rate_tokens = measured.tokens_per_s_per_device
        mfu = None
    else:
        mfu = A.training_mfu(accelerator, precision).mfu * (A.LORA_MFU_SHARE if w.method == "lora" else 1.0)
        rate_tokens = peak * 1e12 * mfu / (flops / tokens)
    # a measured rate already holds its steps' overhead; the model's adds it per step
    batch = w.global_batch_tokens or A.DEFAULT_GLOBAL_BATCH_TOKENS[w.method]
    steps = math.ceil(tokens / batch) if mfu is not None else 0
    seconds_allowed = min(w.deadline_days * 24, HOURS_PER_MONTH / w.runs_per_month) * 3600
    overhead_s = steps * A.TRAINING_STEP_OVERHEAD_S
    if overhead_s >= seconds_allowed:
        raise Unfit("capacity", f"its {steps:,} optimizer steps of {batch:,} tokens take "
                                f"{overhead_s / 3600:,.1f} h in overhead alone "
                                f"({A.TRAINING_STEP_OVERHEAD_S} s each), more than the deadline allows: "
                                f"raise global_batch_tokens or the deadline")
    # the deadline holds the compute, the steps' overhead and the expected interruptions
    devices_for_deadline = _devices_for_deadline(tokens, rate_tokens, overhead_s, seconds_allowed)
    whole_count(devices_for_deadline / offering.accelerator_count, offering)
    devices = max(1, devices_for_memory, math.ceil(devices_for_deadline))
    layout = training_layout(offering, devices, devices_for_memory)
    instances = layout.instances
    total_devices = instances * offering.accelerator_count
    job_hours = elapsed_seconds(train_seconds(tokens, total_devices, rate_tokens, steps), total_devices) / 3600
    return Sizing(
        basis="measured" if mfu is None else "roofline",
        basis_source=measured.source if mfu is None and measured is not None else
        f"roofline model, docs/PERFORMANCE_MODEL.md; MFU: {A.training_mfu(accelerator, precision).source}"
        + (f" x {A.LORA_MFU_SHARE} for LoRA" if w.method == "lora" else "")
        + (f"; {model.precision} weights computed at the BF16 peak" if precision != model.precision else "")
        + f"; {steps:,} steps of {batch:,} tokens, {A.TRAINING_STEP_OVERHEAD_S} s overhead each",
        instances=instances,
        busy_hours_per_month=job_hours * w.runs_per_month,
        devices_per_replica=total_devices,
        throughput_per_instance=offering.accelerator_count * rate_tokens,
        throughput_unit="tokens/s",
        memory_per_device_gb=(_training_state_bytes(w, layout.shard_devices) + _activation_bytes(w)) / 1e9,
        job_hours=job_hours,
        mfu=mfu,
        layout=layout.description,
    )


def _serving(w: BatchInference | RealtimeInference, offering: Offering, accelerator: Accelerator,
             input_tokens: int, output_tokens: int, budget: Budget, queued: bool = False
             ) -> tuple[float, float | None, dict]:
    """(requests/s per instance, compute latency ms, sizing fields) from a measurement or the model.

    `queued` (real-time work): the rate is the share of the replica's rate whose queue wait keeps
    the budget, and the latencies include that wait (advisor.estimate.queueing). A measured rate
    is taken as the load its measured latencies were seen at."""
    model = w.model
    measured = _measurement(w, accelerator)
    if measured is not None and measured.requests_per_s is not None:
        replicas = offering.accelerator_count // measured.devices_per_replica
        if replicas == 0:
            raise Unfit("memory_fit", f"measured on {measured.devices_per_replica} x {accelerator.name}; "
                                      f"{offering.name} has {offering.accelerator_count}")
        check_measured_times(measured, budget, accelerator.name)
        return replicas * measured.requests_per_s, measured.latency_ms, dict(
            basis="measured", basis_source=measured.source, devices_per_replica=measured.devices_per_replica,
            memory_per_device_gb=0.0, ttft_ms=measured.ttft_ms, tpot_ms=measured.tpot_ms)
    if model.is_llm and accelerator.kind == "cpu":
        raise Unfit("cpu_model", f"{offering.name} has no accelerator: the CPU estimate covers fixed-cost models "
                                 f"(GFLOPs per inference), not LLM serving")
    if model.is_llm:
        loaded = _llm_best_point(model, offering, accelerator, input_tokens, output_tokens, budget, queued)
        point, wait = loaded.point, loaded.wait_ms
        source = f"roofline model, docs/PERFORMANCE_MODEL.md; utilisation: {A.serving_utilisation(accelerator).source}"
        return (offering.accelerator_count // point.tp) * point.rps * loaded.utilisation, point.latency_ms + wait, dict(
            basis_source=source, devices_per_replica=point.tp, batch=point.batch,
            tokens_per_s_per_replica=point.tokens_per_s * loaded.utilisation,  # at the planned load, as the rate
            memory_per_device_gb=point.memory_per_device_gb, ttft_ms=point.ttft_ms + wait, tpot_ms=point.tpot_ms,
            **(dict(utilisation=loaded.utilisation, queue_wait_ms=wait) if queued else {}))
    memory = _check_fixed_memory(model, accelerator, offering)
    latency, per_device = _fixed_model_rate(model, accelerator)
    if budget.latency_ms is not None and latency > budget.latency_ms:
        raise Unfit("latency_slo", f"compute takes {latency:.1f} ms, budget after network is "
                                   f"{budget.latency_ms:.0f} ms")
    rate = per_device * offering.accelerator_count
    if not queued:
        return rate, latency, dict(devices_per_replica=1, memory_per_device_gb=memory)
    # each device serves one request at a time at its batched rate; the wait gets what the limit
    # leaves of the latency
    slack = None if budget.latency_ms is None else (budget.latency_ms - latency) / 1000
    utilisation, wait_seconds = planned_load(offering.accelerator_count, 1 / per_device, slack)
    wait = wait_seconds * 1000
    if utilisation <= 0:
        raise Unfit("latency_slo", f"compute takes {latency:.1f} ms, and at any load the p95 queue wait "
                                   f"passes the {budget.latency_ms:.0f} ms budget after network")
    return rate * utilisation, latency + wait, dict(devices_per_replica=1, memory_per_device_gb=memory,
                                                    utilisation=utilisation, queue_wait_ms=wait)


def _size_batch(w: BatchInference, offering: Offering, accelerator: Accelerator) -> Sizing:
    rps, _, extra = _serving(w, offering, accelerator, w.volume.input_tokens or 1, w.volume.output_tokens or 1,
                             Budget())
    per_run_instance_hours = w.volume.requests_per_run / rps / 3600
    instances = max(w.constraints.min_replicas, whole_count(per_run_instance_hours / w.window_hours, offering))
    run_hours = per_run_instance_hours / instances
    return Sizing(instances=instances, busy_hours_per_month=run_hours * w.runs_per_month,
                  throughput_per_instance=rps, throughput_unit="requests/s", job_hours=run_hours, **extra)


def _realtime_budget(w: RealtimeInference, network_rtt_ms: float) -> Budget:
    slo = w.slo
    budget = Budget(
        latency_ms=None if slo.p95_latency_ms is None else slo.p95_latency_ms - network_rtt_ms,
        ttft_ms=None if slo.ttft_ms is None else slo.ttft_ms - network_rtt_ms,
        tpot_ms=slo.tpot_ms,
    )
    for value, name in ((budget.latency_ms, "p95_latency_ms"), (budget.ttft_ms, "ttft_ms")):
        if value is not None and value <= 0:
            limit = getattr(slo, name)
            raise Unfit("latency_slo", f"network round trip alone is {network_rtt_ms:.0f} ms, over the "
                                       f"{limit:g} ms {name}")
    return budget


def _size_realtime(w: RealtimeInference, offering: Offering, accelerator: Accelerator,
                   network_rtt_ms: float | None) -> Sizing:
    if network_rtt_ms is None:
        raise Unfit("latency_slo", f"{offering.name} stands at a site with no known location, so the round trip "
                                   f"to users is unknown; a real-time service cannot be placed there")
    budget = _realtime_budget(w, network_rtt_ms)
    rps, latency, extra = _serving(w, offering, accelerator, w.traffic.input_tokens or 1,
                                   w.traffic.output_tokens or 1, budget, queued=True)
    instances = max(w.constraints.min_replicas, whole_count(w.traffic.peak_rps / rps, offering))
    return Sizing(instances=instances, busy_hours_per_month=HOURS_PER_MONTH, compute_latency_ms=latency,
                  throughput_per_instance=rps, throughput_unit="requests/s", **extra)


def _unit_power_w(offering: Offering, accelerator: Accelerator) -> float | None:
    """Power of one unit: the purchase record's system power, else accelerators x TDP."""
    if offering.purchase is not None:
        return offering.purchase.power_w
    if accelerator.tdp_w is None:
        return None
    return accelerator.tdp_w * offering.accelerator_count


def _size_edge(w: EdgeInference, offering: Offering, accelerator: Accelerator) -> Sizing:
    slo_ms = w.slo.p95_latency_ms if w.slo.p95_latency_ms is not None else math.inf  # None: relaxed
    measured = _measurement(w, accelerator)
    basis: Literal["roofline", "measured"]
    if measured is not None and measured.requests_per_s is not None:
        if w.slo.p95_latency_ms is not None:
            check_measured_times(measured, Budget(latency_ms=w.slo.p95_latency_ms), accelerator.name)
        latency, per_unit, basis = measured.latency_ms, measured.requests_per_s, "measured"
        memory, source = 0.0, measured.source
    else:
        memory = _check_fixed_memory(w.model, accelerator, offering)
        latency, per_device = _fixed_model_rate(w.model, accelerator)
        per_unit, basis = per_device * offering.accelerator_count, "roofline"
        source = "roofline model, docs/PERFORMANCE_MODEL.md"
    if latency is not None and latency > slo_ms:
        raise Unfit("latency_slo", f"compute takes {latency:.1f} ms, over the {slo_ms:g} ms SLO")
    units_per_site = max(w.constraints.min_replicas, whole_count(w.sites.inferences_per_s / per_unit, offering))
    whole_count(units_per_site * w.sites.count, offering)
    unit_power = _unit_power_w(offering, accelerator)
    power = units_per_site * unit_power if unit_power is not None else None
    if w.sites.max_power_w is not None and power is None:
        raise Unfit("power_budget", f"no power figure for {offering.name}; cannot check the site budget")
    if w.sites.max_power_w is not None and power is not None and power > w.sites.max_power_w:
        raise Unfit("power_budget", f"{units_per_site} x {offering.name} draw {power:g} W per site, "
                                    f"over the {w.sites.max_power_w:g} W budget")
    return Sizing(basis=basis, basis_source=source, instances=units_per_site * w.sites.count,
                  busy_hours_per_month=HOURS_PER_MONTH,
                  compute_latency_ms=latency, devices_per_replica=1, throughput_per_instance=per_unit,
                  throughput_unit="inferences/s", memory_per_device_gb=memory, power_w_per_site=power)


def size(workload: Workload, offering: Offering, accelerator: Accelerator,
         network_rtt_ms: float | None = None) -> Sizing:
    """Dispatch on the workload kind; raise Unfit with the failing rule.

    Real-time services need the network round trip from their slowest user location; None
    (unknown) rules them out rather than counting as 0 ms."""
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
