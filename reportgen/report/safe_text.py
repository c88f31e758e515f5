"""The one text-sanitising step for everything that reaches a document.

Whatever a results file holds (a server's answer, an SMI string, an imported log, a label) is
made printable here before a writer sees it, in every format:

* control characters (C0 but tab and line feed, DEL, C1) and lone surrogates become U+FFFD,
  ANSI colour sequences (``ESC[31m``) are dropped, and so are the bidirectional overrides that
  could make a line read differently from what it holds (U+202A–202E, U+2066–2069): no writer
  meets a character XML, UTF-8 or a PDF font cannot carry;
* long text is cut for the document, with a note saying how much was left out; the results
  JSON keeps the whole text. A value has at most ``LIMITS[kind].chars`` characters and each
  of its lines at most ``LIMITS[kind].line`` (a 3-million-character answer made the PDF take
  minutes; one 1 MB line as many).

``document_text(value, kind)`` is called by the Markdown filters (``formatting.md_cell``,
``md_inline``, ``md_text``, ``md_fence``: every value the templates place), by the charts for
their labels and titles, and by the writers for the few strings they take from the results
directly (the document title, the DOCX author). Escaping per format happens after it: the
Markdown filters backslash Markdown's specials and ``<``/``&``, and the HTML/DOCX/PDF writers
render the parsed text as text (``mdparse``: no raw HTML passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LIMITS", "clean", "cut", "document_text"]


@dataclass(frozen=True)
class Limit:
    chars: int  # characters of one value
    line: int  # characters of one line of it


LIMITS: dict[str, Limit] = {
    "inline": Limit(600, 600),  # a heading, a name, one line of prose
    "cell": Limit(2000, 1000),  # one table cell
    "text": Limit(8000, 2000),  # a paragraph
    "block": Limit(20000, 2000),  # a code block: a command, a log, a server's answer
    "chart": Limit(60, 60),  # a label or title drawn in a chart
    # document metadata, one line: the HTML title, PDF and DOCX properties (python-docx refuses 256
    # characters or more)
    "meta": Limit(255, 255),
}

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
# C0 controls but \t \n \r, DEL, C1, lone surrogates, the XML-illegal U+FFFE/U+FFFF
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ANY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """``text`` with nothing a writer cannot carry (see the module docstring)."""
    if not _ANY.search(text):
        return text  # the usual case: one scan, no copy
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    return _BAD.sub(REPLACEMENT, _BIDI.sub("", text))


def _line_note(n: int) -> str:
    return f"……（本行其余 {n} 个字符未列出）"


def _value_note(n: int) -> str:
    return f"……（以下 {n} 个字符未列出，全文见结果文件）"


def cut(text: str, limit: Limit) -> str:
    """``text`` with at most ``limit.chars`` characters and lines of at most ``limit.line``;
    what is left out is counted in a note where it was cut."""
    if len(text) <= limit.line:
        return text
    rest = 0
    if len(text) > limit.chars:
        rest = len(text) - limit.chars
        text = text[: limit.chars]
    lines = text.split("\n")
    if any(len(line) > limit.line for line in lines):
        lines = [line if len(line) <= limit.line else line[: limit.line] + _line_note(len(line) - limit.line)
                 for line in lines]
        text = "\n".join(lines)
    if rest:
        text += ("\n" if limit.line > LIMITS["inline"].line else "") + _value_note(rest)
    return text


def document_text(value: object, kind: str = "text") -> str:
    """``value`` as text fit for a document: cleaned, then cut to the limits of ``kind``
    (``inline``, ``cell``, ``text``, ``block``, ``chart``, ``meta``)."""
    text = value if isinstance(value, str) else str(value)
    limit = LIMITS[kind]
    if kind == "meta":
        text = " ".join(text.split())
    if kind in ("chart", "meta") and len(text) > limit.chars:  # no room for a note: an ellipsis
        out = clean(text[: limit.chars - 1]) + "…"
    else:
        out = cut(clean(text), limit)
    # the CJK font of the charts has no glyph for U+FFFD (what cleaning makes of a lone surrogate)
    return out.replace("\ufffd", "?").replace("\r", " ") if kind == "chart" else out
