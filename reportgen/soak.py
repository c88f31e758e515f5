"""What a soak run says: drift, errors, throttling and restarts, from its windows.

A soak (``collectors.serving.soak``) holds one load for a long time and keeps, per window, the
requests that finished in it, the card telemetry and the server's process start time. This
module reads those windows (pure functions, no I/O); ``reportgen.validity.frontier`` turns the
results into findings and ``reportgen.report.soak_view`` into the section 稳定性测试.

* **Drift**: the least-squares slope of the windows' mean TPOT and output throughput against the
  windows' mid times, with its 95 % interval (Student's t; the windows' effective number corrected
  for the residuals' autocorrelation, ``linear_trend``). 「无显著漂移」 when the interval holds 0. The
  relative change over the run is slope × span ÷ mean.
* **Errors**: failed ÷ all requests (windows and the tail), and the bursts: runs of consecutive
  windows with failures.
* **Throttling**: a window whose mean compute clock is more than 10 % below the run's highest
  window clock, or whose hottest reading reached the card's maximum operating temperature; it
  affects latency when the throttled windows' mean TPOT is more than 5 % above the others'.
* **Restart**: the server's ``process_start_time_seconds`` (``/metrics``) changed between windows.

Interrupted windows are kept in the file and left out of everything here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from reportgen.repeats import t975
from reportgen.results import ModelVariant, Results, SoakRun, SoakWindow

__all__ = [
    "CLOCK_DROP", "DRIFT_REL_MAX", "ERROR_RATE_MAX", "MIN_WINDOWS", "THROTTLE_LATENCY_REL",
    "ErrorSummary", "Restart", "SoakAnalysis", "SoakStatement", "Throttling", "Trend", "analyze", "linear_trend",
    "RecommendedLoad", "recommended_load", "signed", "soak_verdict", "temperature_limit", "window_clock_mhz", "window_temperature_c",
]

MIN_WINDOWS = 3  # fewer usable windows: no trend can be judged
DRIFT_REL_MAX = 0.05  # a significant drift changing TPOT or throughput by more than this over the run: unstable
ERROR_RATE_MAX = 0.01  # failed requests above this share of all: unstable
CLOCK_DROP = 0.10  # a window's mean clock this far below the run's highest: throttled
THROTTLE_LATENCY_REL = 0.05  # throttled windows' TPOT this much above the others': throttling costs latency
RESTART_TOLERANCE_S = 1.0  # process start times closer than this are the same process


@dataclass(frozen=True)
class Trend:
    """A least-squares line y = a + slope·t over the windows (t in hours)."""

    n: int
    slope_per_h: float  # unit of y per hour
    ci95: tuple[float, float]  # of the slope
    mean: float
    span_h: float  # first to last window mid time
    n_eff: float | None = None  # windows' effective number after the residuals' lag-1 autocorrelation

    @property
    def significant(self) -> bool:
        """The 95 % interval does not hold 0."""
        return not self.ci95[0] <= 0.0 <= self.ci95[1]

    @property
    def rel_change(self) -> float | None:
        """slope × span ÷ mean: the change over the run as a share of the mean."""
        return self.slope_per_h * self.span_h / self.mean if self.mean else None


def linear_trend(ts_h: Sequence[float], ys: Sequence[float]) -> Trend | None:
    """Ordinary least squares with the slope's 95 % interval; None for fewer than 3 points or
    all at one time.

    Neighbouring windows are not independent when something changes slowly (the machine's other
    load, a cooling cycle): positively autocorrelated residuals make the ordinary interval too
    narrow. The interval therefore uses the effective number of windows
    n_eff = n (1 − r₁) / (1 + r₁), r₁ the residuals' lag-1 autocorrelation when positive (Santer et
    al. 2000, J. Geophys. Res. 105, 7337): the standard error grows by √((n − 2) / (n_eff − 2)) and
    the t quantile has n_eff − 2 degrees of freedom; with n_eff ≤ 2 the interval is unbounded."""
    n = len(ts_h)
    if n < MIN_WINDOWS or n != len(ys):
        return None
    mt, my = math.fsum(ts_h) / n, math.fsum(ys) / n
    sxx = math.fsum((t - mt) ** 2 for t in ts_h)
    if sxx <= 0:
        return None
    slope = math.fsum((t - mt) * (y - my) for t, y in zip(ts_h, ys)) / sxx
    order = sorted(range(n), key=lambda i: ts_h[i])
    res = [ys[i] - (my + slope * (ts_h[i] - mt)) for i in order]
    ss = math.fsum(r * r for r in res)
    r1 = math.fsum(a * b for a, b in zip(res, res[1:])) / ss if ss > 0 else 0.0
    n_eff = n * (1 - r1) / (1 + r1) if r1 > 0 else float(n)
    if n_eff <= 2:
        return Trend(n, slope, (-math.inf, math.inf), my, max(ts_h) - min(ts_h), n_eff)
    se = math.sqrt(ss / (n - 2) / sxx) * math.sqrt((n - 2) / (n_eff - 2))
    half = t975(n_eff - 2) * se
    return Trend(n, slope, (slope - half, slope + half), my, max(ts_h) - min(ts_h), n_eff)


def window_clock_mhz(w: SoakWindow) -> float | None:
    """The window's mean compute clock over all devices' readings (None without clock readings)."""
    if w.telemetry is None:
        return None
    clocks = [s.clock_mhz for s in w.telemetry.samples if s.clock_mhz is not None]
    return math.fsum(clocks) / len(clocks) if clocks else None


def window_temperature_c(w: SoakWindow) -> float | None:
    if w.telemetry is None:
        return None
    temps = [s.temperature_c for s in w.telemetry.samples if s.temperature_c is not None]
    return max(temps) if temps else None


@dataclass(frozen=True)
class ErrorSummary:
    requests: int
    failed: int
    bursts: list[tuple[int, int]]  # (first, last) window index of each run of windows with failures
    first_error: str | None

    @property
    def rate(self) -> float:
        return self.failed / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Throttling:
    state: Literal["unknown", "none", "throttled", "throttled_latency"]
    windows: list[int]  # indices of the throttled windows
    reference_clock_mhz: float | None
    lowest_clock_mhz: float | None
    temperature_limit_c: float | None
    hottest_c: float | None
    tpot_ratio: float | None  # throttled windows' mean TPOT ÷ the others'


@dataclass(frozen=True)
class Restart:
    state: Literal["unknown", "none", "restarted"]
    at_windows: list[int]  # the first window after each restart
    scrape_failures: int  # windows whose /metrics gave no start time


@dataclass
class SoakAnalysis:
    run: SoakRun
    windows: list[SoakWindow]  # the usable ones: not interrupted, with metrics
    tpot: Trend | None
    throughput: Trend | None
    errors: ErrorSummary
    throttling: Throttling
    restart: Restart
    completed_share: float  # measured time ÷ planned
    window_too_short: float | None  # median E2EL (s) when above a third of the window (AISBench's rule)
    verdict: Literal["stable", "unstable", "unknown"] = "unknown"
    reasons: list[str] = field(default_factory=list)  # codes: drift_tpot, drift_throughput, errors, throttling, restart, too_few_windows


def _errors(run: SoakRun) -> ErrorSummary:
    total = failed = 0
    first: str | None = None
    bad: list[int] = []
    for w in run.windows:
        if w.interrupted:
            continue
        timed = [r for r in w.requests if not r.warmup]
        errs = [r for r in timed if not r.ok]
        total += len(timed)
        failed += len(errs)
        if errs:
            bad.append(w.index)
            first = first or errs[0].error
    tail_errs = [r for r in run.tail_requests if not r.ok]
    total += len(run.tail_requests)
    failed += len(tail_errs)
    first = first or (tail_errs[0].error if tail_errs else None)
    bursts: list[tuple[int, int]] = []
    for i in bad:
        if bursts and i == bursts[-1][1] + 1:
            bursts[-1] = (bursts[-1][0], i)
        else:
            bursts.append((i, i))
    return ErrorSummary(total, failed, bursts, first)


def _throttling(windows: list[SoakWindow], temp_limit: float | None) -> Throttling:
    clocks = {w.index: c for w in windows if (c := window_clock_mhz(w)) is not None}
    temps = {w.index: t for w in windows if (t := window_temperature_c(w)) is not None}
    if not clocks and not (temps and temp_limit is not None):
        return Throttling("unknown", [], None, None, temp_limit, max(temps.values()) if temps else None, None)
    ref = max(clocks.values()) if clocks else None
    throttled = sorted(
        {i for i, c in clocks.items() if ref is not None and c < (1 - CLOCK_DROP) * ref}
        | {i for i, t in temps.items() if temp_limit is not None and t >= temp_limit}
    )
    tp = {w.index: w.metrics.tpot_ms.mean for w in windows if w.metrics is not None and w.metrics.tpot_ms.mean}
    hot = [tp[i] for i in throttled if i in tp]
    cool = [v for i, v in tp.items() if i not in throttled]
    ratio = (math.fsum(hot) / len(hot)) / (math.fsum(cool) / len(cool)) if hot and cool else None
    state: Literal["unknown", "none", "throttled", "throttled_latency"] = "none"
    if throttled:
        state = "throttled_latency" if ratio is not None and ratio > 1 + THROTTLE_LATENCY_REL else "throttled"
    return Throttling(state, throttled, ref, min(clocks.values()) if clocks else None, temp_limit,
                      max(temps.values()) if temps else None, ratio)


def _restart(run: SoakRun) -> Restart:
    starts = [(w.index, w.server_start_time_s) for w in run.windows]
    known = [(i, s) for i, s in starts if s is not None]
    failures = sum(1 for _, s in starts if s is None)
    if not known:
        return Restart("unknown", [], failures)
    at = [i for (_, a), (i, b) in zip(known, known[1:]) if abs(b - a) > RESTART_TOLERANCE_S]
    return Restart("restarted" if at else "none", at, failures)


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2


def analyze(run: SoakRun, temp_limit: float | None = None) -> SoakAnalysis:
    """Every verdict of one soak run (see the module doc); ``temp_limit``: the card's maximum
    operating temperature (C), when known."""
    usable = [w for w in run.windows if not w.interrupted and w.metrics is not None and w.metrics.completed]
    mids = [(w.start_s + w.duration_s / 2) / 3600.0 for w in usable]
    tpot_pts = [(t, w.metrics.tpot_ms.mean) for t, w in zip(mids, usable) if w.metrics and w.metrics.tpot_ms.mean is not None]
    tput_pts = [(t, w.metrics.output_throughput) for t, w in zip(mids, usable) if w.metrics]
    tpot = linear_trend([t for t, _ in tpot_pts], [y for _, y in tpot_pts])
    tput = linear_trend([t for t, _ in tput_pts], [y for _, y in tput_pts])
    e2el = [(r.end_s - r.start_s) for w in usable for r in w.requests if r.ok and r.end_s is not None]
    med = _median(e2el)
    short = med if med is not None and med > run.window_s / 3 else None
    a = SoakAnalysis(
        run=run, windows=usable, tpot=tpot, throughput=tput, errors=_errors(run),
        throttling=_throttling(usable, temp_limit), restart=_restart(run),
        completed_share=run.measured_s / run.duration_s if run.duration_s else 0.0, window_too_short=short,
    )
    reasons: list[str] = []
    for code, tr in (("drift_tpot", tpot), ("drift_throughput", tput)):
        if tr is not None and tr.significant and tr.rel_change is not None and abs(tr.rel_change) > DRIFT_REL_MAX:
            reasons.append(code)
    if a.errors.rate > ERROR_RATE_MAX:
        reasons.append("errors")
    if a.throttling.state == "throttled_latency":
        reasons.append("throttling")
    if a.restart.state == "restarted":
        reasons.append("restart")
    if reasons:
        a.verdict, a.reasons = "unstable", reasons
    elif len(usable) < MIN_WINDOWS:
        a.verdict, a.reasons = "unknown", ["too_few_windows"]
    else:
        a.verdict = "stable"
    return a


@dataclass(frozen=True)
class RecommendedLoad:
    """The load a soak holds when none is given, and the lengths it was found at."""

    by: Literal["concurrency", "rate"]
    value: float
    origin: Literal["capacity", "operating_point"]
    input_len: int
    output_len: int


def recommended_load(results: Results, v: ModelVariant) -> RecommendedLoad | None:
    """The capacity search's answer (the most load within the SLOs) when there is one, else the
    document's recommended operating point (the largest valid batch within the plan's limits,
    ``conclusion.operating_point``); None when there is neither."""
    for search in reversed(v.capacity):
        if search.capacity is not None:
            return RecommendedLoad(search.by, search.capacity, "capacity", search.input_len, search.output_len)
    from reportgen.validity import check_results
    from reportgen.verdicts.performance import operating_point

    op = operating_point(v, check_results(results))
    if op is None:
        return None
    if op.request_rate is not None:
        return RecommendedLoad("rate", op.request_rate, "operating_point", op.input_len, op.output_len)
    return RecommendedLoad("concurrency", float(op.batch_size), "operating_point", op.input_len, op.output_len)


def signed(x: float) -> str:
    """A slope with its sign and no exponent: +3440, -1.15, +0.0123 (the document and the console)."""
    return f"{x:+.0f}" if abs(x) >= 100 else f"{x:+.3g}"


def temperature_limit(results: Results) -> float | None:
    """The card's maximum operating temperature (the fact, else the lowest any device reports)."""
    from reportgen.validity.telemetry import _max_temperature

    limit = _max_temperature(results)
    return limit[0] if limit is not None else None


@dataclass(frozen=True)
class SoakStatement:
    """One soak run in one sentence for the 结论 page (the lead wires it in)."""

    label: str
    verdict: Literal["stable", "unstable", "unknown"]
    text: str  # Chinese
    section: str = "稳定性测试"


def soak_verdict(results: Results) -> list[SoakStatement]:
    """Per variant and soak run: 稳定 / 不稳定 / 无法判定 with the reasons, in the document's words."""
    from reportgen.report.soak_view import verdict_sentence

    limit = temperature_limit(results)
    out = []
    for v in results.variants:
        for run in v.soak:
            a = analyze(run, limit)
            out.append(SoakStatement(v.label, a.verdict, verdict_sentence(v, a)))
    return out
