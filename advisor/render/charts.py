"""The HTML report's charts, as inline SVG: spend shares, budget use, and cost against latency.

Each chart is self-contained markup (no script, font, link or image), so a saved or printed report
shows it as it was, and a name from the user's YAML cannot run or fetch anything: every piece of
text is escaped. The numbers are written as text next to each mark, so a chart still reads in
greyscale and no figure is told by colour alone. Where there is nothing to draw there is no
chart, rather than an empty frame.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from advisor.plan import Alternative, Assignment, Plan, PolicyCheck, Share
from advisor.render.formats import ms, usd
from advisor.text import visible

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK, MUTED, GRID, TRACK = "#1d2330", "#5b6475", "#d8dde6", "#eef0f3"
BAR, OVER_DARK, OVER_LIGHT = "#5b7fb0", "#8a1c17", "#f2c4bf"  # mid, dark and light in greyscale too
WIDTH, PAD, CHAR_PX = 520, 8, 7.2  # CHAR_PX: a wide average glyph of the system fonts at 13 px
ROW_PX, BAR_PX = 40, 14
BUDGET_SCALE = 2.0  # budget bars stop at twice the limit; the text gives the figure beyond
_NOT_XML = re.compile("[\ufffe\uffff]")  # not XML characters, even escaped


@dataclass(frozen=True)
class Chart:
    """One chart: a stable `name` (an id for the page and tests), plain-text `title` and `summary`
    (the text alternative; the template escapes both), and `svg`, markup safe to embed as it is."""

    name: str
    title: str
    svg: str
    summary: str


def _x(text: object) -> str:
    """Text for XML: control characters shown as visible escapes (XML cannot hold them), markup escaped."""
    return html.escape(_NOT_XML.sub("\ufffd", visible(str(text), keep="")), quote=True)


def _cut(text: str, chars: int) -> str:
    """`text` shortened to `chars` characters with an ellipsis (cut before escaping: no broken entity)."""
    return text if len(text) <= chars else text[:max(1, chars - 1)] + "…"


def _n(value: float) -> str:
    """A coordinate to one decimal: the same plan gives the same bytes, and the markup stays small."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tag(name: str, attrs: dict[str, object], inner: str = "") -> str:
    """One element; attribute names use `_` for `-` (`class_` is `class`), values are escaped."""
    values = " ".join(f'{k.rstrip("_").replace("_", "-")}="{_x(_n(v) if isinstance(v, float) else v)}"'
                      for k, v in attrs.items())
    return f"<{name} {values}>{inner}</{name}>" if inner else f"<{name} {values}/>"


def _dom_id(name: str) -> str:
    """An id unique on the page and safe in any attribute, stable for the chart's name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return "chart-" + (slug if slug == name else f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}")


def _chart(name: str, title: str, summary: str, height: float, body: list[str], defs: str = "") -> Chart:
    dom = _dom_id(name)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" width="100%" '
            f'style="max-width:{WIDTH * 5 // 4}px;height:auto" role="img" aria-labelledby="{dom}-title" '
            f'aria-describedby="{dom}-desc" font-family="{_x(FONT)}" font-size="13" fill="{INK}">')
    text = f'<title id="{dom}-title">{_x(title)}</title><desc id="{dom}-desc">{_x(summary)}</desc>'
    return Chart(name, title, head + text + (f"<defs>{defs}</defs>" if defs else "") + "".join(body) + "</svg>",
                 summary)


# --- bar charts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Bar:
    label: str  # plain text, shown cut short; in full in the bar's tooltip
    length: float  # in the chart's scale
    figures: str  # plain text: the numbers the bar stands for
    over: bool = False


def _bar_chart(name: str, title: str, summary: str, bars: list[_Bar], scale: float, limit: bool = False) -> Chart:
    """Horizontal bars, each under a line with its label (left) and figures (right). `limit`: a
    marked line at 1 (a budget's limit), a track behind each bar, and over-limit bars hatched."""
    track = WIDTH - 2 * PAD
    top = 18.0 if limit else 0.0
    over_fill, at = f"url(#{_dom_id(name)}-over)", PAD + track / scale  # at: the limit's x
    body = [_tag("text", {"x": at, "y": 11, "text_anchor": "end" if scale == 1 else "middle", "font_size": 11},
                 "limit")] if limit else []
    for k, bar in enumerate(bars):
        y = top + k * ROW_PX
        room = int((track - 12) / CHAR_PX) - len(bar.figures)
        parts = [_tag("text", {"x": PAD, "y": y + 15}, _x(_cut(bar.label, max(12, room)))),
                 _tag("text", {"x": WIDTH - PAD, "y": y + 15, "text_anchor": "end"}, _x(bar.figures))]
        if limit:
            parts.append(_tag("rect", {"x": PAD, "y": y + 20, "width": track, "height": BAR_PX, "fill": TRACK}))
        parts.append(_tag("rect", {"class_": "bar over" if bar.over else "bar", "x": PAD, "y": y + 20,
                                   "width": track * max(0.0, min(bar.length, scale)) / scale, "height": BAR_PX,
                                   "fill": over_fill if bar.over else BAR, "stroke": INK if bar.over else BAR,
                                   "stroke_width": 0.5},
                          f"<title>{_x(bar.label)}: {_x(bar.figures)}</title>"))
        if limit:  # the limit's mark, across the bar only: the figures above stay clear
            parts.append(_tag("line", {"class_": "limit", "x1": at, "y1": y + 17, "x2": at, "y2": y + 23 + BAR_PX,
                                       "stroke": INK, "stroke_width": 2}))
        body.append(_tag("g", {"class_": "row"}, "".join(parts)))
    defs = ""
    if limit:
        defs = _tag("pattern", {"id": f"{_dom_id(name)}-over", "width": 6, "height": 6,
                                "patternUnits": "userSpaceOnUse", "patternTransform": "rotate(45)"},
                    _tag("rect", {"width": 6, "height": 6, "fill": OVER_LIGHT})
                    + _tag("rect", {"width": 3, "height": 6, "fill": OVER_DARK}))
    return _chart(name, title, summary, top + len(bars) * ROW_PX + 6, body, defs)


def _shares_chart(name: str, title: str, shares: list[Share]) -> Chart | None:
    """Spend shares as bars in the order given, lengths proportional to the amounts."""
    top = max((s.monthly_cost_usd for s in shares), default=0.0)
    if top <= 0:
        return None
    bars = [_Bar(s.name, s.monthly_cost_usd / top, f"{usd(s.monthly_cost_usd)} ({s.share_pct:.1f}%)") for s in shares]
    summary = f"{title}, a month: " + ", ".join(f"{b.label} {b.figures}" for b in bars) + "."
    return _bar_chart(name, title, summary, bars, 1.0)


def spend_by_team(plan: Plan) -> Chart | None:
    return _shares_chart("spend-by-team", "Spend by team", plan.summary.spend_by_team) if plan.summary else None


def spend_by_provider(plan: Plan) -> Chart | None:
    return _shares_chart("spend-by-provider", "Spend by provider", plan.spend_by_provider)


def spend_by_pricing(plan: Plan) -> Chart | None:
    shares = plan.summary.spend_by_pricing if plan.summary else []
    return _shares_chart("spend-by-pricing", "Spend by pricing model", shares)


_RULES = {"budget.monthly_usd": "Total monthly budget", "budget.max_commitment_usd": "Commitments over their terms"}
_TEAM_RULE = "budget.per_team_monthly_usd."


def _budget_bar(check: PolicyCheck) -> _Bar:
    label = _RULES.get(check.rule) or (f"Team {check.rule.removeprefix(_TEAM_RULE)}"
                                       if check.rule.startswith(_TEAM_RULE) else check.rule)
    figures = f"{usd(check.plan_usd)} of {usd(check.limit_usd)}"
    if check.limit_usd > 0:
        used = check.plan_usd / check.limit_usd
        figures += f" ({100 * used:.1f}%)"
    else:
        used = BUDGET_SCALE if check.plan_usd > 0 else 0.0
    if not check.passed:
        figures += f", over the limit by {usd(check.plan_usd - check.limit_usd)}"
    return _Bar(label, used, figures, over=not check.passed)


def budget_use(plan: Plan) -> Chart | None:
    """Each budget rule's figure as a share of its own limit, so rules of any size share one scale."""
    bars = [_budget_bar(c) for c in (plan.summary.checks if plan.summary else [])]
    if not bars:
        return None
    scale = max(1.0, min(BUDGET_SCALE, max(b.length for b in bars)))
    summary = "Budget use: " + "; ".join(
        f"{b.label} {b.figures}" + ("" if b.over else ", within the limit") for b in bars) + "."
    return _bar_chart("budget-use", "Budget use", summary, bars, scale, limit=True)


# --- cost against latency -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Point:
    label: str
    detail: str  # plain text for the tooltip and summary: what the point is, with its figures
    cost: float
    latency: float
    chosen: bool


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 x 10^n) from 0 past `top`, so the axis reads in plain numbers."""
    top = top if top > 0 else 1.0  # all zero ($0 a month): an axis to 1 rather than none
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    return [k * step for k in range(max(1, math.ceil(top / step - 1e-9)) + 1)]


def _tick_texts(ticks: list[float], money: bool = False) -> list[str]:
    """Tick numbers with separators and as many decimals as the step needs ('1,500', '2.5'), money
    in whole dollars or with cents ('$1,500', '$0.20')."""
    decimals = len(f"{ticks[1] - ticks[0]:.6f}".rstrip("0").split(".")[1])
    if money:
        return [f"${t:,.{2 if decimals else 0}f}" for t in ticks]
    return [f"{t:,.{decimals}f}" for t in ticks]


def _measure(rows: list[Assignment]) -> tuple[str, Callable[[Assignment], float | None], float | None] | None:
    """What the workload's latency is judged on: p95 latency when it has that objective, else time
    to first token (its objective, where set). None: no latency figure to draw."""
    first = rows[0]
    if first.latency_ms is not None and first.slo_p95_latency_ms is not None:
        return "p95", lambda a: a.latency_ms, first.slo_p95_latency_ms
    if any(a.ttft_ms is not None for a in rows):
        return "TTFT", lambda a: a.ttft_ms, first.slo_ttft_ms
    if any(a.latency_ms is not None for a in rows):
        return "p95", lambda a: a.latency_ms, None
    return None


def _points(rows: list[Assignment], alternatives: list[Alternative], kind: str,
            latency: Callable[[Assignment], float | None]) -> list[_Point]:
    """The chosen placements and the alternatives with a figure of the same measure (p95 latency,
    or time to first token for a language model judged on it)."""
    points = []
    for a in rows:
        value = latency(a)
        if value is not None:
            name = "chosen" if len(rows) == 1 else f"chosen {a.placement}"
            share = "" if len(rows) == 1 else f", {a.load_share_pct:g}% of the load"
            where = f"{a.instance} ({a.provider} {a.region}, {a.pricing})"
            points.append(_Point(f"{name}: {a.instance} ({a.region}, {a.pricing})",
                                 f"{name}: {where} {usd(a.monthly_cost_usd)} a month at {ms(value)}{share}",
                                 a.monthly_cost_usd, value, True))
    for alt in alternatives:
        value = alt.latency_ms if kind == "p95" else alt.ttft_ms
        if value is not None:
            where = f"{alt.instance} ({alt.provider} {alt.region}, {alt.pricing})"
            points.append(_Point(f"{alt.instance} ({alt.region}, {alt.pricing})",
                                 f"alternative: {where} {usd(alt.monthly_cost_usd)} a month at {ms(value)}",
                                 alt.monthly_cost_usd, value, False))
    return points


LABEL_CHARS, LABEL_CHAR_PX = 40, 6.2  # point labels: at most 40 characters, about 6.2 px each at 11 px
Box = tuple[float, float, float, float]  # left, top, right, bottom


def _label_at(x: float, y: float, chars: int, taken: list[Box], area: Box) -> tuple[float, float, bool]:
    """Where a point's label goes: beside the point, towards the plot's middle, moved up or down
    (or to the other side) until it overlaps no label or point already placed. Returns x, baseline
    and whether the text ends at x."""
    width = chars * LABEL_CHAR_PX
    sides = [True, False] if x > (area[0] + area[2]) / 2 else [False, True]
    tried = [(dy, end) for dy in (-7.0, 16.0, -20.0, 29.0, -33.0, 42.0) for end in sides]
    for dy, end in tried:
        left = x - 9 - width if end else x + 9
        box = (left, y + dy - 10, left + width, y + dy + 3)
        inside = area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1] and box[3] <= area[3]
        if inside and not any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3] for b in taken):
            taken.append(box)
            return (x - 9 if end else x + 9), y + dy, end
    return (x - 9 if sides[0] else x + 9), y - 7, sides[0]  # crowded: its first place, overlapping


def _point(p: _Point, x: float, y: float, label: tuple[float, float, bool]) -> str:
    """A chosen point (filled square, bold label) or an alternative (hollow circle); its figures as tooltip."""
    tip = f"<title>{_x(p.detail)}</title>"
    if p.chosen:
        mark = _tag("rect", {"x": x - 5, "y": y - 5, "width": 10, "height": 10, "fill": INK}, tip)
        style: dict[str, object] = {"font_weight": 600}
    else:
        mark = _tag("circle", {"cx": x, "cy": y, "r": 5, "fill": "#fff", "stroke": BAR, "stroke_width": 2}, tip)
        style = {"fill": MUTED}
    text = _tag("text", {"x": label[0], "y": label[1], "text_anchor": "end" if label[2] else "start",
                         "font_size": 11, **style}, _x(_cut(p.label, LABEL_CHARS)))
    if abs(label[1] - (y - 7)) > 0.5:  # moved off a crowded spot: a leader line says whose label it is
        text += _tag("line", {"x1": x, "y1": y, "x2": label[0], "y2": label[1] - 4, "stroke": MUTED,
                              "stroke_width": 0.75})
    return _tag("g", {"class_": "point chosen" if p.chosen else "point", "data_usd": f"{p.cost:.10g}",
                      "data_ms": f"{p.latency:.10g}"}, text + mark)


def cost_latency(plan: Plan, workload: str) -> Chart | None:
    """A real-time workload's placements and alternatives by monthly cost and latency, against its
    objective: whether a cheaper option was too slow, or a faster one too dear."""
    rows = sorted((a for a in plan.assignments if a.workload == workload and a.kind == "realtime-inference"),
                  key=lambda a: a.placement)
    measure = _measure(rows) if rows else None
    if measure is None:
        return None
    kind, latency, slo = measure
    explanation = next((e for e in plan.explanations if e.workload == workload), None)
    points = _points(rows, explanation.alternatives if explanation else [], kind, latency)
    if not points:
        return None
    axis = "p95 latency" if kind == "p95" else "time to first token"
    name, title = f"cost-latency:{workload}", f"Cost and {axis}: {workload}"
    left, right, top, bottom, height = 78.0, WIDTH - 28.0, 30.0, 250.0, 290.0
    xs = _ticks(max([p.latency for p in points] + [slo or 0.0]) * 1.05)
    ys = _ticks(max(p.cost for p in points) * 1.05)

    def at_x(v: float) -> float:
        return left + (right - left) * v / xs[-1]

    def at_y(v: float) -> float:
        return bottom - (bottom - top) * v / ys[-1]

    body = []
    for t, text in zip(xs, _tick_texts(xs), strict=True):
        body.append(_tag("g", {"class_": "tick x"},
                         _tag("line", {"x1": at_x(t), "y1": top, "x2": at_x(t), "y2": bottom, "stroke": GRID})
                         + _tag("text", {"x": at_x(t), "y": bottom + 16, "text_anchor": "middle", "font_size": 11},
                                f"{text} ms")))
    for t, text in zip(ys, _tick_texts(ys, money=True), strict=True):
        body.append(_tag("g", {"class_": "tick y"},
                         _tag("line", {"x1": left, "y1": at_y(t), "x2": right, "y2": at_y(t), "stroke": GRID})
                         + _tag("text", {"x": left - 6, "y": at_y(t) + 4, "text_anchor": "end", "font_size": 11},
                                text)))
    body.append(_tag("text", {"x": (left + right) / 2, "y": height - 4, "text_anchor": "middle", "fill": MUTED},
                     f"{axis} (ms)"))
    body.append(_tag("text", {"x": PAD, "y": 14, "fill": MUTED}, "monthly cost"))
    legend = (_tag("rect", {"x": right - 250, "y": 5, "width": 9, "height": 9, "fill": INK})
              + _tag("text", {"x": right - 237, "y": 14}, "chosen")
              + _tag("circle", {"cx": right - 180, "cy": 10, "r": 4.5, "fill": "#fff", "stroke": BAR,
                                "stroke_width": 2})
              + _tag("text", {"x": right - 172, "y": 14}, "alternative"))
    if slo is not None:
        body.append(_tag("line", {"class_": "slo", "x1": at_x(slo), "y1": top, "x2": at_x(slo), "y2": bottom,
                                  "stroke": OVER_DARK, "stroke_width": 2, "stroke_dasharray": "6 4"},
                         f"<title>{kind} objective {_x(ms(slo))}</title>"))
        legend += (_tag("line", {"x1": right - 92, "y1": 10, "x2": right - 76, "y2": 10, "stroke": OVER_DARK,
                                 "stroke_width": 2, "stroke_dasharray": "4 2"})
                   + _tag("text", {"x": right - 72, "y": 14}, f"SLO {_x(ms(slo))}"))
    body.append(_tag("g", {"class_": "legend", "font_size": 11}, legend))
    at = [(at_x(p.latency), at_y(p.cost)) for p in points]
    taken: list[Box] = [(x - 6, y - 6, x + 6, y + 6) for x, y in at]
    labels = [_label_at(x, y, min(len(p.label), LABEL_CHARS), taken, (PAD, top - 4, WIDTH - PAD, bottom))
              for p, (x, y) in zip(points, at, strict=True)]  # the chosen first: theirs go nearest
    body += [_point(p, x, y, label) for p, (x, y), label in reversed(list(zip(points, at, labels, strict=True)))]
    summary = (f"{title}: " + "; ".join(p.detail for p in points)
               + (f"; the {kind} objective is {ms(slo)}" if slo is not None else "") + ".")
    return _chart(name, title, summary, height, body)


def charts_of(plan: Plan) -> list[Chart]:
    """Every chart the plan has data for, in the report's order."""
    found = [spend_by_team(plan), spend_by_provider(plan), spend_by_pricing(plan), budget_use(plan)]
    found += [cost_latency(plan, w) for w in dict.fromkeys(a.workload for a in plan.assignments)]
    return [c for c in found if c is not None]
