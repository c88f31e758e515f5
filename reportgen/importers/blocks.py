"""Split any input into blocks, then read each block by its own format.

A file people paste holds what they ran: several tools, several runs, prose, commands, server
logs. The whole file never has one format. ``segment`` finds every block a format claims --
JSON objects first (each object, or each line of JSON lines), then each format's printed blocks
in the registry's order, every claimed line hidden from the formats after it -- and lists every
other run of lines that prints numbers as a block no format claims (its lines, never dropped).

``read_blocks`` parses each claimed block on a view of the file in which the lines of every
other block are blank: the line numbers a parser reports stay the file's, and the unclaimed text
before a block (the command that ran it, a ``Namespace(...)`` line) stays in view for the
settings it gives. Each item made from a block carries the block's span and index; each block
gets its accounting (``ledger.account``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportgen.errors import InputFormatError
from reportgen.importers.ledger import Account, Number, account, json_numbers, text_numbers

if TYPE_CHECKING:
    from reportgen.importers.cells import RunParams
    from reportgen.importers.formats import ImportFormat
    from reportgen.results import ImportInfo


@dataclass
class JsonSpan:
    first: int  # 0-based line of the opening brace
    last: int
    doc: Any  # the decoded object; None when it is cut short
    text: str  # the object's text


_DECODER = json.JSONDecoder()


def json_spans(lines: Sequence[str]) -> list[JsonSpan]:
    """Every JSON object that starts a line (after indentation): decoded across line breaks,
    or, when it cannot be decoded (cut short), running to the line before the next object."""
    text = "\n".join(lines)
    starts: list[int] = []  # char offset of each line
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    out: list[JsonSpan] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith("{"):
            i += 1
            continue
        begin = starts[i] + len(lines[i]) - len(stripped)
        try:
            doc, end = _DECODER.raw_decode(text, begin)
        except (ValueError, RecursionError):  # JSONDecodeError, or an integer too long to convert
            doc, end = None, -1
        if isinstance(doc, dict):
            last = i
            while last + 1 < len(lines) and starts[last + 1] < end:
                last += 1
            out.append(JsonSpan(i, last, doc, text[begin:end]))
            i = last + 1
            continue
        if doc is not None:  # a list or scalar after "{"? not an object
            i += 1
            continue
        last = i
        while last + 1 < len(lines) and not lines[last + 1].lstrip().startswith("{") and lines[last + 1].strip():
            last += 1
        # a one-line "{...}" that is not JSON (a Python dict, a template) is not a cut object
        if last == i and stripped.rstrip().endswith("}"):
            i += 1
            continue
        out.append(JsonSpan(i, last, None, "\n".join(lines[i : last + 1])))
        i = last + 1
    return out


@dataclass
class Block:
    """A run of lines of one file: claimed by a format, or by none."""

    index: int
    first: int  # 0-based line index, inclusive
    last: int
    fmt: ImportFormat | None
    note: str | None = None  # why a block is not imported (cut short, hardware, ...)
    items: list[Any] = field(default_factory=list)
    account: Account | None = None
    warnings: list[str] = field(default_factory=list)
    error: InputFormatError | None = None  # why a claimed block could not be read

    @property
    def lines(self) -> str:
        """``12-40`` (1-based, as editors number them)."""
        return f"{self.first + 1}" if self.first == self.last else f"{self.first + 1}-{self.last + 1}"


Finder = Callable[[list[str]], list[tuple[int, int]]]


def _mask(lines: list[str], first: int, last: int) -> None:
    for k in range(first, last + 1):
        lines[k] = ""


def segment(lines: Sequence[str], formats: Sequence[ImportFormat]) -> list[Block]:
    """The blocks of ``lines`` (cleaned: no ANSI codes, one line per line) in file order."""
    view = list(lines)
    found: list[tuple[int, int, ImportFormat | None, str | None]] = []
    json_formats = [f for f in formats if f.json_doc is not None]
    for span in json_spans(view):
        fmt = None
        if span.doc is not None:
            fmt = next((f for f in json_formats if f.json_doc and f.json_doc(span.doc)), None)
        else:
            fmt = next((f for f in json_formats if f.json_cut and f.json_cut(span.text)), None)
        if fmt is None and span.doc is not None and not _has_numbers(span.doc):
            continue  # a JSON object without numbers (a request body, a config): not a result
        note = None if span.doc is not None or fmt is not None and fmt.name == "lm-eval-json" else "JSON object cut short"
        if fmt is None and span.doc is not None:
            note = "JSON object of no known format"
        prev = found[-1] if found else None
        if (fmt is not None and fmt.json_group and prev is not None and prev[2] is fmt
                and all(not view[k].strip() for k in range(prev[1] + 1, span.first))):
            found[-1] = (prev[0], span.last, fmt, None)  # one record per line: one block for the file's run of them
        else:
            found.append((span.first, span.last, fmt, note))
        _mask(view, span.first, span.last)
    # SMI screens first: their boxes would otherwise extend a result table printed just above them
    for f in sorted(formats, key=lambda f: f.kind != "hardware"):
        if f.find is None:
            continue
        for first, last in f.find(view):
            found.append((first, last, f, None))
            _mask(view, first, last)
    found += [(a, b, None, None) for a, b in _unclaimed(view)]
    found.sort(key=lambda t: t[0])
    return [Block(n, a, b, fmt, note) for n, (a, b, fmt, note) in enumerate(found)]


def _has_numbers(doc: Any) -> bool:
    return bool(json_numbers(doc))


def _unclaimed(view: Sequence[str]) -> list[tuple[int, int]]:
    """Runs of unclaimed lines that print numbers as values (gaps of up to two lines)."""
    rows = sorted({n.line - 1 for n in text_numbers(view, 0, len(view) - 1)}) if view else []
    out: list[tuple[int, int]] = []
    for k in rows:
        if out and k - out[-1][1] <= 3:
            out[-1] = (out[-1][0], k)
        else:
            out.append((k, k))
    return out


def block_view(lines: Sequence[str], blocks: Sequence[Block], block: Block, *, ends_whole: bool = True) -> str:
    """The text a parser reads for ``block``: its own lines and the unclaimed lines before it (back
    to the previous block of its format);
    every other block's lines, and everything after it, blank (line numbers stay the file's).
    It ends with a line end unless the block is the file's end and the file stops mid-line
    (``ends_whole`` false: a paste cut short, whose last value may be cut too)."""
    # the context of a block starts after the previous block of its own format: that block took the
    # lines before it (a paste of thousands of runs would otherwise give each run all earlier settings),
    # unless the format shares one command among its blocks
    at = blocks.index(block) if block.index >= len(blocks) or blocks[block.index] is not block else block.index
    start = 0
    if block.fmt is not None and not block.fmt.shared_context:
        start = next((blocks[j].last + 1 for j in range(at - 1, -1, -1) if blocks[j].fmt is block.fmt), 0)
    out = list(lines[start : block.last + 1])
    # blocks are in file order: the ones overlapping [start, block.last] are a run ending at this one
    k = at
    while k > 0 and blocks[k - 1].last >= start:
        k -= 1
    for b in blocks[k:]:
        if b.first > block.last:
            break
        if b is block or b.fmt is None or b.last < start:
            continue
        _mask(out, max(b.first, start) - start, min(b.last, block.last) - start)
    whole = ends_whole or block.last < len(lines) - 1
    return "\n" * start + "\n".join(out) + ("\n" if whole else "")  # line numbers stay the file's


def scan(lines: Sequence[str], block: Block) -> list[Number]:
    """The format-blind numbers of a block (what the accounting holds the importer to)."""
    fmt = block.fmt
    if fmt is not None and fmt.json_group:
        out: list[Number] = []
        for k in range(block.first, block.last + 1):
            try:
                doc, _ = _DECODER.raw_decode(lines[k].strip())
            except (ValueError, RecursionError):  # JSONDecodeError, or an integer too long to convert
                continue
            out += json_numbers(fmt.json_scope(doc) if fmt.json_scope else doc, line=k + 1)
        return out
    if fmt is not None and fmt.json_doc is not None:
        try:
            doc, _ = _DECODER.raw_decode("\n".join(lines[block.first : block.last + 1]).lstrip())
        except (ValueError, RecursionError):  # JSONDecodeError, or an integer too long to convert
            return []
        return json_numbers(fmt.json_scope(doc) if fmt.json_scope else doc)
    return text_numbers(lines, block.first, block.last, aligned=bool(fmt and fmt.aligned))


def infos_of(items: Sequence[Any]) -> list[ImportInfo]:
    """The ``ImportInfo`` of every result made from a block (serving cells, accuracy scores)."""
    out: list[ImportInfo] = []
    for it in items:
        cell = getattr(it, "cell", None)
        if cell is not None and cell.import_info is not None:
            out.append(cell.import_info)
        for r in getattr(it, "results", []) or []:
            if r.import_info is not None:
                out.append(r.import_info)
    return out


def read_blocks(text: str, source: str, opts: RunParams, formats: Sequence[ImportFormat], *, kind: str | None = None) -> tuple[list[str], list[Block]]:
    """Segment ``text`` and import every claimed block of ``kind`` (None: any). Returns the
    cleaned lines and the blocks, each with its items and accounting; a block of another kind is
    listed with a note. Raises ``InputFormatError`` (naming the format) when a block cannot be read."""
    from reportgen.importers._text import clean_lines
    from reportgen.importers.formats import parse_block

    lines = clean_lines(text)
    blocks = segment(lines, formats)
    ends_whole = text.endswith(("\n", "\r")) or not text.strip()
    for b in blocks:
        if b.fmt is None or b.note:
            continue
        if kind is not None and b.fmt.kind != kind:
            b.note = f"a {b.fmt.kind} block: not read by this command"
            continue
        if b.fmt.kind == "hardware":
            b.note = b.fmt.parse_hardware(block_view(lines, blocks, b)) if b.fmt.parse_hardware else "hardware"
            continue
        try:
            b.items = parse_block(b.fmt, block_view(lines, blocks, b, ends_whole=ends_whole), source, opts)
        except InputFormatError as e:  # listed with its reason; fatal only when no block of the file imports
            b.note, b.error = f"not imported: {e}", e
            continue
        for info in infos_of(b.items):
            info.block = b.index
            info.first_line, info.last_line = b.first + 1, b.last + 1
        for it in b.items:
            b.warnings += list(getattr(it, "warnings", []) or [])
        b.account = account(infos_of(b.items), scan(lines, b))
    failed = [b for b in blocks if b.error is not None]
    if failed and not any(b.items for b in blocks) and failed[0].error is not None:
        raise failed[0].error
    return lines, blocks
