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


_BANNER = re.compile(r"=+\s*(?:ROCm\s+)?System Management Interface\s*=+")
_PREFIX = re.compile(r"^(?P<pre>.*?)=+")


def _concise_lines(text: str) -> list[str]:
    """The lines of a concise table with a log prefix (``nid005113 out: ``) and tabs removed."""
    lines = _ANSI.sub("", text).expandtabs(8).splitlines()
    banner = next((ln for ln in lines if _BANNER.search(ln)), "")
    m = _PREFIX.match(banner)
    pre = m.group("pre") if m and m.group("pre").strip() else ""
    return [ln[len(pre):] if pre and ln.startswith(pre) else ln for ln in lines]


def _columns(header: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: (?=OD\b)\S+)?", header)]


def parse_concise(text: str, tool: str) -> SmiReport:
    """The concise table of ``rocm-smi`` and ``hy-smi``, whatever its columns: read by the
    header (``GPU``/``DCU``/``HCU`` ``Temp AvgPwr SCLK MCLK Fan Perf PwrCap VRAM% GPU%`` ...),
    each value under the header it starts below (so an empty Perf cell stays empty). Lines
    that are not device rows (``GPU[0] : WARNING ...``) are skipped."""
    lines = _concise_lines(text)
    hi = next((i for i, ln in enumerate(lines) if re.match(r"^\s*(GPU|DCU|HCU)\b(?!\[)", ln) and "Temp" in ln), None)
    if hi is None:
        raise ParseError(f"no 'GPU/DCU/HCU  Temp ...' header row: not a {tool} concise table")
    cols = _columns(lines[hi])
    kind = cols[0][1]  # GPU, DCU or HCU
    rep = SmiReport(tool=tool)
    for ln in lines[hi + 1 :]:
        if not re.match(r"^\s*\d+\s", ln):
            if ln.strip().startswith("="):
                break
            continue
        cells: dict[str, str] = {}
        for m in re.finditer(r"\S+", ln):
            name = max((c for c in cols if c[0] <= m.start() + 1), key=lambda c: c[0], default=cols[0])[1]
            cells[name] = (cells.get(name, "") + " " + m.group(0)).strip()
        dev = SmiDevice(index=int(cells[kind]))
        dev.temperature_c = num(search(r"([\d.]+)\s*(?:°C|c|C)\b", cells.get("Temp", "")))
        dev.power_w = num(search(r"([\d.]+)W", cells.get("AvgPwr", "") or cells.get("Power", "")))
        dev.power_cap_w = num(search(r"([\d.]+)W", cells.get("PwrCap", "")))
        if dev.power_cap_w == 0.0:  # a secondary die of one package: the cap is the package's
            dev.power_cap_w = None
        util = cells.get(f"{kind}%") or cells.get("GPU%")
        dev.utilization_pct = num(search(r"([\d.]+)%", util or ""))
        vram = search(r"([\d.]+)%", cells.get("VRAM%", ""))
        if vram is not None:
            dev.extra["vram_pct"] = float(vram)
        did = cells.get("DID")
        if did and re.fullmatch(r"[0-9a-fA-F]{4}", did):
            dev.device_id = did.lower()
        for key in ("SCLK", "MCLK", "Fan", "Perf"):
            v = na(cells.get(key))
            if v:
                dev.extra[key.lower()] = v
        if kind in ("DCU", "HCU"):
            dev.vendor_id = "1d94"
        rep.devices.append(dev)
    return rep


def parse_rocm_smi_table(text: str) -> SmiReport:
    """The concise ``rocm-smi`` table: the 5.x+ layout ``0 [0x74a1 : 0x00] 35.0°C 133.0W ...``
    (product name on the following line), or any older header-driven layout (ROCm 2 - 5)."""
    if "System Management Interface" not in text:
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
    if rep.devices:
        return rep
    return parse_concise(text, "rocm-smi")


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
    """``hy-smi`` (and Hygon's ``rocm-smi`` of DTK): the concise table with ``DCU`` columns (DTK
    up to 24.04) or ``HCU`` columns (later DTK), read by its header like ``rocm-smi``."""
    if "System Management Interface" not in text and not re.search(r"^\s*(DCU|HCU)\s+Temp", text, re.M):
        raise ParseError("not hy-smi output (no 'System Management Interface' banner, no DCU/HCU table)")
    rep = parse_concise(text, "hy-smi")
    if not rep.devices:
        raise ParseError("hy-smi table without device rows")
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
