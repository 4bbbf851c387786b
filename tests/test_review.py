"""What a procurement review reads: the first year, the bill of materials, risks and provenance.

The fixture plan (tests/fixtures/workloads on the hand-made catalog): cameras buy 10 e1 devices
($360 each over 36 months, no energy or operations: $100 a month, $3,600 up front); chat rents
one x1 in one region for users on two continents; tune trains on spot; nightly rents on demand.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import CATALOG_ARGS, WORKLOADS

from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.render import render
from advisor.render.bom import bom_rows
from advisor.verify import verify
from advisor.workload.loader import load_inputs


def _plan(run_cli, where: Path = WORKLOADS, *extra: str) -> dict:
    code, out, err = run_cli("plan", where, *CATALOG_ARGS, "-q", "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def _rows(plan: dict, workload: str) -> list[dict]:
    return [a for a in plan["assignments"] if a["workload"] == workload]


def _one_off(tmp_path: Path) -> Path:
    """The fixture workloads with tune as a one-off run (`once: true`)."""
    d = tmp_path / "inputs"
    shutil.copytree(WORKLOADS, d)
    tune = d / "tune.yaml"
    tune.write_text(tune.read_text(encoding="utf-8") + "once: true\n", encoding="utf-8")
    return d


def test_a_year_counts_recurring_work_twelve_times_and_one_off_work_once(run_cli, tmp_path):
    recurring = _plan(run_cli)
    (tune,) = _rows(recurring, "tune")
    assert (tune["once"], tune["annual_cost_usd"]) == (False, pytest.approx(12 * tune["monthly_cost_usd"]))
    once = _plan(run_cli, _one_off(tmp_path))
    (tune,) = _rows(once, "tune")
    assert tune["once"] is True
    assert tune["annual_cost_usd"] == tune["first_year_usd"] == tune["monthly_cost_usd"]
    assert once["total_annual_cost_usd"] == pytest.approx(recurring["total_annual_cost_usd"]
                                                          - 11 * tune["monthly_cost_usd"], abs=0.01)
    assert "one-off work (tune) once" in once["summary"]["sentences"][0]


def test_the_first_year_pays_for_bought_hardware_up_front(run_cli):
    plan = _plan(run_cli)
    (cameras,) = _rows(plan, "cameras")
    # $3,600 paid up front; its $100 a month is all amortisation, so nothing more runs in year one
    assert (cameras["upfront_usd"], cameras["annual_cost_usd"], cameras["first_year_usd"]) == (3600.0, 1200.0, 3600.0)
    rented = [a for a in plan["assignments"] if a["workload"] != "cameras"]
    expected = 3600.0 + sum(12 * a["monthly_cost_usd"] for a in rented)
    assert plan["summary"]["first_year_usd"] == pytest.approx(expected, abs=0.01)
    assert f"its first year costs ${expected:,.2f}" in plan["summary"]["sentences"][0]


def test_the_checker_recomputes_each_year(run_cli, small_catalog):
    data = _plan(run_cli)
    inputs = load_inputs([WORKLOADS], small_catalog)
    cameras = next(a for a in data["assignments"] if a["workload"] == "cameras")
    cameras["first_year_usd"] = 1200.0  # the amortisation again, not the purchase
    chat = next(a for a in data["assignments"] if a["workload"] == "chat")
    chat["annual_cost_usd"] = chat["monthly_cost_usd"]  # a recurring service counted once
    found = verify(Plan.model_validate(data), inputs.workloads, inputs.policy, small_catalog)
    assert any(v.startswith("cameras: first year 1,200.00, expected 3,600.00") for v in found), found
    assert any(v.startswith("chat: annual cost 730.00") for v in found), found
    assert any(v.startswith("annual total") for v in found), found


def _bom(text: str) -> tuple[list[dict[str, str]], list[str]]:
    table, _, notes = text.partition("\n\n")
    return list(csv.DictReader(io.StringIO(table, newline=""))), notes.splitlines()


def test_the_bill_of_materials_adds_up_to_the_json_to_the_cent(run_cli):
    plan = _plan(run_cli)
    code, text, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "csv")
    rows, notes = _bom(text)
    cents = {column: sum(round(float(r[column] or 0) * 100) for r in rows)
             for column in ("monthly_cost_usd", "upfront_usd", "first_year_usd")}
    assert cents == {"monthly_cost_usd": round(plan["total_monthly_cost_usd"] * 100),
                     "upfront_usd": round(plan["summary"]["upfront_usd"] * 100),
                     "first_year_usd": round(plan["summary"]["first_year_usd"] * 100)}
    assert all(line.startswith("# ") for line in notes)
    assert f"# total first_year_usd {plan['summary']['first_year_usd']}" in notes


def test_each_line_of_the_bill_can_be_recomputed(run_cli):
    code, text, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "csv")
    rows, _ = _bom(text)
    by_item = {(r["workload"], r["item"]): r for r in rows}
    purchase = by_item["cameras", "purchase"]
    assert float(purchase["unit_price_usd"]) * int(purchase["instances"]) == float(purchase["upfront_usd"]) == 3600
    assert (purchase["commitment_term_months"], purchase["monthly_cost_usd"]) == ("36", "100.0")
    hourly = [r for r in rows if r["price_unit"] == "instance-hour"]
    assert {r["item"] for r in hourly} >= {"instances", "spot", "on-demand fallback"}
    for r in hourly:  # unit price x billed hours is the month, to the rounding of the hours
        assert float(r["unit_price_usd"]) * float(r["billed_hours"]) == \
            pytest.approx(float(r["monthly_cost_usd"]), abs=0.01 + 0.005 * float(r["unit_price_usd"]))
    spot, fallback = by_item["tune", "spot"], by_item["tune", "on-demand fallback"]
    assert (spot["pricing"], fallback["pricing"]) == ("spot", "on_demand")
    assert all(r["workloads"] == r["workload"] for r in rows)


def test_bom_rows_split_a_placement_without_losing_a_cent(baseline_json):
    plan = Plan.model_validate_json(baseline_json)
    rows = bom_rows(plan)
    for a in plan.assignments:
        mine = [r for r in rows if r["workload"] == a.workload and r["placement"] == a.placement]
        assert round(sum(r["monthly_cost_usd"] for r in mine) * 100) == round(a.monthly_cost_usd * 100)
        assert round(sum(r["first_year_usd"] for r in mine) * 100) == round((a.first_year_usd or 0) * 100)


def test_the_risk_register_names_each_exposure(run_cli):
    risks = _plan(run_cli)["risks"]
    by_kind = {(r["kind"], r["subject"]): r for r in risks}
    chat = by_kind["single_region", "chat"]
    assert chat["severity"] == "high" and "eu-central and us-east" in chat["risk"]
    assert "survive_region_loss" in chat["mitigation"]
    assert "fallback is priced in" in by_kind["spot", "tune"]["mitigation"]
    assert "busy only 4.3% of its capacity" in by_kind["low_utilisation", "cameras"]["risk"]
    assert ("lock_in", "alpha") not in by_kind  # a 100% cap is no cap to come near
    assert risks[0]["severity"] == "high"  # the most severe first
    severities = [r["severity"] for r in risks]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)


def test_region_loss_clears_the_single_region_risk(run_cli, tmp_path):
    d = tmp_path / "inputs"
    shutil.copytree(WORKLOADS, d)
    chat = d / "chat.yaml"
    doc = yaml.safe_load(chat.read_text(encoding="utf-8"))
    doc["constraints"]["survive_region_loss"] = True
    chat.write_text(yaml.safe_dump(doc), encoding="utf-8")
    plan = _plan(run_cli, d)
    assert not [r for r in plan["risks"] if r["kind"] == "single_region"]


def test_provenance_names_the_inputs_by_content(run_cli, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = _plan(run_cli), _plan(run_cli)
    assert first == second and first["provenance"]["generated_at"] is None  # same bytes on every run
    inputs = {f["path"]: f["sha256"] for f in first["provenance"]["inputs"]}
    assert inputs == {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(WORKLOADS.glob("*.yaml"))}
    (layer,) = first["catalog_layers"]
    assert len(layer["sha256"]) == 64


def test_source_date_epoch_fixes_the_generation_time_in_every_format(run_cli, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert _plan(run_cli)["provenance"]["generated_at"] == "2026-01-01T00:00:00Z"
    for fmt in ("md", "html", "csv"):
        code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", fmt)
        assert "2026-01-01T00:00:00Z" in out, fmt
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    assert code == 2 and out == ""
    assert "SOURCE_DATE_EPOCH" in err and "whole number of seconds" in err


def test_markdown_fits_a_pull_request_comment(run_cli):
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    assert code == 0, err
    summary = md[md.index("## Summary"):md.index("## What goes where")]
    assert "<details>" not in summary and "| Committed to |" in summary and "| Risk |" in summary
    details = md[md.index("## What goes where"):]
    assert details.count("<details>") == details.count("</details>") >= 4
    assert "on\\_demand" not in md and "| on_demand |" in md  # no escaped underscores in plain values
    considered = sum(int(n.replace(",", "")) for n in _all_between(md, "(", " options considered"))
    assert f"of {considered:,} considered" in md  # the header's count is the sections' sum


def _all_between(text: str, start: str, end: str) -> list[str]:
    found = []
    for part in text.split(end)[:-1]:
        found.append(part[part.rindex(start) + len(start):])
    return found


def test_alternatives_show_their_instance_counts(run_cli):
    plan = _plan(run_cli)
    alternatives = [alt for e in plan["explanations"] for alt in e["alternatives"]]
    assert alternatives and all(alt["instances"] >= 1 for alt in alternatives)
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    alt = alternatives[0]
    assert f"| {alt['instances']} ({alt['accelerator_count']} x {alt['accelerator']}) |" in md


def test_the_checker_still_accepts_plans_of_workloads_that_run_once(tmp_path, run_cli):
    d = _one_off(tmp_path)
    data = _plan(run_cli, d)  # run_cli verifies every plan it makes
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([d], catalog)
    data["assignments"][-1]["once"] = not data["assignments"][-1]["once"]
    found = verify(Plan.model_validate(data), inputs.workloads, inputs.policy, catalog)
    assert any("marked once=" in v for v in found), found


# --- the shipped examples, in every format ------------------------------------------------------

def test_the_shipped_examples_bill_of_materials_matches_the_json(shipped_json):
    plan = Plan.model_validate_json(shipped_json)
    rows, notes = _bom(render(plan, "csv"))
    assert plan.summary is not None
    cents = {column: sum(round(float(r[column] or 0) * 100) for r in rows)
             for column in ("monthly_cost_usd", "upfront_usd", "first_year_usd")}
    assert cents == {"monthly_cost_usd": round((plan.total_monthly_cost_usd or 0) * 100),
                     "upfront_usd": round(plan.summary.upfront_usd * 100),
                     "first_year_usd": round((plan.summary.first_year_usd or 0) * 100)}
    # the DGX purchase: its price up front, spread over its 48 months, beside its running costs
    dgx = {r["item"]: r for r in rows if r["instance"] == "dgx-h100-us"}
    assert set(dgx) == {"purchase", "operations", "energy"}
    assert float(dgx["purchase"]["upfront_usd"]) == 2 * float(dgx["purchase"]["unit_price_usd"])
    assert any(line.startswith("# input ") and "chat-assistant.yaml sha256 " in line for line in notes)


def test_the_shipped_examples_summary_answers_a_review_from_the_first_screen(shipped_json):
    plan = Plan.model_validate_json(shipped_json)
    assert plan.summary is not None and 3 <= len(plan.summary.sentences) <= 5
    first, committed = plan.summary.sentences[:2]
    assert "first year costs" in first and "committed" in committed and "to onprem (capex, 48 months)" in committed
    md = render(plan, "md")
    top = md[:md.index("## What goes where")]
    for needed in ("| Committed to |", "| Risk |", "| Policy check |", "First year"):
        assert needed in top, needed
    html = render(plan, "html")
    assert html.index("Committed to") < html.index("What goes where")
    assert html.index("What could go wrong") < html.index("What goes where")


def test_the_shipped_chat_assistant_shows_its_ttft_and_tpot(shipped_json):
    plan = Plan.model_validate_json(shipped_json)
    md = render(plan, "md")
    row = next(line for line in md.splitlines() if "2 x dgx-h100-us" in line and line.startswith("| ↳"))
    assert re.search(r"TTFT \d[\d,]* ms \(SLO 1,500 ms\); TPOT \d+ ms \(SLO 60 ms\); end to end \d[\d,]* ms", row), row
