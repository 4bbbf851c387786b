"""Default transformer shapes by model size, from real open models (model_shapes.yaml).

When a workload gives only `params_b`, the KV cache and activations are sized with the shape of
the known dense model closest in size, so a 70B model gets Llama-3-70B's 80 layers and 8 KV
heads rather than a formula's guess.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import yaml

from advisor.workload.models import Architecture

SHAPES_FILE = Path(__file__).with_name("model_shapes.yaml")


@functools.cache
def known_shapes() -> tuple[tuple[float, Architecture, int, str], ...]:
    """(params_b, architecture, hidden_size, name) of each dense model in model_shapes.yaml."""
    if not SHAPES_FILE.exists():
        return ()
    data = yaml.safe_load(SHAPES_FILE.read_text(encoding="utf-8")) or {}
    shapes = []
    for s in data.get("shapes", []):
        if s.get("experts"):
            continue  # mixture-of-experts shapes do not generalise by total size
        arch = Architecture(layers=s["layers"], kv_heads=s["kv_heads"], head_dim=s["head_dim"])
        shapes.append((float(s["params_b"]), arch, int(s["hidden_size"]), str(s["name"])))
    return tuple(sorted(shapes, key=lambda t: (t[0], t[3])))


@functools.lru_cache(maxsize=1024)
def _nearest(params_b: float) -> tuple[float, Architecture, int, str] | None:
    shapes = known_shapes()
    if not shapes or params_b <= 0:
        return None
    return min(shapes, key=lambda t: (abs(math.log(t[0] / params_b)), t[3]))


def formula_shape(params_b: float) -> Architecture:
    """A dense decoder with head_dim 128, width 128 x layers and 8 KV heads (GQA):
    params ~ 12 x layers x width^2 gives layers = (params / 196,608)^(1/3)."""
    layers = max(2, round((max(params_b, 1e-3) * 1e9 / 196_608) ** (1 / 3)))
    return Architecture(layers=layers, kv_heads=8, head_dim=128)


def shape_for(params_b: float) -> Architecture:
    """Shape of the known model nearest in size (by ratio), else the formula's."""
    nearest = _nearest(params_b)
    return nearest[1] if nearest else formula_shape(params_b)


def hidden_size_for(params_b: float, arch: Architecture) -> int:
    """Model width: the nearest known model's, else 128 x layers."""
    nearest = _nearest(params_b)
    return nearest[2] if nearest else 128 * arch.layers
