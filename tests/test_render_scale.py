"""A document of many serving cells summarises them and says so: above ``DETAIL_LIMIT`` cells,
3.3 gives no page per cell, 3.4 one row per case (the first run of repeated cells), appendix E
every cell in one table, appendix B the first blocks only; the work per cell stays constant
(timings: benchmarks/render_scale.py)."""

from __future__ import annotations

import re
from pathlib import Path

from reportgen.importers.cells import RunParams
from reportgen.importers.formats import parse_any
from reportgen.report.markdown import render_markdown
from reportgen.report.serving_view import DETAIL_LIMIT
from reportgen.results import Results

BLOCK = Path(__file__).resolve().parent / "fixtures" / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt"


def _results(cases: int, repeats: int = 1) -> Results:
    _, items = parse_any(BLOCK.read_text(encoding="utf-8"), BLOCK.name, RunParams(input_len=8192, output_len=256),
                         kind="serving")
    cell = items[0].cell
    res = Results()
    v = res.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    for b in range(1, cases + 1):
        for rep in range(repeats):
            v.serving.append(cell.model_copy(deep=True, update={"batch_size": b, "repeat": rep}))
    return res


def _section(md: str, start: str, end: str) -> str:
    i = md.index(start)
    return md[i:md.index(end, i + len(start))]


def test_thousands_of_cells_are_summarised_and_the_document_says_so() -> None:
    cases = 80
    md = render_markdown(_results(cases, repeats=2))
    s33 = _section(md, "### 3.3", "### 3.4")
    assert f"本文档共 {2 * cases} 个性能测试用例，超过 {DETAIL_LIMIT} 个，此处不再逐一列出每个用例的详细表" in s33
    assert f"3.4 汇总表每种负载一行（共 {cases} 行；重复测试列出第 1 次" in s33 and "[附录 E](#appE)" in s33
    assert "成功请求数" not in s33  # no per-cell table
    s34 = _section(md, "### 3.4", "\n## ")
    rows = [ln for ln in s34.splitlines() if ln.startswith("| FP16 · ")]
    assert len(rows) == cases  # one row per case
    app_e = md[md.index("## 附录 E 全部性能测试用例"):]
    assert f"共 {2 * cases} 个用例" in app_e
    assert len([ln for ln in app_e.splitlines() if ln.startswith("| FP16 · ")]) == 2 * cases
    app_b = _section(md, "## 附录 B", "## 附录 D")
    assert len(re.findall(r"^### B\.\d+ ", app_b, re.M)) == DETAIL_LIMIT
    assert f"另有 {2 * cases - DETAIL_LIMIT} 段性能测试输出未在此列出" in app_b


def test_a_document_within_the_limit_keeps_its_layout() -> None:
    md = render_markdown(_results(DETAIL_LIMIT))
    assert "不再逐一列出" not in md and "## 附录 E" not in md
    s33 = _section(md, "### 3.3", "### 3.4")
    assert "各用例打印的其余数值如下" in s33  # imported cells: the one table of printed values, as before
    assert len([ln for ln in _section(md, "### 3.4", "\n## ").splitlines() if ln.startswith("| FP16 · ")]) == DETAIL_LIMIT
