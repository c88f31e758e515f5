"""Property tests (hypothesis) of issue 20: every field of the results model, filled with arbitrary
Unicode, control characters, lone surrogates, very long strings and the markup of every format,
goes through every writer (Markdown, HTML, DOCX; PDF on a few examples): each renders, and the
markup stays inert.

"Inert" is checked against a twin render: the same results with every markup character of every
drawn string replaced by a letter (lengths, emptiness, spaces and keywords unchanged, so the view
takes the same branches and cuts the same). The hostile document must have exactly the twin's
structure: the same Markdown blocks, links, images and raw HTML (only ``<br>``), the same HTML
tags (layout aside) with no ``on*`` attribute, no link out and no image that is not an inlined chart, the same
DOCX headings, tables and hyperlinks (internal anchors only).

Charts are drawn by their own test (their text goes through the same sanitising step); here a
drawn chart stands in for each one, so an example costs a few seconds. Example counts are modest
for CI; ``REPORTGEN_FUZZ_EXAMPLES`` raises them for a deeper run by hand.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import zipfile
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from complete_results import complete_results
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reportgen.report import formats
from reportgen.report.charts import Chart, chart_plan
from reportgen.report.mdparse import make_parser
from reportgen.results import Results, dump_results, results_from_dict

EXAMPLES = int(os.environ.get("REPORTGEN_FUZZ_EXAMPLES", "8"))
PROPS = settings(max_examples=EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# markup of every format the document is written in, and what a terminal or SMI tool sends
MARKUP = [
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</style><b>", "&amp; &lt; &#x3C;", "<!-- c -->",
    "[link](http://evil.example/x)", "![img](http://evil.example/i.png)", "<http://evil.example>",
    "\n# heading\n", "\n---\n", "| a | b |\n|---|---|\n| c | d |", "> quote", "1. item", "- item", "* item",
    "```\ncode\n```", "~~~", "`tick`", "**b** _i_ ~~s~~", "\\", "\\|", "$x^$", "%PDF-", "]]>",
    "{{ v }}", "{% raw %}", "\x00\x07\x1b[31mred\x1b[0m\x0b\x0c\x7f\x85", "\ud800", "\udfff x", "\ufffe\uffff",
    "\u202eevil\u202c", "\r\n\r", "\t", "　全角　", "「INT4量化」", "FP16-ñ", "😀🇨🇳", "\u200b\u200d",
]
hostile = st.one_of(
    st.sampled_from(MARKUP),
    st.text(max_size=60),
    st.lists(st.sampled_from(MARKUP), min_size=2, max_size=5).map("".join),
    st.tuples(st.sampled_from("xy字<[|#`"), st.integers(2000, 30000)).map(lambda t: t[0] * t[1]),  # long, one line
)

# neither a letter, a digit, whitespace, a box-drawing character (the writers set those apart),
# nor "/" and ":", which are no markup but carry meaning the view reads (a model path's last part,
# "prefix:LEN")
_MARKUP_CHARS = re.compile("[^\\w\\s/:\u2500-\u259f\u2713\u2714\u2717\u2718]|_")


def defang(s: str) -> str:
    """``s`` with every character that could be markup replaced by ``x``: the same length and
    shape, no markup."""
    return _MARKUP_CHARS.sub("x", s)


def results_from(texts: list[str], transform: Callable[[str], str] = lambda s: s) -> Results:
    """The complete results with the drawn strings in every text field (cycled, each made unique
    by a counter), round-tripped through JSON as a file would be."""
    cycle, n = itertools.cycle(texts or [""]), itertools.count()
    res = complete_results(lambda: transform(next(cycle)) + f"·{next(n)}")
    return results_from_dict(json.loads(dump_results(res)), source="<property>")


_CHART: Chart | None = None


def _stand_in_charts(results: Results, findings: Any = None) -> dict[str, Chart]:
    """A real (small) chart under each name the document links: the writers embed what they get."""
    global _CHART
    if _CHART is None:
        from reportgen.report.charts import _render

        _CHART = _render("x", "x", lambda fig: fig.add_subplot().plot([1, 2], [1, 2]))  # type: ignore[attr-defined]
    return {name: Chart(name=name, title=title, svg=_CHART.svg, png=_CHART.png)
            for name, title in chart_plan(results, findings)}


def render(results: Results, out: Path, fmt: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    from reportgen.commands.render import WRITERS

    with mock.patch.object(formats, "all_charts", _stand_in_charts), formats.rendering():
        return WRITERS[fmt](results, str(out / "doc.json"), out)


# --------------------------------------------------------------------------- structure of each format


def _walk(tokens: list[Any]) -> Any:
    for t in tokens:
        yield t
        if t.children:
            yield from _walk(t.children)


def markdown_structure(md: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(block tokens, links/images/raw HTML) of the Markdown; raises on anything not ours."""
    tokens = make_parser().parse(md)
    blocks = [(t.type, t.tag) for t in tokens if t.type != "inline"]
    marks = []
    for t in _walk(tokens):
        if t.type == "link_open":
            href = str(t.attrGet("href"))
            assert href.startswith("#"), f"a link out of the document: {href!r}"
            marks.append("link")
        elif t.type == "image":
            src = str(t.attrGet("src"))
            assert re.fullmatch(r"charts/[a-z_]+-[0-9a-f]{8}\.png", src), f"an image that is no chart of ours: {src!r}"
            marks.append("image")
        elif t.type in ("html_inline", "html_block"):
            assert re.fullmatch(r"<br\s*/?>", t.content.strip(), re.I), f"raw HTML: {t.content[:80]!r}"
            marks.append("br")
    return blocks, marks


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            assert not name.lower().startswith("on"), f"an event handler in <{tag}>: {name}"
            if name == "href":
                assert (value or "").startswith("#"), f"a link out: {value!r}"
            if name == "src":
                assert (value or "").startswith("data:image/"), f"an image from elsewhere: {(value or '')[:80]!r}"
        assert tag not in ("script", "iframe", "object", "embed", "form", "input", "link", "meta") or (
            tag == "meta" and all(n in ("charset", "name", "content") for n, _ in attrs)), f"<{tag}> in the document"


# Layout, not content: spans around numbers, units and box-drawing runs, and the sections that
# give a table too wide for portrait its landscape page, follow the characters' widths, which the
# twin changes. Every other tag is compared.
_LAYOUT_TAGS = ("span", "section")


def html_tags(html: str) -> Counter[str]:
    """The HTML's tags, counted (layout tags aside); raises on a live handler, link or image."""
    p = _Tags()
    p.feed(html)
    p.close()
    for tag in _LAYOUT_TAGS:
        del p.tags[tag]
    return p.tags


def docx_structure(path: Path) -> tuple[tuple[int, int, int], str]:
    """((headings, tables, hyperlinks), all text) of the DOCX; external relationships are refused.
    Paragraphs are not counted: the writer's page layout (a landscape section for a wide table, a
    lead-in kept with its table) follows the text's widths, which the twin changes."""
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(str(path))  # python-docx reads it back
    with zipfile.ZipFile(path) as z:
        rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
    assert 'TargetMode="External"' not in rels, "a hyperlink out of the document"
    body = d.element.body
    text = "".join(t.text or "" for t in body.iter(qn("w:t")))
    headings = sum(1 for st in body.iter(qn("w:pStyle")) if str(st.get(qn("w:val"))).startswith("Heading"))
    return (headings, len(list(body.iter(qn("w:tbl")))), len(list(body.iter(qn("w:hyperlink"))))), text


# --------------------------------------------------------------------------- the properties


@PROPS
@given(texts=st.lists(hostile, min_size=1, max_size=6))
@example(texts=MARKUP)
def test_every_field_through_every_writer(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    out = tmp_path_factory.mktemp("doc")
    twin_out = tmp_path_factory.mktemp("twin")
    res, twin = results_from(texts), results_from(texts, defang)

    md = render(res, out, "md").read_text(encoding="utf-8")
    assert markdown_structure(md) == markdown_structure(render(twin, twin_out, "md").read_text(encoding="utf-8"))
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", md)
    # every long value was cut: no word of the Markdown is longer than a cut line, escaped
    assert max(len(w) for w in re.split(r"\s+|<br>", md)) < 4200

    html = render(res, out, "html").read_text(encoding="utf-8")
    assert html_tags(html) == html_tags(render(twin, twin_out, "html").read_text(encoding="utf-8"))

    shape, _ = docx_structure(render(res, out, "docx"))
    assert shape == docx_structure(render(twin, twin_out, "docx"))[0]


@settings(max_examples=max(2, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(hostile, min_size=1, max_size=4))
@example(texts=MARKUP)
def test_every_field_through_the_pdf(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    out = tmp_path_factory.mktemp("pdf")
    pdf = render(results_from(texts), out, "pdf")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "算力卡推理评测" in text or text.strip()  # it has pages with text on them


def test_markup_reads_as_text_in_every_format(tmp_path: Path) -> None:
    """The hostile strings are shown, as text: escaped in the Markdown, literal in the HTML's text,
    the DOCX and the PDF."""
    res = results_from(["<img src=x onerror=alert(1)> [x](http://e.example) # not a heading"])
    md = render(res, tmp_path, "md").read_text(encoding="utf-8")
    assert "\\<img src=x onerror=alert(1)\\> \\[x\\](http://e.example) \\# not a heading" in md or \
        "\\<img src=x onerror=alert(1)\\> \\[x\\](http://e.example) # not a heading" in md
    html = render(res, tmp_path, "html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt; [x](http://e.example) # not a heading" in html
    assert "<img src=x" not in html
    _, text = docx_structure(render(res, tmp_path, "docx"))
    assert "<img src=x onerror=alert(1)> [x](http://e.example) # not a heading" in text
    pdf = render(res, tmp_path, "pdf")
    pdf_text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "<img src=x onerror=alert(1)>" in pdf_text


# --------------------------------------------------------------------------- charts


@settings(max_examples=max(3, EXAMPLES // 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=hostile)
@example(label="「INT4量化」")
@example(label="L" * 300)
@example(label="$x^$ \x00\ud800\u202e")
def test_charts_draw_any_label(label: str) -> None:
    """Every chart (serving, accuracy, capacity) draws whatever a label holds; its file is named by
    a digest; its text is sanitised and cut."""
    from reportgen.report.charts import all_charts

    res = results_from([label])
    charts = all_charts(res)
    assert {c.name.split("-")[0] for c in charts.values()} >= {"serving_tps", "accuracy", "capacity"}
    for chart in charts.values():
        assert re.fullmatch(r"[a-z_]+-[0-9a-f]{8}", chart.name)
        assert chart.png.startswith(b"\x89PNG")
        svg = chart.svg.decode("utf-8")  # text as text: sanitised, valid XML
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", svg)
        import xml.dom.minidom

        xml.dom.minidom.parse(io.BytesIO(chart.svg))
