"""AMD and Hygon DCU: ``rocm-smi`` (JSON, concise table, ``-a``), ``hy-smi`` table, ``rocminfo``."""

from __future__ import annotations

import json
import re

from collectors.hardware.parsers._common import (
    MIB,
    ParseError,
    SmiDevice,
    SmiReport,
    na,
    num,
    search,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def parse_rocm_smi_json(text: str) -> SmiReport:
    """``rocm-smi ... --json``: {"card0": {...}}. VRAM keys carry their unit: ``(B)`` or ``(MiB)``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(f"not JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ParseError("not a rocm-smi JSON object")
    rep = SmiReport(tool="rocm-smi")
    for key, card in doc.items():
        m = re.match(r"card(\d+)$", key)
        if not m or not isinstance(card, dict):
            if key == "system" and isinstance(card, dict):
                rep.driver_version = card.get("Driver version")
            continue
        dev = SmiDevice(index=int(m.group(1)))
        dev.name = na(card.get("Card Series")) or na(card.get("Device Name"))
        did = na(card.get("Device ID"))
        dev.device_id = did.lower().removeprefix("0x") if did else None
        vendor = card.get("Card Vendor") or ""
        if "Haiguang" in vendor or "Hygon" in vendor:
            dev.vendor_id, rep.tool = "1d94", "rocm-smi (Hygon DCU)"
        elif "AMD" in vendor or "Advanced Micro Devices" in vendor:
            dev.vendor_id = "1002"
        dev.serial = na(card.get("Serial Number"))
        dev.uuid = na(card.get("Unique ID"))
        dev.power_w = num(na(card.get("Average Graphics Package Power (W)")))
        dev.temperature_c = num(na(card.get("Temperature (Sensor junction) (C)"))) or num(
            na(card.get("Temperature (Sensor edge) (C)"))
        )
        for k, v in card.items():
            low = k.lower()
            if low.startswith("vram total memory"):
                dev.memory_total_bytes = _vram(v, k)
            elif low.startswith("vram total used memory"):
                dev.memory_used_bytes = _vram(v, k)
            elif low.endswith("use (%)") and "memory" not in low:  # "GPU use (%)", "DCU use (%)", "HCU use (%)"
                dev.utilization_pct = num(v)
        if na(card.get("GFX Version")):
            dev.extra["gfx"] = card["GFX Version"]
        rep.devices.append(dev)
    if not rep.devices:
        raise ParseError("no 'cardN' entries in rocm-smi JSON")
    return rep


def _vram(value: str, key: str) -> int | None:
    v = num(value)
    if v is None:
        return None
    return int(v * MIB) if "(MiB)" in key else int(v)


def parse_rocm_smi_table(text: str) -> SmiReport:
    """The concise ``rocm-smi`` table: ``0 [0x74a1 : 0x00] 35.0°C 133.0W ... 750.0W 0% 0%``,
    with the product name on the following line."""
    if "ROCm System Management Interface" not in text:
        raise ParseError("not rocm-smi output")
    rep = SmiReport(tool="rocm-smi")
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        m = re.match(r"^(\d+)\s+\[(0x[0-9a-fA-F]+)\s*:\s*(0x[0-9a-fA-F]+)\]\s+(.*)$", ln)
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), device_id=m.group(2)[2:].lower(), vendor_id="1002")
        rest = m.group(4)
        dev.temperature_c = num(search(r"([\d.]+)°C", rest))
        watts = re.findall(r"([\d.]+)W\b", rest)
        if watts:
            dev.power_w = float(watts[0])
            if len(watts) > 1:
                dev.power_cap_w = float(watts[-1])
        pcts = re.findall(r"(\d+)%", rest)
        if pcts:
            dev.utilization_pct = float(pcts[-1])
            if len(pcts) >= 2:
                dev.extra["vram_pct"] = float(pcts[-2])
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if nxt and not re.match(r"^\d+\s+\[", nxt) and not nxt.startswith("="):
            dev.name = nxt
        rep.devices.append(dev)
    return rep


def parse_rocm_smi_all(text: str) -> SmiReport:
    """``rocm-smi -a``: ``GPU[n] : Key: value`` lines under section banners."""
    if "ROCm System Management Interface" not in text:
        raise ParseError("not rocm-smi output")
    rep = SmiReport(tool="rocm-smi")
    rep.driver_version = search(r"Driver version:\s*(\S+)", text)
    per: dict[int, dict[str, str]] = {}
    for ln in text.splitlines():
        m = re.match(r"^GPU\[(\d+)\]\s*:\s*([^:]+):\s*(.*)$", ln)
        if m:
            per.setdefault(int(m.group(1)), {}).setdefault(m.group(2).strip(), m.group(3).strip())
    for idx in sorted(per):
        d = per[idx]
        dev = SmiDevice(index=idx, vendor_id="1002")
        did = na(d.get("Device ID"))
        dev.device_id = did.lower().removeprefix("0x") if did else None
        dev.name = na(d.get("Card Series")) or na(d.get("Card series"))
        dev.uuid = na(d.get("Unique ID"))
        dev.firmware = na(d.get("VBIOS version"))
        dev.temperature_c = num(na(d.get("Temperature (Sensor junction) (C)")))
        dev.power_cap_w = num(na(d.get("Max Graphics Package Power (W)")))
        dev.power_w = num(na(d.get("Current Socket Graphics Package Power (W)"))) or num(
            na(d.get("Average Graphics Package Power (W)"))
        )
        dev.bus_id = _bus(d.get("PCI Bus"))
        total = na(d.get("VRAM Total Memory (B)"))
        dev.memory_total_bytes = int(total) if total and total.isdigit() else None
        used = na(d.get("VRAM Total Used Memory (B)"))
        dev.memory_used_bytes = int(used) if used and used.isdigit() else None
        dev.utilization_pct = num(na(d.get("GPU use (%)")))
        mv = na(d.get("GPU memory vendor"))
        if mv:
            dev.extra["memory_vendor"] = mv
        rep.devices.append(dev)
    return rep


def _bus(v: str | None) -> str | None:
    from collectors.hardware.parsers._common import norm_bus_id

    return norm_bus_id(v)


def parse_hy_smi(text: str) -> SmiReport:
    """``hy-smi`` table: ``DCU Temp AvgPwr Perf PwrCap VRAM% DCU% Mode``."""
    if "DCU" not in text or "System Management Interface" not in text:
        raise ParseError("not hy-smi output")
    rep = SmiReport(tool="hy-smi")
    for ln in text.splitlines():
        m = re.match(r"^(\d+)\s+([\d.]+)C\s+([\d.]+)W\s+(\S+)\s+([\d.]+)W\s+(\d+)%\s+(\d+)%\s+(\S+)", ln.strip())
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), vendor_id="1d94")
        dev.temperature_c, dev.power_w = float(m.group(2)), float(m.group(3))
        dev.power_cap_w = float(m.group(5))
        dev.extra["vram_pct"] = float(m.group(6))
        dev.utilization_pct = float(m.group(7))
        dev.extra["perf"], dev.extra["mode"] = m.group(4), m.group(8)
        rep.devices.append(dev)
    return rep


def parse_rocminfo(text: str) -> list[dict[str, str]]:
    """``rocminfo`` agents (ANSI colour codes removed): one dict per ``Agent n`` with
    Name, Marketing Name, Vendor Name, Device Type."""
    clean = _ANSI.sub("", text)
    agents: list[dict[str, str]] = []
    for block in re.split(r"^\*+\s*\n\s*Agent \d+\s*\n\*+\s*$", clean, flags=re.M)[1:]:
        a: dict[str, str] = {}
        for ln in block.splitlines():
            m = re.match(r"^  (\S[^:]*?):\s+(.*?)\s*$", ln)  # top-level keys only (2-space indent)
            if m and m.group(1) not in a:
                a[m.group(1)] = m.group(2)
        agents.append(a)
    if not agents:
        raise ParseError("no 'Agent n' sections: not rocminfo output")
    return agents
