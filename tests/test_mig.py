"""MIG slices shared by workloads (advisor.mig, advisor.packing), on the hand-made catalog plus a
layer that gives gpu-a (80 GB) the MIG geometry of an A100 80GB.

Two services of one 25 GB int8 model (4,000 GFLOPs a request): a whole gpu-a serves 70
requests/s (800 TOPS x 35% / 4 TFLOP), a 4g slice 4/7 of that (40), a 3g slice 30; 25 GB rule
out the 1g and 2g slices (at most 20 GB). Their 60 s objective leaves room for any queue, so each
is planned at 95% of its rate (advisor.estimate.queueing.MAX_UTILISATION): 66.5, 38 and 28.5.
"big" needs 35 requests/s, "small" 25. One a1 (one
gpu-a) reserved in alpha us-1 costs $1.50 x 730 = $1,095 a month:
- shared: big on the 4g slice at memory slice 0, small on the 3g slice at 4, one GPU: $1,095
  (big pays 4/7, $625.71; small 3/7, $469.29);
- a naive packing that puts the 3g slice first (at 0) leaves no place for the 4g (it starts only
  at 0), and big on two 3g slices makes three 3g slices: two GPUs either way, $2,190;
- dedicated (whole GPUs): $2,190.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_CATALOG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.catalog import load_catalog
from advisor.mig import configurations
from advisor.plan import Plan
from advisor.verify import verify
from advisor.workload.loader import load_inputs

PROFILES = [  # name, compute, memory slices, GB, max instances, placements, size (NVIDIA's A100 80GB table)
    ("1g.10gb", 1, 1, 9.75, 7, [0, 1, 2, 3, 4, 5, 6], 1),
    ("1g.20gb", 1, 2, 19.62, 4, [0, 2, 4, 6], 2),
    ("2g.20gb", 2, 2, 19.62, 3, [0, 2, 4], 2),
    ("3g.40gb", 3, 4, 39.5, 2, [0, 4], 4),
    ("4g.40gb", 4, 4, 39.5, 1, [0], 4),
    ("7g.80gb", 7, 8, 79.25, 1, [0], 8),
]
LAYER = "mig:\n  - accelerator: gpu-a\n    compute_slices: 7\n    memory_slices: 8\n    source: test fixture\n" \
        "    as_of: 2026-01-01\n    profiles:\n" + "".join(
            f"      - {{name: {n}, compute_slices: {c}, memory_slices: {m}, memory_gb: {gb}, max_instances: {k}, "
            f"placements: {p}, size: {s}}}\n" for n, c, m, gb, k, p, s in PROFILES)


def setup(tmp_path: Path, dedicated: bool = False) -> tuple[Path, Path]:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "mig.yaml").write_text(LAYER, encoding="utf-8")
    d = tmp_path / "w"
    d.mkdir()
    for name, rps in (("big", 35), ("small", 25)):
        (d / f"{name}.yaml").write_text(
            f"name: {name}\nkind: realtime-inference\n"
            "model: {name: ranker, params_m: 25000, gflops_per_inference: 4000, precision: int8}\n"
            f"traffic: {{peak_rps: {rps}, users: {{us-east: 1.0}}}}\nslo: {{p95_latency_ms: 60000}}\n"
            f"constraints: {{accelerators: [gpu-a], regions: ['alpha:us-1'], dedicated: {str(dedicated).lower()}}}\n",
            encoding="utf-8")
    return d, layer


def planned(run_cli, d: Path, layer: Path) -> dict:
    code, out, err = run_cli("plan", d, "--catalog", str(SMALL_CATALOG), "--catalog", str(layer),
                             "--no-shipped-catalog", "--format", "json", "-q")
    assert code == 0, err
    return json.loads(out)


def test_the_geometry_holds_4g_and_3g_only_in_one_order(tmp_path):
    catalog = load_catalog([SMALL_CATALOG, setup(tmp_path)[1]], include_shipped=False)
    mixes = [c.slots for c in configurations(catalog.mig["gpu-a"])]
    assert (("4g.40gb", 0), ("3g.40gb", 4)) in mixes
    assert not any(("3g.40gb", 0) in slots and any(p == "4g.40gb" for p, _ in slots) for slots in mixes)


def test_two_models_share_one_gpu_in_the_one_configuration_that_holds_both(run_cli, tmp_path):
    data = planned(run_cli, *setup(tmp_path))
    assert data["total_monthly_cost_usd"] == pytest.approx(1095.0)
    rows = {a["workload"]: a for a in data["assignments"]}
    assert (rows["big"]["mig_profile"], rows["big"]["instances"]) == ("4g.40gb", 1)
    assert (rows["small"]["mig_profile"], rows["small"]["instances"]) == ("3g.40gb", 1)
    assert rows["big"]["monthly_cost_usd"] == pytest.approx(625.71)
    assert rows["small"]["monthly_cost_usd"] == pytest.approx(469.29)
    (gpus,) = data["shared_gpus"]
    assert (gpus["instance"], gpus["pricing"], gpus["count"]) == ("a1", "reserved_1y", 1)
    assert gpus["slices"] == [{"profile": "4g.40gb", "start": 0, "workload": "big"},
                              {"profile": "3g.40gb", "start": 4, "workload": "small"}]
    assert gpus["monthly_cost_usd"] == pytest.approx(1095.0) and gpus["idle_monthly_usd"] == pytest.approx(0.0)


def test_dedicated_workloads_take_whole_gpus(run_cli, tmp_path):
    data = planned(run_cli, *setup(tmp_path, dedicated=True))
    assert data["total_monthly_cost_usd"] == pytest.approx(2190.0)
    assert data["shared_gpus"] == [] and all(a["mig_profile"] is None for a in data["assignments"])


def test_the_checker_rejects_an_invalid_packing(run_cli, tmp_path):
    d, layer = setup(tmp_path)
    data = planned(run_cli, d, layer)
    catalog = load_catalog([SMALL_CATALOG, layer], include_shipped=False)
    inputs = load_inputs([d], catalog)

    def check(edit) -> list[str]:
        edited = json.loads(json.dumps(data))
        edit(edited)
        return verify(Plan.model_validate(edited), inputs.workloads, inputs.policy, catalog)

    assert check(lambda p: None) == []

    def first(p):  # the naive order: the 3g slice at memory slice 0, where the 4g slice must start
        p["shared_gpus"][0]["slices"][1]["start"] = 0
    assert any("overlaps another slice" in v for v in check(first))

    def odd(p):
        p["shared_gpus"][0]["slices"][1]["start"] = 2
    assert any("cannot start at memory slice 2" in v for v in check(odd))

    def lost(p):  # a slice given to nobody: small's placement has no place on a GPU
        p["shared_gpus"][0]["slices"][1]["workload"] = None
    found = check(lost)
    assert any("small: 1 x 3g.40gb slices of a1" in v for v in found)

    def free(p):
        p["shared_gpus"][0]["monthly_cost_usd"] = 500.0
    assert any("the catalog gives 1,095.00" in v for v in check(free))


def test_reports_list_each_shared_gpu_and_the_csv_adds_up(run_cli, tmp_path):
    d, layer = setup(tmp_path)
    args = ["--catalog", str(SMALL_CATALOG), "--catalog", str(layer), "--no-shipped-catalog", "-q"]
    code, md, err = run_cli("plan", d, *args)
    assert code == 0, err
    section = md[md.index("<summary>Shared GPUs (MIG)</summary>"):]
    assert "4g.40gb at 0: big; 3g.40gb at 4: small" in section
    code, html, err = run_cli("plan", d, *args, "--format", "html")
    assert "<h3>Shared GPUs (MIG)</h3>" in html and "3g.40gb at 4: small" in html
    code, csv, err = run_cli("plan", d, *args, "--format", "csv")
    header, *rows = csv.partition("\n\n")[0].splitlines()
    column = header.split(",").index("monthly_cost_usd")
    assert sum(float(r.split(",")[column]) for r in rows) == pytest.approx(1095.0, abs=0.02)
    profiles = [r.split(",")[header.split(",").index("mig_profile")] for r in rows]
    assert sorted(profiles) == ["", "3g.40gb", "4g.40gb"]  # the idle row carries none


RATES = {"whole": 66.5, "4g.40gb": 38, "3g.40gb": 28.5}  # requests/s of the 25 GB model at 95% (module docstring)
SHARES = {"4g.40gb": 4 / 7, "3g.40gb": 3 / 7}
GPU_MONTH = 1095.0  # one a1 (one gpu-a) reserved for a year, a month: the cheapest way to hold a GPU


def _fewest_gpus(three: int, four: int) -> int:
    """GPUs for the slices, from NVIDIA's A100 80GB geometry worked by hand: a 4g slice starts only
    at memory slice 0 and fills half the memory, so a GPU holds one 4g and one 3g, or two 3g."""
    paired = min(three, four)
    return four + -(-(three - paired) // 2)


def _brute_force(peaks: list[int]) -> float:
    """The cheapest plan by enumeration: each service on whole GPUs, or on slices of the profiles
    it may use (a service smaller than one GPU: its slices alone hold less than the whole GPU),
    the slices of all services packed onto the fewest GPUs."""
    import itertools
    import math

    def choices(rps: int) -> list[tuple[int, int, int]]:  # (whole GPUs, 3g slices, 4g slices)
        found = [(math.ceil(rps / RATES["whole"]), 0, 0)]
        allowed = {p for p in SHARES if math.ceil(rps / RATES[p]) * SHARES[p] < 1}
        for three in range(3 if "3g.40gb" in allowed else 1):
            for four in range(2 if "4g.40gb" in allowed else 1):
                if (three or four) and three * RATES["3g.40gb"] + four * RATES["4g.40gb"] >= rps:
                    found.append((0, three, four))
        return found

    best = math.inf
    for combo in itertools.product(*(choices(rps) for rps in peaks)):
        whole = sum(c[0] for c in combo)
        gpus = whole + _fewest_gpus(sum(c[1] for c in combo), sum(c[2] for c in combo))
        best = min(best, gpus * GPU_MONTH)
    return best


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([10, 25, 28, 35, 37, 55, 58, 65, 90]), min_size=2, max_size=3))  # off the rates
def test_shared_gpus_cost_what_a_brute_force_finds(run_cli, tmp_path_factory, peaks):
    tmp = tmp_path_factory.mktemp("mix")
    d, layer = setup(tmp)
    for f in d.glob("*.yaml"):
        f.unlink()
    for k, rps in enumerate(peaks):
        (d / f"s{k}.yaml").write_text(
            f"name: s{k}\nkind: realtime-inference\n"
            "model: {name: ranker, params_m: 25000, gflops_per_inference: 4000, precision: int8}\n"
            f"traffic: {{peak_rps: {rps}, users: {{us-east: 1.0}}}}\nslo: {{p95_latency_ms: 60000}}\n"
            "constraints: {accelerators: [gpu-a], regions: ['alpha:us-1']}\n", encoding="utf-8")
    data = planned(run_cli, d, layer)  # re-checked by the independent checker
    assert data["total_monthly_cost_usd"] == pytest.approx(_brute_force(peaks), abs=0.05)
