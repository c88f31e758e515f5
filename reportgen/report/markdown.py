"""Render the Chinese evaluation document as Markdown (CommonMark + GFM tables).

``render_markdown`` builds the document view and fills ``templates/report.md.j2``.
Autoescape is off (this is Markdown, not HTML); every value goes through one of the
Markdown filters instead: ``cell`` (table cells), ``inline`` (headings, one line),
``text`` (paragraphs), ``fence`` (code blocks) and ``table`` (a whole view table).
The output is the single source for the HTML, DOCX and PDF writers.
"""

from __future__ import annotations

import re

import jinja2

from reportgen._resources import templates_dir
from reportgen.errors import RenderError
from reportgen.report import formatting as fmt
from reportgen.report.glossary import used_terms
from reportgen.report.view import DocumentView, Table, build_view
from reportgen.results import Finding, Results

TEMPLATE = "report.md.j2"


def md_table(table: Table) -> str:
    """A rectangular GFM table; every cell escaped, none empty."""
    lines = [
        "| " + " | ".join(fmt.md_cell(h) for h in table.headers) + " |",
        "|" + "|".join(" --- " for _ in table.headers) + "|",
    ]
    lines += ["| " + " | ".join(fmt.md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        cell=fmt.md_cell,
        inline=fmt.md_inline,
        text=fmt.md_text,
        fence=fmt.md_fence,
        table=md_table,
        ref=section_link,
    )
    return env


def section_link(section: str) -> str:
    """A link to a numbered section ("3.4" -> ``[3.4](#s3.4)``); anchors come from
    ``mdparse.anchor_headings``. "附录 B" links to the appendix of that letter."""
    if section.startswith("附录"):
        letter = section.removeprefix("附录").strip()
        return f"[附录 {letter}](#app{letter})"
    return f"[{section}](#s{section})"


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def tidy(markdown: str) -> str:
    """Collapse runs of blank lines outside code blocks; keep code blocks byte for byte."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
            elif not line.strip():
                if not out or not out[-1].strip():
                    continue
                line = ""
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
            fence = None
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"


GLOSSARY_SLOT = "@@GLOSSARY@@"


def render_view(view: DocumentView) -> str:
    """The document; the glossary appendix lists only the terms the rest of the text uses."""
    try:
        env = _environment()
        text = env.get_template(TEMPLATE).render(v=view)
        glossary = env.get_template("sections/glossary.md.j2").render(terms=used_terms(text.replace(GLOSSARY_SLOT, "")))
        return tidy(text.replace(GLOSSARY_SLOT, glossary))
    except jinja2.TemplateError as e:
        raise RenderError(f"template {TEMPLATE}: {e}") from None


def render_markdown(results: Results, *, source: str | None = None, findings: list[Finding] | None = None) -> str:
    """The whole Chinese document, as Markdown. ``source`` names the results file (provenance
    appendix). ``findings``: this render's findings (computed here when not given)."""
    return render_view(build_view(results, source=source, findings=findings))
