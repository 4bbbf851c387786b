"""Plan -> text in md, html (jinja2 templates), json (the output contract) or csv (bill of materials)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from advisor import __version__
from advisor.plan import SCHEMA_VERSION, Assignment, ConstraintCost, Plan, RightSizing, WorkloadPlan, WorkloadRoute
from advisor.provenance import shown_time
from advisor.resources import templates_dir
from advisor.text import display_path, visible, without_surrogates

FORMATS = ("md", "html", "json", "csv")
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]<>|#])")
# An underscore between two letters or digits cannot open or close emphasis (CommonMark's
# flanking rules), so `on_demand` stays as typed; any other underscore is escaped.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# The start of a Markdown line that would open a block: a list, setext underline, fence or
# rule (escaped before the mark), or an ordered list (escaped before its `.` or `)`).
_MD_BLOCK_MARK = re.compile(r"^([-+=~])")
_MD_ORDERED_LIST = re.compile(r"^(\d+)([.)])")
# OWASP's formula starters, plus line feed: a spreadsheet may drop leading line breaks.
_CSV_FORMULA_START = "=+-@\t\r\n\0"
# Where a reader may start a new cell inside a field: the field's start, after a line break
# (a reader that splits rows at a lone CR), after a semicolon or a tab (a spreadsheet that
# splits on them sees no quote at the start of our comma-separated field). A formula starter
# there, possibly after spaces some spreadsheets trim, gets a leading quote.
_CSV_FORMULA_LINE = re.compile(r"(^|\r\n|\r(?!\n)|\n|;|\t)(?= *[" + re.escape(_CSV_FORMULA_START) + "])")
# Characters that make a CSV field quoted: separators (comma, and semicolon for spreadsheets
# that split on it), the quote, and both line-break characters (csv.writer leaves a lone CR bare).
_CSV_QUOTE_IF = re.compile(r'[,;"\r\n]')

BOM_COLUMNS = [
    "workload", "team", "kind", "provider", "region", "instance", "accelerator", "accelerator_count",
    "instances", "pricing", "hourly_usd", "monthly_cost_usd", "annual_cost_usd", "price_as_of",
    "price_is_estimate", "price_source", "model", "description",
    # schema 1.1: one row per placement; appended so that earlier columns keep their positions
    "placement", "load_share_pct", "serves",
    # schema 1.3: instance-hours a month under a traffic profile (hourly placements bill these)
    "instance_hours_per_month",
    # schema 1.4: bought hardware's purchase price (paid up front) and the months it is spread over
    "upfront_usd", "amortisation_months",
    # schema 1.5: a declared fleet's units and their operating costs; MIG slices (a row per idle part)
    "fleet", "operations_monthly_usd", "mig_profile",
    # schema 1.6: a bill of materials, one row per line item (advisor.render.bom), each recomputable
    "item", "unit_price_usd", "price_unit", "billed_hours", "commitment_term_months", "first_year_usd", "workloads",
]
IDLE_ROW = "(idle part of shared GPUs)"
"""The workload cell of a CSV row that carries the idle part of shared MIG GPUs (no workload's)."""


def _one_line(value: object) -> str:
    return re.sub(r"[\r\n]+", " ", str(value))


def md_escape(value: object) -> str:
    """Escape text for Markdown tables: no markup, links or raw HTML can come from input strings."""
    return _MD_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", _one_line(value)))


def md_block(value: object) -> str:
    """Multi-line text as a Markdown paragraph: its line breaks kept, but no line can start a list,
    heading, quote, fence, table, code block or rule."""
    lines = [md_escape(line.strip()) for line in str(value).splitlines()]
    lines = [_MD_ORDERED_LIST.sub(r"\1\\\2", _MD_BLOCK_MARK.sub(r"\\\1", line)) for line in lines if line]
    return "\\\n".join(lines)


def md_code(value: object) -> str:
    """Inline code that is safe inside a table row: pipes escaped, fence longer than any backtick run."""
    text = _one_line(value).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def signed_usd(value: float | None) -> str:
    """A cost difference: `+$1,234.50`, `-$5.39`."""
    if value is None:
        return "n/a"
    return f"+${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"


def pct(value: float | None) -> str:
    """A share in percent: whole numbers without decimals ('100%'), others with one ('33.3%')."""
    if value is None:
        return "-"
    return f"{value:.0f}%" if abs(value - round(value)) < 0.05 else f"{value:.1f}%"


def rate(value: float | None) -> str:
    """Requests a second, to three significant figures and never in exponent form: '8 req/s',
    '16.5 req/s', '1,230 req/s'."""
    return "-" if value is None else f"{sig3(value)} req/s"


def sig3(value: float | None) -> str:
    """A rate to three significant figures, with thousands separators and no exponent: '4,710', '35.5'."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        digits = math.floor(math.log10(abs(value))) - 2
        return f"{round(value, -digits):,.0f}"
    return f"{value:.3g}"


def ms(value: float | None) -> str:
    """Milliseconds as every table shows them: '6.8 ms', '155 ms', '14,502 ms'."""
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


@dataclass(frozen=True)
class SizeRow:
    """One row of "Where each request size goes": a size's share served (or processed) by one placement."""

    size: str
    users: str  # the user location (a batch job has none: "-")
    share_pct: float
    rate: float | None  # requests/s per instance for this size
    latency_ms: float | None
    ttft_ms: float | None
    a: Assignment


@dataclass(frozen=True)
class WorkloadView:
    """One workload as the reports show it: its placements, totals, regions and routing.

    Read from `plan.workloads` when the planner filled it, else derived from the assignments
    (a plan of schema 1.0 style, one placement per workload, has no `workloads` list).
    """

    workload: str
    kind: str
    team: str
    monthly_cost_usd: float
    placements: list[Assignment]
    regions: list[str]  # provider:region
    routing: list[WorkloadRoute]  # by location, in the order they first appear
    min_regions: int | None
    survive_region_loss: bool
    profile: WorkloadPlan | None = None  # set when the workload has a traffic profile
    right_sizing: list[RightSizing] = field(default_factory=list)
    first_year_usd: float | None = None
    carbon_kg_per_month: float | None = None

    @property
    def oversized(self) -> list[tuple[Assignment, RightSizing]]:
        """Placements busy only a small share of their capacity at peak, with what the report says of each."""
        by_number = {a.placement: a for a in self.placements}
        return [(by_number[r.placement], r) for r in self.right_sizing if r.placement in by_number]

    @property
    def spot(self) -> list[Assignment]:
        """Its placements on spot capacity (each with its on-demand fallback)."""
        return [a for a in self.placements if a.pricing == "spot"]

    @property
    def levels(self) -> str:
        """Instances running at each load level under the profile: '100% (304 h): 4; 60% (30 h): 3'."""
        rows = [a for a in self.placements if a.schedule]
        if not rows:
            return ""
        return "; ".join(f"{run.load_pct:g}% ({run.hours_per_month:.0f} h): "
                         f"{sum(a.schedule[k].instances for a in rows)}"
                         for k, run in enumerate(rows[0].schedule))

    @property
    def sizes(self) -> list[SizeRow]:
        """Under a request-size mix, where each size goes: by size as the placements list them,
        then user location, larger shares first."""
        found = [SizeRow(r.size, r.location, r.share_pct, r.throughput_per_instance, r.latency_ms, r.ttft_ms, a)
                 for a in self.placements for r in a.serves if r.size is not None]
        found += [SizeRow(s.size, "-", s.share_pct, s.throughput_per_instance, None, None, a)
                  for a in self.placements for s in a.sizes]
        order = {row.size: k for k, row in reversed(list(enumerate(found)))}
        return sorted(found, key=lambda row: (order[row.size], row.users, -row.share_pct))

    @property
    def several(self) -> bool:
        return len(self.placements) > 1

    @property
    def availability(self) -> str:
        """'at least 2 regions; survives the loss of a region', or '' when neither is asked."""
        parts = []
        if self.min_regions is not None:
            parts.append(f"at least {self.min_regions} region{'s' if self.min_regions != 1 else ''}")
        if self.survive_region_loss:
            parts.append("survives the loss of any one region")
        return "; ".join(parts)


def _routes_of(placements: list[Assignment]) -> list[WorkloadRoute]:
    return [WorkloadRoute(location=r.location, provider=a.provider, region=a.region, share_pct=r.share_pct,
                          latency_ms=r.latency_ms, ttft_ms=r.ttft_ms, size=r.size)
            for a in placements for r in a.serves]


def _by_location(routes: list[WorkloadRoute]) -> list[WorkloadRoute]:
    """Routes grouped by user location (locations in first-seen order), larger shares first."""
    first: dict[str, int] = {}
    for i, r in enumerate(routes):
        first.setdefault(r.location, i)
    return sorted(routes, key=lambda r: (first[r.location], -r.share_pct))


def workload_views(plan: Plan) -> list[WorkloadView]:
    """The plan's workloads in the order of their first assignment, each with its placements."""
    placements: dict[str, list[Assignment]] = {}
    for a in plan.assignments:
        placements.setdefault(a.workload, []).append(a)
    totals = {w.workload: w for w in plan.workloads}
    views = []
    for name, rows in placements.items():
        rows = sorted(rows, key=lambda a: a.placement)
        w = totals.get(name)
        regions = list(dict.fromkeys(f"{a.provider}:{a.region}" for a in rows))
        views.append(WorkloadView(
            workload=name, kind=rows[0].kind, team=rows[0].team,
            monthly_cost_usd=w.monthly_cost_usd if w else round(sum(a.monthly_cost_usd for a in rows), 2),
            placements=rows,
            regions=w.regions if w and w.regions else regions,
            routing=_by_location(w.routing if w and w.routing else _routes_of(rows)),
            min_regions=w.min_regions if w else None,
            survive_region_loss=w.survive_region_loss if w else False,
            profile=w if w is not None and w.mean_load_pct is not None else None,
            right_sizing=list(w.right_sizing) if w is not None else [],
            first_year_usd=w.first_year_usd if w is not None else None,
            carbon_kg_per_month=w.carbon_kg_per_month if w is not None else None,
        ))
    return views


def constraint_views(plan: Plan) -> tuple[list[ConstraintCost], list[ConstraintCost]]:
    """The constraint rows a review reads first (binding, not determined, or part of a setting that
    binds), and the rest, folded away: rules that do not change the plan."""
    binding_settings = {c.name for c in plan.constraints if c.binding is not False}
    shown = [c for c in plan.constraints if c.binding is not False or c.part_of in binding_settings]
    return shown, [c for c in plan.constraints if c not in shown]


def serves_text(a: Assignment) -> str:
    """The user locations a placement serves, with the share of each one's traffic: 'eu-central 100%; us-east 20%'
    (under a request-size mix, per size; a batch job's sizes: 'short 100%')."""
    routes = [f"{r.location}{f' {r.size}' if r.size else ''} {pct(r.share_pct)}" for r in a.serves]
    return "; ".join(routes + [f"{s.size} {pct(s.share_pct)}" for s in a.sizes])


def latency_text(a: Assignment) -> str:
    """Latency figures of a placement against its objectives, the objectives' own first:
    '812 ms (SLO 1,500 ms)', or 'TTFT 155 ms (SLO 1,500 ms); TPOT 57 ms (SLO 60 ms); end to end 14,502 ms'
    for a language model judged by time to first token and time per output token."""
    parts = [f"{label}{ms(value)} (SLO {ms(limit)})"
             for label, value, limit in (("", a.latency_ms, a.slo_p95_latency_ms), ("TTFT ", a.ttft_ms, a.slo_ttft_ms),
                                         ("TPOT ", a.tpot_ms, a.slo_tpot_ms))
             if value is not None and limit is not None]
    if a.latency_ms is not None and a.slo_p95_latency_ms is None:
        parts.append(f"end to end {ms(a.latency_ms)}" if parts else ms(a.latency_ms))
    return "; ".join(parts) or "-"


# An http(s) URL in source text: it runs to whitespace or a character that cannot stand in a
# URL unescaped (quotes, angle brackets, backtick); trailing punctuation is trimmed after.
_URL = re.compile(r"(?<![A-Za-z0-9])https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}*"


def linkify(value: object) -> Markup:
    """Text for HTML with its http(s) URLs as links: every part of it escaped (the URLs too,
    as link text and in the href), so nothing in it can open a tag or an attribute, and no
    other scheme (javascript:, data:) becomes a link. Punctuation that ends a sentence or
    closes a bracket is left out of a URL; a `)` stays when the URL opened its `(`."""
    text = str(value)
    parts: list[Markup] = []
    end = 0
    for m in _URL.finditer(text):
        url = m.group(0)
        while url and url[-1] in _URL_TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if "://" not in url or url.endswith("://"):
            continue
        parts.append(escape(text[end:m.start()]))
        parts.append(Markup('<a class="url" href="{0}" rel="noopener noreferrer">{0}</a>').format(url))
        end = m.start() + len(url)
    parts.append(escape(text[end:]))
    return Markup("").join(parts)


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
    env.filters["md_block"] = md_block
    env.filters["usd"] = usd
    env.filters["signed_usd"] = signed_usd
    env.filters["latency"] = latency_text
    env.filters["pct"] = pct
    env.filters["ms"] = ms
    env.filters["sig3"] = sig3
    env.filters["rate"] = rate
    env.filters["linkify"] = linkify
    return env


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """`value` (plain JSON data) with `change` applied to every string in it, mapping keys included."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    if isinstance(value, dict):
        return {_map_strings(k, change): _map_strings(v, change) for k, v in value.items()}
    return value


def shown(plan: Plan, fmt: str) -> Plan:
    """The plan as `fmt` shows it: file names as `display_path` writes them, and no string that
    cannot be written as UTF-8. JSON keeps every other string verbatim (its encoder escapes
    control characters); the text formats show control characters as visible escapes, so no
    escape sequence reaches a terminal that prints the file or a table that holds the value."""
    data = plan.model_dump(mode="json")
    data["input_files"] = [display_path(f) for f in data["input_files"]]
    for layer in data["catalog_layers"]:
        layer["path"] = display_path(layer["path"])
    return Plan.model_validate(_map_strings(data, without_surrogates if fmt == "json" else visible))


def render_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def csv_text_cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) wherever any reader may start a cell in it."""
    return _CSV_FORMULA_LINE.sub(lambda m: m.group(1) + "'", text)


def csv_field(value: object) -> str:
    """One CSV field: numbers stay numbers; text is neutralised, and quoted when it holds a
    separator, a quote or a line break, so no reader splits it into cells or rows."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = csv_text_cell(value)
    if _CSV_QUOTE_IF.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def render(plan: Plan, fmt: str) -> str:
    """The report text in `fmt` (one of FORMATS)."""
    plan = shown(plan, fmt)
    if fmt == "json":
        return render_json(plan)
    if fmt == "csv":
        from advisor.render.bom import render_csv  # the bill of materials reads this module's CSV rules
        return render_csv(plan)
    from advisor.render.charts import charts_of  # the charts read this module's number formats
    env = _environment(autoescape=fmt == "html")
    template = env.get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    first, folded = constraint_views(plan)
    return template.render(plan=plan, workloads=workload_views(plan), version=__version__, binding=first,
                           folded=folded, budgets=team_budgets(plan), considered=options_considered(plan),
                           charts=charts_of(plan) if fmt == "html" else [],
                           generated=shown_time(plan.provenance.generated_at if plan.provenance else None))


def team_budgets(plan: Plan) -> dict[str, float]:
    """Each team's monthly budget, as the summary's policy checks state it."""
    prefix = "budget.per_team_monthly_usd."
    checks = plan.summary.checks if plan.summary else []
    return {c.rule[len(prefix):]: c.limit_usd for c in checks if c.rule.startswith(prefix)}


def options_considered(plan: Plan) -> int | None:
    """Options considered over every workload (feasible and ruled out), as the sections count them;
    None when the plan has no explanations to count from."""
    return sum(e.options_considered for e in plan.explanations) if plan.explanations else None


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the output contract (`advisor plan --format json`)."""
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"advisor plan (output schema {SCHEMA_VERSION})"
    return schema
