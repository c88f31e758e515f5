"""Results -> document view: everything the template shows, as formatted strings.

The view decides what each section says and formats every number (``formatting``);
derived figures (speedup, prefill tokens/s) come from ``reportgen.metrics`` and
findings from ``reportgen.validity``. The template only lays the view out: it does
no arithmetic and sees no raw numbers. Missing data becomes ``未测试（reason）``;
a sparse or empty ``Results`` still yields every section.

Table cells are plain text (multi-line with ``\\n``); the template escapes them for
Markdown. Code blocks are raw text, fenced by the template.
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass, field
from typing import Any

from reportgen import metrics
from reportgen.energy import cell_energy
from reportgen.reference_scores import (
    BBH_ITEMS,
    BBH_MULTIPLE_CHOICE_ITEMS,
    BBH_MULTIPLE_CHOICE_TASKS,
    BBH_SWIFT2024_CEILING,
    BBH_SWIFT2024_CEILING_ITEMS,
    published_references,
)
from reportgen.report import causes
from reportgen.report import embedding_view as ev
from reportgen.report import formatting as fmt
from reportgen.report.accuracy_view import accuracy_view
from reportgen.report.capacity_view import capacity_statements, capacity_view
from reportgen.report.charts import accuracy_chart_plan, chart_plan
from reportgen.report.checks_view import functional_tokens, functional_verdict, run_verdict
from reportgen.report.conclusion import ConclusionView, Statement, conclusion
from reportgen.report.provenance import ProvenanceView, RawBlock, evaluation_period, provenance, raw_blocks
from reportgen.results import (
    AccuracyResult,
    EmbeddingRun,
    EnergyMetrics,
    Fact,
    Finding,
    FunctionalCheck,
    ModelVariant,
    Results,
    ServingCell,
    ServingMetrics,
    Stats,
)
from reportgen.validity import CHECK_TITLES_ZH, EMBEDDING_CHECKS, cell_findings, cell_order, cell_status, check_results
from reportgen.variant_roles import BENCHMARK_ORDER, MODE_ZH, baseline, bench_key, is_quantized

# --------------------------------------------------------------------------- view types


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"table row has {len(row)} cells, header has {len(self.headers)}")


@dataclass
class CoverView:
    title: str
    table: Table


@dataclass
class EnvironmentView:
    table: Table
    devices: Table | None
    notes: list[str]


@dataclass
class DeploymentStepView:
    number: str
    title: str
    description: str | None
    commands: str | None
    output: str | None
    note: str | None
    level: str = "###"  # heading marks: "###" (2.n) or "####" (2.n.m, a step of a group such as docker installation)
    is_group: bool = False  # a group heading ("驱动+软件栈安装--docker方式") whose steps follow


@dataclass
class DeploymentView:
    steps: list[DeploymentStepView]
    missing: str | None


@dataclass
class FunctionalView:
    label: str
    launch_command: str | None
    launch_missing: str
    request: str | None
    request_lang: str
    request_missing: str
    response: str | None
    response_missing: str
    details: Table
    notes: list[str]


@dataclass
class CaseView:
    heading: str
    command: str | None
    printed: str | None
    printed_note: str | None
    overview: Table | None
    latency: Table | None
    notes: list[str]
    missing: str | None
    power: Table | None = None  # power, temperature and energy during the cell (card telemetry)
    power_missing: str | None = None  # "功耗与温度：未测试（…）" when the telemetry has no samples


@dataclass
class ServingView:
    heading: str
    engine: str
    requirements: list[str]
    metric_names: list[str]
    requirements_missing: str | None
    functional: list[FunctionalView]
    functional_missing: str | None
    cases: list[CaseView]
    cases_missing: str | None
    summary: Table | None
    summary_notes: list[str]
    charts: list[tuple[str, str]]  # (file name stem under charts/, title)
    summary_caption: str | None = None  # the input/output lengths, stated once
    steps: list[DeploymentStepView] = field(default_factory=list)  # 3.3's steps before the results
    cases_table: Table | None = None  # imported cells: one table of what each printed (raw output in appendix B)
    cases_command: str | None = None  # their one command, when they share it


@dataclass
class AccuracyVariantView:
    number: str
    heading: str
    commands: list[str]
    outputs: list[str]
    table: Table


@dataclass
class AccuracyView:
    heading: str
    variants: list[AccuracyVariantView]
    comparison_number: str
    comparison: Table | None
    notes: list[str]
    missing: str | None
    charts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class EmbeddingRunView:
    number: str
    heading: str
    facts: Table
    script: str | None
    command: str | None
    output: str | None
    matrices: list[tuple[str | None, Table]]  # (caption or None, table)
    pairs: Table | None
    reference: str  # the verdict line: "对照检查通过；参照：…；最小余弦相似度 0.999912，要求 ≥ 0.999；…。"
    reference_table: Table | None  # one row per compared value
    throughput: list[tuple[str, Table]]  # (caption, table) per text kind
    notes: list[str]  # "注：…" (the run's warnings)
    error: str | None


@dataclass
class EmbeddingView:
    number: int
    heading: str
    runs: list[EmbeddingRunView]
    missing: str | None


@dataclass
class FindingGroupView:
    title: str
    table: Table


@dataclass
class FindingsView:
    summary: str
    groups: list[FindingGroupView]


@dataclass
class DocumentView:
    cover: CoverView
    conclusion: ConclusionView
    environment: EnvironmentView
    deployment: DeploymentView
    serving: ServingView
    accuracy: AccuracyView
    embedding: EmbeddingView
    reranker: EmbeddingView
    findings: FindingsView
    accuracy_extra: dict[str, Any]  # reportgen.report.accuracy_view: verdicts, run summary, per-subject appendix
    capacity: Any = None  # reportgen.report.capacity_view.CapacityView: section 3.5
    raw: list[RawBlock] = field(default_factory=list)  # appendix: benchmark and evaluation output as printed
    provenance: ProvenanceView | None = None  # appendix 数据来源与可追溯性


# --------------------------------------------------------------------------- helpers

SEVERITY_ZH = {"error": "错误", "warning": "警告"}
STATUS_ZH = {"VALID": "有效", "INVALID": "无效", "WARNING": "存疑"}
UNRECORDED = "未记录"


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return os.path.basename(path.rstrip("/")) or path


def _model_name(results: Results) -> str | None:
    if results.subject.model:
        return results.subject.model
    for v in results.variants:
        if v.model:
            return v.model
        name = _basename(v.model_path) or _basename(v.served_model_name)
        if name:
            return name
    return None


def _sorted_cells(v: ModelVariant) -> list[ServingCell]:
    return sorted(v.serving, key=cell_order)


def _case_key(c: ServingCell) -> tuple[int, int, int]:
    return (c.batch_size, c.input_len, c.output_len)


def _cell_missing_reason(c: ServingCell) -> str:
    m = c.metrics
    if m is not None and m.completed == 0 and m.failed > 0:
        return "failed"
    return "not_collected"


def _stat(s: Stats | None, name: str) -> float | None:
    if s is None:
        return None
    value = getattr(s, name)
    return value if isinstance(value, (int, float)) else None


def _prefill_tps(m: ServingMetrics) -> float | None:
    if m.prefill_tps is not None:
        return m.prefill_tps
    if not m.completed:
        return None
    return metrics.prefill_tps(m.total_input_tokens / m.completed, m.ttft_ms.mean)


def _join_distinct(texts: list[str], joiner: str) -> str:
    """Join, dropping a part a later one already contains ("Iluvatar" + "Iluvatar BI-V150")."""
    kept = [t for i, t in enumerate(texts) if not any(t.lower() in later.lower() for later in texts[i + 1:])]
    return joiner.join(kept)


def _letter(i: int) -> str:
    return string.ascii_lowercase[i] if i < 26 else str(i + 1)


# --------------------------------------------------------------------------- cover


SIGN_BLANK = "________________"


def _cover(results: Results, source: str | None) -> CoverView:
    """Title, card, model, evaluation period (from the data), organisation, report number,
    tester, reviewer, date of issue; a blank line to sign where the plan or TOML gives none."""
    facts = results.environment.facts
    sub = results.subject
    card = sub.card
    if not card:
        parts = [facts[k].value for k in ("accelerator.vendor", "accelerator.model") if k in facts and facts[k].present]
        card = _join_distinct([str(p) for p in parts], " ") or None
    rows = [
        ["加速卡", card or UNRECORDED],
        ["模型", _model_name(results) or UNRECORDED],
        ["评测时间", evaluation_period(results) or UNRECORDED],
        ["评测单位", sub.organization or SIGN_BLANK],
        ["报告编号", sub.report_number or SIGN_BLANK],
        ["测试人员", sub.tester or SIGN_BLANK],
        ["审核人员", sub.reviewer or SIGN_BLANK],
        ["签发日期", sub.issued_on or SIGN_BLANK],
    ]
    return CoverView(title=results.title, table=Table(["项目", "内容"], rows))


# --------------------------------------------------------------------------- 1. environment

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


def _fact_row(hardware: str, label: str, keys: list[str], joiner: str, facts: dict[str, Fact]) -> list[str]:
    """(hardware, component, value): where each value came from is in the provenance appendix;
    a spec-sheet value says so, since it was not measured on this machine."""
    present = [facts[k] for k in keys if k in facts and facts[k].present]
    if keys == ["accelerator.peak_compute"] and _PEAK_KEYS[0][0] in facts:
        return [hardware, label, _peak_compute(facts)]
    if present:
        spec = [f.origin == "spec_sheet" for f in present]
        texts = [fmt.fact_value(f) for f in present]
        if any(spec) and not all(spec):  # tag only the parts the machine did not report
            texts = [t + "（厂商规格）" if s else t for t, s in zip(texts, spec)]
        value = _join_distinct(texts, joiner)
        if all(spec):
            value += "（厂商规格）"
        return [hardware, label, value]
    first_missing = next((facts[k] for k in keys if k in facts), None)
    if first_missing is not None and first_missing.origin == "imported" and first_missing.reason == "not_collected":
        return [hardware, label, "未记录（原文未给出）"]
    return [hardware, label, fmt.fact_text(first_missing)]


def _environment(results: Results) -> EnvironmentView:
    env = results.environment
    facts = env.facts
    host = env.host or (str(facts["host"].value) if "host" in facts and facts["host"].present else None)
    server = f"服务器 ({host})" if host else "服务器"
    accel = "加速卡"
    rows: list[list[str]] = []
    for label, keys, joiner in _SERVER_ROWS:
        rows.append(_fact_row(server, label, keys, joiner, facts))
    extras = {g: [(k, lab) for k, (gg, lab) in _EXTRA_FACTS.items() if gg == g and k in facts and not _repeats(k, facts)]
              for g in ("server", "accel", "software")}
    for k, lab in extras["server"]:
        rows.append(_fact_row(server, lab, [k], " ", facts))
    count = facts.get("accelerator.count")
    no_accelerator = count is not None and count.present and count.value == 0
    if no_accelerator:
        # One plain line instead of a dozen "not applicable" rows.
        rows.append([accel, "数量", "0（本机未发现加速卡）"])
    else:
        for label, keys, joiner in _ACCEL_ROWS:
            row = _fact_row(accel, label, keys, joiner, facts)
            if keys == ["accelerator.count"] and not (count is not None and count.present) and env.accelerators:
                row = [accel, label, f"{len(env.accelerators)}（据加速卡设备明细）"]
            rows.append(row)
        for k, lab in extras["accel"]:
            rows.append(_fact_row(accel, lab, [k], " ", facts))
    for k, lab in extras["software"]:
        rows.append(_fact_row("软件", lab, [k], " ", facts))

    devices = None
    if env.accelerators:
        dev_rows = []
        for a in env.accelerators:
            model = _join_distinct([x for x in (a.vendor, a.model) if x], " ") or UNRECORDED
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
    if any(f.present and f.origin == "spec_sheet" for f in facts.values()):
        notes.append("标“厂商规格”的数值取自厂商公开规格，并非本机实测；各项数值的来源见附录“数据来源与可追溯性”。")
    return EnvironmentView(table=Table(["硬件", "组件", "详情"], rows), devices=devices, notes=notes)


# --------------------------------------------------------------------------- 2. deployment


_PERF_STEP = "性能测试："


def _split_title(title: str) -> tuple[str | None, str]:
    """"驱动+软件栈安装--docker方式：安装docker" -> (group, step); no "：" -> (None, title)."""
    group, sep, rest = title.partition("：")
    return (group, rest) if sep and rest else (None, title)


def _deployment(results: Results) -> DeploymentView:
    """Section 2 in the seed's nesting: consecutive steps of one group ("--docker方式：…")
    become 2.n.1, 2.n.2 … under one 2.n heading. Steps of the performance test are 3.3's."""
    steps: list[DeploymentStepView] = []
    n = 0
    group_of_prev: str | None = None
    sub = 0
    for s in results.deployment:
        if s.title.startswith(_PERF_STEP):
            continue
        group, title = _split_title(s.title)
        if group is not None and group == group_of_prev:
            sub += 1
        elif group is not None:
            n += 1
            sub = 1
            steps.append(DeploymentStepView(number=f"2.{n}", title=group, description=None, commands=None,
                                            output=None, note=None, level="###", is_group=True))
        else:
            n += 1
            sub = 0
        group_of_prev = group
        steps.append(
            DeploymentStepView(
                number=f"2.{n}.{sub}" if group is not None else f"2.{n}",
                title=title if group is not None else s.title,
                description=s.description,
                commands="\n".join(s.commands) if s.commands else None,
                output=s.output,
                note=None,
                level="####" if group is not None else "###",
            )
        )
    missing = None if steps else fmt.missing("not_collected", "没有部署记录")
    return DeploymentView(steps=steps, missing=missing)


def _perf_steps(results: Results) -> list[DeploymentStepView]:
    """The seed's 3.3 steps 1–3 (replace the benchmark script, start the server, start the client)."""
    out: list[DeploymentStepView] = []
    for s in results.deployment:
        if s.title.startswith(_PERF_STEP):
            out.append(DeploymentStepView(
                number=str(len(out) + 1), title=s.title.removeprefix(_PERF_STEP), description=s.description,
                commands="\n".join(s.commands) if s.commands else None, output=s.output, note=None, level="####"))
    return out


# --------------------------------------------------------------------------- 3. serving

_FINISH_ZH = {"length": "达到最大输出长度（length）", "stop": "正常结束（stop）"}
_UNKNOWN_FIELD = "未知（未记录或原文截断）"


def _functional(v: ModelVariant) -> FunctionalView | None:
    fc: FunctionalCheck | None = v.functional_check
    launch = v.server.launch_command
    if fc is None and not launch:
        return None
    notes: list[str] = []
    request, lang = None, ""
    response = None
    response_missing = fmt.missing("not_collected")
    details_rows: list[list[str]] = []
    if fc is not None:
        if fc.command:
            request, lang = fc.command, "bash"
        elif fc.request:
            request, lang = json.dumps(fc.request, ensure_ascii=False, indent=2), "json"
        response = fc.response_text
        if fc.error:
            response_missing = fmt.missing("failed", fc.error)
        finish = _FINISH_ZH.get(fc.finish_reason or "", fc.finish_reason) if fc.finish_reason else _UNKNOWN_FIELD
        prompt, completion, derived = functional_tokens(fc)
        out_tokens = str(completion) if completion is not None else _UNKNOWN_FIELD
        if derived:
            out_tokens += "（总词元数 − 输入词元数）"
        details_rows = [
            ["接口", fc.endpoint],
            ["结束原因", finish],
            ["输入词元数", str(prompt) if prompt is not None else _UNKNOWN_FIELD],
            ["输出词元数", out_tokens],
            ["响应耗时 (s)", fmt.seconds(fc.latency_s) if fc.latency_s is not None else _UNKNOWN_FIELD],
        ]
        if fc.error:
            details_rows.append(["错误", fc.error])
        details_rows.append(["检查结果", functional_verdict(v)[1]])
        if fc.origin == "imported" and any(_UNKNOWN_FIELD in r[1] for r in details_rows):
            notes.append("原文记录的响应被截断，截断处之后的字段标为“未知”。")
    else:
        details_rows = [["功能测试", fmt.missing("not_collected")]]
    return FunctionalView(
        label=v.label,
        launch_command=launch,
        launch_missing=fmt.missing("not_collected", "未记录服务启动命令"),
        request=request,
        request_lang=lang,
        request_missing=fmt.missing("not_collected", "未记录请求"),
        response=response,
        response_missing=response_missing,
        details=Table(["项目", "内容"], details_rows),
        notes=notes,
    )


def _overview_table(m: ServingMetrics) -> Table:
    return Table(
        ["指标", "数值"],
        [
            ["成功请求数", str(m.completed)],
            ["失败请求数", str(m.failed)],
            ["测试时长 (s)", fmt.seconds(m.duration_s)],
            ["输入词元总数", str(m.total_input_tokens)],
            ["输出词元总数", str(m.total_output_tokens)],
            ["请求吞吐 (req/s)", fmt.number(m.request_throughput, 2)],
            ["输入吞吐 (tok/s)", fmt.tok_s(m.input_throughput)],
            ["TPS (tok/s)", fmt.tok_s(m.output_throughput)],
            ["总吞吐 (tok/s)", fmt.tok_s(m.total_token_throughput)],
            ["有效并发", fmt.number(m.effective_concurrency, 2)],
            ["预填充吞吐 (tok/s)", fmt.tok_s(_prefill_tps(m))],
        ],
    )


def _latency_table(m: ServingMetrics, reason: str) -> Table:
    cols = ["mean", "median", "std", "p90", "p99", "min", "max"]
    rows = []
    for name, s in (("TTFT (ms)", m.ttft_ms), ("TPOT (ms)", m.tpot_ms), ("ITL (ms)", m.itl_ms), ("E2EL (ms)", m.e2el_ms)):
        rows.append([name] + [fmt.ms(_stat(s, c), reason=reason) for c in cols])
    return Table(["指标", "均值", "中位数", "标准差", "P90", "P99", "最小", "最大"], rows)


def _energy_why_zh(c: ServingCell, e: EnergyMetrics) -> str:
    """Why a cell has no power figures, in Chinese, from the raw series."""
    series = c.telemetry
    tool = series.tool if series is not None else None
    if series is None:
        return "未采集加速卡遥测"
    if series.reason == "not_installed":
        return f"不支持 {tool} 的功耗采集" if tool else "本机未找到可读取加速卡功耗与温度的 SMI 工具"
    if series.reason is not None or not series.samples:
        return f"{tool or 'SMI 工具'} 查询没有得到采样" + (f"：{series.detail}" if series.detail else "")
    if not any(s.power_w is not None for s in series.samples):
        return f"{tool or 'SMI 工具'} 未报告功耗读数"
    if not e.devices:
        ticks = len({s.t_s for s in series.samples})
        every = f"，每 {fmt.compact(series.interval_s)} s 一次" if series.interval_s else ""
        return f"用例期间仅采样 {ticks} 次{every}，每个设备的功耗读数少于 2 个，无法积分"
    return "该用例没有计时窗口"


def _power_table(c: ServingCell, e: EnergyMetrics) -> Table:
    why = fmt.missing(e.reason, _energy_why_zh(c, e)) if e.avg_power_w is None else None

    def val(x: float | None, digits: int) -> str:
        return fmt.number(x, digits) if x is not None else (why or fmt.missing("not_collected"))

    jpt = fmt.number(e.joules_per_output_token, 3) if e.joules_per_output_token is not None else (
        why or fmt.missing("not_collected", "没有成功输出的词元"))
    series = c.telemetry
    how = []
    if series is not None and series.tool:
        how.append(series.tool + (f"，每 {fmt.compact(series.interval_s)} s 采样一次" if series.interval_s else ""))
    how.append(f"{e.samples} 个采样点")
    if e.coverage is not None:
        how.append(f"覆盖计时窗口的 {e.coverage * 100:.0f}%")
    if e.devices:
        how.append("计入设备 " + ", ".join(str(d) for d in e.devices))
    if e.devices_without_power:
        how.append("无功耗读数、未计入：设备 " + ", ".join(str(d) for d in e.devices_without_power))
    return Table(
        ["指标", "数值"],
        [
            ["平均功耗 (W)", val(e.avg_power_w, 2)],
            ["峰值功耗 (W)", val(e.peak_power_w, 2)],
            ["峰值温度 (°C)", fmt.number(e.peak_temperature_c, 1) if e.peak_temperature_c is not None
             else fmt.missing("not_found", "未报告温度读数")],
            ["能耗 (J)", val(e.energy_j, 2)],
            ["每输出词元能耗 (J/token)", jpt],
            ["采样", "；".join(how)],
        ],
    )


def _imported_cases(cells: list[tuple[ModelVariant, ServingCell]], findings: list[Finding]) -> tuple[Table | None, str | None]:
    """When every cell was imported from printed summaries: one table of what each printed
    beyond 3.4 (the blocks themselves are in appendix B) instead of a page per cell."""
    if not cells or any(c.source == "measured" or c.metrics is None for _, c in cells):
        return None, None
    absent = fmt.missing("not_collected")
    rows = []
    for v, c in cells:
        m = c.metrics
        assert m is not None
        rows.append([
            f"{v.label} · 批大小 {c.batch_size}", str(m.completed), str(m.failed), str(m.total_input_tokens),
            str(m.total_output_tokens), fmt.number(m.request_throughput, 2), fmt.tok_s(m.input_throughput),
            fmt.tok_s(m.total_token_throughput), fmt.ms(m.ttft_ms.median), fmt.ms(m.tpot_ms.median),
            STATUS_ZH[cell_status(findings, v.label, c.key)],
        ])
    headers = ["用例", "成功请求数", "失败请求数", "输入词元总数", "输出词元总数", "请求吞吐 (req/s)", "输入吞吐 (tok/s)",
               "总吞吐 (tok/s)", "TTFT 中位数 (ms)", "TPOT 中位数 (ms)", "有效性"]
    keep = [j for j in range(len(headers)) if j == 0 or any(r[j] != absent for r in rows)]
    table = Table([headers[j] for j in keep], [[fmt.NOT_APPLICABLE if r[j] == absent else r[j] for j in keep] for r in rows])
    commands = {c.command for _, c in cells}
    return table, (commands.pop() if len(commands) == 1 else None)


def _case(letter: str, v: ModelVariant, c: ServingCell, findings: list[Finding]) -> CaseView:
    heading = f"{letter}. {v.label} · 批大小 {c.batch_size} · 输入 {c.input_len} / 输出 {c.output_len} 词元"
    overview = latency = None
    missing = None
    if c.metrics is not None:
        reason = _cell_missing_reason(c)
        overview = _overview_table(c.metrics)
        latency = _latency_table(c.metrics, reason)
    else:
        missing = fmt.missing("not_collected", "该用例没有测试结果")
    power = power_missing = None
    e = cell_energy(c)
    if e is not None:
        if e.samples == 0:
            power_missing = "功耗与温度：" + fmt.missing(e.reason, _energy_why_zh(c, e))
        else:
            power = _power_table(c, e)
    notes = list(c.notes) if c.source == "measured" else []
    if c.source != "measured" and overview is not None and latency is not None:
        # An imported summary prints only some statistics: the others are not "untested" but
        # absent, so their rows and columns are left out (the printed block is in appendix B).
        absent = fmt.missing("not_collected")
        overview.rows = [row for row in overview.rows if row[1] != absent]
        rows = [row for row in latency.rows if any(x != absent for x in row[1:])]
        keep = [0] + [j for j in range(1, len(latency.headers)) if any(row[j] != absent for row in rows)]
        latency.headers = [latency.headers[j] for j in keep]
        latency.rows = [[fmt.NOT_APPLICABLE if row[j] == absent else row[j] for j in keep] for row in rows]
        notes.append("只列出原始输出中打印了的统计量。")
    status = cell_status(findings, v.label, c.key)
    if c.metrics is not None and status != "VALID":
        notes.insert(0, f"该用例的数据{STATUS_ZH[status]}，原因见 3.4 与第 7 节。")
    printed_note = "原始测试输出见[附录 B](#appB)。" if c.import_info and c.import_info.text else None
    return CaseView(heading=heading, command=c.command, printed=None, printed_note=printed_note,
                    overview=overview, latency=latency, notes=notes, missing=missing,
                    power=power, power_missing=power_missing)


MARK = "※"  # marks a doubtful value in 3.4; the row's note says why


def _derived(value: str, status: str) -> str:
    """A derived figure (speedup, prefill rate) is a plain number only when its inputs are VALID."""
    if status == "INVALID":
        return "—（无效）"
    if status == "WARNING":
        return value + MARK
    return value


def _worst(*statuses: str) -> str:
    for s in ("INVALID", "WARNING"):
        if s in statuses:
            return s
    return "VALID"


def _summary(results: Results, findings: list[Finding], numbers: dict[int, int]) -> tuple[Table | None, list[str], str | None]:
    """3.4 at a glance: the seed's four columns first (TPS, TPOT, TTFT, duration), then P99s,
    prefill rate and speedup. Doubtful values carry ``MARK``; each marked row gets one note."""
    cells = [(v, c) for v in results.variants for c in _sorted_cells(v)]
    if not cells:
        return None, [], None
    base = baseline(results.variants)
    base_cells = {_case_key(c): c for c in base.serving} if base else {}
    legacy = any(c.metrics and c.metrics.legacy_latency_per_token_ms is not None for _, c in cells)
    base_label = base.label if base else "FP16"
    shapes = sorted({(c.input_len, c.output_len) for _, c in cells})
    caption = None
    if len(shapes) == 1:
        caption = f"所有用例的输入长度均为 {shapes[0][0]} 词元、输出长度均为 {shapes[0][1]} 词元。"
    headers = [
        "用例",
        "TPS (tok/s)",
        "TPOT 均值 (ms)",
        "TTFT 均值 (ms)",
        "测试时长 (s)",
        "TTFT P99 (ms)",
        "TPOT P99 (ms)",
        "预填充吞吐 (tok/s)",
        f"加速比（÷ {base_label}）",
        "有效性",
    ]
    cols = [causes.TPS, causes.TPOT, causes.TTFT, causes.DURATION, causes.TTFT_P99, causes.TPOT_P99, causes.PREFILL]
    # Power columns only when some cell has readings: a machine without an SMI tool says so in 3.3.
    power = any(c.energy is not None or (c.telemetry is not None and c.telemetry.samples) for _, c in cells)
    if power:
        at = headers.index("预填充吞吐 (tok/s)") + 1
        headers[at:at] = ["平均功耗 (W)", "能耗 (J/token)"]
    rows = []
    notes: list[str] = []
    for v, c in cells:
        label_cell = f"{v.label} · 批大小 {c.batch_size}"
        if len(shapes) > 1:
            label_cell += f" · {c.input_len}/{c.output_len}"
        m = c.metrics
        reason = _cell_missing_reason(c)
        status = cell_status(findings, v.label, c.key)
        mine = cell_findings(findings, v.label, c.key)
        doubtful: set[str] = set()
        for f in mine:
            doubtful |= causes.doubtful_columns(f)
        if m is None:
            nums = [fmt.missing("not_collected")] * 7
        else:
            nums = [
                fmt.tok_s(m.output_throughput if m.completed else None, reason=reason),
                fmt.ms(m.tpot_ms.mean, reason=reason),
                fmt.ms(m.ttft_ms.mean, reason=reason),
                fmt.seconds(m.duration_s),
                fmt.ms(m.ttft_ms.p99, reason=reason),
                fmt.ms(m.tpot_ms.p99, reason=reason),
                fmt.tok_s(_prefill_tps(m), reason=reason),
            ]
            for i, col in enumerate(cols):
                if col in doubtful and col != causes.PREFILL and any(ch.isdigit() for ch in nums[i]):
                    nums[i] += MARK
            nums[6] = _derived(nums[6], status) if any(ch.isdigit() for ch in nums[6]) else nums[6]
        # speedup of a quantized variant over the FP16/BF16 one at the same case
        if base is None:
            speed = fmt.missing("not_collected", "无 FP16/BF16 对照")
        elif v is base:
            speed = "基准"
        elif not is_quantized(v):
            speed = fmt.NOT_APPLICABLE
        else:
            bc = base_cells.get(_case_key(c))
            if bc is None or bc.metrics is None or m is None:
                speed = fmt.missing("not_collected", f"无 {base.label} 同条件用例" if bc is None else None)
            else:
                speed = _derived(
                    fmt.ratio(metrics.speedup(bc.metrics.output_throughput, m.output_throughput, True)),
                    _worst(status, cell_status(findings, base.label, bc.key)),
                )
        refs = [f"#{numbers[id(f)]}" for f in mine if id(f) in numbers]
        valid = STATUS_ZH[status] if m is not None else fmt.missing("not_collected")
        if power:
            e = cell_energy(c)
            if e is None:
                nums += [fmt.missing("not_collected")] * 2
            else:
                nums += [
                    fmt.number(e.avg_power_w, 2, reason=e.reason or "not_collected"),
                    _derived(fmt.number(e.joules_per_output_token, 3, reason=e.reason or "not_collected"), status)
                    if e.joules_per_output_token is not None else fmt.missing(e.reason or "not_collected"),
                ]
        rows.append([label_cell, *nums, speed, valid])
        if mine and m is not None:
            words: list[str] = []
            for f in mine:
                w = causes.cause_words(f, c)
                if w not in words:
                    words.append(w)
            where = f"（第 7 节 {'、'.join(refs)}）" if refs else ""
            notes.append(f"{MARK} {label_cell}（{STATUS_ZH[status]}）：{'；'.join(words)}{where}。")
    general = [
        "TPS 为输出吞吐（输出词元总数 ÷ 测试时长）；TPOT、TTFT 为各请求的均值；P99 为第 99 百分位。",
        f"加速比 = 量化版本的 TPS ÷ 同一批大小与输入、输出长度下 {base_label} 的 TPS（大于 1 表示更快）；"
        "任一输入无效时不给出数值（记为“—（无效）”）。",
        f"有效性：无效 = 该用例有错误级别的检查结果，存疑 = 仅有警告；标有 {MARK} 的数值受检查结果影响，原因见下列各行说明，"
        "详见第 7 节。",
    ]
    if power:
        general.append(
            "平均功耗为测试时长内各加速卡功耗之和的时间加权平均，能耗 (J/token) = 测试时长内加速卡总能耗 ÷ 输出词元总数；"
            "均由用例期间的加速卡遥测采样积分得到（见附录“指标说明”）。"
        )
    if legacy:
        general.append("旧版测试程序另打印的 latency per token 与 TPOT 定义不同，不列入本表（见附录中的原始输出）。")
    return Table(headers, rows), general + notes, caption


def _serving(results: Results, findings: list[Finding], numbers: dict[int, int]) -> ServingView:
    model = _model_name(results)
    engine = next((v.server.engine for v in results.variants if v.server.engine), None) or "vllm"
    engine_name = {"vllm": "vLLM"}.get(engine.lower(), engine)
    cells = [(v, c) for v in results.variants for c in _sorted_cells(v)]
    requirements: list[str] = []
    req_missing = None
    if cells:
        requirements = [
            "批大小 = " + ", ".join(str(b) for b in sorted({c.batch_size for _, c in cells})),
            "输入长度 = " + ", ".join(str(n) for n in sorted({c.input_len for _, c in cells})) + " 词元",
            "输出长度 = " + ", ".join(str(n) for n in sorted({c.output_len for _, c in cells})) + " 词元",
            "精度：" + "、".join(v.label for v in results.variants if v.serving),
        ]
    else:
        req_missing = fmt.missing("not_collected", "没有性能测试用例")
    functional = [f for f in (_functional(v) for v in results.variants) if f is not None]
    compact, compact_command = _imported_cases(cells, findings)
    cases = [] if compact is not None else [_case(_letter(i), v, c, findings) for i, (v, c) in enumerate(cells)]
    summary, notes, caption = _summary(results, findings, numbers)
    return ServingView(
        heading=f"{model}推理用例测试" if model else "模型推理用例测试",
        engine=engine_name,
        requirements=requirements,
        metric_names=["TTFT（首词元延迟）", "TPOT（每输出词元时间，不含首词元）", "TPS（输出吞吐）"],
        steps=_perf_steps(results),
        requirements_missing=req_missing,
        functional=functional,
        functional_missing=None if functional else fmt.missing("not_collected", "没有功能测试记录"),
        cases=cases,
        cases_missing=None if cases or compact is not None else fmt.missing("not_collected", "没有性能测试用例"),
        summary=summary,
        summary_notes=notes,
        summary_caption=caption,
        cases_table=compact,
        cases_command=compact_command,
        charts=[(n, t) for n, t in chart_plan(results, findings) if n.startswith("serving_")],
    )


# --------------------------------------------------------------------------- 4. accuracy


def _unique(items: list[str]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x and x not in out:
            out.append(x)
    return out


def _accuracy_variant(number: str, model: str, v: ModelVariant, base: ModelVariant | None) -> AccuracyVariantView:
    results_sorted = sorted(v.accuracy, key=lambda a: bench_key(a.benchmark))
    benches = " ".join(_unique([a.benchmark for a in results_sorted]))
    if v is base:
        heading = f"{model}原始模型（{v.label}）{benches}评测"
    elif is_quantized(v):
        heading = f"{model}模型 {v.label} 量化 {benches}评测"
    else:
        heading = f"{model}模型 {v.label} {benches}评测"
    rows = []
    for a in results_sorted:
        n = str(a.n) if a.n is not None else UNRECORDED
        if a.n is not None and a.correct is not None:
            n = f"{a.correct}/{a.n}"
        if a.n is not None and a.n_planned is not None and a.n_planned != a.n:
            n += f"（计划 {a.n_planned}）"
        if a.n is None:
            n = "样本数未知"
        rows.append([
            a.benchmark,
            MODE_ZH.get(a.mode, a.mode),
            fmt.percent(a.score),
            n,
        ])
    return AccuracyVariantView(
        number=number,
        heading=heading,
        commands=_unique([a.command or "" for a in results_sorted]),
        outputs=[],  # the evaluator's output as printed is in the appendix
        table=Table(["基准", "评分口径", "得分", "答对/样本数"], rows),
    )


def _accuracy(results: Results) -> AccuracyView:
    named = _model_name(results)
    model = named or "模型"
    variants = [v for v in results.variants if v.accuracy]
    all_benches = _unique([a.benchmark for v in variants for a in sorted(v.accuracy, key=lambda a: bench_key(a.benchmark))])
    benches = " ".join(all_benches) if all_benches else " ".join(BENCHMARK_ORDER)
    heading = f"{named} 模型 {benches} 基准评测" if named else f"模型 {benches} 基准评测"
    if not variants:
        return AccuracyView(heading=heading, variants=[], comparison_number="4.1", comparison=None, notes=[],
                            missing=fmt.missing("not_collected", "没有精度评测结果"))
    base = baseline(results.variants)
    if base is not None and not base.accuracy:
        base = None
    views = [_accuracy_variant(f"4.{i}", model, v, base) for i, v in enumerate(variants, start=1)]

    refs = published_references(model)
    ordered = ([base] if base else []) + [v for v in variants if v is not base]
    headers = ["基准", "评分口径"]
    for v in ordered:
        headers.append(v.label)
        if base is not None and v is not base:
            headers.append(f"{v.label} − {base.label}（百分点）")
    headers.append("官方参考（BF16）")
    keys = sorted({(a.benchmark, a.mode) for v in variants for a in v.accuracy}, key=lambda k: (bench_key(k[0]), k[1]))

    def find(v: ModelVariant, key: tuple[str, str]) -> AccuracyResult | None:
        return next((a for a in v.accuracy if (a.benchmark, a.mode) == key), None)

    rows = []
    for key in keys:
        row = [key[0], MODE_ZH.get(key[1], key[1])]
        b = find(base, key) if base else None
        for v in ordered:
            a = find(v, key)
            row.append(fmt.percent(a.score if a else None))
            if base is not None and v is not base:
                if a and b and a.score is not None and b.score is not None:
                    row.append(fmt.points(a.score - b.score))
                else:
                    row.append(fmt.NOT_APPLICABLE)
        ref = refs.get(key[0])
        row.append(ref.text if ref else "未公布")
        rows.append(row)

    notes = ["得分为答对题数占比，以百分比表示；差值为相对 FP16 的百分点。"]
    if refs:
        notes.append("官方参考取自 Qwen2 技术报告、HF 模型卡与 Qwen 文档“量化模型性能”（贪心解码）：" + "；".join(
            f"{name}：{r.text}" + (f"（{r.quantized}）" if r.quantized else "") for name, r in refs.items()
        ) + "。评测设置（shot 数、提示词、抽取方式）不同，仅作量级参照。")
    if "bbh" in all_benches and any(a.benchmark == "bbh" and a.mode != "corrected" for v in variants for a in v.accuracy):
        notes.append(
            f"bbh：原版口径的评测程序（llmuses 0.4）把 {len(BBH_MULTIPLE_CHOICE_TASKS)} 个多选任务的标准答案保留为带括号的“(A)”，"
            f"而从回答中抽取的答案为“A”，这些题（{BBH_MULTIPLE_CHOICE_ITEMS}/{BBH_ITEMS}，{BBH_MULTIPLE_CHOICE_ITEMS / BBH_ITEMS:.2%}）"
            f"几乎全部判错，得分上限为 {BBH_SWIFT2024_CEILING:.2%}（{BBH_SWIFT2024_CEILING_ITEMS}/{BBH_ITEMS}）。"
            "因此该口径的 bbh 得分反映的是评测程序的缺陷而非模型能力，不参与量化精度判定；修正版口径去掉括号后再比较。"
        )
    return AccuracyView(heading=heading, variants=views,
                        comparison_number=f"4.{len(views) + 1}", comparison=Table(headers, rows), notes=notes, missing=None,
                        charts=accuracy_chart_plan(results))


# --------------------------------------------------------------------------- 5/6. embeddings

def _embedding_run(number: str, heading: str, r: EmbeddingRun, runs: list[EmbeddingRun]) -> EmbeddingRunView:
    matrices = []
    for mtx in r.matrices:
        rows = []
        for i, row_label in enumerate(mtx.rows):
            vals = mtx.values[i] if i < len(mtx.values) else []
            cells = [fmt.score(x) for x in vals[: len(mtx.cols)]]
            rows.append([row_label, *cells, *[UNRECORDED] * (len(mtx.cols) - len(cells))])
        title = ev.matrix_title(mtx.name)
        matrices.append((title if title != mtx.name else None, Table(["得分", *mtx.cols], rows)))
    pairs = None
    if r.pairs:
        pairs = Table(["文本 A", "文本 B", "得分", "归一化得分"], [
            [p.a, p.b, fmt.score(p.score), fmt.score(p.normalized) if p.normalized is not None else fmt.NOT_APPLICABLE]
            for p in r.pairs
        ])
    ref_table = ev.reference_table(r)
    return EmbeddingRunView(
        number=number,
        heading=heading,
        facts=Table(["项目", "内容"], ev.fact_rows(r, fmt.ORIGIN_ZH.get(r.origin, r.origin))),
        script=r.script,
        command=r.command,
        output=r.output,
        matrices=matrices,
        pairs=pairs,
        reference=ev.reference_line(r) if r.reference_check.status != "none" else "检查结果：{}（{}）。".format(*run_verdict(r, runs)),
        reference_table=Table(*ref_table) if ref_table else None,
        throughput=[(caption, Table(*t)) for caption, t in ev.throughput_tables(r)],
        notes=([f"注：{r.note}"] if r.note else []) + ev.warning_lines(r),
        error=fmt.missing("failed", f"“{r.error}”") if r.error else None,
    )


def _embedding(results: Results, kind: str, number: int, default_model: str, title: str) -> EmbeddingView:
    """Section 5 (every embedding run) or 6 (every reranker run), grouped by model in the order
    each model first appears; the heading names the model(s) the runs used."""
    runs = [r for r in results.embeddings if r.kind == kind]
    models: list[str] = []
    for r in runs:
        name = _basename(r.model) or r.model
        if name not in models:
            models.append(name)
    ordered = sorted(runs, key=lambda r: models.index(_basename(r.model) or r.model))
    views = []
    for i, r in enumerate(ordered, start=1):
        heading = ev.run_heading(r)
        if len(models) > 1:
            heading = f"{_basename(r.model) or r.model}：{heading}"
        views.append(_embedding_run(f"{number}.{i}", heading, r, runs))
    if len(models) == 1:
        heading = f"{models[0]}{title}"
    elif models:
        heading = f"{'向量' if kind == 'embedding' else '重排序'}{title}（{'、'.join(models)}）"
    else:
        heading = f"{default_model}{title}"
    missing = None if runs else fmt.missing("not_collected", f"没有{'向量' if kind == 'embedding' else '重排序'}模型测试结果")
    return EmbeddingView(number=number, heading=heading, runs=views, missing=missing)


# --------------------------------------------------------------------------- 7. findings


def _group(f: Finding) -> int:
    if f.cell is not None:
        return 0
    if f.benchmark is not None:
        return 1
    if f.check in EMBEDDING_CHECKS:
        return 2
    return 3


_GROUP_TITLES = ["性能测试数据", "精度评测数据", "向量与重排序模型", "其他"]


def _findings(results: Results, findings: list[Finding]) -> tuple[FindingsView, dict[int, int]]:
    ordered = sorted(
        findings,
        key=lambda f: (_group(f), 0 if f.severity == "error" else 1, f.precision or "", f.cell.batch_size if f.cell else 0),
    )
    numbers = {id(f): i for i, f in enumerate(ordered, start=1)}
    groups = []
    for g, title in enumerate(_GROUP_TITLES):
        mine = [f for f in ordered if _group(f) == g]
        if not mine:
            continue
        if g == 2:  # embedding runs: the model is named in the message; no batch or benchmark column
            headers = ["编号", "级别", "精度", "检查项", "说明"]
            rows = [[
                f"#{numbers[id(f)]}",
                SEVERITY_ZH.get(f.severity, f.severity),
                f.precision or UNRECORDED,
                CHECK_TITLES_ZH.get(f.check) or f.check,
                f.message_zh or f.message,
            ] for f in mine]
        else:
            headers = ["编号", "级别", "精度", "基准" if g == 1 else "用例", "检查项", "说明"]
            rows = [[
                f"#{numbers[id(f)]}",
                SEVERITY_ZH.get(f.severity, f.severity),
                f.precision or fmt.NOT_APPLICABLE,
                f"批大小 {f.cell.batch_size}" if f.cell is not None else (f.benchmark or fmt.NOT_APPLICABLE),
                CHECK_TITLES_ZH.get(f.check) or f.check,
                f.message_zh or f.message,
            ] for f in mine]
        groups.append(FindingGroupView(title=title, table=Table(headers, rows)))
    n_cells = sum(len(v.serving) for v in results.variants)
    n_acc = sum(len(v.accuracy) for v in results.variants)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    checked = f"共检查 {n_cells} 个性能用例、{n_acc} 项精度结果"
    if results.embeddings:
        checked += f"、{len(results.embeddings)} 项向量/重排序模型测试"
    if findings:
        summary = f"{checked}：发现错误 {errors} 项、警告 {warnings} 项。"
    elif n_cells or n_acc or results.embeddings:
        summary = f"{checked}：未发现问题。"
    else:
        summary = fmt.missing("not_collected", "没有可检查的数据")
    return FindingsView(summary=summary, groups=groups), numbers


# --------------------------------------------------------------------------- entry point


def build_view(
    results: Results,
    *,
    source: str | None = None,
    findings: list[Finding] | None = None,
    conclusion_extra: list[Statement] | None = None,
) -> DocumentView:
    """The whole document as formatted strings. Findings are recomputed from the data, not read
    from the file (``findings``: this render's findings when the caller already computed them,
    so the charts and the text use one list). ``conclusion_extra``: more statements for the
    结论 page (e.g. a capacity statement per variant)."""
    if findings is None:
        findings = check_results(results)
    findings_view, numbers = _findings(results, findings)
    extra = capacity_statements(results) + list(conclusion_extra or [])
    return DocumentView(
        cover=_cover(results, source),
        conclusion=conclusion(results, findings, extra=extra),
        environment=_environment(results),
        deployment=_deployment(results),
        serving=_serving(results, findings, numbers),
        accuracy=_accuracy(results),
        embedding=_embedding(results, "embedding", 5, "bge-large-zh-v1.5", "模型推理部署"),
        reranker=_embedding(results, "reranker", 6, "bge-reranker-v2-m3", "模型推理"),
        findings=findings_view,
        accuracy_extra=accuracy_view(results),
        capacity=capacity_view(results),
        raw=raw_blocks(results),
        provenance=provenance(results, source, unlabelled_facts(results)),
    )


__all__ = ["DocumentView", "Table", "build_view"]
