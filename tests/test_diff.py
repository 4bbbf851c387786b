"""`advisor diff OLD.json NEW.json`: the headline with direction and percentage, each workload's
old and new cost and placements, added and removed workloads, the change per team, and a CI gate.

Two plans of the fixture workloads: the second doubles chat's peak traffic, which one x1 ($730 a
month on demand) no longer carries: chat moves to one a1 reserved for a year ($1,095); and it drops
the training job "tune" ($12.21).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS


def plans(run_cli, workdir: Path, tmp_path: Path) -> tuple[Path, Path, dict, dict]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert run_cli("plan", workdir, *CATALOG_ARGS, "-q", "-o", old)[0] == 0
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text(encoding="utf-8").replace("peak_rps: 2", "peak_rps: 4"), encoding="utf-8")
    (workdir / "tune.yaml").unlink()
    assert run_cli("plan", workdir, *CATALOG_ARGS, "-q", "-o", new)[0] == 0
    return old, new, json.loads(old.read_text()), json.loads(new.read_text())


def test_diff_shows_what_moved_and_what_it_costs(run_cli, workdir, tmp_path):
    old, new, a, b = plans(run_cli, workdir, tmp_path)
    delta = b["total_monthly_cost_usd"] - a["total_monthly_cost_usd"]
    assert delta > 0
    code, out, err = run_cli("diff", old, new)
    assert code == 0, err
    pct = 100 * delta / a["total_monthly_cost_usd"]
    assert (f"The monthly cost rises by ${delta:,.2f} (+{pct:.1f}%), from ${a['total_monthly_cost_usd']:,.2f} to "
            f"${b['total_monthly_cost_usd']:,.2f}: 1 workload moved, 0 added, 1 removed.") in out
    assert "| chat | product | $730.00 | $1,095.00 | +$365.00 |" in out
    assert "| tune | research | $12.21 | removed | -$12.21 |" in out
    assert "<details><summary>What moved where</summary>" in out
    assert "**chat**: 1 x x1 (alpha us-1, on_demand) → 1 x a1 (alpha us-1, reserved_1y)" in out
    assert "| research | $12.21 | $0.00 | -$12.21 |" in out
    code, text, err = run_cli("diff", old, new, "--format", "text")
    assert "chat (product): $730.00 -> $1,095.00 (+$365.00)" in text and "\\_" not in text


def test_the_ci_gate_fails_on_an_increase_past_its_threshold(run_cli, workdir, tmp_path):
    old, new, a, b = plans(run_cli, workdir, tmp_path)
    pct = 100 * (b["total_monthly_cost_usd"] - a["total_monthly_cost_usd"]) / a["total_monthly_cost_usd"]
    assert run_cli("diff", old, new, "--fail-on-increase", f"{pct - 1:.1f}")[0] == 3
    assert run_cli("diff", old, new, "--fail-on-increase", f"{pct + 1:.1f}")[0] == 0
    assert run_cli("diff", new, old, "--fail-on-increase", "0")[0] == 0  # a fall passes
    code, out, err = run_cli("diff", old, old)
    assert "The monthly cost is unchanged" in out and "No workload changed." in out


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"status": "optimal"}', "not a plan of this advisor's output contract"),
])
def test_a_file_that_is_not_a_plan_is_a_clear_input_error(run_cli, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, out, err = run_cli("diff", bad, bad)
    assert code == 2 and out == "" and message in err and "bad.json" in err
    code, out, err = run_cli("diff", tmp_path / "missing.json", bad)
    assert code == 2 and "missing.json" in err and "cannot read the plan" in err
