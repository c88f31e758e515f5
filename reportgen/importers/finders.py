"""Where each printed format's blocks are in a file (pure functions over cleaned lines).

Every finder takes the file's lines -- lines already claimed by another block are blank -- and
returns ``(first, last)`` spans (0-based, inclusive). A span runs from the block's context (the
``Namespace(...)`` or command line that set the run, the settings printed before it) to its last
printed line; what lies between is part of the block, so nothing between a command and its
result goes unlisted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_SEP = re.compile(r"[│|┃]")
_RULER = re.compile(r"^[\s+\-=|│┃─━┄┈┼┤├┬┴┳┻┯┷╤╧╋┣┫┏┓┗┛╭╮╰╯╇╈┡┩┌┐└┘╞╡╪═:*#]*$")
_KV = re.compile(r"^\s*[\"']?[A-Za-z\u4e00-\u9fff][^:]{0,80}[\"']?\s*[:：]\s*\S")
_JSONISH = re.compile(r'^\s*(?:"[^"]+"\s*:|[{}\]],?\s*$)')


def structured(line: str) -> bool:
    """A line that belongs to a printed result: a table row or ruler, ``label: value``, a JSON
    member, or a section heading ending with a colon."""
    s = line.strip()
    return bool(
        _SEP.search(s) or (_RULER.match(s) and s) or _KV.match(s) or _JSONISH.match(s) or (s.endswith(":") and len(s) < 80)
        or re.search(r" - (?:INFO|WARNING)\b", s)  # a log line between a summary and its percentiles
    )


def extent(lines: Sequence[str], start: int, stop: int | None = None, *, blank_run: int = 2,
           keep: Callable[[str], bool] = structured) -> int:
    """The last line of the block that begins at ``start``: lines go on while ``keep`` holds,
    across up to ``blank_run - 1`` blank lines in a row, never past ``stop`` (exclusive)."""
    end = len(lines) if stop is None else min(stop, len(lines))
    last = start
    blanks = 0
    for k in range(start + 1, end):
        if not lines[k].strip():
            blanks += 1
            if blanks >= blank_run:
                break
            continue
        if not keep(lines[k]):
            break
        blanks = 0
        last = k
    return last


def starts(lines: Sequence[str], rx: re.Pattern[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if rx.search(line)]


def spans_from(lines: Sequence[str], rx: re.Pattern[str], *, context: Callable[[Sequence[str], int, int], int] | None = None,
               keep: Callable[[str], bool] = structured, blank_run: int = 2) -> list[tuple[int, int]]:
    """One span per line matching ``rx``: from its context (``context(lines, start, floor)``, the
    first line of what set it up, not before the previous span) to its extent."""
    out: list[tuple[int, int]] = []
    heads = starts(lines, rx)
    floor = 0
    for n, s in enumerate(heads):
        if out and s <= out[-1][1]:
            continue
        stop = heads[n + 1] if n + 1 < len(heads) else None
        e = extent(lines, s, stop, keep=keep, blank_run=blank_run)
        first = context(lines, s, floor) if context else s
        out.append((first, e))
        floor = e + 1
    return out


def table_extent(lines: Sequence[str], header: int) -> tuple[int, int]:
    """A table around its header row: up over its top rulers, down over rows and rulers."""
    first = header
    while first - 1 >= 0 and lines[first - 1].strip() and _RULER.match(lines[first - 1].strip()):
        first -= 1
    last = header
    for k in range(header + 1, len(lines)):
        s = lines[k].strip()
        if not s or not (_SEP.search(s) or _RULER.match(s)):
            break
        last = k
    return first, last


def preceding(lines: Sequence[str], start: int, floor: int, rx: re.Pattern[str], *, within: int = 60) -> int | None:
    """The nearest line before ``start`` (not before ``floor``, at most ``within`` lines back)
    that matches ``rx``."""
    for k in range(start - 1, max(floor, start - within) - 1, -1):
        if rx.search(lines[k]):
            return k
    return None
