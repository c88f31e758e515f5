"""Rows to terminal text: aligned tables, CSV and JSON (shared by ``summary`` and ``validate``)."""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any


def _width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def text_table(columns: Sequence[str], rows: Sequence[Sequence[str]], right: Callable[[str], bool] = lambda c: False) -> str:
    """An aligned plain-text table with a header and a rule; the last column is not padded."""
    widths = [max([_width(c)] + [_width(r[i]) for r in rows]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, (cell, col) in enumerate(zip(cells, columns)):
            last = i == len(columns) - 1
            parts.append(cell if last and not right(col) else _pad(cell, widths[i], right(col)))
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().rstrip("\n")


def _finite(obj: Any) -> Any:
    """NaN and infinities have no JSON form: they become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def json_text(obj: Any) -> str:
    return json.dumps(_finite(obj), ensure_ascii=False, indent=1, allow_nan=False)
