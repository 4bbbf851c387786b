"""Accelerator quotas (policy.quotas) on the hand-made catalog (tests/fixtures/small-catalog).

A detector at 30 requests/s from us-east needs three gpu-a (10 requests/s each, measured). The
cheapest is three a1 reserved in alpha us-1 ($1.50 x 730 = $1,095 each, $3,285). With a quota
of 2 gpu-a in alpha us-1 the third goes elsewhere: alpha eu-1 on demand ($2.50 x 730 = $1,825,
107 ms away, within the 500 ms objective) beats beta us-1 ($3.00 x 730 = $2,190): $4,015, and
the quota costs $730 a month. Every plan made through `run_cli` is re-checked by the checker.
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

REGIONS = "['alpha:us-1', 'alpha:eu-1', 'beta:us-1']"


def detector(directory: Path, quotas: str, regions: str = REGIONS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "detect.yaml").write_text(
        "name: detect\nkind: realtime-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        "traffic: {peak_rps: 30, users: {us-east: 1.0}}\nslo: {p95_latency_ms: 500}\n"
        f"constraints: {{portable: true, regions: {regions}}}\n{MEASURED}", encoding="utf-8")
    (directory / "policy.yaml").write_text(f"kind: policy\nquotas: {quotas}\n", encoding="utf-8")
    return directory


def test_a_quota_forces_a_second_region_and_is_priced(run_cli, tmp_path):
    data = plan(run_cli, detector(tmp_path / "f", "{alpha:us-1:gpu-a: 2}"))
    assert data["total_monthly_cost_usd"] == pytest.approx(4015.0)
    held = {(a["region"], a["pricing"]): a["accelerator_count"] for a in rows(data, "detect")}
    assert held == {("us-1", "reserved_1y"): 2, ("eu-1", "on_demand"): 1}
    (quota,) = [c for c in data["constraints"] if c["name"] == "quota:alpha:us-1:gpu-a"]
    assert quota["binding"] is True and quota["cost_usd"] == pytest.approx(730.0)


def test_a_quota_that_leaves_no_room_names_the_amount_needed(run_cli, tmp_path):
    d = detector(tmp_path / "f", "{alpha:us-1:gpu-a: 2}", "['alpha:us-1']")
    code, out, err = run_cli("plan", d, *CATALOG_ARGS, "--format", "json", "-q")
    assert code == 1, err
    data = json.loads(out)
    assert data["infeasibility"]["conflicting_constraints"] == ["quota:alpha:us-1:gpu-a"]
    (fix,) = [r for r in data["infeasibility"]["relaxations"] if r["constraints"] == ["quota:alpha:us-1:gpu-a"]]
    assert fix["changes"] == [{"document": "policy", "field": "quotas", "value": {"alpha:us-1:gpu-a": 3}}]
    assert fix["resulting_monthly_cost_usd"] == pytest.approx(3285.0)


def test_the_checker_counts_accelerators_against_the_quota(run_cli, tmp_path):
    free = plan(run_cli, detector(tmp_path / "free", "{}"))
    assert free["total_monthly_cost_usd"] == pytest.approx(3285.0)
    capped = detector(tmp_path / "capped", "{alpha:us-1:gpu-a: 2}")
    catalog = load_catalog([Path(CATALOG_ARGS[1])], include_shipped=False)
    inputs = load_inputs([capped], catalog)
    found = verify(Plan.model_validate(free), inputs.workloads, inputs.policy, catalog)
    assert found == ["quota alpha:us-1:gpu-a: the plan holds 3 accelerators, the quota is 2"]


@pytest.mark.parametrize(("quotas", "message"), [
    ("{alpha:us-1:gpu-z: 2}", "quota for unknown accelerator 'gpu-z'"),
    ("{alpha:mars-1:gpu-a: 2}", "quota for unknown region 'mars-1' of alpha"),
    ("{gamma:us-1:gpu-a: 2}", "quota for unknown provider 'gamma'"),
    ("{alpha-us-1-gpu-a: 2}", "is not provider:region:accelerator"),
    ("{alpha:us-1:gpu-a: -1}", "quotas"),
])
def test_bad_quotas_get_a_clear_error(run_cli, tmp_path, quotas, message):
    code, out, err = run_cli("plan", detector(tmp_path / "f", quotas), *CATALOG_ARGS, "-q")
    assert code == 2 and message in err and "policy.yaml" in err and out == ""
