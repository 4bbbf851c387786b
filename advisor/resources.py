"""Where the shipped catalog and templates live, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_dir(package: str, checkout_name: str) -> Path:
    try:
        found = Path(str(resources.files(package)))
        if found.is_dir():
            return found
    except (ModuleNotFoundError, TypeError):
        pass
    return _CHECKOUT / checkout_name


def shipped_catalog_dir() -> Path:
    """The catalog shipped with advisor (package data in a wheel, `catalog/` in a checkout)."""
    return _package_dir("advisor.catalog_data", "catalog")


def templates_dir() -> Path:
    """The jinja2 report templates (package data in a wheel, `templates/` in a checkout)."""
    return _package_dir("advisor.templates_data", "templates")
