"""How far an estimate may be off: the band of its family of the performance model.

Each family's band is the 90th percentile of its absolute hold-out error (bands.yaml, which
tests/test_bands.py recomputes from the published results). An accelerator with at least
ACCELERATOR_MIN_CASES hold-out cases in a family has a band of its own; the others take the
family's. A measured figure has no band.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from advisor.workload.models import Training, Workload

ACCELERATOR_MIN_CASES = 8
"""Hold-out cases an accelerator needs in a family for a band of its own: with fewer, the 90th
percentile is one or two results, so the family's band stands."""


@dataclass(frozen=True)
class Band:
    family: str
    label: str
    pct: float
    cases: int
    accelerator: str | None = None

    @property
    def text(self) -> str:
        """'±16% (LLM serving, 26 hold-out cases)', or '±16% (LLM serving on h100-sxm, 18 hold-out cases)'."""
        scope = self.label if self.accelerator is None else f"{self.label} on {self.accelerator}"
        return f"±{self.pct:g}% ({scope}, {self.cases} hold-out cases)"


@functools.cache
def bands() -> dict[str, Band]:
    """Each family's band."""
    return {name: Band(name, f["label"], float(f["pct"]), int(f["cases"])) for name, f in _families().items()}


@functools.cache
def accelerator_bands() -> dict[tuple[str, str], Band]:
    """The bands of accelerators with enough hold-out cases of their own, by (family, accelerator)."""
    return {(name, acc): Band(name, f["label"], float(a["pct"]), int(a["cases"]), acc)
            for name, f in _families().items() for acc, a in (f.get("accelerators") or {}).items()}


def _families() -> dict[str, dict]:
    data = yaml.safe_load((Path(__file__).parent / "bands.yaml").read_text(encoding="utf-8"))
    return data["families"]  # type: ignore[no-any-return]


def family_of(w: Workload) -> str:
    """The model family that sizes a workload: training, LLM serving, or fixed-cost models."""
    if isinstance(w, Training):
        return "training"
    return "serving" if w.model.is_llm else "fixed"


def band_of(w: Workload, basis: str, accelerator: str) -> Band | None:
    """The band of a workload's estimate on an accelerator (its own if it has one, else its
    family's); None for a measured figure."""
    if basis == "measured":
        return None
    family = family_of(w)
    return accelerator_bands().get((family, accelerator)) or bands()[family]
