"""Markdown -> one HTML document (for reviewers, and for WeasyPrint's PDF).

The same markdown-it token stream as the DOCX writer (``mdparse``). Every piece of
text is escaped: code by markdown-it, text and raw HTML by the rules below (only
``<br>`` survives as a tag). Images referenced by relative path are inlined as data
URIs when ``self_contained``; a ``.png`` reference is drawn from its ``.svg`` twin
when the assets hold one (SVG in HTML/PDF, PNG in Markdown and DOCX).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from reportgen._resources import templates_dir
from reportgen.errors import RenderError
from reportgen.report.mdparse import (
    BOX_RUN,
    BR_TAG,
    HEADER_TERM,
    SHORT_TERM,
    ParsedDocument,
    guarded_units,
    image_source,
    landscape_blocks,
    make_parser,
    parse_markdown,
    table_geometry,
)

MIME = {"svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}


def default_css() -> str:
    return (templates_dir() / "report.css").read_text(encoding="utf-8")


def _text(s: str) -> str:
    """Escape, then set box-drawing runs in the Latin monospace font (one ASCII cell each)."""
    return BOX_RUN.sub(lambda m: f'<span class="box">{m.group(0)}</span>', escapeHtml(s))


def _rule_text(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    content = tokens[idx].content
    if env.get("guard"):  # a table cell whose lines wrap: numbers, units and short terms stay whole
        pieces = guarded_units(content, longest=HEADER_TERM if env.get("guard") == "head" else SHORT_TERM)
        return "".join(f'<span class="nb">{_text(t)}</span>' if keep else _text(t) for t, keep in pieces)
    return _text(content)


def _rule_cell_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    guard = bool((tokens[idx].meta or {}).get("guard"))
    env["guard"] = ("head" if tokens[idx].type == "th_open" else "body") if guard else False
    return self.renderToken(tokens, idx, options, env)


def _rule_cell_close(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    env["guard"] = False
    return self.renderToken(tokens, idx, options, env)


def _rule_code_inline(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    return f"<code>{_text(tokens[idx].content)}</code>"


def _rule_fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    tok = tokens[idx]
    lang = tok.info.strip().split(maxsplit=1)[0] if tok.info.strip() else ""
    cls = f' class="language-{escapeHtml(lang)}"' if lang else ""
    return f"<pre><code{cls}>{_text(tok.content)}</code></pre>\n"


def _rule_html_inline(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    content = tokens[idx].content
    return "<br>" if BR_TAG.fullmatch(content) else escapeHtml(content)


def _rule_html_block(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    return f'<p class="raw">{escapeHtml(tokens[idx].content.rstrip())}</p>\n'


def _rule_table_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    """``<table>`` and a ``<colgroup>`` with the columns the DOCX writer gives the same table
    (report.css lays tables out fixed: the same columns in Word and PDF, at a third of the cost)."""
    html = self.renderToken(tokens, idx, options, env)
    if not env.get("colgroups", True):
        return html
    shares = table_geometry(list(tokens), idx).shares
    if not shares:
        return html
    cols = "".join(f'<col style="width: {100 * s:.2f}%">' for s in shares)
    return f"{html}<colgroup>{cols}</colgroup>\n"


def _rule_image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    tok = tokens[idx]
    alt = self.renderInlineAsText(tok.children or [], options, env)
    src = str(tok.attrGet("src") or "")
    assets: dict[str, bytes] | None = env.get("assets")
    key = image_source(src, assets, prefer=("svg", "png"))
    if env.get("self_contained"):
        if not assets or key not in assets:
            raise RenderError(f"image {src!r} is referenced in the document but was not provided")
        suffix = key.rpartition(".")[2].lower()
        mime = MIME.get(suffix)
        if mime is None:
            raise RenderError(f"image {src!r}: unsupported image type .{suffix}")
        src_attr = f"data:{mime};base64,{base64.b64encode(assets[key]).decode('ascii')}"
    else:
        src_attr = escapeHtml(key)
    title = tok.attrGet("title")
    title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<img src="{src_attr}" alt="{escapeHtml(alt)}"{title_attr}>'


def _toc(body: Sequence[Token]) -> str:
    """目录 after the cover: sections and subsections, linked to their anchors; in the PDF
    each entry ends in its page number (CSS ``target-counter``), and WeasyPrint makes the
    headings PDF bookmarks."""
    items = []
    appendix = False
    for i, t in enumerate(body):
        if t.type == "heading_open" and t.tag in ("h2", "h3") and t.attrGet("id"):
            if t.tag == "h2":
                appendix = str(t.attrGet("id")).startswith("app")
            elif appendix:
                continue  # appendix subsections (one per raw output block) stay out of the TOC
            text = escapeHtml("".join(c.content for c in body[i + 1].children or [] if c.type in ("text", "code_inline")))
            items.append(f'<li class="toc-{t.tag}"><a href="#{escapeHtml(str(t.attrGet("id")))}">{text}</a></li>')
    if not items:
        return ""
    return '<nav class="toc">\n<p class="toc-title">目录</p>\n<ul>\n' + "\n".join(items) + "\n</ul>\n</nav>\n"


def markdown_to_html(
    md: str | ParsedDocument,
    *,
    title: str,
    assets: dict[str, bytes] | None = None,
    css: str | None = None,
    self_contained: bool = True,
) -> str:
    """One HTML5 document (``lang="zh-CN"``) with the CSS embedded, from the Markdown or its
    ``parse_markdown`` (which the DOCX writer can share: parsed once).

    ``assets`` maps the relative paths used in the Markdown (``charts/serving_tps.png``)
    to file contents. With ``self_contained`` every image is inlined and a reference to
    an image not in ``assets`` is a ``RenderError``; otherwise images stay links.
    """
    parser = make_parser()
    for name, rule in {
        "text": _rule_text,
        "code_inline": _rule_code_inline,
        "fence": _rule_fence,
        "code_block": _rule_fence,
        "html_inline": _rule_html_inline,
        "html_block": _rule_html_block,
        "image": _rule_image,
        "table_open": _rule_table_open,
        "th_open": _rule_cell_open,
        "td_open": _rule_cell_open,
        "th_close": _rule_cell_close,
        "td_close": _rule_cell_close,
    }.items():
        parser.add_render_rule(name, rule)
    doc = parse_markdown(md, parser) if isinstance(md, str) else md  # rendering never changes the tokens
    env = {"assets": assets or {}, "self_contained": self_contained}
    render = parser.renderer.render
    parts = []
    if doc.cover:
        cover_env = {**env, "colgroups": False}  # the cover's key/value table keeps its natural width
        parts.append(f'<section class="cover">\n{render(doc.cover, parser.options, cover_env)}</section>\n')
        parts.append(_toc(doc.body))
    body, pos = [], 0
    for start, end in landscape_blocks(doc.body):  # a table too wide for portrait, on its own landscape page(s)
        body.append(render(doc.body[pos:start], parser.options, env))
        body.append(f'<section class="landscape">\n{render(doc.body[start:end + 1], parser.options, env)}</section>\n')
        pos = end + 1
    body.append(render(doc.body[pos:], parser.options, env))
    parts.append(f'<main>\n{"".join(body)}</main>\n')
    style = (default_css() if css is None else css).replace("</", "<\\/")  # no early </style>
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escapeHtml(title)}</title>\n"
        f"<style>\n{style}\n</style>\n"
        "</head>\n<body>\n" + "".join(parts) + "</body>\n</html>\n"
    )
