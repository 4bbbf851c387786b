"""Every way a workload or policy file can be wrong, reported as `file:line:col: message`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.problems import InputError, Problem
from advisor.validation import describe, unit_hint
from advisor.workload.loader import load_inputs
from advisor.workload.models import RealtimeInference
from advisor.yaml_source import MAX_FILE_BYTES

# Line numbers below refer to this text: keep it in step with the tests.
CHAT = """\
name: chat
kind: realtime-inference
team: product
model:
  name: chat-8b
  params_b: 8
traffic:
  peak_rps: 2
  input_tokens: 500
  output_tokens: 100
  users:
    us-east: 0.5
    eu-central: 0.5
slo:
  p95_latency_ms: 5000
"""

POLICY = """\
kind: policy
name: p
budget:
  monthly_usd: 1000
"""


def write(directory: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def problems(tmp_path: Path, catalog, files: dict[str, str | bytes]) -> list[Problem]:
    write(tmp_path, files)
    with pytest.raises(InputError) as info:
        load_inputs([tmp_path], catalog)
    return info.value.problems


def one(tmp_path: Path, catalog, files: dict[str, str | bytes]) -> Problem:
    found = problems(tmp_path, catalog, files)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def at(problem: Problem, tmp_path: Path, name: str, line: int, col: int) -> None:
    assert (problem.file, problem.line, problem.col) == (str(tmp_path / name), line, col), str(problem)


def test_the_base_documents_are_valid(tmp_path, small_catalog):
    write(tmp_path, {"chat.yaml": CHAT, "policy.yaml": POLICY})
    inputs = load_inputs([tmp_path], small_catalog)
    assert [w.name for w in inputs.workloads] == ["chat"]
    assert inputs.policy.name == "p"
    assert inputs.files == [str(tmp_path / "chat.yaml"), str(tmp_path / "policy.yaml")]


def test_problem_prints_like_a_compiler(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("peak_rps: 2", "peak_rps: -3")})
    assert str(p) == f"{tmp_path / 'chat.yaml'}:8:13: 'traffic.peak_rps': Input should be greater than 0 (got -3)"


# --- YAML level ------------------------------------------------------------------------------

def test_yaml_syntax_error(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("  peak_rps: 2", "  peak_rps: [2")})
    at(p, tmp_path, "chat.yaml", 9, 15)
    assert "YAML syntax error" in p.message


def test_duplicate_key(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT + "team: other\n"})
    at(p, tmp_path, "chat.yaml", 16, 1)
    assert p.message == "duplicate key 'team'"


def test_empty_file(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"empty.yaml": ""})
    at(p, tmp_path, "empty.yaml", 1, 1)
    assert p.message == "file holds no YAML document"


def test_document_that_is_not_a_mapping(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"list.yaml": "- a\n- b\n"})
    at(p, tmp_path, "list.yaml", 1, 1)
    assert "must be a mapping" in p.message


def test_non_utf8_file(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("product", "caf\xe9").encode("latin-1")})
    at(p, tmp_path, "chat.yaml", 1, 1)
    assert "not UTF-8" in p.message


def test_file_over_the_size_limit(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"big.yaml": CHAT + "#" * MAX_FILE_BYTES})
    at(p, tmp_path, "big.yaml", 1, 1)
    assert "the limit is" in p.message


def test_python_object_tag_is_refused_and_not_run(tmp_path, small_catalog):
    marker = tmp_path / "pwned"
    text = CHAT.replace("team: product", f'team: !!python/object/apply:os.system ["touch {marker}"]')
    p = one(tmp_path, small_catalog, {"chat.yaml": text})
    at(p, tmp_path, "chat.yaml", 3, 7)
    assert "unsupported YAML tag '!!python/object/apply:os.system'" in p.message
    assert not marker.exists()


@pytest.mark.parametrize(("text", "words"), [
    ("a: &x\n  b: *x\n", "recursive alias"),
    ("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdef", "bcdefg", strict=True)),
     "alias bomb"),
    ("a: " + "[" * 100 + "]" * 100 + "\n", "nested more than 64 levels deep"),
])
def test_hostile_yaml_is_a_problem(tmp_path, small_catalog, text, words):
    p = one(tmp_path, small_catalog, {"evil.yaml": text})
    assert p.file == str(tmp_path / "evil.yaml")
    assert words in p.message


def test_problems_from_every_file_are_reported_together(tmp_path, small_catalog):
    found = problems(tmp_path, small_catalog, {
        "a.yaml": "a: [\n",
        "b.yaml": CHAT.replace("peak_rps: 2", "peak_rps: 0"),
        "c.yaml": POLICY.replace("monthly_usd: 1000", "monthly_usd: -1"),
    })
    assert [(Path(p.file).name, p.line, p.col) for p in found] == [("a.yaml", 2, 1), ("b.yaml", 8, 13),
                                                                   ("c.yaml", 4, 16)]


# --- schema level ----------------------------------------------------------------------------

def test_unknown_field_with_did_you_mean_points_at_the_key(tmp_path, small_catalog):
    found = problems(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("p95_latency_ms", "p95_latency_msec")})
    unknown = [p for p in found if p.message.startswith("unknown field")]
    assert len(unknown) == 1
    at(unknown[0], tmp_path, "chat.yaml", 15, 3)
    assert unknown[0].message == "unknown field 'slo.p95_latency_msec'; did you mean 'p95_latency_ms'?"
    # the misspelt field is the only problem reported about it
    assert [p for p in found if "p95_latency" in p.message] == unknown


def test_unknown_nested_field_did_you_mean(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT + "constraints:\n  min_replica: 2\n"})
    at(p, tmp_path, "chat.yaml", 17, 3)
    assert p.message == "unknown field 'constraints.min_replica'; did you mean 'min_replicas'?"


def test_unknown_field_without_a_close_match_lists_the_known_fields(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"policy.yaml": POLICY + "zzz: 1\n"})
    at(p, tmp_path, "policy.yaml", 5, 1)
    assert p.message.startswith("unknown field 'zzz'; known fields: ")
    assert "allowed_providers, budget, fleets, kind, lock_in, name, objective" in p.message


def test_wrong_type_names_the_unit(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("p95_latency_ms: 5000", 'p95_latency_ms: "fast"')})
    at(p, tmp_path, "chat.yaml", 15, 19)
    assert p.message == "'slo.p95_latency_ms' must be a number in milliseconds, got 'fast'"


@pytest.mark.parametrize(("old", "new", "line", "col", "message"), [
    ("params_b: 8", "params_b: big", 6, 13, "'model.params_b' must be a number in billions, got 'big'"),
    ("peak_rps: 2", "peak_rps: lots", 8, 13, "'traffic.peak_rps' must be a number in requests per second, got 'lots'"),
    ("input_tokens: 500", "input_tokens: 1.5", 9, 17, "'traffic.input_tokens' must be a whole number, got 1.5"),
])
def test_wrong_types(tmp_path, small_catalog, old, new, line, col, message):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace(old, new)})
    at(p, tmp_path, "chat.yaml", line, col)
    assert p.message == message


def test_wrong_type_of_money_names_dollars(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"policy.yaml": POLICY.replace("1000", "plenty")})
    at(p, tmp_path, "policy.yaml", 4, 16)
    assert p.message == "'budget.monthly_usd' must be a number in US dollars, got 'plenty'"


def test_missing_required_top_level_field(tmp_path, small_catalog):
    text = CHAT.replace("slo:\n  p95_latency_ms: 5000\n", "")
    p = one(tmp_path, small_catalog, {"chat.yaml": text})
    at(p, tmp_path, "chat.yaml", 1, 1)
    assert p.message == "missing required field 'slo'"


def test_missing_required_nested_field_points_at_its_parent(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("  peak_rps: 2\n", "")})
    at(p, tmp_path, "chat.yaml", 8, 3)  # the traffic mapping now starts at input_tokens
    assert p.message == "missing required field 'traffic.peak_rps'"


def test_negative_peak_rps(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("peak_rps: 2", "peak_rps: -5")})
    at(p, tmp_path, "chat.yaml", 8, 13)
    assert "'traffic.peak_rps'" in p.message and "greater than 0" in p.message and "-5" in p.message


def test_user_shares_must_add_up_to_one(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("eu-central: 0.5", "eu-central: 0.4")})
    at(p, tmp_path, "chat.yaml", 12, 5)
    assert p.message == "'traffic.users': user shares must add up to 1.0 (they add up to 0.9)"


def test_user_share_must_be_positive(tmp_path, small_catalog):
    text = CHAT.replace("us-east: 0.5", "us-east: 1.5").replace("eu-central: 0.5", "eu-central: -0.5")
    found = problems(tmp_path, small_catalog, {"chat.yaml": text})
    assert (found[0].line, found[0].col) == (13, 17)
    assert "'traffic.users.eu-central'" in found[0].message and "greater than 0" in found[0].message


@pytest.mark.parametrize(("value", "words"), [(".inf", "finite number"), (".nan", "finite number"),
                                              ("1e300", "less than or equal to")])
def test_infinite_or_absurd_numbers_are_refused(tmp_path, small_catalog, value, words):
    p = one(tmp_path, small_catalog, {"policy.yaml": POLICY.replace("1000", value)})
    at(p, tmp_path, "policy.yaml", 4, 16)
    assert p.message.startswith("'budget.monthly_usd': ") and words in p.message


def test_infinite_traffic_is_refused(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("peak_rps: 2", "peak_rps: .inf")})
    at(p, tmp_path, "chat.yaml", 8, 13)
    assert "finite number" in p.message


def test_bad_name(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("name: chat\n", "name: 'chat bot'\n")})
    at(p, tmp_path, "chat.yaml", 1, 7)
    assert p.message.startswith("'name': names are 1-100 characters")


def test_enum_value(tmp_path, small_catalog):
    text = CHAT.replace("  params_b: 8\n", "  params_b: 8\n  precision: fp7\n")
    p = one(tmp_path, small_catalog, {"chat.yaml": text})
    at(p, tmp_path, "chat.yaml", 7, 14)
    assert "'model.precision'" in p.message and "'fp8'" in p.message and "(got 'fp7')" in p.message


def test_unknown_kind_with_did_you_mean(tmp_path, small_catalog):
    text = CHAT.replace("kind: realtime-inference", "kind: realtime-inferense")
    p = one(tmp_path, small_catalog, {"chat.yaml": text})
    at(p, tmp_path, "chat.yaml", 2, 7)
    assert p.message.startswith("unknown kind 'realtime-inferense'; did you mean 'realtime-inference'?")
    assert "(one of: training, batch-inference, realtime-inference, edge-inference, policy)" in p.message


def test_missing_kind(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("kind: realtime-inference\n", "")})
    at(p, tmp_path, "chat.yaml", 1, 1)
    assert p.message.startswith("missing field 'kind' (one of: training,")


# --- rules between fields --------------------------------------------------------------------

def test_spot_on_realtime_inference_points_at_spot(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT + "constraints:\n  spot: true\n"})
    at(p, tmp_path, "chat.yaml", 17, 9)
    assert p.message == "'constraints.spot': realtime-inference cannot use spot capacity: it is not interruptible"


def test_max_replicas_below_min_replicas_points_at_max(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT + "constraints:\n  min_replicas: 3\n  max_replicas: 2\n"})
    at(p, tmp_path, "chat.yaml", 18, 17)
    assert p.message == "'constraints.max_replicas': max_replicas must be at least min_replicas"


def test_llm_service_without_token_counts_points_at_traffic(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("  input_tokens: 500\n", "")})
    at(p, tmp_path, "chat.yaml", 8, 3)
    assert "'traffic': an LLM service needs traffic.input_tokens" in p.message


def test_model_needs_a_size(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("  params_b: 8\n", "")})
    at(p, tmp_path, "chat.yaml", 5, 3)
    assert p.message.startswith("'model': give params_b")


def test_batch_window_times_runs_exceeding_a_month(tmp_path, small_catalog):
    text = (FIXTURE_BATCH := (Path(__file__).parent / "fixtures/workloads/batch.yaml").read_text())
    text = text.replace("runs_per_month: 30", "runs_per_month: 200")
    assert text != FIXTURE_BATCH
    p = one(tmp_path, small_catalog, {"batch.yaml": text})
    at(p, tmp_path, "batch.yaml", 7, 17)
    assert p.message == "'runs_per_month': window_hours x runs_per_month exceeds the hours in a month"


# --- names checked against the catalog -------------------------------------------------------

NAMES = CHAT + """\
constraints:
  accelerators:
    - gpu-b
  providers:
    - alpah
  jurisdictions:
    - euu
  regions:
    - alpha:us-2
    - aws:nowhere-1
    - us-1
"""


def test_unknown_catalog_names_with_did_you_mean(tmp_path, small_catalog):
    found = problems(tmp_path, small_catalog, {"chat.yaml": NAMES})
    got = [(p.line, p.col, p.message) for p in found]
    assert got == [
        (18, 7, "unknown accelerator 'gpu-b'; did you mean 'gpu-a'?"),
        (20, 7, "unknown provider 'alpah'; did you mean 'alpha'?"),
        (22, 7, "unknown jurisdiction 'euu'; did you mean 'eu'?"),
        (24, 7, "unknown region 'alpha:us-2'; did you mean 'alpha:us-1'?"),
        (25, 7, "unknown region 'aws:nowhere-1'"),
        (26, 7, "unknown region 'us-1'; did you mean 'beta:us-1'? (write provider:region, e.g. aws:us-east-1)"),
    ]
    assert all(p.file == str(tmp_path / "chat.yaml") for p in found)


def test_unknown_region_against_the_shipped_catalog_suggests_a_real_one(tmp_path):
    from advisor.catalog import load_catalog

    shipped = load_catalog()
    text = CHAT.replace("users:\n    us-east: 0.5\n    eu-central: 0.5", "users:\n    us-east: 1.0")
    p = one(tmp_path, shipped, {"chat.yaml": text + "constraints:\n  regions: [aws:nowhere-1]\n"})
    at(p, tmp_path, "chat.yaml", 16, 13)
    assert p.message.startswith("unknown region 'aws:nowhere-1'; did you mean 'aws:")


def test_unknown_user_location_with_did_you_mean_points_at_the_key(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": CHAT.replace("us-east: 0.5", "us-eest: 0.5")})
    at(p, tmp_path, "chat.yaml", 12, 5)
    assert p.message.startswith("unknown user location 'us-eest'; did you mean 'us-east'?")


def test_unknown_provider_in_policy(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"policy.yaml": POLICY + "allowed_providers: [alpha, betta]\n"})
    at(p, tmp_path, "policy.yaml", 5, 28)
    assert p.message == "unknown provider 'betta'; did you mean 'beta'?"


# --- across files ----------------------------------------------------------------------------

def test_duplicate_workload_names_across_files_name_both(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"a.yaml": CHAT, "b.yaml": CHAT.replace("team: product", "team: x")})
    at(p, tmp_path, "b.yaml", 1, 7)
    assert p.message == f"workload name 'chat' is already used in {tmp_path / 'a.yaml'}:1"


def test_two_policy_documents_in_two_files(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"p1.yaml": POLICY, "p2.yaml": "# second\n" + POLICY})
    at(p, tmp_path, "p2.yaml", 2, 7)
    assert p.message == f"only one policy document is allowed; another is in {tmp_path / 'p1.yaml'}:1"


def test_two_policy_documents_in_one_file(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"p.yaml": POLICY + "---\n" + POLICY})
    at(p, tmp_path, "p.yaml", 6, 7)
    assert p.message.endswith(f"another is in {tmp_path / 'p.yaml'}:1")


def test_the_same_file_named_twice_is_read_once(tmp_path, small_catalog):
    write(tmp_path, {"chat.yaml": CHAT})
    inputs = load_inputs([tmp_path, tmp_path / "chat.yaml", tmp_path / "." / "chat.yaml"], small_catalog)
    assert [w.name for w in inputs.workloads] == ["chat"]
    assert inputs.files == [str(tmp_path / "chat.yaml")]


def test_directory_without_yaml_files(tmp_path, small_catalog):
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_inputs([tmp_path], small_catalog)
    (p,) = info.value.problems
    assert (p.file, p.line, p.col, p.message) == (str(tmp_path), 1, 1, "no *.yaml or *.yml files found")


def test_path_that_does_not_exist(tmp_path, small_catalog):
    with pytest.raises(InputError) as info:
        load_inputs([tmp_path / "nope.yaml"], small_catalog)
    (p,) = info.value.problems
    assert (p.file, p.message) == (str(tmp_path / "nope.yaml"), "no such file or directory")


def test_yml_suffix_and_subdirectories_are_read(tmp_path, small_catalog):
    (tmp_path / "sub").mkdir()
    write(tmp_path, {"sub/chat.yml": CHAT, "policy.yaml": POLICY, "README.md": "# not yaml"})
    inputs = load_inputs([tmp_path], small_catalog)
    assert [w.name for w in inputs.workloads] == ["chat"] and inputs.policy.name == "p"


def test_symlinked_subdirectory_is_read(tmp_path, small_catalog):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere, {"chat.yaml": CHAT})
    inputs_dir = tmp_path / "inputs"
    inputs_dir.mkdir()
    write(inputs_dir, {"policy.yaml": POLICY})
    (inputs_dir / "shared").symlink_to(elsewhere, target_is_directory=True)
    (inputs_dir / "loop").symlink_to(inputs_dir, target_is_directory=True)
    inputs = load_inputs([inputs_dir], small_catalog)
    assert [w.name for w in inputs.workloads] == ["chat"] and inputs.policy.name == "p"
    assert inputs.files == [str(inputs_dir / "policy.yaml"), str(inputs_dir / "shared" / "chat.yaml")]


def test_unreadable_subdirectory_is_a_problem_not_skipped(tmp_path, small_catalog, monkeypatch):
    import advisor.yaml_source

    (tmp_path / "team").mkdir()
    write(tmp_path, {"policy.yaml": POLICY, "team/chat.yaml": CHAT})
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == tmp_path / "team":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(advisor.yaml_source.os, "scandir", scandir)
    with pytest.raises(InputError) as info:
        load_inputs([tmp_path], small_catalog)
    (p,) = info.value.problems
    assert str(p) == f"{tmp_path / 'team'}:1:1: cannot read directory: Permission denied"


def test_fifo_in_a_workload_directory_is_reported_not_read(tmp_path, small_catalog):
    write(tmp_path, {"chat.yaml": CHAT})
    os.mkfifo(tmp_path / "pipe.yaml")
    p = one(tmp_path, small_catalog, {})
    assert str(p) == f"{tmp_path / 'pipe.yaml'}:1:1: cannot read a FIFO (named pipe): only regular files are read"


# --- the helpers themselves ------------------------------------------------------------------

@pytest.mark.parametrize(("field", "unit"), [("p95_latency_ms", "milliseconds"), ("monthly_usd", "US dollars"),
                                             ("params_b", "billions"), ("peak_rps", "requests per second"),
                                             ("max_power_w", "watts"), ("name", "")])
def test_unit_hint(field, unit):
    assert unit_hint(field) == unit


def test_describe_extra_field_in_nested_model():
    error = {"type": "extra_forbidden", "loc": ("traffic", "peak_rsp"), "msg": "x", "input": 1}
    assert describe(RealtimeInference, error) == "unknown field 'traffic.peak_rsp'; did you mean 'peak_rps'?"


def test_schema_errors_and_unknown_names_are_reported_in_one_run(tmp_path, small_catalog):
    bad = """\
name: chat
kind: realtime-inference
model: {name: m, params_b: 8, precison: fp8}
traffic: {peak_rps: 1, input_tokens: 10, output_tokens: 10, users: {mars-base: 1.0}}
slo: {p95_latency_ms: 1000}
constraints: {accelerators: [gpu]}
measured: [{accelerator: tpu-z, requests_per_s: 1, source: bench}]
"""
    found = problems(tmp_path, small_catalog, {"chat.yaml": bad})
    messages = [p.message for p in found]
    assert any(m.startswith("unknown field 'model.precison'") for m in messages)
    assert any(m.startswith("unknown user location 'mars-base'") for m in messages)
    assert "unknown accelerator 'gpu'; did you mean 'gpu-a'?" in messages
    assert any(m.startswith("unknown accelerator 'tpu-z'") for m in messages)


# --- traffic profiles ------------------------------------------------------------------------

def _with_profile(text: str) -> str:
    return CHAT.replace("slo:\n", text + "slo:\n")


def test_an_unknown_profile_name_lists_the_presets(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": _with_profile("  profile: nightly\n")})
    at(p, tmp_path, "chat.yaml", 14, 12)
    assert p.message.startswith("'traffic.profile': ") and "'business-hours'" in p.message and "nightly" in p.message


def test_a_profile_needs_24_hours(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": _with_profile("  profile: [1, 0.5]\n")})
    at(p, tmp_path, "chat.yaml", 14, 12)
    assert p.message.startswith("'traffic.profile': ") and "24" in p.message


def test_a_profile_share_above_one_points_at_the_hour(tmp_path, small_catalog):
    hours = ", ".join(["2"] + ["1"] * 23)
    text = _with_profile(f"  profile:\n    weekday: flat\n    weekend: [{hours}]\n")
    p = one(tmp_path, small_catalog, {"chat.yaml": text})
    at(p, tmp_path, "chat.yaml", 16, 15)
    assert p.message.startswith("'traffic.profile.weekend.0': ") and "(got 2)" in p.message


def test_a_profile_whose_peak_is_not_one_is_refused(tmp_path, small_catalog):
    p = one(tmp_path, small_catalog, {"chat.yaml": _with_profile(f"  profile: [{', '.join(['0.5'] * 24)}]\n")})
    assert "'traffic.profile': the busiest hour has 0.5 of peak_rps" in p.message


def test_a_weekly_profile_key_typo_has_a_did_you_mean(tmp_path, small_catalog):
    text = _with_profile("  profile:\n    weekday: flat\n    weekends: flat\n")
    found = problems(tmp_path, small_catalog, {"chat.yaml": text})
    assert any("unknown field 'traffic.profile.weekends'; did you mean 'weekend'?" in p.message for p in found)
