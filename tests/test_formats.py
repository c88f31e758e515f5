"""HTML, PDF and DOCX from one Markdown source: read every output back and compare it
with the values the Markdown carries (tests/formats_sample.py)."""

from __future__ import annotations

import dataclasses
import http.server
import logging
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from _docx_text import cell_texts
from docx import Document
from docx.oxml.ns import qn
from formats_sample import (
    ACCURACY,
    HEADINGS,
    INVALID_ROW,
    NAMESPACE,
    SCRIPT,
    SUMMARY,
    sample_markdown,
    sample_results,
)

from reportgen.errors import RenderError
from reportgen.report.charts import accuracy_chart, chart_assets, serving_charts
from reportgen.report.docx import CODE_FONT, INVALID_FILL, markdown_to_docx
from reportgen.report.html import markdown_to_html
from reportgen.report.mdparse import INVALID_MARK
from reportgen.report.pdf import html_to_pdf

TITLE = "算力卡推理评测"
BAR = "██████████"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _pdftotext(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def assets() -> dict[str, bytes]:
    results = sample_results()
    # the hand-written sample Markdown links charts/<kind>.png (documents add a data digest)
    charts = {kind: dataclasses.replace(c, name=kind) for kind, c in serving_charts(results).items()}
    acc = accuracy_chart(results)
    assert acc is not None
    charts["accuracy"] = dataclasses.replace(acc, name="accuracy")
    return chart_assets(charts)


@pytest.fixture(scope="module")
def md() -> str:
    return sample_markdown()


@pytest.fixture(scope="module")
def html(md: str, assets: dict[str, bytes]) -> str:
    return markdown_to_html(md, title=TITLE, assets=assets)


@pytest.fixture(scope="module")
def pdf(html: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[logging.LogRecord]]:
    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        path = html_to_pdf(html, tmp_path_factory.mktemp("pdf") / "report.pdf")
    finally:
        logger.removeHandler(handler)
    return path, handler.records


@pytest.fixture(scope="module")
def docx_path(md: str, assets: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return markdown_to_docx(md, tmp_path_factory.mktemp("docx") / "report.docx", assets=assets, title=TITLE)


def _summary_table(doc):  # noqa: ANN001, ANN202
    (table,) = [t for t in doc.tables if t.rows[0].cells[0].text == "测试条件"]
    return table


# --------------------------------------------------------------------------- HTML


def test_html_is_one_self_contained_chinese_document(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    assert f"<title>{TITLE}</title>" in html
    assert '"Noto Sans CJK SC"' in html and "table-header-group" in html
    cover = html.split('<section class="cover">', 1)[1].split("</section>", 1)[0]
    assert f'<h1 id="h0">{TITLE}</h1>' in cover and "Iluvatar BI-V150" in cover and "1. 环境规格" not in cover
    for heading in HEADINGS[1:]:
        assert re.search(rf'<h[234] id="[^"]+">{re.escape(heading)}</h[234]>', html), heading
    # charts inlined, as SVG (the Markdown names the PNGs; HTML/PDF prefer the SVG twins)
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert 'src="charts/' not in html


def test_html_summary_table_marks_the_invalid_cell(html: str) -> None:
    assert "<thead>" in html
    invalid = re.findall(r'<td style="text-align:right" class="short invalid">(.*?)</td>', html)
    assert invalid == [f"{SUMMARY[4][2]} <strong>{INVALID_MARK}</strong>"]
    for _, _, _tps, tpot, ttft, dur in SUMMARY:
        for value in (tpot, ttft, dur):  # short cells never wrap
            assert f'<td style="text-align:right" class="short">{value}</td>' in html
    assert '<th style="text-align:left" class="short">精度</th>' in html
    # long: may wrap, between its words only (each kept whole in a no-wrap span)
    assert '<th style="text-align:right">Output tokens_per_second <span class="nb">(TPS)</span></th>' in html
    assert "batch size = 1<br>input_len = 8192<br>output_len = 256" in html


def test_html_escapes_server_text_in_cells_and_code(html: str) -> None:
    assert "<script" not in html.lower()
    escaped = "&lt;script&gt;alert('x')&lt;/script&gt;"
    assert f"<td style=\"text-align:left\">{escaped}</td>" in html  # table cell
    assert escaped in html.split("<pre>", 1)[1]  # code block
    assert "<code>lspci | grep 1e3e</code>" in html  # \| inside backticks


def test_html_sets_box_drawing_in_the_latin_mono_font(html: str) -> None:
    assert f'100%|<span class="box">{BAR}</span>| 1/1' in html
    assert '<span class="box">└─</span>2129' in html
    assert ".box { font-family: \"DejaVu Sans Mono\", monospace; font-size: 83.06%; }" in html


@pytest.mark.parametrize(
    "source, forbidden, expected",
    [
        ("<div onclick=\"x()\">block</div>\n", "<div", "&lt;div onclick=&quot;x()&quot;&gt;block&lt;/div&gt;"),
        ("text <img src=x onerror=alert(1)> more\n", "<img", "&lt;img src=x onerror=alert(1)&gt;"),
        ("| a |\n|---|\n| <iframe src=//x></iframe> |\n", "<iframe", "&lt;iframe src=//x&gt;"),
        ("[click](javascript:alert(1))\n", 'href="javascript', "[click](javascript:alert(1))"),
        ("```\n</code></pre><script>x</script>\n```\n", "<script", "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;"),
    ],
)
def test_raw_html_never_becomes_a_tag(source: str, forbidden: str, expected: str) -> None:
    out = markdown_to_html(source, title="t", css="")
    body = out.split("<body>", 1)[1]
    assert forbidden not in body
    assert expected in body


def test_br_is_the_only_tag_that_passes() -> None:
    out = markdown_to_html("| a |\n|---|\n| x<br>y<br/>z |\n", title="t", css="")
    assert "<td>x<br>y<br>z</td>" in out  # (a cell with <br> is never "short")


def test_title_is_escaped() -> None:
    assert "<title>a &lt;b&gt; &amp; c</title>" in markdown_to_html("x", title="a <b> & c", css="")


def test_missing_image_is_an_error_when_self_contained() -> None:
    with pytest.raises(RenderError, match="charts/nope.png"):
        markdown_to_html("![x](charts/nope.png)\n", title="t", assets={})
    out = markdown_to_html("![x](charts/nope.png)\n", title="t", assets={}, self_contained=False)
    assert '<img src="charts/nope.png" alt="x">' in out


def test_headings_are_numbered_only_when_the_text_does_not_number_them(tmp_path: Path) -> None:
    plain = "# 标题\n\n## 环境\n\n### 硬件\n\n### 软件\n\n#### 驱动\n\n## 结果\n"
    out = markdown_to_html(plain, title="t", css="")
    # every heading gets an anchor named after its number (links in the text point at it)
    for h in ('<h2 id="s1">1. 环境</h2>', '<h3 id="s1.1">1.1 硬件</h3>', '<h3 id="s1.2">1.2 软件</h3>',
              '<h4 id="s1.2.1">1.2.1 驱动</h4>', '<h2 id="s2">2. 结果</h2>'):
        assert h in out
    doc = Document(markdown_to_docx(plain, tmp_path / "n.docx", title="t"))
    assert [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")] == [
        "1. 环境", "1.1 硬件", "1.2 软件", "1.2.1 驱动", "2. 结果"]
    numbered = "# 标题\n\n## 1. 环境\n\n### 1.1 硬件\n"
    out = markdown_to_html(numbered, title="t", css="")
    assert '<h2 id="s1">1. 环境</h2>' in out and '<h3 id="s1.1">1.1 硬件</h3>' in out


# --------------------------------------------------------------------------- PDF


def test_pdf_holds_every_heading_and_value_without_missing_glyphs(pdf: tuple[Path, list[logging.LogRecord]]) -> None:
    path, records = pdf
    assert path.read_bytes().startswith(b"%PDF-")
    notdef = [r.getMessage() for r in records if ".notdef" in r.getMessage() or "glyph" in r.getMessage().lower()]
    assert notdef == []
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    text = _pdftotext(path)
    flat = _flat(text)
    for heading in HEADINGS:
        assert _flat(heading) in flat, heading
    for _, _, tps, tpot, ttft, dur in SUMMARY:
        for value in (tps, tpot, ttft, dur):
            assert value in text
    assert _flat(f"{SUMMARY[4][2]} {INVALID_MARK}") in flat
    for scores in ACCURACY.values():
        for score in scores.values():
            assert f"{score:.4f}" in text
    assert SCRIPT in text  # shown as text
    assert _flat(NAMESPACE) in flat  # the long line wraps but stays whole
    assert BAR in text
    assert "Iluvatar BI-V150" in text and "单芯 96 TFLOPS" in text


def test_pdf_renderer_fetches_nothing_from_the_network(tmp_path: Path) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        html = (
            f'<html lang="zh-CN"><body><p>图</p><img src="http://127.0.0.1:{port}/x.png">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css"></body></html>'
        )
        html_to_pdf(html, tmp_path / "x.pdf")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert hits == []
    assert (tmp_path / "x.pdf").stat().st_size > 0


# --------------------------------------------------------------------------- DOCX


def test_docx_summary_table_equals_the_source_values(docx_path: Path) -> None:
    doc = Document(str(docx_path))
    table = _summary_table(doc)
    assert table.style.name == "Table Grid"
    assert cell_texts(table.rows[0]) == [
        "测试条件", "精度", "Output tokens_per_second (TPS)", "latency_per_token (TPOT) (ms)",
        "first_token (TTFT) (ms)", "Benchmark duration (s)"]
    assert len(table.rows) == 1 + len(SUMMARY)
    for row, (prec, bs, tps, tpot, ttft, dur) in zip(table.rows[1:], SUMMARY):
        invalid = (prec, bs) == INVALID_ROW
        assert cell_texts(row) == [
            f"batch size = {bs}\ninput_len = 8192\noutput_len = 256", prec,
            f"{tps} {INVALID_MARK}" if invalid else tps, tpot, ttft, dur]
        shd = row.cells[2]._tc.tcPr.find(qn("w:shd"))
        assert (shd is not None and shd.get(qn("w:fill")) == INVALID_FILL) == invalid
    # the header row repeats on every page; no row splits across pages
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
    # right-aligned number columns, as the Markdown says
    assert table.rows[1].cells[3].paragraphs[0].alignment == 2  # WD_ALIGN_PARAGRAPH.RIGHT


def test_docx_headings_text_lists_and_images(docx_path: Path) -> None:
    doc = Document(str(docx_path))
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == TITLE
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == HEADINGS[1:]
    texts = [p.text for p in doc.paragraphs]
    assert "1.\t查看设备列表" in texts and "2.\t查看链路状态" in texts
    assert "◦\t设备号 1e3e:0003" in texts
    assert len(doc.inline_shapes) == 3
    assert doc.core_properties.title == TITLE
    section = doc.sections[0]
    fields = [f.get(qn("w:instr")) for f in section.footer._element.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"] and section.different_first_page_header_footer  # cover unnumbered
    env = doc.tables[1]
    assert env.rows[5].cells[2].text == "FP16: 单芯 96 TFLOPS\n双芯 192 TFLOPS"
    assert env.rows[6].cells[2].text == "lspci | grep 1e3e"
    assert env.rows[7].cells[2].text == SCRIPT
    accuracy = doc.tables[-1]
    for row, (prec, scores) in zip(accuracy.rows[1:], ACCURACY.items()):
        assert cell_texts(row) == [prec] + [f"{scores[b]:.4f}" for b in ("ceval", "gsm8k", "mmlu", "bbh")]


def test_docx_code_blocks_are_monospace_and_shaded(docx_path: Path) -> None:
    doc = Document(str(docx_path))
    code = [p for p in doc.paragraphs if p.style.name == "Code Block"]
    bench = next(p for p in code if p.text.startswith("Namespace("))
    assert bench.text.split("\n")[0] == NAMESPACE
    assert f"100%|{BAR}| 1/1 [00:10<00:00, 10.37s/it]" in bench.text.split("\n")
    box = next(r for r in bench.runs if r.text == BAR)
    fonts = box._r.rPr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {CODE_FONT}
    style_ppr = doc.styles["Code Block"].element.pPr
    assert style_ppr.find(qn("w:shd")) is not None
    # Word's schema order inside pPr: pBdr, shd before spacing
    names = [c.tag.split("}")[1] for c in style_ppr]
    assert names.index("pBdr") < names.index("shd") < names.index("spacing")
    assert any(SCRIPT in p.text.split("\n") for p in code)


def test_docx_fonts_have_no_theme_override_and_chinese_language(docx_path: Path) -> None:
    doc = Document(str(docx_path))
    styles = doc.styles.element
    for rfonts in styles.iter(qn("w:rFonts")):
        assert not any(rfonts.get(qn(f"w:{a}")) for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"))
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Microsoft YaHei"
    assert rpr.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    for name in ("Title", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == "Microsoft YaHei"


def test_docx_refuses_svg_only_images(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="PNG"):
        markdown_to_docx("![c](charts/a.svg)\n", tmp_path / "x.docx", assets={"charts/a.svg": b"<svg/>"}, title="t")
    with pytest.raises(RenderError, match="not provided"):
        markdown_to_docx("![c](charts/a.png)\n", tmp_path / "x.docx", assets={}, title="t")


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.slow
@pytest.mark.libreoffice
def test_docx_converts_with_libreoffice_and_keeps_the_values(
    docx_path: Path, libreoffice_pdf: Callable[[Path], Path]
) -> None:
    out = libreoffice_pdf(docx_path)
    text = _pdftotext(out)
    flat = _flat(text)
    for heading in HEADINGS:
        assert _flat(heading) in flat, heading
    for _, _, tps, tpot, ttft, dur in SUMMARY:
        for value in (tps, tpot, ttft, dur):
            assert value in text
    assert _flat(f"{SUMMARY[4][2]} {INVALID_MARK}") in flat
    assert re.search(r"^\s*2\s*/\s*\d+\s*$", text, re.MULTILINE)  # the footer's page numbers, filled in
    # LibreOffice breaks the long line after a hyphen and pdftotext joins it without one
    assert _flat(NAMESPACE).replace("-", "") in flat.replace("-", "")
    assert SCRIPT in text


def test_consecutive_code_blocks_stay_separate_boxes_in_docx(tmp_path: Path) -> None:
    doc = Document(markdown_to_docx("```\na\n```\n\n```\nb\n```\n", tmp_path / "c.docx", title="t"))
    assert [(p.style.name, p.text) for p in doc.paragraphs] == [
        ("Code Block", "a"), ("Normal", ""), ("Code Block", "b")]


def test_wide_tables_are_set_smaller(tmp_path: Path) -> None:
    head = "| " + " | ".join(f"h{i}" for i in range(8)) + " |\n|" + "---|" * 8 + "\n"
    row = "| " + " | ".join(str(i) for i in range(8)) + " |\n"
    out = markdown_to_html(head + row, title="t", css="")
    assert '<table class="wide keep">' in out
    assert '<table class="keep">' in markdown_to_html("| a |\n|---|\n| 1 |\n", title="t", css="")  # not wide
    doc = Document(markdown_to_docx(head + row, tmp_path / "w.docx", title="t"))
    cell_run = doc.tables[0].rows[1].cells[0].paragraphs[0].runs[0]
    assert cell_run.font.size.pt == 7
    widths = [c.width for c in doc.tables[0].rows[0].cells]
    assert abs(sum(widths) - 17.4 * 360000) < 36000  # the columns fill the text width (to 1 mm; twips round)


def test_unwritable_output_is_one_render_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RenderError, match="cannot write the DOCX"):
        markdown_to_docx("# t\n", blocker / "x.docx", title="t")
    with pytest.raises(RenderError, match="cannot write the PDF"):
        html_to_pdf(markdown_to_html("# t\n", title="t"), blocker / "x.pdf")


def test_rendering_collects_less_often_and_restores_the_collector() -> None:
    import gc

    from reportgen.report.formats import GC_YOUNG_THRESHOLD, rendering

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), rendering():
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD > before[0]
        raise RuntimeError("a renderer failed")
    assert gc.get_threshold() == before
