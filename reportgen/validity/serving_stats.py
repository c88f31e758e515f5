"""Serving-cell rules about the arithmetic of the figures: throughputs, statistics and timings
that must agree with each other (within the rounding of the printed text)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from reportgen.metrics import serving_metrics
from reportgen.results import ModelVariant, ServingCell, ServingMetrics
from reportgen.validity.messages import Arg, Say, Term, items, say
from reportgen.validity.numbers import (
    METRIC_NAMES,
    STAT_NAMES,
    Num,
    decimals,
    duration,
    eps,
    get,
    lt,
    n_of,
    ne,
    num,
    stat_nums,
    stats_of,
    was_printed,
)
from reportgen.validity.registry import Issue, Severity, Source, rule

#: A throughput outside the rounding of the printed figures by at most this fraction (or by
#: one unit of its last printed digit) is a warning; beyond it, an error.
THROUGHPUT_WARN_REL = 0.01
#: A single request's latency vs the benchmark duration: duration > e2el x RATIO + SLACK -> warning.
SINGLE_REQUEST_RATIO = 1.25
SINGLE_REQUEST_SLACK_S = 0.5

_PERCENTILES_REMEDY = ("re-run with a benchmark client that keeps per-request records; compute the statistics from them",
                       "用能保存逐请求记录的测试程序重测，由原始记录计算统计量")
_TIMING_REMEDY = ("re-run, and check where the benchmark client starts its clock", "重测，并核对测试程序的计时起点")


def stat_ms(stat: str, n: Num) -> Say:
    """"median 60.74 ms" / "中位数 60.74 ms"."""
    return say("_.stat_ms", stat=STAT_NAMES[stat], value=n.text)


_THROUGHPUTS: tuple[tuple[str, Term, str, Callable[[ServingMetrics], int]], ...] = (
    ("request_throughput", Term("request throughput", "请求吞吐"), "req/s", lambda m: m.completed),
    ("input_throughput", Term("input token throughput", "输入吞吐"), "tok/s", lambda m: m.total_input_tokens),
    ("output_throughput", Term("output token throughput", "输出吞吐"), "tok/s", lambda m: m.total_output_tokens),
    ("total_token_throughput", Term("total token throughput", "总吞吐"), "tok/s", lambda m: m.total_input_tokens + m.total_output_tokens),
)


@rule(
    "throughput_consistency", family="serving", scope="cell", severity="error or warning",
    description="request/input/output/total throughput must equal count / duration within the rounding of the printed "
                "figures; off by <= 1 % or one unit of the last digit -> warning, more -> error; duration <= 0 -> error",
    source=Source("vLLM", "vLLM computes every throughput as a count / the benchmark duration and prints two "
                          "decimals: the rounding is the only gap allowed"),
    remedy=("re-run and keep the raw output; compute throughputs from the token counts and the duration",
            "重测并保存原始输出；吞吐由词元数与测试时长重新计算"),
    title_zh="吞吐量应等于词元数（或请求数）÷ 测试时长（允许打印舍入误差）",
)
def _throughput_consistency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is not None and m.duration_s <= 0 and m.completed > 0:
        yield Issue("error", say("throughput_consistency.no_duration", duration=m.duration_s, completed=m.completed))
    d = duration(cell)
    if m is None or d is None:
        return
    for key, name, unit, count_of in _THROUGHPUTS:
        if not was_printed(cell, key):
            continue
        p = num(cell, key, getattr(m, key))
        if p is None:
            continue
        count = count_of(m)
        lo = count / (d.value + d.half)
        hi = count / (d.value - d.half) if d.value > d.half else math.inf
        tol = p.half + eps(p.value, lo)
        if lo - tol <= p.value <= hi + tol:
            continue
        exact = count / d.value
        beyond = max(lo - p.value, p.value - hi)
        rel = abs(p.value - exact) / exact if exact else math.inf
        severity: Severity = "warning" if rel <= THROUGHPUT_WARN_REL or (p.half and beyond <= 3 * p.half) else "error"
        what = Term("printed", "打印的") if cell.source == "imported" else Term("stored", "保存的")
        digits = decimals(p.text) or 2
        if p.half and abs(p.value - exact) < 10 * p.half:
            digits += 1  # show the digit that decides the rounding
        implied: Arg = ""
        if p.value > 0 and count > 0 and p.half <= 0.001 * p.value:
            implied = say("throughput_consistency.implied", what=what, implied=count / p.value)
        yield Issue(severity, say("throughput_consistency", throughput=key, name=name, what=what, value=p.text, unit=unit,
                                  count=count, duration=d.text, exact=f"{exact:.{digits}f}", implied=implied))


_RECOMPUTED_FIELDS = (
    "duration_s",
    "request_throughput",
    "input_throughput",
    "output_throughput",
    "total_token_throughput",
    "ttft_ms.mean",
    "ttft_ms.median",
    "ttft_ms.p99",
    "tpot_ms.mean",
    "tpot_ms.median",
    "tpot_ms.p99",
    "e2el_ms.mean",
    "itl_ms.mean",
)


@rule(
    "metrics_recomputed", family="serving", scope="cell", severity="error",
    description="measured cells: stored metrics must equal those recomputed from the raw records (relative 1e-6) -> error",
    source=Source("ours", "the same arithmetic on the same records gives the same figures; 1e-6 allows for float noise"),
    remedy=("re-run the cell (the stored figures were edited or written by another version)",
            "重测该用例（保存的指标被修改过，或由其他版本写入）"),
    title_zh="保存的指标应与由原始请求记录重新计算的结果一致",
)
def _metrics_recomputed(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or not cell.requests:
        return
    again = serving_metrics(cell.requests, cell.duration_s, cell.slo)
    diffs: list[Say] = []
    for field in ("completed", "failed", "total_input_tokens", "total_output_tokens"):
        a, b = getattr(m, field), getattr(again, field)
        if a != b:
            diffs.append(say("metrics_recomputed.count", field=field, stored=a, recomputed=b))
    for path in _RECOMPUTED_FIELDS:
        a, b = get(m, path), get(again, path)
        if a is None or b is None:
            continue
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
            diffs.append(say("metrics_recomputed.value", field=path, stored=a, recomputed=b))
    if diffs:
        more = say("metrics_recomputed.more", more=len(diffs) - 4) if len(diffs) > 4 else ""
        yield Issue("error", say("metrics_recomputed", records=len(cell.requests), diffs=items(diffs[:4]), more=more))


_ORDER = ("min", "median", "p90", "p99", "max")


@rule(
    "percentile_order", family="serving", scope="cell", severity="error",
    description="min <= median <= P90 <= P99 <= max for every latency (within printed rounding) -> error",
    source=Source("ours", "an identity of order statistics: a higher percentile of one set cannot be smaller"),
    remedy=_PERCENTILES_REMEDY,
    title_zh="分位数顺序：最小值 ≤ 中位数 ≤ P90 ≤ P99 ≤ 最大值",
)
def _percentile_order(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    for metric, label in METRIC_NAMES.items():
        nums = stat_nums(cell, metric, stats_of(m, metric))
        present = [s for s in _ORDER if s in nums]
        bad: list[Say] = []
        for i, lo in enumerate(present):
            for hi in present[i + 1 :]:
                if lt(nums[hi], nums[lo]):
                    bad.append(say("percentile_order.pair", high=stat_ms(hi, nums[hi]), low=stat_ms(lo, nums[lo])))
        if bad:
            yield Issue("error", say("percentile_order", metric=label, pairs=items(bad)))


@rule(
    "mean_consistency", family="serving", scope="cell", severity="error or warning",
    description="mean within [min, max]; n = 1: mean = median = P99; n = 2: mean = median; mean <= P99 when n <= 100 "
                "(linear interpolation puts P99 between the two largest values) -> error; mean > P99 with n > 100 -> warning",
    source=Source("vLLM", "vLLM takes percentiles with numpy's linear interpolation: with n <= 100 the P99 lies "
                          "between the two largest values, so the mean cannot exceed it"),
    remedy=_PERCENTILES_REMEDY,
    title_zh="均值应与样本数相符（均值在最小值与最大值之间；样本数 ≤ 100 时均值不高于 P99）",
)
def _mean_consistency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    for metric, label in METRIC_NAMES.items():
        s = stats_of(m, metric)
        nums = stat_nums(cell, metric, s)
        mean = nums.get("mean")
        if s is None or mean is None:
            continue
        n = n_of(s, m)
        problems: list[Say] = []
        severity: Severity = "error"
        mt = mean.text
        if "min" in nums and lt(mean, nums["min"]) or "max" in nums and lt(nums["max"], mean):
            problems.append(say("mean_consistency.outside", mean=mt))
        if metric != "itl" and n == 1:
            others = [stat_ms(st, nums[st]) for st in ("median", "p90", "p99") if st in nums and ne(nums[st], mean)]
            if others:
                problems.append(say("mean_consistency.one", mean=mt, others=items(others, "list")))
        elif metric != "itl" and n == 2 and "median" in nums and ne(nums["median"], mean):
            problems.append(say("mean_consistency.two", median=nums["median"].text, mean=mt))
        if "p99" in nums and lt(nums["p99"], mean) and not (metric != "itl" and n == 1):
            p99 = nums["p99"].text
            if metric != "itl" and n <= 100:
                problems.append(say("mean_consistency.above_p99", mean=mt, p99=p99, n=n))
            elif not problems:
                severity = "warning"
                problems.append(say("mean_consistency.outliers", mean=mt, p99=p99, n=n))
        if problems:
            yield Issue(severity, say("mean_consistency", metric=label, problems=items(problems)))


@rule(
    "latency_exceeds_duration", family="serving", scope="cell", severity="error",
    description="TTFT and E2EL (mean, median, P99; E2EL estimated as TTFT + (out - 1) x TPOT when not printed) "
                "cannot exceed the duration -> error",
    source=Source("ours", "every timed request runs inside the benchmark's duration"),
    remedy=_TIMING_REMEDY,
    title_zh="TTFT 与端到端延迟不得超过测试时长",
)
def _latency_exceeds_duration(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    d = duration(cell)
    if m is None or d is None:
        return
    for metric in ("ttft", "e2el"):
        nums = stat_nums(cell, metric, stats_of(m, metric))
        over = [
            (st, n)
            for st, n in nums.items()
            if st in ("mean", "median", "p99") and n.value / 1000 > d.value + d.half + n.half / 1000 + eps(d.value)
        ]
        if over:
            listed = items((stat_ms(st, n) for st, n in over), "list")
            yield Issue("error", say("latency_exceeds_duration", metric=METRIC_NAMES[metric], stats=listed, duration=d.text))
    if m.e2el_ms is None or m.e2el_ms.mean is None:
        est = estimated_e2el(cell)
        if est is not None:
            value_ms, half_ms, how = est
            if value_ms / 1000 > d.value + d.half + half_ms / 1000 + eps(d.value):
                yield Issue("error", say("latency_exceeds_duration.estimated", estimate=how, e2el_ms=value_ms, duration=d.text))


def estimated_e2el(cell: ServingCell) -> tuple[float, float, Say] | None:
    """Mean E2EL = mean TTFT + (out - 1) x mean TPOT, exact when every request generated the same
    number of tokens (one request, or all of them output_len, the cap)."""
    m = cell.metrics
    if m is None or m.completed < 1:
        return None
    if not (m.completed == 1 or m.total_output_tokens == m.completed * cell.output_len):
        return None
    ttft = num(cell, "ttft.mean", m.ttft_ms.mean)
    tpot = num(cell, "tpot.mean", m.tpot_ms.mean)
    if ttft is None:
        return None
    k = m.total_output_tokens // m.completed
    if k <= 1:
        return ttft.value, ttft.half, say("_.e2el_ttft", ttft=ttft.text)
    if tpot is None:
        return None
    return (
        ttft.value + (k - 1) * tpot.value,
        ttft.half + (k - 1) * tpot.half,
        say("_.e2el_estimate", ttft=ttft.text, steps=k - 1, tpot=tpot.text),
    )


@rule(
    "single_request_duration", family="serving", scope="cell", severity="warning",
    description="one request: the duration must match its latency; duration > 1.25 x E2EL + 0.5 s -> warning",
    source=Source("ours", "x 1.25 + 0.5 s allows for the client's start-up and its own timing around one request"),
    remedy=_TIMING_REMEDY,
    title_zh="单请求用例的测试时长应与该请求的延迟相符",
)
def _single_request_duration(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    d = duration(cell)
    if m is None or d is None or m.completed != 1 or m.failed:
        return
    how: Arg
    if m.e2el_ms is not None and m.e2el_ms.mean is not None:
        e2el_ms, how = m.e2el_ms.mean, "E2EL"
    else:
        est = estimated_e2el(cell)
        if est is None:
            return
        e2el_ms, how = est[0], est[2]
    e2el_s = e2el_ms / 1000
    if d.value > e2el_s * SINGLE_REQUEST_RATIO + SINGLE_REQUEST_SLACK_S:
        yield Issue("warning", say("single_request_duration", took=e2el_s, how=how, duration=d.text, gap=d.value - e2el_s))
