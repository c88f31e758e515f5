"""Text of a DOCX as a reader sees it: without the invisible word joiners and break marks the writer
puts into table cells that wrap (``reportgen.report.mdparse.guard_text``)."""

from __future__ import annotations

from typing import Any

INVISIBLE = str.maketrans("", "", "\u2060\u200b")


def plain(text: str) -> str:
    return text.translate(INVISIBLE)


def cell_texts(row: Any) -> list[str]:  # a python-docx table row
    return [plain(c.text) for c in row.cells]
