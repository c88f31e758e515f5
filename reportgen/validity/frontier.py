"""Evidence rules of the frontier's energy figures and of soak runs.

**Power validity** (``power_problems``, reason codes as InferenceX's ``power_valid``): a cell's
power may enter J/token (``reportgen.frontier``) only when none of these holds —

* ``no_telemetry``: no telemetry series for the cell, or no SMI tool to take one;
* ``no_power_readings``: the series has no usable power readings (< 2 readings per device);
* ``coverage_below_min``: power readings span less than 80 % of the timed window (``telemetry_coverage``);
* ``sampling_gap_exceeded``: two consecutive power readings of a device (or the window's start or end
  and the nearest reading) lie more than 3 sampling intervals apart: the curve between them is a guess;
* ``expected_card_count_mismatch``: the devices with power readings are not the cards the server used
  (``ModelVariant.cards`` or its launch command): the sampler saw cards the server did not use, or missed some.

The rule ``power_validity`` reports the last two per variant (the first three are reported by
``telemetry_coverage`` or mean there is nothing to judge). It names cells in its message and
attaches to none: a power problem never changes a cell's throughput status.

**Soak rules** (family ``soak``; the analysis is ``reportgen.soak``): ``soak_drift``, ``soak_errors``,
``soak_throttling``, ``soak_restart``, ``soak_incomplete``, ``soak_window_length``.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.energy import cell_energy
from reportgen.results import ModelVariant, Results, ServingCell
from reportgen.soak import DRIFT_REL_MAX, ERROR_RATE_MAX, SoakAnalysis, analyze, temperature_limit
from reportgen.validity.messages import Items, Say, items, say
from reportgen.validity.registry import Issue, Source, rule
from reportgen.validity.telemetry import TELEMETRY_COVERAGE_MIN

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
    worst = 0.0
    for d in e.devices:
        ts = sorted(s.t_s for s in t.samples if s.device == d and s.power_w is not None and 0.0 <= s.t_s <= e.window_s)
        edges = [0.0, *ts, e.window_s]
        worst = max(worst, max(b - a for a, b in zip(edges, edges[1:])))
    return worst, t.interval_s or 1.0


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


def _cell_name(c: ServingCell, probe: bool) -> Say:
    k = c.key
    name = say("power_validity.closed", batch=k.batch_size) if k.request_rate is None else \
        say("power_validity.open", rate=k.request_rate)
    return say("power_validity.probe", cell=name) if probe else name


def _cells(v: ModelVariant) -> Iterator[tuple[Say, ServingCell]]:
    """Every measured cell of the variant (the matrix, then the capacity probes), with its name."""
    for c in v.serving:
        yield _cell_name(c, False), c
    for s in v.capacity:
        for p in s.probes:
            yield _cell_name(p.cell, True), p.cell


@rule(
    "power_validity", family="telemetry", scope="variant", severity="warning",
    description="a cell's power readings more than 3 sampling intervals apart (sampling_gap_exceeded), or from another "
                "number of devices than the cards the server used (expected_card_count_mismatch) -> warning; the "
                "cell's status is unchanged, its power stays out of J/token",
    source=Source("InferenceX", "its power_valid flag fails with sampling_gap_exceeded and expected_gpu_count_mismatch; "
                                "3 intervals: one dropped reading is bridged, a run of them is not"),
    remedy=("sample the cards the server uses without gaps (a reachable SMI tool, --cards or the plan's cards, "
            "CUDA_VISIBLE_DEVICES matching the server), then re-run the cell",
            "确保遥测连续采样服务实际使用的卡（SMI 工具可用、--cards 或评测计划的 cards 与服务一致）后重测该用例"),
    title_zh="功耗读数应连续（间隔不超过 3 个采样周期），且来自服务所用的卡",
)
def _power_validity(v: ModelVariant) -> Iterator[Issue]:
    from reportgen.frontier import variant_cards

    cards = variant_cards(v)
    gaps: list[Say] = []
    mismatch: list[Say] = []
    for name, c in _cells(v):
        problems = power_problems(c, cards.n)
        if "sampling_gap_exceeded" in problems:
            g = _largest_gap(c)
            gaps.append(say("power_validity.gap", cell=name, gap=g[0] if g else 0.0))
        if "expected_card_count_mismatch" in problems:
            e = cell_energy(c)
            mismatch.append(say("power_validity.devices", cell=name, devices=len(e.devices) if e else 0))
    if gaps:
        yield Issue("warning", say("power_validity", n=len(gaps), intervals=SAMPLING_GAP_INTERVALS,
                                   cells=items(gaps, "list")))
    if mismatch:
        yield Issue("warning", say("power_validity.mismatch", n=len(mismatch), cards=cards.n or 0,
                                   cells=items(mismatch, "list")))


# --------------------------------------------------------------------------- soak


def _runs(results: Results) -> Iterator[tuple[ModelVariant, int, SoakAnalysis]]:
    limit = temperature_limit(results)
    for v in results.variants:
        for i, run in enumerate(v.soak):
            yield v, i, analyze(run, limit)


def _bursts(a: SoakAnalysis) -> Items:
    return items([say("soak_errors.window", first=x + 1) if x == y else say("soak_errors.windows", first=x + 1, last=y + 1)
                  for x, y in a.errors.bursts], "list")


@rule(
    "soak_drift", family="soak", scope="results", severity="warning",
    description="soak: mean TPOT or output throughput with a least-squares slope whose 95 % interval (autocorrelation-"
                "corrected) excludes 0 and that changes the figure by more than 5 % over the run -> warning",
    source=Source("guidellm", "its over-saturation constraint is a slope test through the run; 5 %: what a reader "
                              "notices, and more than a steady server moves over hours"),
    remedy=("find what changes with time (memory growth, cache, thermals) and run the soak again",
            "查明随时间变化的因素（内存增长、缓存、温度）后重新进行稳定性测试"),
    title_zh="稳定性测试中 TPOT 与输出吞吐不应有超过 5% 的显著漂移",
)
def _soak_drift(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        for code, tr, row in (("drift_tpot", a.tpot, "soak_drift"), ("drift_throughput", a.throughput, "soak_drift.throughput")):
            if code not in a.reasons or tr is None or tr.rel_change is None:
                continue
            lo, hi = tr.ci95
            yield Issue("warning", say(row, run=i + 1, change=tr.rel_change, slope=tr.slope_per_h, low=lo, high=hi,
                                       limit=DRIFT_REL_MAX), variant=v)


@rule(
    "soak_errors", family="soak", scope="results", severity="error or warning",
    description="soak: any failed request (windows and tail) -> warning; more than 1 % of the requests -> error",
    source=Source("guidellm", "its max_error_rate stops a benchmark; InferenceX reports reliability = successes / "
                              "total. 1 %: more than a client retry hides"),
    remedy=("read the first error and the server log of the windows named, fix the cause, run the soak again",
            "查看首个错误与所列窗口期间的服务日志，排除原因后重新进行稳定性测试"),
    title_zh="稳定性测试中不应有失败请求（超过 1% 为不稳定）",
)
def _soak_errors(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        e = a.errors
        if e.failed:
            yield Issue("error" if e.rate > ERROR_RATE_MAX else "warning",
                        say("soak_errors", run=i + 1, failed=e.failed, requests=e.requests, rate=e.rate,
                            windows=_bursts(a), error=e.first_error or ""), variant=v)


@rule(
    "soak_throttling", family="soak", scope="results", severity="warning",
    description="soak: windows with the mean clock more than 10 % below the run's highest window or at the card's "
                "maximum operating temperature, where mean TPOT is more than 5 % above the other windows' -> warning",
    source=Source("ours", "a throttled card lowers its clock; a 10 % drop is beyond boost jitter, 5 % more TPOT is "
                          "beyond window-to-window noise"),
    remedy=("improve the card's cooling or power delivery, then run the soak again", "改善散热或供电后重新进行稳定性测试"),
    title_zh="稳定性测试中加速卡不应降频并导致时延升高",
)
def _soak_throttling(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        t = a.throttling
        if t.state == "throttled_latency" and t.tpot_ratio is not None:
            yield Issue("warning", say("soak_throttling", run=i + 1, windows=len(t.windows), low=t.lowest_clock_mhz or 0.0,
                                       high=t.reference_clock_mhz or 0.0, hottest=t.hottest_c or 0.0,
                                       ratio=t.tpot_ratio), variant=v)


@rule(
    "soak_restart", family="soak", scope="results", severity="error",
    description="soak: the server's process start time (/metrics process_start_time_seconds) changed between "
                "windows -> error",
    source=Source("ours", "a restarted server lost its state; the windows after it measure another process"),
    remedy=("find why the server restarted (its log, the kernel's OOM killer), fix it and run the soak again",
            "查明服务重启原因（服务日志、内核 OOM 记录），排除后重新进行稳定性测试"),
    title_zh="稳定性测试中服务进程不应重启",
)
def _soak_restart(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        if a.restart.state == "restarted":
            at = items([k + 1 for k in a.restart.at_windows], "list")
            yield Issue("error", say("soak_restart", run=i + 1, windows=at), variant=v)


@rule(
    "soak_incomplete", family="soak", scope="results", severity="warning",
    description="soak: measured less than the planned duration, or the run never finished -> warning",
    source=Source("MLPerf", "a run is valid only at its minimum duration; a soak shorter than planned answers "
                            "for less time than it claims"),
    remedy=("continue the run: reportgen soak … --resume (or collect --resume)", "继续测试：reportgen soak … --resume（或 collect --resume）"),
    title_zh="稳定性测试应完成计划时长",
)
def _soak_incomplete(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        run = a.run
        if run.finished_at is not None and a.completed_share >= 0.999:
            continue
        row = "soak_incomplete" if run.finished_at else "soak_incomplete.unfinished"
        yield Issue("warning", say(row, run=i + 1, done=run.measured_s, plan=run.duration_s), variant=v)


@rule(
    "soak_window_length", family="soak", scope="results", severity="warning",
    description="soak: the median request takes more than a third of a window -> warning",
    source=Source("AISBench", "its steady-state rule trusts a throughput only when the longest request is below a "
                              "third of the run; a window is such a run"),
    remedy=("run the soak with longer windows (--window)", "加长窗口（--window）后重新进行稳定性测试"),
    title_zh="稳定性测试的窗口应至少为请求端到端延迟中位数的 3 倍",
)
def _soak_window_length(results: Results) -> Iterator[Issue]:
    for v, i, a in _runs(results):
        if a.window_too_short is not None:
            yield Issue("warning", say("soak_window_length", run=i + 1, median=a.window_too_short, window=a.run.window_s),
                        variant=v)
