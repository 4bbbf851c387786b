"""Right-sizing: a placement busy less than 20% at peak is named, with the cheapest option on an
instance of fewer accelerators that was ruled out and the rule against it.

The hand-made figure says a replica of this detector spans 8 gpu-a and serves 100 requests/s, so
10 requests/s keep one a8 (eight gpu-a, $16.00 an hour) 10% busy. One-device instances cannot
host such a replica; x1 (asic-x, $730 a month) is the cheapest smaller option, and the workload
allows gpu-a only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CATALOG_ARGS
from test_placements import plan


def big(directory: Path, accelerators: str = "[gpu-a]") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "big.yaml").write_text(
        "name: big\nkind: realtime-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        "traffic: {peak_rps: 10, users: {us-east: 1.0}}\nslo: {p95_latency_ms: 200}\n"
        f"constraints: {{accelerators: {accelerators}, regions: ['alpha:us-1']}}\nmeasured:\n"
        "  - {accelerator: gpu-a, devices_per_replica: 8, requests_per_s: 100, latency_ms: 20, "
        "source: hand-made test figure}\n", encoding="utf-8")
    return directory


def test_an_oversized_placement_names_the_smaller_option_and_its_rule(run_cli, tmp_path):
    data = plan(run_cli, big(tmp_path / "f"))
    (summary,) = data["workloads"]
    (flag,) = summary["right_sizing"]
    assert flag["placement"] == 1 and flag["utilisation_pct"] == pytest.approx(10.0)
    assert flag["smaller_option"] == "x1 (alpha us-1, on_demand)"
    assert flag["smaller_monthly_usd"] == pytest.approx(730.0)
    assert flag["ruled_out_by"] == ["workload: allowed accelerators"]
    code, md, err = run_cli("plan", big(tmp_path / "f"), *CATALOG_ARGS, "-q")
    section = md[md.index("<summary>Right-sizing</summary>"):]
    assert "- big (1 x a8, alpha us-1) is 10% busy at peak; the cheapest option on fewer accelerators, x1" in section


def test_a_busy_placement_is_not_flagged(run_cli, tmp_path):
    d = big(tmp_path / "f")
    path = d / "big.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("peak_rps: 10", "peak_rps: 90"), encoding="utf-8")
    data = plan(run_cli, d)
    assert data["workloads"][0]["right_sizing"] == []
