"""Evidence rules of the frontier's energy figures and of soak runs (registered into ``reportgen.validity``).

**Power validity** (``power_problems``, reason codes as InferenceX's ``power_valid``): a cell's
power may enter J/token only when none of these holds —

* ``no_telemetry``: no telemetry series for the cell, or no SMI tool to take one;
* ``no_power_readings``: the series has no usable power readings (no SMI tool, < 2 readings per device);
* ``coverage_below_min``: power readings span less than 80 % of the timed window (``telemetry_coverage``);
* ``sampling_gap_exceeded``: two consecutive power readings of a device (or the window's start or end
  and the nearest reading) lie more than 3 sampling intervals apart: the curve between them is a guess;
* ``expected_card_count_mismatch``: the devices with power readings are not the cards the server used
  (``ModelVariant.cards`` or its launch command): the sampler saw cards the server did not use, or missed some.

The check ``power_validity`` reports the last two per variant (the first three are reported by
``telemetry_coverage`` or mean there is nothing to judge). It names cells in its message and
attaches to none: a power problem never changes a cell's throughput status.

**Soak rules** (``reportgen.soak``): ``soak_drift`` (a significant drift of TPOT or throughput of more
than 5 % over the run), ``soak_errors`` (any failed request: warning; above 1 %: error),
``soak_throttling`` (throttled windows with higher latency), ``soak_restart`` (the server process
restarted: error), ``soak_incomplete`` (measured less than planned, or an unfinished run) and
``soak_window_length`` (the median request takes more than a third of a window: AISBench's rule for
a steady-state figure).
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.energy import cell_energy
from reportgen.results import ModelVariant, Results, ServingCell
from reportgen.soak import DRIFT_REL_MAX, ERROR_RATE_MAX, SoakAnalysis, analyze, temperature_limit
from reportgen.validity import CHECK_TITLES_ZH, TELEMETRY_COVERAGE_MIN, Issue, Msg, _check, _joined

__all__ = ["POWER_PROBLEMS_ZH", "SAMPLING_GAP_INTERVALS", "power_problems"]

SAMPLING_GAP_INTERVALS = 3.0  # readings further apart than this many sampling intervals: the gap is a guess

#: reason code -> Chinese, for the document
POWER_PROBLEMS_ZH: dict[str, str] = {
    "no_telemetry": "无遥测",
    "no_power_readings": "无功耗读数",
    "coverage_below_min": "功耗读数覆盖不足 80%",
    "sampling_gap_exceeded": "采样间隔过大",
    "expected_card_count_mismatch": "功耗设备数与服务所用卡数不符",
}


def _largest_gap(cell: ServingCell) -> tuple[float, float] | None:
    """(largest gap between power readings of any used device inside the window, the sampling interval)."""
    e = cell_energy(cell)
    t = cell.telemetry
    if e is None or t is None or not e.devices or e.window_s is None:
        return None
    interval = t.interval_s or 1.0
    worst = 0.0
    for d in e.devices:
        ts = sorted(s.t_s for s in t.samples if s.device == d and s.power_w is not None and 0.0 <= s.t_s <= e.window_s)
        edges = [0.0, *ts, e.window_s]
        worst = max(worst, max(b - a for a, b in zip(edges, edges[1:])))
    return worst, interval


def power_problems(cell: ServingCell, cards: int | None) -> list[str]:
    """Reason codes why this cell's power cannot enter J/token (empty: valid). ``cards``: the
    cards the server used, when known."""
    e = cell_energy(cell)
    if cell.telemetry is None or e is None or cell.telemetry.reason == "not_installed":
        return ["no_telemetry"]  # no series, or no SMI tool on the machine
    if e.energy_j is None or e.avg_power_w is None:
        return ["no_power_readings"]
    out = []
    if e.coverage is not None and e.coverage < TELEMETRY_COVERAGE_MIN:
        out.append("coverage_below_min")
    gap = _largest_gap(cell)
    if gap is not None and gap[0] > SAMPLING_GAP_INTERVALS * gap[1]:
        out.append("sampling_gap_exceeded")
    if cards is not None and len(e.devices) != cards:
        out.append("expected_card_count_mismatch")
    return out


def _cells(v: ModelVariant) -> Iterator[tuple[Msg, ServingCell]]:
    """Every measured cell of the variant (the matrix, then the capacity probes), with its name."""
    from reportgen.report.formatting import cell_name

    def en(c: ServingCell) -> str:
        k = c.key
        return f"batch {k.batch_size}" if k.request_rate is None else f"{k.request_rate:g} req/s"

    for c in v.serving:
        yield Msg(en(c), cell_name(c.key)), c
    for s in v.capacity:
        for p in s.probes:
            yield Msg("capacity probe " + en(p.cell), "容量探测 " + cell_name(p.cell.key)), p.cell


@_check("power_validity", "variant",
        "a cell's power readings more than 3 sampling intervals apart, or on other devices than the cards the "
        "server used -> warning (its power stays out of J/token)")
def _power_validity(v: ModelVariant) -> Iterator[Issue]:
    from reportgen.frontier import variant_cards

    cards = variant_cards(v)
    gaps: list[Msg] = []
    mismatch: list[Msg] = []
    for name, c in _cells(v):
        problems = power_problems(c, cards.n)
        if "sampling_gap_exceeded" in problems:
            g = _largest_gap(c)
            gaps.append(name + (Msg(f" ({g[0]:.1f} s)", f"（{g[0]:.1f} s）") if g else Msg("", "")))
        if "expected_card_count_mismatch" in problems:
            e = cell_energy(c)
            n = len(e.devices) if e else 0
            mismatch.append(name + Msg(f" ({n} devices)", f"（{n} 个设备）"))
    if gaps:
        yield Issue("warning", Msg(
            f"power readings more than {SAMPLING_GAP_INTERVALS:g} sampling intervals apart in {len(gaps)} cell(s) "
            f"(sampling_gap_exceeded): ",
            f"{len(gaps)} 个用例的功耗读数间隔超过 {SAMPLING_GAP_INTERVALS:g} 个采样周期（sampling_gap_exceeded）：")
            + _joined(gaps, ", ", "、") + Msg("; their power is left out of J/token", "；其功耗不用于每词元能耗"))
    if mismatch:
        yield Issue("warning", Msg(
            f"power read from another number of devices than the {cards.n} card(s) the server used "
            f"(expected_card_count_mismatch) in {len(mismatch)} cell(s): ",
            f"{len(mismatch)} 个用例的功耗来自的设备数与服务所用的 {cards.n} 张卡不符（expected_card_count_mismatch）：")
            + _joined(mismatch, ", ", "、") + Msg("; their power is left out of J/token", "；其功耗不用于每词元能耗"))


# --------------------------------------------------------------------------- soak


def _runs(results: Results) -> Iterator[tuple[ModelVariant, int, SoakAnalysis]]:
    limit = temperature_limit(results)
    for v in results.variants:
        for i, run in enumerate(v.soak):
            yield v, i, analyze(run, limit)


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def signed(x: float) -> str:
    """A slope with its sign and no exponent: +3440, -1.15, +0.0123 (the document and the findings)."""
    return f"{x:+.0f}" if abs(x) >= 100 else f"{x:+.3g}"


@_check("soak_drift", "results", "soak: TPOT or output throughput drifts significantly (95 % interval excludes 0) by more than 5 % over the run -> warning")
def _soak_drift(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        for code, tr, en, zh, unit in (("drift_tpot", a.tpot, "mean TPOT", "平均 TPOT ", "ms"),
                                       ("drift_throughput", a.throughput, "output throughput", "输出吞吐", "tok/s")):
            if code not in a.reasons or tr is None or tr.rel_change is None:
                continue
            lo, hi = tr.ci95
            yield Issue("warning", Msg(
                f"soak run {i + 1}: {en} drifts {_pct(tr.rel_change)} over the run ({signed(tr.slope_per_h)} {unit}/h, "
                f"95% interval {signed(lo)} to {signed(hi)}; limit {DRIFT_REL_MAX:.0%})",
                f"稳定性测试 {i + 1}：{zh}在测试期间漂移 {_pct(tr.rel_change)}（每小时 {signed(tr.slope_per_h)} {unit}，"
                f"95% 置信区间 {signed(lo)} 至 {signed(hi)}；上限 {DRIFT_REL_MAX:.0%}）"), variant=v)


@_check("soak_errors", "results", "soak: any failed request -> warning; more than 1 % of the requests -> error")
def _soak_errors(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        e = a.errors
        if not e.failed:
            continue
        bursts = "、".join(f"{x + 1}" if x == y else f"{x + 1}–{y + 1}" for x, y in e.bursts) or "—"
        bursts_en = ", ".join(f"{x + 1}" if x == y else f"{x + 1}–{y + 1}" for x, y in e.bursts) or "-"
        yield Issue("error" if e.rate > ERROR_RATE_MAX else "warning", Msg(
            f"soak run {i + 1}: {e.failed} of {e.requests} requests failed ({e.rate:.2%}; in windows {bursts_en}); "
            f"first error: {e.first_error}",
            f"稳定性测试 {i + 1}：{e.requests} 个请求中 {e.failed} 个失败（{e.rate:.2%}；出现在第 {bursts} 个窗口）；"
            f"首个错误：{e.first_error}"), variant=v)


@_check("soak_throttling", "results", "soak: windows with the clock 10 % below the run's highest or at the card's temperature limit, and TPOT 5 % higher there -> warning")
def _soak_throttling(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        t = a.throttling
        if t.state != "throttled_latency" or t.tpot_ratio is None:
            continue
        yield Issue("warning", Msg(
            f"soak run {i + 1}: the card throttled in {len(t.windows)} window(s) (lowest clock "
            f"{t.lowest_clock_mhz or 0:.0f} MHz of {t.reference_clock_mhz or 0:.0f}; hottest {t.hottest_c or 0:g} C), "
            f"where mean TPOT was {t.tpot_ratio:.2f}x the other windows'",
            f"稳定性测试 {i + 1}：加速卡在 {len(t.windows)} 个窗口中降频（最低频率 {t.lowest_clock_mhz or 0:.0f} MHz，"
            f"最高 {t.reference_clock_mhz or 0:.0f} MHz；最高温度 {t.hottest_c or 0:g} °C），这些窗口的平均 TPOT 为其余窗口的 "
            f"{t.tpot_ratio:.2f} 倍"), variant=v)


@_check("soak_restart", "results", "soak: the server's process start time (/metrics process_start_time_seconds) changed between windows -> error")
def _soak_restart(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        if a.restart.state != "restarted":
            continue
        at = ", ".join(str(k + 1) for k in a.restart.at_windows)
        yield Issue("error", Msg(
            f"soak run {i + 1}: the server process restarted (its start time changed before window(s) {at})",
            f"稳定性测试 {i + 1}：服务进程曾重启（进程启动时间在第 {at.replace(', ', '、')} 个窗口前发生变化）"), variant=v)


@_check("soak_incomplete", "results", "soak: measured less than the planned duration, or the run never finished -> warning")
def _soak_incomplete(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        run = a.run
        if run.finished_at is not None and a.completed_share >= 0.999:
            continue
        done, plan = run.measured_s, run.duration_s
        yield Issue("warning", Msg(
            f"soak run {i + 1}: measured {done:.0f} s of the planned {plan:.0f} s"
            + ("" if run.finished_at else " (unfinished: continue it with --resume)"),
            f"稳定性测试 {i + 1}：计划 {plan:.0f} s，仅测得 {done:.0f} s" + ("" if run.finished_at else "（未完成：可用 --resume 继续）")),
            variant=v)


@_check("soak_window_length", "results", "soak: the median request takes more than a third of a window (AISBench's steady-state rule) -> warning")
def _soak_window_length(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        if a.window_too_short is None:
            continue
        w = a.run.window_s
        yield Issue("warning", Msg(
            f"soak run {i + 1}: the median request takes {a.window_too_short:.1f} s, more than a third of the "
            f"{w:g} s window: a window's throughput moves with whole requests (use longer windows)",
            f"稳定性测试 {i + 1}：请求端到端延迟中位数 {a.window_too_short:.1f} s，超过 {w:g} s 窗口的三分之一："
            "窗口吞吐随整请求跳动（应加长窗口）"), variant=v)


CHECK_TITLES_ZH.update(
    {
        "power_validity": "功耗读数应连续（间隔不超过 3 个采样周期），且来自服务所用的卡",
        "soak_drift": "稳定性测试中 TPOT 与输出吞吐不应有超过 5% 的显著漂移",
        "soak_errors": "稳定性测试中不应有失败请求（超过 1% 为不稳定）",
        "soak_throttling": "稳定性测试中加速卡不应降频并导致时延升高",
        "soak_restart": "稳定性测试中服务进程不应重启",
        "soak_incomplete": "稳定性测试应完成计划时长",
        "soak_window_length": "稳定性测试的窗口应至少为请求端到端延迟中位数的 3 倍",
    }
)
