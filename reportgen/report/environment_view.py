"""Section 1 (test environment): the server, accelerator and software table and the per-device table."""

from __future__ import annotations

from reportgen.ranges import MAX_CAPTURE_BYTES
from reportgen.report import formatting as fmt
from reportgen.report.view_helpers import UNRECORDED, join_distinct
from reportgen.report.view_types import EnvironmentView, Table
from reportgen.results import Fact, Results

# (component label, fact keys joined into one value, joiner)
_SERVER_ROWS: list[tuple[str, list[str], str]] = [
    ("处理器", ["cpu.model"], " "),
    ("内存", ["memory.total_bytes"], " "),
    ("型号", ["server.vendor", "server.model"], " "),
    ("CPU核数", ["cpu.cores"], " "),
    ("操作系统", ["os.name"], " "),
]
_ACCEL_ROWS: list[tuple[str, list[str], str]] = [
    ("型号", ["accelerator.vendor", "accelerator.model"], " "),
    ("数量", ["accelerator.count"], " "),
    ("显存", ["accelerator.memory_type", "accelerator.memory_bytes"], "；"),
    ("显存带宽", ["accelerator.memory_bandwidth"], " "),
    ("接口规格", ["accelerator.interface"], " "),
    ("峰值算力", ["accelerator.peak_compute"], " "),
    ("TDP", ["accelerator.tdp_w"], " "),
    ("最大操作温度", ["accelerator.max_temperature_c"], " "),
    ("驱动", ["driver.version"], " "),
    ("SDK", ["sdk.name", "sdk.version"], " "),
]
# Facts shown only when the file has them: key -> (group, label).
_EXTRA_FACTS: dict[str, tuple[str, str]] = {
    "cpu.sockets": ("server", "CPU路数"),
    "cpu.threads": ("server", "CPU线程数"),
    "accelerator.chips": ("accel", "芯片数"),
    "accelerator.memory_bytes_per_chip": ("accel", "单芯片显存"),
    "accelerator.pcie_downgraded": ("accel", "PCIe 链路降级"),
    "sdk.cuda_version": ("accel", "CUDA 兼容版本"),
    "smi.tool": ("accel", "管理工具"),
    "kernel.version": ("software", "内核版本"),
    "docker.version": ("software", "Docker"),
    "software.python": ("software", "Python"),
    "software.vllm": ("software", "vLLM"),
    "software.torch": ("software", "PyTorch"),
    "software.transformers": ("software", "Transformers"),
}
_SHOWN_ELSEWHERE = {"host"}


def _repeats(key: str, facts: dict[str, Fact]) -> bool:
    """An extra fact that only repeats a row shown already: per-chip memory on a one-chip board,
    the CUDA version where the SDK is CUDA itself."""
    def value(k: str) -> object:
        f = facts.get(k)
        return f.value if f is not None and f.present else None
    if key == "accelerator.memory_bytes_per_chip":
        return value(key) == value("accelerator.memory_bytes")
    if key == "sdk.cuda_version":
        return value(key) == value("sdk.version")
    return False


def unlabelled_facts(results: Results) -> list[str]:
    """Fact keys the environment table has no row for (a newer collector, a hand-written TOML):
    listed with their values in the traceability appendix, never as raw keys in the main text."""
    known = {k for _, keys, _ in _SERVER_ROWS + _ACCEL_ROWS for k in keys} | set(_EXTRA_FACTS) | _SHOWN_ELSEWHERE
    return sorted(set(results.environment.facts) - known)


# structured peak-compute facts (collectors.hardware.collect._compute_facts), in the order shown
_PEAK_KEYS = (("accelerator.peak_fp16_flops", "FP16", "TFLOPS"), ("accelerator.peak_bf16_flops", "BF16", "TFLOPS"),
              ("accelerator.peak_int8_ops", "INT8", "TOPS"), ("accelerator.peak_fp32_flops", "FP32", "TFLOPS"))


def _peak_compute(facts: dict[str, Fact]) -> str:
    """「FP16 989.4 TFLOPS、…（每卡，厂商规格）」 from the structured spec-sheet facts."""
    parts = [f"{name} {float(facts[k].value) / 1e12:g} {unit}" for k, name, unit in _PEAK_KEYS  # type: ignore[arg-type]
             if k in facts and facts[k].present]
    chips = facts.get("accelerator.chips")
    count = facts.get("accelerator.count")
    per = "每卡"
    if chips is not None and count is not None and chips.present and count.present and count.value:
        per_board = int(chips.value) // int(count.value)  # type: ignore[arg-type]
        if per_board > 1:
            per = f"每卡 {per_board} 颗芯片合计"
    return "、".join(parts) + f"（{per}，厂商规格）"


def _served_engine_version(results: Results) -> str | None:
    """The vLLM version the inference server itself reported (``/version``), when every server agrees."""
    versions = {v.server.engine_version for v in results.variants
                if v.server.engine_version and (v.server.engine or "vllm").lower() == "vllm"}
    return versions.pop() if len(versions) == 1 else ("、".join(sorted(versions)) if versions else None)


def fact_cell(results: Results, keys: list[str] | tuple[str, ...], joiner: str = " ") -> str:
    """What the document prints for the facts ``keys`` (one cell): the value with its unit, a
    spec-sheet value tagged, or why it is missing. The one wording of an environment fact, used
    by section 1 and by the comparison document's environment table."""
    facts = results.environment.facts
    keys = list(keys)
    present = [facts[k] for k in keys if k in facts and facts[k].present]
    if keys == ["accelerator.peak_compute"] and _PEAK_KEYS[0][0] in facts:
        return _peak_compute(facts)
    if keys == ["accelerator.count"] and not present:
        if results.environment.accelerators:
            return f"{len(results.environment.accelerators)}（据加速卡设备明细）"
    if keys == ["accelerator.count"] and present and present[0].value == 0:
        return "0（本机未发现加速卡）"
    if keys == ["software.vllm"] and not present:
        served = _served_engine_version(results)
        if served:
            return f"{served}（推理服务报告的版本）"
    if present:
        spec = [f.origin == "spec_sheet" for f in present]
        texts = [fmt.fact_value(f) for f in present]
        if any(spec) and not all(spec):  # tag only the parts the machine did not report
            texts = [t + "（厂商规格）" if s else t for t, s in zip(texts, spec)]
        value = join_distinct(texts, joiner)
        if all(spec):
            value += "（厂商规格）"
        return value
    first_missing = next((facts[k] for k in keys if k in facts), None)
    if first_missing is not None and first_missing.origin == "imported" and first_missing.reason == "not_collected":
        return "未记录（原文未给出）"
    if (first_missing is not None and first_missing.reason == "not_installed" and keys[0].startswith("software.")
            and _served_engine_version(results)):
        # the host's Python lacks it, yet a server ran: the server had its own environment (a venv, a container)
        return fmt.missing("not_installed", "主机的 Python 环境中没有；推理服务在独立环境中运行")
    return fmt.fact_text(first_missing)


def fact_present(results: Results, keys: list[str] | tuple[str, ...]) -> bool:
    """Whether ``fact_cell`` prints a value (not a reason it is missing)."""
    facts = results.environment.facts
    if any(k in facts and facts[k].present for k in keys):
        return True
    if list(keys) == ["accelerator.count"] and results.environment.accelerators:
        return True
    return list(keys) == ["software.vllm"] and _served_engine_version(results) is not None


def _fact_row(hardware: str, label: str, keys: list[str], joiner: str, results: Results) -> list[str]:
    """(hardware, component, value): where each value came from is in the provenance appendix;
    a spec-sheet value says so, since it was not measured on this machine."""
    return [hardware, label, fact_cell(results, keys, joiner)]


def environment_view(results: Results) -> EnvironmentView:
    env = results.environment
    facts = env.facts
    host = env.host or (str(facts["host"].value) if "host" in facts and facts["host"].present else None)
    server = f"服务器 ({host})" if host else "服务器"
    accel = "加速卡"
    rows: list[list[str]] = []
    for label, keys, joiner in _SERVER_ROWS:
        rows.append(_fact_row(server, label, keys, joiner, results))
    extras = {g: [(k, lab) for k, (gg, lab) in _EXTRA_FACTS.items() if gg == g and k in facts and not _repeats(k, facts)]
              for g in ("server", "accel", "software")}
    for k, lab in extras["server"]:
        rows.append(_fact_row(server, lab, [k], " ", results))
    count = facts.get("accelerator.count")
    no_accelerator = count is not None and count.present and count.value == 0
    if no_accelerator:
        # One plain line instead of a dozen "not applicable" rows.
        rows.append(_fact_row(accel, "数量", ["accelerator.count"], " ", results))
    else:
        for label, keys, joiner in _ACCEL_ROWS:
            rows.append(_fact_row(accel, label, keys, joiner, results))
        for k, lab in extras["accel"]:
            rows.append(_fact_row(accel, lab, [k], " ", results))
    for k, lab in extras["software"]:
        rows.append(_fact_row("软件", lab, [k], " ", results))

    devices = None
    if env.accelerators:
        dev_rows = []
        for a in env.accelerators:
            model = join_distinct([x for x in (a.vendor, a.model) if x], " ") or UNRECORDED
            mem = fmt.byte_size(a.memory_bytes) if a.memory_bytes else UNRECORDED
            link = a.pcie_link_status or UNRECORDED
            if a.pcie_downgraded:
                link += "（低于链路能力，已降级）"
            dev_rows.append([
                str(a.index),
                a.pci_address or UNRECORDED,
                model,
                mem,
                a.pcie_link_cap or UNRECORDED,
                link,
                str(a.numa_node) if a.numa_node is not None else UNRECORDED,
                a.driver_version or UNRECORDED,
            ])
        devices = Table(["序号", "PCI 地址", "型号", "显存", "PCIe 链路能力", "PCIe 当前链路", "NUMA 节点", "驱动版本"], dev_rows)

    notes = []
    if no_accelerator:
        notes.append(
            "本机未发现加速卡：PCI 设备中没有已知加速卡厂商或类别的设备，也未找到任何厂商的 SMI 工具；"
            "加速卡的型号、显存、接口、算力、功耗与驱动等项目均不适用。"
        )
    for o in results.environment.raw_outputs:
        for stream, total in (("标准输出", o.stdout_bytes), ("错误输出", o.stderr_bytes)):
            if total is not None:
                notes.append(f"命令 {o.id or o.command} 的{stream}共 {total} 字节，超过记录上限，已截断："
                             f"结果文件仅保留前 {fmt.byte_size(MAX_CAPTURE_BYTES)}。")
    if any(f.present and f.origin == "spec_sheet" for f in facts.values()):
        notes.append("标“厂商规格”的数值取自厂商公开规格，并非本机实测；各项数值的来源见附录“数据来源与可追溯性”。")
    return EnvironmentView(table=Table(["硬件", "组件", "详情"], rows), devices=devices, notes=notes)
