"""Bounded fuzzing of the loaders: whatever the input, the only error is an InputError.

Documents are the test fixtures with values replaced by random scalars, keys dropped or renamed,
lines rewritten with raw YAML tokens, or plain random text. A ValueError, TypeError,
OverflowError (or any other exception) escaping a loader would be a traceback for the user; a
catalog that loads must hold only finite numbers.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.catalog import Catalog, load_catalog, skypilot
from advisor.problems import InputError
from advisor.workload.loader import load_inputs
from advisor.yaml_source import parse_documents

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKLOAD_TEXTS = {p.name: p.read_text() for p in sorted((FIXTURES / "workloads").glob("*.yaml"))}
CATALOG_TEXTS = {"catalog.yaml": (FIXTURES / "small-catalog" / "catalog.yaml").read_text()} | {
    f"{p.parent.name}-{p.name}": p.read_text() for p in sorted((FIXTURES / "layers").rglob("*.yaml"))}
VMS_LINES = (FIXTURES / "skypilot" / "vms.csv").read_text().splitlines()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

RAW_TOKENS = ["2026-02-30", "2026-13-01", "2026-01-01 25:61:00", "0000-01-01", "!!float x", "!!int 0b",
              "!!bool no2", "!!timestamp x", ".inf", "-.inf", ".nan", "1.0e+400", "1e400", "1" + "0" * 5000, "0x1F",
              "0o17", "1_0", "190:20:30", "~", "null", "yes", "[]", "{}", "[1, [2, [3]]]", "{a: 1}", "&a x", "*a",
              "!!python/name:os.x", "!x y", "'quoted'", '"\\u0000"', "|\n  block", "-", "?", ":", "- - -",
              "aws:us-east-1", "alpha:a1",
              "-1", "0", "1.0e+300", "99999999999999999999", "-0.0", "5 ms", "true", "\t", "\x85", "\ufeff"]
NAMES = ["us-east", "eu-central", "alpha", "beta", "gpu-a", "asic-x", "alpha:a1", "us-1", "h100-sxm", "aws"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.sampled_from(NAMES),
    st.dates(min_value=dt.date(1, 1, 1)),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists (the root included)."""
    found = [prefix]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.extend(paths_in(child, prefix + (key,)))
    return found


def mutate(data: Any, draw: Any) -> Any:
    """`data` with one value replaced, one key dropped or renamed, or a value duplicated into a list."""
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(paths_in(data)))
    if not path:
        return draw(VALUES)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    action = draw(st.sampled_from(["replace", "replace", "drop", "rename", "listify"]))
    if action == "drop" and isinstance(parent, dict):
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(last)
    elif action == "listify":
        parent[last] = [parent[last], parent[last]]
    else:
        parent[last] = draw(VALUES)
    return data


def mutated_text(text: str, draw: Any) -> str:
    """A YAML text mutated as data (then dumped), or with one line's value rewritten as a raw token."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    how = draw(st.sampled_from(["data", "data", "raw", "random"]))
    if how == "random":
        return draw(st.text(max_size=200))
    if how == "data":
        docs[0] = mutate(docs[0], draw)
        for _ in range(draw(st.integers(0, 2))):
            docs[0] = mutate(docs[0], draw)
        return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False)
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    head, sep, _ = lines[i].partition(": ")
    lines[i] = head + (sep or ": ") + draw(st.sampled_from(RAW_TOKENS) | st.text(max_size=10))
    return "\n".join(lines) + "\n"


def only_input_errors(load: Any, *args: Any) -> Any:
    """Call `load`; an InputError is fine (it carries problems), any other exception fails the test."""
    try:
        return load(*args)
    except InputError as exc:
        assert exc.problems, "an InputError must carry at least one problem"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.col >= 1 and problem.message
        return None


def numbers_in(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


@pytest.fixture(scope="module")
def small_catalog() -> Catalog:
    return load_catalog([FIXTURES / "small-catalog"], include_shipped=False)


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


@FUZZ
@given(data=st.data())
def test_parse_documents_raises_only_input_errors(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(list(WORKLOAD_TEXTS.values()) + list(CATALOG_TEXTS.values())))
    only_input_errors(parse_documents, mutated_text(text, data.draw), "fuzz.yaml")


@FUZZ
@given(data=st.data())
def test_workload_and_policy_loader_raises_only_input_errors(data: st.DataObject, small_catalog: Catalog,
                                                             tmp_path: Path) -> None:
    name = data.draw(st.sampled_from(sorted(WORKLOAD_TEXTS)))
    folder = tmp_path / "workloads"
    folder.mkdir(exist_ok=True)
    for other, text in WORKLOAD_TEXTS.items():
        (folder / other).write_text(mutated_text(text, data.draw) if other == name else text, encoding="utf-8")
    only_input_errors(load_inputs, [folder], small_catalog)


@FUZZ
@given(data=st.data())
def test_catalog_layer_loader_raises_only_input_errors_and_keeps_numbers_finite(data: st.DataObject,
                                                                                 tmp_path: Path) -> None:
    name = data.draw(st.sampled_from(sorted(CATALOG_TEXTS)))
    base, layer = tmp_path / "base", tmp_path / "layer"
    for folder in (base, layer):
        folder.mkdir(exist_ok=True)
    (base / "catalog.yaml").write_text(CATALOG_TEXTS["catalog.yaml"], encoding="utf-8")
    target = base / "catalog.yaml" if name == "catalog.yaml" else layer / "layer.yaml"
    if name != "catalog.yaml":
        (layer / "layer.yaml").write_text("", encoding="utf-8")
    target.write_text(mutated_text(CATALOG_TEXTS[name], data.draw), encoding="utf-8")
    catalog = only_input_errors(load_catalog, [base, layer], False)
    if catalog is not None:
        assert all(math.isfinite(n) for n in numbers_in(catalog.model_dump())), "a loaded catalog holds inf/nan"


CSV_CELLS = st.one_of(st.sampled_from(["inf", "-inf", "nan", "NaN", "1e300", "1e12", "-1", "0", "0.5", "8", "8.0",
                                       "", " ", "abc", "1_0", "H100", "h100", "L4", "us-east-1", "\x00", '"']),
                      st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=8))


@FUZZ
@given(data=st.data())
def test_skypilot_reader_raises_only_input_errors_and_writes_finite_numbers(data: st.DataObject,
                                                                            shipped: Catalog, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO("\n".join(VMS_LINES[1:]))))
    for _ in range(data.draw(st.integers(1, 6))):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.integers(0, len(row) - 1))] = data.draw(CSV_CELLS)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([VMS_LINES[0].split(","), *rows])
    text = buffer.getvalue() if data.draw(st.integers(0, 9)) else data.draw(st.text(max_size=300))
    path = tmp_path / "vms.csv"
    path.write_text(text, encoding="utf-8")
    records = only_input_errors(skypilot.read_rows, path)
    if records is None:
        return
    result = only_input_errors(skypilot.convert, path, records, "aws", shipped, dt.date(2026, 1, 15))
    if result is not None:
        dumped = [o.model_dump() for o in result.offerings] + [r.model_dump() for r in result.regions]
        assert all(math.isfinite(n) for n in numbers_in(dumped)), "an import would write inf/nan"
