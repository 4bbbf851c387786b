"""A corpus of hostile inputs, each run through the CLI as a user would run it.

Every case must end in exit code 2 with a `file:line:col: message` naming the problem, no
traceback (the `run_cli` fixture checks stderr) and no output written. Workloads and policies
go through `advisor plan`, catalog layers through `advisor plan --catalog DIR`, SkyPilot CSVs
through `advisor catalog import-skypilot`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SMALL_CATALOG, WORKLOADS

Run = Callable[..., tuple[int, str, str]]
Make = Callable[[Path], None]

CHAT = """\
name: chat
kind: realtime-inference
team: product
model: {name: chat-8b, params_b: 8, precision: bf16}
traffic:
  peak_rps: 2
  input_tokens: 500
  output_tokens: 100
  users: {us-east: 0.5, eu-central: 0.5}
slo: {p95_latency_ms: 5000}
constraints: {jurisdictions: [us, eu], min_replicas: 1}
"""

POLICY = """\
kind: policy
name: p
budget:
  monthly_usd: 1000
"""

OFFERING = """\
provider: alpha
offerings:
  - name: z1
    accelerator: gpu-a
    accelerator_count: 1
    source: test fixture
    as_of: 2026-01-01
    prices:
      - region: us-1
        on_demand: 2.0
        source: test fixture
        as_of: 2026-01-01
"""

ACCELERATOR = """\
accelerators:
  - name: gpu-z
    display_name: Z
    vendor: nvidia
    kind: gpu
    memory_gb: 80
    memory_bandwidth_gbps: 2000
    bf16_tflops: 400
    tdp_w: 700
    software_stack: cuda
    portable: true
    source: test fixture
    as_of: 2026-01-01
"""

CSV_HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region\n"
CSV_ROW = "p5.48xlarge,H100,8.0,192.0,2048.0,55.04,12.5,us-east-1\n"


@dataclass(frozen=True)
class Case:
    """One hostile input: where it goes, what it holds and what the problem must say."""

    id: str
    target: str  # workload | policy | layer | csv | csv-skip
    content: str | bytes
    words: str  # part of the message
    where: str | None = None  # "line:col" of the problem, when it has a precise place


def sub(base: str, old: str, new: str) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


def nested(depth: int) -> str:
    return "kind: policy\nname: p\nx: " + "[" * depth + "]" * depth + "\n"


ALIAS_BOMB = "kind: policy\na: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"{n}: &{n} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdef", "bcdefg", strict=True))

CASES = [
    # --- workloads: files that are not YAML text ------------------------------------------------
    Case("empty-file", "workload", "", "file holds no YAML document", "1:1"),
    Case("comments-only", "workload", "# nothing\n# here\n", "file holds no YAML document", "1:1"),
    Case("binary-garbage", "workload", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "file is not UTF-8 text", "1:1"),
    Case("utf16-with-bom", "workload", "\ufeffkind: policy\n".encode("utf-16"), "file is not UTF-8 text", "1:1"),
    Case("nul-byte", "workload", "kind: policy\nname: a\x00b\n", "character #x0000 is not allowed", "2:8"),
    Case("escape-character", "workload", "kind: policy\nname: \x1b[31mred\n", "character #x001b is not allowed",
         "2:7"),
    Case("utf8-bom-keeps-lines", "workload", "\ufeff" + sub(CHAT, "peak_rps: 2", "peak_rps: -2"),
         "'traffic.peak_rps': Input should be greater than 0", "6:13"),
    Case("tab-indentation", "workload", "kind: policy\nname:\tp\n", "YAML syntax error", "2:6"),
    Case("unclosed-bracket", "workload", sub(CHAT, "users: {us-east: 0.5,", "users: [{us-east: 0.5,"),
         "YAML syntax error"),
    # --- workloads: YAML features that are refused ------------------------------------------------
    Case("document-is-a-list", "workload", "- a\n- b\n", "must be a mapping", "1:1"),
    Case("document-is-a-string", "workload", "hello\n", "must be a mapping", "1:1"),
    Case("explicit-null-document", "workload", "---\n...\n", "must be a mapping", "2:1"),
    Case("duplicate-key", "workload", CHAT + "team: other\n", "duplicate key 'team'", "12:1"),
    Case("merge-key", "workload", "base: &b {team: x}\n" + CHAT + "<<: *b\n", "merge keys (<<) are not supported",
         "13:1"),
    Case("recursive-alias", "workload", "kind: policy\na: &x\n  b: *x\n", "recursive alias", "2:4"),
    Case("alias-bomb", "workload", ALIAS_BOMB, "alias bomb"),
    Case("nesting-100", "workload", nested(100), "nested more than 64 levels deep", "3:68"),
    Case("nesting-5000", "workload", nested(5000), "nested too deeply", "1:1"),
    Case("python-object-tag", "workload", sub(CHAT, "team: product", "team: !!python/object/apply:os.system [id]"),
         "unsupported YAML tag '!!python/object/apply:os.system'", "3:7"),
    Case("python-name-tag-on-key", "workload", CHAT + "!!python/name:os.system k: 1\n",
         "unsupported YAML tag '!!python/name:os.system'", "12:1"),
    Case("custom-tag", "workload", sub(CHAT, "team: product", "team: !secret product"),
         "unsupported YAML tag '!secret'", "3:7"),
    Case("set-tag", "workload", sub(CHAT, "jurisdictions: [us, eu]", "jurisdictions: !!set {us, eu}"),
         "unsupported YAML tag '!!set'", "11:30"),
    Case("binary-tag", "workload", sub(CHAT, "team: product", "team: !!binary cHJvZHVjdA=="),
         "unsupported YAML tag '!!binary'", "3:7"),
    Case("mapping-as-key", "workload", CHAT + "? {a: 1}\n: 2\n", "mapping keys must be plain names", "12:3"),
    # --- workloads: values a type cannot hold (item 13) -------------------------------------------
    Case("impossible-date", "workload", sub(CHAT, "team: product", "team: 2026-02-30"),
         "'2026-02-30' is not a valid date (day is out of range for month)", "3:7"),
    Case("month-13", "workload", sub(CHAT, "team: product", "team: 2026-13-01"),
         "'2026-13-01' is not a valid date (month must be in 1..12)", "3:7"),
    Case("hour-25", "workload", sub(CHAT, "team: product", "team: 2026-01-01 25:61:00"),
         "'2026-01-01 25:61:00' is not a valid date and time", "3:7"),
    Case("float-tag-on-text", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: !!float lots"),
         "'lots' is not a valid number", "6:13"),
    Case("int-tag-on-text", "workload", sub(CHAT, "input_tokens: 500", "input_tokens: !!int 0x"),
         "'0x' is not a valid whole number", "7:17"),
    Case("bool-tag-on-text", "workload", CHAT + "x: !!bool maybe\n", "'maybe' is not a valid true/false value",
         "12:4"),
    Case("5000-digit-int", "workload", sub(CHAT, "input_tokens: 500", "input_tokens: 1" + "0" * 5000),
         "has too many digits to be a whole number", "7:17"),
    # --- workloads: numbers ---------------------------------------------------------------------
    Case("infinite-rps", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: .inf"),
         "'traffic.peak_rps': Input should be a finite number", "6:13"),
    Case("nan-rps", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: .nan"),
         "'traffic.peak_rps': Input should be a finite number", "6:13"),
    Case("negative-rps", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: -3"),
         "'traffic.peak_rps': Input should be greater than 0", "6:13"),
    Case("huge-rps", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: 1.0e+30"),
         "'traffic.peak_rps': Input should be less than or equal to", "6:13"),
    Case("huge-replicas", "workload", sub(CHAT, "min_replicas: 1", "min_replicas: 10000000000000000"),
         "'constraints.min_replicas': Input should be less than or equal to 100000", "11:54"),
    Case("huge-params", "workload", sub(CHAT, "params_b: 8", "params_b: 1.0e+300"),
         "'model.params_b': Input should be less than or equal to", "4:34"),
    Case("overflowing-float-is-text", "workload", sub(CHAT, "peak_rps: 2", "peak_rps: 1e400"),
         "'traffic.peak_rps': Input should be a finite number (got '1e400')", "6:13"),
    Case("number-with-unit", "workload", sub(CHAT, "p95_latency_ms: 5000", "p95_latency_ms: 5 s"),
         "'slo.p95_latency_ms' must be a number in milliseconds, got '5 s'", "10:23"),
    Case("text-for-number", "workload", sub(CHAT, "output_tokens: 100", "output_tokens: many"),
         "'traffic.output_tokens' must be a whole number, got 'many'", "8:18"),
    Case("list-for-mapping", "workload", sub(CHAT, "slo: {p95_latency_ms: 5000}", "slo: [5000]"),
         "'slo'", "10:6"),
    Case("negative-share", "workload", sub(CHAT, "{us-east: 0.5, eu-central: 0.5}", "{us-east: 1.5, eu-central: -0.5}"),
         "'traffic.users.eu-central': Input should be greater than 0", "9:37"),
    # --- workloads: names and fields --------------------------------------------------------------
    Case("unknown-field", "workload", CHAT + "teem: x\n", "unknown field 'teem'; did you mean 'team'?", "12:1"),
    Case("unknown-nested-field", "workload", sub(CHAT, "p95_latency_ms: 5000", "p95_latency_ms: 5000, p99: 1"),
         "unknown field 'slo.p99'", "10:29"),
    Case("missing-kind", "workload", sub(CHAT, "kind: realtime-inference\n", ""), "missing field 'kind'", "1:1"),
    Case("unknown-kind", "workload", sub(CHAT, "kind: realtime-inference", "kind: realtime"),
         "unknown kind 'realtime'", "2:7"),
    Case("kind-is-a-list", "workload", sub(CHAT, "kind: realtime-inference", "kind: [training]"),
         "unknown kind", "2:7"),
    Case("script-in-name", "workload", sub(CHAT, "name: chat", "name: '<script>alert(1)</script>'"),
         "'name'", "1:7"),
    Case("newline-in-name", "workload", sub(CHAT, "name: chat", 'name: "chat\\nInjected: 1"'), "'name'", "1:7"),
    Case("very-long-name", "workload", sub(CHAT, "name: chat", "name: " + "a" * 5000), "'name'", "1:7"),
    Case("unknown-location", "workload", sub(CHAT, "us-east: 0.5", "mars: 0.5"), "unknown user location 'mars'",
         "9:11"),
    Case("unknown-jurisdiction", "workload", sub(CHAT, "jurisdictions: [us, eu]", "jurisdictions: [us, xx]"),
         "unknown jurisdiction 'xx'", "11:35"),
    Case("two-workloads-one-name", "workload", CHAT + "---\n" + CHAT, "workload name 'chat' is already used",
         "13:7"),
    # --- policies ---------------------------------------------------------------------------------
    Case("policy-infinite-budget", "policy", sub(POLICY, "monthly_usd: 1000", "monthly_usd: .inf"),
         "'budget.monthly_usd': Input should be a finite number", "4:16"),
    Case("policy-huge-budget", "policy", sub(POLICY, "monthly_usd: 1000", "monthly_usd: 1.0e+300"),
         "'budget.monthly_usd': Input should be less than or equal to", "4:16"),
    Case("policy-negative-budget", "policy", sub(POLICY, "monthly_usd: 1000", "monthly_usd: -5"),
         "'budget.monthly_usd': Input should be greater than or equal to 0", "4:16"),
    Case("policy-unknown-provider", "policy", POLICY + "allowed_providers: [alpha, gamma]\n",
         "unknown provider 'gamma'", "5:28"),
    Case("policy-unknown-field", "policy", POLICY + "budgets: {}\n", "unknown field 'budgets'", "5:1"),
    Case("policy-date-name", "policy", sub(POLICY, "name: p", "name: 2026-13-01"),
         "'2026-13-01' is not a valid date", "2:7"),
    Case("policy-team-typo", "policy", sub(POLICY, "monthly_usd: 1000", "per_team_monthly_usd: {prodcut: 5}"),
         "no workload belongs to team 'prodcut'", "4:26"),
    Case("two-policies", "policy", POLICY + "---\n" + POLICY, "only one policy document is allowed", "6:7"),
    # --- catalog layers (items 14, 15, 16) --------------------------------------------------------
    Case("layer-infinite-price", "layer", sub(OFFERING, "on_demand: 2.0", "on_demand: .inf"),
         "'prices.0.on_demand': Input should be a finite number", "10:20"),
    Case("layer-huge-price", "layer", sub(OFFERING, "on_demand: 2.0", "on_demand: 1.0e+300"),
         "'prices.0.on_demand': Input should be less than or equal to 10000", "10:20"),
    Case("layer-negative-price", "layer", sub(OFFERING, "on_demand: 2.0", "on_demand: -2.0"),
         "'prices.0.on_demand': Input should be greater than 0", "10:20"),
    Case("layer-spot-above-on-demand", "layer", sub(OFFERING, "on_demand: 2.0", "on_demand: 2.0\n        spot: 3.0"),
         "spot price 3.0 must be below the on-demand price 2.0", "9:9"),
    Case("layer-huge-count", "layer", sub(OFFERING, "accelerator_count: 1", "accelerator_count: 1000000000000"),
         "'accelerator_count': Input should be less than or equal to 1024", "5:24"),
    Case("layer-huge-vcpus", "layer", sub(OFFERING, "accelerator_count: 1", "accelerator_count: 1\n    vcpus: 1.0e+12"),
         "'vcpus'", "6:12"),
    Case("layer-infinite-tdp", "layer", sub(ACCELERATOR, "tdp_w: 700", "tdp_w: .inf"),
         "'tdp_w': Input should be a finite number", "9:12"),
    Case("layer-nan-tflops", "layer", sub(ACCELERATOR, "bf16_tflops: 400", "bf16_tflops: .nan"),
         "'bf16_tflops': Input should be a finite number", "8:18"),
    Case("layer-huge-memory", "layer", sub(ACCELERATOR, "memory_gb: 80", "memory_gb: 1.0e+20"),
         "'memory_gb': Input should be less than or equal to 100000", "6:16"),
    Case("layer-infinite-carbon", "layer",
         "regions:\n  - {provider: alpha, name: r9, display_name: R, lat: 1, lon: 1, jurisdiction: us,\n"
         "     country: US, carbon_gco2_per_kwh: .inf, source: test fixture, as_of: 2026-01-01}\n",
         "'carbon_gco2_per_kwh': Input should be a finite number", "3:40"),
    Case("layer-nan-latitude", "layer",
         "locations:\n  - {name: moon, city: Tranquility, lat: .nan, lon: 0, jurisdiction: us}\n",
         "'lat': Input should be a finite number", "2:42"),
    Case("layer-purchase-lifetime", "layer",
         "offerings:\n  - {provider: edge, name: e9, accelerator: edge-e, accelerator_count: 1, source: test fixture,\n"
         "     as_of: 2026-01-01, purchase: {unit_price_usd: 360, lifetime_months: 1000000, power_w: 15,\n"
         "     electricity_usd_per_kwh: 0.1, source: test fixture, as_of: 2026-01-01}}\n",
         "'purchase.lifetime_months': Input should be less than or equal to 240", "3:74"),
    Case("layer-override-infinite", "layer",
         "price_overrides:\n  - {offering: 'alpha:a1', on_demand: .inf, source: test fixture, as_of: 2026-01-01}\n",
         "'on_demand': Input should be a finite number", "2:39"),
    Case("layer-override-discount-100", "layer",
         "price_overrides:\n  - {offering: 'alpha:a1', discount_pct: 100, source: test fixture, as_of: 2026-01-01}\n",
         "'discount_pct': Input should be less than 100", "2:42"),
    Case("layer-impossible-as-of", "layer", sub(OFFERING, "    as_of: 2026-01-01", "    as_of: 2026-13-01"),
         "'2026-13-01' is not a valid date (month must be in 1..12)", "7:12"),
    Case("layer-feb-30-price", "layer", sub(OFFERING, "        as_of: 2026-01-01", "        as_of: 2026-02-30"),
         "'2026-02-30' is not a valid date", "12:16"),
    Case("layer-remove-int", "layer", "remove: {providers: 5}\n", "'remove.providers' must be a list", "1:21"),
    Case("layer-remove-nested-list", "layer", "remove: {providers: [[alpha]]}\n",
         "'remove.providers.0' must be a name, not list", "1:22"),
    Case("layer-remove-mapping-entry", "layer", "remove: {offerings: [{a: 1}]}\n",
         "'remove.offerings.0' must be a name, not dict", "1:22"),
    Case("layer-remove-string", "layer", "remove: alpha\n", "'remove' takes 'providers' and/or 'offerings' lists",
         "1:9"),
    Case("layer-unknown-section", "layer", "acelerators: []\n", "unknown catalog section 'acelerators'", "1:1"),
    Case("layer-file-is-a-list", "layer", "- providers\n", "a catalog file must be a mapping of sections", "1:1"),
    Case("layer-section-not-a-list", "layer", "offerings: {name: x}\n", "'offerings' must be a list", "1:12"),
    Case("layer-binary", "layer", b"\x00\x01\x02\x03garbage\xff", "file is not UTF-8 text", "1:1"),
    Case("layer-duplicate-key", "layer", OFFERING + "provider: beta\n", "duplicate key 'provider'", "13:1"),
    Case("layer-python-tag", "layer", sub(OFFERING, "name: z1", "name: !!python/object/apply:os.system [id]"),
         "unsupported YAML tag", "3:11"),
    Case("layer-unknown-accelerator", "layer", sub(OFFERING, "accelerator: gpu-a", "accelerator: gpu-zz"),
         "unknown accelerator 'gpu-zz'", "4:18"),
    # --- SkyPilot CSVs ----------------------------------------------------------------------------
    Case("csv-text-price", "csv", CSV_HEADER + CSV_ROW.replace("55.04", "cheap"),
         "column Price: 'cheap' is not a number", "2:1"),
    Case("csv-missing-columns", "csv", "InstanceType,Price\np5,1\n", "missing column(s)", "1:1"),
    Case("csv-empty", "csv", "", "missing column(s)", "1:1"),
    Case("csv-binary", "csv", b"\xff\xfe\x00\x01garbage", "file is not UTF-8 text", "1:1"),
    Case("csv-huge-field", "csv", CSV_HEADER + "x" * 200_000 + ",H100,8,1,1,1,,us-east-1\n",
         "not a readable CSV file: field larger than field limit", "2:1"),
    Case("csv-infinite-price", "csv-skip", CSV_HEADER + CSV_ROW.replace("55.04", "inf"),
         "1 with a number out of range"),
    Case("csv-huge-price", "csv-skip", CSV_HEADER + CSV_ROW.replace("55.04", "1e300"),
         "1 with a number out of range"),
    Case("csv-huge-count", "csv-skip", CSV_HEADER + CSV_ROW.replace("8.0", "1000000000000"),
         "1 with a number out of range"),
    Case("csv-infinite-count", "csv-skip", CSV_HEADER + CSV_ROW.replace("8.0", "inf"), "1 with a number out of range"),
    Case("csv-negative-price", "csv-skip", CSV_HEADER + CSV_ROW.replace("55.04", "-5"),
         "1 without a positive on-demand price"),
    Case("csv-nan-price", "csv-skip", CSV_HEADER + CSV_ROW.replace("55.04", "nan"),
         "1 without a positive on-demand price"),
]


def run_case(run_cli: Run, tmp_path: Path, case: Case, make: Make | None = None) -> tuple[int, str, Path, Path]:
    """Write the case's file, run the command that reads it; return code, stderr, the file and the output."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    folder = tmp_path / ("layer" if case.target == "layer" else "in")
    folder.mkdir()
    path = folder / ("vms.csv" if case.target.startswith("csv") else "input.yaml")
    if make is not None:
        make(path)
    elif isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    catalog = ["--no-shipped-catalog", "--catalog", SMALL_CATALOG]
    if case.target in ("workload", "policy"):
        output = out_dir / "plan.json"
        code, _, err = run_cli("plan", path, *catalog, "-q", "-o", output)
    elif case.target == "layer":
        output = out_dir / "plan.json"
        code, _, err = run_cli("plan", WORKLOADS, *catalog, "--catalog", folder, "-q", "-o", output)
    else:
        output = out_dir / "layer"
        code, _, err = run_cli("catalog", "import-skypilot", path, "-o", output, "--provider", "aws",
                               "--as-of", "2026-01-15")
    return code, err, path, output


def assert_problem(err: str, path: Path, words: str, where: str | None) -> None:
    """stderr holds `path:line:col: ...words...`, at `where` when given."""
    pattern = re.compile(rf"^{re.escape(str(path))}:(\d+):(\d+): (.*)$", re.MULTILINE)
    found = [m for m in pattern.finditer(err) if words in m.group(3)]
    assert found, f"no '{path}:line:col: ...{words}...' in:\n{err}"
    if where is not None:
        assert f"{found[0].group(1)}:{found[0].group(2)}" == where, found[0].group(0)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_a_problem_and_writes_nothing(run_cli: Run, tmp_path: Path, case: Case) -> None:
    started = time.monotonic()
    code, err, path, output = run_case(run_cli, tmp_path, case)
    assert code == 2, err
    assert not output.exists()
    if case.target == "csv-skip":
        assert case.words in err and "nothing written" in err, err
    else:
        assert_problem(err, path, case.words, case.where)
    assert time.monotonic() - started < 10, "a hostile input must be refused quickly"


# --- inputs that are not regular files (item 18) or sit in odd directories (item 21) ----------


def fifo(path: Path) -> None:
    os.mkfifo(path)  # no writer: opening it for reading would block forever


def link_loop(path: Path) -> None:
    path.symlink_to(path)


def dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.yaml")


def too_big(path: Path) -> None:
    path.write_bytes(b"kind: policy\n" + b"#" * (5 * 1024 * 1024))


SPECIAL = [
    ("fifo-workload", "workload", fifo, "cannot read a FIFO (named pipe): only regular files are read"),
    ("fifo-layer-file", "layer", fifo, "cannot read a FIFO (named pipe): only regular files are read"),
    ("fifo-csv", "csv", fifo, "cannot read a FIFO (named pipe): only regular files are read"),
    ("symlink-loop-workload", "workload", link_loop, "cannot read file: Too many levels of symbolic links"),
    ("dangling-symlink-layer-file", "layer", dangling, "cannot read file: No such file or directory"),
    ("over-5-mb-workload", "workload", too_big, "the limit is 5,242,880"),
]


@pytest.mark.parametrize(("target", "make", "words"), [s[1:] for s in SPECIAL], ids=[s[0] for s in SPECIAL])
def test_special_file_is_refused_without_reading(run_cli: Run, tmp_path: Path, target: str, make: Make,
                                                 words: str) -> None:
    code, err, path, output = run_case(run_cli, tmp_path, Case("special", target, "", words), make)
    assert code == 2 and not output.exists()
    assert_problem(err, path, words, "1:1")


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_dev_zero_as_a_workload_is_refused(run_cli: Run, tmp_path: Path, command: str) -> None:
    code, _, err = run_cli(command, "/dev/zero", "--no-shipped-catalog", "--catalog", SMALL_CATALOG)
    assert code == 2
    assert "/dev/zero:1:1: cannot read a character device: only regular files are read" in err


def test_dev_zero_as_a_csv_is_refused(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("catalog", "import-skypilot", "/dev/zero", "-o", tmp_path / "o", "--provider", "aws")
    assert code == 2 and not (tmp_path / "o").exists()
    assert "/dev/zero:1:1: cannot read a character device" in err


@pytest.mark.parametrize("target", ["workload", "layer"])
def test_unreadable_subdirectory_is_a_problem(run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              target: str) -> None:
    import advisor.yaml_source

    folder = tmp_path / "dir"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "x.yaml").write_text(CHAT if target == "workload" else OFFERING)
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == folder / "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(advisor.yaml_source.os, "scandir", scandir)
    inputs = folder if target == "workload" else WORKLOADS
    layer = ["--catalog", folder] if target == "layer" else []
    output = tmp_path / "plan.json"
    code, _, err = run_cli("plan", inputs, "--no-shipped-catalog", "--catalog", SMALL_CATALOG, *layer,
                           "-q", "-o", output)
    assert code == 2 and not output.exists()
    assert f"{folder / 'locked'}:1:1: cannot read directory: Permission denied" in err
