"""The HTML report's charts (advisor.render.charts): safe, self-contained SVG that says what it shows.

The plans here are made by hand, small enough to know every figure: two teams (support $3,000 and
research $1,000), a total budget and a team budget, and one real-time workload, "chat", on one
placement ($200 a month at 40 ms, objective 50 ms) with three alternatives, one without a latency.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from advisor.plan import (
    Alternative,
    Assignment,
    EstimateSummary,
    Explanation,
    Plan,
    PolicyCheck,
    Share,
    SolverInfo,
    Summary,
)
from advisor.render.charts import Chart, charts_of, cost_latency
from advisor.render.formats import usd

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>&\"'"


def _assignment(workload: str = "chat", **changes: object) -> Assignment:
    fields: dict[str, object] = dict(
        workload=workload, kind="realtime-inference", team="support", provider="alpha", region="us-1",
        jurisdiction=None, instance="x1", instances=1, accelerator="a", accelerator_count=1, pricing="on_demand",
        hourly_usd=0.27, monthly_cost_usd=200.0, annual_cost_usd=2400.0, latency_ms=40.0, slo_p95_latency_ms=50.0,
        estimate=EstimateSummary(basis="roofline", basis_source="test", devices_per_replica=1,
                                 throughput_per_instance=10, throughput_unit="req/s", memory_per_device_gb=10,
                                 busy_hours_per_month=730),
        price_source="test", price_as_of="2025-01-01", price_is_estimate=False)
    fields.update(changes)
    return Assignment.model_validate(fields)


def _alternative(instance: str, cost: float, latency: float | None) -> Alternative:
    return Alternative(provider="beta", region="eu-1", instance=instance, accelerator="a", pricing="on_demand",
                       monthly_cost_usd=cost, delta_usd=cost - 200.0, latency_ms=latency, why_not="costs more")


def _plan(team: str = "support", workload: str = "chat", checks: list[PolicyCheck] | None = None,
          assignments: list[Assignment] | None = None) -> Plan:
    rows = [_assignment(workload, team=team)] if assignments is None else assignments
    alternatives = [_alternative("y1", 300.0, 20.0), _alternative("y2", 150.0, 80.0), _alternative("z9", 120.0, None)]
    summary = Summary(
        sentences=[], committed_monthly_usd=0, commitment_liability_usd=0, upfront_usd=0,
        checks=checks if checks is not None else [
            PolicyCheck(rule="budget.monthly_usd", limit_usd=10000, plan_usd=4000, passed=True),
            PolicyCheck(rule=f"budget.per_team_monthly_usd.{team}", limit_usd=2500, plan_usd=3000, passed=False)],
        spend_by_team=[Share(name=team, monthly_cost_usd=3000, share_pct=75),
                       Share(name="research", monthly_cost_usd=1000, share_pct=25)] if rows else [],
        spend_by_pricing=[Share(name="on_demand", monthly_cost_usd=4000, share_pct=100)] if rows else [])
    return Plan(
        status="optimal", objective="cost", total_monthly_cost_usd=4000, total_annual_cost_usd=48000,
        budget_monthly_usd=10000, assignments=rows,
        explanations=[Explanation(workload=workload, summary="", options_considered=4, options_feasible=4,
                                  alternatives=alternatives, ruled_out=[])] if rows else [],
        constraints=[], spend_by_provider=[Share(name="alpha", monthly_cost_usd=4000, share_pct=100)] if rows else [],
        spend_by_vendor=[], summary=summary,
        solver=SolverInfo(status="OPTIMAL", objective_usd=4000, bound_usd=4000, gap_pct=0, workloads=1, options=4),
        policy="policy.yaml", input_files=[], catalog_layers=[], notes=[])


def _charts(plan: Plan) -> dict[str, Chart]:
    return {c.name: c for c in charts_of(plan)}


def _assert_safe(chart: Chart) -> ET.Element:
    """The markup parses as one SVG image, runs nothing and fetches nothing."""
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ") and root.get("width") == "100%"
    assert "font-family" in root.attrib and root.find(f"{SVG}title") is not None
    labelled = root.get("aria-labelledby")
    assert labelled and root.find(f".//*[@id='{labelled}']") is not None
    lowered = chart.svg.lower()
    assert "<script" not in lowered and "href" not in lowered and "<image" not in lowered
    assert "@import" not in lowered and "url(http" not in lowered and "<foreignobject" not in lowered
    assert re.findall(r"https?://[^\"'\s<>]*", chart.svg) == ["http://www.w3.org/2000/svg"]
    assert not any(key.startswith("on") for el in root.iter() for key in el.attrib)
    return root


def _texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def _bars(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}rect") if "bar" in (el.get("class") or "").split()]


def test_a_plan_gets_its_charts_in_the_report_order():
    assert [c.name for c in charts_of(_plan())] == [
        "spend-by-team", "spend-by-provider", "spend-by-pricing", "budget-use", "cost-latency:chat"]


def test_every_chart_of_a_real_plan_is_safe_self_contained_svg(baseline_json):
    charts = charts_of(Plan.model_validate_json(baseline_json))
    assert {"spend-by-team", "spend-by-provider", "spend-by-pricing", "budget-use"} <= {c.name for c in charts}
    for chart in charts:
        _assert_safe(chart)
        assert chart.title and chart.summary.endswith(".")


def test_hostile_names_are_escaped_and_the_svg_still_parses():
    plan = _plan(team=HOSTILE, workload=HOSTILE)
    charts = charts_of(plan)
    assert {c.name for c in charts} >= {"spend-by-team", "budget-use", f"cost-latency:{HOSTILE}"}
    for chart in charts:
        root = _assert_safe(chart)
        assert "<script>" not in chart.svg
        every_text = " ".join(_texts(root) + ["".join(t.itertext()) for t in root.iter(f"{SVG}title")])
        if chart.name in ("spend-by-team", "budget-use") or chart.name.startswith("cost-latency"):
            assert HOSTILE in every_text  # shown as text, in full in a tooltip, not as markup
    ids = [el.get("id") for c in charts for el in ET.fromstring(c.svg).iter() if el.get("id")]
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", i) for i in ids) and len(ids) == len(set(ids))


def test_a_control_character_in_a_name_does_not_break_the_svg():
    chart = _charts(_plan(team="ops\x1b[31m\x00"))["spend-by-team"]
    root = _assert_safe(chart)
    assert any("ops\\x1b[31m\\x00" in t for t in _texts(root))


def test_bar_lengths_are_proportional_to_the_amounts_and_the_figures_are_written():
    root = _assert_safe(_charts(_plan())["spend-by-team"])
    support, research = _bars(root)
    assert float(support.get("width", 0)) == pytest.approx(3 * float(research.get("width", 0)), rel=0.01)
    texts = _texts(root)
    assert "$3,000.00 (75.0%)" in texts and "$1,000.00 (25.0%)" in texts
    assert "support" in texts and "research" in texts


def test_a_long_name_is_cut_short_in_the_label_and_given_in_full_in_the_tooltip():
    name = "team-" + "x" * 200
    root = _assert_safe(_charts(_plan(team=name))["spend-by-team"])
    label = _texts(root)[0]
    assert label.endswith("…") and len(label) < 80
    first = _bars(root)[0]
    assert name in "".join(first.find(f"{SVG}title").itertext())  # type: ignore[union-attr]


def test_the_budget_chart_marks_the_limit_and_says_which_check_is_over():
    chart = _charts(_plan())["budget-use"]
    root = _assert_safe(chart)
    total, team = _bars(root)
    assert "over" not in (total.get("class") or "") and "over" in (team.get("class") or "").split()
    assert total.get("fill") != team.get("fill")  # not the colour alone: the text says it too
    texts = _texts(root)
    assert "$3,000.00 of $2,500.00 (120.0%), over the limit by $500.00" in texts
    assert "$4,000.00 of $10,000.00 (40.0%)" in texts and "limit" in texts
    assert "over the limit by $500.00" in chart.summary and "within the limit" in chart.summary
    limits = [el for el in root.iter(f"{SVG}line") if el.get("class") == "limit"]
    assert len(limits) == 2 and len({el.get("x1") for el in limits}) == 1
    # each bar is its figure as a share of its own limit: 40% and 120% of the same limit mark
    at, start = float(limits[0].get("x1", 0)), float(total.get("x", 0))
    assert float(total.get("width", 0)) == pytest.approx(0.4 * (at - start), rel=0.01)
    assert float(team.get("width", 0)) == pytest.approx(1.2 * (at - start), rel=0.01)


def test_a_single_budget_check_is_a_chart_and_no_check_is_none():
    one = [PolicyCheck(rule="budget.monthly_usd", limit_usd=10000, plan_usd=4000, passed=True)]
    assert len(_bars(_assert_safe(_charts(_plan(checks=one))["budget-use"]))) == 1
    assert "budget-use" not in _charts(_plan(checks=[]))


def _x_of(root: ET.Element, ms: float) -> float:
    """Where the x axis puts `ms`, read from its tick labels (linear between the first two ticks)."""
    ticks = {float(el.findtext(f"{SVG}text", "").removesuffix(" ms").replace(",", "")):
             float(el.find(f"{SVG}line").get("x1", 0))  # type: ignore[union-attr]
             for el in root.iter(f"{SVG}g") if el.get("class") == "tick x"}
    (v0, x0), (v1, x1) = sorted(ticks.items())[:2]
    return x0 + (ms - v0) * (x1 - x0) / (v1 - v0)


def test_cost_latency_shows_the_chosen_point_the_alternatives_with_latency_and_the_objective():
    chart = _charts(_plan())["cost-latency:chat"]
    root = _assert_safe(chart)
    points = [el for el in root.iter(f"{SVG}g") if "point" in (el.get("class") or "").split()]
    assert sorted((p.get("data-ms"), p.get("data-usd")) for p in points) == [
        ("20", "300"), ("40", "200"), ("80", "150")]  # z9 has no latency: left out
    (chosen,) = [p for p in points if "chosen" in (p.get("class") or "").split()]
    assert chosen.get("data-ms") == "40" and "chosen: x1" in "".join(chosen.itertext())
    (slo,) = [el for el in root.iter(f"{SVG}line") if el.get("class") == "slo"]
    assert float(slo.get("x1", 0)) == pytest.approx(_x_of(root, 50.0), abs=0.2)
    mark = chosen.find(f"{SVG}rect")
    assert mark is not None and float(mark.get("x", 0)) + 5 == pytest.approx(_x_of(root, 40.0), abs=0.2)
    assert "SLO 50 ms" in _texts(root)
    assert f"{usd(200)} a month at 40 ms" in chart.summary and "objective is 50 ms" in chart.summary


def test_a_workload_judged_on_time_to_first_token_is_drawn_against_that_objective():
    row = _assignment(latency_ms=9000.0, slo_p95_latency_ms=None, ttft_ms=300.0, slo_ttft_ms=1500.0)
    root = _assert_safe(cost_latency(_plan(assignments=[row]), "chat"))  # type: ignore[arg-type]
    (slo,) = [el for el in root.iter(f"{SVG}line") if el.get("class") == "slo"]
    assert float(slo.get("x1", 0)) == pytest.approx(_x_of(root, 1500.0), abs=0.2)
    points = [el for el in root.iter(f"{SVG}g") if "point" in (el.get("class") or "").split()]
    assert [p.get("data-ms") for p in points] == ["300"]  # alternatives without a TTFT figure: not comparable
    assert "time to first token (ms)" in _texts(root)
    plan = _plan(assignments=[row])
    (explanation,) = plan.explanations
    timed = explanation.model_copy(update={"alternatives": [
        explanation.alternatives[0].model_copy(update={"ttft_ms": 700.0})]})
    root = _assert_safe(cost_latency(plan.model_copy(update={"explanations": [timed]}), "chat"))  # type: ignore[arg-type]
    points = [el for el in root.iter(f"{SVG}g") if "point" in (el.get("class") or "").split()]
    assert sorted(p.get("data-ms") for p in points) == ["300", "700"]  # its TTFT, not its 20 ms p95


def test_only_real_time_workloads_with_a_latency_get_a_cost_latency_chart():
    batch = _assignment("nightly", kind="batch-inference", latency_ms=None, slo_p95_latency_ms=None)
    blind = _assignment("blind", latency_ms=None, slo_p95_latency_ms=None)
    plan = _plan(assignments=[_assignment("chat"), batch, blind])
    assert [c.name for c in charts_of(plan) if c.name.startswith("cost-latency")] == ["cost-latency:chat"]


def test_several_placements_are_each_a_chosen_point():
    rows = [_assignment(load_share_pct=60.0), _assignment(placement=2, region="us-2", latency_ms=45.0,
                                                           monthly_cost_usd=150.0, load_share_pct=40.0)]
    root = _assert_safe(cost_latency(_plan(assignments=rows), "chat"))  # type: ignore[arg-type]
    chosen = [el for el in root.iter(f"{SVG}g") if (el.get("class") or "") == "point chosen"]
    assert sorted(p.get("data-ms") or "" for p in chosen) == ["40", "45"]
    labels = "".join(t for p in chosen for t in p.itertext())
    assert "chosen 1: x1" in labels and "chosen 2: x1" in labels


def test_a_free_placement_is_drawn_on_the_axis():
    row = _assignment(monthly_cost_usd=0.0, pricing="owned")
    plan = _plan(assignments=[row]).model_copy(update={"explanations": []})
    root = _assert_safe(cost_latency(plan, "chat"))  # type: ignore[arg-type]
    (chosen,) = [el for el in root.iter(f"{SVG}g") if (el.get("class") or "") == "point chosen"]
    assert chosen.get("data-usd") == "0" and {"$0.00", "$1.00"} <= set(_texts(root))


def test_charts_are_deterministic():
    assert [(c.name, c.svg, c.summary) for c in charts_of(_plan())] == \
        [(c.name, c.svg, c.summary) for c in charts_of(_plan())]


def test_an_empty_plan_has_no_charts():
    assert charts_of(_plan(assignments=[], checks=[])) == []
    assert charts_of(_plan().model_copy(update={"summary": None, "spend_by_provider": [], "assignments": []})) == []


def test_zero_spend_draws_no_bars():
    plan = _plan()
    zero = plan.model_copy(update={"spend_by_provider": [Share(name="alpha", monthly_cost_usd=0, share_pct=0)]})
    assert "spend-by-provider" not in _charts(zero)
