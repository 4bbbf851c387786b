"""How far an estimate may be off: the band of its family of the performance model.

Each family's band is the 90th percentile of its absolute hold-out error (bands.yaml, which
tests/test_bands.py recomputes from the published results). A measured figure has no band.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from advisor.workload.models import Training, Workload


@dataclass(frozen=True)
class Band:
    family: str
    label: str
    pct: float
    cases: int

    @property
    def text(self) -> str:
        """'±16.3% (LLM serving, 27 hold-out cases)'."""
        return f"±{self.pct:g}% ({self.label}, {self.cases} hold-out cases)"


@functools.cache
def bands() -> dict[str, Band]:
    data = yaml.safe_load((Path(__file__).parent / "bands.yaml").read_text(encoding="utf-8"))
    return {name: Band(name, f["label"], float(f["pct"]), int(f["cases"])) for name, f in data["families"].items()}


def family_of(w: Workload) -> str:
    """The model family that sizes a workload: training, LLM serving, or fixed-cost models."""
    if isinstance(w, Training):
        return "training"
    return "serving" if w.model.is_llm else "fixed"


def band_of(w: Workload, basis: str) -> Band | None:
    """The band of a workload's estimate; None for a measured figure."""
    return None if basis == "measured" else bands()[family_of(w)]
