"""Validity checks: a results document in, findings out.

Every check is a small function in a registry (``CHECKS``), with a stable snake_case name,
a scope and a one-line description of what it tests and its threshold:

* ``cell``     -- called as ``fn(cell, variant)`` for every serving cell;
* ``variant``  -- called as ``fn(variant)``: the batch-size matrix, accuracy per variant;
* ``results``  -- called as ``fn(results)``: comparisons across variants.

A check yields ``Issue``s; ``check_results`` turns them into ``Finding``s (check name, variant
label, batch size filled in) in a deterministic order: variant by variant in file order, the
serving cells by (input length, output length, batch size), then accuracy by benchmark, and
within one cell in registry order.

Severity: ``error`` when the figure cannot be right (it contradicts another figure, or an
arithmetic identity); ``warning`` when it is doubtful, incomplete or explained by a known cause.
Imported figures are compared allowing for the rounding of the text they were printed as
(``ImportInfo.printed``): a value printed as ``24.37`` lies in [24.365, 24.375].

Every message is one line in two languages, built in one place from the same formatted
numbers (``Msg``): English for ``Finding.message`` (``validate`` prints it, scripts read it)
and Chinese for ``Finding.message_zh`` (the document shows it); the document translates the
check names with ``CHECK_TITLES_ZH``. The thresholds are the module constants below
(docs/validity.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from reportgen import reference_scores as ref
from reportgen.card_bounds import CardBounds, card_bounds, model_params, weight_bytes_per_param
from reportgen.energy import cell_energy
from reportgen.energy import recompute as recompute_energy
from reportgen.metrics import output_tokens, serving_metrics, timed_requests
from reportgen.results import (
    AccuracyResult,
    CellKey,
    EmbeddingRun,
    Finding,
    ModelVariant,
    RequestRecord,
    Results,
    ServingCell,
    ServingMetrics,
    Stats,
)
from reportgen.variant_roles import MODE_ZH

Severity = Literal["error", "warning"]
Scope = Literal["cell", "variant", "results"]
CellStatus = Literal["VALID", "INVALID", "WARNING"]

# --------------------------------------------------------------------------- thresholds

#: A throughput outside the rounding of the printed figures by at most this fraction (or by
#: one unit of its last printed digit) is a warning; beyond it, an error.
THROUGHPUT_WARN_REL = 0.01
#: Token counts (prompt tokens per request) off by at most this fraction: warning; beyond: error.
TOKEN_COUNT_WARN_REL = 0.01
#: Above this many prompt tokens/s, a TTFT is not plausible on one card (a 7B model needs
#: ~14 GFLOP per prompt token: 100k tokens/s is ~1.4 PFLOP/s).
PREFILL_TPS_MAX = 100_000.0
#: Batch-1 TTFT / larger-batch TTFT at or above: error; at or above the warning ratio: warning.
TTFT_BATCH_ERROR_RATIO = 3.0
TTFT_BATCH_WARN_RATIO = 1.5
#: Batch-1 TPOT / larger-batch TPOT at or above: error; at or above the warning ratio: warning.
TPOT_BATCH_ERROR_RATIO = 2.0
TPOT_BATCH_WARN_RATIO = 1.5
#: Measured cells: fewer successful requests than max(MIN_SAMPLES, MIN_ROUNDS x batch) -> warning.
MIN_SAMPLES = 5
MIN_ROUNDS = 2
#: Effective concurrency (sum E2EL / duration) below this fraction of the batch: warning;
#: above batch x CONCURRENCY_OVER (+0.05): error (a closed loop cannot exceed its batch).
CONCURRENCY_UNDER = 0.7
CONCURRENCY_OVER = 1.05
#: Prefix-cache hit rate (hits / queried tokens) above this: error; any hit: warning.
PREFIX_CACHE_ERROR_RATE = 0.05
#: Client vs server mean latency: a gap above both limits -> warning.
CLIENT_SERVER_GAP_REL = 0.25
CLIENT_SERVER_GAP_MS = 20.0
#: Server-counted tokens vs the client's totals: relative gap above this -> warning.
SERVER_TOKENS_REL = 0.05
#: A single request's latency vs the benchmark duration: duration > e2el x RATIO + SLACK -> warning.
SINGLE_REQUEST_RATIO = 1.25
SINGLE_REQUEST_SLACK_S = 0.5
#: Card telemetry: power readings spanning less than this fraction of a cell's timed window -> warning.
TELEMETRY_COVERAGE_MIN = 0.8
#: Stored power/energy figures vs those recomputed from the telemetry samples (relative) -> error.
ENERGY_RECOMPUTE_REL = 1e-6
#: Accuracy: points (0-100) from a published reference or from the same model's full precision.
ACCURACY_REFERENCE_POINTS = 5.0
ACCURACY_PRECISION_POINTS = 5.0
#: Scores printed with 4 decimals (swift/llmuses) may differ from correct/n by this much.
SCORE_ROUNDING = 0.00005

# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Msg:
    """One finding's line in English and in Chinese, formatted from the same values."""

    en: str
    zh: str

    def __add__(self, other: Msg) -> Msg:
        return Msg(self.en + other.en, self.zh + other.zh)


def _joined(parts: Iterable[Msg], en: str = "; ", zh: str = "；") -> Msg:
    parts = list(parts)
    return Msg(en.join(p.en for p in parts), zh.join(p.zh for p in parts))


@dataclass(frozen=True)
class Issue:
    """What a check function yields; ``check_results`` turns it into a ``Finding``."""

    severity: Severity
    message: Msg
    cell: ServingCell | None = None  # the cell concerned (defaults to the cell being checked)
    variant: ModelVariant | None = None  # results-scope checks: the variant concerned
    benchmark: str | None = None
    embedding: EmbeddingRun | None = None  # embedding checks: the run concerned (its precision goes in the finding)


@dataclass(frozen=True)
class Check:
    name: str
    scope: Scope
    fn: Callable[..., Iterable[Issue]]
    description: str  # English, one line, with the threshold


CHECKS: list[Check] = []


def _check(name: str, scope: Scope, description: str) -> Callable[[Callable[..., Iterable[Issue]]], Callable[..., Iterable[Issue]]]:
    def register(fn: Callable[..., Iterable[Issue]]) -> Callable[..., Iterable[Issue]]:
        if any(c.name == name for c in CHECKS):
            raise ValueError(f"check {name!r} registered twice")
        CHECKS.append(Check(name, scope, fn, description))
        return fn

    return register


# --------------------------------------------------------------------------- numbers as printed


@dataclass(frozen=True)
class Num:
    """A figure and how precisely it is known: ``half`` is half a unit of its last printed
    digit (0 for a computed float); ``text`` is how to show it."""

    value: float
    half: float
    text: str


def _eps(*xs: float) -> float:
    return 1e-9 * max([1.0, *(abs(x) for x in xs)])


def _lt(a: Num, b: Num) -> bool:
    """a < b beyond what rounding allows."""
    return a.value < b.value - (a.half + b.half) - _eps(a.value, b.value)


def _ne(a: Num, b: Num) -> bool:
    return abs(a.value - b.value) > (a.half + b.half) + _eps(a.value, b.value)


_PRINTED_ALIASES: dict[str, tuple[str, ...]] = {
    "duration": ("benchmarkdurations", "benchmarkduration", "duration", "durations"),
    "completed": ("successfulrequests", "completed"),
    "total_input_tokens": ("totalinputtokens", "totalinputtoken"),
    "total_output_tokens": ("totalgeneratedtokens", "totaloutputtokens"),
    "request_throughput": ("requestthroughputreqs", "requestthroughput"),
    "input_throughput": ("inputtokenthroughputtoks", "inputtokenthroughput", "inputthroughput"),
    "output_throughput": ("outputtokenthroughputtoks", "outputtokenthroughput", "outputthroughput"),
    "total_token_throughput": ("totaltokenthroughputtoks", "totaltokenthroughput", "totalthroughput"),
}
for _metric in ("ttft", "tpot", "itl", "e2el"):
    for _stat in ("mean", "median", "std", "p90", "p99", "min", "max"):
        _PRINTED_ALIASES[f"{_metric}.{_stat}"] = (f"{_stat}{_metric}ms", f"{_stat}{_metric}")


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def _printed(cell: ServingCell, key: str) -> str | None:
    if cell.import_info is None:
        return None
    wanted = _PRINTED_ALIASES.get(key, (_norm(key),))
    for label, text in cell.import_info.printed.items():
        if _norm(label) in wanted:
            return text.strip()
    return None


def _decimals(text: str) -> int | None:
    m = re.fullmatch(r"[-+]?\d[\d,]*(?:\.(\d+))?", text.strip())
    if not m:
        return None
    return len(m.group(1) or "")


def _is_json_import(cell: ServingCell) -> bool:
    return cell.import_info is not None and "json" in cell.import_info.format


def _was_printed(cell: ServingCell, key: str) -> bool:
    """Whether a figure came from the source (checkable), rather than filled in by the importer."""
    if cell.source != "imported" or cell.import_info is None:
        return True
    # ImportInfo.derived (when the model has it) names the metrics the importer computed itself.
    if key in (getattr(cell.import_info, "derived", None) or ()):
        return False
    if not cell.import_info.printed:
        return True
    return _printed(cell, key) is not None


def _num(cell: ServingCell, key: str, value: float | None, decimals: int = 2) -> Num | None:
    """The figure ``key`` of ``cell`` with its rounding: printed text when imported, exact when measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if cell.source == "imported":
        text = _printed(cell, key)
        if text is not None:
            d = _decimals(text)
            return Num(float(value), 0.5 * 10.0 ** -d if d is not None else 0.0, text)
        if not _is_json_import(cell):
            # vLLM prints every figure with two decimals.
            return Num(float(value), 0.005, f"{value:.2f}")
    return Num(float(value), 0.0, f"{value:.{decimals}f}")


def _duration(cell: ServingCell) -> Num | None:
    m = cell.metrics
    if m is None or m.duration_s <= 0:
        return None
    return _num(cell, "duration", m.duration_s, 3)


def _stat_nums(cell: ServingCell, metric: str, s: Stats | None) -> dict[str, Num]:
    if s is None:
        return {}
    out: dict[str, Num] = {}
    for stat in ("mean", "median", "p90", "p99", "min", "max"):
        n = _num(cell, f"{metric}.{stat}", getattr(s, stat))
        if n is not None:
            out[stat] = n
    return out


_METRIC_NAMES = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2el": "E2EL"}
_STAT_NAMES = {"mean": "mean", "median": "median", "p90": "P90", "p99": "P99", "min": "min", "max": "max"}
_STAT_NAMES_ZH = {"mean": "均值", "median": "中位数", "p90": "P90", "p99": "P99", "min": "最小值", "max": "最大值"}


def _stat_ms(stat: str, n: Num) -> Msg:
    """"median 60.74 ms" / "中位数 60.74 ms"."""
    return Msg(f"{_STAT_NAMES[stat]} {n.text} ms", f"{_STAT_NAMES_ZH[stat]} {n.text} ms")


def _stats_of(m: ServingMetrics, metric: str) -> Stats | None:
    s: Stats | None = getattr(m, f"{metric}_ms")
    return s


def _n_of(s: Stats, m: ServingMetrics) -> int:
    return s.n if s.n > 0 else m.completed


def _ok_records(cell: ServingCell) -> list[RequestRecord]:
    return [r for r in timed_requests(cell.requests) if r.ok]


def _span(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


# --------------------------------------------------------------------------- cell checks


@_check("missing_metrics", "cell", "a serving cell without metrics (not run, or interrupted) -> warning")
def _missing_metrics(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.metrics is None:
        n = len(cell.requests)
        have = Msg(f"{n} raw records but no computed metrics", f"有 {n} 条原始请求记录但没有计算出的指标") if n else Msg(
            "no metrics and no raw records", "既无指标也无原始请求记录"
        )
        yield Issue("warning", have + Msg(": the cell was not measured or did not finish", "：该用例未测试或未完成"))


@_check("failed_requests", "cell", "successful requests must equal requests sent and planned; any failure -> error")
def _failed_requests(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    sent = m.completed + m.failed
    if m.failed > 0:
        errors = [r.error.splitlines()[0][:160] for r in timed_requests(cell.requests) if r.error]
        msg = Msg(f"{m.failed} of {sent} requests failed; only {m.completed} succeeded", f"{sent} 个请求中 {m.failed} 个失败，仅 {m.completed} 个成功")
        if errors:
            msg += Msg(f" (first error: {errors[0]})", f"（首个错误：{errors[0]}）")
        yield Issue("error", msg)
    if cell.num_requests is not None and sent < cell.num_requests:
        yield Issue("error", Msg(f"only {sent} of {cell.num_requests} planned requests were sent", f"计划 {cell.num_requests} 个请求，仅发出 {sent} 个"))


@_check("requested_length_unknown", "cell", "imported cell whose requested input/output length was not recorded (the mean per request is shown) -> warning")
def _requested_length_unknown(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    info = cell.import_info
    if info is None or not ({"input_len", "output_len"} & set(info.derived)):
        return
    which = Msg("input and output length", "输入与输出长度")
    if "input_len" not in info.derived:
        which = Msg("output length", "输出长度")
    elif "output_len" not in info.derived:
        which = Msg("input length", "输入长度")
    i, o = cell.input_len, cell.output_len
    yield Issue(
        "warning",
        Msg(
            f"the requested {which.en} is not recorded in {info.file}: the cell shows the mean per request "
            f"({i} in / {o} out); re-import with --input-len/--output-len if they are known",
            f"{info.file} 未记录所要求的{which.zh}：本用例显示的是每个请求的平均值（输入 {i} / 输出 {o}）；"
            f"如已知，请用 --input-len/--output-len 重新导入",
        ),
    )


@_check("imported_block_cut", "cell", "imported block that was cut short (no closing ruler): the last printed figure may be cut too -> warning")
def _imported_block_cut(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    info = cell.import_info
    if info is None or info.complete is not False:
        return
    last = list(info.printed)[-1] if info.printed else None
    what = Msg(f" (last line: {last})", f"（最后一行：{last}）") if last else Msg("", "")
    yield Issue(
        "warning",
        Msg(
            f"the block imported from {info.file} ends without its closing ruler: the text was cut short{what.en}; "
            "figures after the cut are missing and the last one may be incomplete",
            f"从 {info.file} 导入的结果块缺少结尾分隔线：文本被截断{what.zh}；截断之后的数值缺失，最后一个数值可能不完整",
        ),
    )


@_check("output_tokens", "cell", "generated tokens must equal output_len x successful requests (server usage per request when recorded) -> error")
def _output_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not cell.exact_output() or not _was_printed(cell, "total_output_tokens"):
        return  # sharegpt, sonnet, lengths taken as means: no exact length to check against
    expected = cell.output_len * m.completed
    ok = _ok_records(cell)
    off = [output_tokens(r) for r in ok if output_tokens(r) != cell.output_len]
    if m.total_output_tokens == expected and not off:
        return
    total, out, done = m.total_output_tokens, cell.output_len, m.completed
    msg = Msg(
        f"generated {total} tokens, expected {out} x {done} successful requests = {expected}",
        f"生成词元 {total} 个，应为 {out} × {done} 个成功请求 = {expected}",
    )
    if off:
        span = _span(off)
        msg += Msg(f"; {len(off)} of {len(ok)} requests generated {span} tokens instead of {out}", f"；{len(ok)} 个请求中有 {len(off)} 个生成 {span} 个词元而非 {out} 个")
    elif done:
        avg = f"{total / done:.1f}"
        msg += Msg(f" ({avg} per request on average)", f"（平均每个请求 {avg} 个）")
    if total < expected:
        msg += Msg(
            ": generation stopped early (EOS reached without ignore_eos?), so TPOT and TPS are not for the requested length",
            "：生成提前结束（未设 ignore_eos 而遇到 EOS？），TPOT 与 TPS 并非所要求输出长度下的数值",
        )
    yield Issue("error", msg)


@_check("input_tokens", "cell", "prompt tokens must equal input_len x successful requests (server usage per request when recorded); off by <= 1 % -> warning, more -> error")
def _input_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not cell.exact_input() or not _was_printed(cell, "total_input_tokens"):
        return
    expected = cell.input_len * m.completed
    ok = _ok_records(cell)
    per: list[int] = []
    origin = Msg("server usage", "服务端 usage")
    for r in ok:
        if r.prompt_tokens is not None:
            per.append(r.prompt_tokens)
        elif r.expected_prompt_tokens is not None:
            per.append(r.expected_prompt_tokens)
            origin = Msg("client tokenizer", "客户端分词器")
    off = [p for p in per if p != cell.input_len]
    total, length, done = m.total_input_tokens, cell.input_len, m.completed
    if total == expected and not off:
        return
    if off:
        worst = max(abs(p - length) for p in off) / length
        span = _span(off)
        msg = Msg(
            f"{len(off)} of {len(per)} requests had {span} prompt tokens ({origin.en}) instead of {length}",
            f"{len(per)} 个请求中有 {len(off)} 个的输入词元数为 {span}（{origin.zh}）而非 {length}",
        )
        if total != expected:
            msg += Msg(f"; total {total}, expected {length} x {done} = {expected}", f"；合计 {total}，应为 {length} × {done} = {expected}")
    else:
        worst = abs(total - expected) / expected if expected else 1.0
        msg = Msg(
            f"prompt tokens total {total}, expected {length} x {done} successful requests = {expected}",
            f"输入词元合计 {total}，应为 {length} × {done} 个成功请求 = {expected}",
        )
    yield Issue("warning" if worst <= TOKEN_COUNT_WARN_REL else "error", msg)


_THROUGHPUTS: tuple[tuple[str, Msg, str, Callable[[ServingMetrics], int]], ...] = (
    ("request_throughput", Msg("request throughput", "请求吞吐"), "req/s", lambda m: m.completed),
    ("input_throughput", Msg("input token throughput", "输入吞吐"), "tok/s", lambda m: m.total_input_tokens),
    ("output_throughput", Msg("output token throughput", "输出吞吐"), "tok/s", lambda m: m.total_output_tokens),
    ("total_token_throughput", Msg("total token throughput", "总吞吐"), "tok/s", lambda m: m.total_input_tokens + m.total_output_tokens),
)


@_check(
    "throughput_consistency",
    "cell",
    "every throughput must equal count / duration within the rounding of the printed figures; "
    "off by <= 1 % or one unit of the last digit -> warning, more -> error",
)
def _throughput_consistency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is not None and m.duration_s <= 0 and m.completed > 0:
        dur = f"{m.duration_s:g}"
        yield Issue(
            "error",
            Msg(
                f"benchmark duration {dur} s for {m.completed} successful requests: no throughput can be computed",
                f"{m.completed} 个成功请求的测试时长为 {dur} s：无法计算吞吐",
            ),
        )
    d = _duration(cell)
    if m is None or d is None:
        return
    for key, name, unit, count_of in _THROUGHPUTS:
        if not _was_printed(cell, key):
            continue
        p = _num(cell, key, getattr(m, key))
        if p is None:
            continue
        count = count_of(m)
        lo = count / (d.value + d.half)
        hi = count / (d.value - d.half) if d.value > d.half else math.inf
        tol = p.half + _eps(p.value, lo)
        if lo - tol <= p.value <= hi + tol:
            continue
        exact = count / d.value
        beyond = max(lo - p.value, p.value - hi)
        rel = abs(p.value - exact) / exact if exact else math.inf
        severity: Severity = "warning" if rel <= THROUGHPUT_WARN_REL or (p.half and beyond <= 3 * p.half) else "error"
        what = Msg("printed", "打印的") if cell.source == "imported" else Msg("stored", "保存的")
        digits = _decimals(p.text) or 2
        if p.half and abs(p.value - exact) < 10 * p.half:
            digits += 1  # show the digit that decides the rounding
        ex = f"{exact:.{digits}f}"
        msg = Msg(
            f"{name.en} {what.en} {p.text} {unit} but {count} / {d.text} s = {ex} {unit}",
            f"{what.zh}{name.zh} {p.text} {unit} 与 {count} ÷ {d.text} s = {ex} {unit} 不符",
        )
        if p.value > 0 and count > 0 and p.half <= 0.001 * p.value:
            implied = f"{count / p.value:.2f}"
            msg += Msg(f" (the {what.en} figure implies a duration of {implied} s)", f"（该值对应的时长为 {implied} s）")
        yield Issue(severity, msg)


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


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


@_check("metrics_recomputed", "cell", "measured cells: stored metrics must equal those recomputed from the raw records (relative 1e-6) -> error")
def _metrics_recomputed(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or not cell.requests:
        return
    again = serving_metrics(cell.requests, cell.duration_s, cell.slo)
    diffs: list[str] = []
    for field in ("completed", "failed", "total_input_tokens", "total_output_tokens"):
        a, b = getattr(m, field), getattr(again, field)
        if a != b:
            diffs.append(f"{field} {a} vs {b}")
    for path in _RECOMPUTED_FIELDS:
        a, b = _get(m, path), _get(again, path)
        if a is None or b is None:
            continue
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
            diffs.append(f"{path} {a:.4g} vs {b:.4g}")
    if diffs:
        n = len(cell.requests)
        shown = _joined(Msg(d, d) for d in diffs[:4])
        if len(diffs) > 4:
            shown += Msg(f"; and {len(diffs) - 4} more", f"；另有 {len(diffs) - 4} 项")
        yield Issue(
            "error",
            Msg(
                f"stored metrics differ from those recomputed from the {n} raw records (stored vs recomputed): ",
                f"保存的指标与由 {n} 条原始记录重新计算的结果不符（保存值 vs 重算值）：",
            )
            + shown,
        )


_ORDER = ("min", "median", "p90", "p99", "max")


@_check("percentile_order", "cell", "min <= median <= P90 <= P99 <= max for every latency (within printed rounding) -> error")
def _percentile_order(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    for metric, label in _METRIC_NAMES.items():
        nums = _stat_nums(cell, metric, _stats_of(m, metric))
        present = [s for s in _ORDER if s in nums]
        bad: list[Msg] = []
        for i, lo in enumerate(present):
            for hi in present[i + 1 :]:
                if _lt(nums[hi], nums[lo]):
                    h, low = _stat_ms(hi, nums[hi]), _stat_ms(lo, nums[lo])
                    bad.append(Msg(f"{h.en} is below the {low.en}", f"{h.zh} 低于{low.zh}"))
        if bad:
            yield Issue("error", Msg(f"{label}: ", f"{label}：") + _joined(bad) + Msg(" (a higher percentile cannot be smaller)", "（高分位数不可能更小）"))


@_check(
    "mean_consistency",
    "cell",
    "mean within [min, max]; n = 1: mean = median = P99; n = 2: mean = median; mean <= P99 when n <= 100 "
    "(linear interpolation puts P99 between the two largest values) -> error; mean > P99 with n > 100 -> warning",
)
def _mean_consistency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    for metric, label in _METRIC_NAMES.items():
        s = _stats_of(m, metric)
        nums = _stat_nums(cell, metric, s)
        mean = nums.get("mean")
        if s is None or mean is None:
            continue
        n = _n_of(s, m)
        problems: list[Msg] = []
        severity: Severity = "error"
        mt = mean.text
        if "min" in nums and _lt(mean, nums["min"]) or "max" in nums and _lt(nums["max"], mean):
            problems.append(Msg(f"mean {mt} ms lies outside [min, max]", f"均值 {mt} ms 不在 [最小值, 最大值] 范围内"))
        if metric != "itl" and n == 1:
            others = [_stat_ms(st, nums[st]) for st in ("median", "p90", "p99") if st in nums and _ne(nums[st], mean)]
            if others:
                problems.append(
                    Msg(
                        f"with 1 request mean, median and P99 must be equal but mean is {mt} ms and ",
                        f"仅 1 个请求时均值、中位数与 P99 应相等，但均值为 {mt} ms，",
                    )
                    + _joined(others, ", ", "、")
                )
        elif metric != "itl" and n == 2 and "median" in nums and _ne(nums["median"], mean):
            md = nums["median"].text
            problems.append(
                Msg(
                    f"with 2 requests the median equals the mean, but median is {md} ms and mean {mt} ms",
                    f"2 个请求时中位数应等于均值，但中位数为 {md} ms，均值为 {mt} ms",
                )
            )
        if "p99" in nums and _lt(nums["p99"], mean) and not (metric != "itl" and n == 1):
            p99 = nums["p99"].text
            if metric != "itl" and n <= 100:
                problems.append(
                    Msg(
                        f"mean {mt} ms is above P99 {p99} ms, impossible with {n} requests "
                        f"(for n <= 100 the P99 lies between the two largest values)",
                        f"均值 {mt} ms 高于 P99 {p99} ms，{n} 个请求时不可能出现（n ≤ 100 时 P99 位于最大的两个值之间）",
                    )
                )
            elif not problems:
                severity = "warning"
                problems.append(
                    Msg(
                        f"mean {mt} ms is above P99 {p99} ms over {n} values: a few outliers dominate the mean",
                        f"{n} 个值的均值 {mt} ms 高于 P99 {p99} ms：少数离群值主导了均值",
                    )
                )
        if problems:
            yield Issue(severity, Msg(f"{label}: ", f"{label}：") + _joined(problems))


@_check(
    "latency_exceeds_duration",
    "cell",
    "TTFT and E2EL (mean, median, P99; E2EL estimated as TTFT + (out - 1) x TPOT when not printed) cannot exceed the duration -> error",
)
def _latency_exceeds_duration(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    d = _duration(cell)
    if m is None or d is None:
        return
    for metric in ("ttft", "e2el"):
        nums = _stat_nums(cell, metric, _stats_of(m, metric))
        over = [
            (st, n)
            for st, n in nums.items()
            if st in ("mean", "median", "p99") and n.value / 1000 > d.value + d.half + n.half / 1000 + _eps(d.value)
        ]
        if over:
            name = _METRIC_NAMES[metric]
            listed = _joined((_stat_ms(st, n) for st, n in over), ", ", "、")
            yield Issue(
                "error",
                Msg(f"{name} {listed.en} longer than the benchmark duration {d.text} s", f"{name} {listed.zh} 超过测试时长 {d.text} s"),
            )
    if m.e2el_ms is None or m.e2el_ms.mean is None:
        est = _estimated_e2el(cell)
        if est is not None:
            value_ms, half_ms, text = est
            if value_ms / 1000 > d.value + d.half + half_ms / 1000 + _eps(d.value):
                ms = f"{value_ms:.2f}"
                yield Issue(
                    "error",
                    Msg(
                        f"mean E2EL {text.en} = {ms} ms is longer than the benchmark duration {d.text} s",
                        f"平均 E2EL {text.zh} = {ms} ms 超过测试时长 {d.text} s",
                    ),
                )


def _estimated_e2el(cell: ServingCell) -> tuple[float, float, Msg] | None:
    """Mean E2EL = mean TTFT + (out - 1) x mean TPOT, exact when every request generated the same
    number of tokens (one request, or all of them output_len, the cap)."""
    m = cell.metrics
    if m is None or m.completed < 1:
        return None
    if not (m.completed == 1 or m.total_output_tokens == m.completed * cell.output_len):
        return None
    ttft = _num(cell, "ttft.mean", m.ttft_ms.mean)
    tpot = _num(cell, "tpot.mean", m.tpot_ms.mean)
    if ttft is None:
        return None
    k = m.total_output_tokens // m.completed
    if k <= 1:
        return ttft.value, ttft.half, Msg(f"TTFT {ttft.text} ms", f"TTFT {ttft.text} ms")
    if tpot is None:
        return None
    return (
        ttft.value + (k - 1) * tpot.value,
        ttft.half + (k - 1) * tpot.half,
        Msg(f"TTFT {ttft.text} + {k - 1} x TPOT {tpot.text}", f"TTFT {ttft.text} + {k - 1} × TPOT {tpot.text}"),
    )


@_check(
    "single_request_duration",
    "cell",
    "one request: the duration must match its latency; duration > 1.25 x E2EL + 0.5 s -> warning",
)
def _single_request_duration(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    d = _duration(cell)
    if m is None or d is None or m.completed != 1 or m.failed:
        return
    if m.e2el_ms is not None and m.e2el_ms.mean is not None:
        e2el_ms, how = m.e2el_ms.mean, Msg("E2EL", "E2EL")
    else:
        est = _estimated_e2el(cell)
        if est is None:
            return
        e2el_ms, how = est[0], est[2]
    e2el_s = e2el_ms / 1000
    if d.value > e2el_s * SINGLE_REQUEST_RATIO + SINGLE_REQUEST_SLACK_S:
        took, gap = f"{e2el_s:.2f}", f"{d.value - e2el_s:.2f}"
        yield Issue(
            "warning",
            Msg(
                f"the only request took {took} s ({how.en}) but the benchmark duration is {d.text} s: {gap} s unaccounted for",
                f"唯一的请求耗时 {took} s（{how.zh}），而测试时长为 {d.text} s：有 {gap} s 无从解释",
            ),
        )


@_check(
    "prefill_rate",
    "results",
    "TTFT implies the prefill rate (one wave of n requests sent together: rate >= (n + 1) / 2 x input_len / mean TTFT); "
    "above the card's peak FLOPs / (2 x parameters) -> error, else above 100,000 prompt tokens/s -> warning",
)
def _prefill_rate(results: Results) -> Iterator[Issue]:
    bounds = card_bounds(results.environment.facts)
    for v in results.variants:
        params = model_params(v)
        for cell in v.serving:
            yield from _prefill_rate_cell(cell, v, bounds, params)


def _prefill_rate_cell(cell: ServingCell, v: ModelVariant, bounds: CardBounds, params: float | None) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or m.completed < 1 or not m.ttft_ms.mean or m.ttft_ms.mean <= 0:
        return
    prompt = m.total_input_tokens / m.completed if m.total_input_tokens else cell.input_len
    ttft_s = m.ttft_ms.mean / 1000
    n = m.completed
    one_wave = n <= cell.batch_size
    factor = (n + 1) / 2 if one_wave else 1.0
    rate = factor * prompt / ttft_s
    severity: Severity
    if bounds.peak_flops and params:
        cap_value = bounds.peak_flops / (2 * params)
        p = f"{params / 1e9:g}"
        why = Msg(
            f", above this card's physical bound {cap_value:,.0f} tokens/s "
            f"(peak {bounds.peak_text} / (2 x {p} x 10^9 parameters))",
            f"，超过该卡的物理上限 {cap_value:,.0f} tok/s（峰值算力 {bounds.peak_text} ÷ (2 × {p} × 10^9 个参数)）",
        )
        severity = "error"
    else:
        cap_value = PREFILL_TPS_MAX
        cap = f"{PREFILL_TPS_MAX:,.0f}"
        why = Msg(f", above the {cap} tokens/s plausible on one card", f"，超过单卡可能达到的 {cap} tok/s")
        severity = "warning"
    if rate <= cap_value:
        return
    ttft, tokens, r, t = f"{m.ttft_ms.mean:.2f}", f"{prompt:.0f}", f"{rate:,.0f}", f"{ttft_s:.5g}"
    if one_wave and n > 1:
        msg = Msg(
            f"mean TTFT {ttft} ms for {n} concurrent {tokens}-token prompts needs at least {r} prompt tokens/s "
            f"(({n} + 1) / 2 x {tokens} / {t} s)",
            f"平均 TTFT {ttft} ms 意味着 {n} 个并发的 {tokens} 词元输入至少需要 {r} tok/s 的预填充速率"
            f"（({n} + 1) ÷ 2 × {tokens} ÷ {t} s）",
        )
    else:
        msg = Msg(
            f"mean TTFT {ttft} ms for a {tokens}-token prompt means {r} prompt tokens/s ({tokens} / {t} s)",
            f"平均 TTFT {ttft} ms 意味着 {tokens} 词元输入的预填充速率为 {r} tok/s（{tokens} ÷ {t} s）",
        )
    yield Issue(severity, msg + why, cell=cell, variant=v)


@_check(
    "decode_rate",
    "results",
    "one sequence's decode rate 1000 / mean TPOT above the card's memory bandwidth / weight bytes -> error "
    "(each decode step reads every weight once; only when the spec sheet gives the bandwidth)",
)
def _decode_rate(results: Results) -> Iterator[Issue]:
    bounds = card_bounds(results.environment.facts)
    if not bounds.bandwidth_bps:
        return
    for v in results.variants:
        params = model_params(v)
        if not params:
            continue
        per = weight_bytes_per_param(v)
        cap = bounds.bandwidth_bps / (params * per)
        for cell in v.serving:
            m = cell.metrics
            if m is None or not m.tpot_ms.mean or m.tpot_ms.mean <= 0:
                continue
            rate = 1000 / m.tpot_ms.mean
            if rate <= cap:
                continue
            bw, p = f"{bounds.bandwidth_bps / 1e9:g}", f"{params / 1e9:g}"
            yield Issue("error", Msg(
                f"mean TPOT {m.tpot_ms.mean:.2f} ms means {rate:,.1f} tokens/s per sequence, above this card's physical "
                f"bound {cap:,.1f} tokens/s (bandwidth {bw} GB/s / ({p} x 10^9 parameters x {per:g} bytes))",
                f"平均 TPOT {m.tpot_ms.mean:.2f} ms 意味着每个序列 {rate:,.1f} tok/s，超过该卡的物理上限 {cap:,.1f} tok/s"
                f"（显存带宽 {bw} GB/s ÷ ({p} × 10^9 个参数 × {per:g} 字节)）",
            ), cell=cell, variant=v)


@_check("sample_count", "cell", "measured cells: fewer successful requests than max(5, 2 x batch size) -> warning (P99 of one wave)")
def _sample_count(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.completed == 0:
        return
    if cell.request_rate is not None:
        return  # open loop: batch_size is the number of requests, not a concurrency
    need = max(MIN_SAMPLES, MIN_ROUNDS * cell.batch_size)
    if m.completed < need:
        done, b = m.completed, cell.batch_size
        yield Issue(
            "warning",
            Msg(
                f"only {done} successful requests at batch size {b} (want at least max({MIN_SAMPLES}, "
                f"{MIN_ROUNDS} x {b}) = {need}): the P99 is an interpolation of the two slowest requests",
                f"批大小 = {b} 时仅有 {done} 个成功请求（至少应为 max({MIN_SAMPLES}, {MIN_ROUNDS} × {b}) = {need}）："
                "P99 只是最慢两个请求之间的插值",
            ),
        )


@_check(
    "effective_concurrency",
    "cell",
    "measured cells: sum(E2EL) / duration below 0.7 x batch -> warning; above 1.05 x batch -> error",
)
def _effective_concurrency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.effective_concurrency is None or cell.request_rate is not None:
        return  # open loop: the concurrency is whatever the arrivals and the server make it
    c, b = m.effective_concurrency, cell.batch_size
    conc = Msg(f"effective concurrency {c:.2f} (sum of E2EL / duration)", f"有效并发 {c:.2f}（ΣE2EL ÷ 测试时长）")
    if c > b * CONCURRENCY_OVER + 0.05:
        yield Issue(
            "error",
            conc
            + Msg(
                f" exceeds the batch size {b}: the client did not cap requests in flight",
                f"超过批大小 {b}：客户端没有限制同时处理中的请求数",
            ),
        )
    elif c < b * CONCURRENCY_UNDER:
        yield Issue(
            "warning",
            conc
            + Msg(
                f" is far below the batch size {b} (< {CONCURRENCY_UNDER} x {b}): the client kept fewer requests in flight than intended",
                f"远低于批大小 {b}（< {CONCURRENCY_UNDER} × {b}）：客户端同时处理中的请求少于设定",
            ),
        )


@_check("prefix_cache", "cell", "server prefix-cache hits during the cell: any -> warning; hit rate above 5 % -> error")
def _prefix_cache(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm = cell.server_metrics
    if sm is None or not sm.prefix_cache_hits or sm.prefix_cache_hits <= 0:
        return
    if cell.dataset.startswith("prefix:"):
        return  # the shared-prefix workload hits the cache on purpose
    hits = sm.prefix_cache_hits
    h = f"{hits:.0f}"
    if sm.prefix_cache_queries:
        rate = hits / sm.prefix_cache_queries
        severity: Severity = "error" if rate > PREFIX_CACHE_ERROR_RATE else "warning"
        q, pct = f"{sm.prefix_cache_queries:.0f}", f"{rate:.1%}"
        detail = Msg(f"{h} of {q} queried prompt tokens ({pct})", f"查询的 {q} 个输入词元中的 {h} 个（{pct}）")
    else:
        severity, detail = "warning", Msg(f"{h} prompt tokens", f"{h} 个输入词元")
    yield Issue(
        severity,
        Msg(
            f"the server's prefix cache hit {detail.en} during the cell: TTFT and throughput are flattered",
            f"测试期间服务端前缀缓存命中{detail.zh}：TTFT 与吞吐结果偏乐观",
        ),
    )


@_check("client_server_gap", "cell", "client vs server (Prometheus) mean TTFT/TPOT/E2EL differ by more than 25 % and 20 ms -> warning")
def _client_server_gap(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps: list[Msg] = []
    for name, server, stats in (("TTFT", sm.ttft_mean_ms, m.ttft_ms), ("TPOT", sm.tpot_mean_ms, m.tpot_ms), ("E2EL", sm.e2el_mean_ms, m.e2el_ms)):
        client = stats.mean if stats is not None else None
        if server is None or client is None:
            continue
        gap = abs(client - server)
        if gap > CLIENT_SERVER_GAP_MS and gap > CLIENT_SERVER_GAP_REL * max(client, server):
            cl, sv = f"{client:.2f}", f"{server:.2f}"
            gaps.append(Msg(f"{name} client {cl} ms vs server {sv} ms", f"{name} 客户端 {cl} ms，服务端 {sv} ms"))
    if gaps:
        yield Issue("warning", Msg("client and server disagree on mean latency: ", "客户端与服务端统计的平均延迟不一致：") + _joined(gaps))


@_check("server_token_counts", "cell", "server-counted prompt/generation tokens vs the client's totals differ by more than 5 % -> warning")
def _server_token_counts(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps: list[Msg] = []
    for name, server, client in (
        (Msg("prompt", "输入"), sm.prompt_tokens, m.total_input_tokens),
        (Msg("generation", "生成"), sm.generation_tokens, m.total_output_tokens),
    ):
        if server is None or not client:
            continue
        if abs(server - client) > SERVER_TOKENS_REL * client:
            sv = f"{server:.0f}"
            gaps.append(Msg(f"{name.en} tokens: server {sv}, client {client}", f"{name.zh}词元：服务端 {sv}，客户端 {client}"))
    if gaps:
        yield Issue(
            "warning", Msg("the server counted different token totals during the cell: ", "测试期间服务端统计的词元总数与客户端不同：") + _joined(gaps)
        )


@_check(
    "telemetry_coverage",
    "cell",
    "card telemetry whose power readings span less than 80 % of the cell's timed window (or too few readings to integrate) -> warning",
)
def _telemetry_coverage(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    e = cell_energy(cell)
    if e is None or e.samples == 0 or cell.telemetry is None or cell.telemetry.reason is not None:
        return
    window = f"{e.window_s:.2f}" if e.window_s is not None else "?"
    if e.coverage is None:
        if e.devices or not any(s.power_w is not None for s in cell.telemetry.samples):
            return  # no window, or a tool without power readings: the document says so, nothing to warn about
        ticks = len({s.t_s for s in cell.telemetry.samples})
        yield Issue(
            "warning",
            Msg(
                f"card telemetry sampled only {ticks} time(s) during the {window} s timed window: "
                "fewer than 2 power readings per device, no power or energy figures",
                f"计时窗口 {window} s 内加速卡遥测仅采样 {ticks} 次：每个设备的功耗读数少于 2 个，无法给出功耗与能耗",
            ),
        )
    elif e.coverage < TELEMETRY_COVERAGE_MIN:
        cov, want = f"{e.coverage:.0%}", f"{TELEMETRY_COVERAGE_MIN:.0%}"
        yield Issue(
            "warning",
            Msg(
                f"card power readings span only {cov} of the {window} s timed window (want at least {want}): "
                "average power and energy hold the first/last reading over the rest",
                f"加速卡功耗读数仅覆盖 {window} s 计时窗口的 {cov}（至少应为 {want}）：其余时间按首个/最后一个读数估算平均功耗与能耗",
            ),
        )


_ENERGY_FIELDS = ("avg_power_w", "peak_power_w", "peak_temperature_c", "energy_j", "joules_per_output_token", "coverage")


@_check("energy_recomputed", "cell", "stored power/energy figures must equal those recomputed from the telemetry samples (relative 1e-6) -> error")
def _energy_recomputed(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.energy is None:
        return
    if cell.telemetry is None:
        yield Issue("error", Msg("the cell has power/energy figures but no telemetry series they could come from",
                                 "该用例有功耗与能耗数值，却没有可供计算的遥测采样"))
        return
    fresh = recompute_energy(cell)
    assert fresh is not None
    diffs: list[Msg] = []
    for name in _ENERGY_FIELDS:
        a, b = getattr(cell.energy, name), getattr(fresh, name)
        if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > ENERGY_RECOMPUTE_REL * max(abs(a), abs(b), 1e-12)):
            sa, sb = "none" if a is None else f"{a:.6g}", "none" if b is None else f"{b:.6g}"
            diffs.append(Msg(f"{name} stored {sa}, recomputed {sb}", f"{name} 保存值 {sa}，重新计算 {sb}"))
    if diffs:
        yield Issue("error", Msg("power/energy figures differ from the telemetry samples: ", "功耗与能耗数值与遥测采样不符：") + _joined(diffs))


def _max_temperature(results: Results) -> tuple[float, Msg] | None:
    """The card's max operating temperature (the fact, else the lowest any device reports)."""
    f = results.environment.facts.get("accelerator.max_temperature_c")
    if f is not None and f.present and isinstance(f.value, (int, float)) and not isinstance(f.value, bool):
        return float(f.value), Msg("the card's max operating temperature", "加速卡最大操作温度")
    limits = [a.max_temperature_c for a in results.environment.accelerators if a.max_temperature_c is not None]
    if limits:
        return min(limits), Msg("the devices' max operating temperature", "设备报告的最大操作温度")
    return None


@_check(
    "peak_temperature",
    "results",
    "a cell's peak card temperature at or above the card's max operating temperature (when known) -> warning",
)
def _peak_temperature(results: Results) -> Iterator[Issue]:
    limit = _max_temperature(results)
    if limit is None:
        return
    cap, what = limit
    for v in results.variants:
        for cell in v.serving:
            e = cell_energy(cell)
            if e is None or e.peak_temperature_c is None or e.peak_temperature_c < cap:
                continue
            t, c = f"{e.peak_temperature_c:g}", f"{cap:g}"
            yield Issue(
                "warning",
                Msg(
                    f"peak card temperature {t} C reached {what.en} ({c} C): the card may have throttled during the cell",
                    f"峰值温度 {t} °C 达到{what.zh}（{c} °C）：测试期间加速卡可能降频",
                ),
                cell=cell,
                variant=v,
            )


# --------------------------------------------------------------------------- matrix checks


def _with_metrics(v: ModelVariant) -> dict[int, list[ServingCell]]:
    """Cells with metrics, grouped by input length, each list sorted by batch size."""
    groups: dict[int, list[ServingCell]] = {}
    for c in v.serving:
        if c.metrics is not None:
            groups.setdefault(c.input_len, []).append(c)
    return {k: sorted(cs, key=lambda c: (c.batch_size, c.output_len)) for k, cs in groups.items()}


def _batch_scaling(v: ModelVariant, metric: str, error_ratio: float, warn_ratio: float, why: Msg) -> Iterator[Issue]:
    for input_len, cells in _with_metrics(v).items():
        base = cells[0]
        base_val = _get(base.metrics, f"{metric}_ms.mean")
        if not base_val or base_val <= 0:
            continue
        for c in cells[1:]:
            val = _get(c.metrics, f"{metric}_ms.mean")
            if c.batch_size <= base.batch_size or not val or val <= 0:
                continue
            ratio = base_val / val
            if ratio >= warn_ratio:
                name, x, now, before, b, b0 = _METRIC_NAMES[metric], f"{ratio:.1f}", f"{val:.2f}", f"{base_val:.2f}", c.batch_size, base.batch_size
                yield Issue(
                    "error" if ratio >= error_ratio else "warning",
                    Msg(
                        f"mean {name} {now} ms at batch {b} is {x}x lower than {before} ms at batch {b0} "
                        f"for the same {input_len}-token prompts ({why.en})",
                        f"批大小 {b0} 的平均 {name} {before} ms 是批大小 {b} 的 {now} ms 的 {x} 倍"
                        f"（输入同为 {input_len} 词元）：{why.zh}",
                    ),
                    cell=c,
                )


@_check(
    "ttft_batch_scaling",
    "variant",
    "same variant and input length: batch-1 TTFT / larger-batch TTFT >= 3 -> error, >= 1.5 -> warning",
)
def _ttft_batch_scaling(v: ModelVariant) -> Iterator[Issue]:
    yield from _batch_scaling(
        v,
        "ttft",
        TTFT_BATCH_ERROR_RATIO,
        TTFT_BATCH_WARN_RATIO,
        Msg("more concurrent prompts cannot be prefilled faster than one", "多个并发输入的预填充不可能比单个输入更快"),
    )


@_check(
    "tpot_batch_scaling",
    "variant",
    "same variant and input length: batch-1 TPOT / larger-batch TPOT >= 2 -> error, >= 1.5 -> warning",
)
def _tpot_batch_scaling(v: ModelVariant) -> Iterator[Issue]:
    yield from _batch_scaling(
        v,
        "tpot",
        TPOT_BATCH_ERROR_RATIO,
        TPOT_BATCH_WARN_RATIO,
        Msg(
            "a decode step for more sequences reads the same weights, so the time per token cannot fall below batch 1's",
            "多个序列的一步解码读取同样的权重，每个词元的时间不可能低于批大小 1",
        ),
    )


@_check("duplicate_cell", "variant", "two cells with the same key (batch size, lengths, request rate, dataset, repeat) in one variant -> error")
def _duplicate_cell(v: ModelVariant) -> Iterator[Issue]:
    seen: set[CellKey] = set()
    for c in v.serving:
        key = c.key  # a request-rate sweep or repeats are different cells, not duplicates
        if key in seen:
            b, i, o = c.batch_size, c.input_len, c.output_len
            yield Issue(
                "error",
                Msg(
                    f"a second cell for batch {b}, {i} in / {o} out: the summary cannot tell them apart",
                    f"批大小 {b}、输入 {i} / 输出 {o} 出现第二个用例：汇总表无法区分两者",
                ),
                cell=c,
            )
        seen.add(key)


# --------------------------------------------------------------------------- accuracy checks


def model_key(v: ModelVariant) -> str:
    """The model's name without quantization suffixes, lower-case ("qwen2-7b-instruct")."""
    name = v.model or (PurePosixPath(v.model_path.rstrip("/")).name if v.model_path else None) or v.label
    key = name.strip().lower()
    key = re.sub(r"[-_.](gptq|awq)([-_.]?int[48])?$", "", key)
    key = re.sub(r"[-_.]int[48]$", "", key)
    return key


def variant_key(v: ModelVariant) -> str | None:
    """Which published variant to compare with: "bf16", "gptq-int8", "gptq-int4", "awq" or None."""
    text = " ".join(x for x in (v.quantization, v.precision, v.label, v.model_path) if x).lower()
    if "awq" in text:
        return "awq"
    if "gptq" in text:
        return "gptq-int8" if "int8" in text else "gptq-int4"
    if v.quantization or re.search(r"int[48]", text):
        return None
    if re.search(r"fp16|bf16|fp32|float16|bfloat16|float32", text) or not v.precision:
        return "bf16"
    return None


def _pct(x: float) -> str:
    return f"{x * 100:.2f} %"


@_check(
    "accuracy_consistency",
    "variant",
    "score in [0, 1]; correct <= n; score = correct / n (within 4-decimal rounding); samples and subsets add up -> error",
)
def _accuracy_consistency(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        problems: list[Msg] = []
        for name, val in ((Msg("score", "得分"), a.score), (Msg("macro", "macro 得分"), a.macro)):
            if val is not None and not 0.0 <= val <= 1.0:
                problems.append(Msg(f"{name.en} {val:g} is outside [0, 1]", f"{name.zh} {val:g} 不在 [0, 1] 范围内"))
        n, correct = a.n, a.correct
        if n is not None and correct is not None:
            if correct > n or correct < 0:
                problems.append(Msg(f"correct {correct} is not within [0, n = {n}]", f"答对数 {correct} 不在 [0, n = {n}] 范围内"))
            elif a.score is not None and n > 0 and abs(a.score - correct / n) > SCORE_ROUNDING + 1e-12:
                sc, ratio = f"{a.score:.4f}", f"{correct / n:.4f}"
                problems.append(
                    Msg(f"score {sc} but correct / n = {correct} / {n} = {ratio}", f"得分 {sc} 与答对数 ÷ 样本数 = {correct} ÷ {n} = {ratio} 不符")
                )
        if a.samples:
            scored = [s for s in a.samples if s.correct is not None]
            right = sum(1 for s in scored if s.correct)
            if n is not None and len(scored) != n:
                problems.append(Msg(f"{len(scored)} scored samples recorded but n = {n}", f"记录了 {len(scored)} 个已评分样本，但 n = {n}"))
            if correct is not None and right != correct:
                problems.append(Msg(f"{right} samples marked correct but correct = {correct}", f"{right} 个样本标为答对，但答对数 correct = {correct}"))
        if a.subsets and n is not None:
            sn = sum(s.n for s in a.subsets)
            sc_sum = sum(s.correct for s in a.subsets)
            if sn != n:
                problems.append(Msg(f"subsets hold {sn} items but n = {n}", f"各子集合计 {sn} 题，但 n = {n}"))
            if correct is not None and sc_sum != correct:
                problems.append(Msg(f"subsets have {sc_sum} correct but correct = {correct}", f"各子集答对合计 {sc_sum}，但 correct = {correct}"))
        if problems:
            yield Issue("error", Msg(f"{a.benchmark}: ", f"{a.benchmark}：") + _joined(problems), benchmark=a.benchmark)


@_check("accuracy_incomplete", "variant", "fewer samples scored than planned -> warning")
def _accuracy_incomplete(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.n is not None and a.n_planned is not None and a.n < a.n_planned:
            yield Issue(
                "warning",
                Msg(
                    f"{a.benchmark}: only {a.n} of {a.n_planned} planned samples were scored",
                    f"{a.benchmark}：计划 {a.n_planned} 个样本，仅 {a.n} 个完成评分",
                ),
                benchmark=a.benchmark,
            )


#: How the document names the scoring modes (``AccuracyResult.mode``).


def _settings(a: AccuracyResult) -> Msg:
    """"mode swift2024, 5-shot" / "评分模式：swift2024 兼容，5-shot"."""
    parts = [Msg(f"mode {a.mode}", f"评分模式：{MODE_ZH.get(a.mode, a.mode)}")]
    if a.shots is not None:
        parts.append(Msg(f"{a.shots}-shot", f"{a.shots}-shot"))
    if a.split:
        parts.append(Msg(f"split {a.split}", f"数据划分 {a.split}"))
    return _joined(parts, ", ", "，")


def _points_off(a: AccuracyResult, score: float, gap: float, other: Msg) -> Msg:
    """"mmlu 60.00 % is 10.00 points below <other>" in both languages."""
    pct, pts = _pct(score), f"{abs(gap):.2f}"
    return Msg(
        f"{a.benchmark} {pct} is {pts} points {'below' if gap < 0 else 'above'} {other.en}",
        f"{a.benchmark} {pct} 比{other.zh}{'低' if gap < 0 else '高'} {pts} 个百分点",
    )


@_check(
    "accuracy_reference_gap",
    "variant",
    "score more than 5 points from the published figure for the same model and precision (reference_scores.py) -> warning",
)
def _accuracy_reference_gap(v: ModelVariant) -> Iterator[Issue]:
    vk = variant_key(v)
    if vk is None:
        return
    mk = model_key(v)
    for a in v.accuracy:
        r = ref.reference_score(mk, vk, a.benchmark.lower())
        if r is None or a.score is None:
            continue
        gap = a.score * 100 - r.score_pct
        if abs(gap) > ACCURACY_REFERENCE_POINTS:
            published, run = f"{r.score_pct:.1f} %", _settings(a)
            yield Issue(
                "warning",
                _points_off(a, a.score, gap, Msg(f"the published {published} ({r.source})", f"官方公布的 {published}（{r.source_zh}）"))
                + Msg(
                    f"; prompts, shots and answer extraction differ between harnesses (this run: {run.en})",
                    f"；不同评测框架的提示词、shot 数与答案抽取方式不同（本次{run.zh}）",
                ),
                benchmark=a.benchmark,
            )


@_check(
    "bbh_bracket_bug",
    "variant",
    "bbh scored in swift 2024 / llmuses 0.4.x mode (or of unknown mode at or below the 0.3746 ceiling): "
    "multiple-choice gold labels keep their brackets and never match -> warning with the free-form accuracy",
)
def _bbh_bracket_bug(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.benchmark.lower() != "bbh" or a.score is None or a.mode == "corrected":
            continue
        ceiling = ref.BBH_SWIFT2024_CEILING
        if a.mode != "swift2024" and a.score > ceiling + SCORE_ROUNDING:
            continue
        total = a.n if a.n else ref.BBH_ITEMS
        free = ref.BBH_FREE_FORM_ITEMS
        if a.subsets:
            free = sum(s.n for s in a.subsets if s.name not in ref.BBH_MULTIPLE_CHOICE_TASKS) or free
            total = sum(s.n for s in a.subsets) or total
        mc = total - free
        free_acc = f"{a.score * total / free * 100:.1f}" if free else "nan"
        score, cap = f"{a.score:.4f}", f"{ceiling:.4f}"
        lead = (
            Msg("was scored in swift 2024 mode", "按 swift 2024 模式评分")
            if a.mode == "swift2024"
            else Msg(f"is below the {cap} ceiling of swift 2024 scoring", f"低于 swift 2024 评分的上限 {cap}")
        )
        yield Issue(
            "warning",
            Msg(
                f"bbh {score} {lead.en}: llmuses 0.4.x keeps the gold labels of the {mc} multiple-choice items (of {total}) "
                f"as '(A)' so they never match; {score} x {total} / {free} = {free_acc} % on the free-form tasks: "
                f"not a model accuracy (fixed in evalscope PR #306; rerun in corrected mode)",
                f"bbh {score} {lead.zh}：llmuses 0.4.x 将 {total} 题中 {mc} 道多选题的标准答案保留为“(A)”，永远无法匹配；"
                f"{score} × {total} ÷ {free} = {free_acc} %，即自由作答任务上的准确率：不代表模型能力"
                f"（evalscope PR #306 已修复；请以修正版模式重新评测）",
            ),
            benchmark=a.benchmark,
        )


@_check(
    "accuracy_precision_gap",
    "results",
    "a quantized variant's score more than 5 points from the same model's full-precision score on the same benchmark -> warning",
)
def _accuracy_precision_gap(results: Results) -> Iterator[Issue]:
    bases: dict[str, ModelVariant] = {}
    for v in results.variants:
        if v.accuracy and variant_key(v) == "bf16":
            bases.setdefault(model_key(v), v)
    for v in results.variants:
        base = bases.get(model_key(v))
        if base is None or base is v or not v.accuracy:
            continue
        for a in v.accuracy:
            b = _matching(base.accuracy, a)
            if b is None or a.score is None or b.score is None:
                continue
            gap = (a.score - b.score) * 100
            if abs(gap) <= ACCURACY_PRECISION_POINTS:
                continue
            base_score = _pct(b.score)
            msg = _points_off(a, a.score, gap, Msg(f"{base.label}'s {base_score}", f" {base.label} 的 {base_score} "))
            if a.mode != b.mode:
                msg += Msg(
                    f"; the runs used different scoring modes ({a.mode} vs {b.mode})",
                    f"；两次评测的评分模式不同（{MODE_ZH.get(a.mode, a.mode)} vs {MODE_ZH.get(b.mode, b.mode)}）",
                )
            yield Issue("warning", msg, variant=v, benchmark=a.benchmark)


def _matching(candidates: list[AccuracyResult], a: AccuracyResult) -> AccuracyResult | None:
    same = [b for b in candidates if b.benchmark.lower() == a.benchmark.lower()]
    for b in same:
        if b.mode == a.mode:
            return b
    return same[0] if len(same) == 1 else None


# --------------------------------------------------------------------------- embedding and reranker checks

_EMB_KIND = {"embedding": Msg("embedding", "向量模型"), "reranker": Msg("reranker", "重排序模型")}
_EMB_MODE_ZH = {"http": "HTTP 服务", "local": "本地推理"}


def _embedding_who(r: EmbeddingRun) -> Msg:
    """"bge-m3 (embedding, http /v1/embeddings, cpu, bf16)" / "bge-m3（向量模型，HTTP 服务 /v1/embeddings，cpu，bf16）"."""
    name = PurePosixPath(r.model.rstrip("/")).name or r.model
    kind = _EMB_KIND.get(r.kind, Msg(r.kind, r.kind))
    mode = Msg(r.mode, _EMB_MODE_ZH.get(r.mode, r.mode))
    if r.endpoint:
        mode += Msg(f" {r.endpoint}", f" {r.endpoint}")
    parts = [kind, mode] + [Msg(x, x) for x in (r.device, r.precision) if x]
    inner = _joined(parts, ", ", "，")
    return Msg(f"{name} ({inner.en})", f"{name}（{inner.zh}）")


@_check("embedding_error", "results", "an embedding or reranker run that did not complete (EmbeddingRun.error) -> error")
def _embedding_error(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        if r.error:
            who = _embedding_who(r)
            yield Issue(
                "error",
                Msg(f"{who.en}: the check did not complete: {r.error}", f"{who.zh}：测试未完成：“{r.error}”"),
                embedding=r,
            )


_REF_METRIC_ZH = {"min cosine": "最小余弦相似度", "max |diff|": "最大绝对差"}


@_check(
    "embedding_reference",
    "results",
    "reference check failed: min cosine with the float32 CPU embedding below 0.999, or a reranker score "
    "more than the tolerance from the reference -> error with the numbers",
)
def _embedding_reference(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        rc = r.reference_check
        if rc.status != "fail":
            continue
        who = _embedding_who(r)
        msg = Msg(f"{who.en}: reference check failed", f"{who.zh}：对照检查未通过")
        if rc.metric and rc.value is not None:
            cmp_en = "<" if rc.metric == "min cosine" else ">"
            thr = f" {cmp_en} {rc.threshold:g}" if rc.threshold is not None else ""
            metric_zh = _REF_METRIC_ZH.get(rc.metric, rc.metric)
            msg += Msg(f": {rc.metric} {rc.value:.6f}{thr}", f"：{metric_zh} {rc.value:.6f}{thr}")
        bad = [i for i in rc.items if not i.ok]
        if bad:
            worst = bad[0] if rc.metric is None else (min(bad, key=lambda i: i.value) if rc.metric == "min cosine" else max(bad, key=lambda i: i.delta))
            if rc.metric == "min cosine":
                item = Msg(f"{worst.label!r} cosine {worst.value:.6f}", f"“{worst.label}”余弦相似度 {worst.value:.6f}")
            else:
                item = Msg(
                    f"{worst.label!r} scored {worst.value:.4f}, reference {worst.expected:.4f}",
                    f"“{worst.label}”得分 {worst.value:.4f}，参照 {worst.expected:.4f}",
                )
            msg += Msg(f"; {len(bad)} of {len(rc.items)} items out of tolerance, worst ", f"；{len(rc.items)} 项中 {len(bad)} 项超出阈值，最差为") + item
        if rc.reference:
            msg += Msg(f" (reference: {rc.reference})", f"（参照：{rc.reference.text('zh')}）")
        if rc.detail and not rc.items:
            msg += Msg("; ", "；") + _joined(Msg(str(n), n.text("zh")) for n in rc.detail)
        yield Issue("error", msg, embedding=r)


@_check("embedding_warning", "results", "each non-fatal problem an embedding or reranker run recorded (EmbeddingRun.warnings) -> warning")
def _embedding_warning(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        who = _embedding_who(r)
        for w in r.warnings:
            yield Issue("warning", Msg(f"{who.en}: {w}", f"{who.zh}：{w.text('zh')}"), embedding=r)


#: The checks about embedding and reranker runs (the document lists their findings apart).
EMBEDDING_CHECKS: frozenset[str] = frozenset({"embedding_error", "embedding_warning", "embedding_reference"})


# --------------------------------------------------------------------------- Chinese titles

CHECK_TITLES_ZH: dict[str, str] = {
    "missing_metrics": "用例缺少测试数据（未运行或未完成）",
    "failed_requests": "成功请求数应等于发送请求数（不得有失败请求）",
    "requested_length_unknown": "导入的结果应记录所要求的输入/输出长度",
    "imported_block_cut": "导入的结果块应完整（有结尾分隔线）",
    "output_tokens": "生成词元总数应等于输出长度 × 成功请求数",
    "input_tokens": "输入词元总数应等于输入长度 × 成功请求数",
    "throughput_consistency": "吞吐量应等于词元数（或请求数）÷ 测试时长（允许打印舍入误差）",
    "metrics_recomputed": "保存的指标应与由原始请求记录重新计算的结果一致",
    "percentile_order": "分位数顺序：最小值 ≤ 中位数 ≤ P90 ≤ P99 ≤ 最大值",
    "mean_consistency": "均值应与样本数相符（均值在最小值与最大值之间；样本数 ≤ 100 时均值不高于 P99）",
    "latency_exceeds_duration": "TTFT 与端到端延迟不得超过测试时长",
    "single_request_duration": "单请求用例的测试时长应与该请求的延迟相符",
    "prefill_rate": "TTFT 所隐含的预填充速率应在单卡物理可能范围内",
    "decode_rate": "TPOT 所隐含的单序列解码速率不得超过显存带宽 ÷ 权重字节数",
    "sample_count": "请求数应足以计算 P99（至少 max(5, 2 × 批大小)）",
    "effective_concurrency": "有效并发（Σ端到端延迟 ÷ 测试时长）应接近批大小",
    "prefix_cache": "测试期间不应命中服务端前缀缓存",
    "client_server_gap": "客户端与服务端统计的平均延迟应一致",
    "server_token_counts": "服务端统计的词元数应与客户端一致",
    "telemetry_coverage": "加速卡遥测应覆盖用例计时窗口的至少 80%",
    "energy_recomputed": "保存的功耗与能耗应与由遥测采样重新计算的结果一致",
    "peak_temperature": "测试期间加速卡峰值温度应低于其最大操作温度",
    "ttft_batch_scaling": "同一精度、同一输入长度下，批大小增大时 TTFT 不应成倍下降",
    "tpot_batch_scaling": "同一精度、同一输入长度下，批大小增大时 TPOT 不应成倍下降",
    "duplicate_cell": "同一精度下不应有重复的测试用例",
    "accuracy_consistency": "精度得分应与样本数、正确数一致",
    "accuracy_incomplete": "评测样本应全部完成评分",
    "accuracy_reference_gap": "精度得分与官方公布值的差距不应超过 5 个百分点",
    "bbh_bracket_bug": "bbh 得分受 swift/llmuses 2024 版评分缺陷影响（多选题标准答案带括号，永不匹配）",
    "accuracy_precision_gap": "量化模型得分与同一模型原始精度得分的差距不应超过 5 个百分点",
    "embedding_error": "向量/重排序模型测试应完整运行",
    "embedding_warning": "向量/重排序模型测试过程中的异常（不影响其余结果）",
    "embedding_reference": "向量/重排序模型结果应与参照一致（余弦相似度 ≥ 阈值，或得分差 ≤ 容差）",
}


# --------------------------------------------------------------------------- running


def cell_order(c: ServingCell) -> tuple[int, int, int]:
    """How serving cells are ordered everywhere (findings, summary rows, the document):
    by input length, output length, batch size."""
    return (c.input_len, c.output_len, c.batch_size)


def check_results(results: Results) -> list[Finding]:
    """Run every registered check; the findings in a deterministic order (see the module doc)."""
    missing = {c.name for c in CHECKS} - set(CHECK_TITLES_ZH)
    assert not missing, f"checks without a Chinese title: {sorted(missing)}"
    vindex = {id(v): i for i, v in enumerate(results.variants)}
    eindex = {id(r): i for i, r in enumerate(results.embeddings)}
    keyed: list[tuple[tuple[Any, ...], Finding]] = []
    seq = 0

    def add(check_idx: int, check: Check, v: ModelVariant | None, issue: Issue, cell: ServingCell | None) -> None:
        nonlocal seq
        vi = vindex.get(id(v), len(results.variants)) if v is not None else len(results.variants)
        if cell is not None:
            where: tuple[Any, ...] = (0, cell_order(cell))
        elif issue.embedding is not None:
            where = (3, (eindex.get(id(issue.embedding), 0), 0, 0))
        elif issue.benchmark is not None and v is not None:
            bench = [a.benchmark for a in v.accuracy]
            where = (1, (bench.index(issue.benchmark) if issue.benchmark in bench else len(bench), 0, 0))
        else:
            where = (2, (0, 0, 0))
        finding = Finding(
            severity=issue.severity,
            precision=v.label if v is not None else (issue.embedding.precision if issue.embedding is not None else None),
            cell=cell.key if cell is not None else None,
            check=check.name,
            message=issue.message.en,
            message_zh=issue.message.zh,
            benchmark=issue.benchmark,
        )
        keyed.append(((vi, *where, check_idx, seq), finding))
        seq += 1

    for ci, check in enumerate(CHECKS):
        if check.scope == "cell":
            for v in results.variants:
                for cell in v.serving:
                    for issue in check.fn(cell, v):
                        add(ci, check, v, issue, issue.cell or cell)
        elif check.scope == "variant":
            for v in results.variants:
                for issue in check.fn(v):
                    add(ci, check, v, issue, issue.cell)
        else:
            for issue in check.fn(results):
                add(ci, check, issue.variant, issue, issue.cell)
    keyed.sort(key=lambda kf: kf[0])
    return [f for _, f in keyed]


def cell_findings(findings: Iterable[Finding], label: str, key: CellKey) -> list[Finding]:
    """The findings that concern one serving cell (variant ``label``, cell ``key``): the one
    answer to "which findings are about this cell" for the table, the charts, the conclusion,
    ``summary`` and ``validate``."""
    return [f for f in findings if f.precision == label and f.cell == key]


def cell_status(findings: Iterable[Finding], label: str, key: CellKey) -> CellStatus:
    """VALID, INVALID (an error concerns the cell) or WARNING (only warnings do)."""
    mine = cell_findings(findings, label, key)
    if any(f.severity == "error" for f in mine):
        return "INVALID"
    return "WARNING" if mine else "VALID"


# Open-loop, repeat and capacity checks, and what the serving client saw in the streams, live in
# their own modules; importing them registers them.
from reportgen import validity_client as _validity_client  # noqa: E402,F401
from reportgen import validity_load as _validity_load  # noqa: E402,F401
