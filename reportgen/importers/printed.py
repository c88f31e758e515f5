"""Numbers as Python programs print them: numpy arrays, lists, torch tensors.

    parse_printed("[[0.855  0.8516]\\n [0.874  0.8555]]")  -> [[0.855, 0.8516], [0.874, 0.8555]]
    parse_printed("[-8.171875, 5.26171875]")              -> [-8.171875, 5.26171875]
    parse_printed("tensor([-8.1838,  5.2650])")           -> [-8.1838, 5.265]
    parse_printed("-5.65234375")                          -> -5.65234375

numpy separates elements with spaces, Python with commas; both may wrap lines. A
``tensor(...)`` / ``array(...)`` wrapper and its keyword arguments (``device=``,
``dtype=``, ``grad_fn=``) are dropped.
"""

from __future__ import annotations

import re
from typing import Union

Nested = Union[float, list["Nested"]]  # noqa: UP007 (a runtime alias: "X | Y" with a forward reference fails on 3.10)

_TOKEN = re.compile(r"\s*(?:(\[)|(\])|(,)|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan))")
_WRAPPER = re.compile(r"^\s*(?:tensor|array)\((.*)\)\s*$", re.DOTALL)


class PrintedValueError(ValueError):
    """The text is not a printed number, list, numpy array or tensor."""


def _strip_wrapper(text: str) -> str:
    m = _WRAPPER.match(text)
    if not m:
        return text.strip()
    inner = m.group(1)
    depth = 0
    for i, ch in enumerate(inner):  # cut keyword arguments after the data
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            return inner[:i].strip()
    return inner.strip()


def parse_printed(text: str) -> Nested:
    """A printed scalar or (nested) list/array/tensor as floats. Raises ``PrintedValueError``."""
    s = _strip_wrapper(text)
    pos = 0
    stack: list[list[Nested]] = []
    result: Nested | None = None

    def put(value: Nested) -> None:
        nonlocal result
        if stack:
            stack[-1].append(value)
        elif result is None:
            result = value
        else:
            raise PrintedValueError("more than one value")

    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            if s[pos:].strip() == "":
                break
            raise PrintedValueError(f"unexpected {s[pos:pos + 20]!r} at offset {pos}")
        pos = m.end()
        opening, closing, comma, number = m.groups()
        if opening:
            stack.append([])
        elif closing:
            if not stack:
                raise PrintedValueError(f"unbalanced ']' at offset {pos - 1}")
            put(stack.pop())
        elif not comma:
            put(float(number))
    if stack:
        raise PrintedValueError("unclosed '['")
    if result is None:
        raise PrintedValueError("no number found")
    return result


def as_matrix(value: Nested) -> list[list[float]]:
    """A 2-D matrix: leading length-1 dimensions are dropped (``[[[a b] [c d]]]``), a
    vector becomes one row. Raises ``PrintedValueError`` for ragged or deeper data."""
    while isinstance(value, list) and len(value) == 1 and isinstance(value[0], list) and value[0] and isinstance(value[0][0], list):
        value = value[0]
    if not isinstance(value, list):
        return [[value]]
    if all(not isinstance(x, list) for x in value):
        return [[float(x) for x in value]]  # type: ignore[arg-type]
    rows: list[list[float]] = []
    for row in value:
        if not isinstance(row, list) or any(isinstance(x, list) for x in row):
            raise PrintedValueError("not a 2-D matrix")
        rows.append([float(x) for x in row])  # type: ignore[arg-type]
    if len({len(r) for r in rows}) > 1:
        raise PrintedValueError("rows of different lengths")
    return rows


def as_vector(value: Nested) -> list[float]:
    """A 1-D list of numbers: a scalar becomes one element, length-1 wrappers are dropped."""
    while isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    if not isinstance(value, list):
        return [float(value)]
    if any(isinstance(x, list) for x in value):
        raise PrintedValueError("not a 1-D list")
    return [float(x) for x in value]  # type: ignore[arg-type]
