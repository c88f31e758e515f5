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


KEEP_TOGETHER_ROWS = 16  # tables up to this many body rows are never split across pages ("keep")


def mark_tables(tokens: list[Token]) -> None:
    """Class ``invalid`` on cells holding ``INVALID_MARK``; ``short`` on cells of at most
    ``SHORT_CELL`` columns (kept on one line: "错误", "batch", "2243.94"); ``wide`` on tables
    of ``WIDE_TABLE_COLUMNS`` columns or more; ``keep`` on tables of at most ``KEEP_TOGETHER_ROWS``
    body rows (one page, never two rows left on the next); ``lead`` on a paragraph that leads into
    a table or a code block (it stays on the page of what it introduces)."""
    table_open: Token | None = None
    columns = 0
    body_rows = 0
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            table_open, columns, body_rows = t, 0, 0
            if i >= 3 and tokens[i - 1].type == "paragraph_close" and tokens[i - 3].type == "paragraph_open":
                tokens[i - 3].attrJoin("class", "lead")
        elif t.type in ("fence", "code_block") and i >= 3 and tokens[i - 1].type == "paragraph_close" \
                and tokens[i - 3].type == "paragraph_open":
            tokens[i - 3].attrJoin("class", "lead")
        elif t.type == "thead_close" and table_open is not None and columns >= WIDE_TABLE_COLUMNS:
            table_open.attrJoin("class", "wide")
        elif t.type == "tr_open" and table_open is not None:
            body_rows += 1
        elif t.type == "table_close" and table_open is not None and body_rows - 1 <= KEEP_TOGETHER_ROWS:
            table_open.attrJoin("class", "keep")
        if t.type in ("th_open", "td_open"):
            columns += t.type == "th_open"
            children = tokens[i + 1].children or []
            text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
            if display_width(text) <= SHORT_CELL and all(c.type != "html_inline" for c in children):
                t.attrJoin("class", "short")
            if t.type == "td_open" and INVALID_MARK in tokens[i + 1].content:
                t.attrJoin("class", "invalid")


# ---- table geometry, shared by the DOCX and HTML/PDF writers
#
# One computation per table, cached on its ``table_open`` token: the font size, the page
# orientation, each column's width and which cells must keep their words whole. Widths are
# measured in points with real advance widths (``REGULAR``/``BOLD``: printable ASCII, the wider
# of Noto Sans CJK SC, the PDF's font, and DejaVu Sans, which LibreOffice draws a DOCX's Latin
# text in where Microsoft YaHei is missing; ``scripts/font_widths.py`` prints them), CJK and
# full-width characters one em. A number, a unit, a Latin word and a CJK term of up to four
# characters are "units" that never break: every column is at least as wide as its widest unit,
# and the width left over goes where it saves the most lines. A table whose units do not fit the
# portrait text width is set on a landscape page.

TableRows = list[tuple[bool, list[tuple[Token, Token]]]]  # (header row?, [(th/td open token, inline)])
TEXT_WIDTH_PT = 493.2  # A4 (210 mm) minus 18 mm margins each side: the text width of both writers
LANDSCAPE_WIDTH_PT = 739.8  # A4 landscape (297 mm) minus the same margins
CELL_PAD_PT = 12.0  # a cell's left and right padding (PDF 2 x 5 pt, Word's default 2 x 5.4 pt) and its borders
GUARD_FILL = 0.8  # a cell line longer than this share of its column is treated as one that may wrap
SHORT_TERM = 4  # CJK terms up to this many characters stay whole ("测试时长", "评分口径", "未判定")
HEADER_TERM = 6  # in a column head, up to this many ("输入词元总数", "预填充吞吐"): heads are few words

REGULAR = (318, 401, 474, 838, 636, 950, 780, 278, 390, 390, 500, 838, 318, 361, 318, 392, 636, 636, 636, 636, 636, 636,
           636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 535, 656,
           557, 863, 748, 787, 633, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 392, 390, 838, 559, 606, 613,
           635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 284, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818,
           592, 592, 525, 636, 337, 636, 838)
BOLD = (348, 456, 574, 838, 696, 1002, 872, 325, 457, 457, 523, 838, 380, 415, 380, 387, 696, 696, 696, 696, 696, 696, 696,
        696, 696, 696, 400, 400, 838, 838, 838, 580, 1007, 774, 762, 734, 830, 683, 683, 821, 837, 372, 568, 775, 637, 995,
        837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 387, 457, 838, 567, 626, 675, 716, 593,
        716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
        582, 712, 365, 712, 838)
WORD_JOINER = "\u2060"  # joins what must not break, in the DOCX (LibreOffice and Word honour it)
BREAK_HERE = "\u200b"  # a break opportunity between two units with no space between them ("、" then "P90")

_IDEOGRAPH = "\u3400-\u9fff\uf900-\ufaff"
_FULLWIDTH_PUNCT = "\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026"
_UNIT = re.compile(rf"[{_IDEOGRAPH}]+|[^\s{_IDEOGRAPH}{_FULLWIDTH_PUNCT}]+|[{_FULLWIDTH_PUNCT}]")
_OPENING = set("（「『【《〈“‘〔")  # kept with the unit after it
_GUARD_INSIDE = re.compile(r"[/\-–—(),:;]")  # where a renderer may break inside a Latin unit


def text_width_em(text: str, *, bold: bool = False) -> float:
    """The width of ``text`` in ems of the table font (see ``REGULAR``)."""
    table = BOLD if bold else REGULAR
    em = 0.0
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7F:
            em += table[o - 0x20] / 1000
        elif ch in (WORD_JOINER, BREAK_HERE):
            continue
        elif unicodedata.east_asian_width(ch) in "WFA":
            em += 1.0  # CJK, full-width, and the ambiguous "·", "×", "÷", "“" a CJK font draws full width
        else:
            em += 0.7
    return em


@dataclass(frozen=True)
class Unit:
    text: str
    breakable: bool  # a CJK run longer than SHORT_TERM: lines may break between its characters


def units(line: str, *, longest: int = SHORT_TERM) -> list[Unit]:
    """The pieces of one line of a cell that never break inside: numbers, units and Latin words
    ("22736.84", "(tok/s)", "GPTQ-Int4", "75.20%"), CJK terms of up to four characters, each
    with the full-width punctuation that cannot start or end a line beside it ("（未安装）")."""
    raw = _UNIT.findall(line)
    out: list[str] = []
    pending = ""
    for piece in raw:
        if len(piece) == 1 and re.fullmatch(f"[{_FULLWIDTH_PUNCT}]", piece):
            if piece in _OPENING:
                pending += piece
            elif out:
                out[-1] += piece  # closing punctuation stays with what it closes
            else:
                pending += piece
            continue
        out.append(pending + piece)
        pending = ""
    if pending:
        out.append(pending)
    return [Unit(u, breakable=len(re.sub(f"[^{_IDEOGRAPH}]", "", u)) > longest) for u in out]


def _unit_min_em(u: Unit, bold: bool) -> float:
    if not u.breakable:
        return text_width_em(u.text, bold=bold)
    return 2.0  # a long CJK run breaks between characters: a character and its punctuation


def guard_text(line: str, joiner: str = WORD_JOINER, *, longest: int = SHORT_TERM) -> str:
    """``line`` with ``joiner`` between the characters of every short CJK term and after each
    in-word break opportunity of a Latin unit, and ``BREAK_HERE`` between two units that touch
    (LibreOffice sees no break between "、" and "P90": the units would run together into one too
    wide for the column): for writers that cannot mark a span as no-wrap."""
    out = []
    for piece in re.split(r"(\s+)", line):
        if not piece or piece.isspace():
            out.append(piece)
            continue
        joined = []
        for u in units(piece, longest=longest):
            text = u.text
            if not u.breakable and len(text) > 1:
                text = joiner.join(text) if re.search(f"[{_IDEOGRAPH}]", text) else _GUARD_INSIDE.sub(
                    lambda m: m.group(0) + joiner, text)
            joined.append(text)
        out.append(BREAK_HERE.join(joined))
    return "".join(out)


def guarded_units(line: str, *, longest: int = SHORT_TERM) -> list[tuple[str, bool]]:
    """``line`` split into (text, keep whole?) pieces, in order, for writers that mark no-wrap
    spans (HTML): a piece is kept whole when it is a unit that a renderer could break."""
    out: list[tuple[str, bool]] = []
    for piece in re.split(r"(\s+)", line):
        if not piece:
            continue
        if piece.isspace():
            out.append((piece, False))
            continue
        for u in units(piece, longest=longest):
            keep = not u.breakable and len(u.text) > 1 and (
                bool(re.search(f"[{_IDEOGRAPH}]", u.text)) or bool(_GUARD_INSIDE.search(u.text)))
            out.append((u.text, keep))
    return out


def cell_lines(inline: Token) -> list[str]:
    """A cell's text, one string per line (``<br>`` breaks a line; escapes resolved)."""
    lines = [""]
    for c in inline.children or []:
        if c.type in ("text", "code_inline"):
            lines[-1] += c.content
        elif c.type == "softbreak":
            lines[-1] += " "
        elif c.type == "html_inline" and BR_TAG.fullmatch(c.content):
            lines.append("")
        elif c.content:
            lines[-1] += c.content
    return lines


@dataclass
class TableGeometry:
    font_pt: float
    landscape: bool
    widths_pt: list[float]  # each column's width (they sum to the text width of the page)
    guard: set[tuple[int, int]]  # (row, column) of the cells whose lines wrap: their units are kept whole

    @property
    def shares(self) -> list[float]:
        total = sum(self.widths_pt)
        return [w / total for w in self.widths_pt]


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
    """The rows of the table opened at ``tokens[i]``, its column shares and the index of its
    ``table_close``: the one table geometry of the DOCX and HTML writers (``table_geometry``)."""
    rows, end = table_rows(tokens, i)
    return rows, table_geometry(tokens, i).shares, end


def table_geometry(tokens: list[Token], i: int) -> TableGeometry:
    """The geometry of the table opened at ``tokens[i]``, computed once and kept on the token."""
    cached = tokens[i].meta.get("geometry") if tokens[i].meta else None
    if isinstance(cached, TableGeometry):
        return cached
    rows, _ = table_rows(tokens, i)
    font = table_font_pt(tokens[i])
    geometry = layout_table(
        [[(head, cell_lines(inline)) for _, inline in cells] for head, cells in rows], font,
        nowrap_first=is_wide(tokens[i]))
    tokens[i].meta = {**(tokens[i].meta or {}), "geometry": geometry}
    for r, (_, cells) in enumerate(rows):
        for c, (open_tok, _) in enumerate(cells):
            if (r, c) in geometry.guard:
                open_tok.meta = {**(open_tok.meta or {}), "guard": True}
    return geometry


def layout_table(rows: list[list[tuple[bool, list[str]]]], font_pt: float, *, nowrap_first: bool = False) -> TableGeometry:
    """Column widths for ``rows`` (per row, per cell: (header?, lines)). Every column gets the
    width of its widest unit (``units``); the page is landscape when those do not fit the portrait
    width. The width left over goes, a step at a time, to the column where it removes the most
    lines from the table (rows are as tall as their tallest cell), until every column holds its
    longest line or nothing is left. ``nowrap_first``: the first column's lines never wrap (the row
    labels of wide tables)."""
    ncols = max((len(r) for r in rows), default=0)
    if not ncols:
        return TableGeometry(font_pt, False, [], set())
    lo = [CELL_PAD_PT + font_pt] * ncols
    hi = list(lo)
    widths_em: list[list[list[float]]] = []  # per row, per cell: each line's width (em)
    for r in rows:
        row_w = []
        for c, (head, lines) in enumerate(r):
            line_em = [text_width_em(line.strip(), bold=head) for line in lines]
            unit_em = max((_unit_min_em(u, head) for line in lines
                           for u in units(line, longest=HEADER_TERM if head else SHORT_TERM)), default=0.0)
            short = [e for line, e in zip(lines, line_em) if display_width(line.strip()) <= SHORT_CELL]
            unit_em = max([unit_em, *short])  # a short cell ("short" in HTML) is one line: "错误", "2243.94"
            if nowrap_first and c == 0:
                unit_em = max(line_em, default=0.0)
            lo[c] = max(lo[c], unit_em * font_pt + CELL_PAD_PT)
            hi[c] = max(hi[c], max(line_em, default=0.0) * font_pt + CELL_PAD_PT)
            row_w.append(line_em)
        widths_em.append(row_w)
    landscape = sum(lo) > TEXT_WIDTH_PT
    avail = LANDSCAPE_WIDTH_PT if landscape else TEXT_WIDTH_PT
    if sum(hi) <= avail:
        widths = list(hi)
    elif sum(lo) >= avail:
        widths = list(lo)
    else:
        widths = _spread(lo, hi, widths_em, font_pt, avail)
    scale = avail / sum(widths)  # the table spans the text width
    widths = [w * scale for w in widths]
    # cells that wrap, or may: Word and LibreOffice measure Latin text up to a fifth wider than the estimate
    guard = {(ri, c) for ri, row in enumerate(widths_em) for c, line_em in enumerate(row)
             if any(e * font_pt + CELL_PAD_PT > GUARD_FILL * widths[c] for e in line_em)}
    return TableGeometry(font_pt, landscape, widths, guard)


def _spread(lo: list[float], hi: list[float], widths_em: list[list[list[float]]], font_pt: float,
            avail: float) -> list[float]:
    """Give the width between ``sum(lo)`` and ``avail`` to the columns, in steps, each step to the
    column that lowers the table's (smoothly estimated) height the most."""
    widths = list(lo)
    ncols = len(widths)
    steps = 60
    step = (avail - sum(lo)) / steps
    cells = [[row[c] if c < len(row) else [] for c in range(ncols)] for row in widths_em]

    def col_lines(c: int, width: float) -> list[float]:
        inner = max(width - CELL_PAD_PT, 1.0)
        return [sum(max(1.0, e * font_pt / inner) for e in row[c]) if row[c] else 1.0 for row in cells]

    current = [col_lines(c, widths[c]) for c in range(ncols)]  # per column, per row: lines
    nrows = len(cells)
    for _ in range(steps):
        # per row: the tallest cell, its column, and the tallest of the others (a row's height without c)
        top = [max(range(ncols), key=[col[r] for col in current].__getitem__) for r in range(nrows)]
        first = [current[top[r]][r] for r in range(nrows)]
        second = [max((current[k][r] for k in range(ncols) if k != top[r]), default=1.0) for r in range(nrows)]
        total = sum(first)
        best, gain = None, 0.0
        for c in range(ncols):
            if widths[c] >= hi[c]:
                continue
            trial = col_lines(c, min(hi[c], widths[c] + step))
            g = total - sum(max(t, second[r] if top[r] == c else first[r]) for r, t in enumerate(trial))
            if g > gain + 1e-9:
                best, gain = c, g
        if best is None:  # no single column shortens the table: share what is left as browsers do
            lack = [max(h - w, 0.0) for h, w in zip(hi, widths)]
            left = avail - sum(widths)
            if sum(lack) > 0:
                widths = [w + left * d / sum(lack) for w, d in zip(widths, lack)]
            break
        widths[best] = min(hi[best], widths[best] + step)
        current[best] = col_lines(best, widths[best])
    return widths


def landscape_blocks(tokens: list[Token]) -> list[tuple[int, int]]:
    """(first token, ``table_close`` index) of every table set on a landscape page, with what leads
    into it (the headings and the sentence right before it), so that no heading is left alone at
    the foot of the portrait page before."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].type == "table_open" and tokens[i].level == 0 and table_geometry(tokens, i).landscape:
            start = i
            while start >= 3 and tokens[start - 1].type in ("paragraph_close", "heading_close") and \
                    tokens[start - 3].type in ("paragraph_open", "heading_open") and tokens[start - 3].level == 0 and \
                    (tokens[start - 3].type == "heading_open" or "lead" in str(tokens[start - 3].attrGet("class") or "")) and \
                    (not out or start - 3 > out[-1][1]):
                start -= 3
            _, end = table_rows(tokens, i)
            out.append((start, end))
            i = end
        i += 1
    return out


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
