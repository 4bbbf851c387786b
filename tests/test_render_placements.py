"""Reports of a workload with several placements (schema 1.1 and later): md, html and csv group them.

The plans here are made by hand from the fixture plan, so the renderers are tested before any
planner makes more than one placement: once with `plan.workloads` filled (totals, regions,
routing as the planner reports them) and once without it (everything read from the assignments).
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_cli import assert_markdown_blocks_are_separated, assert_markdown_tables_are_rectangular

from advisor.plan import Assignment, Plan, Route, WorkloadPlan, WorkloadRoute
from advisor.render import plan_schema, render
from advisor.render.formats import BOM_COLUMNS, rate, serves_text, workload_views

HOSTILE_LOCATION = "<b>eu|central</b>"


def _two_placements(plan: Plan, *, workloads: bool, location: str = "eu-central") -> Plan:
    """`plan` with chat carried by two placements: 60% in alpha us-1, 40% in beta eu-1."""
    rows: list[Assignment] = []
    for a in plan.assignments:
        if a.workload != "chat":
            rows.append(a)
            continue
        rows.append(a.model_copy(update={"load_share_pct": 60.0, "serves": [
            Route(location="us-east", share_pct=100, network_rtt_ms=12, latency_ms=4380, ttft_ms=80),
            Route(location=location, share_pct=20, network_rtt_ms=87.1, latency_ms=4452.5, ttft_ms=153.8)]}))
        rows.append(a.model_copy(update={
            "placement": 2, "provider": "beta", "region": "eu-1", "instance": "y2", "pricing": "spot",
            "monthly_cost_usd": 400.0, "annual_cost_usd": 4800.0, "load_share_pct": 40.0,
            "serves": [Route(location=location, share_pct=80, network_rtt_ms=9, latency_ms=4370, ttft_ms=75)]}))
    summary = [WorkloadPlan(
        workload="chat", kind="realtime-inference", team="product", monthly_cost_usd=1130.0, placements=2,
        regions=["alpha:us-1", "beta:eu-1"], min_regions=2, survive_region_loss=True,
        routing=[WorkloadRoute(location="us-east", provider="alpha", region="us-1", share_pct=100, latency_ms=4380,
                               ttft_ms=80),
                 WorkloadRoute(location=location, provider="alpha", region="us-1", share_pct=20, latency_ms=4452.5,
                               ttft_ms=153.8),
                 WorkloadRoute(location=location, provider="beta", region="eu-1", share_pct=80, latency_ms=4370,
                               ttft_ms=75)])]
    return plan.model_copy(update={"assignments": rows, "workloads": summary if workloads else []})


@pytest.fixture(scope="module")
def baseline(baseline_json: str) -> Plan:
    return Plan.model_validate_json(baseline_json)


@pytest.fixture(params=[True, False], ids=["with-workloads", "from-assignments"])
def split_plan(request: pytest.FixtureRequest, baseline: Plan) -> Plan:
    return _two_placements(baseline, workloads=request.param)


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


# --- the view the templates read ------------------------------------------------------------------

def test_workload_views_group_placements_and_derive_what_the_plan_does_not_say(split_plan):
    views = {v.workload: v for v in workload_views(split_plan)}
    assert [v.workload for v in workload_views(split_plan)] == ["cameras", "chat", "nightly", "tune"]
    chat = views["chat"]
    assert chat.several and [a.placement for a in chat.placements] == [1, 2]
    assert chat.monthly_cost_usd == pytest.approx(1130.0)
    assert chat.regions == ["alpha:us-1", "beta:eu-1"]
    assert [(r.location, r.region, r.share_pct) for r in chat.routing] == [
        ("us-east", "us-1", 100), ("eu-central", "eu-1", 80), ("eu-central", "us-1", 20)]
    assert not views["tune"].several and views["tune"].routing == []


def test_a_plan_with_one_placement_each_renders_as_before(baseline):
    views = workload_views(baseline)
    assert all(len(v.placements) == 1 and not v.availability for v in views)
    md = render(baseline, "md")
    assert "placements)" not in md and "Availability" not in md
    assert "| chat | realtime-inference | alpha | us-1 | 1 x x1 |" in md


# --- Markdown -------------------------------------------------------------------------------------

def test_markdown_shows_both_placements_under_one_workload_row(split_plan):
    md = render(split_plan, "md")
    table = _section(md, "## What goes where", "<summary>Routing of user traffic</summary>").splitlines()
    head = next(i for i, line in enumerate(table) if line.startswith("| **chat** (2 placements)"))
    assert "alpha:us-1, beta:eu-1" in table[head] and "$1,130.00" in table[head]
    assert table[head + 1].startswith("| ↳ placement 1 |") and "| alpha | us-1 | 1 x x1 |" in table[head + 1]
    assert "| 60% | $730.00 |" in table[head + 1]
    assert table[head + 2].startswith("| ↳ placement 2 |") and "| beta | eu-1 | 1 x y2 |" in table[head + 2]
    assert "| spot | 40% | $400.00 |" in table[head + 2]
    assert sum(line.startswith("| **chat**") for line in md.splitlines()) == 1
    # spot with its fallback: 10.17 h x (0.8 x $1 + 0.2 x $2 on demand)
    assert "| tune | training | alpha | us-1 |" in md and "| 100% | $12.21 |" in md
    assert "| chat (placement 2) | roofline |" in md  # estimate basis: one row per placement
    assert_markdown_tables_are_rectangular(md)
    assert_markdown_blocks_are_separated(md)


def test_markdown_shows_the_routing_of_each_user_location(split_plan):
    md = render(split_plan, "md")
    routing = _section(md, "<summary>Routing of user traffic</summary>", "<summary>Estimate basis</summary>")
    assert "| chat | us-east | alpha us-1 | 100% | 4,380 ms | 80 ms |" in routing
    assert "|  | eu-central | beta eu-1 | 80% | 4,370 ms | 75 ms |" in routing
    assert "|  |  | alpha us-1 | 20% | 4,452 ms | 154 ms |" in routing
    assert "nightly" not in routing  # no routing for a batch workload


def test_markdown_states_the_availability_asked_for(baseline):
    md = render(_two_placements(baseline, workloads=True), "md")
    assert ("- chat (at least 2 regions; survives the loss of any one region): runs in 2 regions, "
            "alpha:us-1, beta:eu-1") in md
    assert "Availability" not in render(_two_placements(baseline, workloads=False), "md")


def test_markdown_escapes_a_hostile_location_and_keeps_its_tables(baseline):
    for with_workloads in (True, False):
        md = render(_two_placements(baseline, workloads=with_workloads, location=HOSTILE_LOCATION), "md")
        assert "<b>" not in md
        assert "\\<b\\>eu\\|central\\</b\\>" in md
        assert_markdown_tables_are_rectangular(md)


# --- HTML -----------------------------------------------------------------------------------------

class _Rows(HTMLParser):
    """The text of each table row, cell by cell, with the row's class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append((dict(attrs).get("class") or "", []))
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_rows(html: str, start: str, end: str) -> list[tuple[str, list[str]]]:
    parser = _Rows()
    parser.feed(_section(html, start, end))
    return parser.rows


def test_html_shows_both_placements_under_one_workload_row(split_plan):
    html = render(split_plan, "html")
    rows = _html_rows(html, "<h2>What goes where</h2>", "<h3>Routing of user traffic</h3>")
    head = next(i for i, (cls, cells) in enumerate(rows) if cls == "group")
    assert rows[head][1][0] == "chat (2 placements)"
    assert "alpha:us-1, beta:eu-1" in rows[head][1] and "$1,130.00" in rows[head][1]
    first, second = rows[head + 1], rows[head + 2]
    assert first[0] == second[0] == "placement"
    assert first[1][0] == "↳ placement 1" and first[1][2:4] == ["alpha", "us-1"] and "60%" in first[1]
    assert second[1][0] == "↳ placement 2" and second[1][2:4] == ["beta", "eu-1"] and "40%" in second[1]
    width = len(rows[0][1])
    assert all(len(cells) == width for cls, cells in rows if cls != "group")
    assert sum(cls == "group" for cls, _ in rows) == 1


def test_html_shows_the_routing_and_escapes_a_hostile_location(baseline):
    html = render(_two_placements(baseline, workloads=True, location=HOSTILE_LOCATION), "html")
    assert "<b>" not in html and "&lt;b&gt;eu|central&lt;/b&gt;" in html
    rows = _html_rows(html, "<h3>Routing of user traffic</h3>", "<h3>Spot with on-demand fallback</h3>")
    assert [cells for _, cells in rows[1:]] == [
        ["chat", "us-east", "alpha us-1", "100%", "4,380 ms", "80 ms"],
        ["", HOSTILE_LOCATION, "beta eu-1", "80%", "4,370 ms", "75 ms"],
        ["", "", "alpha us-1", "20%", "4,452 ms", "154 ms"]]
    assert "survives the loss of any one region" in html


# --- CSV ------------------------------------------------------------------------------------------

def test_csv_has_one_row_per_placement_with_shares_that_add_to_100(split_plan):
    out = render(split_plan, "csv")
    header = next(csv.reader(io.StringIO(out)))
    assert header == BOM_COLUMNS
    assert header[18:] == ["placement", "load_share_pct", "serves", "instance_hours_per_month", "upfront_usd",
                           "amortisation_months", "fleet", "operations_monthly_usd", "mig_profile",
                           "item", "unit_price_usd", "price_unit", "billed_hours", "commitment_term_months",
                           "first_year_usd", "workloads"]
    assert header[:18] == ["workload", "team", "kind", "provider", "region", "instance", "accelerator",
                           "accelerator_count", "instances", "pricing", "hourly_usd", "monthly_cost_usd",
                           "annual_cost_usd", "price_as_of", "price_is_estimate", "price_source", "model",
                           "description"]  # the columns of schema 1.0 keep their positions
    rows = list(csv.DictReader(io.StringIO(out.partition("\n\n")[0], newline="")))
    chat = [r for r in rows if r["workload"] == "chat"]
    assert [r["placement"] for r in chat] == ["1", "2"]
    assert sum(float(r["load_share_pct"]) for r in chat) == pytest.approx(100)
    assert [r["serves"] for r in chat] == ["us-east 100%; eu-central 20%", "eu-central 80%"]
    assert all(r["placement"] == "1" and float(r["load_share_pct"]) == 100 and r["serves"] == ""
               for r in rows if r["workload"] != "chat")


def test_csv_serves_follows_the_csv_safety_rules(baseline):
    out = render(_two_placements(baseline, workloads=False, location="=cmd|' /C calc'!A0"), "csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    chat = [r for r in rows if r["workload"] == "chat"]
    assert chat[0]["serves"] == "us-east 100%;' =cmd|' /C calc'!A0 20%"
    assert chat[1]["serves"] == "'=cmd|' /C calc'!A0 80%"
    for row in csv.reader(io.StringIO(out, newline=""), delimiter=";"):
        assert not any(cell.lstrip(" ").startswith(("=", "+", "-", "@")) for cell in row), row


def test_serves_text_rounds_shares_for_reading(baseline):
    a = baseline.assignments[0].model_copy(update={"serves": [
        Route(location="us-east", share_pct=33.333, network_rtt_ms=1),
        Route(location="eu-central", share_pct=66.667, network_rtt_ms=1)]})
    assert serves_text(a) == "us-east 33.3%; eu-central 66.7%"
    assert serves_text(baseline.assignments[0]) == ""


# --- JSON Schema of the plan ---------------------------------------------------------------------

def test_plan_schema_describes_the_output_contract(baseline_json):
    schema = plan_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"placement", "load_share_pct", "serves"} <= set(schema["$defs"]["Assignment"]["properties"])
    assert "workloads" in schema["properties"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(baseline_json), schema)


def test_published_plan_schema_file_matches_the_command(run_cli):
    """docs/plan.schema.json is what consumers of the JSON plan read; it must not drift from `advisor schema --plan`."""
    code, out, _ = run_cli("schema", "--plan")
    assert code == 0
    shipped = (Path(__file__).parent.parent / "docs" / "plan.schema.json").read_text(encoding="utf-8")
    assert out == shipped, "regenerate with: advisor schema --plan > docs/plan.schema.json"
    code, inputs, _ = run_cli("schema")
    assert code == 0 and inputs != out


@pytest.mark.parametrize(("value", "text"), [(8, "8 req/s"), (16.54, "16.5 req/s"), (1234.5, "1,230 req/s"),
                                             (98765.0, "98,800 req/s"), (None, "-")])
def test_a_rate_reads_in_plain_figures_never_in_exponent_form(value: float | None, text: str) -> None:
    assert rate(value) == text
