"""Collect the environment: run the sources on a host, keep every raw output, derive facts.

``collect_environment(host, container=None) -> Environment`` is the whole stage. Every fact
is a value or a reason (``not_installed``, ``needs_root``, ``timed_out``, ``failed``,
``unparsable``, ``not_found``, ``not_applicable``); every command's output is kept in
``raw_outputs`` under the source id that the fact's ``source`` names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from collectors.execution import NOT_FOUND_EXIT, CommandResult, Host, in_container
from collectors.hardware import pci_ids, sources
from collectors.hardware.parsers import ParseError, SmiReport
from collectors.hardware.parsers.pci import PciDevice, pcie_gen
from collectors.hardware.parsers.system import os_name
from collectors.hardware.specs import CardSpec, find_spec
from reportgen.messages import note_text
from reportgen.results import Accelerator, CommandOutput, Environment, Fact, MissingReason, utc_now

MAX_LSPCI_VVV = 16  # link details for at most this many accelerator functions


@dataclass
class Outcome:
    """One source's run: the raw result, what its parser made of it, or why nothing."""

    source: sources.Source
    result: CommandResult
    value: Any = None
    reason: MissingReason | None = None
    note: str | None = None  # reportgen.messages.NOTES code
    args: dict[str, str | int | float] = field(default_factory=dict)

    @property
    def detail(self) -> str | None:
        return note_text(self.note, self.args) if self.note else None


def _first_line(text: str) -> str:
    for ln in text.splitlines():
        if ln.strip():
            return ln.strip()[:300]
    return ""


Why = tuple[MissingReason | None, str | None, dict[str, str | int | float]]  # reason, note code, its args


def reason_of(src: sources.Source, r: CommandResult) -> Why:
    """Why a command gave nothing usable (None when it ran fine), as a reason and a note."""
    err = _first_line(r.stderr) or _first_line(r.stdout)
    if r.timed_out:
        return "timed_out", "timed_out", {"command": src.id, "seconds": f"{src.timeout_s:g}"}
    if r.exit_code == 0:
        return None, None, {}
    low = (r.stderr + r.stdout).lower()
    if r.exit_code == 126 or "password is required" in low or "permission denied" in low or (
        "operation not permitted" in low
    ) or "must be root" in low or "needs root" in low:
        return "needs_root", "needs_root", {"command": src.id, "error": err or "-"}
    if r.exit_code == NOT_FOUND_EXIT or "not found" in low and (src.tool or "") in low:
        tool = src.tool or src.command.split()[0]
        return "not_installed", "tool_not_installed", {"tool": tool, "error": err or "-"}
    return "failed", "command_failed", {"command": src.id, "code": str(r.exit_code), "error": err or "-"}


def run_sources(host: Host, srcs: list[sources.Source], env: Environment,
                container: str | None = None) -> dict[str, Outcome]:
    """Run sources as one batch; parse; record each raw output in ``env``."""
    if not srcs:
        return {}
    commands = [in_container(s.command, container) for s in srcs]
    timeout = max(s.timeout_s for s in srcs)
    results = host.run(commands, timeout_s=timeout)
    out: dict[str, Outcome] = {}
    for src, res in zip(srcs, results):
        oc = Outcome(src, res)
        oc.reason, oc.note, oc.args = reason_of(src, res)
        if oc.reason is None:
            try:
                oc.value = src.parser(res.stdout)
            except (ParseError, ValueError, KeyError, IndexError) as e:
                oc.reason, oc.note, oc.args = "unparsable", "unparsable", {"command": src.id, "error": str(e)}
            if oc.reason is None and (oc.value is None or oc.value == {} or oc.value == []):
                # the dmidecode failure case prints to stdout and exits 0 on some versions
                oc.reason, oc.note, oc.args = "not_found", "printed_nothing", {
                    "command": src.id, "output": _first_line(res.stdout + res.stderr) or "-"}
        env.raw_outputs.append(CommandOutput(
            id=src.id, command=res.command, exit_code=res.exit_code, stdout=res.stdout, stderr=res.stderr,
            duration_s=round(res.duration_s, 4), timed_out=res.timed_out, host=host.name,
            container=container, reason=oc.reason, stdout_bytes=res.stdout_bytes, stderr_bytes=res.stderr_bytes,
        ))
        out[src.id] = oc
    return out


def _missing(oc: Outcome | None, **kw: Any) -> Fact:
    if oc is None:
        return Fact.missing("not_collected", **kw)
    return Fact.missing(oc.reason or "not_found", note=oc.note, note_args=oc.args, source=oc.source.id, **kw)


# --------------------------------------------------------------------------- host facts


def _host_facts(env: Environment, oc: dict[str, Outcome], host: Host) -> None:
    f = env.facts
    f["host"] = Fact.of(env.host or host.name)

    dmi = oc.get("dmi_sysfs")
    dmi_vals = dmi.value if dmi and dmi.value else {}
    dmidecode = oc.get("dmidecode")
    dd_vals = dmidecode.value if dmidecode and dmidecode.value else {}
    for key, sys_key, dd_key in (("server.vendor", "sys_vendor", "Manufacturer"),
                                 ("server.model", "product_name", "Product Name")):
        if dmi_vals.get(sys_key):
            f[key] = Fact.of(dmi_vals[sys_key], source="dmi_sysfs")
        elif dd_vals.get(dd_key) and dd_vals[dd_key] != "Not Specified":
            f[key] = Fact.of(dd_vals[dd_key], source="dmidecode")
        else:
            f[key] = _missing(dmidecode or dmi)
            if dmidecode is not None and dmi is not None:
                f[key] = Fact.missing(
                    dmidecode.reason or "not_found", note="no_dmi",
                    note_args={"tool": "dmidecode", "why": dmidecode.detail or "no System Information"},
                    source="dmidecode",
                )

    cpu = oc.get("lscpu")
    if cpu and cpu.value:
        for key, attr in (("cpu.model", "model"), ("cpu.sockets", "sockets"), ("cpu.cores", "cores"),
                          ("cpu.threads", "threads")):
            v = getattr(cpu.value, attr)
            f[key] = Fact.of(v, source="lscpu") if v is not None else Fact.missing(
                "not_found", note="lscpu_field_missing", note_args={"field": attr}, source="lscpu")
    else:
        for key in ("cpu.model", "cpu.sockets", "cpu.cores", "cpu.threads"):
            f[key] = _missing(cpu)

    mem = oc.get("meminfo")
    f["memory.total_bytes"] = (Fact.of(mem.value, unit="B", source="meminfo") if mem and mem.value
                               else _missing(mem))
    osr = oc.get("os_release")
    name = os_name(osr.value) if osr and osr.value else None
    f["os.name"] = Fact.of(name, source="os_release") if name else _missing(osr)
    k = oc.get("kernel")
    f["kernel.version"] = Fact.of(k.value, source="kernel") if k and k.value else _missing(k)
    d = oc.get("docker")
    f["docker.version"] = Fact.of(d.value, source="docker") if d and d.value else _missing(d)


def _software_facts(env: Environment, oc: Outcome | None) -> None:
    vals = oc.value if oc and oc.value else {}
    where = f"container {env.container}" if env.container else "the host"
    where_zh = f"容器 {env.container}" if env.container else "主机"
    for pkg in ("python", "vllm", "torch", "transformers"):
        key = f"software.{pkg}"
        if vals.get(pkg):
            env.facts[key] = Fact.of(vals[pkg], source="software")
        elif oc is not None and oc.reason is None:
            env.facts[key] = Fact.missing("not_installed", note="package_not_installed", source="software",
                                          note_args={"package": pkg, "where": where, "where_zh": where_zh})
        else:
            env.facts[key] = _missing(oc)


# --------------------------------------------------------------------------- accelerators


def _pci_devices(oc: dict[str, Outcome]) -> tuple[list[PciDevice], str | None]:
    sysfs = oc.get("sysfs_pci")
    if sysfs and sysfs.value:
        return sysfs.value, "sysfs_pci"
    lspci = oc.get("lspci")
    if lspci and lspci.value:
        devs = list(lspci.value)
        for dv in devs:
            if dv.vendor_id is None:
                v = pci_ids.vendor_by_name(dv.description)
                dv.vendor_id = v.id if v else None
        return devs, "lspci"
    return [], None


def _primary_smi(smi: dict[str, Outcome]) -> tuple[SmiReport | None, str | None, list[SmiReport]]:
    reports = [o.value for o in smi.values() if isinstance(o.value, SmiReport)]
    for sid, o in smi.items():
        if isinstance(o.value, SmiReport) and o.value.devices:
            return o.value, sid, reports
    return None, None, reports


def _merge_reports(primary: SmiReport, others: list[SmiReport], ids: dict[int, str] | None = None) -> dict[str, str]:
    """Fill what the primary output lacks from the tool's other outputs (same device order).
    Returns, for each report-level field taken from another output, that output's source id
    (a fact's recorded source is the command that gave it)."""
    origin: dict[str, str] = {}
    for rep in others:
        if rep is primary:
            continue
        for attr in ("driver_version", "tool_version", "sdk_name", "sdk_version", "cuda_version"):
            if getattr(primary, attr) is None and getattr(rep, attr) is not None:
                setattr(primary, attr, getattr(rep, attr))
                if ids and id(rep) in ids:
                    origin[attr] = ids[id(rep)]
        by_bus = {d.bus_id: d for d in rep.devices if d.bus_id}
        for i, dev in enumerate(primary.devices):
            other = by_bus.get(dev.bus_id) if dev.bus_id else None
            if other is None and i < len(rep.devices) and not by_bus:
                other = rep.devices[i]
            if other is None:
                continue
            for attr, val in vars(other).items():
                if attr in ("index", "extra", "max_clocks_mhz"):
                    continue
                if getattr(dev, attr) is None and val is not None:
                    setattr(dev, attr, val)
    return origin


def _smi_missing(smi: dict[str, Outcome], what: str) -> Fact:
    """Why an SMI fact is missing: the installed tool's own failure (unparsable, needs_root,
    failed, timed_out) when there was one, else that no tool was found."""
    bad = [(sid, o) for sid, o in smi.items() if o.reason not in (None, "not_installed")]
    if bad:
        sid, o = bad[0]
        reason: MissingReason = o.reason or "not_found"
        return Fact.missing(reason, note="smi_failed", source=sid,
                            note_args={"what": what, "tool": sid, "reason": reason, "error": o.detail or "-"})
    if smi:
        sid = next(iter(smi))
        return Fact.missing("not_found", note="smi_no_device", note_args={"what": what, "tool": sid}, source=sid)
    return Fact.missing("not_installed", note="no_smi_tool")


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def _spec_fact(value: Any, spec: CardSpec, unit: str | None = None, note: str = "") -> Fact:
    detail = f"规格书 (spec sheet, confidence {spec.confidence}): {spec.source}"
    if spec.notes:
        detail += f"; {spec.notes}"
    if note:
        detail += f"; {note}"
    return Fact.of(value, unit=unit, origin="spec_sheet", source=f"spec:{spec.key}", detail=detail)


def _accelerator_facts(env: Environment, oc: dict[str, Outcome], smi: dict[str, Outcome],
                       tools: dict[str, str]) -> None:
    f = env.facts
    pci_devs, pci_src = _pci_devices(oc)
    accel_pci = [d for d in pci_devs if pci_ids.is_accelerator(d.vendor_id, d.device_id, d.class_id)]
    primary, primary_id, reports = _primary_smi(smi)
    origin: dict[str, str] = {}
    if primary is not None:
        ids = {id(o.value): sid for sid, o in smi.items() if isinstance(o.value, SmiReport)}
        origin = _merge_reports(primary, reports, ids)

    if not accel_pci and primary is None and smi:
        # A tool is installed but gave nothing usable, and PCI shows nothing: unknown, not zero.
        sid, o = next(iter(smi.items()))
        reason: MissingReason = o.reason or "not_found"
        failures = "; ".join(f"{k}: {v.reason}{' (' + v.detail + ')' if v.detail else ''}" for k, v in smi.items())
        unusable: dict[str, str | int | float] = {"why": failures, "tools": ", ".join(smi)}
        for key in ("accelerator.count", "accelerator.chips", "accelerator.vendor", "accelerator.model",
                    "accelerator.memory_bytes", "accelerator.memory_type", "accelerator.memory_bandwidth",
                    "accelerator.interface", "accelerator.peak_compute", "accelerator.tdp_w",
                    "accelerator.max_temperature_c", "driver.version", "sdk.version"):
            f[key] = Fact.missing(reason, note="smi_unusable", note_args=unusable, source=sid)
        return
    if not accel_pci and primary is None:
        why = []
        why.append(f"no PCI device with a known accelerator id or class among {len(pci_devs)} "
                   f"({pci_src or 'no PCI listing'})")
        why.append("no SMI tool found" if not tools else f"SMI tool(s) {', '.join(tools)} listed no device")
        detail = note_text("no_accelerator", {"why": "; ".join(why)})
        f["accelerator.count"] = Fact.of(0, detail=detail, source=pci_src or "smi_probe")
        f["accelerator.chips"] = Fact.of(0, detail=detail, source=pci_src or "smi_probe")
        for key in ("accelerator.vendor", "accelerator.model", "accelerator.memory_bytes",
                    "accelerator.memory_type", "accelerator.memory_bandwidth", "accelerator.interface",
                    "accelerator.peak_compute", "accelerator.tdp_w", "accelerator.max_temperature_c",
                    "driver.version", "sdk.version"):
            f[key] = Fact.missing("not_applicable", note="no_accelerator", note_args={"why": "; ".join(why)})
        return

    # Vendor: from the PCI id, else from the SMI tool.
    vendor = None
    if accel_pci:
        vendor = pci_ids.vendor(accel_pci[0].vendor_id)
    if vendor is None and primary is not None:
        vendor = next((v for v in pci_ids.VENDORS.values() if primary.tool.split()[0] in v.tools), None)
    pci_product = pci_ids.product(accel_pci[0].vendor_id, accel_pci[0].device_id) if accel_pci else None
    smi_name = next((d.name for d in primary.devices if d.name), None) if primary else None
    product, board_info = _npu_board(oc)
    if product:
        smi_name = product
        for d in primary.devices if primary else []:
            d.firmware = d.firmware or board_info.get("Firmware Version")
    rocminfo = smi.get("rocminfo")
    marketing = next((a.get("Marketing Name") for a in (rocminfo.value or []) if a.get("Device Type") not in
                      (None, "CPU")), None) if rocminfo else None
    spec = find_spec(smi_name, marketing, pci_product)

    chips = len(primary.devices) if primary is not None else len(accel_pci)
    boards_from_tool = {d.board for d in primary.devices if d.board is not None} if primary else set()
    cpb = spec.chips_per_board if spec else 1
    if boards_from_tool:
        boards = len(boards_from_tool)
        if chips % boards == 0:
            cpb = chips // boards  # what the tool says beats the spec sheet
        board_note = f"{primary_id} groups the {chips} chips under {boards} board id(s)"
    else:
        boards = math.ceil(chips / cpb)
        board_note = (f"{chips} chips, {cpb} per board ({spec.model} spec sheet)" if cpb > 1 and spec
                      else f"{chips} device(s), one chip per board")
    count_src = primary_id or pci_src
    f["accelerator.count"] = Fact.of(boards, source=count_src, detail=board_note)
    f["accelerator.chips"] = Fact.of(chips, source=count_src)
    f["accelerator.vendor"] = (Fact.of(vendor.name, source=pci_src or primary_id,
                                       detail=f"PCI vendor {vendor.id} ({vendor.name_zh})")
                               if vendor else Fact.missing("not_found", note="vendor_unknown",
                                                           note_args={"vendor_id": (accel_pci[0].vendor_id if accel_pci else None) or "?"}))
    if product:
        f["accelerator.model"] = Fact.of(product, source="npu-smi info -t product",
                                         detail=f"chips: {primary.devices[0].name if primary else '?'}")
    elif smi_name:
        f["accelerator.model"] = Fact.of(smi_name, source=primary_id)
    elif pci_product:
        f["accelerator.model"] = Fact.of(pci_product, source=pci_src,
                                         detail=f"PCI id {accel_pci[0].vendor_id}:{accel_pci[0].device_id}")
    elif printed := next((d.extra["printed_name"] for d in (primary.devices if primary else []) if d.extra.get("printed_name")), None):
        # the tool cut the name to fit its column and nothing else names the card: kept as printed, said so
        f["accelerator.model"] = Fact.of(printed, source=primary_id, detail="name cut short by the tool's column, as printed")
    else:
        f["accelerator.model"] = Fact.missing(
            "not_found", note="model_unknown", note_args={"pci_id": f"{accel_pci[0].vendor_id}:{accel_pci[0].device_id}"})
    if primary is not None:
        f["smi.tool"] = Fact.of(primary.tool, source=primary_id, detail=tools.get(primary.tool.split()[0]))

    # Accelerator records: one per chip, joined with the PCI function by bus id.
    by_addr = {d.address: d for d in accel_pci}
    env.accelerators = []
    if primary is not None:
        ordered = sorted(primary.devices, key=lambda d: (d.bus_id or "", d.index))
        board_of: dict[str, int] = {}
        for i, dev in enumerate(ordered):
            p = by_addr.get(dev.bus_id or "")
            if dev.board is not None:
                board = board_of.setdefault(dev.board, len(board_of))
                chip = dev.chip
            else:
                board, chip = i // cpb, i % cpb
            env.accelerators.append(_accel(len(env.accelerators), p, dev, board, chip, primary, vendor))
        env.accelerators.sort(key=lambda a: a.smi_index if a.smi_index is not None else a.index)
        for i, a in enumerate(env.accelerators):
            a.index = i
    else:
        for i, p in enumerate(accel_pci):
            env.accelerators.append(_accel(i, p, None, i // cpb, i % cpb, None, vendor))

    # Memory: the tool's per-chip total x chips per board.
    per_chip = next((d.memory_total_bytes for d in primary.devices if d.memory_total_bytes), None) if primary else None
    if per_chip:
        f["accelerator.memory_bytes_per_chip"] = Fact.of(per_chip, unit="B", source=primary_id)
        note = f"{cpb} chips x {per_chip // 2**20} MiB" if cpb > 1 else None
        f["accelerator.memory_bytes"] = Fact.of(per_chip * cpb, unit="B", source=primary_id, detail=note)
    elif spec and spec.memory_gb:
        f["accelerator.memory_bytes"] = _spec_fact(int(spec.memory_gb * 2**30), spec, "B")
    else:
        f["accelerator.memory_bytes"] = Fact.missing("not_found", note="no_memory")
    kind = next((d.memory_kind for d in primary.devices if d.memory_kind), None) if primary else None
    if spec and spec.memory_type:
        f["accelerator.memory_type"] = _spec_fact(spec.memory_type, spec)
    elif kind:
        f["accelerator.memory_type"] = Fact.of(kind, source=primary_id)
    else:
        f["accelerator.memory_type"] = _no_spec(spec, smi_name or pci_product)
    if spec and spec.bandwidth_gbs:
        f["accelerator.memory_bandwidth"] = _spec_fact(
            spec.bandwidth_gbs * 1e9, spec, "B/s", "approximate" if spec.approximate else "")
    else:
        f["accelerator.memory_bandwidth"] = _no_spec(spec, smi_name or pci_product)

    _interface_fact(env, spec, primary, primary_id, pci_src)
    _compute_facts(env, spec, smi_name or pci_product)

    caps = [d.power_cap_w for d in primary.devices if d.power_cap_w] if primary else []
    if caps:
        f["accelerator.tdp_w"] = Fact.of(max(caps), unit="W", source=primary_id,
                                         detail="power cap reported by the SMI tool (per board where "
                                                "the tool shows it on one chip of the board)")
    elif spec and spec.tdp_w:
        f["accelerator.tdp_w"] = _spec_fact(spec.tdp_w, spec, "W")
    else:
        f["accelerator.tdp_w"] = Fact.missing("not_found", note="no_power_cap",
                                              note_args={"name": spec.model if spec else str(smi_name)})
    temps = [d.temp_max_operating_c for d in primary.devices if d.temp_max_operating_c] if primary else []
    if temps:
        f["accelerator.max_temperature_c"] = Fact.of(min(temps), unit="C", source=primary_id,
                                                     detail="max operating temperature reported by the SMI tool")
    elif spec and spec.max_temperature_c:
        f["accelerator.max_temperature_c"] = _spec_fact(spec.max_temperature_c, spec, "C")
    else:
        rel = primary.devices[0].extra.get("GPU Max Operating T.Limit Temp") if primary and primary.devices else None
        f["accelerator.max_temperature_c"] = (
            Fact.missing("not_found", note="tlimit_only", note_args={"value": rel}, source=primary_id) if rel
            else Fact.missing("not_found", note="no_max_temperature", source=primary_id))

    if primary is not None and primary.driver_version:
        f["driver.version"] = Fact.of(primary.driver_version, source=origin.get("driver_version", primary_id))
    elif primary is not None:
        f["driver.version"] = Fact.missing("not_found", note="no_driver_version", source=primary_id)
    else:
        f["driver.version"] = _smi_missing(smi, "driver version")
    if primary is not None and primary.sdk_version:
        f["sdk.version"] = Fact.of(primary.sdk_version, source=origin.get("sdk_version", primary_id))
        f["sdk.name"] = Fact.of(primary.sdk_name, source=origin.get("sdk_name", origin.get("sdk_version", primary_id)))
    elif primary is not None:
        f["sdk.version"] = Fact.missing("not_found", note="no_sdk_version", source=primary_id)
    else:
        f["sdk.version"] = _smi_missing(smi, "SDK version")
    if primary is not None and primary.cuda_version:
        f["sdk.cuda_version"] = Fact.of(primary.cuda_version, source=origin.get("cuda_version", primary_id))


def _npu_board(oc: dict[str, Outcome]) -> tuple[str | None, dict[str, str]]:
    """The product type and board keys from ``npu-smi info -t product/board`` (Ascend only)."""
    board: dict[str, str] = {}
    product = None
    for sid, o in oc.items():
        if sid.startswith("npu-smi info -t board") and o.value:
            board = o.value[0]
        if sid.startswith("npu-smi info -t product") and o.value:
            product = next((b["Product Type"] for b in o.value if na_(b.get("Product Type"))), None)
    return product, board


def na_(v: str | None) -> str | None:
    return None if v in (None, "", "NA", "N/A") else v


def _no_spec(spec: CardSpec | None, name: str | None) -> Fact:
    if spec:
        return Fact.missing("not_found", note="no_spec_value", note_args={"model": spec.model})
    return Fact.missing("not_found", note="no_spec_entry", note_args={"name": str(name)})


def _accel(index: int, p: PciDevice | None, dev: Any, board: int, chip: int | None,
           rep: SmiReport | None, vendor: pci_ids.Vendor | None) -> Accelerator:
    a = Accelerator(index=index, board=board, chip=chip)
    if p is not None:
        a.pci_address, a.vendor_id, a.device_id, a.numa_node = p.address, p.vendor_id, p.device_id, p.numa_node
        if p.link_cap_speed_gts and p.link_cap_width:
            a.pcie_link_cap = f"{_fmt_num(p.link_cap_speed_gts)}GT/s x{p.link_cap_width}"
        if p.link_speed_gts and p.link_width:
            a.pcie_link_status = f"{_fmt_num(p.link_speed_gts)}GT/s x{p.link_width}"
        a.pcie_downgraded = p.downgraded
        a.model = pci_ids.product(p.vendor_id, p.device_id)
    a.vendor = vendor.name if vendor else None
    if dev is not None:
        a.smi_index = dev.index
        a.pci_address = a.pci_address or dev.bus_id
        a.vendor_id = a.vendor_id or dev.vendor_id
        a.device_id = a.device_id or dev.device_id
        a.model = dev.name or a.model or dev.extra.get("printed_name")
        a.memory_bytes = dev.memory_total_bytes
        a.memory_type = dev.memory_kind
        a.power_cap_w = dev.power_cap_w
        a.max_temperature_c = dev.temp_max_operating_c
        a.firmware_version = dev.firmware
        a.driver_version = rep.driver_version if rep else None
        if a.pcie_link_cap is None and dev.pcie_gen_max and dev.pcie_width_max:
            a.pcie_link_cap = f"Gen{dev.pcie_gen_max} x{dev.pcie_width_max}"
        if a.pcie_link_status is None and dev.pcie_gen_current and dev.pcie_width_current:
            a.pcie_link_status = f"Gen{dev.pcie_gen_current} x{dev.pcie_width_current}"
            if a.pcie_downgraded is None and dev.pcie_gen_max and dev.pcie_width_max:
                a.pcie_downgraded = (dev.pcie_gen_current < dev.pcie_gen_max
                                     or dev.pcie_width_current < dev.pcie_width_max)
        extra = {k: v for k, v in {
            "serial": dev.serial, "uuid": dev.uuid, "temp_slowdown_c": dev.temp_slowdown_c,
            "temp_shutdown_c": dev.temp_shutdown_c, "max_clocks_mhz": dev.max_clocks_mhz or None,
            **dev.extra}.items() if v is not None}
        a.extra = extra
    return a


def _interface_fact(env: Environment, spec: CardSpec | None, primary: SmiReport | None,
                    primary_id: str | None, pci_src: str | None) -> None:
    caps = []
    for a in env.accelerators:
        m = re.match(r"([\d.]+)GT/s x(\d+)", a.pcie_link_cap or "")
        if m:
            caps.append((pcie_gen(float(m.group(1))), int(m.group(2)), "pci"))
            continue
        m = re.match(r"Gen(\d) x(\d+)", a.pcie_link_cap or "")
        if m:
            caps.append((int(m.group(1)), int(m.group(2)), "smi"))
    f = env.facts
    if caps and caps[0][0]:
        gen, width, how = caps[0]
        src = pci_src if how == "pci" else primary_id
        f["accelerator.interface"] = Fact.of(f"PCIe Gen{gen} x{width}", source=src,
                                             detail="link capability of the accelerator's PCI function")
    elif spec and spec.host_link:
        f["accelerator.interface"] = _spec_fact(spec.host_link, spec,
                                                note="no link capability readable (lspci -vvv needs root)")
    else:
        f["accelerator.interface"] = Fact.missing("not_found", note="no_pcie_capability")
    down = [a.pci_address for a in env.accelerators if a.pcie_downgraded]
    known = [a for a in env.accelerators if a.pcie_downgraded is not None]
    if known:
        f["accelerator.pcie_downgraded"] = Fact.of(
            bool(down), detail=("links below capability: " + ", ".join(str(x) for x in down)) if down
            else "every link runs at its capability")


def _compute_facts(env: Environment, spec: CardSpec | None, name: str | None) -> None:
    f = env.facts
    if spec is None or not any((spec.fp16_tflops, spec.bf16_tflops, spec.int8_tops, spec.fp32_tflops)):
        f["accelerator.peak_compute"] = _no_spec(spec, name)
        return
    parts = []
    for label, v, unit, key in (("FP32", spec.fp32_tflops, "TFLOPS", "peak_fp32_flops"),
                                ("FP16", spec.fp16_tflops, "TFLOPS", "peak_fp16_flops"),
                                ("BF16", spec.bf16_tflops, "TFLOPS", "peak_bf16_flops"),
                                ("INT8", spec.int8_tops, "TOPS", "peak_int8_ops")):
        if v:
            parts.append(f"{label} {_fmt_num(v)} {unit}")
            f[f"accelerator.{key}"] = _spec_fact(v * 1e12, spec, "FLOP/s" if unit == "TFLOPS" else "OP/s")
    per = f" (per board, {spec.chips_per_board} chips)" if spec.chips_per_board > 1 else " (per board)"
    f["accelerator.peak_compute"] = _spec_fact(", ".join(parts) + per, spec)


# --------------------------------------------------------------------------- the stage


def collect_environment(host: Host, *, container: str | None = None, host_label: str | None = None,
                        timeout_s: float | None = None) -> Environment:
    """Run every source on ``host`` and return the filled ``Environment``."""
    env = Environment(host=host_label or host.name, collected_at=utc_now(), container=container)
    fp = getattr(host, "host_key_fingerprint", None)
    if fp:
        env.ssh_host_key = fp

    def srcs(items: list[sources.Source]) -> list[sources.Source]:
        if timeout_s is None:
            return items
        from dataclasses import replace

        return [replace(s, timeout_s=timeout_s) for s in items]

    oc = run_sources(host, srcs(list(sources.HOST_SOURCES)), env)
    probe = oc.get("smi_probe")
    tools: dict[str, str] = dict(probe.value) if probe and probe.value else {}

    second: list[sources.Source] = []
    dmi = oc.get("dmi_sysfs")
    if not (dmi and dmi.value and dmi.value.get("sys_vendor") and dmi.value.get("product_name")):
        second.append(sources.FALLBACK_SOURCES["dmidecode"])
    seen: set[str] = set()
    for tool in tools:
        for s in sources.SMI_SOURCES.get(tool, ()):
            if s.id not in seen:
                seen.add(s.id)
                second.append(s)
    smi_ids = set(seen)
    oc.update(run_sources(host, srcs(second), env))

    # Ascend: the board views name the product (e.g. "Atlas 300I Duo") and its firmware.
    npu = oc.get("npu-smi info")
    if npu is not None and isinstance(npu.value, SmiReport) and npu.value.devices:
        board_id = npu.value.devices[0].board
        if board_id is not None and board_id.isdigit():
            extra_src = sources.npu_board_sources(int(board_id))
            oc.update(run_sources(host, srcs(extra_src), env))

    # PCIe link capability: sysfs has it without root; else lspci -vvv (needs root for LnkCap).
    pci_devs, _ = _pci_devices(oc)
    accel = [d for d in pci_devs if pci_ids.is_accelerator(d.vendor_id, d.device_id, d.class_id)]
    need_vvv = [d for d in accel if d.link_cap_speed_gts is None][:MAX_LSPCI_VVV]
    if need_vvv and "lspci" in oc and oc["lspci"].reason != "not_installed":
        vvv = run_sources(host, srcs([sources.lspci_vvv_source(d.address) for d in need_vvv]), env)
        for d in need_vvv:
            o = vvv.get(f"lspci_vvv:{d.address}")
            for parsed in (o.value or []) if o else []:
                if parsed.address == d.address:
                    d.link_cap_speed_gts, d.link_cap_width = parsed.link_cap_speed_gts, parsed.link_cap_width
                    d.link_speed_gts, d.link_width = parsed.link_speed_gts, parsed.link_width
                    d.downgraded = parsed.downgraded
                    d.numa_node = d.numa_node if d.numa_node is not None else parsed.numa_node

    sw = run_sources(host, srcs([sources.SOFTWARE_SOURCE]), env, container=container)

    _host_facts(env, oc, host)
    smi = {k: v for k, v in oc.items() if k in smi_ids}
    _accelerator_facts(env, oc, smi, tools)
    _software_facts(env, sw.get("software"))
    return env

