"""Accounting for imports: what a block printed, which field rests on which printed value, and
which printed numbers were not used.

Two independent readings of every block meet here:

* the importer's own (``Reading``): each printed value it saw (``saw``), with its line, and for
  each field it set the printed labels the field rests on (``read`` for a value taken as printed,
  ``derive`` for one computed from others -- then the field is also named in ``derived``);
* a format-blind scan of the same lines (``printed_numbers``): every number standing where tools
  print values -- after ``label:``, in a table cell, as a JSON leaf.

``account`` puts them side by side: numbers read (the importer saw them), numbers used (a field
rests on them) and the numbers not used, with their labels -- both those the importer saw and
left, and those it never saw (which the corpus test forbids for every recognised block).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reportgen.results import ImportInfo

# a number as tools print it (thousands separators allowed)
NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+"
_NUM_RX = re.compile(NUMBER)
_SEP = re.compile(r"[│|┃]")
_RULE = re.compile(r"^[\s+\-=|│┃─━┄┈┼┤├┬┴╋┣┫┏┓┗┛╭╮╰╯╇╈┡┩┌┐└┘╞╡╪═:*]*$")
_PROGRESS = re.compile(r"\d+%\|[^|]*\|\s*\d+/\d+|(?:it/s|s/it)\]|\[\d+:\d+(?::\d+)?<")  # tqdm, not "| 10% |" rows
# "label: value": the label has a letter and no quoting or assignment; the value starts with a number
_LABEL_LINE = re.compile(
    r"^\s*(?P<label>(?:[A-Za-z\u4e00-\u9fff]|\d+(?:\.\d+)?%)[^:=\"'`{}\[\]<>|│┃]{0,60}?)\s*[:：]\s*(?P<value>(?:" + NUMBER + r")(?![\d.:])(?:[^\d:].*)?)$"
)
# a table cell that is a number (with a unit or percent sign), or "a / b / c"
_CELL_NUM = re.compile(
    r"^(?:" + NUMBER + r")\s*(?:%|[a-zA-Z/℃°]{1,12})?(?:\s*/\s*(?:" + NUMBER + r")\s*(?:%|[a-zA-Z/℃°]{1,12})?)*$"
)
# first cells of a header row whose other cells may look numeric ("│ Metric │ 1% │ 5% │")
_HEADER_WORDS = {"metric", "metrics", "percentile", "percentiles", "statistic", "benchmark", "tasks", "groups", "dataset", "model", "key"}
_HASH = re.compile(r"^[0-9a-f]{6}$")  # an OpenCompass dataset version ("8e312c", "393424"): a hash, not a number
_ALIGNED_SPLIT = re.compile(r"\s{2,}|\t|,")


@dataclass(frozen=True)
class Number:
    """A number as printed in a block: its line (1-based in the file), a label, the text."""

    line: int
    label: str
    text: str


def _numbers_in(value: str) -> list[str]:
    return [m.group(0) for m in _NUM_RX.finditer(value)]


def _strip_line_prefix(line: str) -> str:
    """``# ``, ``> ``, ``// `` before a pasted line (commented or quoted copies)."""
    return re.sub(r"^\s*(?:#+|>+|//)\s?", "", line)


def text_numbers(lines: Sequence[str], first: int, last: int, *, aligned: bool = False) -> list[Number]:
    """Every number printed as a value in ``lines[first..last]`` (0-based, inclusive):

    * after ``label:`` -- every number of the value up to a ``#`` note (``100/100 (100.00%)``);
    * in a table row (``|``/``│`` separated) -- every cell that is a number, labelled by the
      row's first text cell and the column's header;
    * with ``aligned``, in rows aligned by runs of spaces (OpenCompass text tables, SMI screens).

    Progress bars and rulers are skipped. Lines are numbered 1-based."""
    out: list[Number] = []
    header: list[str] = []
    for k in range(first, last + 1):
        raw = lines[k]
        if not raw.strip() or _PROGRESS.search(raw):
            continue
        line = _strip_line_prefix(raw)
        if _SEP.search(line) and not _RULE.match(line):
            cells = [c.strip() for c in _SEP.split(line.strip())]
            cells = cells[1:] if cells and not cells[0] else cells
            cells = cells[:-1] if cells and not cells[-1] else cells
            numeric = [bool(_CELL_NUM.match(c)) for c in cells]
            if not any(numeric) or (cells and cells[0].strip().lower() in _HEADER_WORDS):
                header = cells
                continue
            name = next((c for c, n in zip(cells, numeric, strict=True) if not n and c), "")
            for i, (c, n) in enumerate(zip(cells, numeric, strict=True)):
                if n and not (i == 0 and re.search(r"[A-Za-z]|^\d+(?:\.\d+)?%$", c)):  # a first cell "16k" / "10%" names the row
                    col = header[i] if i < len(header) and header[i] else str(i)
                    out += [Number(k + 1, f"{name}/{col}".strip("/"), t) for t in _numbers_in(c)]
            continue
        m = _LABEL_LINE.match(line)
        if m:
            value = m.group("value").split("#", 1)[0]
            out += [Number(k + 1, m.group("label").strip(), t) for t in _numbers_in(value)]
            continue
        if aligned and not _RULE.match(line):
            cells = [c for c in _ALIGNED_SPLIT.split(line.strip()) if c]
            if len(cells) >= 2:
                name = cells[0] if re.search(r"[A-Za-z]", cells[0]) else next((c for c in cells if not _CELL_NUM.match(c)), "")
                body = cells[1:] if name == cells[0] else cells
                out += [Number(k + 1, name, t) for c in body if _CELL_NUM.match(c) and not _HASH.match(c) for t in _numbers_in(c)]
    return out


def json_numbers(doc: Any, *, prefix: str = "", line: int = 0) -> list[Number]:
    """Every number of a JSON value by its dotted path; a list of numbers counts once
    (``ttfts``: per-request data, labelled by its path, text ``[n values]``)."""
    out: list[Number] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += json_numbers(v, prefix=f"{prefix}.{k}" if prefix else str(k), line=line)
    elif isinstance(doc, list):
        if doc and all(isinstance(x, (int, float, type(None), list)) and not isinstance(x, bool) for x in doc):
            out.append(Number(line, prefix, f"[{len(doc)} values]"))
        else:
            for i, v in enumerate(doc):
                out += json_numbers(v, prefix=f"{prefix}.{i}", line=line)
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        out.append(Number(line, prefix, json.dumps(doc)))
    return out


@dataclass
class Reading:
    """What an importer saw in one block and what it made of it (becomes ``ImportInfo``)."""

    source: str
    format: str
    block: int = 0
    printed: dict[str, str] = field(default_factory=dict)
    printed_at: dict[str, int] = field(default_factory=dict)
    rests_on: dict[str, list[str]] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)

    def saw(self, label: str, value: str, line: int | None = None) -> str:
        """Record a printed value (``line`` 0-based in the file, as parsers count); returns the
        label it is kept under (a repeated label gets `` #2``, `` #3``)."""
        key, n = label, 1
        while key in self.printed and not (self.printed[key] == value and self.printed_at.get(key) == _line(line)):
            n += 1
            key = f"{label} #{n}"
        self.printed[key] = value
        if line is not None:
            self.printed_at[key] = line + 1
        return key

    def read(self, path: str, *labels: str) -> None:
        """``path`` (``metrics.ttft_ms.p99``) takes the printed value of ``labels``."""
        self.rests_on[path] = list(dict.fromkeys(labels))

    def derive(self, path: str, *labels: str, name: str | None = None) -> None:
        """``path`` was computed from ``labels`` (or other fields); ``name`` (default: the last
        part of the path) goes into ``derived``."""
        self.rests_on[path] = list(dict.fromkeys(labels))
        n = name or path.rsplit(".", 1)[-1]
        if n not in self.derived:
            self.derived.append(n)

    def info(self, **kw: Any) -> ImportInfo:
        return ImportInfo(
            file=self.source, block=self.block, format=self.format, printed=dict(self.printed),
            printed_at=dict(self.printed_at), rests_on={k: list(v) for k, v in self.rests_on.items()},
            derived=list(self.derived), **kw,
        )


def _line(line: int | None) -> int | None:
    return None if line is None else line + 1


# --------------------------------------------------------------------------- accounting


@dataclass
class Unused:
    """A printed number no field rests on."""

    line: int | None
    label: str
    text: str
    seen: bool  # the importer saw it (and left it); False: only the format-blind scan found it


@dataclass
class Account:
    """One block's accounting."""

    read: int = 0  # printed numeric values the importer saw
    used: int = 0  # of those, the ones a field rests on
    unused: list[Unused] = field(default_factory=list)


def _is_number_text(text: str) -> bool:
    """A printed value that is a number (``12.3``, ``400 / 400 / 0``, ``72%``), not a version,
    an id or a time that merely holds digits."""
    t = text.strip()
    return bool(re.match(r"^[-+]?(?:\d|\.\d)", t)) and not re.match(r"^\d+\.\d+\.\d+|^\d{4}-\d\d-\d\d|^[0-9a-f]{8}-", t)


def account(infos: Iterable[ImportInfo], scanned: Iterable[Number]) -> Account:
    """The accounting of one block from the ``ImportInfo`` of every item made from it and the
    format-blind scan of its lines."""
    seen: dict[tuple[int | None, str], str] = {}  # (line, label) -> value
    used_labels: set[str] = set()
    for info in infos:
        for label, value in info.printed.items():
            seen[(info.printed_at.get(label), label)] = value
        for labels in info.rests_on.values():
            used_labels.update(labels)
    acc = Account()
    for (line, label), value in seen.items():
        if not _is_number_text(value):
            continue
        acc.read += 1
        if label in used_labels:
            acc.used += 1
        else:
            acc.unused.append(Unused(line, label, value, True))
    by_line: dict[int | None, list[str]] = {}
    labels_seen = {label for _, label in seen}
    for (line, _label), value in seen.items():
        by_line.setdefault(line, []).append(value)
    for n in scanned:
        # a wrapped table cell goes on over the next lines: its printed value sits on the row above
        near = [v for d in (0, 1, 2) for v in by_line.get(n.line - d if n.line else None, [])]
        if n.line and any(n.text in _numbers_in(v) or n.text == v.strip() for v in near):
            continue
        if not n.line and n.label in labels_seen:
            continue
        acc.unused.append(Unused(n.line or None, n.label, n.text, False))
    return acc
