"""The HTML report as a reader sees it: the shipped examples' report in headless Chromium.

The browser part opens the report that `advisor plan workloads/ -o plan.html` writes, at a desktop
width (1400 px) and a phone width (420 px), saves a screenshot of each under pytest's tmp_path and
checks: no console errors, no network requests (the report is one self-contained file), no
sideways scroll of the page at phone width, every chart drawn, and in print (an A4 page's width)
no table wider than the page and the folded content shown. It needs Debian's chromium package
(.ci/run installs it) and the Python package playwright, which drives that browser (no browser of
its own is downloaded); without them it skips, except in CI (CI=true), where it fails.

`linkify`, the filter that makes the URLs in source text links, is tested without a browser.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NoReturn

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

import advisor.cli
from advisor.plan import Plan
from advisor.render import render
from advisor.render.formats import _environment, linkify

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
DESKTOP, PHONE = 1400, 420
PRINT_WIDTH = 680  # an A4 page less the report's 15 mm margins, in CSS px (180 mm at 96 px an inch)
REL = "noopener noreferrer"


# --- linkify: no browser needed ------------------------------------------------------------------------------


class _Parsed(HTMLParser):
    """The tags, attributes and text that a browser would see in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append(("!--", {}))

    def handle_decl(self, decl: str) -> None:
        self.tags.append(("!", {}))

    def unknown_decl(self, data: str) -> None:
        self.tags.append(("!", {}))

    def handle_pi(self, data: str) -> None:
        self.tags.append(("?", {}))


def parsed(html: str) -> _Parsed:
    p = _Parsed()
    p.feed(html)
    p.close()
    return p


def links(html: str) -> list[str]:
    return [str(attrs.get("href")) for tag, attrs in parsed(html).tags if tag == "a"]


class TestLinkify:
    def test_a_url_becomes_a_link_and_the_rest_stays_text(self) -> None:
        out = linkify("AWS Price List, https://aws.amazon.com/ec2/pricing/on-demand/ ; spot: <none>")
        assert isinstance(out, Markup)
        assert out == Markup('AWS Price List, <a class="url" href="https://aws.amazon.com/ec2/pricing/on-demand/" '
                             f'rel="{REL}">https://aws.amazon.com/ec2/pricing/on-demand/</a> ; spot: &lt;none&gt;')

    def test_several_urls_and_http(self) -> None:
        out = linkify("pages https://a.example/x and http://b.example/y#z")
        assert links(out) == ["https://a.example/x", "http://b.example/y#z"]

    @pytest.mark.parametrize(("text", "url", "after"), [
        ("see https://a.example/x.", "https://a.example/x", "."),
        ("(https://a.example/x), next", "https://a.example/x", "), next"),
        ("https://a.example/x;", "https://a.example/x", ";"),
        ("https://a.example/x?!", "https://a.example/x", "?!"),
        ("https://a.example/x:", "https://a.example/x", ":"),
        ("https://en.wikipedia.org/wiki/Roofline_(model).", "https://en.wikipedia.org/wiki/Roofline_(model)", "."),
        ("(https://en.wikipedia.org/wiki/A_(b))", "https://en.wikipedia.org/wiki/A_(b)", ")"),
    ])
    def test_trailing_punctuation_stays_outside(self, text: str, url: str, after: str) -> None:
        p = parsed(linkify(text))
        assert [a["href"] for tag, a in p.tags if tag == "a"] == [url]
        assert "".join(p.text).endswith(url + after)

    def test_an_ampersand_in_a_url_is_escaped_in_the_href(self) -> None:
        out = linkify("https://a.example/?a=1&b=2")
        assert 'href="https://a.example/?a=1&amp;b=2"' in out
        assert links(out) == ["https://a.example/?a=1&b=2"]

    @pytest.mark.parametrize("text", [
        'https://a.example/"><script>alert(1)</script>',
        '"><script>alert(1)</script>https://a.example/',
        "https://a.example/'onmouseover='alert(1)",
        'https://a.example/"onmouseover="alert(1)"',
        "https://a.example/`onmouseover=alert(1)`",
        "https://a.example/<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">https://a.example/</a>',
        "javascript:alert(1)",
        "JavaScript:alert('https://a.example/')",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1) https://",
        "&lt;script&gt; https://a.example/&quot;&gt;",
        "<!-- https://a.example/ --> <![CDATA[x]]> <?php ?>",
    ])
    def test_hostile_text_stays_inert(self, text: str) -> None:
        out = linkify(text)
        p = parsed(out)
        for tag, attrs in p.tags:  # only our links: no other tag, attribute or scheme
            assert tag == "a", out
            assert set(attrs) == {"class", "href", "rel"}, out
            assert re.fullmatch(r"https?://[^\s\"'<>`]+", str(attrs["href"])), out
            assert attrs["rel"] == REL
        assert "".join(p.text) == text  # everything else reads back as the text it was
        assert "<script" not in out

    def test_no_url_no_link(self) -> None:
        for text in ("https://", "https://.", "ftp://a.example/", "xhttps://a.example/", "a.example/https"):
            assert "<a" not in linkify(text), text

    def test_the_template_filter_is_not_escaped_twice(self) -> None:
        env = _environment(autoescape=True)
        out = env.from_string("<li>{{ s | linkify }}</li>").render(s='price <b> https://a.example/?a&b "q"')
        assert out == ('<li>price &lt;b&gt; <a class="url" href="https://a.example/?a&amp;b" '
                       f'rel="{REL}">https://a.example/?a&amp;b</a> &#34;q&#34;</li>')

    @given(st.lists(st.sampled_from([
        "https://", "http://", "HTTPS://", "javascript:", "data:", "a.example", "/", "x", " ", "\n", ".", ",", ";",
        ":", "(", ")", "<", ">", '"', "'", "`", "&", "&amp;", "&#34;", "<script>", "=", "?", "#", "é",
    ]), max_size=30).map("".join))
    def test_any_text_reads_back_and_links_only_http(self, text: str) -> None:
        p = parsed(linkify(text))
        assert "".join(p.text) == text
        for tag, attrs in p.tags:
            assert tag == "a" and set(attrs) == {"class", "href", "rel"}
            assert re.match(r"(?i)https?://.", str(attrs["href"]))


# --- the report in Chromium ----------------------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    """Skip where the browser is missing; in CI, where .ci/run installs it, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package, driven by playwright (checked before the plan is made)."""
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report(browser: Any, request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The HTML report of the shipped examples, rendered as `advisor plan workloads/ -o plan.html` renders it,
    and the same plan's JSON. The plan is conftest's `shipped_json`, made once a session, where it has one."""
    out = tmp_path_factory.mktemp("report")
    try:
        text = request.getfixturevalue("shipped_json")
    except pytest.FixtureLookupError:
        code = advisor.cli.main(["plan", str(ROOT / "workloads"), "-q", "-o", str(out / "plan.json")])
        assert code == 0
        text = (out / "plan.json").read_text(encoding="utf-8")
    (out / "plan.html").write_text(render(Plan.model_validate_json(text), "html"), encoding="utf-8")
    return out / "plan.html", json.loads(text)


class Visit:
    """One page load of the report at a width: what the page logged and asked for while it loaded."""

    def __init__(self, browser: Any, path: Path, width: int, media: str = "screen") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())  # recorded, never sent
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.emulate_media(media=media)
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def __enter__(self) -> Visit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.close()


def expected_charts(plan: dict[str, Any]) -> list[str]:
    """The charts the report draws for this plan (figure.chart[data-chart=NAME], each with an inline svg)."""
    summary = plan.get("summary") or {}
    names = []
    if summary.get("spend_by_team"):
        names.append("spend-by-team")
    if plan.get("spend_by_provider"):
        names.append("spend-by-provider")
    if summary.get("spend_by_pricing"):
        names.append("spend-by-pricing")
    if summary.get("checks"):
        names.append("budget-use")
    realtime = [a["workload"] for a in plan["assignments"]
                if a["kind"] == "realtime-inference" and a.get("latency_ms") is not None]
    names += [f"cost-latency:{w}" for w in dict.fromkeys(realtime)]
    return names


SIZES = """(names) => names.map(name => {
  const svg = [...document.querySelectorAll('figure.chart')].find(f => f.dataset.chart === name)?.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : null;
  return [name, box ? [box.width, box.height] : null];
})"""

# For each closed <details>: is its content visible, and is the details taller than its summary?
FOLDED = """[...document.querySelectorAll('details:not([open])')].map(d => [
  [...d.children].filter(e => e.tagName !== 'SUMMARY').every(e => e.checkVisibility()),
  d.getBoundingClientRect().height > d.querySelector('summary').getBoundingClientRect().height + 10])"""


class TestReportInChromium:
    @pytest.mark.parametrize("width", [DESKTOP, PHONE])
    def test_loads_without_errors_or_network(self, browser: Any, report: tuple[Path, dict[str, Any]],
                                             tmp_path: Path, width: int) -> None:
        path, _ = report
        with Visit(browser, path, width) as v:
            v.page.screenshot(path=str(tmp_path / f"report-{width}px.png"), full_page=True)
            assert v.errors == []
            assert v.requests and v.requests[0] == v.url
            assert [u for u in v.requests if u != v.url and not u.startswith("data:")] == []

    def test_no_sideways_scroll_at_phone_width(self, browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
        with Visit(browser, report[0], PHONE) as v:
            scroll, inner = v.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            wider = v.page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
                if (e.getBoundingClientRect().right <= window.innerWidth + 0.5) return false;
                for (let p = e.parentElement; p; p = p.parentElement)
                  if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return false;
                return true; }).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 50))""")
            assert scroll <= inner, f"the page scrolls sideways at {PHONE} px ({scroll} px wide): {wider[:5]}"
            unwrapped = v.page.evaluate("[...document.querySelectorAll('table')].filter(t => !t.closest('figure')"
                                        " && !t.parentElement.matches('div.table-wrap')).length")
            assert unwrapped == 0, "every table sits in its own scroll box, div.table-wrap"

    def test_every_chart_is_drawn(self, browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
        path, plan = report
        names = expected_charts(plan)
        assert {"spend-by-team", "spend-by-provider", "spend-by-pricing", "budget-use"} <= set(names)
        assert any(n.startswith("cost-latency:") for n in names)
        for width in (DESKTOP, PHONE):
            with Visit(browser, path, width) as v:
                sizes = dict(v.page.evaluate(SIZES, names))
            missing = [n for n, box in sizes.items() if box is None]
            assert missing == [], f"at {width} px, no figure.chart[data-chart] with an svg for: {missing}"
            empty = [n for n, (w, h) in sizes.items() if not (w > 0 and h > 0)]
            assert empty == [], f"at {width} px, charts drawn with no size: {empty}"

    def test_print_layout(self, browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
        """In print: no table wider than the page, folded content shown (only in print), links that
        say where they go."""
        with Visit(browser, report[0], DESKTOP) as v:
            folded_on_screen = v.page.evaluate(FOLDED)
        assert folded_on_screen and not any(seen for seen, _ in folded_on_screen), "folded on screen"
        with Visit(browser, report[0], PRINT_WIDTH, media="print") as v:
            page = v.page
            wide = page.evaluate("[...document.querySelectorAll('table')]"
                                 ".filter(t => t.getBoundingClientRect().right > window.innerWidth + 0.5)"
                                 ".map(t => t.textContent.slice(0, 50))")
            assert wide == []
            assert page.evaluate("document.documentElement.scrollWidth") <= PRINT_WIDTH
            shown = page.evaluate(FOLDED)
            assert shown and all(seen and taller for seen, taller in shown), "folded content is printed"
            boxes = page.evaluate("[...document.querySelectorAll('.table-wrap')]"
                                  ".map(d => getComputedStyle(d).overflowX)")
            assert set(boxes) == {"visible"}, "no scroll boxes on paper"
            urls = page.evaluate("[...document.querySelectorAll('a.url')]"
                                 ".map(a => [a.getAttribute('href'), a.rel, a.textContent])")
            assert any(h.startswith("https://") for h, _, _ in urls), "the price sources' URLs are links"
            assert all(rel == REL and h == text for h, rel, text in urls)
            assert page.pdf(format="A4")[:5] == b"%PDF-"
