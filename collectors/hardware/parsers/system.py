"""Host facts: lscpu (text and ``-J``), ``free``, ``/proc/meminfo``, ``/etc/os-release``,
``docker -v``, ``dmidecode -t system``, the DMI sysfs files, and reportgen's software probe."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from collectors.hardware.parsers._common import ParseError, na, size_bytes


@dataclass
class CpuInfo:
    model: str | None = None
    architecture: str | None = None
    sockets: int | None = None
    cores: int | None = None  # physical cores, all sockets
    threads: int | None = None  # logical CPUs
    numa_nodes: int | None = None
    vendor: str | None = None


def _lscpu_dict(pairs: list[tuple[str, str]]) -> CpuInfo:
    d: dict[str, str] = {}
    for k, v in pairs:
        d.setdefault(k.strip().rstrip(":"), v.strip())
    if "CPU(s)" not in d and "Model name" not in d:
        raise ParseError("no 'CPU(s)' or 'Model name': not lscpu output")

    def i(key: str) -> int | None:
        v = d.get(key)
        return int(v) if v and v.isdigit() else None

    info = CpuInfo(model=na(d.get("Model name")), architecture=d.get("Architecture"), vendor=d.get("Vendor ID"))
    info.threads = i("CPU(s)")
    info.sockets = i("Socket(s)")
    cps = i("Core(s) per socket")
    if cps is not None:
        info.cores = cps * (info.sockets or 1)
    elif info.threads and i("Thread(s) per core"):
        info.cores = info.threads // (i("Thread(s) per core") or 1)
    info.numa_nodes = i("NUMA node(s)")
    return info


def parse_lscpu(text: str) -> CpuInfo:
    pairs = [tuple(ln.split(":", 1)) for ln in text.splitlines() if ":" in ln]
    return _lscpu_dict([(k, v) for k, v in pairs])  # type: ignore[misc]


def parse_lscpu_json(text: str) -> CpuInfo:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParseError(f"not JSON: {e.msg}") from None
    rows: list[tuple[str, str]] = []

    def walk(items: list[dict]) -> None:  # newer lscpu nests fields under "children"
        for it in items:
            rows.append((str(it.get("field", "")), str(it.get("data") or "")))
            walk(it.get("children", []))

    walk(doc.get("lscpu", []) if isinstance(doc, dict) else [])
    return _lscpu_dict(rows)


def parse_meminfo(text: str) -> int | None:
    """``/proc/meminfo`` ``MemTotal:  24576000 kB`` -> bytes."""
    m = re.search(r"^MemTotal:\s*(\d+)\s*kB", text, re.M)
    return int(m.group(1)) * 1024 if m else None


def parse_free(text: str) -> int | None:
    """``free`` / ``free -b`` / ``free -h``: total of the ``Mem:`` row, in bytes
    (approximate for ``-h``, which rounds: ``23Gi``)."""
    m = re.search(r"^Mem:\s+(\S+)", text, re.M)
    if not m:
        return None
    v = m.group(1)
    return int(v) if v.isdigit() else size_bytes(v)


def parse_os_release(text: str) -> dict[str, str]:
    out = {}
    for ln in text.splitlines():
        m = re.match(r"^([A-Z_]+)=(.*)$", ln.strip())
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            out[m.group(1)] = v
    if not out:
        raise ParseError("no KEY=value lines: not os-release")
    return out


def os_name(osr: dict[str, str]) -> str | None:
    """``PRETTY_NAME``, else ``NAME VERSION``."""
    return osr.get("PRETTY_NAME") or " ".join(x for x in (osr.get("NAME"), osr.get("VERSION")) if x) or None


def parse_docker_version(text: str) -> str | None:
    m = re.search(r"Docker version\s+([^\s,]+)", text)
    return m.group(1) if m else None


def parse_dmidecode_system(text: str) -> dict[str, str]:
    """``dmidecode -t system``: the ``System Information`` keys (Manufacturer, Product Name, ...).
    Raises ``ParseError`` when there is no such section (e.g. "/dev/mem: No such file")."""
    m = re.search(r"^System Information\s*$(.*?)(?:^\S|\Z)", text, re.M | re.S)
    if not m:
        raise ParseError("no 'System Information' section in dmidecode output")
    out = {}
    for ln in m.group(1).splitlines():
        if ":" in ln:
            k, v = ln.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def parse_key_values(text: str) -> dict[str, str]:
    """``key=value`` lines (reportgen's own probes: DMI sysfs files, software versions)."""
    out = {}
    for ln in text.splitlines():
        if "=" in ln:
            k, v = ln.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def parse_dmi_sysfs(text: str) -> dict[str, str]:
    """``sys_vendor=Dell Inc.`` / ``product_name=PowerEdge R740`` lines; placeholders dropped."""
    out = {}
    for k, v in parse_key_values(text).items():
        v = na(v) or ""
        if v and v.lower() not in ("to be filled by o.e.m.", "default string", "system product name"):
            out[k] = v
    return out
