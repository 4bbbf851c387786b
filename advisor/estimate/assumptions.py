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

def training_state_bytes(precision: str) -> tuple[float, float, float]:
    """(weight, gradient, optimizer) bytes per parameter with Adam.

    fp32 training keeps fp32 weights and gradients and the two fp32 moments (4 + 4 + 8); mixed
    precision (bf16, fp16, fp8 compute) keeps 16-bit weights and gradients plus an fp32 master
    copy and the moments (2 + 2 + 12), as in ZeRO (Rajbhandari et al. 2020, section 3.1).
    """
    return (4.0, 4.0, 8.0) if precision == "fp32" else (2.0, 2.0, 12.0)

ACTIVATION_BYTES_PER_TOKEN_HIDDEN_LAYER = 2.0
ACTIVATION_WORKING_SET = 34.0
"""Activations with full recomputation and flash attention, micro-batch 1 (Korthikanti et al.
2022, 'Reducing Activation Recomputation in Large Transformer Models'): each layer keeps its
bf16 input (2 x seq x hidden bytes) and one layer at a time holds its working set
(34 x seq x hidden bytes)."""

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
"""Concurrent requests per replica considered; the best under the latency objectives is chosen."""

CALIBRATION = ("fitted to TensorRT-LLM v0.20 published offline throughput: Llama 3.1 8B FP8 on one H100 and "
               "H200 and Llama 3.3 70B FP8 on H200 at TP 1-8 (the calibration rows named in "
               "tests/test_published_results.py; the other rows there are held out)")

AMD_CALIBRATION = ("decode MFU fitted to AMD's published ROCm vLLM offline throughput of Llama 3.1 70B FP8 on 8 MI300X "
                   "at TP 8, 128/2048 and 2048/2048 tokens, in two revisions of the table (vLLM 0.7.3, 2025-03-11, and "
                   "0.9.1, 2025-07-16; the calibration rows named in tests/test_published_results.py; the 128/4096 and "
                   "500/2000 rows are held out); every published MI300X row is at TP 8, so the fit holds the "
                   "tensor-parallel overhead at NVIDIA's")

TENSOR_PARALLEL_OVERHEAD = 0.15
"""Per extra device in a tensor-parallel group over NVLink, the share of time lost to all-reduces
and smaller matrix products: efficiency(t) = 1 / (1 + overhead x (t - 1)). See CALIBRATION."""

PCIE_TENSOR_PARALLEL_OVERHEAD = 0.76
"""The same over PCIe (no NVLink, e.g. L40S or A10G servers), fitted to the one published row:
Llama 3.1 70B FP8 on 8 x L40S at TP 8, 1,334 output tokens/s for 1000/1000 tokens (TensorRT-LLM
v0.17 performance overview). An estimate from a single measurement."""


def tensor_parallel_efficiency(tp: int, nvlink_domain: int) -> float:
    overhead = TENSOR_PARALLEL_OVERHEAD if tp <= nvlink_domain else PCIE_TENSOR_PARALLEL_OVERHEAD
    return 1.0 / (1.0 + overhead * (tp - 1))


LORA_MFU_SHARE = 0.826
"""A LoRA fine-tune's MFU as a share of full training's (its FLOPs counted as 4 x params per
token). Fitted, with TRAINING_STEP_OVERHEAD_S, to NVIDIA's MLPerf Training v4.1 Llama 2 70B LoRA
on 8 and 64 H100 (27.93 and 4.57 minutes, less their logged evaluation time); every other MLPerf
Training result is held out (docs/PERFORMANCE_MODEL.md, "Training at scale")."""

TRAINING_STEP_OVERHEAD_S = 0.131
"""Seconds each optimizer step takes beyond its compute at the modelled rate: synchronisation,
the optimizer update and communication not hidden behind compute. Under a fixed global batch a
larger job runs the same steps with less compute in each, so its per-device throughput falls.
Fitted with LORA_MFU_SHARE (above); held out on GPT-3 175B at 256-11,616 GPUs."""

DEFAULT_GLOBAL_BATCH_TOKENS = {"full": 4_194_304, "lora": 65_536}
"""Tokens per optimizer step when a training workload does not give `global_batch_tokens`: 4M for
pre-training (LLaMA, Touvron et al. 2023, Table 2, and Llama 2's model card: "a global batch-size
of 4M tokens" for every model size), and for LoRA MLPerf's Llama 2 70B LoRA reference, 8
sequences of 8,192 tokens."""

INTERRUPTION_LOSS_AT_16K_GPUS = 0.10
"""Share of a training job's elapsed time lost to interruptions (restarts, work since the last
checkpoint, checkpoint writes) on 16,384 GPUs: Llama 3 405B kept more than 90% effective training
time over 54 days with 466 interruptions, 419 of them unexpected (The Llama 3 Herd of Models,
Meta 2024, section 3.3.4). Failures come per GPU, so the share scales with the job's GPU count
(docs/PERFORMANCE_MODEL.md): 0.005% on 8 GPUs, 0.6% on 1,024."""
INTERRUPTION_REFERENCE_GPUS = 16_384

MIN_SCALE_OUT_GBPS_PER_DEVICE = 50.0
"""Multi-node training shards weights, gradients and optimizer state over the scale-out network,
so an offering joins a multi-instance job only with at least this bandwidth per accelerator.
Model assumption, set at AWS p4d.24xlarge: 400 Gbps EFA for 8 A100 (50 Gbps each), the
lowest-bandwidth instance a large cloud sells for multi-node training (EC2 UltraClusters;
https://aws.amazon.com/ec2/instance-types/p4/). Servers with 100 Gbps for 8 GPUs (12.5 each) run
such jobs far slower than this model's MFU assumes. One figure for every job size: the bandwidth
term of ring and tree all-reduce, 2(n-1)/n x bytes per device, does not grow with the node count."""

MIN_MULTISLICE_DCN_GBPS_PER_CHIP = 25.0
"""TPU Multislice joins ICI slices over the data-centre network (DCN) and sends only data-parallel
gradient reductions across it, so it needs less than GPU multi-node training. Set at the least DCN
bandwidth Google documents Multislice with: v5e hosts, 2 x 100 Gbps NICs for 8 chips (25 Gbps per
chip; https://cloud.google.com/tpu/docs/v5e, https://cloud.google.com/tpu/docs/multislice-introduction)."""

FIXED_MODEL_UTILISATION = 0.35
"""Share of peak INT8/FP16 throughput reached by vision and other fixed-cost networks."""

EDGE_GPU_SINGLE_STREAM_UTILISATION = 0.14
"""Share of the single-stream engine's peak (`single_stream_int8_tops`, else the part's peak) a
fixed-cost model reaches one input at a time on an edge GPU (Jetson, software stack cuda). Fitted
to MLPerf Inference v3.0 ResNet-50 SingleStream on Jetson AGX Orin (NVIDIA, MAXN, TensorRT 8.5:
0.633 ms p90 at 7.6 GFLOPs on the GPU's 85 dense INT8 TOPS); checked on v3.1 (NVIDIA) and v3.0
(cTuning) in tests/test_published_results.py. A single small image fills little of the GPU; the
batched rate (FIXED_MODEL_UTILISATION on the whole part) is unchanged."""
CPU_FIXED_MODEL_UTILISATION = 0.20
"""Share of a CPU's peak (per vCPU: AMX, or the vector units without it) that fixed-cost models
reach. An estimate, from Intel's MLPerf Inference Offline INT8 results on two-socket Xeons with
AMX: v3.1 (2 x Xeon Platinum 8480+, mlcommons/inference_results_v3.1 closed/Intel, system
1-node-2S-SPR-PyTorch-INT8) ResNet-50 20,565.5 images/s x 8.216 GFLOPs = 169 TOPS, 23.0% of 112
cores x 2048 ops x 3.2 GHz; BERT-99 1,357.33 samples/s, 21.0% counting unpadded tokens; v4.0
(2 x 8592+, inference_results_v4.0 closed/Intel 1-node-2S-EMR-PyTorch) 24.8% and 22.6%. Tuned
two-socket servers reach 21-25%; small cloud VMs with stock runtimes do worse, and AMX lowers the
clock, so 0.20. Untested on CPUs without AMX (docs/PERFORMANCE_MODEL.md, "CPUs")."""


def fixed_model_utilisation(accelerator: Accelerator) -> float:
    """The share of peak a fixed-cost model reaches on this accelerator (CPUs: their own figure)."""
    return CPU_FIXED_MODEL_UTILISATION if accelerator.kind == "cpu" else FIXED_MODEL_UTILISATION


@dataclass(frozen=True)
class ServingUtilisation:
    prefill_mfu: float
    decode_bandwidth_efficiency: float
    decode_mfu: float
    source: str


SERVING: dict[str, ServingUtilisation] = {
    "nvidia-gpu": ServingUtilisation(
        prefill_mfu=0.60, decode_bandwidth_efficiency=0.70, decode_mfu=0.35,
        source=CALIBRATION + "; the bandwidth share agrees with gpt-fast's 68.5-72.7% of A100 peak at batch 1 "
                             "(utilisation.yaml a100-gptfast-*)",
    ),
    "amd-gpu": ServingUtilisation(
        prefill_mfu=0.38, decode_bandwidth_efficiency=0.61, decode_mfu=0.182,
        source=AMD_CALIBRATION + "; prefill and bandwidth shares are estimates: NVIDIA's fitted figures scaled by "
               "MI300X/H100 microbenchmark ceilings on Azure (HBM 0.775/0.887, FP8 GEMM 0.443/0.698; "
               "utilisation.yaml microbenchmark_ceilings)",
    ),
    "aws-asic": ServingUtilisation(
        prefill_mfu=0.60, decode_bandwidth_efficiency=0.65, decode_mfu=0.35,
        source="bandwidth share fitted to AWS's Llama 2 13B sample on inf2.48xlarge (batch 1, 1024/1024 tokens, "
               "198.1 tokens/s in+out: 10.1 ms per token on 12 chips with this model's tensor-parallel "
               "efficiency); AWS's 70B sample is half as fast as this predicts; compute shares are NVIDIA's "
               "fitted values (estimate)",
    ),
    "default": ServingUtilisation(
        prefill_mfu=0.60, decode_bandwidth_efficiency=0.70, decode_mfu=0.35,
        source="estimate: NVIDIA's figures, no fit for this family; on TPU v6e 33-40% pessimistic against Google's "
               "vLLM recipe for Llama 3.3 70B on a v6e-8 (docs/PERFORMANCE_MODEL.md, known misses)",
    ),
}


@dataclass(frozen=True)
class TrainingUtilisation:
    mfu: float
    source: str


TRAINING_MFU: dict[tuple[str, str], TrainingUtilisation] = {
    ("nvidia-gpu", "bf16"): TrainingUtilisation(
        0.41, "Llama 3 405B pre-training on 16,384 H100: 400 TFLOPs/GPU, 41% BF16 MFU (Llama 3 paper, "
              "utilisation.yaml h100-llama3-405b-16k-gpus-bf16)"),
    ("nvidia-gpu", "fp8"): TrainingUtilisation(
        0.373, "NeMo 24.07 Llama 3 70B on 64 H100 in FP8: 37.3% of the FP8 peak "
               "(utilisation.yaml h100-nemo2407-llama3-70b-64gpu-fp8)"),
    ("google-tpu", "bf16"): TrainingUtilisation(
        0.6776, "MaxText 32B on a v5p-128 slice: 67.76% MFU (utilisation.yaml tpu-v5p-maxtext-32b-v5p-128)"),
    ("aws-asic", "bf16"): TrainingUtilisation(
        0.318, "NeuronX Distributed Llama 2 7B on 16 trn1.32xlarge: 31.8% MFU, derived from published "
               "sequences/s (utilisation.yaml trn1-nxd-llama2-7b-16node)"),
    ("amd-gpu", "bf16"): TrainingUtilisation(
        0.26, "estimate: NVIDIA's 41% scaled by the MI300X/H100 FP8 GEMM ceilings on Azure (0.443/0.698); "
              "no published MI300X training MFU found"),
    ("default", "bf16"): TrainingUtilisation(0.35, "estimate: no published training MFU found for this family"),
}


def family(accelerator: Accelerator) -> str:
    """The utilisation family: vendor plus kind, e.g. nvidia-gpu, google-tpu, aws-asic."""
    return f"{accelerator.vendor}-{accelerator.kind}"


def serving_utilisation(accelerator: Accelerator) -> ServingUtilisation:
    return SERVING.get(family(accelerator), SERVING["default"])


def training_mfu(accelerator: Accelerator, precision: str = "bf16") -> TrainingUtilisation:
    """MFU against the dense peak of the precision used (FP8 runs against the FP8 peak)."""
    kind = "fp8" if precision == "fp8" else "bf16"
    fam = family(accelerator)
    return (TRAINING_MFU.get((fam, kind)) or TRAINING_MFU.get((fam, "bf16"))
            or TRAINING_MFU[("default", "bf16")])


def single_stream(accelerator: Accelerator, precision: str, peak: float) -> float | None:
    """The effective TFLOP/s one input at a time reaches on an edge GPU: its single-stream engine's
    INT8 peak for 8- and 4-bit models (the part's INT8 figure counts the DLAs too; its FP16 figure
    is the GPU's already), times the single-stream utilisation. None elsewhere, where the batched
    utilisation applies (no single-stream evidence)."""
    if accelerator.kind != "edge" or accelerator.software_stack != "cuda":
        return None
    engine = peak
    if precision in ("int8", "int4") and accelerator.single_stream_int8_tops is not None:
        engine = accelerator.single_stream_int8_tops
    return engine * EDGE_GPU_SINGLE_STREAM_UTILISATION


def peak_tflops(accelerator: Accelerator, precision: str) -> float | None:
    """Dense peak for the precision the model computes in; None if the chip cannot run it."""
    bf16, fp32 = accelerator.bf16_tflops, accelerator.fp32_tflops
    if precision in ("int8", "int4"):
        return accelerator.int8_tops or accelerator.fp8_tflops or bf16 or fp32
    if precision == "fp8":
        return accelerator.fp8_tflops or bf16
    if precision == "fp32":  # without a listed FP32 rate: TF32 tensor rate, half the BF16 rate on NVIDIA parts
        return fp32 or (bf16 / 2 if bf16 else None)
    return bf16 or fp32  # a CPU without 16-bit matrix units computes a 16-bit model in FP32


def kv_bytes(precision: str) -> float:
    """KV-cache bytes per element: 8-bit caches for 8/4-bit models, 16-bit otherwise."""
    return 1.0 if precision in ("fp8", "int8", "int4") else 2.0
