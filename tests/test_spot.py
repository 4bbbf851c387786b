"""Spot with an on-demand fallback, on the hand-made catalog (tests/fixtures/small-catalog).

A batch run of 72,000 requests at 10 requests/s per gpu-a takes 2 instance-hours; 30 runs a month
bill 60 instance-hours of gpu-a. In alpha us-1 an a1 costs $1.00 an hour on spot and $2.00 on
demand (a8, eight gpu-a, costs exactly eight times as much per hour, so it bills the same work
at the same price). Reclaimed spot capacity is replaced by the same instance on demand, so a
share r of the work bills at the on-demand price: 60 x ((1 - r) x $1 + r x $2). Every plan made
through `run_cli` is re-checked by the independent checker, which recomputes that price.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS
from test_placements import MEASURED, plan, rows

from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.verify import verify
from advisor.workload.loader import load_inputs

HOURS = 60.0


def batch(directory: Path, spot: bool, policy: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "job.yaml").write_text(
        "name: job\nkind: batch-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        "volume: {requests_per_run: 72000}\nwindow_hours: 2\nruns_per_month: 30\n"
        f"constraints: {{spot: {str(spot).lower()}, portable: true, regions: ['alpha:us-1']}}\n{MEASURED}",
        encoding="utf-8")
    if policy:
        (directory / "policy.yaml").write_text(f"kind: policy\n{policy}\n", encoding="utf-8")
    return directory


def test_spot_carries_the_work_with_the_default_fallback(run_cli, tmp_path):
    """By default 20% of spot capacity is assumed reclaimed: 60 x (0.8 x $1 + 0.2 x $2) = $72, of
    which $24 pays for the on-demand replacement."""
    data = plan(run_cli, batch(tmp_path / "f", spot=True))
    (a,) = rows(data, "job")
    assert a["pricing"] == "spot"
    assert a["spot_interruption_pct"] == pytest.approx(20.0)
    assert a["fallback_hourly_usd"] == pytest.approx(2.0 if a["instance"] == "a1" else 16.0)
    assert data["total_monthly_cost_usd"] == pytest.approx(HOURS * (0.8 * 1 + 0.2 * 2))
    assert a["fallback_monthly_usd"] == pytest.approx(HOURS * 0.2 * 2)
    (summary,) = data["workloads"]
    assert summary["spot_share_pct"] == pytest.approx(100.0)


def test_the_policy_sets_the_interruption_rate(run_cli, tmp_path):
    """At 50% reclaimed: 60 x (0.5 x $1 + 0.5 x $2) = $90, $60 of it the fallback; still below
    on demand alone ($120)."""
    data = plan(run_cli, batch(tmp_path / "f", spot=True, policy="spot_interruption_pct: 50"))
    (a,) = rows(data, "job")
    assert a["pricing"] == "spot" and a["spot_interruption_pct"] == pytest.approx(50.0)
    assert data["total_monthly_cost_usd"] == pytest.approx(90.0)
    assert a["fallback_monthly_usd"] == pytest.approx(60.0)


def test_without_spot_the_work_runs_on_demand(run_cli, tmp_path):
    data = plan(run_cli, batch(tmp_path / "f", spot=False))
    (a,) = rows(data, "job")
    assert a["pricing"] == "on_demand" and a["fallback_monthly_usd"] is None
    assert data["total_monthly_cost_usd"] == pytest.approx(HOURS * 2)
    (summary,) = data["workloads"]
    assert summary["spot_share_pct"] is None


def test_the_report_states_the_spot_share_and_its_fallback(run_cli, tmp_path):
    code, out, err = run_cli("plan", batch(tmp_path / "f", spot=True), *CATALOG_ARGS, "-q")
    assert code == 0, err
    section = out[out.index("<summary>Spot with on-demand fallback</summary>"):]
    assert "| job |" in section and "| 20% |" in section and "$24.00" in section


def test_the_checker_rejects_a_spot_row_priced_without_its_fallback(run_cli, tmp_path):
    """A spot row billed at the bare spot price ($60) understates the month: the checker says so."""
    d = batch(tmp_path / "f", spot=True)
    data = plan(run_cli, d)
    (a,) = data["assignments"]
    a["monthly_cost_usd"] = HOURS * 1.0
    data["total_monthly_cost_usd"] = HOURS * 1.0
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([d], catalog)
    found = verify(Plan.model_validate_json(json.dumps(data)), inputs.workloads, inputs.policy, catalog)
    assert any("prices give 72.00" in v for v in found), found
