"""Fleets a company already owns or plans to buy (policy.fleets and catalog `fleets:`), with their
operating costs, on the hand-made catalog plus a layer with one owned site.

The layer adds server s1 (one gpu-a) at site dc:site-1, next to alpha us-1: $36,000 over 36
months ($1,000 a month), 1 kW at $0.10/kWh and PUE 1.0 ($73 a month) and operations of $200 per
kW, $27 network and $100 staff a month ($327): $1,400 a month bought, $400 a month already paid.
A detector at 30 requests/s needs three gpu-a (10 requests/s each, measured). The cheapest cloud
capacity is a1 reserved in alpha us-1 at $1,095 a month each, so:
- without a fleet: three a1 reserved, $3,285 (buying s1 at $1,400 loses);
- with a sunk fleet of two s1: two owned s1 ($800) and one a1 reserved ($1,095): $1,895;
- kept to the site (providers: [dc]) with a to-buy fleet of two: infeasible, the fleet needs 3;
  with three: $4,200 a month and $108,000 up front.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_CATALOG
from test_placements import MEASURED, rows

from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.verify import verify
from advisor.workload.loader import load_inputs

SITE_LAYER = """\
providers:
  - {name: dc, display_name: Own data centre, kind: onprem}
regions:
  - {provider: dc, name: site-1, display_name: Site 1, lat: 39.04, lon: -77.49, jurisdiction: us, country: US,
     carbon_gco2_per_kwh: 400, source: test fixture, as_of: 2026-01-01}
offerings:
  - provider: dc
    name: s1
    accelerator: gpu-a
    accelerator_count: 1
    regions: [site-1]
    source: test fixture
    as_of: 2026-01-01
    purchase:
      unit_price_usd: 36000
      lifetime_months: 36
      power_w: 1000
      electricity_usd_per_kwh: 0.1
      operations: {facility_usd_per_kw_month: 200, network_usd_per_unit_month: 27, staff_usd_per_unit_month: 100,
                   source: test fixture, as_of: 2026-01-01, estimate: true}
      source: test fixture
      as_of: 2026-01-01
"""


def setup(tmp_path: Path, fleets: str = "[]", providers: str = "", layer_extra: str = "") -> tuple[Path, Path]:
    """(workload directory, catalog layer) for the detector with the policy's `fleets`."""
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "site.yaml").write_text(SITE_LAYER + layer_extra, encoding="utf-8")
    d = tmp_path / "w"
    d.mkdir()
    only = f"providers: {providers}, " if providers else ""
    (d / "detect.yaml").write_text(
        "name: detect\nkind: realtime-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        "traffic: {peak_rps: 30, users: {us-east: 1.0}}\nslo: {p95_latency_ms: 500}\n"
        f"constraints: {{{only}regions: ['alpha:us-1', 'dc:site-1']}}\n{MEASURED}", encoding="utf-8")
    (d / "policy.yaml").write_text(f"kind: policy\nfleets: {fleets}\n", encoding="utf-8")
    return d, layer


def args(layer: Path) -> list[str]:
    return ["--catalog", str(SMALL_CATALOG), "--catalog", str(layer), "--no-shipped-catalog"]


def planned(run_cli, d: Path, layer: Path, code: int = 0) -> dict:
    got, out, err = run_cli("plan", d, *args(layer), "--format", "json", "-q")
    assert got == code, err
    return json.loads(out)


SUNK = "[{name: ashburn-gpus, offering: dc:s1, count: 2, paid: sunk}]"


def test_without_a_fleet_buying_a_server_loses_to_reserved_cloud(run_cli, tmp_path):
    data = planned(run_cli, *setup(tmp_path))
    assert data["total_monthly_cost_usd"] == pytest.approx(3285.0)
    assert {a["provider"] for a in rows(data, "detect")} == {"alpha"}


def test_a_sunk_fleet_is_used_first_and_costs_only_energy_and_operations(run_cli, tmp_path):
    data = planned(run_cli, *setup(tmp_path, SUNK))
    assert data["total_monthly_cost_usd"] == pytest.approx(1895.0)
    owned = [a for a in rows(data, "detect") if a["provider"] == "dc"]
    (a,) = owned
    assert (a["pricing"], a["fleet"], a["instances"]) == ("owned", "ashburn-gpus", 2)
    assert a["monthly_cost_usd"] == pytest.approx(800.0)
    assert a["operations_monthly_usd"] == pytest.approx(654.0)
    assert a["upfront_usd"] is None and a["amortisation_months"] is None
    (cloud,) = [a for a in rows(data, "detect") if a["provider"] == "alpha"]
    assert (cloud["pricing"], cloud["instances"]) == ("reserved_1y", 1)
    (rule,) = [c for c in data["constraints"] if c["name"] == "fleet:ashburn-gpus"]
    assert rule["binding"] is True and rule["cost_usd"] == pytest.approx(695.0)  # a third owned s1: $400


def test_a_fleet_declared_in_a_catalog_layer_counts_like_a_policy_fleet(run_cli, tmp_path):
    layer_fleet = "fleets:\n  - {name: ashburn-gpus, offering: dc:s1, count: 2, paid: sunk, source: asset register}\n"
    data = planned(run_cli, *setup(tmp_path, layer_extra=layer_fleet))
    assert data["total_monthly_cost_usd"] == pytest.approx(1895.0)


TO_BUY = "[{{name: new-racks, offering: dc:s1, site: site-1, count: {}, paid: to_buy}}]"


def test_a_to_buy_fleet_too_small_names_the_count_it_needs(run_cli, tmp_path):
    data = planned(run_cli, *setup(tmp_path, TO_BUY.format(2), providers="[dc]"), code=1)
    assert data["infeasibility"]["conflicting_constraints"] == ["fleet:new-racks"]
    (fix,) = data["infeasibility"]["relaxations"]
    assert fix["changes"] == [{"document": "policy", "field": "fleets.new-racks.count", "value": 3}]
    assert fix["resulting_monthly_cost_usd"] == pytest.approx(4200.0)


def test_a_to_buy_fleet_states_the_purchase_up_front(run_cli, tmp_path):
    d, layer = setup(tmp_path, TO_BUY.format(3), providers="[dc]")
    data = planned(run_cli, d, layer)
    (a,) = rows(data, "detect")
    assert (a["pricing"], a["fleet"], a["instances"]) == ("capex", "new-racks", 3)
    assert a["monthly_cost_usd"] == pytest.approx(4200.0)
    assert a["upfront_usd"] == pytest.approx(108000.0) and a["amortisation_months"] == 36
    code, md, err = run_cli("plan", d, *args(layer), "-q")
    assert "capex ($108,000.00 up front, over 36 months)" in md
    assert "new-racks" in md


def test_the_checker_holds_placements_to_the_fleet(run_cli, tmp_path):
    d, layer = setup(tmp_path, SUNK)
    data = planned(run_cli, d, layer)
    catalog = load_catalog([SMALL_CATALOG, layer], include_shipped=False)
    inputs = load_inputs([d], catalog)
    (i,) = [k for k, a in enumerate(data["assignments"]) if a["provider"] == "dc"]

    def check(**changes: object) -> list[str]:
        edited = json.loads(json.dumps(data))
        edited["assignments"][i].update(changes)
        return verify(Plan.model_validate(edited), inputs.workloads, inputs.policy, catalog)

    assert check() == []
    assert any("fleet ashburn-gpus: the plan places 3" in v for v in check(instances=3, accelerator_count=3))
    assert any("already paid for" in v for v in check(upfront_usd=72000.0))
    assert any("held by fleet(s) ashburn-gpus" in v for v in check(fleet=None))
    assert any("its pricing is owned, not capex" in v for v in check(pricing="capex"))


@pytest.mark.parametrize(("fleets", "message"), [
    ("[{name: f, offering: dc:nope, count: 2}]", "unknown offering 'dc:nope'"),
    ("[{name: f, offering: alpha:a1, count: 2}]", "rented by the hour, not bought"),
    ("[{name: f, offering: dc:s1, site: site-9, count: 2}]", "does not stand at 'site-9'"),
    ("[{name: f, offering: dc:s1, count: 0}]", "fleets.0.count"),
    ("[{name: f, offering: dc:s1, count: 2}, {name: g, offering: dc:s1, count: 1}]", "merge their counts"),
    ("[{name: f, offering: dc:s1, count: 2, paid: leased}]", "fleets.0.paid"),
])
def test_a_bad_fleet_is_a_clear_input_error(run_cli, tmp_path, fleets, message):
    d, layer = setup(tmp_path, fleets)
    code, out, err = run_cli("plan", d, *args(layer), "-q")
    assert code == 2 and out == ""
    assert message in err and "policy.yaml" in err
