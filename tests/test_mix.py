"""Request-size mixes (traffic.mix) on the hand-made catalog (tests/fixtures/small-catalog).

The service takes 20 requests/s from us-east, 80% short (16/s) and 20% long (4/s), and may only
run in alpha us-1. Published-style figures per size, given in the workload:

| accelerator | short | long | cheapest instance a month |
|---|---:|---:|---:|
| gpu-a (a1) | 10 req/s | 4 req/s | $1,095 (reserved 1y, $1.50 x 730 h) |
| asic-x (x1) | 8 req/s | 1 req/s | $730 (on demand, $1.00 x 730 h) |

A replica carries the sum over sizes of requests/s over its rate for that size:
- a1 alone: 16/10 + 4/4 = 2.6, so 3 a1 = $3,285;
- x1 alone: 16/8 + 4/1 = 6, so 6 x1 = $4,380;
- short on x1 and long on a1: 2 x1 + 1 a1 = $2,555, the optimum (1 a1 + 1 x1 cannot carry it:
  with 8 short on the x1 the a1 needs 8/10 + 4/4 = 1.8 instances).
Every plan made through `run_cli` is re-checked by the independent checker.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_placements import plan, rows

from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.verify import verify
from advisor.workload.loader import load_inputs


def mixed(directory: Path, rates: dict[str, tuple[float, float]] | None = None, peak: float = 20,
          short_share: float = 0.8, extra: str = "") -> Path:
    """The service of the module docstring; `rates`: accelerator -> (short, long) requests/s."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "qa.yaml").write_text(
        "name: qa\nkind: realtime-inference\nmodel: {name: qa-7b, params_b: 7, precision: bf16}\n"
        f"traffic:\n  peak_rps: {peak}\n  users: {{us-east: 1.0}}\n{_mix(short_share)}"
        "slo: {p95_latency_ms: 5000}\n"
        f"constraints: {{regions: ['alpha:us-1']{extra}}}\n"
        f"{_measured(rates or {'gpu-a': (10, 4), 'asic-x': (8, 1)}, latencies=(1000, 3000))}",
        encoding="utf-8")
    return directory


def _mix(short_share: float) -> str:
    """The two sizes every case here uses, as the `mix:` lines of a traffic or volume section."""
    return ("  mix:\n"
            f"    - {{name: short, input_tokens: 200, output_tokens: 100, share: {short_share}}}\n"
            f"    - {{name: long, input_tokens: 8000, output_tokens: 400, share: {round(1 - short_share, 6)}}}\n")


def _measured(rates: dict[str, tuple[float, float]], latencies: tuple[float, float] | None = None) -> str:
    """`measured:` figures per accelerator: (short, long) requests/s, and p95 latencies if given."""
    lines = []
    for acc, pair in rates.items():
        for k, (bucket, rate) in enumerate(zip(("short", "long"), pair, strict=True)):
            latency = f"latency_ms: {latencies[k]}, " if latencies else ""
            lines.append(f"  - {{accelerator: {acc}, bucket: {bucket}, requests_per_s: {rate}, {latency}"
                         f"source: hand-made test figure}}\n")
    return "measured:\n" + "".join(lines)


def test_a_mix_on_two_accelerator_types_beats_the_best_single_type(run_cli, tmp_path):
    data = plan(run_cli, mixed(tmp_path / "f"))
    assert data["status"] == "optimal"
    assert data["total_monthly_cost_usd"] == pytest.approx(2555.0)
    placed = {a["instance"]: a for a in rows(data, "qa")}
    assert set(placed) == {"x1", "a1"}
    assert placed["x1"]["instances"] == 2 and placed["x1"]["pricing"] == "on_demand"
    assert placed["a1"]["instances"] == 1 and placed["a1"]["pricing"] == "reserved_1y"
    assert [(r["size"], r["share_pct"], r["throughput_per_instance"]) for r in placed["x1"]["serves"]] == \
        [("short", 100.0, 8.0)]
    assert [(r["size"], r["share_pct"], r["throughput_per_instance"]) for r in placed["a1"]["serves"]] == \
        [("long", 100.0, 4.0)]
    # the best single type is the next-best option, and the explanation prices the difference
    (explanation,) = data["explanations"]
    best_alone = explanation["alternatives"][0]
    assert (best_alone["instance"], best_alone["monthly_cost_usd"]) == ("a1", pytest.approx(3285.0))
    (summary,) = data["workloads"]
    assert {(r["location"], r["size"]) for r in summary["routing"]} == {("us-east", "short"), ("us-east", "long")}


def test_one_type_serves_both_sizes_when_it_is_cheaper(run_cli, tmp_path):
    """With gpu-a only, a1 serves both sizes: 16/10 + 4/4 = 2.6 instances busy, so 3 reserved a1."""
    data = plan(run_cli, mixed(tmp_path / "f", extra=", accelerators: [gpu-a]"))
    (a,) = rows(data, "qa")
    assert (a["instance"], a["instances"], a["pricing"]) == ("a1", 3, "reserved_1y")
    assert sorted(r["size"] for r in a["serves"]) == ["long", "short"]
    assert data["total_monthly_cost_usd"] == pytest.approx(3285.0)


def test_a_size_no_accelerator_serves_in_time_leaves_the_workload_unplaced(run_cli, tmp_path):
    """Long requests take 3,000 ms on either type: a 2,000 ms objective leaves them no option, and
    the report says which size cannot be served (exit 1: infeasible)."""
    d = mixed(tmp_path / "f")
    text = (d / "qa.yaml").read_text(encoding="utf-8").replace("p95_latency_ms: 5000", "p95_latency_ms: 2000")
    (d / "qa.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 1, err
    data = json.loads(out)
    assert data["status"] == "infeasible"
    assert "no option can serve the long requests of its users in us-east" in " ".join(
        data["infeasibility"]["causes"])
    # the relaxation raises the objective to what the long requests need (3,000 ms measured)
    (first, *_) = data["infeasibility"]["relaxations"]
    assert first["changes"][0]["field"] == "slo.p95_latency_ms" and 3000 <= first["changes"][0]["value"] <= 3100


def test_the_checker_counts_each_size_at_its_own_rate(run_cli, tmp_path):
    """One x1 fewer: the two x1 carry 16 short requests/s at 8 each, so one x1 is short of capacity;
    and long requests moved onto the x1 (1 req/s each) overload it."""
    d = mixed(tmp_path / "f")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 0, err
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([d], catalog)
    good = Plan.model_validate_json(out)
    assert verify(good, inputs.workloads, inputs.policy, catalog) == []

    fewer = json.loads(out)
    x1 = next(a for a in fewer["assignments"] if a["instance"] == "x1")
    x1.update(instances=1, accelerator_count=1, monthly_cost_usd=730.0, annual_cost_usd=8760.0)
    fewer["total_monthly_cost_usd"] = fewer["workloads"][0]["monthly_cost_usd"] = 730.0 + 1095.0
    found = verify(Plan.model_validate(fewer), inputs.workloads, inputs.policy, catalog)
    assert any("keep 2 instances busy" in v and "runs 1" in v for v in found), found

    swapped = json.loads(out)
    x1 = next(a for a in swapped["assignments"] if a["instance"] == "x1")
    a1 = next(a for a in swapped["assignments"] if a["instance"] == "a1")
    x1["serves"], a1["serves"] = a1["serves"], x1["serves"]  # long (4/s) on two x1 at 1/s each
    found = verify(Plan.model_validate(swapped), inputs.workloads, inputs.policy, catalog)
    assert any("x1" in v and "keep 4 instances busy" in v for v in found), found


def test_the_report_says_which_sizes_go_where(run_cli, tmp_path):
    code, out, err = run_cli("plan", mixed(tmp_path / "f"), *CATALOG_ARGS, "-q")
    assert code == 0, err
    section = out[out.index("<summary>Where each request size goes</summary>"):]
    section = section[:section.index("\n### ", 1)]
    assert "| qa | short | us-east | 2 x x1 (asic-x), alpha us-1, on_demand | 100% | 8 req/s |" in section
    assert "|  | long | us-east | 1 x a1 (gpu-a), alpha us-1, reserved_1y | 100% | 4 req/s |" in section
    code, html, err = run_cli("plan", mixed(tmp_path / "f"), *CATALOG_ARGS, "-q", "--format", "html")
    assert code == 0, err
    assert "<h3>Where each request size goes</h3>" in html


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace("share: 0.8}", "share: 0.5}"), "bucket shares must add up to 1.0"),
    (lambda t: t.replace("bucket: long", "bucket: huge", 1), "bucket 'huge', which traffic.mix does not have"),
    (lambda t: t.replace(", bucket: long", "", 1), "each measurement names the bucket it was measured at"),
    (lambda t: t.replace("  mix:\n", "  input_tokens: 100\n  output_tokens: 10\n  mix:\n"),
     "give either traffic.input_tokens and output_tokens or traffic.mix"),
    (lambda t: t.replace("name: long,", "name: short,"), "bucket names must differ: short repeated"),
    (lambda t: t.replace("regions: ['alpha:us-1']", "regions: ['alpha:us-1'], survive_region_loss: true"),
     "traffic.mix with survive_region_loss is not supported yet"),
])
def test_bad_mixes_get_a_clear_error(run_cli, tmp_path, edit, message):
    d = mixed(tmp_path / "f")
    path = d / "qa.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "-q")
    assert code == 2
    assert message in err and "qa.yaml" in err
    assert "Traceback" not in err and out == ""


def _least_cost(demand: dict[str, Fraction], rates: dict[str, dict[str, int]], prices: dict[str, int],
                shrink: Fraction = Fraction(1)) -> int:
    """Brute force: the cheapest counts of the two types whose replicas carry the demand, with each
    type's time split exactly. With two types a split exists iff filling the first type with
    the sizes it is relatively best at (rate ratio, highest first) leaves the second enough time."""
    first, second = sorted(rates)
    sizes = sorted(demand, key=lambda s: -Fraction(rates[first][s], rates[second][s]))
    best = None
    for n1 in range(0, 40):
        for n2 in range(0, 40):
            room = n1 * shrink
            rest = Fraction(0)
            for s in sizes:
                need = demand[s] / (rates[first][s] * shrink)
                taken = min(need, room)
                room -= taken
                rest += (need - taken) * rates[first][s] / rates[second][s]
            if rest <= n2 and n1 + n2 >= 1:
                cost = n1 * prices[first] + n2 * prices[second]
                best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a_short=st.integers(2, 20), a_long=st.integers(1, 10), x_short=st.integers(2, 20), x_long=st.integers(1, 10),
       peak=st.integers(5, 40), short_pct=st.integers(10, 90))
def test_the_solver_matches_a_brute_force_over_two_types(run_cli, tmp_path_factory, a_short, a_long, x_short,
                                                          x_long, peak, short_pct):
    """On demand only: a1 $1,460 and x1 $730 a month. The solver's plan costs no less than the exact
    optimum and no more than the optimum with every rate 0.5% lower (it rounds load up, capacity down)."""
    d = mixed(tmp_path_factory.mktemp("mix"), {"gpu-a": (a_short, a_long), "asic-x": (x_short, x_long)}, peak,
              short_pct / 100, ", pricing: [on_demand], accelerators: [gpu-a, asic-x]")
    data = plan(run_cli, d)
    demand = {"short": Fraction(peak * short_pct, 100), "long": Fraction(peak * (100 - short_pct), 100)}
    rates = {"a": {"short": a_short, "long": a_long}, "x": {"short": x_short, "long": x_long}}
    prices = {"a": 1460, "x": 730}
    exact = _least_cost(demand, rates, prices)
    safe = _least_cost(demand, rates, prices, shrink=Fraction(995, 1000))
    assert exact - 0.01 <= data["total_monthly_cost_usd"] <= safe + 0.01


def test_catalog_measurements_taken_at_a_size_serve_that_bucket(run_cli, tmp_path):
    """The asic-x figures come from a catalog layer, one measurement per request size (and a
    sizeless one that the sized ones win over): the same optimum as with the workload's own."""
    d = mixed(tmp_path / "f", {"gpu-a": (10, 4)})
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "measurements.yaml").write_text(
        "measurements:\n"
        "  - {model: qa-7b, accelerator: asic-x, requests_per_s: 50, latency_ms: 100, source: sizeless, "
        "as_of: 2026-01-01}\n"
        "  - {model: qa-7b, accelerator: asic-x, input_tokens: 200, output_tokens: 100, requests_per_s: 8, "
        "latency_ms: 1000, source: hand-made short, as_of: 2026-01-01}\n"
        "  - {model: qa-7b, accelerator: asic-x, input_tokens: 8000, output_tokens: 400, requests_per_s: 1, "
        "latency_ms: 4000, source: hand-made long, as_of: 2026-01-01}\n", encoding="utf-8")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "--catalog", layer, "--format", "json", "-q")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_monthly_cost_usd"] == pytest.approx(2555.0)
    x1 = next(a for a in data["assignments"] if a["instance"] == "x1")
    assert x1["estimate"]["basis_source"] == "hand-made short"


def test_a_mix_under_a_profile_commits_to_a_baseline_and_routes_each_level(run_cli, tmp_path):
    """business-hours: the reserved a1 ($1,095) carries the quiet hours; x1 on demand ($1.00 an
    hour) bursts: 2 through the 304.17 peak hours, 1 at 60% and at 40% (30.42 h each), none below:
    669.17 instance-hours, $669.17. Each level's routing is in the plan, and the checker finds
    every stream routed in full and each placement's running instances busy at most fully."""
    d = mixed(tmp_path / "f")
    path = d / "qa.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "users: {us-east: 1.0}", "users: {us-east: 1.0}\n  profile: business-hours"), encoding="utf-8")
    data = plan(run_cli, d)
    assert data["status"] == "optimal"
    assert data["total_monthly_cost_usd"] == pytest.approx(1095.0 + 669.17)
    placed = {a["instance"]: a for a in rows(data, "qa")}
    assert placed["a1"]["pricing"] == "reserved_1y" and placed["x1"]["pricing"] == "on_demand"
    assert [run["instances"] for run in placed["x1"]["schedule"]] == [2, 1, 1, 0, 0, 0]
    quiet = placed["a1"]["schedule"][-1]  # 10% of peak: the reserved a1 carries everything
    assert sorted((r["size"], r["share_pct"]) for r in quiet["serves"]) == [("long", 100.0), ("short", 100.0)]
    (summary,) = data["workloads"]
    assert summary["peak_sized_monthly_usd"] == pytest.approx(2555.0)
    assert summary["profile_saving_monthly_usd"] == pytest.approx(2555.0 - 1764.17)


def batch_job(directory: Path) -> Path:
    """36,000 requests a run, half short and half long, within 2 hours, 30 runs a month, on demand
    in alpha us-1: gpu-a (a1 $2.00 an hour, a8 eight of them at $16.00) processes 10 short or 2
    long requests/s per device, asic-x (x1, $1.00 an hour) 10 short or 0.5 long.
    Billed by the work: short on x1 costs 18,000 / 10 / 3,600 h x $1 = $0.50 a run, long on gpu-a
    18,000 / 2 / 3,600 h x $2 = $5.00: $165.00 a month. gpu-a alone: $1.00 + $5.00 = $180.00;
    asic-x alone: $0.50 + $10.00 = $315.00."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "job.yaml").write_text(
        "name: summaries\nkind: batch-inference\nmodel: {name: qa-7b, params_b: 7, precision: bf16}\n"
        f"volume:\n  requests_per_run: 36000\n{_mix(0.5)}"
        "window_hours: 2\nruns_per_month: 30\n"
        "constraints: {regions: ['alpha:us-1'], pricing: [on_demand]}\n"
        f"{_measured({'gpu-a': (10, 2), 'asic-x': (10, 0.5)})}",
        encoding="utf-8")
    return directory


def test_a_batch_mix_bills_each_size_at_its_own_rate(run_cli, tmp_path):
    data = plan(run_cli, batch_job(tmp_path / "f"))
    assert data["status"] == "optimal"
    assert data["total_monthly_cost_usd"] == pytest.approx(165.0)
    by_size = {s["size"]: a for a in rows(data, "summaries") for s in a["sizes"]}
    assert by_size["short"]["instance"] == "x1" and by_size["short"]["monthly_cost_usd"] == pytest.approx(15.0)
    assert by_size["long"]["accelerator"] == "gpu-a" and by_size["long"]["monthly_cost_usd"] == pytest.approx(150.0)
    (explanation,) = data["explanations"]
    assert explanation["alternatives"][0]["monthly_cost_usd"] == pytest.approx(180.0)


def test_the_checker_times_each_size_of_a_batch_job(run_cli, tmp_path):
    """Long requests moved onto the x1 take 18,000 / 0.5 / 3,600 = 10 instance-hours a run: one x1
    has 2 within the window, and the work would bill $300.00 a month, not $15.00."""
    d = batch_job(tmp_path / "f")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 0, err
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([d], catalog)
    swapped = json.loads(out)
    x1 = next(a for a in swapped["assignments"] if a["instance"] == "x1")
    other = next(a for a in swapped["assignments"] if a["instance"] != "x1")
    x1["sizes"], other["sizes"] = other["sizes"], x1["sizes"]
    found = verify(Plan.model_validate(swapped), inputs.workloads, inputs.policy, catalog)
    assert any("x1" in v and "10 instance-hours a run" in v for v in found), found
    assert any("x1" in v and "prices give 300.00" in v for v in found), found


def test_a_batch_mix_needs_tokens_per_size_only(run_cli, tmp_path):
    d = batch_job(tmp_path / "f")
    path = d / "job.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  mix:\n", "  input_tokens: 100\n  output_tokens: 10\n  mix:\n"), encoding="utf-8")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "-q")
    assert code == 2 and "give either volume.input_tokens and output_tokens or volume.mix" in err


def test_a_known_plan_hints_every_variable_and_is_a_solution(tmp_path):
    """The warm starts hint CP-SAT with a known plan: every variable, the units running and the
    loads at each load level included (a hint of the peak alone kept a search at the first plan's
    cost for minutes), and the hinted values alone are a solution of the model."""
    from ortools.sat.python import cp_model

    from advisor.candidates import build_candidates
    from advisor.solver import model
    from advisor.topology import Topology

    d = mixed(tmp_path / "f")
    path = d / "qa.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "users: {us-east: 1.0}", "users: {us-east: 1.0}\n  profile: business-hours"), encoding="utf-8")
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([d], catalog)
    candidates = build_candidates(inputs.workloads, inputs.policy, catalog, Topology(catalog))
    names = model.family_names(inputs.policy, candidates)
    first, _ = model._build(inputs.policy, candidates, ["qa"], {}, names)
    solver = model._solver(10.0, interleave=False, mm=first)
    assert solver.solve(first.m) == cp_model.OPTIMAL
    known = model._plan_of(first, solver, hints=True)
    again, _ = model._build(inputs.policy, candidates, ["qa"], {}, names)
    model._hint_plan(again, known)
    hinted = set(again.m.proto.solution_hint.vars)
    every = [*again.n.values(), *again.f.values(), *again.u.values(), *again.g.values()]
    assert again.u and again.g and {v.index for v in every} <= hinted
    check = cp_model.CpSolver()
    check.parameters.fix_variables_to_their_hinted_value = True
    check.parameters.num_workers = 1
    assert check.solve(again.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert round(check.objective_value) == known.cost
