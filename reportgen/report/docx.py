"""Markdown -> DOCX with python-docx, walking the same markdown-it token stream as the HTML.

Headings (h1 = Title, h2.. = Heading 1..), paragraphs with bold/italic/strike/code runs,
bullet and numbered lists, tables ("Table Grid", header rows repeated on each page via
``w:tblHeader``, ``<br>`` as line breaks, cells with the INVALID mark shaded), fenced code
in a shaded monospace paragraph style, and PNG images (a ``.svg`` reference is drawn
from its ``.png`` twin: Word has no SVG here).

Fonts: the default template's theme font attributes are removed (they override
``w:eastAsia`` in Word) and every style names real fonts: Microsoft YaHei for Chinese
and Latin text (what Windows users have; the font table entry carries its GB2312
charset and family so Word substitutes a Chinese sans font, e.g. SimSun/DengXian, where
it is missing, and LibreOffice falls back to Noto Sans CJK SC through fontconfig),
Consolas for code. docDefaults say ``w:lang w:eastAsia="zh-CN"``.

Links: every heading carries a bookmark named after its anchor id (``bookmark_name``), and
a ``#anchor`` link becomes a ``w:hyperlink`` to that bookmark; other links (external ones,
or an anchor no heading has) stay coloured text, never a link that leads nowhere.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.paragraph import CT_P
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree
from markdown_it.token import Token

from reportgen._atomic import write_atomic
from reportgen.errors import RenderError
from reportgen.report.mdparse import (
    BOX_RUN,
    BR_TAG,
    HEADER_TERM,
    KEEP_TOGETHER_ROWS,
    SHORT_TERM,
    TEXT_WIDTH_PT,
    ParsedDocument,
    cell_alignment,
    guard_text,
    image_source,
    landscape_blocks,
    parse_markdown,
    table_geometry,
    table_rows,
)
from reportgen.report.pagination import NEW_PAGE
from reportgen.report.safe_text import LIMITS, document_text

BODY_FONT = "Microsoft YaHei"
CODE_FONT = "Consolas"
HEADING_COLOR = RGBColor(0x1F, 0x4E, 0x79)
CODE_FILL = "F6F7F9"
HEADER_FILL = "E8EEF5"
INVALID_FILL = "FDE7E7"
INVALID_COLOR = RGBColor(0xA4, 0x00, 0x00)
TEXT_WIDTH = Pt(TEXT_WIDTH_PT)  # A4 (21 cm) minus 1.8 cm margins
IMAGE_WIDTH = Cm(15.5)
LINK_STYLE = "Hyperlink"  # the character style of internal links (Word's own name for it)

# Child order Word insists on (LibreOffice is lenient); used to insert elements in place.
_PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
    "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()
_RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
    "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl "
    "cs em lang eastAsianLayout specVanish oMath"
).split()
_TCPR_ORDER = "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark".split()
_TRPR_ORDER = "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc hidden".split()


def _set_child(parent: etree._Element, tag: str, order: list[str], **attrs: str) -> etree._Element:
    """Replace (or add) ``w:tag`` under ``parent`` at its schema position, with ``attrs``."""
    old = parent.find(qn(f"w:{tag}"))
    if old is not None:
        parent.remove(old)
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    rank = order.index(tag)
    for i, child in enumerate(parent):
        name = etree.QName(child).localname
        if name in order and order.index(name) > rank:
            parent.insert(i, el)
            break
    else:
        parent.append(el)
    return el


def _set_fonts(rpr: etree._Element, latin: str, east_asia: str) -> None:
    _set_child(rpr, "rFonts", _RPR_ORDER, ascii=latin, hAnsi=latin, eastAsia=east_asia, cs=latin)


# --------------------------------------------------------------------------- document set-up


def _font_table_entry(name: str, alt: str | None, panose: str, charset: str, family: str, pitch: str) -> str:
    alt_el = f'<w:altName w:val="{alt}"/>' if alt else ""
    return (
        f'<w:font xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:name="{name}">'
        f'{alt_el}<w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
    )


def _fix_font_table(doc: DocxDocument) -> None:
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            root = etree.fromstring(part.blob)
            for entry in (
                _font_table_entry(BODY_FONT, "微软雅黑", "020B0503020204020204", "86", "swiss", "variable"),
                _font_table_entry("SimSun", "宋体", "02010600030101010101", "86", "auto", "variable"),
                _font_table_entry(CODE_FONT, None, "020B0609020204030204", "00", "modern", "fixed"),
            ):
                el = etree.fromstring(entry)
                for old in root.findall(qn("w:font")):
                    if old.get(qn("w:name")) == el.get(qn("w:name")):
                        root.remove(old)
                root.append(el)
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _setup_styles(doc: DocxDocument) -> None:
    styles_el = doc.styles.element
    # Theme fonts (w:asciiTheme, w:eastAsiaTheme, ...) override the named fonts in Word.
    for rfonts in styles_el.iter(qn("w:rFonts")):
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            rfonts.attrib.pop(qn(f"w:{attr}"), None)
    defaults = styles_el.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, BODY_FONT, BODY_FONT)
    _set_child(rpr, "sz", _RPR_ORDER, val="20")
    _set_child(rpr, "szCs", _RPR_ORDER, val="20")
    _set_child(rpr, "lang", _RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    _set_child(ppr, "spacing", _PPR_ORDER, after="100", line="300", lineRule="auto")

    for style in doc.styles:
        el = style.element
        if el.find(qn("w:rPr")) is not None and el.find(qn("w:rPr")).find(qn("w:rFonts")) is not None:
            _set_fonts(el.find(qn("w:rPr")), BODY_FONT, BODY_FONT)

    sizes = {"Title": 24, "Heading 1": 15, "Heading 2": 12.5, "Heading 3": 11, "Heading 4": 10.5, "Heading 5": 10}
    for name, size in sizes.items():
        st = doc.styles[name]
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.italic = False
        st.font.color.rgb = HEADING_COLOR
        _set_fonts(st.element.get_or_add_rPr(), BODY_FONT, BODY_FONT)
        st.paragraph_format.keep_with_next = True
    doc.styles["Title"].paragraph_format.space_after = Pt(24)

    cell = doc.styles.add_style("Table Text", 1)  # a table cell's paragraph: one style, not 3 settings per cell
    cell.base_style = doc.styles["Normal"]
    cell.paragraph_format.space_before = Pt(1.5)
    cell.paragraph_format.space_after = Pt(1.5)
    cell.paragraph_format.line_spacing = 1.1

    # Word's name for link text; LibreOffice's PDF export drops a link whose runs have no character style
    link = doc.styles.add_style(LINK_STYLE, 2)  # WD_STYLE_TYPE.CHARACTER
    link.font.color.rgb = HEADING_COLOR
    link.font.underline = False

    code = doc.styles.add_style("Code Block", 1)  # WD_STYLE_TYPE.PARAGRAPH
    code.base_style = doc.styles["Normal"]
    code.font.size = Pt(7.5)
    code_rpr = code.element.get_or_add_rPr()
    _set_fonts(code_rpr, CODE_FONT, BODY_FONT)
    code.paragraph_format.space_before = Pt(3)
    code.paragraph_format.space_after = Pt(6)
    code.paragraph_format.line_spacing = 1.0
    code_ppr = code.element.get_or_add_pPr()
    bdr = _set_child(code_ppr, "pBdr", _PPR_ORDER)
    for side in ("top", "left", "bottom", "right"):
        b = OxmlElement(f"w:{side}")
        for k, v in {"val": "single", "sz": "4", "space": "4", "color": "D5D9E0"}.items():
            b.set(qn(f"w:{k}"), v)
        bdr.append(b)
    _set_child(code_ppr, "shd", _PPR_ORDER, val="clear", color="auto", fill=CODE_FILL)

    # the theme's East Asian language: the default template says ja-JP, and Word (LibreOffice too)
    # then draws theme-font text with Japanese glyph forms
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        doc.settings.element.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(2.0)
    _fix_font_table(doc)
    _page_numbers(section)


def _page_numbers(section) -> None:  # noqa: ANN001 - docx.section.Section
    """Footer "n / N", as the PDF has (fields Word and LibreOffice fill in)."""
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, field in enumerate(("PAGE", "NUMPAGES")):
        if i:
            para.add_run(" / ").font.size = Pt(8)
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), field)
        run = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "16")
        rpr.append(size)
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(rpr)
        run.append(text)
        simple.append(run)
        para._p.append(simple)


def _shade(parent_pr: etree._Element, order: list[str], fill: str) -> None:
    _set_child(parent_pr, "shd", order, val="clear", color="auto", fill=fill)


# --------------------------------------------------------------------------- bookmarks and links

_BOOKMARK_MAX = 40  # Word drops (LibreOffice truncates) longer bookmark names
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def bookmark_name(anchor: str) -> str:
    """The Word bookmark name of a heading anchor id (``s3.4`` -> ``s3_4``): letters, digits and
    ``_`` only, starting with a letter (a leading ``_`` would make it a hidden bookmark)."""
    name = _NOT_NAME.sub("_", anchor)
    if not name[:1].isalpha():
        name = "b" + name
    return name[:_BOOKMARK_MAX]


def bookmark_names(tokens: Iterable[Token]) -> dict[str, str]:
    """Anchor id -> bookmark name for every heading in ``tokens``, names unique (two ids that map
    to one name, or that only differ past 40 characters, get a numbered suffix)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for t in tokens:
        anchor = t.attrGet("id") if t.type == "heading_open" else None
        if not anchor or str(anchor) in names:
            continue
        name = base = bookmark_name(str(anchor))
        n = 1
        while name in taken:
            n += 1
            name = f"{base[: _BOOKMARK_MAX - len(str(n)) - 1]}_{n}"
        taken.add(name)
        names[str(anchor)] = name
    return names


def _bookmark(p: CT_P, name: str, bid: int) -> None:
    """Bookmark the whole paragraph: start after its properties, end after its last run."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    p.insert(1 if p.pPr is not None else 0, start)
    p.append(end)


def _wrap_hyperlink(p: CT_P, first: int, anchor: str, style_id: str) -> None:
    """Move the children of ``p`` from index ``first`` on (the link's runs) into a ``w:hyperlink``,
    in the character style ``style_id``."""
    runs = list(p)[first:]
    if not runs:  # "[](#s3)": nothing to click
        return
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    for child in runs:
        if child.tag == qn("w:r"):
            _set_child(child.get_or_add_rPr(), "rStyle", _RPR_ORDER, val=style_id)
        link.append(child)  # lxml moves the element
    p.append(link)


# --------------------------------------------------------------------------- inline runs


@dataclass
class _RunStyle:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    link: bool = False
    size: Pt | None = None
    color: RGBColor | None = None
    # a table cell whose lines wrap: its text carries word joiners, and no East Asian language,
    # since LibreOffice's Chinese line breaker ignores joiners (the Unicode rules it uses otherwise keep them)
    guard: bool = False


def _add_text(paragraph: Paragraph, text: str, st: _RunStyle, *, code: bool = False, block: bool = False) -> None:
    """Add ``text`` as runs; box-drawing runs get a Latin monospace font in every slot.
    ``code``: inline code (shaded) or, with ``block``, a line of a code block."""
    pos = 0
    for m in BOX_RUN.finditer(text):
        if m.start() > pos:
            _run(paragraph, text[pos : m.start()], st, code=code, block=block)
        _run(paragraph, m.group(0), st, code=code, block=block, box=True)
        pos = m.end()
    if pos < len(text):
        _run(paragraph, text[pos:], st, code=code, block=block)


def _run(
    paragraph: Paragraph, text: str, st: _RunStyle, *, code: bool = False, block: bool = False, box: bool = False
) -> Run:
    run = paragraph.add_run(text)
    if st.bold:  # setting False/None would still add an empty <w:rPr> to every run
        run.bold = True
    if st.italic:
        run.italic = True
    if st.strike:
        run.font.strike = True
    if st.size is not None:
        run.font.size = st.size
    if st.color is not None:
        run.font.color.rgb = st.color
    elif st.link:
        run.font.color.rgb = HEADING_COLOR
    if st.guard:
        _set_child(run._r.get_or_add_rPr(), "lang", _RPR_ORDER, eastAsia="x-none")
    if code or box:
        rpr = run._r.get_or_add_rPr()
        _set_fonts(rpr, CODE_FONT, CODE_FONT if box else BODY_FONT)
        if code and not block and st.size is None:
            run.font.size = Pt(9)
    if code and not box and not block:
        _shade(run._r.get_or_add_rPr(), _RPR_ORDER, "F2F4F7")
    return run


class _Writer:
    def __init__(self, doc: DocxDocument, assets: dict[str, bytes]) -> None:
        self.doc = doc
        self.assets = assets
        # python-docx resolves a style name by scanning styles.xml each time: look them up once
        names = ["Title", "Quote", "Code Block", "Table Grid", "Table Text", LINK_STYLE] + [f"Heading {n}" for n in range(1, 6)]
        self.style_ids = {name: doc.styles[name].style_id for name in names}
        self.lists: list[list] = []  # stack of [kind, next number]
        self.item_first_para = False
        self.quote = 0
        self.bookmarks: dict[str, str] = {}  # heading anchor id -> bookmark name (the whole document's)
        self.bookmark_id = 0
        self.guard: str | bool = False  # inside a table cell whose lines wrap: "head" or "body"

    # ---- inline

    def inline(self, paragraph: Paragraph, children: Iterable[Token], base: _RunStyle | None = None) -> None:
        st = _RunStyle(**vars(base)) if base else _RunStyle()
        link: tuple[int, str] | None = None  # an open internal link: (first child index in w:p, bookmark)
        for tok in children:
            t = tok.type
            if t == "text":
                text = tok.content
                if self.guard:
                    text = guard_text(text, longest=HEADER_TERM if self.guard == "head" else SHORT_TERM)
                _add_text(paragraph, text, st)
            elif t == "code_inline":
                _add_text(paragraph, tok.content, st, code=True)
            elif t == "softbreak":
                _run(paragraph, " ", st)
            elif t == "hardbreak":
                paragraph.add_run().add_break()
            elif t == "html_inline":
                if BR_TAG.fullmatch(tok.content):
                    paragraph.add_run().add_break()
                else:
                    _add_text(paragraph, tok.content, st)
            elif t in ("strong_open", "strong_close"):
                st.bold = t == "strong_open" or (base.bold if base else False)
            elif t in ("em_open", "em_close"):
                st.italic = t == "em_open"
            elif t in ("s_open", "s_close"):
                st.strike = t == "s_open"
            elif t == "link_open":
                st.link = True
                href = str(tok.attrGet("href") or "")
                target = self.bookmarks.get(href[1:]) if href.startswith("#") else None
                link = (len(paragraph._p), target) if target else None
            elif t == "link_close":
                st.link = False
                if link is not None:
                    _wrap_hyperlink(paragraph._p, *link, self.style_ids[LINK_STYLE])
                    link = None
            elif t == "image":
                self.image(paragraph, tok)
            else:  # unknown inline token: keep its text
                if tok.content:
                    _add_text(paragraph, tok.content, st)

    def image(self, paragraph: Paragraph, tok: Token) -> None:
        src = str(tok.attrGet("src") or "")
        key = image_source(src, self.assets, prefer=("png", "jpg", "jpeg", "gif"))
        if key not in self.assets:
            raise RenderError(f"image {src!r} is referenced in the document but was not provided")
        if key.rpartition(".")[2].lower() == "svg":
            raise RenderError(f"image {src!r}: DOCX needs a PNG version of this SVG")
        try:
            shape = paragraph.add_run().add_picture(io.BytesIO(self.assets[key]))
        except Exception as e:  # python-docx raises several types for unreadable images
            raise RenderError(f"image {src!r} cannot be placed in the DOCX: {e}") from None
        limit = IMAGE_WIDTH if len(paragraph.runs) == 1 else TEXT_WIDTH
        if shape.width > limit:
            shape.height = Emu(int(shape.height * limit / shape.width))
            shape.width = Emu(limit)
        if len(paragraph.runs) == 1:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # ---- blocks

    def paragraph(self) -> Paragraph:
        p = self.doc.add_paragraph()
        if self.lists:
            depth = len(self.lists)
            fmt = p.paragraph_format
            fmt.left_indent = Cm(0.75 * depth)
            if self.item_first_para:
                kind = self.lists[-1]
                marker = f"{kind[1]}." if kind[0] == "ol" else ("•" if depth % 2 else "◦")
                if kind[0] == "ol":
                    kind[1] += 1
                fmt.first_line_indent = Cm(-0.75)
                fmt.tab_stops.add_tab_stop(Cm(0.75 * depth))
                p.add_run(f"{marker}\t")
                self.item_first_para = False
            fmt.space_after = Pt(2)
        elif self.quote:
            p._p.style = self.style_ids["Quote"]
        return p

    def code(self, content: str) -> None:
        body = self.doc.element.body
        last = body[-2] if len(body) > 1 else None  # body[-1] is the section properties
        if last is not None and last.tag == qn("w:p") and last.find(qn("w:pPr")) is not None:
            style = last.find(qn("w:pPr")).find(qn("w:pStyle"))
            if style is not None and style.get(qn("w:val")) == self.style_ids["Code Block"]:
                # two code blocks in a row: Word and LibreOffice would draw one box around both
                spacer = self.doc.add_paragraph().paragraph_format
                spacer.space_before = spacer.space_after = Pt(0)
                spacer.line_spacing = Pt(2)
        p = self.doc.add_paragraph()
        p._p.style = self.style_ids["Code Block"]
        if self.lists:
            p.paragraph_format.left_indent = Cm(0.75 * len(self.lists))
        lines = content.rstrip("\n").split("\n")
        for i, line in enumerate(lines):
            if i:
                p.add_run().add_break()
            _add_text(p, line, _RunStyle(), code=True, block=True)

    def table(self, tokens: list[Token], i: int) -> int:
        start = i
        rows, i = table_rows(tokens, i)
        geometry = table_geometry(tokens, start)
        ncols = len(geometry.widths_pt)
        table = self.doc.add_table(rows=len(rows), cols=ncols)
        table._tbl.tblPr.style = self.style_ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        size = Pt(geometry.font_pt)
        widths = [int(Pt(w)) for w in geometry.widths_pt]
        for c, width in enumerate(widths):
            table.columns[c].width = width
        docx_rows = list(table.rows)  # indexing table.rows builds the list of every row: quadratic in rows
        for r, (head, cells) in enumerate(rows):
            row = docx_rows[r]
            row_cells = row.cells  # python-docx rebuilds this list on every access
            trpr = row._tr.get_or_add_trPr()
            _set_child(trpr, "cantSplit", _TRPR_ORDER)
            if head:
                _set_child(trpr, "tblHeader", _TRPR_ORDER)
            for c, (open_tok, inline) in enumerate(cells):
                cell = row_cells[c]
                cell.width = widths[c]
                para = cell.paragraphs[0]
                para._p.get_or_add_pPr().get_or_add_pStyle().val = self.style_ids["Table Text"]
                last = len(rows) - 1
                if r < last and (last <= KEEP_TOGETHER_ROWS or r <= 2 or r >= last - 2):
                    # a short table is not split; a long one leaves no fewer than three rows on a page
                    para.paragraph_format.keep_with_next = True
                align = cell_alignment(open_tok)
                if align:
                    para.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                                      "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
                invalid = "invalid" in str(open_tok.attrGet("class") or "")
                # a cell that wraps: its units joined (WORD_JOINER)
                self.guard = ("head" if head else "body") if (r, c) in geometry.guard else False
                st = _RunStyle(bold=head or invalid, size=size, color=INVALID_COLOR if invalid else None,
                               guard=bool(self.guard))
                self.inline(para, inline.children or [], st)
                self.guard = False
                fill = HEADER_FILL if head else INVALID_FILL if invalid else None
                if fill:
                    _shade(cell._tc.get_or_add_tcPr(), _TCPR_ORDER, fill)
        self.doc.add_paragraph().paragraph_format.space_after = Pt(0)
        return i

    def orientation(self, landscape: bool) -> None:
        """End the current section and start one in the given orientation (a new page): a table too
        wide for portrait and what leads into it are set landscape (``mdparse.landscape_blocks``)."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False  # the page number continues on it
        width, height = Cm(21.0), Cm(29.7)
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (height, width) if landscape else (width, height)

    def blocks(self, tokens: list[Token]) -> None:
        i = 0
        turns = {start: end for start, end in landscape_blocks(tokens)}
        back_to_portrait = -1
        while i < len(tokens):
            t = tokens[i]
            kind = t.type
            if i == back_to_portrait + 1 and back_to_portrait >= 0:
                self.orientation(landscape=False)
                back_to_portrait = -1
            if i in turns:
                self.orientation(landscape=True)
                back_to_portrait = turns[i]
            if kind == "heading_open":
                level = int(t.tag[1])
                if NEW_PAGE in str(t.attrGet("class") or "").split():
                    self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
                style = "Title" if level == 1 else f"Heading {min(level - 1, 5)}"
                p = self.doc.add_paragraph()
                p._p.style = self.style_ids[style]
                self.inline(p, tokens[i + 1].children or [])
                name = self.bookmarks.get(str(t.attrGet("id") or ""))
                if name:
                    self.bookmark_id += 1
                    _bookmark(p._p, name, self.bookmark_id)
                i += 2
            elif kind == "paragraph_open":
                p = self.paragraph()
                if "lead" in str(t.attrGet("class") or ""):
                    p.paragraph_format.keep_with_next = True  # stays with the table or code it leads into
                self.inline(p, tokens[i + 1].children or [])
                i += 2
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = int(t.attrGet("start") or 1) if kind == "ordered_list_open" else 0
                self.lists.append(["ol" if kind == "ordered_list_open" else "ul", start])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.item_first_para = True
            elif kind == "list_item_close":
                if self.item_first_para:  # an empty item still shows its marker
                    self.paragraph()
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind in ("fence", "code_block"):
                self.code(t.content)
            elif kind == "html_block":
                p = self.paragraph()
                lines = t.content.rstrip("\n").split("\n")
                for j, line in enumerate(lines):
                    if j:
                        p.add_run().add_break()
                    _add_text(p, line, _RunStyle())
            elif kind == "table_open":
                i = self.table(tokens, i)
            elif kind == "hr":
                p = self.doc.add_paragraph()
                bdr = _set_child(p._p.get_or_add_pPr(), "pBdr", _PPR_ORDER)
                bottom = OxmlElement("w:bottom")
                for k, v in {"val": "single", "sz": "4", "space": "1", "color": "BBBBBB"}.items():
                    bottom.set(qn(f"w:{k}"), v)
                bdr.append(bottom)
            i += 1
        if back_to_portrait >= 0:
            self.orientation(landscape=False)


TOC_LEVELS = "1-2"  # Word heading levels in the table of contents: sections and subsections


def toc_entries(body: list[Token]) -> list[tuple[int, str]]:
    """(level, text) of the 目录's entries: sections and subsections, not the appendices' parts."""
    heads: list[tuple[int, str]] = []
    appendix = False
    for i, t in enumerate(body):
        if t.type == "heading_open" and t.tag in ("h2", "h3"):
            if t.tag == "h2":
                appendix = str(t.attrGet("id") or "").startswith("app")
            elif appendix:
                continue
            text = "".join(c.content for c in body[i + 1].children or [] if c.type in ("text", "code_inline"))
            heads.append((int(t.tag[1]), text))
    return heads


def _toc(doc: DocxDocument, body: list[Token], pages: dict[str, int] | None = None) -> None:
    """目录: a real TOC field (Word fills in the page numbers; ``updateFields`` asks it to on
    opening), its cached result pre-filled with the headings so a viewer that does not update
    fields still shows the list, with the page numbers ``pages`` gives (``docx_toc.toc_pages``:
    LibreOffice's layout) right-aligned on a dotted leader."""
    title = doc.add_paragraph()
    run = title.add_run("目录")
    run.bold = True
    run.font.size = Pt(16)
    p = doc.add_paragraph()
    if pages:
        p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)

    def fld(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        p.add_run()._r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f' TOC \\o "{TOC_LEVELS}" \\h \\z \\u '
    p.add_run()._r.append(instr)
    fld("separate")
    heads = toc_entries(body)
    for n, (level, text) in enumerate(heads):
        page = (pages or {}).get(text)
        r = p.add_run(("    " if level == 3 else "") + text + (f"\t{page}" if page is not None else ""))
        if n < len(heads) - 1:
            r.add_break()
    fld("end")
    settings = doc.settings.element
    upd = settings.find(qn("w:updateFields"))
    if upd is None:
        upd = OxmlElement("w:updateFields")
        settings.append(upd)
    upd.set(qn("w:val"), "true")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


#: python-docx refuses a core property (title, author, ...) of 256 characters or more.
CORE_PROPERTY_MAX = LIMITS["meta"].chars


def _core(text: str) -> str:
    """``text`` as a core property: one line, at most ``CORE_PROPERTY_MAX`` characters."""
    return document_text(text, "meta")


def markdown_to_docx(
    md: str | ParsedDocument,
    path: str | os.PathLike[str],
    *,
    assets: dict[str, bytes] | None = None,
    title: str,
    author: str | None = None,
    created: datetime | None = None,
    toc_pages: bool = True,
    pages: dict[str, int] | None = None,
) -> Path:
    """Write the Markdown document as DOCX to ``path`` and return the path (``md``: the
    Markdown, or its ``parse_markdown``, which the HTML writer can share: parsed once).

    ``assets`` maps the image paths used in the Markdown to their bytes; a ``.svg``
    reference needs its ``.png`` twin. The cover (h1 and what follows it up to the first
    section) is followed by a page break and the table of contents (a TOC field).
    Core properties: ``title``, ``author`` (none: left empty, never "python-docx"),
    ``created`` (default: now), language zh-CN; a title or author of ``CORE_PROPERTY_MAX``
    characters or more (python-docx's limit) is cut there with "…" for the properties only:
    the cover keeps it whole. ``toc_pages``: when LibreOffice is installed, lay the written file
    out with it and write the 目录 again with its page numbers (``docx_toc``).
    """
    doc = Document()
    _setup_styles(doc)
    props = doc.core_properties
    props.title = _core(title)
    props.language = "zh-CN"
    props.author = _core(author or "")
    props.last_modified_by = _core(author or "")
    props.created = props.modified = created or datetime.now(timezone.utc).replace(microsecond=0)
    props.comments = ""
    parsed = parse_markdown(md) if isinstance(md, str) else md
    writer = _Writer(doc, dict(assets or {}))
    writer.bookmarks = bookmark_names(parsed.cover + parsed.body)  # links may point forward
    if parsed.cover:
        doc.sections[0].different_first_page_header_footer = True  # no page number on the cover
        writer.blocks(parsed.cover)
        doc.paragraphs[0].paragraph_format.space_before = Pt(110)
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _toc(doc, parsed.body, pages)
    writer.blocks(parsed.body)
    out = Path(path)
    buffer = io.BytesIO()
    doc.save(buffer)
    try:
        write_atomic(out, buffer.getvalue())
    except OSError as e:
        raise RenderError(f"{out}: cannot write the DOCX: {e.strerror or e}") from None
    if toc_pages and parsed.cover and pages is None:
        from reportgen.report.docx_toc import toc_pages as layout_pages

        found = layout_pages(out, [text for _, text in toc_entries(parsed.body)])
        if found:  # written again: the same document, its 目录 with LibreOffice's page numbers
            return markdown_to_docx(parsed, out, assets=assets, title=title, author=author,
                                    created=props.created, toc_pages=False, pages=found)
    return out
