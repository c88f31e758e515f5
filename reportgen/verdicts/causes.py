"""Why a serving cell cannot be used, in the reader's words: one table from validity check
names to a plain Chinese cause, the columns of 3.4 that the cause puts in doubt, and what
to do about it. Used by the 3.4 row notes and by the conclusion (grouped by cause), so
both say the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.results import Finding, ServingCell
from reportgen.validity import CHECK_TITLES_ZH

# Column ids of the 3.4 table that a finding can put in doubt.
TPS, TPOT, TTFT, DURATION, TTFT_P99, TPOT_P99, PREFILL = "tps", "tpot", "ttft", "duration", "ttft_p99", "tpot_p99", "prefill"


@dataclass(frozen=True)
class Cause:
    key: str  # stable id; several checks can share one cause
    zh: str  # what is wrong, in plain words
    remedy: str  # what to re-measure or change


_CAUSES: dict[str, Cause] = {
    "output_tokens": Cause(
        "short_output",
        "生成提前结束，输出词元数达不到要求的输出长度",
        "设置 ignore_eos（或固定输出长度）后重测，使每个请求都生成要求的词元数",
    ),
    "percentile_order": Cause(
        "percentiles",
        "百分位数与均值互相矛盾（如 P99 低于中位数），打印的统计量不可能来自同一组请求",
        "用能保存逐请求记录的测试程序重测，由原始记录计算统计量",
    ),
    "mean_consistency": Cause(
        "percentiles",
        "百分位数与均值互相矛盾（如 P99 低于中位数），打印的统计量不可能来自同一组请求",
        "用能保存逐请求记录的测试程序重测，由原始记录计算统计量",
    ),
    "throughput_consistency": Cause(
        "throughput",
        "打印的吞吐不等于词元数 ÷ 测试时长",
        "重测并保存原始输出；吞吐由词元数与测试时长重新计算",
    ),
    "latency_exceeds_duration": Cause(
        "timing",
        "请求时延超过了整个测试时长，计时不可信",
        "重测，并核对测试程序的计时起点",
    ),
    "single_request_duration": Cause(
        "timing",
        "测试时长与单个请求的时延对不上，计时不可信",
        "重测，并核对测试程序的计时起点",
    ),
    "ttft_batch_scaling": Cause(
        "ttft_short",
        "TTFT 短得不可能：这么长的输入在这么短的时间内无法完成预填充",
        "关闭前缀缓存、每个请求使用不同的随机输入后重测",
    ),
    "prefill_rate": Cause(
        "ttft_short",
        "TTFT 短得不可能：这么长的输入在这么短的时间内无法完成预填充",
        "关闭前缀缓存、每个请求使用不同的随机输入后重测",
    ),
    "tpot_batch_scaling": Cause(
        "tpot_scaling",
        "批大小增大时 TPOT 反而成倍下降，与解码的原理不符",
        "重测，并核对每个用例的并发数设置",
    ),
    "prefix_cache": Cause(
        "ttft_short",
        "前缀缓存命中，TTFT 未包含完整的预填充",
        "关闭前缀缓存、每个请求使用不同的随机输入后重测",
    ),
    "decode_rate": Cause(
        "tpot_short",
        "TPOT 短得不可能：每步解码读取全部权重所需的时间都比它长",
        "重测，并核对 TPOT 的计算方法",
    ),
    "client_server_gap": Cause(
        "client_server_gap",
        "客户端与服务端统计的平均延迟相差较大（测试机负载或网络的影响）",
        "在空闲的测试机上重测，或确认差距来自网络后接受",
    ),
    "sample_count": Cause("samples", "成功请求数太少，P99 只是最慢几个请求之间的插值", "增加每个用例的轮数后重测"),
    "effective_concurrency": Cause(
        "concurrency", "实际并发数与设定的批大小不符", "核对测试程序的并发设置后重测",
    ),
    "failed_requests": Cause("failed", "有请求失败或未发出", "排查服务端错误后重测"),
    "missing_metrics": Cause("missing", "该用例没有测试结果", "补测该用例"),
}


# Warnings of checks whose errors mean "impossible": the same check, milder words.
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


def cause_of(f: Finding) -> Cause:
    """The plain-words cause of a finding (its check title when no better words exist)."""
    if f.severity == "warning" and f.check in _WARNING_CAUSES:
        return _WARNING_CAUSES[f.check]
    known = _CAUSES.get(f.check)
    if known is not None:
        return known
    title = CHECK_TITLES_ZH.get(f.check) or f.check
    return Cause(f.check, f"未满足：{title}", "核对该项后重测")


def cause_words(f: Finding, cell: ServingCell | None = None) -> str:
    """The cause with the cell's own numbers where they make it concrete."""
    c = cause_of(f)
    if f.check == "output_tokens" and cell is not None and cell.metrics is not None and cell.metrics.completed:
        m = cell.metrics
        avg = m.total_output_tokens / m.completed
        return f"生成提前结束：平均每个请求只输出 {avg:.0f} 个词元，要求 {cell.output_len} 个"
    if c.key == "ttft_short" and cell is not None:
        return f"TTFT 短得不可能：{cell.input_len} 词元的输入在这么短的时间内无法完成预填充"
    return c.zh


def doubtful_columns(f: Finding) -> set[str]:
    """The 3.4 columns whose value the finding puts in doubt (empty: the cell as a whole)."""
    text = f.message
    ttft, tpot = "TTFT" in text, "TPOT" in text
    match f.check:
        case "output_tokens":
            return {TPS, TPOT}
        case "throughput_consistency":
            if "output" in text:
                return {TPS}
            return {DURATION}
        case "percentile_order":
            return ({TTFT_P99} if ttft else set()) | ({TPOT_P99} if tpot else set())
        case "mean_consistency":
            return ({TTFT, TTFT_P99} if ttft else set()) | ({TPOT, TPOT_P99} if tpot else set())
        case "latency_exceeds_duration":
            return {TTFT, DURATION}
        case "single_request_duration":
            return {DURATION}
        case "ttft_batch_scaling" | "prefill_rate" | "prefix_cache":
            return {TTFT, PREFILL}
        case "tpot_batch_scaling" | "decode_rate":
            return {TPOT}
    return set()
