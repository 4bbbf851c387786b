"""Estimate bands: each family's band is what its hold-out cases say, and a plan flags the
placements that meet an objective only inside it."""

from __future__ import annotations

import json

import pytest
import test_published_edge as edge
import test_published_results as published
import test_published_training_scale as scale
from conftest import CATALOG_ARGS, WORKLOADS

from advisor.estimate.bands import ACCELERATOR_MIN_CASES, accelerator_bands, band_of, bands
from advisor.plan import Plan
from advisor.risks import _inside_band, _objectives_at_risk
from advisor.workload.models import WORKLOAD_MODELS


def _p90(errors: list[float]) -> float:
    """The 90th percentile, the nearest rank of the sorted absolute errors (as bands.yaml states it)."""
    ordered = sorted(abs(e) for e in errors)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _relative(estimate: float, value: float) -> float:
    return (estimate - value) / value


def hold_out_cases() -> dict[str, list[tuple[str, float]]]:
    """Per family, (accelerator, error) of the cases no constant was fitted to (the bounded published cases)."""
    serving = [(published.SERVING[c]["accelerator"],
                _relative(published.serving_throughput(published.SERVING[c]), published.SERVING[c]["value"]))
               for c in published.SERVING_BOUNDED]
    training = [(published.RECORDS[c]["accelerator"],
                 _relative(published.BOUNDED[c](published.RECORDS[c]), published.RECORDS[c]["value"]))
                for c in published.BOUNDED if published.RECORDS[c]["kind"] == "training"]
    training += [(scale.BY_ID[c]["accelerator"],
                  _relative(scale.estimated_minutes(scale.BY_ID[c]), scale.BY_ID[c]["time_to_train_minutes"]))
                 for c in scale.BOUNDED_CASES]
    fixed = [(published.RECORDS[c]["accelerator"],
              _relative(published.BOUNDED[c](published.RECORDS[c]), published.RECORDS[c]["value"]))
             for c in published.BOUNDED if published.RECORDS[c]["kind"] != "training"]
    fixed += [("jetson-agx-orin", _relative(edge.estimate(edge.BY_ID[c]), edge.BY_ID[c]["value"]))
              for c in edge.BOUNDED]
    return {"serving": serving, "training": training, "fixed": fixed}


def hold_out_errors() -> dict[str, list[float]]:
    """Per family, the hold-out errors."""
    return {family: [e for _, e in cases] for family, cases in hold_out_cases().items()}


def test_accelerators_with_enough_cases_have_their_own_band():
    """Every accelerator with ACCELERATOR_MIN_CASES hold-out cases in a family has its band listed,
    at its own 90th percentile; none with fewer is listed."""
    expected = {}
    for family, cases in hold_out_cases().items():
        by_accelerator: dict[str, list[float]] = {}
        for accelerator, error in cases:
            by_accelerator.setdefault(accelerator, []).append(error)
        expected.update({(family, acc): (round(100 * _p90(errors), 1), len(errors))
                         for acc, errors in by_accelerator.items() if len(errors) >= ACCELERATOR_MIN_CASES})
    listed = {key: (band.pct, band.cases) for key, band in accelerator_bands().items()}
    assert listed == expected, "update the accelerators: of advisor/estimate/bands.yaml"
    assert ("training", "h100-sxm") in listed  # the data holds enough H100 training runs for one


def test_an_accelerator_without_a_band_takes_its_familys():
    training = WORKLOAD_MODELS["training"].model_validate(
        {"name": "t", "kind": "training", "model": {"name": "m", "params_b": 1}, "tokens_b": 1, "deadline_days": 1})
    own, other = band_of(training, "roofline", "h100-sxm"), band_of(training, "roofline", "tpu-v5e")
    assert own is not None and own.accelerator == "h100-sxm" and "training on h100-sxm, 42 hold-out cases" in own.text
    assert other == bands()["training"]
    assert band_of(training, "measured", "h100-sxm") is None


@pytest.mark.parametrize("family", ["serving", "training", "fixed"])
def test_each_band_is_its_families_hold_out_error(family):
    errors = hold_out_errors()[family]
    band = bands()[family]
    assert band.cases == len(errors), "update advisor/estimate/bands.yaml: the hold-out set changed"
    assert band.pct == pytest.approx(100 * _p90(errors), abs=0.05), \
        f"update advisor/estimate/bands.yaml: {family} is now {100 * _p90(errors):.1f}%"


def test_a_placement_within_the_band_of_its_objective_is_flagged(run_cli):
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    plan = Plan.model_validate_json(out)
    chat = next(a for a in plan.assignments if a.workload == "chat")
    assert chat.estimate.band is not None and chat.estimate.band.startswith("±")
    latency = chat.latency_ms or 0.0
    rtt = chat.network_rtt_ms or 0.0
    roomy = chat.model_copy(update={"slo_p95_latency_ms": 2 * latency})
    assert _objectives_at_risk(roomy) == []  # twice the estimate: outside any band
    limit = rtt + (latency - rtt) * 1.05  # 5% headroom on the compute share: inside the band
    tight = chat.model_copy(update={"slo_p95_latency_ms": limit})
    assert _objectives_at_risk(tight) == [f"p95 latency {latency:,.0f} ms against {limit:,.0f} ms"]
    measured = tight.model_copy(update={"estimate": tight.estimate.model_copy(update={"band_pct": None})})
    assert _objectives_at_risk(measured) == []  # a measured figure has no band
    assert any(r.kind == "estimate" and r.subject == "chat" and "inside the estimate's band" in r.risk
               for r in plan.risks)  # the fixture's chat: 4,380 ms against 5,000 ms, inside 16.0%


def test_placements_with_different_bands_each_name_their_own(run_cli):
    """A workload split over two accelerators has two bands; the risk must not state one for both."""
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    chat = next(a for a in Plan.model_validate_json(out).assignments if a.workload == "chat")
    latency = chat.latency_ms or 0.0
    tight = chat.model_copy(update={"slo_p95_latency_ms": latency * 1.01, "placement": 1})
    other = tight.model_copy(update={"placement": 2, "estimate": tight.estimate.model_copy(
        update={"band": "±40% (test band)", "band_pct": 40.0})})
    [two_bands] = _inside_band([tight, other])
    assert f"(placement 1), band {tight.estimate.band}" in two_bands.risk
    assert "(placement 2), band ±40% (test band)" in two_bands.risk
    same = other.model_copy(update={"estimate": tight.estimate})
    [one_band] = _inside_band([tight, same])
    assert one_band.risk.count(tight.estimate.band or "?") == 1


def test_the_band_is_in_the_json_and_the_reports(run_cli):
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    data = json.loads(out)
    texts = {a["estimate"]["band"] for a in data["assignments"]}
    assert any(t and "hold-out cases" in t for t in texts)
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    assert "| Band |" in md and "hold-out cases" in md
