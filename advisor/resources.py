"""Where the shipped catalog and templates live, installed or in a checkout.

In a wheel they are the data packages `advisor/catalog_data` and `advisor/templates_data`
(mapped from the checkout's top-level `catalog/` and `templates/` in pyproject.toml); in a
checkout or an editable install they are those top-level directories themselves.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _data_dir(installed_name: str, checkout_name: str) -> Path:
    installed = _PACKAGE / installed_name
    return installed if installed.is_dir() else _CHECKOUT / checkout_name


def shipped_catalog_dir() -> Path:
    """The catalog shipped with advisor."""
    return _data_dir("catalog_data", "catalog")


def templates_dir() -> Path:
    """The jinja2 report templates."""
    return _data_dir("templates_data", "templates")
