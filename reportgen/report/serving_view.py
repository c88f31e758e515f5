"""Section 3 (serving): the functional request, one page per case, the 3.4 summary table."""

from __future__ import annotations

import json
import string

from reportgen import metrics
from reportgen.energy import cell_energy
from reportgen.report import formatting as fmt
from reportgen.report.charts import chart_plan
from reportgen.report.deployment_view import perf_steps
from reportgen.report.provenance import run_command
from reportgen.report.view_helpers import model_name
from reportgen.report.view_types import CaseView, FunctionalView, ServingView, Table
from reportgen.results import (
    EnergyMetrics,
    Finding,
    FunctionalCheck,
    ModelVariant,
    Results,
    ServingCell,
    ServingMetrics,
    Stats,
)
from reportgen.validity import cell_findings, cell_order, cell_status
from reportgen.variant_roles import baseline, is_quantized
from reportgen.verdicts import causes
from reportgen.verdicts.checks import functional_tokens, functional_verdict
from reportgen.verdicts.power import INCOMPLETE, power_incomplete
from reportgen.verdicts.sections import section_numbers
from reportgen.verdicts.states import STATUS_ZH

#: More serving cells than this and the document summarises them: 3.3 gives no page per cell,
#: 3.4 one row per case (the first run of repeated cases), and appendix E lists every cell in one
#: table. A document of thousands of cells stays readable and renders in time linear in them.
DETAIL_LIMIT = 64


def _sorted_cells(v: ModelVariant) -> list[ServingCell]:
    return sorted(v.serving, key=cell_order)


def _first_runs(cells: list[tuple[ModelVariant, ServingCell]]) -> list[tuple[ModelVariant, ServingCell]]:
    """One cell per case: the first run of repeated cells."""
    seen: set[tuple[str, object]] = set()
    out = []
    for v, c in sorted(cells, key=lambda vc: vc[1].repeat):
        k = (v.label, c.key.case())
        if k not in seen:
            seen.add(k)
            out.append((v, c))
    order = {id(c): i for i, (_, c) in enumerate(cells)}
    return sorted(out, key=lambda vc: order[id(vc[1])])


def _all_cells_table(cells: list[tuple[ModelVariant, ServingCell]], findings: list[Finding]) -> Table:
    """Appendix E: every cell in one row (repeats too), the figures 3.3 would give per cell."""
    dataset = _datasets_differ(cells)
    shapes = len({(c.input_len, c.output_len) for _, c in cells}) > 1
    rows = []
    for v, c in cells:
        m = c.metrics
        name = f"{v.label} · {fmt.cell_name(c.key, dataset=dataset)}" + (f" · {c.input_len}/{c.output_len}" if shapes else "")
        if m is None:
            rows.append([name] + [fmt.missing("not_collected")] * 9)
            continue
        reason = _cell_missing_reason(c)
        rows.append([
            name, str(m.completed), str(m.failed), fmt.seconds(m.duration_s), fmt.number(m.request_throughput, 2),
            fmt.tok_s(m.output_throughput if m.completed else None, reason=reason), fmt.ms(m.ttft_ms.mean, reason=reason),
            fmt.ms(m.tpot_ms.mean, reason=reason), fmt.ms(m.ttft_ms.p99, reason=reason),
            STATUS_ZH[cell_status(findings, v.label, c.key)],
        ])
    return Table(["用例", "成功请求数", "失败请求数", "测试时长 (s)", "请求吞吐 (req/s)", "TPS (tok/s)", "TTFT 均值 (ms)",
                  "TPOT 均值 (ms)", "TTFT P99 (ms)", "有效性"], rows)


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



def _letter(i: int) -> str:
    return string.ascii_lowercase[i] if i < 26 else str(i + 1)


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
        elif fc.response_text == "":  # answered, with no text: not "untested"
            response_missing = "（返回的文本为空）"
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
        details_rows.append(["检查结果", functional_verdict(v).text])
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


def _overview_table(m: ServingMetrics, doubt: frozenset[str] = frozenset(), status: str = "VALID") -> Table:
    """The cell's figures; those a finding puts in doubt carry ``MARK`` (``doubt``: column ids of
    ``causes``), the prefill rate (derived from TTFT) whenever the cell is not VALID."""
    return Table(
        ["指标", "数值"],
        [
            ["成功请求数", str(m.completed)],
            ["失败请求数", str(m.failed)],
            ["测试时长 (s)", _mark(fmt.seconds(m.duration_s), causes.DURATION in doubt)],
            ["输入词元总数", str(m.total_input_tokens)],
            ["输出词元总数", str(m.total_output_tokens)],
            ["请求吞吐 (req/s)", _mark(fmt.number(m.request_throughput, 2), causes.REQ_TPS in doubt)],
            ["输入吞吐 (tok/s)", _mark(fmt.tok_s(m.input_throughput), causes.INPUT_TPS in doubt)],
            ["TPS (tok/s)", _mark(fmt.tok_s(m.output_throughput), causes.TPS in doubt)],
            ["总吞吐 (tok/s)", _mark(fmt.tok_s(m.total_token_throughput), causes.TOTAL_TPS in doubt)],
            ["有效并发", fmt.number(m.effective_concurrency, 2)],
            ["预填充吞吐 (tok/s)", _derived(fmt.tok_s(_prefill_tps(m)), status) if _prefill_tps(m) else fmt.tok_s(None)],
        ],
    )


#: (metric row, statistic) -> the column id of ``causes`` a finding puts in doubt.
_LATENCY_MARKS = {("TTFT (ms)", "mean"): causes.TTFT, ("TTFT (ms)", "median"): causes.TTFT_MEDIAN,
                  ("TTFT (ms)", "p99"): causes.TTFT_P99, ("TPOT (ms)", "mean"): causes.TPOT,
                  ("TPOT (ms)", "median"): causes.TPOT_MEDIAN, ("TPOT (ms)", "p99"): causes.TPOT_P99}


def _latency_table(m: ServingMetrics, reason: str, doubt: frozenset[str] = frozenset()) -> Table:
    cols = ["mean", "median", "std", "p90", "p99", "min", "max"]
    rows = []
    for name, s in (("TTFT (ms)", m.ttft_ms), ("TPOT (ms)", m.tpot_ms), ("ITL (ms)", m.itl_ms), ("E2EL (ms)", m.e2el_ms)):
        rows.append([name] + [_mark(fmt.ms(_stat(s, c), reason=reason), _LATENCY_MARKS.get((name, c)) in doubt)
                              for c in cols])
    return Table(["指标", "均值", "中位数", "标准差", "P90", "P99", "最小", "最大"], rows)


def _doubtful(findings: list[Finding], v: ModelVariant, c: ServingCell) -> frozenset[str]:
    """The column ids (``causes``) the cell's findings put in doubt, derived values included."""
    return causes.doubtful(cell_findings(findings, v.label, c.key))


def _mark(text: str, doubtful: bool) -> str:
    """``MARK`` after a number a finding puts in doubt (not after a word saying why there is none)."""
    return text + MARK if doubtful and any(ch.isdigit() for ch in text) else text


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
    dataset = _datasets_differ(cells)
    rows = []
    for v, c in cells:
        m = c.metrics
        assert m is not None
        doubt = _doubtful(findings, v, c)
        rows.append([
            f"{v.label} · {fmt.cell_name(c.key, dataset=dataset)}", str(m.completed), str(m.failed), str(m.total_input_tokens),
            str(m.total_output_tokens), _mark(fmt.number(m.request_throughput, 2), causes.REQ_TPS in doubt),
            _mark(fmt.tok_s(m.input_throughput), causes.INPUT_TPS in doubt),
            _mark(fmt.tok_s(m.total_token_throughput), causes.TOTAL_TPS in doubt),
            _mark(fmt.ms(m.ttft_ms.median), causes.TTFT_MEDIAN in doubt),
            _mark(fmt.ms(m.tpot_ms.median), causes.TPOT_MEDIAN in doubt),
            STATUS_ZH[cell_status(findings, v.label, c.key)],
        ])
    headers = ["用例", "成功请求数", "失败请求数", "输入词元总数", "输出词元总数", "请求吞吐 (req/s)", "输入吞吐 (tok/s)",
               "总吞吐 (tok/s)", "TTFT 中位数 (ms)", "TPOT 中位数 (ms)", "有效性"]
    keep = [j for j in range(len(headers)) if j == 0 or any(r[j] != absent for r in rows)]
    table = Table([headers[j] for j in keep], [[fmt.NOT_APPLICABLE if r[j] == absent else r[j] for j in keep] for r in rows])
    commands = {c.command for _, c in cells}
    return table, (commands.pop() if len(commands) == 1 else None)


def _datasets_differ(cells: list[tuple[ModelVariant, ServingCell]]) -> bool:
    """Name the dataset in a cell's label only where the cells shown together differ in it."""
    return len({c.dataset for _, c in cells}) > 1


def cell_command(results: Results, c: ServingCell) -> str | None:
    """The command that measured a cell: its own, else the run that measured it (``collect``)."""
    return c.command or (run_command(results, c.started_at) if c.source == "measured" else None)


def _case(letter: str, v: ModelVariant, c: ServingCell, findings: list[Finding], *, dataset: bool = False,
          command: str | None = None, findings_section: str = "7") -> CaseView:
    heading = f"{letter}. {v.label} · {fmt.cell_name(c.key, lengths=True, dataset=dataset)}"
    overview = latency = None
    missing = None
    if c.metrics is not None:
        reason = _cell_missing_reason(c)
        doubt = _doubtful(findings, v, c)
        overview = _overview_table(c.metrics, doubt, cell_status(findings, v.label, c.key))
        latency = _latency_table(c.metrics, reason, doubt)
    else:
        missing = fmt.missing("not_collected", "该用例没有测试结果")
    power = power_missing = None
    e = cell_energy(c)
    incomplete = power_incomplete(cell_findings(findings, v.label, c.key), v, c)
    if e is not None:
        if e.samples == 0:
            power_missing = "功耗与温度：" + fmt.missing(e.reason, _energy_why_zh(c, e))
        elif incomplete:
            power_missing = f"功耗与温度：{INCOMPLETE}（{incomplete}），不给出功耗与能耗。"
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
        notes.insert(0, f"该用例的数据{STATUS_ZH[status]}，原因见 3.4 与第 {findings_section} 节。")
    printed_note = "原始测试输出见[附录 B](#appB)。" if c.import_info and c.import_info.text else None
    return CaseView(heading=heading, command=command, printed=None, printed_note=printed_note,
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


def _achieved(c: ServingCell) -> str:
    """An open-loop row is labelled by what was achieved as well as offered:
    「（实际到达 1.96、完成 0.41 请求/秒，平均并发 0.41）」 (never by its request count)."""
    if c.request_rate is None or c.metrics is None:
        return ""
    got = metrics.achieved_load(c.metrics)
    rates = [f"{w} {x:.2f}" for w, x in (("到达", got.arrivals), ("完成", got.completions)) if x is not None]
    parts = [f"实际{'、'.join(rates)} 请求/秒"] if rates else []
    if got.concurrency is not None:
        parts.append(f"平均并发 {got.concurrency:.2f}")
    return f"（{'，'.join(parts)}）" if parts else ""


def _worst(*statuses: str) -> str:
    for s in ("INVALID", "WARNING"):
        if s in statuses:
            return s
    return "VALID"


def _summary(results: Results, findings: list[Finding], numbers: dict[int, int], findings_section: str = "7",
             one_per_case: bool = False) -> tuple[Table | None, list[str], str | None]:
    """3.4 at a glance: the seed's four columns first (TPS, TPOT, TTFT, duration), then P99s,
    prefill rate and speedup. Doubtful values carry ``MARK``; each marked row gets one note.
    ``one_per_case``: a row per case only (the first run of repeated cells)."""
    cells = [(v, c) for v in results.variants for c in _sorted_cells(v)]
    if not cells:
        return None, [], None
    if one_per_case:
        cells = _first_runs(cells)
    base = baseline(results.variants)
    base_cells = {c.key.case(): c for c in base.serving} if base else {}
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
    power = any((e := cell_energy(c)) is not None and e.samples > 0 for _, c in cells)
    if power:
        at = headers.index("预填充吞吐 (tok/s)") + 1
        headers[at:at] = ["平均功耗 (W)", "能耗 (J/token)"]
    rows = []
    notes: list[str] = []
    dataset = _datasets_differ(cells)
    for v, c in cells:
        label_cell = f"{v.label} · {fmt.cell_name(c.key, dataset=dataset)}{_achieved(c)}"
        if len(shapes) > 1:
            label_cell += f" · {c.input_len}/{c.output_len}"
        m = c.metrics
        reason = _cell_missing_reason(c)
        status = cell_status(findings, v.label, c.key)
        mine = cell_findings(findings, v.label, c.key)
        doubtful = causes.doubtful(mine)
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
            bc = base_cells.get(c.key.case())
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
            elif power_incomplete(cell_findings(findings, v.label, c.key), v, c):
                nums += [f"—（{INCOMPLETE}）"] * 2
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
            where = f"（第 {findings_section} 节 {'、'.join(refs)}）" if refs else ""
            notes.append(f"{MARK} {label_cell}（{STATUS_ZH[status]}）：{'；'.join(words)}{where}。")
    general = [
        "TPS 为输出吞吐（输出词元总数 ÷ 测试时长）；TPOT、TTFT 为各请求的均值；P99 为第 99 百分位。",
        f"加速比 = 量化版本的 TPS ÷ 同一批大小与输入、输出长度下 {base_label} 的 TPS（大于 1 表示更快）；"
        "任一输入无效时不给出数值（记为“—（无效）”）。",
        f"有效性：无效 = 该用例有错误级别的检查结果，存疑 = 仅有警告；标有 {MARK} 的数值受检查结果影响（有效用例中的 {MARK} "
        f"为提示：数值无误，但所依据的请求较少），原因见下列各行说明，详见第 {findings_section} 节。" if notes else
        f"有效性：无效 = 该用例有错误级别的检查结果，存疑 = 仅有警告；本表各用例均未发现问题（见第 {findings_section} 节）。",
    ]
    if power:
        general.append(
            "平均功耗为测试时长内各加速卡功耗之和的时间加权平均，能耗 (J/token) = 测试时长内加速卡总能耗 ÷ 输出词元总数；"
            "均由用例期间的加速卡遥测采样积分得到（见附录“指标说明”）。"
        )
    if legacy:
        general.append("原始输出中另有旧版测试程序打印的每词元平均延迟，其定义与 TPOT 不同，不列入本表（见附录 B）。")
    return Table(headers, rows), general + notes, caption


def _slo_requirement(cells: list[tuple[ModelVariant, ServingCell]]) -> list[str]:
    """「延迟要求：…（MLPerf … 限值）」 when the cells were judged by limits (one line per distinct set)."""
    from reportgen.report.capacity_view import slo_zh
    from reportgen.slo_presets import preset_text_zh

    out = []
    for slo, preset in dict.fromkeys((tuple(c.slo.items()), c.slo_preset) for _, c in cells if c.slo):
        src = preset_text_zh(preset)
        out.append(f"延迟要求：{slo_zh(dict(slo))}" + (f"（{src}）" if src else ""))
    return out


def serving_view(results: Results, findings: list[Finding], numbers: dict[int, int]) -> ServingView:
    model = model_name(results)
    engine = next((v.server.engine for v in results.variants if v.server.engine), None) or "vllm"
    engine_name = {"vllm": "vLLM"}.get(engine.lower(), engine)
    cells = [(v, c) for v in results.variants for c in _sorted_cells(v)]
    requirements: list[str] = []
    req_missing = None
    if cells:
        requirements = [
            *(["批大小 = " + ", ".join(str(b) for b in sorted({c.batch_size for _, c in cells if c.request_rate is None}))]
              if any(c.request_rate is None for _, c in cells) else []),
            *(["请求速率 = " + ", ".join(f"{r:g}" for r in sorted({c.request_rate for _, c in cells
                                                                  if c.request_rate is not None})) + " 请求/秒（开环）"]
              if any(c.request_rate is not None for _, c in cells) else []),
            "输入长度 = " + ", ".join(str(n) for n in sorted({c.input_len for _, c in cells})) + " 词元",
            "输出长度 = " + ", ".join(str(n) for n in sorted({c.output_len for _, c in cells})) + " 词元",
            "精度：" + "、".join(v.label for v in results.variants if v.serving),
        ]
        requirements += _slo_requirement(cells)
    else:
        req_missing = fmt.missing("not_collected", "没有性能测试用例")
    functional = [f for f in (_functional(v) for v in results.variants) if f is not None]
    many = len(cells) > DETAIL_LIMIT
    overflow = all_cells = None
    sec = section_numbers(results).findings
    if many:  # summarised: no page (or printed-values row) per cell in 3.3, every cell in appendix E
        compact, compact_command, cases = None, None, []
        first = _first_runs(cells)
        repeats = len(first) < len(cells)
        overflow = (
            f"本文档共 {len(cells)} 个性能测试用例，超过 {DETAIL_LIMIT} 个，此处不再逐一列出每个用例的详细表："
            f"3.4 汇总表每种负载一行（共 {len(first)} 行"
            + ("；重复测试列出第 1 次，全部重复的均值与 95% 置信区间见 3.5" if repeats else "")
            + f"），全部 {len(cells)} 个用例的数值见"
        )
        all_cells = _all_cells_table(cells, findings)
    else:
        compact, compact_command = _imported_cases(cells, findings)
        dataset = _datasets_differ(cells)
        commands = [cell_command(results, c) for _, c in cells]
        shared = commands[0] if commands and all(cmd == commands[0] for cmd in commands) else None
        cases = [] if compact is not None else [_case(_letter(i), v, c, findings, dataset=dataset,
                                                      command=None if shared else cmd, findings_section=sec)
                                                for i, ((v, c), cmd) in enumerate(zip(cells, commands))]
        if compact is None and shared:
            compact_command = shared  # one command measured every cell: printed once, before the cells
    summary, notes, caption = _summary(results, findings, numbers, sec, one_per_case=many)
    return ServingView(
        heading=f"{model}推理用例测试" if model else "模型推理用例测试",
        engine=engine_name,
        requirements=requirements,
        metric_names=["TTFT（首词元延迟）", "TPOT（每输出词元时间，不含首词元）", "TPS（输出吞吐）"],
        steps=perf_steps(results),
        requirements_missing=req_missing,
        functional=functional,
        functional_missing=None if functional else fmt.missing("not_collected", "没有功能测试记录"),
        cases=cases,
        cases_missing=None if cases or compact is not None or many else fmt.missing("not_collected", "没有性能测试用例"),
        summary=summary,
        summary_notes=notes,
        summary_caption=caption,
        cases_table=compact,
        cases_command=compact_command,
        charts=[(n, t) for n, t in chart_plan(results, findings) if n.startswith("serving_")],
        overflow_note=overflow,
        all_cells=all_cells,
    )
