"""Writers of the HTML, PDF and DOCX documents (and the chart files the Markdown links).

Each writer has the shape of ``reportgen.commands.render.WRITERS`` values:
``(results, source, out_dir) -> path written``. All of them start from the same
Markdown (``render_markdown``): HTML through markdown-it + CSS, PDF from that HTML with
WeasyPrint, DOCX from the same token stream with python-docx. Charts are drawn once per
call; the Markdown references them as ``charts/<name>.png`` (see ``chart_plan``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reportgen._atomic import write_atomic
from reportgen.errors import RenderError
from reportgen.report.charts import all_charts, chart_assets
from reportgen.report.docx import markdown_to_docx
from reportgen.report.html import markdown_to_html
from reportgen.report.markdown import render_markdown
from reportgen.report.mdparse import parse_markdown
from reportgen.report.pagination import paginate
from reportgen.report.pdf import html_to_pdf
from reportgen.report.safe_text import document_text
from reportgen.results import Finding, Results
from reportgen.validity import check_results

CHARTS_DIR = "charts"
GC_YOUNG_THRESHOLD = 50_000  # CPython's default is 700


@contextmanager
def rendering() -> Iterator[None]:
    """Fewer garbage collections while a document is drawn: WeasyPrint's boxes and matplotlib's
    artists are millions of short-lived objects, and with the default young-generation threshold
    the collector runs (and walks every live object) thousands of times: 8 % of the render time
    (benchmarks/render_time.py). Objects in reference cycles only live a little longer."""
    old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _write(path: Path, data: bytes) -> Path:
    try:
        if path.parent.name == CHARTS_DIR:
            path.parent.mkdir(exist_ok=True)
        return write_atomic(path, data)
    except OSError as e:
        raise RenderError(f"{path}: cannot write: {e.strerror or e}") from None


def _source_inputs(results: Results, source: str) -> tuple[str, dict[str, bytes]]:
    """The Markdown and the charts of one render, from one list of findings: the table,
    the charts and the conclusion give every cell the same status."""
    findings = check_results(results)
    return (render_markdown(results, source=source, findings=findings),
            chart_assets(all_charts(results, findings), CHARTS_DIR))


def _author(results: Results) -> str | None:
    """Who the DOCX names as its author: the tester, else the organisation (from the plan or TOML)."""
    author = results.subject.tester or results.subject.organization
    return document_text(author, "meta") if author else None


def _title(results: Results) -> str:
    """The title the writers put in the document's metadata (HTML ``<title>``, PDF and DOCX
    properties): through the one sanitising step like every text of the body."""
    return document_text(results.title, "meta")


def write_charts(results: Results, out_dir: Path, findings: list[Finding] | None = None) -> list[Path]:
    """``out_dir/charts/<name>.png`` and ``.svg`` for the Markdown document."""
    assets = chart_assets(all_charts(results, findings), CHARTS_DIR)
    return [_write(out_dir / key, data) for key, data in assets.items()]


def write_html(results: Results, source: str, out_dir: Path) -> Path:
    """A self-contained HTML file (charts inlined as SVG): one file reviewers can mail."""
    md, assets = _source_inputs(results, source)
    html = markdown_to_html(md, title=_title(results), assets=assets)
    return _write(out_dir / f"{Path(source).stem}.html", html.encode("utf-8"))


def write_pdf(results: Results, source: str, out_dir: Path) -> Path:
    md, assets = _source_inputs(results, source)
    html = markdown_to_html(paginate(parse_markdown(md)), title=_title(results), assets=assets)
    return html_to_pdf(html, out_dir / f"{Path(source).stem}.pdf")


def write_docx(results: Results, source: str, out_dir: Path) -> Path:
    md, assets = _source_inputs(results, source)
    return markdown_to_docx(paginate(parse_markdown(md)), out_dir / f"{Path(source).stem}.docx", assets=assets,
                            title=_title(results), author=_author(results))


def write_all(results: Results, source: str, out_dir: Path) -> Path:
    """Markdown (+ chart files), HTML, DOCX and PDF from one Markdown text; returns ``out_dir``."""
    md, assets = _source_inputs(results, source)
    stem = Path(source).stem
    _write(out_dir / f"{stem}.md", md.encode("utf-8"))
    for key, data in assets.items():
        _write(out_dir / key, data)
    parsed = paginate(parse_markdown(md))  # one parse for the HTML (and PDF) and the DOCX
    html = markdown_to_html(parsed, title=_title(results), assets=assets)
    _write(out_dir / f"{stem}.html", html.encode("utf-8"))
    markdown_to_docx(parsed, out_dir / f"{stem}.docx", assets=assets, title=_title(results), author=_author(results))
    html_to_pdf(html, out_dir / f"{stem}.pdf")
    return out_dir


WRITERS = {"html": write_html, "pdf": write_pdf, "docx": write_docx, "all": write_all}
