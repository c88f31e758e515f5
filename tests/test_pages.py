"""Pages that print cleanly: table geometry (units that never break, widths, landscape), where
section 1 starts, the DOCX's settings and 目录, the start-up log excerpt, charts of invalid data."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from _docx_text import plain
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from collectors.deployment import startup_excerpt
from reportgen.report.charts import all_charts, chart_assets
from reportgen.report.docx import markdown_to_docx, toc_entries
from reportgen.report.docx_toc import heading_pages
from reportgen.report.html import markdown_to_html
from reportgen.report.markdown import render_markdown
from reportgen.report.mdparse import (
    CELL_PAD_PT,
    LANDSCAPE_WIDTH_PT,
    TEXT_WIDTH_PT,
    WORD_JOINER,
    guard_text,
    layout_table,
    parse_markdown,
    text_width_em,
    units,
)
from reportgen.report.pagination import NEW_PAGE, paginate
from reportgen.results import Results, load_results

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed-bi150.json"
LIVE = REPO / "samples" / "live-cpu.json"
FIXTURE_LOG = REPO / "tests" / "fixtures" / "vllm-bench" / "vllm-0.32-cpu-serve-kvcache-too-large.log"


def test_units_are_numbers_latin_words_and_short_cjk_terms() -> None:
    assert [u.text for u in units("TPS (tok/s)")] == ["TPS", "(tok/s)"]
    assert [u.text for u in units("TTFT 中位数 (ms)")] == ["TTFT", "中位数", "(ms)"]
    assert [u.text for u in units("未测试（未安装）")] == ["未测试", "（未安装）"]  # brackets stay with their term
    long = units("降幅在官方同类量化降幅以内")
    assert len(long) == 1 and long[0].breakable  # a long run breaks between characters
    assert not units("评分口径")[0].breakable and units("输入词元总数", longest=6)[0].breakable is False
    # the DOCX form: joiners inside a unit, a break mark between units that touch
    assert guard_text("均值、中位数、P90") == "均\u2060值\u2060、\u200b中\u2060位\u2060数\u2060、\u200bP90"
    assert guard_text("(tok/s)") == "(\u2060tok/\u2060s)\u2060"


def test_every_column_holds_its_widest_unit_and_a_too_wide_table_goes_landscape() -> None:
    head = [(True, ["用例"])] + [(True, [f"输入词元总数 {i}"]) for i in range(11)]
    body = [(False, ["GPTQ-Int4 · 批大小 8"])] + [(False, ["22736.84"]) for _ in range(11)]
    g = layout_table([head, body], 7.0)
    assert g.landscape and sum(g.widths_pt) == pytest.approx(LANDSCAPE_WIDTH_PT)
    need = text_width_em("22736.84") * 7.0 + CELL_PAD_PT
    assert all(w >= need for w in g.widths_pt[1:])
    # four columns fit portrait; the long text column gets the width it saves lines with
    rows = [[(True, ["基准"]), (True, ["得分"]), (True, ["判定"]), (True, ["依据"])]] + [
        [(False, ["ceval"]), (False, ["67.38%"]), (False, ["通过"]), (False, ["降幅 2.15 个百分点，不超过官方同类量化降幅" * 3])]
        for _ in range(6)]
    g = layout_table(rows, 8.5)
    assert not g.landscape and sum(g.widths_pt) == pytest.approx(TEXT_WIDTH_PT)
    assert g.widths_pt[3] > 0.6 * TEXT_WIDTH_PT
    assert {(r, 3) for r in range(1, 7)} <= g.guard  # the wrapping cells keep their units whole


def test_landscape_tables_in_both_writers(tmp_path: Path) -> None:
    cols = 14
    md = ("# T\n\n## 1. 表\n\n宽表如下：\n\n| " + " | ".join(f"输入词元总数{i}" for i in range(cols)) + " |\n|"
          + "---|" * cols + "\n| " + " | ".join("22736.84" for _ in range(cols)) + " |\n\n之后的正文。\n")
    html = markdown_to_html(md, title="t", self_contained=False)
    block = html.split('<section class="landscape">', 1)[1].split("</section>", 1)[0]
    assert "宽表如下" in block and "<table" in block and "之后的正文" not in block  # the lead-in goes with it
    doc = Document(str(markdown_to_docx(md, tmp_path / "w.docx", title="t", toc_pages=False)))
    orient = [s.orientation for s in doc.sections]
    assert orient == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert doc.sections[1].page_width > doc.sections[1].page_height


def test_section_1_starts_a_new_page_only_after_a_one_page_conclusion() -> None:
    def heading_classes(r: Results) -> str:
        doc = paginate(parse_markdown(render_markdown(r)))
        s1 = next(t for t in doc.body if t.type == "heading_open" and t.attrGet("id") == "s1")
        return str(s1.attrGet("class") or "")

    assert NEW_PAGE not in heading_classes(load_results(SEED))  # six causes to re-measure: two pages of 结论
    assert NEW_PAGE not in heading_classes(load_results(LIVE))  # frontier, soak and consistency lines: two pages
    short = load_results(LIVE)  # the matrix, accuracy and the functional checks only: a one-page 结论
    short.frontier, short.embeddings = None, []
    for v in short.variants:
        v.capacity, v.soak, v.consistency = [], [], None
    assert NEW_PAGE in heading_classes(short)


def test_docx_theme_language_is_chinese(tmp_path: Path) -> None:
    doc = Document(str(markdown_to_docx("# T\n\n## 1. A\n\n正文\n", tmp_path / "d.docx", title="t", toc_pages=False)))
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"


def test_toc_pages_are_read_after_the_toc() -> None:
    pages = ["封面", "目录结论1.环境规格2.环境部署", "结论内容", "1.环境规格表", "正文2.环境部署"]
    assert heading_pages(pages, ["结论", "1. 环境规格", "2. 环境部署"]) == {"结论": 3, "1. 环境规格": 4, "2. 环境部署": 5}
    assert heading_pages(["无目录"], ["结论"]) == {}


@pytest.mark.slow
@pytest.mark.libreoffice
def test_docx_toc_carries_libreoffices_page_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    libreoffice_pdf: Callable[[Path], Path]) -> None:
    monkeypatch.setenv("REPORTGEN_DOCX_TOC_PAGES", "1")
    results = load_results(LIVE)
    parsed = parse_markdown(render_markdown(results))
    path = markdown_to_docx(parsed, tmp_path / "live.docx", title="t", assets=chart_assets(all_charts(results)))
    doc = Document(str(path))
    toc = next(p for p in doc.paragraphs if "TOC" in "".join(t.text or "" for t in p._p.iter(qn("w:instrText"))))
    lines = plain(toc.text).split("\n")
    heads = [text for _, text in toc_entries(parsed.body)]
    assert len(lines) == len(heads) and all("\t" in line for line in lines)
    numbers = {h: int(line.rsplit("\t", 1)[1]) for h, line in zip(heads, lines)}
    # the numbers are where LibreOffice lays the headings out
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(libreoffice_pdf(path)), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert heading_pages(["".join(p.split()) for p in text.split("\f")], heads) == numbers


def test_the_start_up_log_excerpt_shows_the_server_starting() -> None:
    text = startup_excerpt(FIXTURE_LOG.read_text(encoding="utf-8"))
    assert text is not None and "version 0.32.0" in text and "non-default args" in text
    assert len(text.splitlines()) <= 15 and all(len(line) <= 242 for line in text.splitlines())
    shutdown = "\n".join([' - leaked function "empty"', "resource_tracker: There appear to be 1 leaked semaphore"])
    assert startup_excerpt(shutdown) == shutdown  # not vLLM's start-up: its first lines, as they are
    assert startup_excerpt(None) is None


def test_a_line_never_joins_invalid_points() -> None:
    from reportgen.report.charts import plot_line

    class Axes:
        def __init__(self) -> None:
            self.lines: list[list[float]] = []

        def plot(self, xs: list[float], ys: list[float], **_: object) -> None:
            self.lines.append(list(xs))

    ax = Axes()
    plot_line(ax, [1, 2, 4, 8, 16], [5, 6, 7, 8, 9], [True, True, False, True, True], marker="o", label="FP16")
    assert ax.lines == [[], [1, 2], [8, 16]]  # the legend entry, then two runs around the invalid point
    ax = Axes()
    plot_line(ax, [1, 2, 4], [5, 6, 7], [False, False, False], label="FP16")
    assert ax.lines == [[]]  # all invalid: markers only (drawn by the caller)


def test_word_joiner_is_invisible_in_the_measure() -> None:
    assert text_width_em("评分口径") == text_width_em(WORD_JOINER.join("评分口径")) == 4.0
