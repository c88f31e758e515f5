"""Why a serving cell cannot be used, in the reader's words: one table from rule codes to a
plain Chinese cause, and the columns of 3.4 that a finding puts in doubt. What to do about it
is the rule's remedy (``reportgen.validity.registry``). Used by the 3.4 row notes and by the
conclusion (grouped by cause), so both say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportgen.results import Finding, ServingCell
from reportgen.validity import remedy_of, title_zh

# Column ids of the tables (3.3, 3.4) that a finding can put in doubt.
TPS, TPOT, TTFT, DURATION, TTFT_P99, TPOT_P99, PREFILL = "tps", "tpot", "ttft", "duration", "ttft_p99", "tpot_p99", "prefill"
REQ_TPS, INPUT_TPS, TOTAL_TPS, TTFT_MEDIAN, TPOT_MEDIAN = "req_tps", "input_tps", "total_tps", "ttft_median", "tpot_median"
#: A throughput finding's evidence names its figure: the column it puts in doubt.
_THROUGHPUT_COLUMN = {"output_throughput": TPS, "input_throughput": INPUT_TPS, "total_token_throughput": TOTAL_TPS,
                      "request_throughput": REQ_TPS}


@dataclass(frozen=True)
class Cause:
    key: str  # stable id; several rules can share one cause
    zh: str  # what is wrong, in plain words
    remedy: str  # what to re-measure or change (the rule's remedy)


# rule code -> (cause key, plain words); several rules can share a cause (and then a remedy)
_CAUSES: dict[str, tuple[str, str]] = {
    "output_tokens": ("short_output", "生成提前结束，输出词元数达不到要求的输出长度"),
    "percentile_order": ("percentiles", "百分位数与均值互相矛盾（如 P99 低于中位数），打印的统计量不可能来自同一组请求"),
    "mean_consistency": ("percentiles", "百分位数与均值互相矛盾（如 P99 低于中位数），打印的统计量不可能来自同一组请求"),
    "throughput_consistency": ("throughput", "打印的吞吐不等于词元数 ÷ 测试时长"),
    "latency_exceeds_duration": ("timing", "请求时延超过了整个测试时长，计时不可信"),
    "single_request_duration": ("timing", "测试时长与单个请求的时延对不上，计时不可信"),
    "ttft_batch_scaling": ("ttft_short", "TTFT 短得不可能：这么长的输入在这么短的时间内无法完成预填充"),
    "prefill_rate": ("ttft_short", "TTFT 短得不可能：这么长的输入在这么短的时间内无法完成预填充"),
    "tpot_batch_scaling": ("tpot_scaling", "批大小增大时 TPOT 反而成倍下降，与解码的原理不符"),
    "prefix_cache": ("ttft_short", "前缀缓存命中，TTFT 未包含完整的预填充"),
    "decode_rate": ("tpot_short", "TPOT 短得不可能：每步解码读取全部权重所需的时间都比它长"),
    "client_server_gap": ("client_server_gap", "客户端与服务端统计的平均延迟相差较大（测试机负载或网络的影响）"),
    "sample_count": ("samples", "成功请求数太少，P99 只是最慢几个请求之间的插值"),
    "effective_concurrency": ("concurrency", "实际并发数与设定的批大小不符"),
    "failed_requests": ("failed", "有请求失败或未发出"),
    "missing_metrics": ("missing", "该用例没有测试结果"),
    "percentile_samples": ("p99_samples", "P99 只基于少量请求，接近最慢请求的值"),
    "stream_tokens": ("stream", "流式输出与词元计数不符（缺首个词元、块数多于报告的词元数或超过 max_tokens）"),
    "steady_window": ("steady", "用例没有稳态窗口：最慢的请求占了用例时长的三分之一以上，吞吐包含启动与收尾阶段"),
    "throughput_sum": ("throughput", "打印的吞吐不等于词元数 ÷ 测试时长"),
    "open_loop_overload": ("overload", "过载：服务端完成请求的速度跟不上到达速率，延迟随运行时长增长"),
    "open_loop_rate": ("client", "测试程序未能按计划发送请求，服务端承受的负载低于设定"),
    "open_loop_lateness": ("client", "测试程序未能按计划发送请求，服务端承受的负载低于设定"),
}


# Warnings of rules whose errors mean "impossible": the same rule read more mildly (load noise),
# with its own words and remedy.
_WARNING_CAUSES: dict[str, Cause] = {
    "mean_consistency": Cause(
        "outliers", "少数极端值主导了均值（均值高于 P99）", "确认测试期间机器没有其他负载后重测，或以中位数为准",
    ),
    "ttft_batch_scaling": Cause(
        "ttft_scaling", "批大小增大时 TTFT 反而下降，可能受测试机负载波动影响", "在空闲的测试机上重测",
    ),
    "tpot_batch_scaling": Cause(
        "tpot_scaling_w", "批大小增大时 TPOT 反而下降，可能受测试机负载波动影响", "在空闲的测试机上重测",
    ),
}

_DEFAULT_REMEDY = "核对该项后重测"


def cause_of(f: Finding) -> Cause:
    """The plain-words cause of a finding (its rule's title when no better words exist) and
    what to do about it (its rule's remedy)."""
    if f.severity == "warning" and f.check in _WARNING_CAUSES:
        return _WARNING_CAUSES[f.check]
    remedy = remedy_of(f.check)
    todo = remedy.zh if remedy is not None else _DEFAULT_REMEDY
    known = _CAUSES.get(f.check)
    if known is not None:
        return Cause(known[0], known[1], todo)
    return Cause(f.check, f"未满足：{title_zh(f.check)}", todo)


def cause_words(f: Finding, cell: ServingCell | None = None) -> str:
    """The cause with the cell's own numbers where they make it concrete."""
    c = cause_of(f)
    if f.check == "output_tokens" and cell is not None and cell.metrics is not None and cell.metrics.completed:
        m = cell.metrics
        avg = m.total_output_tokens / m.completed
        return f"生成提前结束：平均每个请求只输出 {avg:.0f} 个词元，要求 {cell.output_len} 个"
    if c.key == "ttft_short" and cell is not None:
        return f"TTFT 短得不可能：{cell.input_len} 词元的输入在这么短的时间内无法完成预填充"
    if f.check == "open_loop_overload" and isinstance(f.args.get("served"), (int, float)):
        return overload_words([f])
    if f.check == "percentile_samples" and isinstance(f.args.get("n"), int):
        return f"P99 只基于 {f.args['n']} 个请求（不足 {f.args.get('want', 100)} 个），接近最慢请求的值"
    return c.zh


def overload_words(found: list[Finding]) -> str:
    """「过载：服务端每秒只完成 3.9 个请求（目标 40 请求/秒）」, one clause per overloaded cell."""
    parts = [f"服务端每秒只完成 {f.args['served']:.2f} 个请求（目标 {f.args['offered']:g} 请求/秒）" for f in found
             if isinstance(f.args.get("served"), (int, float)) and isinstance(f.args.get("offered"), (int, float))]
    return "过载：" + "；".join(parts) + "，延迟随运行时长增长" if parts else cause_of(found[0]).zh


def doubtful_columns(f: Finding) -> set[str]:
    """The 3.4 columns whose value the finding puts in doubt (empty: the cell as a whole). Which
    latency or throughput a finding is about comes from its evidence (``Finding.args``); a finding
    without arguments (one made by hand) is read from its message."""
    if f.args:
        metric, which = f.args.get("metric"), f.args.get("throughput")
        ttft, tpot, output = metric == "TTFT", metric == "TPOT", which == "output_throughput"
    else:
        ttft, tpot, output = "TTFT" in f.message, "TPOT" in f.message, "output" in f.message
    match f.check:
        case "output_tokens":
            return {TPS, TPOT}
        case "throughput_consistency":
            if output:
                return {TPS}
            column = _THROUGHPUT_COLUMN.get(str(f.args.get("throughput")))
            return {column} if column else {DURATION}
        case "throughput_sum":
            return {INPUT_TPS, TOTAL_TPS}
        case "percentile_samples":
            return {TTFT_P99, TPOT_P99}
        case "open_loop_overload":
            return {TPS, TPOT, TTFT, TTFT_P99, TPOT_P99, TTFT_MEDIAN, TPOT_MEDIAN}
        case "steady_window":  # AISBench's rule is about the steady-state throughput
            return {TPS, REQ_TPS, INPUT_TPS, TOTAL_TPS}
        case "percentile_order":
            return ({TTFT_P99} if ttft else set()) | ({TPOT_P99} if tpot else set())
        case "mean_consistency":
            return ({TTFT, TTFT_P99} if ttft else set()) | ({TPOT, TPOT_P99} if tpot else set())
        case "latency_exceeds_duration":
            stats = _stats_named(f)
            cols = {DURATION}
            if ttft or not f.args:
                cols |= {TTFT} if not stats or "mean" in stats else set()
                cols |= {TTFT_P99} if "p99" in stats else set()
                cols |= {TTFT_MEDIAN} if "median" in stats else set()
            return cols
        case "single_request_duration":
            return {DURATION}
        case "ttft_batch_scaling" | "prefill_rate" | "prefix_cache":
            return {TTFT, PREFILL}
        case "tpot_batch_scaling" | "decode_rate":
            return {TPOT}
    return set()


#: A value computed from another carries that one's doubt: every throughput is a count / the
#: duration; the prefill rate is prompt tokens / mean TTFT.
DERIVED_FROM: dict[str, frozenset[str]] = {
    DURATION: frozenset({TPS, REQ_TPS, INPUT_TPS, TOTAL_TPS}),
    TTFT: frozenset({PREFILL}),
}


def doubtful(findings: Iterable[Finding]) -> frozenset[str]:
    """The columns a cell's findings put in doubt, with every value derived from one of them."""
    out: set[str] = set()
    for f in findings:
        out |= doubtful_columns(f)
    for source, derived in DERIVED_FROM.items():
        if source in out:
            out |= derived
    return frozenset(out)


def _stats_named(f: Finding) -> set[str]:
    """The statistics a latency finding names in its evidence ("mean", "median", "p99")."""
    out: set[str] = set()
    stats = f.args.get("stats")
    for item in stats.get("items", []) if isinstance(stats, dict) else []:
        stat = item.get("args", {}).get("stat") if isinstance(item, dict) else None
        word = stat.get("en") if isinstance(stat, dict) else stat
        if isinstance(word, str) and word.lower() in ("mean", "median", "p99"):
            out.add(word.lower())
    return out
