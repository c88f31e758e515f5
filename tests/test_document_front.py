"""Cover, 目录 and metadata: cover → 目录 → 结论 → 1 in PDF and DOCX; a real TOC field and core
properties in the DOCX; PDF bookmarks; 3.4's header words unbroken in the DOCX; section
references as internal links in the DOCX (and in LibreOffice's PDF of it)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from _docx_text import cell_texts, plain
from docx import Document
from docx.oxml.ns import qn

from reportgen.report.docx import LINK_STYLE, bookmark_name, markdown_to_docx
from reportgen.report.formats import write_all
from reportgen.report.markdown import render_markdown
from reportgen.report.mdparse import CELL_PAD_PT, HEADER_TERM, text_width_em, units
from reportgen.results import load_results

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed-bi150.json"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("front")
    r = load_results(SEED)
    r.subject.tester = "张三"
    write_all(r, "samples/seed-bi150.json", out)
    return out


def test_cover_has_period_from_the_data_and_blanks_to_sign_but_no_tool_or_path() -> None:
    md = render_markdown(load_results(SEED), source="samples/seed-bi150.json")
    cover = md.split("\n## ", 1)[0]
    assert "| 评测时间 | 2024-06-27 至 2024-09-02 |" in cover  # the imported logs' own dates
    for item in ("评测单位", "报告编号", "测试人员", "审核人员", "签发日期"):
        assert re.search(rf"\| {item} \| (\\_)+ \|", cover), item
    assert "reportgen" not in cover and "samples/" not in cover and "工具版本" not in cover


def test_pdf_opens_with_cover_toc_conclusion_then_section_1(rendered: Path) -> None:
    pdf = rendered / "seed-bi150.pdf"

    def page(n: int) -> str:
        return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout

    assert "算力卡推理评测" in page(1) and "签发日期" in page(1)
    assert page(2).lstrip().startswith("目录")
    listed = re.search(r"3\.4 基于vLLM性能测试数据汇总\s+(\d+)", page(2))
    assert listed and "3.4 基于vLLM性能测试数据汇总" in page(int(listed.group(1)))  # the page number is right
    third = page(3)
    assert third.lstrip().startswith("结论")
    assert "8 个性能用例没有一个可以使用" in third and "生成提前结束" in third
    assert "P99 低于中位数" in third + page(4)  # the causes to re-measure run onto the 结论's second page
    assert "1. 环境规格" not in third  # section 1 starts on its own page


def test_pdf_headings_are_bookmarks() -> None:
    import weasyprint

    from reportgen.report.html import markdown_to_html

    md = re.sub(r"^!\[.*$", "", render_markdown(load_results(SEED)), flags=re.M)  # charts are not needed here
    html = markdown_to_html(md, title="t", assets=None, self_contained=False)
    labels: list[str] = []

    def walk(nodes) -> None:  # noqa: ANN001 - (label, target, children, state) tuples
        for label, _, children, _ in nodes:
            labels.append(label)
            walk(children)

    walk(weasyprint.HTML(string=html).render().make_bookmark_tree())
    assert "结论" in labels and "1. 环境规格" in labels and "附录 D 数据来源与可追溯性" in labels


def test_docx_has_a_toc_field_and_core_properties(rendered: Path) -> None:
    doc = Document(str(rendered / "seed-bi150.docx"))
    instr = [el.text for el in doc.element.body.iter(qn("w:instrText"))]
    assert any(t.strip().startswith("TOC ") for t in instr)
    upd = doc.settings.element.find(qn("w:updateFields"))
    assert upd is not None and upd.get(qn("w:val")) == "true"
    props = doc.core_properties
    assert props.title == "算力卡推理评测" and props.author == "张三" and props.language == "zh-CN"
    assert props.created is not None
    created = props.created if props.created.tzinfo else props.created.replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(hours=1)
    texts = [p.text for p in doc.paragraphs]
    assert texts.index("目录") < texts.index("结论") < texts.index("1. 环境规格")


def test_docx_summary_header_words_fit_their_columns(rendered: Path) -> None:
    doc = Document(str(rendered / "seed-bi150.docx"))
    table = next(t for t in doc.tables if cell_texts(t.rows[0])[:2] == ["用例", "TPS (tok/s)"])
    cells = table.rows[0].cells
    assert cell_texts(table.rows[0])[:5] == ["用例", "TPS (tok/s)", "TPOT 均值 (ms)", "TTFT 均值 (ms)", "测试时长 (s)"]
    # a short table stays on one page: every row but the last keeps with the next (no lone last row)
    keep = [row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in table.rows]
    assert all(keep[:-1]) and not keep[-1]
    size_pt = 7  # a wide table
    for c in cells:
        # the column holds its widest unit (bold, measured with the fonts' advance widths) and the margins
        need_pt = max(text_width_em(u.text, bold=True) for u in units(plain(c.text), longest=HEADER_TERM)) * size_pt
        assert c.width >= (need_pt + CELL_PAD_PT) * 12700 - 1, (c.text, c.width, need_pt)


# --------------------------------------------------------------------------- internal links


def _bookmarks(body) -> dict[str, str]:  # noqa: ANN001 - the w:body element
    """Bookmark name -> the text of the paragraph it marks."""
    out = {}
    for start in body.iter(qn("w:bookmarkStart")):
        p = start.getparent()
        assert p.tag == qn("w:p")
        out[start.get(qn("w:name"))] = "".join(t.text or "" for t in p.iter(qn("w:t")))
    return out


def test_docx_section_references_link_to_heading_bookmarks(rendered: Path) -> None:
    doc = Document(str(rendered / "seed-bi150.docx"))
    body = doc.element.body
    marks = _bookmarks(body)
    ids = [s.get(qn("w:id")) for s in body.iter(qn("w:bookmarkStart"))]
    assert len(set(ids)) == len(ids) == len(list(body.iter(qn("w:bookmarkEnd"))))
    # every heading is a bookmark, named after its anchor ("3.4 …" -> s3.4 -> s3_4)
    headings = [p for p in doc.paragraphs if p.style.name == "Title" or p.style.name.startswith("Heading")]
    assert len(headings) > 20
    for p in headings:
        assert p._p.find(qn("w:bookmarkStart")) is not None, p.text
    assert marks["s3_4"].startswith("3.4 ") and marks["conclusion"] == "结论" and marks["appB"].startswith("附录 B")
    links = list(body.iter(qn("w:hyperlink")))
    md = (rendered / "seed-bi150.md").read_text(encoding="utf-8")
    assert len(links) == len(re.findall(r"\]\(#[^)]+\)", md)) > 10  # every section reference, no other link
    for link in links:
        assert link.get(qn("w:anchor")) in marks, link.get(qn("w:anchor"))
        assert link.get(qn("r:id")) is None  # no external target
        for r in link.iter(qn("w:r")):
            assert r.find(qn("w:rPr")).find(qn("w:rStyle")).get(qn("w:val")) == doc.styles[LINK_STYLE].style_id
    # 结论's first point refers to 3.4: a link to the bookmark on the 3.4 heading
    texts = [p.text for p in doc.paragraphs]
    first = doc.paragraphs[texts.index("结论") + 1]
    assert first.text.endswith("（见 3.4）")
    (link,) = first._p.findall(qn("w:hyperlink"))
    assert link.get(qn("w:anchor")) == "s3_4" and "".join(t.text for t in link.iter(qn("w:t"))) == "3.4"
    assert doc.styles[LINK_STYLE].font.underline is False


def test_docx_links_only_to_headings_that_exist(tmp_path: Path) -> None:
    md = ("# T\n\n[1](#s1), [nowhere](#s9), [web](https://example.com) [2](#s1.1)\n\n"
          "## A\n\n### B\n\ntext [](#s1)\n")
    doc = Document(str(markdown_to_docx(md, tmp_path / "l.docx", title="t")))
    body = doc.element.body
    assert [(h.get(qn("w:anchor")), "".join(t.text for t in h.iter(qn("w:t")))) for h in body.iter(qn("w:hyperlink"))] \
        == [("s1", "1"), ("s1_1", "2")]
    assert set(_bookmarks(body)) == {"h0", "s1", "s1_1"}
    p = doc.paragraphs[1]
    assert p.text == "1, nowhere, web 2"
    # a missing anchor and an external link stay coloured text, as before: no link that leads nowhere
    plain = {r.text: r for r in p.runs}
    assert plain["nowhere"].font.color.rgb == plain["web"].font.color.rgb == doc.styles[LINK_STYLE].font.color.rgb
    assert not doc.part.rels or all(not r.is_external for r in doc.part.rels.values())


def test_bookmark_names_are_valid_word_names() -> None:
    assert bookmark_name("s3.4") == "s3_4" and bookmark_name("appB") == "appB" and bookmark_name("h12") == "h12"
    assert bookmark_name("s3.4-17") == "s3_4_17" and bookmark_name("9x") == "b9x"
    long = bookmark_name("s" + ".1" * 40)
    assert len(long) == 40 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", long)


@pytest.mark.slow
@pytest.mark.libreoffice
def test_docx_links_survive_libreoffice_pdf_conversion(rendered: Path, libreoffice_pdf: Callable[[Path], Path]) -> None:
    out = libreoffice_pdf(rendered / "seed-bi150.docx")
    pdf = out.read_bytes()
    if b"/ObjStm" not in pdf:  # annotations readable as plain text (LibreOffice writes no object streams)
        links = len(list(Document(str(rendered / "seed-bi150.docx")).element.body.iter(qn("w:hyperlink"))))
        # a link broken over two lines is two annotations; without a character style LibreOffice exports none
        assert len(re.findall(rb"/Subtype\s*/Link\b(?:(?!>>).)*?/Dest\b", pdf, re.S)) >= links
