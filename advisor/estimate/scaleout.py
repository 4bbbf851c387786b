"""How a training job that outgrows one instance is laid out, and whether the network allows it.

GPU servers and other instances join over their scale-out network; the rule reads its bandwidth
(`interconnect.fabric_gbps`), not its label. TPU hosts join into ICI slices of the sizes Google
sells (`interconnect.slice_sizes`); separate slices talk over the data-centre network (DCN), so a
job larger than the largest slice runs as several slices (Multislice) and the DCN bandwidth per
host decides whether that is allowed. Thresholds and their sources: `assumptions.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.catalog.models import Offering
from advisor.estimate import assumptions as A
from advisor.estimate.unfit import Unfit


@dataclass(frozen=True)
class Layout:
    """Instances to buy, the devices the model state is sharded over, and what a reviewer reads."""

    instances: int
    shard_devices: int
    description: str


def _per_device_gbps(offering: Offering) -> float:
    return offering.interconnect.fabric_gbps / offering.accelerator_count


def _check_scale_out(offering: Offering, instances: int) -> None:
    """Multi-node training needs a known scale-out bandwidth of at least the assumed minimum per device."""
    gbps = offering.interconnect.fabric_gbps
    if gbps <= 0:
        raise Unfit("fabric", f"needs {instances} x {offering.name}, but its scale-out bandwidth is not "
                                       f"known (fabric_gbps unset), so it cannot join a multi-node job")
    minimum = A.MIN_SCALE_OUT_GBPS_PER_DEVICE
    if _per_device_gbps(offering) < minimum:
        raise Unfit("fabric", f"needs {instances} x {offering.name}, whose {gbps:g} Gbps "
                                       f"{offering.interconnect.fabric} network gives "
                                       f"{_per_device_gbps(offering):g} Gbps per accelerator; multi-node "
                                       f"training needs at least {minimum:g} Gbps per accelerator")


def _check_dcn(offering: Offering, slices: int, slice_size: int) -> None:
    """Multislice exchanges data-parallel gradients over DCN: a known, documented bandwidth is needed."""
    gbps = offering.interconnect.fabric_gbps
    if gbps <= 0:
        raise Unfit("fabric", f"needs {slices} slices of {slice_size} chips joined by the data-centre "
                                       f"network, but the DCN bandwidth of {offering.name} is not known "
                                       f"(fabric_gbps unset)")
    minimum = A.MIN_MULTISLICE_DCN_GBPS_PER_CHIP
    if _per_device_gbps(offering) < minimum:
        raise Unfit("fabric", f"needs {slices} slices of {slice_size} chips joined by the data-centre "
                                       f"network; {offering.name} has {gbps:g} Gbps per host "
                                       f"({_per_device_gbps(offering):g} per chip), below the {minimum:g} Gbps "
                                       f"per chip Multislice is documented with")


def _instances_layout(offering: Offering, devices: int) -> Layout:
    count = offering.accelerator_count
    instances = math.ceil(devices / count)
    if instances == 1:
        return Layout(1, count, f"one {offering.name}")
    _check_scale_out(offering, instances)
    ic = offering.interconnect
    return Layout(instances, instances * count,
                  f"{instances} x {offering.name} joined by {ic.fabric} at {ic.fabric_gbps:g} Gbps each")


def _slice_layout(offering: Offering, devices: int, devices_for_memory: int) -> Layout:
    sizes = sorted(offering.interconnect.slice_sizes)
    hosts_per = offering.accelerator_count
    largest = sizes[-1]
    if devices_for_memory > largest:
        raise Unfit("memory_fit", f"the model state needs {devices_for_memory} chips sharded over ICI; "
                                           f"the largest slice of {offering.name} hosts has {largest} chips")
    if devices <= largest:
        size = next(s for s in sizes if s >= devices)
        return Layout(size // hosts_per, size,
                      f"one {size}-chip ICI slice ({size // hosts_per} x {offering.name})")
    slices = math.ceil(devices / largest)  # fewest slices: the least traffic over the slower DCN
    size = next(s for s in sizes if s * slices >= devices and s >= devices_for_memory)
    _check_dcn(offering, slices, size)
    return Layout(slices * size // hosts_per, size,
                  f"{slices} slices of {size} chips ({size // hosts_per} x {offering.name} each) joined by the "
                  f"data-centre network (DCN, {offering.interconnect.fabric_gbps:g} Gbps per host), not ICI")


def training_layout(offering: Offering, devices: int, devices_for_memory: int) -> Layout:
    """The instances a job of `devices` accelerators needs on `offering`, or Unfit."""
    if offering.interconnect.slice_sizes:
        return _slice_layout(offering, devices, devices_for_memory)
    return _instances_layout(offering, devices)
