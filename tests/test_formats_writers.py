"""The writers render.py registers: every format from the one Markdown of a results file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from docx import Document
from formats_sample import sample_results

from reportgen.report.charts import all_charts, chart_plan
from reportgen.report.formats import write_all, write_docx, write_html
from reportgen.report.markdown import render_markdown
from reportgen.results import Results


def _md_headings(md: str) -> list[str]:
    out, fence = [], False
    for line in md.splitlines():
        if line.startswith(("```", "~~~")):
            fence = not fence
        elif not fence and (m := re.match(r"^(#{2,6}) (.*)$", line)):
            out.append(m.group(2).replace("\\", ""))
    return out


def test_chart_plan_names_exactly_the_charts_drawn() -> None:
    r = sample_results()
    assert chart_plan(r) == [(c.name, c.title) for c in all_charts(r).values()]
    assert [n.split("-")[0] for n, _ in chart_plan(r)] == ["serving_tps", "serving_ttft", "serving_tpot", "accuracy", "frontier"]
    assert chart_plan(Results()) == []


def test_write_all_writes_every_format_from_one_markdown(tmp_path: Path) -> None:
    r = sample_results()
    out = write_all(r, "runs/bi150.json", tmp_path)
    assert out == tmp_path
    md = (tmp_path / "bi150.md").read_text(encoding="utf-8")
    assert md == render_markdown(r, source="runs/bi150.json")
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == sorted(
        f"{n}.{ext}" for n, _ in chart_plan(r) for ext in ("png", "svg"))
    headings = _md_headings(md)
    assert len(headings) > 10
    doc = Document(str(tmp_path / "bi150.docx"))
    assert [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")] == headings
    html = (tmp_path / "bi150.html").read_text(encoding="utf-8")
    assert sum(html.count(f"<h{n} ") for n in range(2, 7)) == len(headings)
    text = subprocess.run(["pdftotext", str(tmp_path / "bi150.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for h in headings:
        assert re.sub(r"\s+", "", h) in flat, h
    for value in ("24.70", "2243.94", "14546.78", "66.57%"):
        assert value in text and value in md


def test_single_format_writers_name_files_after_the_results(tmp_path: Path) -> None:
    r = sample_results()
    assert write_html(r, "a/b/run7.json", tmp_path) == tmp_path / "run7.html"
    assert write_docx(r, "run7.json", tmp_path) == tmp_path / "run7.docx"
    assert (tmp_path / "run7.docx").stat().st_size > 10_000
