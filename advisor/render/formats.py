"""Plan -> text in md, html (jinja2 templates), json (the output contract) or csv (bill of materials)."""

from __future__ import annotations

import csv
import io
import json
import re

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from advisor import __version__
from advisor.plan import Assignment, Plan
from advisor.resources import templates_dir

FORMATS = ("md", "html", "json", "csv")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")

BOM_COLUMNS = [
    "workload", "team", "kind", "provider", "region", "instance", "accelerator", "accelerator_count",
    "instances", "pricing", "hourly_usd", "monthly_cost_usd", "annual_cost_usd", "price_as_of",
    "price_is_estimate", "price_source",
]


def _one_line(value: object) -> str:
    return re.sub(r"[\r\n]+", " ", str(value))


def md_escape(value: object) -> str:
    """Escape text for Markdown tables: no markup, links or raw HTML can come from input strings."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(value))


def md_code(value: object) -> str:
    """Inline code that is safe inside a table row: pipes escaped, fence longer than any backtick run."""
    text = _one_line(value).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def latency_text(a: Assignment) -> str:
    """Latency figures of a placement against its objectives, e.g. '812 ms (SLO 1500); TTFT 210 ms (SLO 500)'."""
    parts = []
    for label, value, limit in (("", a.latency_ms, a.slo_p95_latency_ms), ("TTFT ", a.ttft_ms, a.slo_ttft_ms),
                                ("TPOT ", a.tpot_ms, a.slo_tpot_ms)):
        if value is None or (limit is None and label):
            continue
        text = f"{label}{value:.0f} ms" if value >= 10 else f"{label}{value:.1f} ms"
        parts.append(text + (f" (SLO {limit:g})" if limit is not None else ""))
    return "; ".join(parts) or "-"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["md_code"] = md_code
    env.filters["usd"] = usd
    env.filters["latency"] = latency_text
    return env


def render_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _csv_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value.startswith(_CSV_FORMULA):
        return "'" + value
    return value


def render_csv(plan: Plan) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BOM_COLUMNS)
    for a in plan.assignments:
        row = a.model_dump(mode="json")
        row["instance"] = a.instance
        writer.writerow([_csv_cell(row[c]) for c in BOM_COLUMNS])
    return buffer.getvalue()


def render(plan: Plan, fmt: str) -> str:
    """The report text in `fmt` (one of FORMATS)."""
    if fmt == "json":
        return render_json(plan)
    if fmt == "csv":
        return render_csv(plan)
    env = _environment(autoescape=fmt == "html")
    template = env.get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    return template.render(plan=plan, version=__version__)
