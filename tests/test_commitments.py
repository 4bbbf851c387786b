"""Baseline and burst under a traffic profile, on the hand-made catalog (tests/fixtures/small-catalog).

A gpu-a replica serves 10 requests/s (measured figure). In alpha us-1, a1 costs $2.00 an hour on
demand and $1.50 reserved for a year (75% of on demand: a reserved instance pays off when it is
busy at least 75% of the 730 hours, 547.5 h). Every plan made through `run_cli` is re-checked by
the independent checker (tests/conftest.py), including each placement's schedule and cost.

The business-hours preset is, per day: 0.1 of peak for 8 hours, 0.15 for 2, 0.3 for 2, 0.4 for 1,
0.6 for 1 and the peak for 10 (hours a month = hours a day x 730 / 24): the peak for 304.17 h,
0.6 and 0.4 for 30.42 h each, 0.3 and 0.15 for 60.83 h each, 0.1 for 243.33 h.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CATALOG_ARGS
from test_placements import MEASURED, plan, rows

PEAK_HOURS = 730 * 10 / 24  # business-hours: the peak 10 hours a day
AT_60_PCT = 730 / 24


def service(directory: Path, peak_rps: float, profile: str, constraints: str = "portable: true") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "chat.yaml").write_text(
        "name: chat\nkind: realtime-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        f"traffic: {{peak_rps: {peak_rps}, users: {{us-east: 1.0}}, profile: {profile}}}\n"
        f"slo: {{p95_latency_ms: 200}}\nconstraints: {{{constraints}, regions: ['alpha:us-1']}}\n{MEASURED}",
        encoding="utf-8")
    return directory


def test_a_flat_profile_commits_to_the_whole_fleet(run_cli, tmp_path):
    """Busy all 730 hours, a reserved a1 ($1.50 x 730 = $1,095) beats renting it ($1,460)."""
    data = plan(run_cli, service(tmp_path / "f", 10, "flat"))
    (a,) = rows(data, "chat")
    assert (a["pricing"], a["instances"]) == ("reserved_1y", 1)
    assert data["total_monthly_cost_usd"] == pytest.approx(1095)
    (summary,) = data["workloads"]
    (c,) = summary["commitments"]
    assert (c["pricing"], c["term_months"], c["instances"]) == ("reserved_1y", 12, 1)
    assert c["monthly_usd"] == pytest.approx(1095) and c["total_liability_usd"] == pytest.approx(12 * 1095)
    assert c["break_even_utilisation_pct"] == pytest.approx(75.0)
    assert c["utilisation_pct"] == pytest.approx(100.0)
    assert summary["burst"] is None
    assert summary["profile_saving_monthly_usd"] == pytest.approx(0.0)


def test_a_short_daily_peak_is_rented_not_committed(run_cli, tmp_path):
    """Traffic 09:00-18:59 only (10 h a day, 304.17 h a month): on demand costs $2 x 304.17 = $608.33,
    far below the reservation's $1,095, so nothing is committed."""
    day = [0.0] * 9 + [1.0] * 10 + [0.0] * 5
    data = plan(run_cli, service(tmp_path / "f", 10, str(day)))
    (a,) = rows(data, "chat")
    assert (a["pricing"], a["instances"]) == ("on_demand", 1)
    assert a["instance_hours_per_month"] == pytest.approx(PEAK_HOURS, abs=0.01)
    assert data["total_monthly_cost_usd"] == pytest.approx(2 * PEAK_HOURS, abs=0.01)
    (summary,) = data["workloads"]
    assert summary["commitments"] == []
    assert summary["burst"]["peak_instances"] == 1
    # sized for the peak around the clock it would hold the reserved a1 all month
    assert summary["peak_sized_monthly_usd"] == pytest.approx(1095)
    assert summary["profile_saving_monthly_usd"] == pytest.approx(1095 - 2 * PEAK_HOURS, abs=0.01)


def test_baseline_plus_burst_beats_pure_commitment_and_pure_on_demand(run_cli, tmp_path):
    """20 requests/s at peak under business-hours needs 2 replicas at the peak and at 60% (12 rps),
    1 below. Two reserved: $2,190. All on demand: $2 x (730 + 334.58) = $2,129.17. One reserved
    plus one rented for the 334.58 h at or above 60%: $1,095 + $669.17 = $1,764.17, the optimum."""
    burst_hours = PEAK_HOURS + AT_60_PCT
    data = plan(run_cli, service(tmp_path / "f", 20, "business-hours"))
    placed = {a["pricing"]: a for a in rows(data, "chat")}
    assert set(placed) == {"reserved_1y", "on_demand"}
    assert placed["reserved_1y"]["instances"] == 1 and placed["on_demand"]["instances"] == 1
    assert [r["instances"] for r in placed["on_demand"]["schedule"]] == [1, 1, 0, 0, 0, 0]
    assert [r["instances"] for r in placed["reserved_1y"]["schedule"]] == [1] * 6
    assert placed["on_demand"]["monthly_cost_usd"] == pytest.approx(2 * burst_hours, abs=0.01)
    assert data["total_monthly_cost_usd"] == pytest.approx(1095 + 2 * burst_hours, abs=0.01)
    assert data["total_monthly_cost_usd"] < min(2 * 1095, 2 * (730 + burst_hours))
    (summary,) = data["workloads"]
    assert summary["burst"] == {"peak_instances": 1, "instance_hours_per_month": pytest.approx(burst_hours, abs=0.01),
                                "monthly_usd": pytest.approx(2 * burst_hours, abs=0.01)}
    (c,) = summary["commitments"]
    # the reserved replica carries min(load, 10 rps): 10 rps for the 334.58 h at 60% and above, then the load
    carried = 10 * burst_hours + 8 * AT_60_PCT + 6 * 2 * AT_60_PCT + 3 * 2 * AT_60_PCT + 2 * 8 * AT_60_PCT
    assert c["utilisation_pct"] == pytest.approx(round(100 * carried / (10 * 730), 1))
    assert summary["peak_sized_monthly_usd"] == pytest.approx(2 * 1095)


def test_min_replicas_hold_at_every_hour(run_cli, tmp_path):
    """With min_replicas 2 the quiet hours keep two replicas too: the second one runs all month, and
    renting it all month costs more than reserving it, so both are reserved ($2,190)."""
    data = plan(run_cli, service(tmp_path / "f", 20, "business-hours", "portable: true, min_replicas: 2"))
    assert {(a["pricing"], a["instances"]) for a in rows(data, "chat")} == {("reserved_1y", 2)}
    assert data["total_monthly_cost_usd"] == pytest.approx(2 * 1095)


def policy(directory: Path, text: str) -> Path:
    (directory / "policy.yaml").write_text(f"kind: policy\nbudget: {{{text}}}\n", encoding="utf-8")
    return directory


def test_a_commitment_cap_that_binds_is_priced(run_cli, tmp_path):
    """The optimum of the business-hours case commits $1,095 x 12 = $13,140. A cap of $10,000 leaves
    only renting: both replicas on demand, $2 x (730 + 334.58) = $2,129.17. The rule costs
    $2,129.17 - $1,764.17 = $365.00 a month, and the report says so."""
    burst_hours = PEAK_HOURS + AT_60_PCT
    d = policy(service(tmp_path / "f", 20, "business-hours"), "max_commitment_usd: 10000")
    data = plan(run_cli, d)
    assert {a["pricing"] for a in rows(data, "chat")} == {"on_demand"}
    assert data["total_monthly_cost_usd"] == pytest.approx(2 * (730 + burst_hours), abs=0.01)
    (summary,) = data["workloads"]
    assert summary["commitments"] == []
    cost = {c["name"]: c for c in data["constraints"]}["commitment_total"]
    assert cost["binding"] is True
    assert cost["cost_usd"] == pytest.approx(2 * (730 + burst_hours) - (1095 + 2 * burst_hours), abs=0.01)
    assert cost["setting"] == "budget.max_commitment_usd"


def test_a_commitment_cap_with_room_does_not_bind(run_cli, tmp_path):
    d = policy(service(tmp_path / "f", 20, "business-hours"), "max_commitment_usd: 13140")
    data = plan(run_cli, d)
    assert {a["pricing"] for a in rows(data, "chat")} == {"reserved_1y", "on_demand"}
    cost = {c["name"]: c for c in data["constraints"]}["commitment_total"]
    assert cost["binding"] is False


def test_a_term_cap_rules_reservations_out(run_cli, tmp_path):
    """With terms of at most 6 months, the 1-year reservation is ruled out (named rule), so the flat
    service rents its replica: $2 x 730 = $1,460."""
    d = policy(service(tmp_path / "f", 10, "flat"), "max_commitment_term_months: 6")
    data = plan(run_cli, d)
    (a,) = rows(data, "chat")
    assert a["pricing"] == "on_demand"
    assert data["total_monthly_cost_usd"] == pytest.approx(1460)
    (x,) = data["explanations"]
    assert any(g["rule"] == "commitment_term" for g in x["ruled_out"])


def test_the_report_states_commitment_burst_and_the_hours_burst_runs(run_cli, tmp_path):
    """The Markdown report of the baseline-plus-burst case: the commitment row, the burst row, and
    in the estimate basis the on-demand replica's 334.6 busy hours a month (not 730)."""
    code, out, err = run_cli("plan", service(tmp_path / "f", 20, "business-hours"), *CATALOG_ARGS, "-q")
    assert code == 0, err
    section = out[out.index("<summary>Committed baseline and hourly burst</summary>"):
                  out.index("<summary>Estimate basis</summary>")]
    assert "| chat | reserved_1y | 1 | 12 months | $1,095.00 | $13,140.00 | - |" in section
    assert "| chat | " in section and "| 1 | 335 | $669.17 |" in section
    basis = out[out.index("<summary>Estimate basis</summary>"):]
    assert "| 334.6 |" in basis and "| 730.0 |" in basis
