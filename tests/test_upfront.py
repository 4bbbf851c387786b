"""Bought hardware shows what it costs up front, in every format, and the checker recomputes it.

The edge fixture buys e1 devices (tests/fixtures/small-catalog: $360 each, amortised over 36
months, no energy cost: $10 a month each).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS, WORKLOADS

from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.verify import verify
from advisor.workload.loader import load_inputs

EDGE = WORKLOADS / "edge.yaml"


def test_a_purchase_states_its_upfront_amount_and_term(run_cli):
    code, out, err = run_cli("plan", EDGE, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 0, err
    (a,) = json.loads(out)["assignments"]
    assert a["pricing"] == "capex" and a["instance"] == "e1"
    assert a["upfront_usd"] == pytest.approx(360.0 * a["instances"])
    assert a["amortisation_months"] == 36
    assert a["monthly_cost_usd"] == pytest.approx(10.0 * a["instances"])
    code, md, err = run_cli("plan", EDGE, *CATALOG_ARGS, "-q")
    assert f"capex (${360 * a['instances']:,.2f} up front, over 36 months)" in md
    code, csv, err = run_cli("plan", EDGE, *CATALOG_ARGS, "-q", "--format", "csv")
    header, row = csv.splitlines()[:2]
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert (cells["upfront_usd"], cells["amortisation_months"]) == (f"{360.0 * a['instances']}", "36")


def test_the_checker_recomputes_the_upfront_amount(run_cli):
    code, out, err = run_cli("plan", EDGE, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 0, err
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([EDGE], catalog)
    data = json.loads(out)
    data["assignments"][0]["upfront_usd"] = None  # a purchase shown without its price
    found = verify(Plan.model_validate(data), inputs.workloads, inputs.policy, catalog)
    assert any("shows up front None" in v for v in found), found
