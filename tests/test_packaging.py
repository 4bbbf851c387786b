"""The wheel lists its packages by hand (the catalog and templates are mapped in as data packages):
every Python package under advisor/ must be in that list, or the installed command fails to import."""

from __future__ import annotations

import pytest
from conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def test_every_python_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "advisor").rglob("__init__.py")}
    assert found - listed == set(), f"add these to [tool.setuptools] packages: {sorted(found - listed)}"
