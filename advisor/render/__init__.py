"""Renderers: each turns a Plan into one output format; none of them computes anything."""

from advisor.render.formats import FORMATS, plan_schema, render

__all__ = ["FORMATS", "plan_schema", "render"]
