"""nvidia-smi and Iluvatar ixsmi (an NVML clone with the same outputs).

``parse_table`` reads the default table of both tools, ``parse_query`` the ``-q`` text,
``parse_xml`` the ``-q -x`` XML (``<nvidia_smi_log>`` or ``<ixsmi_log>``), ``parse_csv`` the
``--query-gpu=... --format=csv`` output (with or without header), ``parse_version`` the
``nvidia-smi --version`` block.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

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


def _tool_of(text: str, default: str) -> str:
    if "IX-ML" in text or "ixsmi" in text or "Iluvatar" in text:
        return "ixsmi"
    return default


def _header(text: str, rep: SmiReport) -> None:
    rep.driver_version = na(search(r"Driver Version:\s*(\S+)", text))
    rep.cuda_version = na(search(r"CUDA Version:\s*(\S+)", text))  # "N/A" (no CUDA driver in a VM host): unknown
    if rep.tool == "ixsmi":
        rep.tool_version = search(r"IX-ML:\s*(\S+)", text)
        # Corex (Iluvatar's SDK) reports its version as the IX-ML / driver version.
        rep.sdk_name, rep.sdk_version = "Corex", rep.tool_version or rep.driver_version
    else:
        rep.tool_version = search(r"NVIDIA-SMI\s+(\S+)", text)
        rep.sdk_name, rep.sdk_version = ("CUDA", rep.cuda_version) if rep.cuda_version else (None, None)


def parse_table(text: str) -> SmiReport:
    """The default ``nvidia-smi`` / ``ixsmi`` table."""
    if "Driver Version" not in text:
        raise ParseError("no 'Driver Version' header: not an nvidia-smi/ixsmi table")
    rep = SmiReport(tool=_tool_of(text, "nvidia-smi"))
    _header(text, rep)
    for rows in device_blocks(text):
        head = cell(rows, 0, 0)
        m = re.match(r"^(\d+)\s+(.*?)(?:\s+(On|Off))?$", head)
        if not m:
            continue
        dev = SmiDevice(index=int(m.group(1)), name=m.group(2).strip() or None)
        if dev.name and dev.name.endswith("..."):  # nvidia-smi cut the name to fit its column: kept as printed
            dev.extra["printed_name"], dev.name = dev.name, None  # beside the name, so a full PCI name still wins
        dev.bus_id = norm_bus_id(cell(rows, 0, 1))
        line2 = " ".join(cell(rows, 1, i) for i in range(3))
        mm = re.search(r"(\d+)\s*MiB\s*/\s*(\d+)\s*MiB", line2)
        if mm:
            dev.memory_used_bytes = int(mm.group(1)) * MIB
            dev.memory_total_bytes = int(mm.group(2)) * MIB
        pm = re.search(r"(N/A|\d+(?:\.\d+)?\s*W)\s*/\s*(N/A|\d+(?:\.\d+)?\s*W)", cell(rows, 1, 0))
        if pm:
            dev.power_w, dev.power_cap_w = num(na(pm.group(1))), num(na(pm.group(2)))
        dev.temperature_c = num(search(r"(\d+)C\b", cell(rows, 1, 0)))
        dev.utilization_pct = num(search(r"(\d+)%", cell(rows, 1, 2)))
        clocks = re.findall(r"(\d+)MHz", cell(rows, 0, 2))
        if len(clocks) == 2:  # ixsmi shows current SM and memory clocks here
            dev.extra["clock_sm_mhz"], dev.extra["clock_mem_mhz"] = float(clocks[0]), float(clocks[1])
        rep.devices.append(dev)
    return rep


def _width(v: str | None) -> int | None:
    return intnum(na(v))


def parse_query(text: str) -> SmiReport:
    """``nvidia-smi -q`` text: one block per ``GPU 00000000:18:00.0``."""
    if "Driver Version" not in text or not re.search(r"^GPU [0-9A-Fa-f]+:", text, re.M):
        raise ParseError("not 'nvidia-smi -q' output")
    rep = SmiReport(tool=_tool_of(text, "nvidia-smi"))
    top = kv_paths(kv_tree(text.split("\nGPU ", 1)[0]))
    rep.driver_version = na(top.get("Driver Version"))
    rep.cuda_version = na(top.get("CUDA Version"))
    rep.sdk_name, rep.sdk_version = "CUDA", rep.cuda_version
    parts = re.split(r"^GPU ([0-9A-Fa-f]+:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s*$", text, flags=re.M)
    for i in range(1, len(parts), 2):
        bus, body = parts[i], parts[i + 1]
        d = kv_paths(kv_tree(body))
        dev = SmiDevice(index=len(rep.devices), bus_id=norm_bus_id(bus))
        dev.name = na(d.get("Product Name"))
        minor = intnum(na(d.get("Minor Number")))
        if minor is not None:
            dev.index = minor
        dev.serial = na(d.get("Serial Number"))
        dev.uuid = na(d.get("GPU UUID"))
        dev.firmware = na(d.get("VBIOS Version"))
        pci_id = na(d.get("PCI/Device Id"))  # 0x233010DE: device first, then vendor
        if pci_id and len(pci_id) >= 10:
            dev.device_id, dev.vendor_id = pci_id[2:6].lower(), pci_id[6:10].lower()
        dev.pcie_gen_max = intnum(na(d.get("PCI/GPU Link Info/PCIe Generation/Max")))
        dev.pcie_gen_current = intnum(na(d.get("PCI/GPU Link Info/PCIe Generation/Current")))
        dev.pcie_width_max = _width(d.get("PCI/GPU Link Info/Link Width/Max"))
        dev.pcie_width_current = _width(d.get("PCI/GPU Link Info/Link Width/Current"))
        dev.memory_total_bytes = size_bytes(na(d.get("FB Memory Usage/Total")))
        dev.memory_used_bytes = size_bytes(na(d.get("FB Memory Usage/Used")))
        dev.utilization_pct = num(na(first_key(d, "Utilization/Gpu", "Utilization/GPU")))  # "GPU" from driver 5xx
        dev.temperature_c = num(na(d.get("Temperature/GPU Current Temp")))
        # Older drivers print absolute limits; newer ones print "T.Limit" values relative to
        # the limit (e.g. -8 C), which are not temperatures: kept in extra, not as limits.
        dev.temp_max_operating_c = num(na(d.get("Temperature/GPU Max Operating Temp")))
        dev.temp_slowdown_c = num(na(d.get("Temperature/GPU Slowdown Temp")))
        dev.temp_shutdown_c = num(na(d.get("Temperature/GPU Shutdown Temp")))
        for key in ("GPU Shutdown T.Limit Temp", "GPU Slowdown T.Limit Temp", "GPU Max Operating T.Limit Temp"):
            v = na(d.get(f"Temperature/{key}"))
            if v is not None:
                dev.extra[key] = v
        # driver 580 prints "Average" (what --query-gpu=power.draw reports) and "Instantaneous" only
        power = first_key(d, "GPU Power Readings/Power Draw", "Power Readings/Power Draw",
                          "GPU Power Readings/Average Power Draw", "GPU Power Readings/Instantaneous Power Draw")
        dev.power_w = num(na(power))
        cap = first_key(d, "GPU Power Readings/Current Power Limit", "Power Readings/Power Limit",
                        "Power Readings/Current Power Limit")
        dev.power_cap_w = num(na(cap))
        default_cap = first_key(d, "GPU Power Readings/Default Power Limit", "Power Readings/Default Power Limit")
        if na(default_cap):
            dev.extra["default_power_limit_w"] = num(default_cap)
        for k in ("Graphics", "SM", "Memory", "Video"):
            clock = num(na(d.get(f"Max Clocks/{k}")))
            if clock is not None:
                dev.max_clocks_mhz[k.lower()] = clock
        arch = na(d.get("Product Architecture"))
        if arch:
            dev.extra["architecture"] = arch
        rep.devices.append(dev)
    return rep


def _x(el: ET.Element | None, path: str) -> str | None:
    if el is None:
        return None
    f = el.find(path)
    return na(f.text) if f is not None and f.text is not None else None


def parse_xml(text: str) -> SmiReport:
    """``nvidia-smi -q -x`` / ``ixsmi -q -x``."""
    try:
        root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", text, count=1).strip())
    except ET.ParseError as e:
        raise ParseError(f"not XML: {e}") from None
    if root.tag not in ("nvidia_smi_log", "ixsmi_log"):
        raise ParseError(f"unexpected XML root <{root.tag}>")
    rep = SmiReport(tool="ixsmi" if root.tag == "ixsmi_log" else "nvidia-smi")
    rep.driver_version = _x(root, "driver_version")
    rep.cuda_version = _x(root, "cuda_version")
    if rep.tool == "ixsmi":
        rep.sdk_name, rep.sdk_version = "Corex", rep.driver_version
    else:
        rep.sdk_name, rep.sdk_version = ("CUDA", rep.cuda_version) if rep.cuda_version else (None, None)
    for i, g in enumerate(root.findall("gpu")):
        minor = intnum(_x(g, "minor_number"))
        dev = SmiDevice(index=minor if minor is not None else i)
        dev.name = _x(g, "product_name")
        dev.bus_id = norm_bus_id(g.get("id") or _x(g, "pci/pci_bus_id"))
        dev.serial = _x(g, "serial")
        dev.uuid = _x(g, "uuid")
        dev.firmware = _x(g, "vbios_version")
        pci_id = _x(g, "pci/pci_device_id")  # "00021E3E" / "0x233010DE"
        if pci_id:
            pci_id = pci_id.lower().removeprefix("0x")
            if len(pci_id) == 8:
                dev.device_id, dev.vendor_id = pci_id[:4], pci_id[4:]
        link = "pci/pci_gpu_link_info"
        dev.pcie_gen_max = intnum(_x(g, f"{link}/pcie_gen/max_link_gen"))
        dev.pcie_gen_current = intnum(_x(g, f"{link}/pcie_gen/current_link_gen"))
        dev.pcie_width_max = intnum(_x(g, f"{link}/link_widths/max_link_width"))
        dev.pcie_width_current = intnum(_x(g, f"{link}/link_widths/current_link_width"))
        mem = g.find("memory_usage") if g.find("memory_usage") is not None else g.find("fb_memory_usage")
        dev.memory_total_bytes = size_bytes(_x(mem, "total"))
        dev.memory_used_bytes = size_bytes(_x(mem, "used"))
        dev.utilization_pct = num(_x(g, "utilization/gpu_util"))
        dev.temperature_c = num(_x(g, "temperature/gpu_temp"))
        # ixsmi: max (shutdown) 105, slow 100, max_gpu (max operating) 95.
        dev.temp_shutdown_c = num(_x(g, "temperature/gpu_temp_max_threshold"))
        dev.temp_slowdown_c = num(_x(g, "temperature/gpu_temp_slow_threshold"))
        dev.temp_max_operating_c = num(_x(g, "temperature/gpu_temp_max_gpu_threshold"))
        pw = g.find("power_readings") if g.find("power_readings") is not None else g.find("gpu_power_readings")
        dev.power_w = num(_x(pw, "gpu_power_draw") or _x(pw, "power_draw"))
        dev.power_cap_w = num(_x(pw, "current_gpu_power_limit") or _x(pw, "current_power_limit")
                              or _x(pw, "power_limit"))
        for k in ("sm_clock", "mem_clock", "graphics_clock"):
            v = num(_x(g, f"max_clocks/{k}"))
            if v is not None:
                dev.max_clocks_mhz[k.removesuffix("_clock")] = v
        rep.devices.append(dev)
    return rep


# Fields reportgen asks for with --query-gpu (the order of the noheader CSV it reads).
QUERY_FIELDS = (
    "index", "name", "pci.bus_id", "memory.total", "memory.used", "power.draw", "power.limit",
    "temperature.gpu", "utilization.gpu", "driver_version", "pcie.link.gen.max", "pcie.link.width.max",
    "pcie.link.gen.current", "pcie.link.width.current", "clocks.max.sm", "clocks.max.memory",
)
TELEMETRY_FIELDS = ("index", "power.draw", "temperature.gpu", "utilization.gpu", "memory.used")
# nvidia-smi also gives the SM clock (throttling in a soak); ixsmi keeps the fields it is known to accept
NVIDIA_TELEMETRY_FIELDS = (*TELEMETRY_FIELDS, "clocks.sm")


def parse_csv(text: str, fields: tuple[str, ...] | list[str] | None = None) -> SmiReport:
    """``--query-gpu=... --format=csv[,noheader][,nounits]``.

    With a header the field names (and units like ``[MiB]``) come from it; without one,
    ``fields`` names the columns.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ParseError("empty CSV")
    names: list[str]
    units: list[str | None]
    first = [c.strip() for c in lines[0].split(",")]
    if all(re.match(r"^[a-z_.]+(\s*\[.*\])?$", c) for c in first):
        names = [re.sub(r"\s*\[.*\]$", "", c) for c in first]
        units = [search(r"\[(.*)\]", c) for c in first]
        lines = lines[1:]
    elif fields:
        names, units = list(fields), [None] * len(fields)
    else:
        raise ParseError("CSV without a header and no field list")
    rep = SmiReport(tool="nvidia-smi")
    for i, line in enumerate(lines):
        vals = [v.strip() for v in line.split(",")]
        if len(vals) != len(names):
            raise ParseError(f"CSV row {i + 1} has {len(vals)} values, expected {len(names)}")
        row = dict(zip(names, vals))
        unit = dict(zip(names, units))
        index = intnum(row.get("index"))
        dev = SmiDevice(index=index if index is not None else i)
        dev.name = na(row.get("name"))
        if dev.name and "Iluvatar" in dev.name:
            rep.tool = "ixsmi"
        dev.bus_id = norm_bus_id(row.get("pci.bus_id"))

        def mem(key: str, row: dict[str, str] = row, unit: dict[str, str | None] = unit) -> int | None:
            v = na(row.get(key))
            if v is None:
                return None
            return size_bytes(v, default_unit=(unit.get(key) or "MiB"))

        dev.memory_total_bytes = mem("memory.total")
        dev.memory_used_bytes = mem("memory.used")
        dev.power_w = num(na(row.get("power.draw")))
        dev.power_cap_w = num(na(row.get("power.limit")))
        dev.temperature_c = num(na(row.get("temperature.gpu")))
        dev.utilization_pct = num(na(row.get("utilization.gpu")))
        dev.pcie_gen_max = intnum(na(row.get("pcie.link.gen.max")))
        dev.pcie_width_max = intnum(na(row.get("pcie.link.width.max")))
        dev.pcie_gen_current = intnum(na(row.get("pcie.link.gen.current")))
        dev.pcie_width_current = intnum(na(row.get("pcie.link.width.current")))
        for k, name in (("clocks.max.sm", "sm"), ("clocks.max.memory", "memory")):
            v = num(na(row.get(k)))
            if v is not None:
                dev.max_clocks_mhz[name] = v
        for k in ("compute_cap", "pstate"):
            if na(row.get(k)):
                dev.extra[k] = row[k]
        clock = num(na(row.get("clocks.sm")))
        if clock is not None:
            dev.extra["clock_sm_mhz"] = clock
        if na(row.get("driver_version")):
            rep.driver_version = row["driver_version"]
        rep.devices.append(dev)
    return rep


def parse_version(text: str) -> SmiReport:
    """``nvidia-smi --version``."""
    if "DRIVER version" not in text and "NVIDIA-SMI version" not in text:
        raise ParseError("not 'nvidia-smi --version' output")
    d = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in text.splitlines() if ":" in ln)}
    rep = SmiReport(tool="nvidia-smi")
    rep.tool_version = d.get("nvidia-smi version")
    rep.driver_version = d.get("driver version")
    rep.cuda_version = d.get("cuda version")
    rep.sdk_name, rep.sdk_version = "CUDA", rep.cuda_version
    if d.get("nvml version"):
        rep.extra["nvml_version"] = d["nvml version"]
    return rep
