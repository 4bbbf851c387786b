"""Safe, positioned YAML loading: positions of keys and values, limits, hostile input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import advisor.yaml_source
from advisor.problems import InputError, Problem
from advisor.yaml_source import MAX_DEPTH, MAX_FILE_BYTES, load_documents, parse_documents, yaml_files_in


def only_problem(text: str, name: str = "f.yaml") -> Problem:
    with pytest.raises(InputError) as info:
        parse_documents(text, name)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def load_problem(path: Path) -> Problem:
    with pytest.raises(InputError) as info:
        load_documents(path)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


# --- positions -------------------------------------------------------------------------------

def test_positions_of_keys_and_values_are_one_based():
    (doc,) = parse_documents("kind: policy\nbudget:\n  monthly_usd: 5\nlist:\n  - a\n  - b\n", "f.yaml")
    assert doc.data == {"kind": "policy", "budget": {"monthly_usd": 5}, "list": ["a", "b"]}
    assert doc.keys[("kind",)] == (1, 1)
    assert doc.values[("kind",)] == (1, 7)
    assert doc.keys[("budget", "monthly_usd")] == (3, 3)
    assert doc.values[("budget", "monthly_usd")] == (3, 16)
    assert doc.values[("list", 1)] == (6, 5)


def test_where_falls_back_to_the_closest_known_parent():
    (doc,) = parse_documents("kind: policy\nbudget:\n  monthly_usd: 5\n", "f.yaml")
    assert doc.where(("budget", "per_team_monthly_usd", "x")) == (3, 3)  # the budget mapping
    assert doc.where(("nothing",)) == (1, 1)
    assert doc.where(("budget",), prefer_key=True) == (2, 1)
    assert str(doc.problem(("budget", "monthly_usd"), "bad")) == "f.yaml:3:16: bad"


def test_documents_in_one_stream_keep_file_wide_line_numbers():
    docs = parse_documents("kind: policy\n---\n# comment\nkind: training\nname: x\n", "f.yaml")
    assert [d.index for d in docs] == [0, 1]
    assert docs[1].values[("name",)] == (5, 7)


def test_empty_and_comment_only_text_hold_no_document():
    assert parse_documents("", "f.yaml") == []
    assert parse_documents("# nothing here\n", "f.yaml") == []
    (explicit,) = parse_documents("---\n...\n", "f.yaml")  # an explicit empty document is null
    assert explicit.data is None


def test_plain_values_are_typed_as_yaml_says():
    (doc,) = parse_documents("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\n", "f.yaml")
    assert doc.data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1"}


# --- syntax errors ---------------------------------------------------------------------------

def test_syntax_error_reports_line_and_column():
    problem = only_problem("name: a\nkind: [training\nx: 1\n")
    assert (problem.file, problem.line, problem.col) == ("f.yaml", 3, 2)
    assert problem.message.startswith("YAML syntax error:")
    assert "expected ',' or ']'" in problem.message


def test_tab_indentation_is_a_syntax_error_at_the_tab():
    problem = only_problem("kind: policy\nname:\tx\n")
    assert (problem.line, problem.col) == (2, 6)
    assert "YAML syntax error" in problem.message and "'\\t'" in problem.message


def test_duplicate_key_is_reported_at_the_second_key():
    problem = only_problem("kind: policy\nname: a\nbudget: {}\nname: b\n")
    assert (problem.line, problem.col) == (4, 1)
    assert problem.message == "duplicate key 'name'"


def test_duplicate_key_in_a_nested_mapping():
    problem = only_problem("budget:\n  monthly_usd: 1\n  monthly_usd: 2\n")
    assert (problem.line, problem.col) == (3, 3)
    assert "duplicate key 'monthly_usd'" in problem.message


def test_merge_keys_are_refused():
    problem = only_problem("base: &b {x: 1}\nkind: policy\n<<: *b\n")
    assert (problem.line, problem.col) == (3, 1)
    assert "merge keys (<<) are not supported" in problem.message


def test_mapping_as_a_key_is_refused():
    problem = only_problem("? {a: 1}\n: 2\n")
    assert (problem.line, problem.col) == (1, 3)
    assert "mapping keys must be plain names" in problem.message


# --- hostile input ---------------------------------------------------------------------------

def test_recursive_alias_is_refused():
    problem = only_problem("a: &x\n  b: *x\n")
    assert (problem.line, problem.col) == (1, 4)
    assert "recursive alias" in problem.message


def test_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    problem = only_problem("\n".join(lines) + "\n")  # 9**9 values if expanded
    assert "document too large" in problem.message and "alias bomb" in problem.message
    assert problem.line >= 1 and problem.file == "f.yaml"


def test_nesting_limit_is_exact():
    ok = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_documents(ok, "f.yaml")[0].data["a"] is not None
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    problem = only_problem(deep)
    assert (problem.line, problem.col) == (1, 4 + MAX_DEPTH)
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message


def test_nesting_too_deep_for_the_parser_is_a_problem_not_a_crash():
    problem = only_problem("a: " + "[" * 1000 + "]" * 1000)
    assert (problem.line, problem.col) == (1, 1)
    assert "nested too deeply" in problem.message


@pytest.mark.parametrize(("text", "line", "col", "tag"), [
    ("kind: policy\nname: !!python/object/apply:os.system [\"touch {marker}\"]\n", 2, 7,
     "!!python/object/apply:os.system"),
    ("!!python/object/apply:os.system [\"touch {marker}\"]\n", 1, 1, "!!python/object/apply:os.system"),
    ("kind: policy\nallowed_providers: !!python/object/apply:os.system [\"touch {marker}\"]\n", 2, 20,
     "!!python/object/apply:os.system"),
    ("!!python/object/new:os.system {{kind: policy}}\n", 1, 1, "!!python/object/new:os.system"),
    ("kind: policy\nname: !!python/name:os.system x\n", 2, 7, "!!python/name:os.system"),
    ("kind: policy\n!!python/name:os.system k: 1\n", 2, 1, "!!python/name:os.system"),
    ("kind: policy\nname: !custom x\n", 2, 7, "!custom"),
    ("kind: policy\nallowed_providers: !!set {{alpha}}\n", 2, 20, "!!set"),
    ("kind: policy\nname: !!binary aGVsbG8=\n", 2, 7, "!!binary"),
])
def test_tags_other_than_plain_yaml_are_refused_and_never_run(tmp_path, text, line, col, tag):
    marker = tmp_path / "pwned"
    problem = only_problem(text.format(marker=marker))
    assert (problem.line, problem.col) == (line, col)
    assert problem.message == (f"unsupported YAML tag '{tag}': "
                               "only plain values, lists and mappings are allowed")
    assert not marker.exists()


def test_explicit_standard_tags_are_fine():
    (doc,) = parse_documents("a: !!str 5\nb: !!int '7'\nc: !!map {x: 1}\nd: !!seq [1]\n", "f.yaml")
    assert doc.data == {"a": "5", "b": 7, "c": {"x": 1}, "d": [1]}


# --- files -----------------------------------------------------------------------------------

def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"kind: policy\n" + b"#" * MAX_FILE_BYTES)
    problem = load_problem(path)
    assert (problem.file, problem.line, problem.col) == (str(path), 1, 1)
    assert f"the limit is {MAX_FILE_BYTES:,}" in problem.message
    assert f"{MAX_FILE_BYTES + 13:,} bytes" in problem.message


def test_size_limit_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(advisor.yaml_source, "MAX_FILE_BYTES", 100)
    path = tmp_path / "ok.yaml"
    head = b"kind: policy\n"
    path.write_bytes(head + b"#" * (100 - len(head)))
    (doc,) = load_documents(path)
    assert doc.data == {"kind": "policy"}
    path.write_bytes(head + b"#" * (101 - len(head)))
    assert "file is 101 bytes; the limit is 100" in load_problem(path).message


def test_non_utf8_bytes_are_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: policy\nname: café\n".encode("latin-1"))
    problem = load_problem(path)
    assert (problem.file, problem.line, problem.col) == (str(path), 1, 1)
    assert "not UTF-8" in problem.message


def test_utf8_with_bom_and_crlf_line_ends_is_read(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfkind: policy\r\nname: x\r\n")
    (doc,) = load_documents(path)
    assert doc.data == {"kind": "policy", "name": "x"}
    assert doc.values[("name",)] == (2, 7)


def test_missing_file_is_a_problem(tmp_path):
    path = tmp_path / "nope.yaml"
    problem = load_problem(path)
    assert problem.file == str(path)
    assert "cannot read file" in problem.message


def test_display_name_is_used_in_problems(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_documents(path, display="shown.yaml")
    assert str(info.value.problems[0]).startswith("shown.yaml:2:1: YAML syntax error")


# --- values a scalar's type cannot hold ------------------------------------------------------

@pytest.mark.parametrize(("text", "col", "message"), [
    ("as_of: 2026-02-30\n", 8, "'2026-02-30' is not a valid date (day is out of range for month)"),
    ("as_of: 2026-13-01\n", 8, "'2026-13-01' is not a valid date (month must be in 1..12)"),
    ("as_of: 0000-01-01\n", 8, "'0000-01-01' is not a valid date (year 0 is out of range)"),
    ("at: 2026-01-01 25:61:00\n", 5, "'2026-01-01 25:61:00' is not a valid date and time (hour must be in 0..23)"),
    ("at: !!timestamp soon\n", 5, "'soon' is not a valid date"),
    ("n: !!float abc\n", 4, "'abc' is not a valid number"),
    ("n: !!float ''\n", 4, "'' is not a valid number"),
    ("n: !!int 0b\n", 4, "'0b' is not a valid whole number"),
    ("n: !!int ''\n", 4, "'' is not a valid whole number"),
    ("b: !!bool maybe\n", 4, "'maybe' is not a valid true/false value"),
    ("? !!timestamp 2026-02-30\n: 1\n", 3, "'2026-02-30' is not a valid date (day is out of range for month)"),
])
def test_impossible_scalars_are_problems_at_the_value(text, col, message):
    problem = only_problem("kind: policy\n" + text)
    assert (problem.line, problem.col, problem.message) == (2, col, message)


def test_integer_with_too_many_digits_is_a_problem():
    problem = only_problem("n: 1" + "0" * 5000 + "\n")
    assert (problem.line, problem.col) == (1, 4)
    assert "has too many digits to be a whole number (5,001 characters)" in problem.message


def test_control_character_is_reported_where_it_is():
    problem = only_problem("kind: policy\nname: a\x00b\n")
    assert (problem.line, problem.col) == (2, 8)
    assert problem.message.startswith("character #x0000 is not allowed in YAML")


# --- only regular files, read with a byte limit ----------------------------------------------

def test_device_files_are_refused_without_reading():
    problem = load_problem(Path("/dev/zero"))
    assert (problem.file, problem.line, problem.col) == ("/dev/zero", 1, 1)
    assert problem.message == "cannot read a character device: only regular files are read"


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # no writer: opening it for reading would block forever
    assert load_problem(fifo).message == "cannot read a FIFO (named pipe): only regular files are read"


def test_directory_is_refused(tmp_path):
    assert load_problem(tmp_path).message == "cannot read a directory: only regular files are read"


def test_read_stops_at_the_limit_whatever_the_size_claims(tmp_path, monkeypatch):
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"#" * 1000)
    real_fstat = os.fstat

    def shrunk(fd):  # a file that grows after its size was checked
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 10, *info[7:]))

    monkeypatch.setattr(advisor.yaml_source.os, "fstat", shrunk)
    monkeypatch.setattr(advisor.yaml_source, "MAX_FILE_BYTES", 100)
    assert load_problem(path).message == "file is more than 100 bytes; the limit is 100"


# --- directories -----------------------------------------------------------------------------

def test_yaml_files_in_follows_symlinked_directories_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text("kind: policy\n")
    (tmp_path / "b.yml").write_text("kind: policy\n")
    (tmp_path / "notes.txt").write_text("x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "c.yaml").write_text("kind: policy\n")
    (tmp_path / "linked").symlink_to(outside, target_is_directory=True)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    problems: list[Problem] = []
    found = yaml_files_in(tmp_path, problems)
    assert problems == []
    assert found == [tmp_path / "b.yml", tmp_path / "linked" / "c.yaml", tmp_path / "sub" / "a.yaml"]


def test_yaml_files_in_reports_a_directory_it_cannot_list(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.yaml").write_text("kind: policy\n")
    (tmp_path / "b.yaml").write_text("kind: policy\n")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(advisor.yaml_source.os, "scandir", scandir)
    problems: list[Problem] = []
    assert yaml_files_in(tmp_path, problems) == [tmp_path / "b.yaml"]
    assert problems == [Problem(str(locked), 1, 1, "cannot read directory: Permission denied")]
