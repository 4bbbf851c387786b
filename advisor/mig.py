"""NVIDIA MIG geometry: which slices one GPU can hold at once, read from catalog/mig.yaml.

A GPU instance (a slice) of a profile occupies `size` memory slices starting at one of the
profile's `placements`; two slices conflict when their ranges overlap. A GPU holds a set of
slices when none conflict, their compute slices add up to at most the GPU's, and no profile
exceeds its `max_instances`. Profiles with media extensions (`+me`) are the same slice with the
GPU's video engines attached; the planner never needs them and leaves them out.

`configurations(gpu)` lists every set of slices one GPU can hold, one placement for each
distinct mix of profiles: the columns of the packing model (advisor.solver.variables).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from advisor.catalog.models import Accelerator, Catalog, MigGpu, MigProfile

Slot = tuple[str, int]
"""(profile name, start memory slice): one slice placed on a GPU."""


@dataclass(frozen=True)
class Configuration:
    """A set of slices one GPU holds: `slots` placed, `counts` of each usable profile (in the
    order of `usable_profiles`)."""

    slots: tuple[Slot, ...]
    counts: tuple[int, ...]


def usable_profiles(gpu: MigGpu) -> list[MigProfile]:
    """The profiles a workload may run on (media-extension variants left out)."""
    return [p for p in gpu.profiles if "+me" not in p.name]


def configurations(gpu: MigGpu) -> tuple[Configuration, ...]:
    """Every mix of profiles one GPU can hold, each with one placement that realises it, in a
    fixed order (fewest slices first, then by the placement)."""
    return _configurations(gpu.model_dump_json())


@functools.lru_cache(maxsize=64)
def _configurations(geometry: str) -> tuple[Configuration, ...]:
    gpu = MigGpu.model_validate_json(geometry)
    profiles = usable_profiles(gpu)
    index = {p.name: i for i, p in enumerate(profiles)}
    found: dict[tuple[int, ...], tuple[Slot, ...]] = {}

    def place(position: int, slots: tuple[Slot, ...], compute: int, counts: tuple[int, ...]) -> None:
        if slots and counts not in found:
            found[counts] = slots
        for start in range(position, gpu.memory_slices):
            for p in profiles:
                i = index[p.name]
                if (start in p.placements and start + p.size <= gpu.memory_slices
                        and compute + p.compute_slices <= gpu.compute_slices and counts[i] < p.max_instances):
                    more = counts[:i] + (counts[i] + 1,) + counts[i + 1:]
                    place(start + p.size, (*slots, (p.name, start)), compute + p.compute_slices, more)

    place(0, (), 0, (0,) * len(profiles))
    ordered = sorted(found.items(), key=lambda item: (sum(item[0]), item[1]))
    return tuple(Configuration(slots, counts) for counts, slots in ordered)


def slice_accelerator(accelerator: Accelerator, gpu: MigGpu, profile: MigProfile) -> Accelerator:
    """The accelerator one slice amounts to: the GPU's peaks scaled by its share of the compute
    slices, its bandwidth and power by its share of the memory slices, and the profile's memory."""
    compute = profile.compute_slices / gpu.compute_slices
    memory = profile.memory_slices / gpu.memory_slices

    def scaled(value: float | None, share: float) -> float | None:
        return None if value is None else value * share

    return accelerator.model_copy(update={
        "name": slice_name(accelerator.name, profile.name),
        "display_name": f"{accelerator.display_name}, MIG {profile.name}",
        "memory_gb": profile.memory_gb,
        "memory_bandwidth_gbps": scaled(accelerator.memory_bandwidth_gbps, memory),
        "bf16_tflops": scaled(accelerator.bf16_tflops, compute),
        "fp8_tflops": scaled(accelerator.fp8_tflops, compute),
        "int8_tops": scaled(accelerator.int8_tops, compute),
        "fp32_tflops": scaled(accelerator.fp32_tflops, compute),
        "tdp_w": scaled(accelerator.tdp_w, compute),
        "trains": False,
    })


def compute_share(gpu: MigGpu, profile_name: str) -> float:
    """The share of the GPU's compute slices one slice of the profile holds (how a GPU's cost is
    split between the workloads on it)."""
    profile = next(p for p in gpu.profiles if p.name == profile_name)
    return profile.compute_slices / gpu.compute_slices


def slice_name(accelerator: str, profile: str) -> str:
    """`a100-40gb/3g.20gb`: how plans, measurements and constraints name one slice."""
    return f"{accelerator}/{profile}"


def slice_accelerators(catalog: Catalog) -> dict[str, Accelerator]:
    """Every MIG slice the catalog's geometry allows, as an accelerator, by `slice_name`."""
    return {slice_name(name, p.name): slice_accelerator(catalog.accelerators[name], gpu, p)
            for name, gpu in catalog.mig.items() if name in catalog.accelerators for p in usable_profiles(gpu)}


def whole_gpu(name: str) -> str:
    """The GPU a slice name belongs to (a GPU's own name is itself)."""
    return name.partition("/")[0]
