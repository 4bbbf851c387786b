"""Renderers: each turns a Plan into one output format; none of them computes anything."""

from advisor.render.formats import FORMATS, render

__all__ = ["FORMATS", "render"]
