"""The one Markdown parse that every output format walks.

``parse_markdown`` turns the document's Markdown into markdown-it tokens and applies
the few document conventions the HTML and DOCX writers share:

* headings h2-h4 are numbered ("1.", "2.1", "2.1.1") unless the text already numbers them;
* table cells that contain ``INVALID_MARK`` get the class ``invalid`` (drawn visibly marked),
  short cells the class ``short`` (never wrapped), tables of ``WIDE_TABLE_COLUMNS`` columns or
  more the class ``wide`` (set smaller);
* the part before the first section (the h1 title and what follows it) is the cover.

Raw HTML in the Markdown is never passed through: apart from ``<br>`` (line breaks in
table cells) the writers print it as text, so server-returned text cannot inject tags.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

INVALID_MARK = "无效"

# Box-drawing and block elements (tqdm/rich bars and frames), plus check marks: full-width
# in CJK monospace fonts, so the writers set them in a Latin monospace font.
BOX_RUN = re.compile(r"[\u2500-\u259F\u2713\u2714\u2717\u2718]+")
BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*\d+(\.\d+)*\.?(\s|$)")


def make_parser() -> MarkdownIt:
    """CommonMark with GFM tables and strikethrough. ``html`` stays on so that ``<br>``
    is recognised; the writers escape every other tag."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@dataclass
class ParsedDocument:
    cover: list[Token]  # the h1 title and what follows it up to the first section heading
    body: list[Token]


def _heading_level(tok: Token) -> int:
    return int(tok.tag[1])


def number_headings(tokens: list[Token], levels: tuple[int, int] = (2, 4)) -> None:
    """Prefix h2..h4 texts with their section numbers, unless any of them is numbered already."""
    lo, hi = levels
    heads = [
        (i, _heading_level(t))
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and lo <= _heading_level(t) <= hi
    ]
    if any(_NUMBERED.match(tokens[i + 1].content) for i, _ in heads):
        return
    counters = [0] * (hi - lo + 1)
    for i, level in heads:
        depth = level - lo
        counters[depth] += 1
        for d in range(depth + 1, len(counters)):
            counters[d] = 0
        parts = [str(c) for c in counters[: depth + 1]]
        number = (parts[0] + ".") if depth == 0 else ".".join(parts)
        inline = tokens[i + 1]
        inline.content = f"{number} {inline.content}"
        prefix = Token("text", "", 0)
        prefix.content = f"{number} "
        inline.children = [prefix, *(inline.children or [])]


WIDE_TABLE_COLUMNS = 8  # tables with this many columns or more are set smaller ("wide")
SHORT_CELL = 10  # cells this narrow (in half-em columns: CJK counts two) never wrap ("short")


def display_width(text: str) -> int:
    """Columns a line takes in a monospace sense: CJK and full-width characters count two, and so do
    the ambiguous ones ("·", "×", "÷", "“"), which the document's CJK font draws full width."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def mark_tables(tokens: list[Token]) -> None:
    """Class ``invalid`` on cells holding ``INVALID_MARK``; ``short`` on cells of at most
    ``SHORT_CELL`` columns (kept on one line: "错误", "batch", "2243.94"); ``wide`` on tables
    of ``WIDE_TABLE_COLUMNS`` columns or more."""
    table_open: Token | None = None
    columns = 0
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            table_open, columns = t, 0
        elif t.type == "thead_close" and table_open is not None and columns >= WIDE_TABLE_COLUMNS:
            table_open.attrJoin("class", "wide")
        if t.type in ("th_open", "td_open"):
            columns += t.type == "th_open"
            children = tokens[i + 1].children or []
            text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
            if display_width(text) <= SHORT_CELL and all(c.type != "html_inline" for c in children):
                t.attrJoin("class", "short")
            if t.type == "td_open" and INVALID_MARK in tokens[i + 1].content:
                t.attrJoin("class", "invalid")


# ---- table geometry, shared by the DOCX and HTML/PDF writers

TableRows = list[tuple[bool, list[tuple[Token, Token]]]]  # (header row?, [(th/td open token, inline)])
TEXT_WIDTH_PT = 493.2  # A4 (210 mm) minus 18 mm margins each side: the text width of both writers
_WORD = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]{1,2}|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# a header's CJK term keeps up to four characters together ("测试时长", "平均功耗"): it may wrap
# between terms, never inside a short one
_HEAD_WORD = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]{1,4}|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def table_rows(tokens: list[Token], i: int) -> tuple[TableRows, int]:
    """The rows of the table whose ``table_open`` is ``tokens[i]``, and the index of its ``table_close``."""
    rows: TableRows = []
    in_head = False
    while tokens[i].type != "table_close":
        t = tokens[i]
        if t.type == "thead_open":
            in_head = True
        elif t.type == "thead_close":
            in_head = False
        elif t.type == "tr_open":
            rows.append((in_head, []))
        elif t.type in ("th_open", "td_open"):
            rows[-1][1].append((t, tokens[i + 1]))
        i += 1
    return rows, i


def is_wide(table_open: Token) -> bool:
    return "wide" in str(table_open.attrGet("class") or "")


def table_font_pt(table_open: Token) -> float:
    """The table's font size in both writers (report.css: 8.5 pt, ``wide`` tables 7 pt)."""
    return 7.0 if is_wide(table_open) else 8.5


def table_columns(tokens: list[Token], i: int) -> tuple[TableRows, list[float], int]:
    """The rows of the table opened at ``tokens[i]``, its column shares (``column_shares``) and
    the index of its ``table_close``: the one table geometry of the DOCX and HTML writers."""
    rows, end = table_rows(tokens, i)
    ncols = max((len(cells) for _, cells in rows), default=0)
    shares = column_shares(rows, ncols, table_font_pt(tokens[i]), nowrap_first=is_wide(tokens[i])) if ncols else []
    return rows, shares, end


def column_shares(rows: TableRows, ncols: int, font_pt: float, *, nowrap_first: bool = False) -> list[float]:
    """Each column's share of the text width (summing to 1), the way a browser lays out an
    auto table: each column has a minimum and a maximum (its longest line); the text width
    gives every column its maximum when it can, else its minimum plus a share of the rest in
    proportion to what it lacks. The minimum is the longest unbreakable word, and at least
    the longest line up to ``SHORT_CELL`` columns (short cells do not wrap, text columns keep
    a readable width). Widths are counted in ~0.6 em cells of the font size; header cells
    count only their longest word (headers wrap between words, never inside one:
    "tokens_per_second" stays whole). Computed here once, so that Word and the PDF (a fixed
    table layout: WeasyPrint's auto layout measures every cell twice) give the same columns.
    ``nowrap_first``: the first column's lines never wrap (row labels of wide tables)."""
    pad = 3  # the cell's left and right margins, in cells
    lo, hi = [3] * ncols, [3] * ncols
    for head, cells in rows:
        for c, (_, inline) in enumerate(cells):
            text = inline.content.replace("\\", "")
            for line in BR_TAG.split(text):
                words = [display_width(w) for w in (_HEAD_WORD if head else _WORD).findall(line)] or [0]
                if head:  # headers wrap between words, not inside one; short ones ("成功请求数") not at all
                    width = display_width(line.strip())
                    whole = width if width <= SHORT_CELL else max(words)
                    hi[c] = max(hi[c], whole + pad)
                    lo[c] = max(lo[c], whole + pad)
                else:
                    width = display_width(line.strip())
                    hi[c] = max(hi[c], width + pad)
                    lo[c] = max(lo[c], max(max(words), min(width, SHORT_CELL)) + pad)
    if nowrap_first:
        lo[0] = hi[0]
    avail = TEXT_WIDTH_PT / (font_pt * 0.6)  # cells of ~0.6 em (Latin average; CJK counts two)
    if sum(hi) <= avail:
        share = [float(h) for h in hi]
    elif sum(lo) >= avail:
        share = [float(x) for x in lo]
    else:
        lack = [h - x for h, x in zip(hi, lo)]
        share = [x + (avail - sum(lo)) * d / sum(lack) for x, d in zip(lo, lack)]
    total = sum(share)
    return [c / total for c in share]


def split_cover(tokens: list[Token]) -> ParsedDocument:
    """The leading h1 and everything up to the next heading is the cover; no h1 first: no cover."""
    if not tokens or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        return ParsedDocument(cover=[], body=tokens)
    for i in range(3, len(tokens)):
        if tokens[i].type == "heading_open":
            return ParsedDocument(cover=tokens[:i], body=tokens[i:])
    return ParsedDocument(cover=tokens, body=[])


_SECTION = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?(?:\s|$)")
_APPENDIX = re.compile(r"^\s*附录\s*([A-Z])")


def anchor_headings(tokens: list[Token]) -> None:
    """``id`` on every heading: ``s3.4`` for "3.4 …", ``appB`` for "附录 B …", ``conclusion``
    and ``toc`` for 结论 and 目录, ``h<n>`` otherwise; links in the text point at these."""
    seen: set[str] = set()
    for i, t in enumerate(tokens):
        if t.type != "heading_open":
            continue
        text = re.sub(r"\\(.)", r"\1", tokens[i + 1].content)  # as read: "3\.5 容量" (escaped by the template) is 3.5
        m, a = _SECTION.match(text), _APPENDIX.match(text)
        if m:
            hid = "s" + m.group(1)
        elif a:
            hid = "app" + a.group(1)
        elif text.strip() == "结论":
            hid = "conclusion"
        elif text.strip() == "目录":
            hid = "toc"
        else:
            hid = f"h{i}"
        if hid in seen:
            hid = f"{hid}-{i}"
        seen.add(hid)
        t.attrSet("id", hid)


def parse_markdown(md: str, parser: MarkdownIt | None = None) -> ParsedDocument:
    tokens = (parser or make_parser()).parse(md)
    number_headings(tokens)
    anchor_headings(tokens)
    mark_tables(tokens)
    return split_cover(tokens)


def image_source(src: str, assets: dict[str, bytes] | None, prefer: tuple[str, ...]) -> str:
    """The asset key to use for an image referenced as ``src``: the same path with the first
    suffix of ``prefer`` that ``assets`` holds (a ``.png`` reference can be drawn from its
    ``.svg`` twin), else ``src`` itself (normalised)."""
    key = src[2:] if src.startswith("./") else src
    if assets:
        stem, dot, _ = key.rpartition(".")
        if dot:
            for suffix in prefer:
                alt = f"{stem}.{suffix}"
                if alt in assets:
                    return alt
    return key


def cell_alignment(tok: Token) -> str | None:
    """'left' | 'center' | 'right' from a th_open/td_open's style attribute."""
    style = str(tok.attrGet("style") or "")
    m = re.search(r"text-align:\s*(left|center|right)", style)
    return m.group(1) if m else None
