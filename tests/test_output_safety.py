"""Never a wrong report: odd file names, control characters and spreadsheet formulas in inputs.

A file name with a byte that is not UTF-8, an escape sequence in a description or a formula in
a team name must neither crash a writer nor reach a terminal or a spreadsheet as something
other than text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS, SMALL_CATALOG, WORKLOADS

from advisor.render.formats import BOM_COLUMNS, csv_field, md_block
from advisor.terminal import terminal_safe
from advisor.text import display_path, visible

BAD_NAME = b"w\xff.yaml"
BAD_NAME_SHOWN = "w\\xff.yaml"  # the byte 0xff written out as four visible characters
ESC = "\x1b"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def plan_args(*paths: str | Path, fmt: str | None = None, output: Path | None = None) -> list[str]:
    args = ["plan", *map(str, paths), *CATALOG_ARGS, "-q"]
    if fmt:
        args += ["--format", fmt]
    if output:
        args += ["-o", str(output)]
    return args


def write_bytes_named(directory: Path, name: bytes, content: str) -> str:
    """Write `content` to a file whose name is the raw bytes `name`; return its path as Python sees it."""
    raw = os.fsencode(directory) + b"/" + name
    with open(raw, "wb") as handle:
        handle.write(content.encode("utf-8"))
    return os.fsdecode(raw)


@pytest.fixture
def bad_name_inputs(tmp_path: Path) -> Path:
    """The fixture workloads, the chat workload in a file named with byte 0xff."""
    d = tmp_path / "inputs"
    shutil.copytree(WORKLOADS, d)
    chat = (d / "chat.yaml").read_text(encoding="utf-8")
    (d / "chat.yaml").unlink()
    write_bytes_named(d, BAD_NAME, chat)
    return d


# --- 19: file names that are not UTF-8 ---------------------------------------------------------

def test_display_path_shows_a_bad_byte_as_an_escape():
    assert display_path(os.fsdecode(b"/in/" + BAD_NAME)) == "/in/" + BAD_NAME_SHOWN
    assert display_path(b"/in/" + BAD_NAME) == "/in/" + BAD_NAME_SHOWN
    assert display_path(Path("a\nb.yaml")) == "a\\x0ab.yaml"  # one problem stays one line
    assert display_path("caf\u00e9.yaml") == "caf\u00e9.yaml"  # valid UTF-8 stays as it is


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_every_format_is_written_for_an_input_file_named_with_a_bad_byte(run_cli, bad_name_inputs, tmp_path, fmt):
    out_file = tmp_path / f"plan.{fmt}"
    code, _, err = run_cli(*plan_args(bad_name_inputs, output=out_file))
    assert code == 0, err
    text = out_file.read_text(encoding="utf-8")  # strict: no lone surrogate was written
    if fmt == "json":
        assert str(bad_name_inputs / BAD_NAME_SHOWN) in json.loads(text)["input_files"]
    elif fmt == "md":
        assert BAD_NAME_SHOWN.replace("\\", "\\\\") in text  # Markdown escapes the backslash
    elif fmt == "html":
        assert BAD_NAME_SHOWN in text


def test_markdown_on_stdout_survives_a_bad_file_name(run_cli, bad_name_inputs):
    code, out, err = run_cli(*plan_args(bad_name_inputs))
    assert code == 0, err
    assert BAD_NAME_SHOWN.replace("\\", "\\\\") in out


def test_a_problem_in_a_file_named_with_a_bad_byte_names_it_as_the_report_does(run_cli, tmp_path):
    path = write_bytes_named(tmp_path, BAD_NAME, "name: w\nkind: training\nteam: [x]\n")
    code, out, err = run_cli("validate", path, *CATALOG_ARGS)
    assert code == 2 and out == ""
    problem = err.splitlines()[0]
    assert problem.startswith(f"{display_path(path)}:"), problem
    assert problem.startswith(str(tmp_path / BAD_NAME_SHOWN) + ":")
    assert re.match(r"^.+:\d+:\d+: ", problem)
    err.encode("utf-8")  # no lone surrogate reached stderr


def test_a_lone_surrogate_written_in_yaml_is_a_problem_not_a_crash(run_cli, workdir):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text(encoding="utf-8") + 'description: "bad \\ud800"\n', encoding="utf-8")
    code, _, err = run_cli("validate", workdir, *CATALOG_ARGS)
    assert code == 2
    assert "chat.yaml:8:14: 'description'" in err
    err.encode("utf-8")


# --- 23: CSV ------------------------------------------------------------------------------------

CR_PAYLOAD = "ok\r=1+1+cmd|' /C calc'!A0"


@pytest.fixture
def formula_inputs(workdir: Path) -> Path:
    """Team names and a description that try to start a formula after a line break or a separator."""
    def set_team(file: str, team: str) -> None:
        path = workdir / file
        line = f"team: {json.dumps(team)}"
        text = re.sub(r"^team: .*$", lambda _: line, path.read_text(encoding="utf-8"), flags=re.M)
        path.write_text(text, encoding="utf-8")

    set_team("chat.yaml", CR_PAYLOAD)
    set_team("tune.yaml", "a;=2+2")
    set_team("batch.yaml", "fine\n\n-3+3\r\n@SUM(A1)\n\t=4")
    cameras = workdir / "edge.yaml"
    cameras.write_text(cameras.read_text(encoding="utf-8")
                       + 'description: "=HYPERLINK(\\"http://x\\")\\n  +5\\n"\n', encoding="utf-8")
    return workdir


def _csv_text(run_cli, inputs: Path) -> str:
    code, out, err = run_cli(*plan_args(inputs, fmt="csv"))
    assert code == 0, err
    return out


def test_csv_quotes_a_field_that_holds_a_lone_carriage_return(run_cli, formula_inputs):
    out = _csv_text(run_cli, formula_inputs)
    rows = {r["workload"]: r for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert rows["chat"]["team"] == "ok\r'=1+1+cmd|' /C calc'!A0"
    assert '"ok\r\'=1+1' in out  # quoted: a CR-splitting reader stays inside the field


def test_no_physical_line_of_the_csv_starts_a_formula(run_cli, formula_inputs):
    """Read the CSV as naively as a spreadsheet might: a new row at every CR or LF, quotes or not."""
    out = _csv_text(run_cli, formula_inputs)
    for line in re.split(r"\r\n|\r|\n", out):
        assert not line.lstrip('" ').startswith(("=", "+", "-", "@", "\t")), line


def test_csv_with_semicolons_is_one_cell_per_field_for_a_semicolon_reader(run_cli, formula_inputs):
    out = _csv_text(run_cli, formula_inputs)
    for row in csv.reader(io.StringIO(out, newline=""), delimiter=";"):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    rows = {r["workload"]: r for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert rows["tune"]["team"] == "a;'=2+2"
    assert rows["nightly"]["team"] == "fine\n'\n'-3+3\r\n'@SUM(A1)\n'\t'=4"
    assert rows["cameras"]["description"] == "'=HYPERLINK(\"http://x\")\n'  +5\n"


def test_csv_numbers_stay_numbers_and_text_that_looks_like_one_is_neutralised():
    assert csv_field(-3.5) == "-3.5"
    assert csv_field(12) == "12"
    assert csv_field(None) == ""
    assert csv_field(True) == "True"
    assert csv_field("-3.5") == "'-3.5"
    assert csv_field("a\rb") == '"a\rb"'
    assert csv_field("a;b") == '"a;b"'
    assert csv_field("a; =b") == '"a;\' =b"'
    assert csv_field("x\n=1") == "\"x\n'=1\""


def test_csv_numeric_columns_are_unquoted_numbers(run_cli, formula_inputs):
    out = _csv_text(run_cli, formula_inputs)
    header = next(csv.reader(io.StringIO(out)))
    assert header == BOM_COLUMNS
    for row in csv.DictReader(io.StringIO(out.partition("\n\n")[0], newline="")):
        float(row["monthly_cost_usd"])
        assert not row["monthly_cost_usd"].startswith("'")


# --- 23: terminal output ------------------------------------------------------------------------

@pytest.mark.parametrize("hostile", [
    "\x1b[31mred\x1b[0m",  # CSI colour
    "\x1b]0;new title\x07",  # OSC window title
    "\x1b]52;c;cHduZWQ=\x1b\\",  # OSC 52 clipboard write
    "\x9b2J",  # C1 CSI: clear screen
    "\x1bPq#0\x1b\\",  # DCS
    "over\rwritten",  # a carriage return rewrites the line
    "bell\x07 del\x7f nul\x00",
])
def test_terminal_safe_leaves_no_control_character_but_tab_and_newline(hostile):
    shown = terminal_safe(f"a\t{hostile}\n")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown), repr(shown)
    assert shown.startswith("a\t") and shown.endswith("\n")


def test_terminal_safe_shows_what_it_disarms():
    assert terminal_safe("\x1b[31mred") == "\\x1b[31mred"
    assert terminal_safe("\x9b2J") == "\\x9b2J"
    assert terminal_safe(os.fsdecode(BAD_NAME)) == BAD_NAME_SHOWN
    assert terminal_safe("ümlaut, 中文, emoji \U0001f600") == "ümlaut, 中文, emoji \U0001f600"


@pytest.fixture
def escape_inputs(workdir: Path) -> Path:
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text(encoding="utf-8").replace("team: product", 'team: "t\\e[2J\\e]0;x\\a"')
                    + 'description: "line one\\e[31m red\\r\\nline two \\x9b1m"\n', encoding="utf-8")
    return workdir


def test_markdown_on_stdout_carries_no_escape_sequence(run_cli, escape_inputs):
    code, out, _ = run_cli(*plan_args(escape_inputs))
    assert code == 0
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert "line one\\\\x1b\\[31m red" in out  # shown, escaped for Markdown


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_report_files_carry_no_raw_escape(run_cli, escape_inputs, tmp_path, fmt):
    out_file = tmp_path / f"plan.{fmt}"
    assert run_cli(*plan_args(escape_inputs, output=out_file))[0] == 0
    text = out_file.read_text(encoding="utf-8")
    assert ESC not in text and "\x9b" not in text and "\x07" not in text
    assert "x1b" in text


def test_json_keeps_control_characters_verbatim(run_cli, escape_inputs):
    code, out, _ = run_cli(*plan_args(escape_inputs, fmt="json"))
    assert code == 0
    assert ESC not in out  # the JSON encoder writes \u001b
    plan = json.loads(out)
    assert {a["workload"]: a["team"] for a in plan["assignments"]}["chat"] == "t\x1b[2J\x1b]0;x\x07"
    described = {e["workload"]: e["description"] for e in plan["explanations"]}
    assert described["chat"] == "line one\x1b[31m red\r\nline two \x9b1m"


def test_problems_and_progress_on_stderr_carry_no_escape_sequence(run_cli, workdir):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text(encoding="utf-8").replace("jurisdictions: [us, eu]",
                                                             'jurisdictions: [us, "\\e]0;owned\\a"]'),
                    encoding="utf-8")
    code, _, err = run_cli("validate", workdir, *CATALOG_ARGS)
    assert code == 2
    assert ESC not in err and "\x07" not in err
    assert "\\x1b]0;owned\\x07" in err


def test_progress_messages_carry_no_escape_sequence(run_cli, tmp_path):
    out_file = tmp_path / "plan\x1b[2J.md"
    code, _, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-o", out_file)
    assert code == 0
    assert ESC not in err
    assert "plan\\x1b[2J.md" in err


def test_catalog_list_and_show_carry_no_escape_sequence(run_cli, tmp_path):
    layer = tmp_path / "layer"
    layer.mkdir()
    text = (SMALL_CATALOG / "catalog.yaml").read_text(encoding="utf-8")
    (layer / "catalog.yaml").write_text(text.replace("display_name: Alpha US", 'display_name: "Alpha \\e]0;x\\a US"'),
                                        encoding="utf-8")
    for argv in (["catalog", "list", "regions"], ["catalog", "show", "alpha:us-1"]):
        code, out, _ = run_cli(*argv, "--catalog", layer, "--no-shipped-catalog")
        assert code == 0
        assert ESC not in out and "\x07" not in out
        assert "Alpha " in out


# --- 24: model name and description in the reports ----------------------------------------------

def test_reports_show_each_workloads_model_and_description(run_cli, workdir, tmp_path):
    chat = workdir / "chat.yaml"
    chat.write_text(chat.read_text(encoding="utf-8") + "description: |\n  Support chat.\n  Answers in 2 s.\n",
                    encoding="utf-8")
    md, html = tmp_path / "plan.md", tmp_path / "plan.html"
    assert run_cli(*plan_args(workdir, output=md))[0] == 0
    assert run_cli(*plan_args(workdir, output=html))[0] == 0
    md_text, html_text = md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")
    assert "Model: chat-8b (8B, bf16)" in md_text
    assert "Support chat.\\\nAnswers in 2 s." in md_text
    assert "Model: <strong>chat-8b</strong>" in html_text
    assert '<p class="description">Support chat.\nAnswers in 2 s.\n</p>' in html_text


@pytest.mark.parametrize("line, shown", [
    ("- item", "\\- item"),
    ("+ item", "\\+ item"),
    ("1. item", "1\\. item"),
    ("12) item", "12\\) item"),
    ("===", "\\==="),
    ("---", "\\---"),
    ("~~~", "\\~~~"),
    ("# heading", "\\# heading"),
    ("> quote", "\\> quote"),
    ("    code", "code"),
    ("| a | b |", "\\| a \\| b \\|"),
    ("```", "\\`\\`\\`"),
    ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
])
def test_a_description_line_cannot_open_a_markdown_block(line, shown):
    assert md_block(f"text\n{line}") == f"text\\\n{shown}"


def test_visible_keeps_line_breaks_and_tabs_for_the_renderers():
    assert visible("a\tb\r\nc\x1b") == "a\tb\r\nc\\x1b"
