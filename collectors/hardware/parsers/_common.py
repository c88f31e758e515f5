"""What every SMI parser returns, and the text helpers they share.

Parsers are pure functions: text in, ``SmiReport`` (or plain values) out. They never raise
on odd input; what they cannot read stays ``None``. A parser raises ``ParseError`` only when
the text is not the tool's output at all, so the caller can record the fact as "unparsable".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MIB = 1024**2


class ParseError(ValueError):
    """The text is not the output this parser reads."""


@dataclass
class SmiDevice:
    """One device (chip) as an SMI tool lists it. Units: bytes, watts, degrees C, percent."""

    index: int
    name: str | None = None
    bus_id: str | None = None  # normalised "0000:13:00.0"
    board: str | None = None  # what groups chips into one board (e.g. Ascend NPU id), if the tool says
    chip: int | None = None  # chip index on that board
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    memory_kind: str | None = None  # "HBM", "DDR" where the tool says which memory it counts
    power_w: float | None = None
    power_cap_w: float | None = None
    temperature_c: float | None = None
    utilization_pct: float | None = None
    temp_max_operating_c: float | None = None
    temp_slowdown_c: float | None = None
    temp_shutdown_c: float | None = None
    pcie_gen_max: int | None = None
    pcie_gen_current: int | None = None
    pcie_width_max: int | None = None
    pcie_width_current: int | None = None
    vendor_id: str | None = None  # "10de"
    device_id: str | None = None  # "2330"
    serial: str | None = None
    uuid: str | None = None
    firmware: str | None = None
    max_clocks_mhz: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SmiReport:
    """Everything one SMI output said."""

    tool: str
    devices: list[SmiDevice] = field(default_factory=list)
    driver_version: str | None = None
    tool_version: str | None = None
    sdk_name: str | None = None  # "CUDA", "Corex", "MACA", "DTK", ...
    sdk_version: str | None = None
    cuda_version: str | None = None  # the CUDA level a CUDA-compatible stack reports
    extra: dict[str, Any] = field(default_factory=dict)


_BUS = re.compile(r"\b(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\b")


def norm_bus_id(text: str | None) -> str | None:
    """``00000000:18:00.0`` / ``18:00.0`` / ``0000:0C:00.0`` -> ``0000:18:00.0`` (lower case)."""
    if not text:
        return None
    m = _BUS.search(text)
    if not m:
        return None
    dom = (m.group(1) or "0000")[-4:]
    return f"{dom}:{m.group(2)}:{m.group(3)}.{m.group(4)}".lower()


def find_bus_id(text: str) -> str | None:
    return norm_bus_id(text)


def num(text: str | None) -> float | None:
    """The first number in text, exponent included (``1e308`` is 1e308, not 1), or None
    (``N/A``, ``NA``, empty, or a number no float can hold)."""
    if text is None:
        return None
    m = re.search(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)
    if not m:
        return None
    v = float(m.group())
    return v if math.isfinite(v) else None


def intnum(text: str | None) -> int | None:
    v = num(text)
    return int(v) if v is not None and abs(v) < 2**63 else None


_UNITS = {
    "b": 1, "kb": 1024, "kib": 1024, "k": 1024, "mb": MIB, "mib": MIB, "m": MIB,
    "gb": 1024**3, "gib": 1024**3, "g": 1024**3, "tb": 1024**4, "tib": 1024**4, "t": 1024**4,
    "pib": 1024**5,
}


def size_bytes(text: str | None, default_unit: str = "b") -> int | None:
    """``81559 MiB`` / ``23Gi`` / ``67108864 KB`` / ``17163091968`` -> bytes.

    SMI tools and ``free`` mean binary units even where they write ``KB``/``MB``/``GB``.
    """
    if text is None:
        return None
    m = re.search(r"(\d+(?:\.\d+)?)\s*([KMGTP]i?B?|[kmgtp]i?b?|B)?\b", text.strip())
    if not m:
        return None
    unit = (m.group(2) or default_unit).lower()
    if unit.endswith("i"):
        unit += "b"
    factor = _UNITS.get(unit)
    if factor is None:
        return None
    return int(round(float(m.group(1)) * factor))


def is_separator(line: str) -> bool:
    s = line.strip()
    return bool(s) and set(s) <= set("+-=|")


def box_blocks(text: str, stop: str = "Process") -> list[list[list[str]]]:
    """Split a box-drawn SMI table into blocks of rows of cells.

    A block is a run of lines between separator lines (``+---+``, ``|===|``); each line is
    split on ``|`` into stripped cells (empty edge cells dropped). Reading stops at the first
    line containing ``stop`` (the process table that follows the device table).
    """
    blocks: list[list[list[str]]] = []
    cur: list[list[str]] = []
    for line in text.splitlines():
        if stop and stop in line:
            break
        if is_separator(line) or not line.strip():
            if cur:
                blocks.append(cur)
                cur = []
            continue
        cells = [c.strip() for c in line.split("|")]
        if cells and cells[0] == "" and line.lstrip().startswith("|"):
            cells = cells[1:]
        if cells and cells[-1] == "" and line.rstrip().endswith("|"):
            cells = cells[:-1]
        cur.append(cells)
    if cur:
        blocks.append(cur)
    return blocks


def device_blocks(text: str, stop: str = "Process") -> Iterator[list[list[str]]]:
    """The blocks of ``box_blocks`` whose first cell starts with a device index."""
    for b in box_blocks(text, stop):
        if b and b[0] and re.match(r"^\d+(\s|$)", b[0][0]):
            yield b


def cell(rows: list[list[str]], r: int, c: int) -> str:
    try:
        return rows[r][c]
    except IndexError:
        return ""


def search(pattern: str, text: str, group: int = 1, flags: int = 0) -> str | None:
    m = re.search(pattern, text, flags)
    return m.group(group).strip() if m else None


def kv_tree(text: str, sep: str = ":") -> list[tuple[int, str, str]]:
    """Indented ``Key : value`` lines as (indent, key, value); a heading has value ''."""
    out = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        line = raw.replace("\t", "        ")
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if sep in body:
            k, v = body.split(sep, 1)
            out.append((indent, k.strip(), v.strip()))
        else:
            out.append((indent, body, ""))
    return out


def kv_paths(lines: list[tuple[int, str, str]]) -> dict[str, str]:
    """Turn ``kv_tree`` lines into ``{"PCI/GPU Link Info/Link Width/Max": "16x"}``; the first
    occurrence of a path wins."""
    stack: list[tuple[int, str]] = []
    out: dict[str, str] = {}
    for indent, key, value in lines:
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "/".join([s[1] for s in stack] + [key])
        if value == "":
            stack.append((indent, key))
        out.setdefault(path, value)
    return out


def first_key(d: dict[str, str], *suffixes: str) -> str | None:
    """The value of the first path ending with one of ``suffixes`` (tried in order)."""
    for suf in suffixes:
        for k, v in d.items():
            if k == suf or k.endswith("/" + suf):
                return v
    return None


def na(v: str | None) -> str | None:
    """None for the tools' spellings of 'no value'."""
    if v is None:
        return None
    v = v.strip()
    return None if v in ("", "N/A", "NA", "n/a", "-", "Not Specified", "Not Supported") else v
