"""Outcomes a CI job relies on: a time-out is not infeasibility, limits are deterministic,
signals exit 128+N and never replace a good report, and no temporary file is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS, ROOT

import advisor.output
from advisor.cli import EXIT_INFEASIBLE, EXIT_INPUT, EXIT_OK, EXIT_TIMEOUT
from advisor.output import write_atomic
from advisor.signals import Interrupted, signals_interrupt

SERVICE = """name: s{i}
kind: realtime-inference
model: {{name: m, params_b: 1}}
traffic: {{peak_rps: {rps}, input_tokens: 100, output_tokens: 50, users: {{us-east: 1.0}}}}
slo: {{p95_latency_ms: 10000}}
constraints: {{portable: true}}
"""
CAPPED = "kind: policy\nlock_in: {max_provider_share_pct: 51, min_providers: 2}\n"


def capped_fleet(directory: Path, count: int = 40) -> Path:
    """Services on the test catalog under a binding provider cap: CP-SAT needs some work for them."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (directory / f"s{i}.yaml").write_text(SERVICE.format(i=i, rps=1 + (i * 7) % 23), encoding="utf-8")
    (directory / "policy.yaml").write_text(CAPPED, encoding="utf-8")
    return directory


def test_a_time_out_without_a_plan_is_its_own_outcome(run_cli, tmp_path, monkeypatch):
    import advisor.solver.model

    fleet = capped_fleet(tmp_path / "fleet")
    real = (advisor.solver.model._single_placement_plan, advisor.solver.model._rounded,
            advisor.solver.model._repaired_plan)
    # no warm start either (with one, the solve ends with that plan, feasible)
    monkeypatch.setattr(advisor.solver.model, "_single_placement_plan", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_rounded", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_repaired_plan", lambda *a, **k: None)
    code, out, err = run_cli("plan", fleet, *CATALOG_ARGS, "--time-limit", "0.000001", "--format", "json")
    assert code == EXIT_TIMEOUT
    data = json.loads(out)
    assert data["status"] == "timeout" and data["solver"]["stopped_by_limit"] is True
    assert "infeasible" not in data["infeasibility"]["message"]
    assert "raise --time-limit" in data["infeasibility"]["message"]
    assert data["infeasibility"]["relaxations"] == [] and data["infeasibility"]["conflicting_constraints"] == []
    assert "infeasible" not in err
    monkeypatch.setattr(advisor.solver.model, "_single_placement_plan", real[0])
    monkeypatch.setattr(advisor.solver.model, "_rounded", real[1])
    monkeypatch.setattr(advisor.solver.model, "_repaired_plan", real[2])
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--time-limit", "10", "--format", "json",
                           "--no-constraint-costs", "--explain-time-limit", "0.2")
    assert code == EXIT_OK and json.loads(out)["status"] == "optimal"


def test_a_fleet_too_large_to_search_without_a_start_ends_as_a_time_out(run_cli, tmp_path, monkeypatch):
    """With no warm-start plan, a joint model past the size that fits in memory is not built: the
    run ends as a time-out (exit 3, "no plan within the limit"), not a crash, even with a long limit."""
    import advisor.solver.model

    fleet = capped_fleet(tmp_path / "fleet")
    monkeypatch.setattr(advisor.solver.model, "_single_placement_plan", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_rounded", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_repaired_plan", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "FULL_SEARCH_OPTIONS", 10)
    built = []
    real_build = advisor.solver.model._build
    monkeypatch.setattr(advisor.solver.model, "_build", lambda *a, **k: built.append(len(a[2])) or real_build(*a, **k))
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--time-limit", "10", "--format", "json", "--explain", "none")
    assert code == EXIT_TIMEOUT
    assert json.loads(out)["status"] == "timeout"
    assert all(size == 1 for size in built)  # only one-workload models (own optima), never the fleet's


def test_a_time_out_report_says_so_in_markdown(run_cli, tmp_path, monkeypatch):
    import advisor.solver.model

    fleet = capped_fleet(tmp_path / "fleet")
    monkeypatch.setattr(advisor.solver.model, "_single_placement_plan", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_rounded", lambda *a, **k: None)
    monkeypatch.setattr(advisor.solver.model, "_repaired_plan", lambda *a, **k: None)
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--time-limit", "0.000001")
    assert code == EXIT_TIMEOUT
    assert out.startswith("# Placement plan: no plan within the time limit\n")
    assert "## No plan within the time limit" in out and "What to relax" not in out


def test_a_plan_stopped_by_the_limit_is_feasible_with_bound_and_gap(run_cli, tmp_path, monkeypatch):
    import advisor.planner
    from advisor.solver import SolveResult

    real = advisor.planner.solve

    def stopped_early(candidates, policy, **kwargs):
        found = real(candidates, policy, **kwargs)
        return SolveResult(status="feasible", placements=found.placements, cost_millicents=found.cost_millicents,
                           bound_millicents=(found.cost_millicents or 0) - 1000 * 1000)

    monkeypatch.setattr(advisor.planner, "solve", stopped_early)
    fleet = capped_fleet(tmp_path / "fleet", 6)
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--format", "json", "--no-constraint-costs")
    data = json.loads(out)
    assert code == EXIT_OK and data["status"] == "feasible"
    assert data["solver"]["bound_usd"] == pytest.approx(data["total_monthly_cost_usd"] - 10)
    assert data["solver"]["gap_pct"] > 0 and data["solver"]["stopped_by_limit"]
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--no-constraint-costs")
    assert "stopped by its limit of 60 s of work" in out and "bound $" in out and "gap " in out


def test_a_plan_whose_model_is_too_large_to_search_says_so_and_not_that_time_ran_out(run_cli, tmp_path,
                                                                                      monkeypatch):
    """Past FULL_SEARCH_OPTIONS the warm start's plan stands: a longer --time-limit would not change
    it, so the report must not blame the limit."""
    import advisor.solver.model

    monkeypatch.setattr(advisor.solver.model, "FULL_SEARCH_OPTIONS", 1)
    fleet = capped_fleet(tmp_path / "fleet")
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--format", "json", "--explain", "none")
    data = json.loads(out)
    assert code == EXIT_OK and data["status"] == "feasible" and data["solver"]["gap_pct"] > 0
    assert data["solver"]["stopped_by_size"] is True and data["solver"]["stopped_by_limit"] is False
    code, out, _ = run_cli("plan", fleet, *CATALOG_ARGS, "--explain", "none")
    assert "the full search not run: its model is too large" in out and "stopped by its limit" not in out
    assert "bound $" in out


@pytest.mark.parametrize("limit", ["0.003", "0.01", "0.5"])
def test_the_same_input_and_limit_give_byte_identical_json(run_cli, tmp_path, limit):
    fleet = capped_fleet(tmp_path / "fleet")
    runs = {run_cli("plan", fleet, *CATALOG_ARGS, "--time-limit", limit, "--explain-time-limit", "0.002",
                    "--format", "json")[1] for _ in range(3)}
    assert len(runs) == 1


def test_readme_documents_every_exit_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in (EXIT_OK, EXIT_INFEASIBLE, EXIT_INPUT, EXIT_TIMEOUT, 130, 143):
        assert f"**{code}**" in readme, f"exit code {code} is not documented in the README"


def test_the_solver_leaves_the_signal_handlers_alone(small_catalog):
    """CP-SAT's own SIGINT handling used to end a solve as if time ran out, then drop our handler."""
    from test_explain import plan_for, service

    with signals_interrupt():
        ours = signal.getsignal(signal.SIGINT)
        plan_for([service("a"), service("b")], lock_in={"max_provider_share_pct": 60})
        assert signal.getsignal(signal.SIGINT) is ours


def test_a_signal_while_writing_leaves_the_old_report_and_no_temporary_file(tmp_path, monkeypatch):
    report = tmp_path / "plan.json"
    report.write_text("good report", encoding="utf-8")

    def terminate(*args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)

    monkeypatch.setattr(advisor.output.os, "chmod", terminate)
    with pytest.raises(Interrupted) as stopped, signals_interrupt():
        write_atomic(report, "half a new report")
    assert stopped.value.exit_code == 143
    assert report.read_text(encoding="utf-8") == "good report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def _slow_fleet(directory: Path) -> Path:
    """Thirty mixed workloads on the shipped catalog under a 50% provider cap: seconds of solving."""
    directory.mkdir()
    kinds = [("training", "tokens_b: 5\ndeadline_days: 7\nconstraints: {spot: true}\n"),
             ("batch-inference", "volume: {requests_per_run: 100000, input_tokens: 1000, output_tokens: 200}\n"
                                 "window_hours: 8\n"),
             ("realtime-inference", "traffic: {peak_rps: 5, input_tokens: 800, output_tokens: 200, "
                                    "users: {us-east: 0.5, eu-central: 0.5}}\nslo: {p95_latency_ms: 15000}\n")]
    for i in range(30):
        kind, body = kinds[i % 3]
        params = [1, 3, 8, 13][i % 4]
        (directory / f"w{i}.yaml").write_text(
            f"name: w{i}\nkind: {kind}\nteam: t{i % 3}\nmodel: {{name: m{params}, params_b: {params}}}\n{body}",
            encoding="utf-8")
    (directory / "policy.yaml").write_text(
        "kind: policy\nlock_in: {max_provider_share_pct: 50, min_providers: 2}\n", encoding="utf-8")
    return directory


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_the_solve_exits_128_plus_n_and_writes_nothing(tmp_path, signum, code):
    fleet = _slow_fleet(tmp_path / "fleet")
    report = tmp_path / "plan.json"
    report.write_text("good report", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "advisor", "plan", str(fleet), "-o", str(report),
                                "--progress", "lines"],
                               stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    assert process.stderr is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        if "solving:" in line or not line:
            break
    process.send_signal(signum)  # solving, then explaining: the report is written only at the end
    try:
        rest = process.communicate(timeout=30)[1]
    finally:
        process.kill()
    assert process.returncode == code, "".join(lines) + rest
    assert "nothing was written" in rest and "Traceback" not in rest
    assert report.read_text(encoding="utf-8") == "good report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet", "plan.json"]
