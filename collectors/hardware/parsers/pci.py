"""PCI devices: ``lspci`` / ``lspci -nn`` lines, ``lspci -vvv`` link capability and status,
and reportgen's own listing of ``/sys/bus/pci/devices`` (see ``sources.SYSFS_PCI``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from collectors.hardware.parsers._common import norm_bus_id


@dataclass
class PciDevice:
    address: str  # "0000:3f:00.0"
    vendor_id: str | None = None  # "1e3e"
    device_id: str | None = None
    class_id: str | None = None  # "1200"
    class_name: str | None = None  # "Processing accelerators"
    description: str | None = None  # lspci's text after the class
    numa_node: int | None = None
    link_cap_speed_gts: float | None = None
    link_cap_width: int | None = None
    link_speed_gts: float | None = None
    link_width: int | None = None
    downgraded: bool | None = None


_LINE = re.compile(r"^((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s+(.*?)(?:\s+\[([0-9a-f]{4})\])?:\s+(.*)$")


def parse_lspci(text: str) -> list[PciDevice]:
    """``lspci``, ``lspci -nn`` or ``lspci | grep ...``: one device per line.

    Ids come from ``[vvvv:dddd]`` (``-nn``) or ``Device vvvv:dddd`` (no name in pci.ids); where
    lspci printed only names (``Huawei ... Device d802``) the device id is taken from
    ``Device xxxx`` and the vendor is left for the caller to match by name.
    """
    out = []
    for ln in text.splitlines():
        m = _LINE.match(ln.strip())
        if not m:
            continue
        dev = PciDevice(address=norm_bus_id(m.group(1)) or m.group(1), class_name=m.group(2), class_id=m.group(3))
        desc = m.group(4)
        ids = re.search(r"\[([0-9a-f]{4}):([0-9a-f]{4})\]", desc) or re.search(
            r"\bDevice ([0-9a-f]{4}):([0-9a-f]{4})\b", desc
        )
        if ids:
            dev.vendor_id, dev.device_id = ids.group(1), ids.group(2)
        else:
            lone = re.search(r"\bDevice ([0-9a-f]{4})\b", desc)
            if lone:
                dev.device_id = lone.group(1)
        dev.description = re.sub(r"\s*\(rev [0-9a-f]+\)\s*$", "", desc).strip()
        out.append(dev)
    return out


def _speed(text: str | None) -> float | None:
    if not text:
        return None
    m = re.search(r"([\d.]+)\s*GT/s", text)
    return float(m.group(1)) if m else None


def parse_lspci_vvv(text: str) -> list[PciDevice]:
    """``lspci -vvv``: per device, NUMA node, LnkCap speed/width, LnkSta speed/width and
    whether lspci marked the link ``(downgraded)``. Works on flattened (unindented) text too."""
    devices = parse_lspci("\n".join(ln for ln in text.splitlines() if _LINE.match(ln.strip())))
    by_addr = {d.address: d for d in devices}
    cur: PciDevice | None = None
    for ln in text.splitlines():
        s = ln.strip()
        m = _LINE.match(s)
        if m and not ln.startswith((" ", "\t")):
            cur = by_addr.get(norm_bus_id(m.group(1)) or m.group(1))
            continue
        if cur is None:
            continue
        if s.startswith("NUMA node:"):
            try:
                cur.numa_node = int(s.split(":", 1)[1])
            except ValueError:
                pass
        elif s.startswith("LnkCap:"):
            cur.link_cap_speed_gts = _speed(s)
            w = re.search(r"Width x(\d+)", s)
            cur.link_cap_width = int(w.group(1)) if w else None
        elif s.startswith("LnkSta:"):
            cur.link_speed_gts = _speed(s)
            w = re.search(r"Width x(\d+)", s)
            cur.link_width = int(w.group(1)) if w else None
            cur.downgraded = "downgraded" in s
    return devices


def parse_sysfs_pci(text: str) -> list[PciDevice]:
    """reportgen's listing of ``/sys/bus/pci/devices``: one line per device,
    ``0000:3f:00.0 vendor=0x1e3e device=0x0003 class=0x120000 numa_node=0
    max_link_speed=16.0_GT/s_PCIe max_link_width=16 current_link_speed=... current_link_width=16``."""
    out = []
    for ln in text.splitlines():
        parts = ln.split()
        if not parts or not norm_bus_id(parts[0]):
            continue
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)

        def hexid(k: str, n: int, kv: dict[str, str] = kv) -> str | None:
            v = kv.get(k, "-")
            return v.lower().removeprefix("0x")[:n] if v not in ("-", "") else None

        dev = PciDevice(address=norm_bus_id(parts[0]) or parts[0])
        dev.vendor_id, dev.device_id = hexid("vendor", 4), hexid("device", 4)
        dev.class_id = hexid("class", 4)
        numa = kv.get("numa_node", "-")
        dev.numa_node = int(numa) if re.fullmatch(r"\d+", numa) else None  # -1: no NUMA info
        dev.link_cap_speed_gts = _speed(kv.get("max_link_speed", "").replace("_", " "))
        dev.link_speed_gts = _speed(kv.get("current_link_speed", "").replace("_", " "))
        mw, cw = kv.get("max_link_width", "-"), kv.get("current_link_width", "-")
        dev.link_cap_width = int(mw) if mw.isdigit() else None
        dev.link_width = int(cw) if cw.isdigit() else None
        if dev.link_cap_speed_gts and dev.link_speed_gts and dev.link_cap_width and dev.link_width:
            dev.downgraded = dev.link_speed_gts < dev.link_cap_speed_gts or dev.link_width < dev.link_cap_width
        out.append(dev)
    return out


# PCIe generation from the per-lane transfer rate.
GEN_BY_GTS = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}


def pcie_gen(gts: float | None) -> int | None:
    return GEN_BY_GTS.get(gts) if gts is not None else None
