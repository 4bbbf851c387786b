"""Callers in a cloud region (traffic.users keyed provider:region), on the hand-made catalog.

A gpu-a replica answers in 20 ms (measured). Frankfurt users (the city eu-central) stand at
alpha eu-1's coordinates: the great-circle estimate gives them the fixed 2 ms of any route,
22 ms in all. Services calling from inside alpha eu-1 have the intra-region round trip, 1 ms:
21 ms. A 21.5 ms objective separates the two.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS
from test_placements import MEASURED, plan, rows


def scorer(directory: Path, users: str, p95_ms: float = 21.5) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "score.yaml").write_text(
        "name: score\nkind: realtime-inference\n"
        "model: {name: detector, params_m: 20, gflops_per_inference: 10, precision: int8}\n"
        f"traffic: {{peak_rps: 10, users: {users}}}\nslo: {{p95_latency_ms: {p95_ms}}}\n"
        f"constraints: {{portable: true}}\n{MEASURED}", encoding="utf-8")
    return directory


def test_callers_in_the_region_get_the_intra_region_round_trip(run_cli, tmp_path):
    data = plan(run_cli, scorer(tmp_path / "f", "{alpha:eu-1: 1.0}"))
    (a,) = rows(data, "score")
    assert (a["provider"], a["region"]) == ("alpha", "eu-1")
    assert a["network_rtt_ms"] == pytest.approx(1.0) and a["latency_ms"] == pytest.approx(21.0)
    assert a["serves"][0]["location"] == "alpha:eu-1"


def test_the_same_objective_is_out_of_reach_from_the_city(run_cli, tmp_path):
    code, out, err = run_cli("plan", scorer(tmp_path / "f", "{eu-central: 1.0}"), *CATALOG_ARGS, "--format", "json",
                             "-q")
    assert code == 1, err
    assert json.loads(out)["status"] == "infeasible"


def test_callers_in_one_region_and_users_in_a_city_mix(run_cli, tmp_path):
    """Half the calls come from alpha us-1's services, half from Frankfurt: with a 30 ms objective
    each half is served near it (us-1 to Frankfurt is about 95 ms)."""
    data = plan(run_cli, scorer(tmp_path / "f", "{alpha:us-1: 0.5, eu-central: 0.5}", 30))
    regions = {(r["location"], a["region"]) for a in rows(data, "score") for r in a["serves"]}
    assert regions == {("alpha:us-1", "us-1"), ("eu-central", "eu-1")}


def test_an_unknown_caller_region_is_an_input_error(run_cli, tmp_path):
    code, out, err = run_cli("plan", scorer(tmp_path / "f", "{alpha:mars-1: 1.0}"), *CATALOG_ARGS, "-q")
    assert code == 2 and "unknown user location 'alpha:mars-1'" in err and "provider:region" in err
