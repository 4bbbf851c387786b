"""Shared fixtures: fixture paths, the CLI runner and the independent plan check.

Every plan that a test makes through `run_cli` is checked with `advisor.verify.verify` after
a round trip through its JSON form, so no test can pass on a plan that breaks a constraint.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest

import advisor.cli
from advisor.catalog import load_catalog
from advisor.plan import Plan
from advisor.render import render
from advisor.verify import verify
from advisor.workload.loader import load_inputs

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
WORKLOADS = FIXTURES / "workloads"
SMALL_CATALOG = FIXTURES / "small-catalog"
CATALOG_ARGS = ["--catalog", str(SMALL_CATALOG), "--no-shipped-catalog"]
WORKLOAD_NAMES = ["cameras", "chat", "nightly", "tune"]  # names in tests/fixtures/workloads

Result = tuple[int, str, str]


def verify_plan_json(plan_json: str, paths: Iterable[str | Path],
                     catalog_dirs: Sequence[str | Path] = (SMALL_CATALOG,),
                     include_shipped: bool = False) -> Plan:
    """Load a plan back from its JSON and assert that the independent checker finds nothing."""
    plan = Plan.model_validate_json(plan_json)
    catalog = load_catalog([Path(d) for d in catalog_dirs], include_shipped=include_shipped)
    inputs = load_inputs(list(paths), catalog)
    violations = verify(plan, inputs.workloads, inputs.policy, catalog)
    assert violations == [], f"plan breaks its constraints: {violations}"
    return plan


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `advisor.cli.main(argv)`; return (exit code, stdout, stderr).

    Usage errors from argparse (SystemExit) come back as their exit code. Each plan the
    command renders is verified against its inputs with `verify_plan_json`.
    """
    made: list[Plan] = []
    real_render = advisor.cli.render

    def recording_render(plan: Plan, fmt: str) -> str:
        made.append(plan)
        return real_render(plan, fmt)

    monkeypatch.setattr(advisor.cli, "render", recording_render)

    def run(*argv: str | Path) -> Result:
        args = [str(a) for a in argv]
        made.clear()
        capsys.readouterr()
        try:
            code = advisor.cli.main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        for plan in made:
            parsed = advisor.cli.build_parser().parse_args(args)
            verify_plan_json(render(plan, "json"), parsed.paths, parsed.catalog,
                             include_shipped=not parsed.no_shipped_catalog)
        return code, out, err

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/workloads that a test may change."""
    target = tmp_path / "workloads"
    shutil.copytree(WORKLOADS, target)
    return target


@pytest.fixture(scope="session")
def small_catalog():
    return load_catalog([SMALL_CATALOG], include_shipped=False)


@pytest.fixture(scope="session")
def baseline_json(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The JSON plan of the fixture workloads, made once per session through the CLI."""
    out = tmp_path_factory.mktemp("baseline") / "plan.json"
    code = advisor.cli.main(["plan", str(WORKLOADS), *CATALOG_ARGS, "-q", "-o", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    verify_plan_json(text, [WORKLOADS])
    return text


@pytest.fixture(scope="session")
def shipped_json(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The JSON plan of the shipped examples (workloads/ on the shipped catalog), made once per
    session through the CLI (about 25 s) and checked by the independent checker."""
    out = tmp_path_factory.mktemp("shipped") / "plan.json"
    code = advisor.cli.main(["plan", str(ROOT / "workloads"), "-q", "-o", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    verify_plan_json(text, [ROOT / "workloads"], catalog_dirs=(), include_shipped=True)
    return text


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the performance model's error on every published result that was checked."""
    import sys

    module = sys.modules.get("test_published_results") or sys.modules.get("tests.test_published_results")
    for line in (module.summary_lines() if module else []):
        terminalreporter.write_line(line)
