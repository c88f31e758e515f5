"""The other domestic vendors' SMI tools, one function per output format.

Cambricon ``cnmon`` table; MetaX ``mx-smi`` table (2.1.x and 2.2.x layouts), ``mx-smi
--show-temperature --show-usage --show-memory`` and ``mx-smi topo -m``; Moore Threads
``mthreads-gmi`` table; Enflame ``efsmi -q`` and the ``efsmi`` list; Kunlunxin ``xpu_smi -m``.
"""

from __future__ import annotations

import re

from collectors.hardware.parsers._common import (
    MIB,
    ParseError,
    SmiDevice,
    SmiReport,
    cell,
    device_blocks,
    first_key,
    intnum,
    kv_paths,
    kv_tree,
    na,
    norm_bus_id,
    num,
    search,
    size_bytes,
)

# --------------------------------------------------------------------------- Cambricon


def parse_cnmon(text: str) -> SmiReport:
    """``cnmon`` table (card, VF, name, firmware / temp, power usage/cap, memory)."""
    if "CNMON" not in text:
        raise ParseError("no 'CNMON' header: not cnmon output")
    rep = SmiReport(tool="cnmon")
    rep.tool_version = search(r"CNMON\s+v?(\d[\w.\-]*)", text)
    # v5+: "Driver v5.10.13" in the banner; v4: a per-card "Inited  Driver" column ("On  v4.20.11").
    # Only a version-shaped value is a version (v4's banner has none: never the column ruler "|").
    rep.driver_version = search(r"Driver\s+v(\d[\w.\-]*)", text)
    per_card: set[str] = set()
    for rows in device_blocks(text):
        m = re.match(r"^(\d+)\s+(\S+)\s+(\S+)(?:\s+(v\S+))?$", cell(rows, 0, 0))
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), name=m.group(3))
        if m.group(2) != "/":
            dev.extra["vf"] = m.group(2)
        dev.firmware = m.group(4)
        col = cell(rows, 0, 1)
        dev.bus_id = norm_bus_id(col)
        if (drv := search(r"\bv(\d[\w.\-]*)$", col)) is not None:
            per_card.add(drv)
            inited = search(r"^(On|Off)\b", col)
            if inited:
                dev.extra["inited"] = inited
        dev.utilization_pct = num(search(r"(\d+)%", cell(rows, 0, 2)))
        second = cell(rows, 1, 0)
        dev.temperature_c = num(search(r"(\d+)C\b", second))
        pm = re.search(r"(\d+(?:\.\d+)?)\s*W\s*/\s*(\d+(?:\.\d+)?)\s*W", second)
        if pm:
            dev.power_w, dev.power_cap_w = float(pm.group(1)), float(pm.group(2))
        mm = re.search(r"(\d+)\s*MiB\s*/\s*(\d+)\s*MiB", cell(rows, 1, 1))
        if mm:  # the published sample masks the total as "xxxxx"
            dev.memory_used_bytes, dev.memory_total_bytes = int(mm.group(1)) * MIB, int(mm.group(2)) * MIB
        rep.devices.append(dev)
    if rep.driver_version is None and len(per_card) == 1:
        rep.driver_version = per_card.pop()
    return rep


# --------------------------------------------------------------------------- MetaX


def parse_mx_smi(text: str) -> SmiReport:
    """``mx-smi`` table, both the 2.1.x layout (GPU NAME | Bus-id | Util / Temp Power) and the
    2.2.x one (Board Name | GPU Persist-M | Bus-id | ... / Pwr:Usage/Cap | Temp Perf | ...)."""
    if "MOFFETT" in text.upper() or "SOLA Version" in text:
        raise ParseError("MOFFETT-SMI output: Moffett's tool is also called mx-smi, but it is not MetaX's")
    if "MX-SMI" not in text and "mx-smi" not in text:
        raise ParseError("no 'MX-SMI' header: not mx-smi output")
    rep = SmiReport(tool="mx-smi")
    rep.tool_version = search(r"MX-SMI\s+(\d\S*)", text) or search(r"mx-smi\s+version:\s*(\S+)", text)
    rep.driver_version = search(r"Kernel Mode Driver Version:\s*(\S+)", text)
    rep.sdk_version = search(r"MACA Version:\s*(\S+)", text)
    rep.sdk_name = "MACA" if rep.sdk_version else None
    bios = search(r"BIOS Version:\s*(\S+)", text)
    for rows in device_blocks(text):
        m = re.match(r"^(\d+)\s+(.+)$", cell(rows, 0, 0))
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), name=m.group(2).strip(), firmware=bios)
        joined = " | ".join(" | ".join(r) for r in rows)
        dev.bus_id = norm_bus_id(joined)
        mm = re.search(r"(\d+)\s*/\s*(\d+)\s*MiB", joined)
        if mm:
            dev.memory_used_bytes, dev.memory_total_bytes = int(mm.group(1)) * MIB, int(mm.group(2)) * MIB
        pm = re.search(r"(\d+(?:\.\d+)?)W\s*/\s*(\d+(?:\.\d+)?)W", joined)
        if pm:
            dev.power_w, dev.power_cap_w = float(pm.group(1)), float(pm.group(2))
        else:
            dev.power_w = num(search(r"\b(\d+(?:\.\d+)?)W\b", joined))
        dev.temperature_c = num(search(r"\b(\d+(?:\.\d+)?)C\b", joined))
        dev.utilization_pct = num(search(r"(\d+(?:\.\d+)?)%", joined))
        rep.devices.append(dev)
    return rep


def parse_mx_smi_show(text: str) -> SmiReport:
    """``mx-smi --show-temperature --show-usage --show-memory``: a block per ``GPU#n NAME BUS``."""
    parts = re.split(r"^GPU#(\d+)\s+(\S+)\s+(\S+)\s*$", text, flags=re.M)
    if len(parts) < 4:
        raise ParseError("no 'GPU#n' block: not 'mx-smi --show-*' output")
    rep = SmiReport(tool="mx-smi", tool_version=search(r"mx-smi\s+version:\s*(\S+)", text))
    for i in range(1, len(parts), 4):
        d = kv_paths(kv_tree(parts[i + 3]))
        dev = SmiDevice(index=int(parts[i]), name=parts[i + 1], bus_id=norm_bus_id(parts[i + 2]))
        dev.memory_total_bytes = size_bytes(na(d.get("Memory/vram total")))
        dev.memory_used_bytes = size_bytes(na(d.get("Memory/vram used")))
        dev.temperature_c = num(na(d.get("Chip Temperature/hotspot")))
        dev.utilization_pct = num(na(d.get("Utilization/GPU")))
        rep.devices.append(dev)
    return rep


def parse_mx_topo(text: str) -> dict[str, dict[str, str]]:
    """``mx-smi topo -m``: {"GPU0": {"GPU1": "MX", ..., "Node Affinity": "0", ...}}."""
    lines = text.splitlines()
    try:
        hi = next(i for i, ln in enumerate(lines) if re.match(r"^\s+GPU0\s", ln))
    except StopIteration:
        raise ParseError("no GPU0 header row: not 'topo -m' output") from None
    header = re.split(r"\s{2,}|\t", lines[hi].strip())
    out: dict[str, dict[str, str]] = {}
    for ln in lines[hi + 1:]:
        m = re.match(r"^(GPU\d+)\s+(.*)$", ln)
        if not m:
            if out:
                break
            continue
        vals = m.group(2).split()
        row = dict(zip(header, vals[: len(header) - 1] + [" ".join(vals[len(header) - 1:])]))
        out[m.group(1)] = row
    return out


# --------------------------------------------------------------------------- Moore Threads


def parse_mthreads_gmi(text: str) -> SmiReport:
    """``mthreads-gmi`` table: ``0 MTT S5000 |bus |0% 0MiB(81920MiB)`` / ``Physical P0 |16x(16x) |48C``."""
    if "mthreads-gmi" not in text:
        raise ParseError("no 'mthreads-gmi' header: not mthreads-gmi output")
    rep = SmiReport(tool="mthreads-gmi")
    rep.tool_version = search(r"mthreads-gmi:\s*(\S+)", text)
    rep.driver_version = search(r"Driver Version:\s*(\S+)", text)
    lines = text.split("Processes:")[0].splitlines()
    for i, ln in enumerate(lines):
        m = re.match(r"^(\d+)\s+(.+?)\s*\|(.*)$", ln)
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), name=m.group(2).strip())
        rest = m.group(3)
        dev.bus_id = norm_bus_id(rest)
        dev.utilization_pct = num(search(r"(\d+)%", rest))
        mm = re.search(r"(\d+)MiB\((\d+)MiB\)", rest)
        if mm:
            dev.memory_used_bytes, dev.memory_total_bytes = int(mm.group(1)) * MIB, int(mm.group(2)) * MIB
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        wm = re.search(r"(\d+)x\((\d+)x\)", nxt)
        if wm:  # current lane width (max)
            dev.pcie_width_current, dev.pcie_width_max = int(wm.group(1)), int(wm.group(2))
        dev.temperature_c = num(search(r"\|\s*(\d+)C\b", nxt))
        dev.extra["device_type"] = search(r"^\s+(\S+)", nxt)
        rep.devices.append(dev)
    return rep


# --------------------------------------------------------------------------- Enflame


def _gen(v: str | None) -> int | None:
    return intnum(na(v))


def parse_efsmi_query(text: str) -> SmiReport:
    """``efsmi -q [-d ...]``: indented blocks per ``DEV ID n`` (key names differ by release:
    ``Mem Size`` in 1.x, ``Total Size`` later)."""
    parts = re.split(r"^DEV ID (\d+)\s*$", text, flags=re.M)
    if len(parts) < 3:
        raise ParseError("no 'DEV ID n' block: not 'efsmi -q' output")
    rep = SmiReport(tool="efsmi")
    for i in range(1, len(parts), 2):
        d = kv_paths(kv_tree(parts[i + 1]))
        dev = SmiDevice(index=int(parts[i]))
        dev.name = na(first_key(d, "Device Info/Dev Name"))
        dev.serial = na(first_key(d, "Device Info/Dev SN"))
        dev.uuid = na(first_key(d, "Device Info/Dev UUID"))
        drv = na(first_key(d, "Driver Info/Ver"))
        if drv:
            rep.driver_version = drv
        dev.vendor_id = (na(first_key(d, "PCIe Info/Vendor ID")) or "").lower() or None
        dev.device_id = (na(first_key(d, "PCIe Info/Device ID")) or "").lower() or None
        dom, bus = na(first_key(d, "PCIe Info/Domain")), na(first_key(d, "PCIe Info/Bus"))
        dv, fn = na(first_key(d, "PCIe Info/Dev")), na(first_key(d, "PCIe Info/Func"))
        if dom and bus and dv and fn:
            dev.bus_id = norm_bus_id(f"{dom}:{bus}:{dv}.{fn}")
        dev.pcie_gen_max = _gen(first_key(d, "Max Link Speed"))
        dev.pcie_gen_current = _gen(first_key(d, "Cur Link Speed"))
        dev.pcie_width_max = _gen(first_key(d, "Max Link Width"))
        dev.pcie_width_current = _gen(first_key(d, "Cur Link Width"))
        total = first_key(d, "Device Mem Info/Total Size", "Device Mem Info/Mem Size")
        used = first_key(d, "Device Mem Info/Used Size", "Device Mem Info/Mem Usage")
        dev.memory_total_bytes = size_bytes(na(total))
        dev.memory_used_bytes = size_bytes(na(used))
        dev.temperature_c = num(na(first_key(d, "Temperature Info/GCU Temp")))
        dev.utilization_pct = num(na(first_key(d, "Device Usage Info/GCU Usage")))
        dev.power_cap_w = num(na(first_key(d, "Power Info/Power Capa")))
        dev.power_w = num(na(first_key(d, "Power Info/Cur Power")))
        rep.devices.append(dev)
    return rep


def parse_efsmi_list(text: str) -> SmiReport:
    """The ``efsmi`` list view: GCU, SN, Slot, vendor:device, Bus, CPU affinity, UUID."""
    rep = SmiReport(tool="efsmi")
    for ln in text.splitlines():
        m = re.match(
            r"^\s*(\d+)\s+(\S+)\s+(\S+\s*\(X\d+\))\s+([0-9a-f]{4}):([0-9a-f]{4})\s+(\S+)\s+(\S+)\s+(\S+)\s*$", ln
        )
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), serial=m.group(2), vendor_id=m.group(4), device_id=m.group(5))
        slot = m.group(3)
        dev.extra["slot"] = slot
        dev.pcie_gen_max = intnum(search(r"PCIE(\d+)", slot))
        dev.pcie_width_max = intnum(search(r"X(\d+)", slot))
        dev.bus_id = norm_bus_id(m.group(6))
        dev.extra["cpu_affinity"] = m.group(7)
        dev.uuid = m.group(8)
        rep.devices.append(dev)
    if not rep.devices:
        raise ParseError("no device rows: not the efsmi list view")
    return rep


_EFSMI_VER = re.compile(r"EFSMI\s*:?\s*V?(\d+(?:\.\d+)+)", re.IGNORECASE)
_EFSMI_DRV = re.compile(r"Driver Ver:\s*(\S+)")


def parse_efsmi_table(text: str) -> SmiReport:
    """``efsmi`` with no arguments: the boxed table, two rows per device (``| 0  S60 | FW VER |
    BUS-ID ECC |`` then ``| TEMP Dpm/Lpm Pwr(Usage/Cap) | Mem GCU-Virt | DUsed SN |``), as
    releases 1.2 (``39 C``, ``105W  300W``), 1.4 (``-`` when unread) and 1.6-1.7 (``34℃``,
    ``68W / 300W``, ``N/A``) print it."""
    rep = SmiReport(tool="efsmi")
    if m := _EFSMI_VER.search(text):
        rep.tool_version = m.group(1)
    if m := _EFSMI_DRV.search(text):
        rep.driver_version = m.group(1)
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in text.splitlines() if ln.strip().startswith("|")]
    for k, cells in enumerate(rows):
        if len(cells) != 3 or not re.match(r"^\d+\s+\S", cells[0]) or not norm_bus_id(cells[2]):
            continue
        idx, _, name = cells[0].partition(" ")
        dev = SmiDevice(index=int(idx), name=name.strip() or None, bus_id=norm_bus_id(cells[2]))
        dev.firmware = na(cells[1]) if cells[1] not in ("", "-") else None
        if ecc := search(r"\b(Enable|Disable)\b", cells[2]):
            dev.extra["ecc"] = ecc
        if k + 1 < len(rows) and len(rows[k + 1]) == 3 and not norm_bus_id(rows[k + 1][2]):
            a, b, c = rows[k + 1]
            dev.temperature_c = num(search(r"^(\d+(?:\.\d+)?)\s*(?:C|℃)", a))
            if state := search(r"^(?:\d+(?:\.\d+)?\s*(?:C|℃)|-|N/A)\s+(\S+)", a):
                dev.extra["power_state"] = state  # Dpm (1.2-1.4: Sleep/Active) or Lpm (1.6+: LP0, LP1)
            watts = re.findall(r"(\d+(?:\.\d+)?)\s*W\b", a)
            if len(watts) >= 1:
                dev.power_w = float(watts[0])
            if len(watts) >= 2:
                dev.power_cap_w = float(watts[1])
            dev.memory_total_bytes = size_bytes(search(r"(\d+\s*[KMGT]i?B)", b))
            if virt := search(r"[KMGT]i?B\s+(\S+)", b):
                dev.extra["gcu_virt"] = virt
            dev.utilization_pct = num(search(r"^(\d+(?:\.\d+)?)\s*%", c))
            sn = search(r"%\s+(\S+)\s*$", c)
            dev.serial = sn if sn and sn.lower() != "xxx" else None
        rep.devices.append(dev)
    if not rep.devices:
        raise ParseError("no device rows: not the efsmi table")
    return rep


# --------------------------------------------------------------------------- Kunlunxin


def parse_xpu_smi_m(text: str) -> SmiReport:
    """``xpu_smi -m``: one positional line per device (0 bus-id, 1 index, 3 SN, 4 temp C,
    8 power W, 15/16 L3 used/total MiB, 17/18 HBM used/total MiB, 20 firmware, 21 "name")."""
    rep = SmiReport(tool="xpu_smi")
    for ln in text.splitlines():
        m = re.match(r'^(.*?)"([^"]*)"(.*)$', ln)
        if not m:
            continue
        f = m.group(1).split()
        if len(f) < 21 or not norm_bus_id(f[0]):
            continue
        dev = SmiDevice(index=int(f[1]), name=m.group(2), bus_id=norm_bus_id(f[0]), serial=f[3])
        dev.temperature_c = num(f[4])
        dev.power_w = num(f[8])
        dev.memory_used_bytes, dev.memory_total_bytes = int(f[17]) * MIB, int(f[18]) * MIB
        dev.memory_kind = "HBM"
        dev.extra["l3_total_bytes"] = int(f[16]) * MIB
        dev.firmware = f[20]
        rep.devices.append(dev)
    if not rep.devices:
        raise ParseError("no device lines: not 'xpu_smi -m' output")
    return rep


def parse_xpu_smi(text: str) -> SmiReport:
    """``xpu_smi`` without options: ``Runtime Version`` / ``Driver Version`` lines, then the
    DEVICES table (DevID | PCI Addr | Model | SN | INODE | UseRate | L3 | Memory)."""
    if "DevID" not in text or "PCI Addr" not in text:
        raise ParseError("no DEVICES table (DevID | PCI Addr ...): not xpu_smi output")
    rep = SmiReport(tool="xpu_smi")
    rep.driver_version = search(r"Driver Version:\s*(\S+)", text)
    rep.sdk_version = search(r"Runtime Version:\s*(\S+)", text)
    rep.sdk_name = "XRE" if rep.sdk_version else None
    header: list[str] | None = None
    for ln in text.splitlines():
        if not ln.strip().startswith("|"):
            if header is not None and re.match(r"^\s*[A-Z]+\s*$", ln):
                break  # the next section (VIDEO, PROCESSES)
            continue
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if "DevID" in cells:
            if header is not None:
                break
            header = cells
            continue
        if header is None or len(cells) != len(header) or not cells[0].isdigit():
            continue
        row = dict(zip(header, cells, strict=True))
        dev = SmiDevice(index=int(row["DevID"]), name=na(row.get("Model")), bus_id=norm_bus_id(row.get("PCI Addr")))
        sn = na(row.get("SN"))
        dev.serial = sn if sn and "x" not in sn.lower()[-3:] else None  # "02Kxxx": masked by the publisher
        dev.utilization_pct = num(search(r"([\d.]+)\s*%", row.get("UseRate", "")))
        mm = re.search(r"(\d+)\s*/\s*(\d+)\s*MB", row.get("Memory", ""))
        if mm:
            dev.memory_used_bytes, dev.memory_total_bytes = int(mm.group(1)) * MIB, int(mm.group(2)) * MIB
        l3 = re.search(r"(\d+)\s*/\s*(\d+)\s*MB", row.get("L3", ""))
        if l3:
            dev.extra["l3_total_bytes"] = int(l3.group(2)) * MIB
        rep.devices.append(dev)
    if not rep.devices:
        raise ParseError("xpu_smi DEVICES table without device rows")
    return rep
