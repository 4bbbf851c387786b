"""The command line end to end: validate, plan in every format, exit codes, escaping, schema."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS, ROOT, WORKLOAD_NAMES, WORKLOADS, verify_plan_json
from markupsafe import escape

from advisor.render.formats import BOM_COLUMNS, md_block, md_escape

PRICING = {"on_demand", "spot", "reserved_1y", "reserved_3y", "capex"}
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


def plan_args(*paths: str | Path, fmt: str | None = None, output: Path | None = None) -> list[str]:
    args = ["plan", *map(str, paths), *CATALOG_ARGS, "-q"]
    if fmt:
        args += ["--format", fmt]
    if output:
        args += ["-o", str(output)]
    return args


def tight_budget(workdir: Path, monthly_usd: float = 10) -> None:
    (workdir / "policy.yaml").write_text(f"kind: policy\nname: tight\nbudget: {{monthly_usd: {monthly_usd}}}\n",
                                         encoding="utf-8")


# --- validate --------------------------------------------------------------------------------

def test_validate_valid_files_exits_0(run_cli):
    code, out, err = run_cli("validate", WORKLOADS, *CATALOG_ARGS)
    assert code == 0
    assert out == "5 files OK: 4 workloads, policy 'test-policy'\n"
    assert err == ""


def test_validate_quiet_prints_nothing(run_cli):
    assert run_cli("validate", WORKLOADS, *CATALOG_ARGS, "-q") == (0, "", "")


def test_validate_prints_problems_as_file_line_col_and_exits_2(run_cli, workdir):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text().replace("p95_latency_ms", "p95_latency_msec"), encoding="utf-8")
    (workdir / "tune.yaml").write_text("name: tune\nkind: trainin\n", encoding="utf-8")
    code, out, err = run_cli("validate", workdir, *CATALOG_ARGS)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == "advisor: 2 problem(s) found"
    parsed = [PROBLEM_LINE.match(line) for line in lines[:-1]]
    assert all(parsed), lines
    assert [(m["file"], m["line"], m["col"]) for m in parsed] == [
        (str(chat), "6", "7"), (str(workdir / "tune.yaml"), "2", "7")]
    assert "did you mean 'p95_latency_ms'?" in err
    assert "unknown kind 'trainin'; did you mean 'training'?" in err


@pytest.mark.parametrize("content", [
    b"a: &x\n  b: *x\n",
    b'kind: policy\nname: !!python/object/apply:os.system ["echo hacked"]\n',
    b"kind: policy\nname: caf\xe9\n",
    b"",
    b"kind: policy\nname: a\nname: b\n",
])
def test_validate_hostile_files_exit_2_without_a_traceback(run_cli, tmp_path, content):
    path = tmp_path / "evil.yaml"
    path.write_bytes(content)
    code, out, err = run_cli("validate", path, *CATALOG_ARGS)
    assert code == 2
    assert err.startswith(f"{path}:")
    assert "hacked" not in out + err


def test_validate_missing_path_and_empty_directory_exit_2(run_cli, tmp_path):
    code, _, err = run_cli("validate", tmp_path / "nope", *CATALOG_ARGS)
    assert code == 2 and f"{tmp_path / 'nope'}:1:1: no such file or directory" in err
    code, _, err = run_cli("validate", tmp_path, *CATALOG_ARGS)
    assert code == 2 and f"{tmp_path}:1:1: no *.yaml or *.yml files found" in err


def test_bad_catalog_directory_exits_2(run_cli, tmp_path):
    code, _, err = run_cli("validate", WORKLOADS, "--catalog", tmp_path / "none", "--no-shipped-catalog")
    assert code == 2 and "catalog layer is not a directory" in err


# --- plan: formats ---------------------------------------------------------------------------

def test_plan_writes_markdown_to_stdout_by_default(run_cli):
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "--progress", "lines")
    assert code == 0
    assert out.startswith("# Placement plan\n\n| | |\n")
    assert "## What goes where" in out
    for name in WORKLOAD_NAMES:
        assert f"\n| {name} | " in out
    assert "advisor: building candidates" in err  # progress goes to stderr, not into the report
    # counted work shows its count: here the one alternative that needs a re-solve
    assert "explaining choices: 1/1" in err
    assert "advisor:" not in out


def test_progress_is_off_when_stderr_is_not_a_terminal(run_cli, tmp_path):
    code, _, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-o", tmp_path / "plan.md")
    assert code == 0
    assert err.splitlines() == [f"advisor: wrote {tmp_path / 'plan.md'} (optimal)"]  # the outcome only


def test_progress_bars_show_counts_on_a_terminal():
    import io

    from rich.console import Console

    from advisor.progress import Live

    screen = io.StringIO()
    live = Live(Console(file=screen, force_terminal=True, width=100))
    live("building candidates")
    live.step("explaining choices", 3, 8)
    live.solving(1234.5, 1200.0)
    live.bars.refresh()
    live.close()
    text = screen.getvalue()
    assert "advisor: building candidates" in text
    assert "3/8" in text and "explaining choices" in text
    assert "best $1,234.50/month, bound $1,200.00" in text


def test_quiet_plan_prints_no_progress(run_cli):
    code, out, err = run_cli(*plan_args(WORKLOADS))
    assert code == 0 and err == "" and out.startswith("# Placement plan")


@pytest.mark.parametrize(("suffix", "check"), [
    (".html", lambda t: t.startswith("<!DOCTYPE html>") and t.rstrip().endswith("</html>")),
    (".htm", lambda t: t.startswith("<!DOCTYPE html>")),
    (".json", lambda t: json.loads(t)["schema_version"] == "1.8"),
    (".csv", lambda t: t.splitlines()[0] == ",".join(BOM_COLUMNS)),
    (".md", lambda t: t.startswith("# Placement plan")),
    (".markdown", lambda t: t.startswith("# Placement plan")),
    (".JSON", lambda t: json.loads(t)["status"] == "optimal"),
])
def test_output_suffix_selects_the_format(run_cli, tmp_path, suffix, check):
    out_file = tmp_path / f"plan{suffix}"
    code, out, _ = run_cli(*plan_args(WORKLOADS, output=out_file))
    assert code == 0
    assert out == ""
    assert check(out_file.read_text(encoding="utf-8"))


def test_format_overrides_the_suffix(run_cli, tmp_path):
    out_file = tmp_path / "plan.json"
    code, _, _ = run_cli(*plan_args(WORKLOADS, fmt="md", output=out_file))
    assert code == 0
    assert out_file.read_text(encoding="utf-8").startswith("# Placement plan")


def test_format_to_stdout(run_cli):
    code, out, _ = run_cli(*plan_args(WORKLOADS, fmt="csv"))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.partition("\n\n")[0])))  # the bill; then `#` lines
    assert sorted({r["workload"] for r in rows}) == WORKLOAD_NAMES


def test_unknown_suffix_without_format_exits_2_and_writes_nothing(run_cli, tmp_path):
    out_file = tmp_path / "plan.txt"
    code, out, err = run_cli(*plan_args(WORKLOADS, output=out_file))
    assert code == 2
    assert "cannot tell the format from" in err and "--format" in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_unknown_suffix_with_format_is_fine(run_cli, tmp_path):
    out_file = tmp_path / "plan.txt"
    code, _, _ = run_cli(*plan_args(WORKLOADS, fmt="json", output=out_file))
    assert code == 0
    assert json.loads(out_file.read_text(encoding="utf-8"))["status"] == "optimal"


def test_written_report_is_readable_by_others_and_no_temp_file_is_left(run_cli, tmp_path):
    out_file = tmp_path / "plan.html"
    old = os.umask(0o022)
    try:
        assert run_cli(*plan_args(WORKLOADS, output=out_file))[0] == 0
    finally:
        os.umask(old)
    if os.name == "posix":
        assert stat.S_IMODE(out_file.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["plan.html"]


# --- plan: JSON output contract --------------------------------------------------------------

def test_json_follows_the_output_contract(run_cli, small_catalog):
    code, out, _ = run_cli(*plan_args(WORKLOADS, fmt="json"))
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == "1.8"
    assert data["status"] in {"optimal", "feasible"}
    assert data["infeasibility"] is None
    rows = data["assignments"]
    assert sorted(r["workload"] for r in rows) == WORKLOAD_NAMES
    kinds = {r["workload"]: r["kind"] for r in rows}
    assert kinds == {"cameras": "edge-inference", "chat": "realtime-inference",
                     "nightly": "batch-inference", "tune": "training"}
    for r in rows:
        for key in ("workload", "kind", "provider", "region", "instance", "accelerator"):
            assert isinstance(r[key], str) and r[key], (key, r)
        assert isinstance(r["accelerator_count"], int) and r["accelerator_count"] >= 1
        assert r["pricing"] in PRICING
        assert isinstance(r["monthly_cost_usd"], (int, float)) and r["monthly_cost_usd"] >= 0
        assert r["accelerator"] in small_catalog.accelerators
        assert r["provider"] in small_catalog.providers
    latency = {r["workload"]: r["latency_ms"] for r in rows}
    for name in ("chat", "cameras"):  # the workloads with a p95 latency SLO
        assert isinstance(latency[name], (int, float))
        slo = next(r["slo_p95_latency_ms"] for r in rows if r["workload"] == name)
        assert 0 < latency[name] <= slo
    total = sum(r["monthly_cost_usd"] for r in rows)
    assert data["total_monthly_cost_usd"] == pytest.approx(total, abs=0.02)
    verify_plan_json(out, [WORKLOADS])


def test_json_respects_workload_constraints(run_cli, workdir):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text().replace("jurisdictions: [us, eu]", "jurisdictions: [eu]"), encoding="utf-8")
    tune = workdir / "tune.yaml"
    tune.write_text(tune.read_text().replace("spot: true", "spot: false, providers: [beta]"), encoding="utf-8")
    code, out, _ = run_cli(*plan_args(workdir, fmt="json"))
    assert code == 0
    rows = {r["workload"]: r for r in json.loads(out)["assignments"]}
    assert rows["chat"]["jurisdiction"] == "eu"
    assert rows["tune"]["provider"] == "beta" and rows["tune"]["pricing"] != "spot"


def test_plan_is_deterministic(run_cli, tmp_path, baseline_json):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli(*plan_args(WORKLOADS, output=first))[0] == 0
    assert run_cli(*plan_args(WORKLOADS, output=second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8") == baseline_json


def test_python_dash_m_advisor_works_like_advisor(tmp_path, baseline_json):
    out_file = tmp_path / "plan.json"
    result = subprocess.run(
        [sys.executable, "-m", "advisor", *plan_args(WORKLOADS, output=out_file)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    text = out_file.read_text(encoding="utf-8")
    assert text == baseline_json
    verify_plan_json(text, [WORKLOADS])


# --- exit codes ------------------------------------------------------------------------------

def test_infeasible_plan_exits_1_and_still_writes_the_report(run_cli, workdir, tmp_path, baseline_json):
    tight_budget(workdir)
    out_file = tmp_path / "plan.json"
    code, _, err = run_cli("plan", workdir, *CATALOG_ARGS, "-o", out_file)
    assert code == 1
    assert "(infeasible)" in err and "budget" in err
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["status"] == "infeasible"
    assert data["assignments"] == [] and data["total_monthly_cost_usd"] is None
    inf = data["infeasibility"]
    assert inf["conflicting_constraints"] == ["budget_total"]
    cheapest = json.loads(baseline_json)["total_monthly_cost_usd"]
    (relax,) = [r for r in inf["relaxations"] if r["constraints"] == ["budget_total"]]
    (change,) = relax["changes"]
    assert (change["document"], change["field"]) == ("policy", "budget.monthly_usd")
    assert cheapest <= change["value"] < cheapest + 1
    assert f"set budget.monthly_usd to {change['value']}" in relax["suggestion"]
    assert relax["resulting_monthly_cost_usd"] == pytest.approx(cheapest)
    verify_plan_json(out_file.read_text(encoding="utf-8"), [workdir])


def test_the_suggested_budget_is_enough(run_cli, workdir, tmp_path):
    tight_budget(workdir)
    code, out, _ = run_cli(*plan_args(workdir, fmt="json"))
    assert code == 1
    (change,) = json.loads(out)["infeasibility"]["relaxations"][0]["changes"]
    tight_budget(workdir, change["value"])
    assert run_cli(*plan_args(workdir, fmt="json"))[0] == 0


def test_infeasible_markdown_report_explains_why(run_cli, workdir, tmp_path):
    tight_budget(workdir)
    out_file = tmp_path / "plan.md"
    code, _, _ = run_cli(*plan_args(workdir, output=out_file))
    assert code == 1
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# Placement plan: no feasible plan\n")
    assert "## Why no plan fits" in text
    assert "Conflicting constraints: `budget_total`" in text
    assert "\n- relax policy: total monthly budget: policy: set budget.monthly_usd to " in text
    assert_markdown_blocks_are_separated(text)


def test_infeasible_html_report_explains_why(run_cli, workdir, tmp_path):
    tight_budget(workdir)
    out_file = tmp_path / "plan.html"
    assert run_cli(*plan_args(workdir, output=out_file))[0] == 1
    text = out_file.read_text(encoding="utf-8")
    assert "<h2>Why no plan fits</h2>" in text
    assert "<code>budget_total</code>" in text and "set budget.monthly_usd to" in text


def test_workload_without_any_option_is_infeasible_and_named(run_cli, workdir):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text().replace("min_replicas: 1", "min_replicas: 1, accelerators: [edge-e]"),
                    encoding="utf-8")
    code, out, _ = run_cli(*plan_args(workdir, fmt="json"))
    assert code == 1
    inf = json.loads(out)["infeasibility"]
    assert [e["workload"] for e in inf["workloads_without_options"]] == ["chat"]
    assert "chat" in inf["message"]


def test_bad_input_exits_2_and_creates_no_output(run_cli, workdir, tmp_path):
    (workdir / "chat.yaml").write_text("name: chat\nkind: realtime-inference\nslo: {p95_latency_ms: fast}\n",
                                       encoding="utf-8")
    out_file = tmp_path / "plan.json"
    code, out, err = run_cli(*plan_args(workdir, output=out_file))
    assert code == 2
    assert "milliseconds" in err and out == ""
    assert not out_file.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["workloads"]  # no temporary file either


def test_bad_input_leaves_an_existing_report_untouched(run_cli, workdir, tmp_path):
    out_file = tmp_path / "plan.html"
    out_file.write_text("previous report", encoding="utf-8")
    os.utime(out_file, (1_000_000_000, 1_000_000_000))
    (workdir / "extra.yaml").write_text("kind: policy\n", encoding="utf-8")  # a second policy
    code, _, err = run_cli(*plan_args(workdir, output=out_file))
    assert code == 2
    assert "only one policy document is allowed" in err
    assert out_file.read_text(encoding="utf-8") == "previous report"
    assert out_file.stat().st_mtime == 1_000_000_000


@pytest.mark.parametrize("where", ["missing-dir/plan.json", "a-directory.json"])
def test_unwritable_output_exits_2(run_cli, tmp_path, where):
    (tmp_path / "a-directory.json").mkdir()
    code, out, err = run_cli(*plan_args(WORKLOADS, output=tmp_path / where))
    assert code == 2
    assert err.startswith(f"advisor: cannot write '{tmp_path / where}'")
    assert out == ""


@pytest.mark.parametrize("argv", [
    ["plan"],
    ["plan", str(WORKLOADS), "--format", "pdf"],
    ["plan", str(WORKLOADS), "--time-limit", "0"],
    ["plan", str(WORKLOADS), "--explain-time-limit", "-1"],
    ["plan", str(WORKLOADS), "--time-limit", "soon"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(run_cli, argv):
    code, out, err = run_cli(*argv)
    assert code == 2
    assert "usage: advisor" in err
    assert out == ""


# --- escaping of hostile strings -------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
HOSTILE_MODEL = f"{SCRIPT}|m`[x](javascript:alert(1))"
HOSTILE_DESCRIPTION = (f"{SCRIPT} | desc `code` [x](javascript:alert(1))\n- item\n# heading\n"
                       "=1+1+cmd|' /C calc'!A0\n| a | b |\n")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Workloads whose free-text fields (and a file name) carry HTML, pipes and formulas."""
    d = tmp_path / f"in<b>|{SCRIPT.replace('/', '')}"
    d.mkdir()
    shutil.copy(WORKLOADS / "tune.yaml", d / "tune.yaml")
    (d / "chat.yaml").write_text(f"""\
name: chat
kind: realtime-inference
team: "{SCRIPT}|x"
description: |
  {HOSTILE_DESCRIPTION.rstrip().replace(chr(10), chr(10) + "  ")}
model: {{name: "{HOSTILE_MODEL}", params_b: 8}}
traffic: {{peak_rps: 2, input_tokens: 500, output_tokens: 100, users: {{us-east: 1.0}}}}
slo: {{p95_latency_ms: 5000}}
""", encoding="utf-8")
    tune = d / "tune.yaml"
    tune.write_text(tune.read_text().replace("team: research", 'team: "=HYPERLINK(\\"http://x\\",\\"y\\")"'),
                    encoding="utf-8")
    batch = (WORKLOADS / "batch.yaml").read_text().replace("team: product", 'team: "a`b|c"')
    (d / "batch.yaml").write_text(batch, encoding="utf-8")
    (d / "policy.yaml").write_text(f"""\
kind: policy
budget:
  monthly_usd: 100000
  per_team_monthly_usd: {{"{SCRIPT}|x": 5000, "a`b|c": 100}}
""", encoding="utf-8")
    return d


def test_html_escapes_hostile_strings(run_cli, hostile, tmp_path):
    out_file = tmp_path / "plan.html"
    assert run_cli(*plan_args(hostile, output=out_file))[0] == 0
    text = out_file.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|x" in text  # the team's budget constraint is shown
    assert "in&lt;b&gt;|" in text  # and so is the input path
    assert f'<p class="description">{escape(HOSTILE_DESCRIPTION)}</p>' in text
    assert f"Model: <strong>{escape(HOSTILE_MODEL)}</strong>" in text
    assert "href" not in text.split("</style>", 1)[1]  # no link from any input (the print style names href)


def test_markdown_escapes_pipes_and_html(run_cli, hostile, tmp_path):
    out_file = tmp_path / "plan.md"
    assert run_cli(*plan_args(hostile, output=out_file))[0] == 0
    text = out_file.read_text(encoding="utf-8")
    assert "<b>" not in text
    assert_markdown_tables_are_rectangular(text)
    assert sum("budget_team:" in line for line in text.splitlines() if line.startswith("| ")) == 2
    assert "\\<script\\>alert(1)\\</script\\>\\|x" in text
    assert "``budget_team:a`b\\|c``" in text
    assert "in\\<b\\>\\|" in text
    assert_markdown_blocks_are_separated(text)
    assert md_block(HOSTILE_DESCRIPTION) in text
    assert f"Model: {md_escape(HOSTILE_MODEL)} (8B, bf16)" in text
    assert not any(line.startswith(("- item", "# heading", "=1+1", "| a |")) for line in text.splitlines())


def test_csv_neutralises_formulas(run_cli, hostile):
    code, out, _ = run_cli(*plan_args(hostile, fmt="csv"))
    assert code == 0
    rows = {r["workload"]: r for r in csv.DictReader(io.StringIO(out.partition("\n\n")[0]))}
    assert rows["tune"]["team"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows["chat"]["team"] == f"{SCRIPT}|x"
    for row in rows.values():
        assert not any(str(v).startswith(("=", "+", "@")) for v in row.values()), row
    assert rows["chat"]["model"] == HOSTILE_MODEL
    assert rows["chat"]["description"] == HOSTILE_DESCRIPTION.replace("\n=", "\n'=").replace("\n-", "\n'-")
    assert not any(line.lstrip('"').startswith(("=", "+", "-", "@")) for line in out.splitlines())


def test_json_keeps_hostile_strings_verbatim(run_cli, hostile):
    code, out, _ = run_cli(*plan_args(hostile, fmt="json"))
    assert code == 0
    teams = {r["workload"]: r["team"] for r in json.loads(out)["assignments"]}
    assert teams["chat"] == f"{SCRIPT}|x"
    chat = next(e for e in json.loads(out)["explanations"] if e["workload"] == "chat")
    assert (chat["model"], chat["description"]) == (HOSTILE_MODEL, HOSTILE_DESCRIPTION)


def assert_markdown_tables_are_rectangular(text: str) -> None:
    """Every row of a table has as many cells as its header: no input string splits a cell."""
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line)) - 2  # unescaped pipes only
        if width is None:
            width = cells
        assert cells == width, line


def assert_markdown_blocks_are_separated(text: str) -> None:
    """Headings start their own block; nothing is glued onto the end of another line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#") and i > 0:
            assert lines[i - 1] == "", f"line {i + 1} {line!r} follows {lines[i - 1]!r}"
        assert not re.search(r"[^\s#]#{2,} [A-Z]", line), f"heading glued to line {i + 1}: {line!r}"


def test_feasible_markdown_blocks_are_separated(baseline_json, run_cli):
    code, out, _ = run_cli(*plan_args(WORKLOADS))
    assert code == 0
    assert_markdown_blocks_are_separated(out)


# --- schema ----------------------------------------------------------------------------------

def test_schema_is_json_schema_for_the_four_kinds_and_policy(run_cli):
    code, out, err = run_cli("schema")
    assert code == 0 and err == ""
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["discriminator"]["propertyName"] == "kind"
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == {"training", "batch-inference", "realtime-inference", "edge-inference", "policy"}
    refs = {item["$ref"] for item in schema["oneOf"]}
    assert refs == set(mapping.values())
    defs = schema["$defs"]
    for ref in refs:
        name = ref.rsplit("/", 1)[1]
        assert defs[name]["additionalProperties"] is False
        assert "kind" in defs[name]["required"]
    slo = defs["Slo"]["properties"]["p95_latency_ms"]
    assert {"type": "number", "exclusiveMinimum": 0} in slo["anyOf"]
    assert {"p95_latency_ms", "ttft_ms", "tpot_ms"} <= set(defs["Slo"]["properties"])
    realtime = defs["RealtimeInference"]
    assert realtime["properties"]["kind"]["const"] == "realtime-inference"
    assert {"name", "model", "traffic", "slo"} <= set(realtime["required"])
    assert "monthly_usd" in defs["Budget"]["properties"]


def test_schema_is_stable(run_cli):
    assert run_cli("schema") == run_cli("schema")


def test_shipped_examples_validate(run_cli):
    code, out, err = run_cli("validate", ROOT / "workloads", "-q")
    assert (code, err) == (0, ""), err
    assert out == ""



def test_published_schema_file_matches_the_command(run_cli):
    """docs/workload.schema.json is what editors point at; it must not drift from `advisor schema`."""
    code, out, _ = run_cli("schema")
    assert code == 0
    shipped = (Path(__file__).parent.parent / "docs" / "workload.schema.json").read_text(encoding="utf-8")
    assert out == shipped, "regenerate with: advisor schema > docs/workload.schema.json"


def test_the_html_header_names_the_policy_or_says_it_has_none(run_cli, workdir, tmp_path):
    out_file = tmp_path / "plan.html"
    assert run_cli(*plan_args(workdir, output=out_file))[0] == 0
    assert "; policy test-policy" in out_file.read_text(encoding="utf-8")
    policy = workdir / "policy.yaml"
    policy.write_text(policy.read_text().replace("name: test-policy\n", ""), encoding="utf-8")
    assert run_cli(*plan_args(workdir, output=out_file))[0] == 0
    text = out_file.read_text(encoding="utf-8")
    assert "; unnamed policy" in text and "policy policy" not in text
