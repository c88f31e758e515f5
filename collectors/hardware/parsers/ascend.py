"""Huawei Ascend ``npu-smi``: ``info`` (table), ``info -m`` (chip mapping), ``info -t <view>``."""

from __future__ import annotations

import re

from collectors.hardware.parsers._common import (
    MIB,
    ParseError,
    SmiDevice,
    SmiReport,
    cell,
    device_blocks,
    na,
    norm_bus_id,
    num,
    search,
)


def parse_info(text: str) -> SmiReport:
    """``npu-smi info``: two table rows per chip (NPU id + name, then chip id + bus id).

    Memory: the HBM column when the table has one (910 family), else the DDR column (310).
    ``board`` is the NPU id, so a 300I Duo (two chips under one NPU id) counts as one board.
    """
    if "npu-smi" not in text and not re.search(r"\|\s*NPU\s+Name\s*\|", text):
        raise ParseError("no 'npu-smi' header and no 'NPU Name' row: not 'npu-smi info' output")
    rep = SmiReport(tool="npu-smi")
    rep.tool_version = search(r"npu-smi\s+(\S+)", text)
    rep.driver_version = search(r"Version:\s*(\S+)", text)
    has_hbm = "HBM-Usage" in text
    for rows in device_blocks(text):
        if len(rows) < 2:
            continue
        m1 = re.match(r"^(\d+)\s+(.*)$", cell(rows, 0, 0))
        m2 = re.match(r"^(\d+)(?:\s+(\d+))?", cell(rows, 1, 0))
        if not m1 or not m2:
            continue
        dev = SmiDevice(index=len(rep.devices), board=m1.group(1), chip=int(m2.group(1)))
        dev.name = na(m1.group(2).strip())
        if dev.name in ("xxx",):  # masked by the publisher of a sample
            dev.name = None
        if m2.group(2) is not None:
            dev.extra["device_id"] = int(m2.group(2))
        dev.bus_id = norm_bus_id(cell(rows, 1, 1))
        dev.extra["health"] = cell(rows, 0, 1) or None
        vals = cell(rows, 0, 2).split()
        if vals:
            dev.power_w = num(na(vals[0]))
        if len(vals) > 1:
            dev.temperature_c = num(na(vals[1]))
        usage = cell(rows, 1, 2)
        dev.utilization_pct = num(usage.split()[0]) if usage.split() else None
        pairs = re.findall(r"(\d+)\s*/\s*(\d+)", usage)
        if pairs:
            if has_hbm and len(pairs) > 1:
                used, total = pairs[-1]
                dev.memory_kind = "HBM"
                dev.extra["ddr_total_bytes"] = int(pairs[0][1]) * MIB
            else:
                used, total = pairs[0]
                dev.memory_kind = "HBM" if has_hbm else "DDR"
            dev.memory_used_bytes, dev.memory_total_bytes = int(used) * MIB, int(total) * MIB
        rep.devices.append(dev)
    return rep


def parse_info_m(text: str) -> list[dict[str, str]]:
    """``npu-smi info -m``: rows of NPU ID / Chip ID / Chip Logic ID / Chip Name."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+|-)\s+(.+?)\s*$", line)
        if m:
            rows.append({"npu_id": m.group(1), "chip_id": m.group(2), "logic_id": m.group(3), "name": m.group(4)})
    if not rows:
        raise ParseError("no chip rows: not 'npu-smi info -m' output")
    return rows


def parse_info_t(text: str) -> list[dict[str, str]]:
    """``npu-smi info -t <view> -i <id>``: ``Key : value`` lines, in blocks.

    Returns one dict per block (blank-line separated); the first holds the board-level keys.
    A ``Chip ID`` line belongs to the block it ends (npu-smi prints it last in ``usages``).
    """
    blocks: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur = {}
            continue
        if ":" in line:
            k, v = line.split(":", 1)
            cur[k.strip()] = v.strip()
    if cur:
        blocks.append(cur)
    if not blocks or "NPU ID" not in blocks[0]:
        raise ParseError("no 'NPU ID' line: not 'npu-smi info -t' output")
    return blocks
