"""Section 3.x 稳定性测试 of the document: each soak run's load, verdicts, chart and windows.

The verdicts are ``reportgen.soak.analyze``'s; this module only words them. ``verdict_sentence``
is the one sentence per run the 结论 page uses (``reportgen.soak.soak_verdict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.report import formatting as fmt
from reportgen.report.capacity_view import RowsView, slo_zh
from reportgen.results import ModelVariant, Results, SoakRun, SoakWindow
from reportgen.slo_presets import preset_text_zh
from reportgen.soak import (
    CLOCK_DROP,
    DRIFT_REL_MAX,
    ERROR_RATE_MAX,
    MIN_WINDOWS,
    THROTTLE_LATENCY_REL,
    SoakAnalysis,
    Trend,
    analyze,
    signed,
    temperature_limit,
    window_clock_mhz,
    window_temperature_c,
)

__all__ = ["SoakRunView", "SoakView", "soak_view", "verdict_sentence"]

MAX_ROWS = 12  # longer runs are shown in groups of consecutive windows

VERDICT_ZH = {"stable": "稳定", "unstable": "不稳定", "unknown": "无法判定"}
_ORIGIN_ZH = {"given": "评测计划或命令指定", "operating_point": "推荐工作点（最大有效批大小）", "capacity": "推荐工作点（容量搜索结果）"}


@dataclass
class SoakRunView:
    heading: str
    load: str
    verdict: str
    verdicts: RowsView
    chart: tuple[str, str] | None
    windows: RowsView
    notes: list[str] = field(default_factory=list)


@dataclass
class SoakView:
    heading: str
    present: bool
    method: str
    runs: list[SoakRunView]


def _duration(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s / 60:.3g} min"
    return f"{s:.3g} s"


def load_text(run: SoakRun) -> str:
    return f"并发数 {run.concurrency}" if run.by == "concurrency" else f"{run.request_rate:g} 请求/秒（泊松到达）"


def _trend_text(tr: Trend | None, unit: str) -> str:
    if tr is None:
        return f"无法判定（有效窗口不足 {MIN_WINDOWS} 个）"
    lo, hi = tr.ci95
    rel = f"；测试期间 {tr.rel_change:+.1%}" if tr.rel_change is not None else ""
    body = f"每小时 {signed(tr.slope_per_h)} {unit}（95% 置信区间 {signed(lo)} 至 {signed(hi)}{rel}）"
    if not tr.significant:
        return "无显著漂移：" + body
    up = "上升" if tr.slope_per_h > 0 else "下降"
    return f"显著{up}：" + body


def _bursts(a: SoakAnalysis) -> str:
    return "、".join(f"第 {x + 1}" + ("" if x == y else f"–{y + 1}") for x, y in a.errors.bursts) + " 个窗口"


def _error_text(a: SoakAnalysis) -> str:
    e = a.errors
    if not e.requests:
        return "无请求"
    if not e.failed:
        return f"无失败请求（共 {e.requests} 个）"
    return f"{e.failed} / {e.requests}（{e.rate:.2%}），出现在{_bursts(a)}；首个错误：{e.first_error}"


def _throttle_text(a: SoakAnalysis) -> str:
    t = a.throttling
    if t.state == "unknown":
        return "无法判定（遥测没有频率读数，也没有可对照的温度上限）"
    clock = (f"频率 {t.lowest_clock_mhz:.0f}–{t.reference_clock_mhz:.0f} MHz"
             if t.reference_clock_mhz is not None and t.lowest_clock_mhz is not None else "无频率读数")
    temp = f"最高温度 {t.hottest_c:g} °C" + (f"（上限 {t.temperature_limit_c:g} °C）" if t.temperature_limit_c is not None else "") \
        if t.hottest_c is not None else "无温度读数"
    if t.state == "none":
        return f"未见降频（{clock}；{temp}）"
    where = f"{len(t.windows)} 个窗口降频（{clock}；{temp}）"
    ratio = f"，这些窗口的平均 TPOT 为其余窗口的 {t.tpot_ratio:.2f} 倍" if t.tpot_ratio is not None else ""
    if t.state == "throttled_latency":
        return f"{where}{ratio}：降频使时延升高"
    return f"{where}{ratio}：未见对时延的影响"


def _restart_text(a: SoakAnalysis) -> str:
    r = a.restart
    miss = f"；{r.scrape_failures} 个窗口未读到" if r.scrape_failures and r.state != "unknown" else ""
    if r.state == "unknown":
        return "无法判定（服务的 /metrics 未提供 process_start_time_seconds）"
    if r.state == "none":
        return f"未重启（进程启动时间不变{miss}）"
    at = "、".join(str(i + 1) for i in r.at_windows)
    return f"曾重启：进程启动时间在第 {at} 个窗口前变化{miss}"


def _completion_text(run: SoakRun, a: SoakAnalysis) -> str:
    n = len(run.windows)
    cut = sum(1 for w in run.windows if w.interrupted)
    extra = []
    if run.resumed_at:
        extra.append(f"中断后续测 {len(run.resumed_at)} 次")
    if cut:
        extra.append(f"{cut} 个窗口被中断（保留但不参与判定）")
    tail = "；" + "，".join(extra) if extra else ""
    state = "" if run.finished_at else "；未完成"
    return f"测得 {_duration(run.measured_s)} / 计划 {_duration(run.duration_s)}，{n} 个窗口{tail}{state}"


def verdict_sentence(v: ModelVariant, a: SoakAnalysis) -> str:
    """「FP16 稳定性测试（并发数 8，2 h）：稳定（…）」 — one run in one sentence."""
    run = a.run
    head = f"{v.label} 稳定性测试（{load_text(run)}，{_duration(run.measured_s)}）：{VERDICT_ZH[a.verdict]}"
    if a.verdict == "unknown":
        return head + f"（有效窗口不足 {MIN_WINDOWS} 个）"
    parts: list[str] = []
    for code, tr, name in (("drift_tpot", a.tpot, "TPOT "), ("drift_throughput", a.throughput, "输出吞吐")):
        if code in a.reasons and tr is not None and tr.rel_change is not None:
            parts.append(f"{name}测试期间{'上升' if tr.slope_per_h > 0 else '下降'} {abs(tr.rel_change):.1%}")
    if not any(c.startswith("drift") for c in a.reasons):
        parts.append("无显著漂移" if not ((a.tpot and a.tpot.significant) or (a.throughput and a.throughput.significant))
                     else f"漂移显著但不超过 {DRIFT_REL_MAX:.0%}")
    parts.append(f"失败请求 {a.errors.rate:.2%}" if a.errors.failed else "无失败请求")
    parts.append({"unknown": "降频无法判定", "none": "未见降频", "throttled": "有降频但时延未升高",
                  "throttled_latency": "降频使时延升高"}[a.throttling.state])
    parts.append({"unknown": "重启无法判定", "none": "服务未重启", "restarted": "服务曾重启"}[a.restart.state])
    return head + "（" + "，".join(parts) + "）"


def _groups(run: SoakRun) -> list[list[SoakWindow]]:
    ws = list(run.windows)
    if len(ws) <= MAX_ROWS:
        return [[w] for w in ws]
    size = -(-len(ws) // MAX_ROWS)
    return [ws[i:i + size] for i in range(0, len(ws), size)]


def _mean(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def _windows_table(run: SoakRun) -> RowsView:
    """One row per window (per group of windows in a long run: TPS and TPOT means, the highest P99s)."""
    unit, scale = ("min", 60.0) if run.duration_s >= 600 else ("s", 1.0)
    headers = ["窗口", f"时间 ({unit})", "请求数", "失败", "TPS (tok/s)", "TTFT P99 (ms)", "TPOT 均值 (ms)", "TPOT P99 (ms)",
               "平均功耗 (W)", "峰值温度 (°C)", "频率 (MHz)"]
    rows = []
    for g in _groups(run):
        first, last = g[0], g[-1]
        name = str(first.index + 1) if len(g) == 1 else f"{first.index + 1}–{last.index + 1}"
        if any(w.interrupted for w in g):
            name += "（中断）"
        t0, t1 = first.start_s / scale, (last.start_s + last.duration_s) / scale
        ms = [w.metrics for w in g if w.metrics is not None]
        n = sum(m.completed + m.failed for m in ms)
        failed = sum(m.failed for m in ms)
        temps = [t for w in g if (t := window_temperature_c(w)) is not None]
        power = _mean([w.energy.avg_power_w if w.energy else None for w in g])
        clock = _mean([window_clock_mhz(w) for w in g])
        rows.append([
            name, f"{t0:.1f}–{t1:.1f}", str(n), str(failed),
            fmt.tok_s(_mean([m.output_throughput for m in ms])) if ms else fmt.missing(),
            fmt.ms(max((m.ttft_ms.p99 for m in ms if m.ttft_ms.p99 is not None), default=None)),
            fmt.ms(_mean([m.tpot_ms.mean for m in ms])),
            fmt.ms(max((m.tpot_ms.p99 for m in ms if m.tpot_ms.p99 is not None), default=None)),
            f"{power:.1f}" if power is not None else fmt.NOT_APPLICABLE,
            f"{max(temps):g}" if temps else fmt.NOT_APPLICABLE,
            f"{clock:.0f}" if clock is not None else fmt.NOT_APPLICABLE,
        ])
    # telemetry columns only where some window has a reading (the run's notes say when none was taken)
    keep = [j for j in range(len(headers)) if j < 8 or any(r[j] != fmt.NOT_APPLICABLE for r in rows)]
    return RowsView([headers[j] for j in keep], [[r[j] for j in keep] for r in rows])


def _run_view(v: ModelVariant, i: int, run: SoakRun, a: SoakAnalysis, number: str) -> SoakRunView:
    from reportgen.report.frontier_charts import soak_chart_name, soak_chart_title

    lengths = f"输入 {run.input_len} / 输出 {run.output_len}"
    heading = f"{number} {v.label}（{load_text(run)}，{lengths}，计划 {_duration(run.duration_s)}，窗口 {_duration(run.window_s)}）"
    load = f"负载：{load_text(run)}，来源：{_ORIGIN_ZH[run.load_origin]}。"
    if run.slo:
        load += f"各窗口的延迟要求：{slo_zh(run.slo)}"
        src = preset_text_zh(run.slo_preset)
        load += f"（{src}）。" if src else "。"
    rows = [
        ["TPOT 漂移", _trend_text(a.tpot, "ms"), "各窗口 TPOT 均值对时间的最小二乘斜率"],
        ["输出吞吐漂移", _trend_text(a.throughput, "tok/s"), "各窗口 TPS 对时间的最小二乘斜率"],
        ["失败请求", _error_text(a), f"失败请求占比超过 {ERROR_RATE_MAX:.0%} 判为不稳定"],
        ["降频", _throttle_text(a), f"窗口平均频率比最高窗口低 {CLOCK_DROP:.0%} 以上，或温度达到上限；"
                                   f"降频窗口 TPOT 高出 {THROTTLE_LATENCY_REL:.0%} 以上即影响时延"],
        ["服务重启", _restart_text(a), "每个窗口结束时读取 /metrics 的 process_start_time_seconds"],
        ["完成情况", _completion_text(run, a), "中断的窗口保留但不参与判定"],
    ]
    notes = []
    if a.window_too_short is not None:
        notes.append(f"请求端到端延迟中位数 {a.window_too_short:.1f} s 超过窗口长度的三分之一，窗口吞吐随整请求跳动，应加长窗口。")
    reasons = {"drift_tpot": "TPOT 漂移", "drift_throughput": "吞吐漂移", "errors": "失败请求过多", "throttling": "降频使时延升高",
               "restart": "服务重启", "too_few_windows": f"有效窗口不足 {MIN_WINDOWS} 个"}
    verdict = f"判定：{VERDICT_ZH[a.verdict]}" + (f"（{'、'.join(reasons[r] for r in a.reasons)}）" if a.reasons else "") + "。"
    has_chart = any(w.metrics is not None for w in run.windows)
    return SoakRunView(
        heading=heading, load=load, verdict=verdict, verdicts=RowsView(["项目", "结果", "依据"], rows),
        chart=(soak_chart_name(v, i, run), soak_chart_title(v, run)) if has_chart else None,
        windows=_windows_table(run), notes=notes,
    )


def soak_view(results: Results, number: str) -> SoakView:
    limit = temperature_limit(results)
    runs: list[SoakRunView] = []
    k = 0
    for v in results.variants:
        for i, run in enumerate(v.soak):
            k += 1
            runs.append(_run_view(v, i, run, analyze(run, limit), f"{number}.{k}"))
    method = (
        "以恒定负载（推荐工作点或指定的并发数、请求速率）持续运行，按固定长度的窗口统计每个窗口内结束的请求："
        "吞吐、TTFT 与 TPOT、失败请求数，以及同一窗口的加速卡功耗、温度与频率；每个窗口结束时读取服务的进程启动时间。"
        "漂移为各窗口数值对时间的最小二乘斜率，其 95% 置信区间包含 0 时判为「无显著漂移」；"
        f"区间不含 0 且测试期间变化超过 {DRIFT_REL_MAX:.0%} 判为不稳定。相邻窗口受同一缓慢变化影响时并不独立："
        "置信区间按残差的一阶自相关折算有效窗口数 n_eff = n(1 − r₁)/(1 + r₁)（t 分布，自由度 n_eff − 2），"
        "不会因窗口多而过窄。"
        "测试中断后可续测（--resume），已完成的窗口不丢失；最后一个窗口结束时仍在处理的请求不计入任何窗口，只计入失败请求数。"
    )
    return SoakView(heading=f"{number} 稳定性测试", present=bool(runs), method=method, runs=runs)
