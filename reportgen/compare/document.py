"""The comparison document in every format, with the evaluation document's renderers.

``compare_markdown`` fills ``templates/compare.md.j2``; HTML, PDF and DOCX are made from
that Markdown by the same writers, fonts and styles as ``reportgen render``
(``reportgen.report.html``/``pdf``/``docx``), with the overlay charts of
``reportgen.compare.charts``.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from reportgen.compare.charts import compare_charts
from reportgen.compare.model import Comparison
from reportgen.compare.view import TITLE, build_compare_view
from reportgen.errors import RenderError
from reportgen.report.charts import chart_assets
from reportgen.report.docx import markdown_to_docx
from reportgen.report.formats import (
    CHARTS_DIR,
    _write,  # creates the charts folder beside the document
)
from reportgen.report.html import markdown_to_html
from reportgen.report.markdown import _environment as markdown_environment  # the same Markdown filters
from reportgen.report.markdown import tidy
from reportgen.report.pdf import html_to_pdf

TEMPLATE = "compare.md.j2"
FORMATS = ("md", "html", "docx", "pdf")


def compare_markdown(c: Comparison) -> str:
    try:
        return tidy(markdown_environment().get_template(TEMPLATE).render(v=build_compare_view(c)))
    except jinja2.TemplateError as e:
        raise RenderError(f"template {TEMPLATE}: {e}") from None


def document_stem(c: Comparison) -> str:
    """compare-<baseline stem>-vs-<other stems>: names the files without a machine path."""
    stems = [Path(s.path).stem for s in c.sources]
    base = stems[c.baseline]
    others = [st for i, st in enumerate(stems) if i != c.baseline]
    return f"compare-{base}-vs-{'-'.join(others)}"[:120]


def write_comparison(c: Comparison, fmt: str, out_dir: Path) -> list[Path]:
    """Write the document in ``fmt`` (md, html, docx, pdf or all) into ``out_dir``; the paths written
    (Markdown: the .md first, then the chart files it links)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"{out_dir}: exists and is not a folder")
    wanted = FORMATS if fmt == "all" else (fmt,)
    md = compare_markdown(c)
    assets = chart_assets(compare_charts(c), CHARTS_DIR)
    stem = document_stem(c)
    written: list[Path] = []
    html: str | None = None
    for f in wanted:
        if f == "md":
            written.append(_write(out_dir / f"{stem}.md", md.encode("utf-8")))
            written += [_write(out_dir / key, data) for key, data in assets.items()]
        elif f in ("html", "pdf"):
            html = html or markdown_to_html(md, title=TITLE, assets=assets)
            if f == "html":
                written.append(_write(out_dir / f"{stem}.html", html.encode("utf-8")))
            else:
                written.append(html_to_pdf(html, out_dir / f"{stem}.pdf"))
        elif f == "docx":
            written.append(markdown_to_docx(md, out_dir / f"{stem}.docx", assets=assets, title=TITLE))
        else:
            raise RenderError(f"unknown format {f!r}")
    return written
