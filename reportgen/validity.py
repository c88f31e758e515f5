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

Messages are one English line with the numbers; the document translates the check names
with ``CHECK_TITLES_ZH``. The thresholds are the module constants below (docs/validity.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from reportgen import reference_scores as ref
from reportgen.metrics import output_tokens, serving_metrics, timed_requests
from reportgen.results import (
    AccuracyResult,
    Finding,
    ModelVariant,
    RequestRecord,
    Results,
    ServingCell,
    ServingMetrics,
    Stats,
)

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
#: Accuracy: points (0-100) from a published reference or from the same model's full precision.
ACCURACY_REFERENCE_POINTS = 5.0
ACCURACY_PRECISION_POINTS = 5.0
#: Scores printed with 4 decimals (swift/llmuses) may differ from correct/n by this much.
SCORE_ROUNDING = 0.00005

# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Issue:
    """What a check function yields; ``check_results`` turns it into a ``Finding``."""

    severity: Severity
    message: str
    cell: ServingCell | None = None  # the cell concerned (defaults to the cell being checked)
    variant: ModelVariant | None = None  # results-scope checks: the variant concerned
    benchmark: str | None = None


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
        have = f"{len(cell.requests)} raw records but no computed metrics" if cell.requests else "no metrics and no raw records"
        yield Issue("warning", f"{have}: the cell was not measured or did not finish")


@_check("failed_requests", "cell", "successful requests must equal requests sent and planned; any failure -> error")
def _failed_requests(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    sent = m.completed + m.failed
    if m.failed > 0:
        errors = [r.error for r in timed_requests(cell.requests) if r.error]
        first = f" (first error: {errors[0].splitlines()[0][:160]})" if errors else ""
        yield Issue("error", f"{m.failed} of {sent} requests failed; only {m.completed} succeeded{first}")
    if cell.num_requests is not None and sent < cell.num_requests:
        yield Issue("error", f"only {sent} of {cell.num_requests} planned requests were sent")


@_check("output_tokens", "cell", "generated tokens must equal output_len x successful requests (server usage per request when recorded) -> error")
def _output_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not _was_printed(cell, "total_output_tokens"):
        return
    expected = cell.output_len * m.completed
    ok = _ok_records(cell)
    off = [output_tokens(r) for r in ok if output_tokens(r) != cell.output_len]
    if m.total_output_tokens == expected and not off:
        return
    msg = f"generated {m.total_output_tokens} tokens, expected {cell.output_len} x {m.completed} successful requests = {expected}"
    if off:
        msg += f"; {len(off)} of {len(ok)} requests generated {_span(off)} tokens instead of {cell.output_len}"
    elif m.completed:
        msg += f" ({m.total_output_tokens / m.completed:.1f} per request on average)"
    if m.total_output_tokens < expected:
        msg += ": generation stopped early (EOS reached without ignore_eos?), so TPOT and TPS are not for the requested length"
    yield Issue("error", msg)


@_check("input_tokens", "cell", "prompt tokens must equal input_len x successful requests (server usage per request when recorded); off by <= 1 % -> warning, more -> error")
def _input_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not _was_printed(cell, "total_input_tokens"):
        return
    expected = cell.input_len * m.completed
    ok = _ok_records(cell)
    per: list[int] = []
    origin = "server usage"
    for r in ok:
        if r.prompt_tokens is not None:
            per.append(r.prompt_tokens)
        elif r.expected_prompt_tokens is not None:
            per.append(r.expected_prompt_tokens)
            origin = "client tokenizer"
    off = [p for p in per if p != cell.input_len]
    if m.total_input_tokens == expected and not off:
        return
    if off:
        worst = max(abs(p - cell.input_len) for p in off) / cell.input_len
        msg = f"{len(off)} of {len(per)} requests had {_span(off)} prompt tokens ({origin}) instead of {cell.input_len}"
        if m.total_input_tokens != expected:
            msg += f"; total {m.total_input_tokens}, expected {cell.input_len} x {m.completed} = {expected}"
    else:
        worst = abs(m.total_input_tokens - expected) / expected if expected else 1.0
        msg = f"prompt tokens total {m.total_input_tokens}, expected {cell.input_len} x {m.completed} successful requests = {expected}"
    yield Issue("warning" if worst <= TOKEN_COUNT_WARN_REL else "error", msg)


_THROUGHPUTS: tuple[tuple[str, str, str, Callable[[ServingMetrics], int]], ...] = (
    ("request_throughput", "request throughput", "req/s", lambda m: m.completed),
    ("input_throughput", "input token throughput", "tok/s", lambda m: m.total_input_tokens),
    ("output_throughput", "output token throughput", "tok/s", lambda m: m.total_output_tokens),
    ("total_token_throughput", "total token throughput", "tok/s", lambda m: m.total_input_tokens + m.total_output_tokens),
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
        yield Issue("error", f"benchmark duration {m.duration_s:g} s for {m.completed} successful requests: no throughput can be computed")
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
        what = "printed" if cell.source == "imported" else "stored"
        digits = _decimals(p.text) or 2
        if p.half and abs(p.value - exact) < 10 * p.half:
            digits += 1  # show the digit that decides the rounding
        msg = f"{name} {what} {p.text} {unit} but {count} / {d.text} s = {exact:.{digits}f} {unit}"
        if p.value > 0 and count > 0 and p.half <= 0.001 * p.value:
            msg += f" (the {what} figure implies a duration of {count / p.value:.2f} s)"
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
    again = serving_metrics(cell.requests, cell.duration_s)
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
        shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
        yield Issue("error", f"stored metrics differ from those recomputed from the {len(cell.requests)} raw records (stored vs recomputed): {shown}")


_ORDER = ("min", "median", "p90", "p99", "max")


@_check("percentile_order", "cell", "min <= median <= P90 <= P99 <= max for every latency (within printed rounding) -> error")
def _percentile_order(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    for metric, label in _METRIC_NAMES.items():
        nums = _stat_nums(cell, metric, _stats_of(m, metric))
        present = [s for s in _ORDER if s in nums]
        bad = []
        for i, lo in enumerate(present):
            for hi in present[i + 1 :]:
                if _lt(nums[hi], nums[lo]):
                    bad.append(f"{_STAT_NAMES[hi]} {nums[hi].text} ms is below the {_STAT_NAMES[lo]} {nums[lo].text} ms")
        if bad:
            yield Issue("error", f"{label}: " + "; ".join(bad) + " (a higher percentile cannot be smaller)")


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
        problems: list[str] = []
        severity: Severity = "error"
        if "min" in nums and _lt(mean, nums["min"]) or "max" in nums and _lt(nums["max"], mean):
            problems.append(f"mean {mean.text} ms lies outside [min, max]")
        if metric != "itl" and n == 1:
            others = [st for st in ("median", "p90", "p99") if st in nums and _ne(nums[st], mean)]
            if others:
                problems.append(
                    f"with 1 request mean, median and P99 must be equal but mean is {mean.text} ms and "
                    + ", ".join(f"{_STAT_NAMES[st]} {nums[st].text} ms" for st in others)
                )
        elif metric != "itl" and n == 2 and "median" in nums and _ne(nums["median"], mean):
            problems.append(f"with 2 requests the median equals the mean, but median is {nums['median'].text} ms and mean {mean.text} ms")
        if "p99" in nums and _lt(nums["p99"], mean) and not (metric != "itl" and n == 1):
            if metric != "itl" and n <= 100:
                problems.append(
                    f"mean {mean.text} ms is above P99 {nums['p99'].text} ms, impossible with {n} requests "
                    f"(for n <= 100 the P99 lies between the two largest values)"
                )
            elif not problems:
                severity = "warning"
                problems.append(f"mean {mean.text} ms is above P99 {nums['p99'].text} ms over {n} values: a few outliers dominate the mean")
        if problems:
            yield Issue(severity, f"{label}: " + "; ".join(problems))


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
            listed = ", ".join(f"{_STAT_NAMES[st]} {n.text} ms" for st, n in over)
            yield Issue("error", f"{_METRIC_NAMES[metric]} {listed} longer than the benchmark duration {d.text} s")
    if m.e2el_ms is None or m.e2el_ms.mean is None:
        est = _estimated_e2el(cell)
        if est is not None:
            value_ms, half_ms, text = est
            if value_ms / 1000 > d.value + d.half + half_ms / 1000 + _eps(d.value):
                yield Issue("error", f"mean E2EL {text} = {value_ms:.2f} ms is longer than the benchmark duration {d.text} s")


def _estimated_e2el(cell: ServingCell) -> tuple[float, float, str] | None:
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
        return ttft.value, ttft.half, f"TTFT {ttft.text} ms"
    if tpot is None:
        return None
    return ttft.value + (k - 1) * tpot.value, ttft.half + (k - 1) * tpot.half, f"TTFT {ttft.text} + {k - 1} x TPOT {tpot.text}"


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
        e2el_ms, how = m.e2el_ms.mean, "E2EL"
    else:
        est = _estimated_e2el(cell)
        if est is None:
            return
        e2el_ms, how = est[0], est[2]
    e2el_s = e2el_ms / 1000
    if d.value > e2el_s * SINGLE_REQUEST_RATIO + SINGLE_REQUEST_SLACK_S:
        yield Issue(
            "warning",
            f"the only request took {e2el_s:.2f} s ({how}) but the benchmark duration is {d.text} s: "
            f"{d.value - e2el_s:.2f} s unaccounted for",
        )


@_check(
    "prefill_rate",
    "cell",
    "TTFT implies the prefill rate; above 100,000 prompt tokens/s on one card -> warning "
    "(one wave of n requests sent together: rate >= (n + 1) / 2 x input_len / mean TTFT)",
)
def _prefill_rate(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or m.completed < 1 or not m.ttft_ms.mean or m.ttft_ms.mean <= 0:
        return
    prompt = m.total_input_tokens / m.completed if m.total_input_tokens else cell.input_len
    ttft_s = m.ttft_ms.mean / 1000
    n = m.completed
    one_wave = n <= cell.batch_size
    factor = (n + 1) / 2 if one_wave else 1.0
    rate = factor * prompt / ttft_s
    if rate <= PREFILL_TPS_MAX:
        return
    if one_wave and n > 1:
        how = f"for {n} concurrent {prompt:.0f}-token prompts needs at least {rate:,.0f} prompt tokens/s (({n} + 1) / 2 x {prompt:.0f} / {ttft_s:.5g} s)"
    else:
        how = f"for a {prompt:.0f}-token prompt means {rate:,.0f} prompt tokens/s ({prompt:.0f} / {ttft_s:.5g} s)"
    yield Issue("warning", f"mean TTFT {m.ttft_ms.mean:.2f} ms {how}, above the {PREFILL_TPS_MAX:,.0f} tokens/s plausible on one card")


@_check("sample_count", "cell", "measured cells: fewer successful requests than max(5, 2 x batch size) -> warning (P99 of one wave)")
def _sample_count(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.completed == 0:
        return
    need = max(MIN_SAMPLES, MIN_ROUNDS * cell.batch_size)
    if m.completed < need:
        yield Issue(
            "warning",
            f"only {m.completed} successful requests at batch size {cell.batch_size} (want at least max({MIN_SAMPLES}, "
            f"{MIN_ROUNDS} x {cell.batch_size}) = {need}): the P99 is an interpolation of the two slowest requests",
        )


@_check(
    "effective_concurrency",
    "cell",
    "measured cells: sum(E2EL) / duration below 0.7 x batch -> warning; above 1.05 x batch -> error",
)
def _effective_concurrency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.effective_concurrency is None:
        return
    c, b = m.effective_concurrency, cell.batch_size
    if c > b * CONCURRENCY_OVER + 0.05:
        yield Issue("error", f"effective concurrency {c:.2f} (sum of E2EL / duration) exceeds the batch size {b}: the client did not cap requests in flight")
    elif c < b * CONCURRENCY_UNDER:
        yield Issue(
            "warning",
            f"effective concurrency {c:.2f} (sum of E2EL / duration) is far below the batch size {b} "
            f"(< {CONCURRENCY_UNDER} x {b}): the client kept fewer requests in flight than intended",
        )


@_check("prefix_cache", "cell", "server prefix-cache hits during the cell: any -> warning; hit rate above 5 % -> error")
def _prefix_cache(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm = cell.server_metrics
    if sm is None or not sm.prefix_cache_hits or sm.prefix_cache_hits <= 0:
        return
    hits = sm.prefix_cache_hits
    if sm.prefix_cache_queries:
        rate = hits / sm.prefix_cache_queries
        severity: Severity = "error" if rate > PREFIX_CACHE_ERROR_RATE else "warning"
        detail = f"{hits:.0f} of {sm.prefix_cache_queries:.0f} queried prompt tokens ({rate:.1%})"
    else:
        severity, detail = "warning", f"{hits:.0f} prompt tokens"
    yield Issue(severity, f"the server's prefix cache hit {detail} during the cell: TTFT and throughput are flattered")


@_check("client_server_gap", "cell", "client vs server (Prometheus) mean TTFT/TPOT/E2EL differ by more than 25 % and 20 ms -> warning")
def _client_server_gap(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps = []
    for name, server, stats in (("TTFT", sm.ttft_mean_ms, m.ttft_ms), ("TPOT", sm.tpot_mean_ms, m.tpot_ms), ("E2EL", sm.e2el_mean_ms, m.e2el_ms)):
        client = stats.mean if stats is not None else None
        if server is None or client is None:
            continue
        gap = abs(client - server)
        if gap > CLIENT_SERVER_GAP_MS and gap > CLIENT_SERVER_GAP_REL * max(client, server):
            gaps.append(f"{name} client {client:.2f} ms vs server {server:.2f} ms")
    if gaps:
        yield Issue("warning", "client and server disagree on mean latency: " + "; ".join(gaps))


@_check("server_token_counts", "cell", "server-counted prompt/generation tokens vs the client's totals differ by more than 5 % -> warning")
def _server_token_counts(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps = []
    for name, server, client in (("prompt", sm.prompt_tokens, m.total_input_tokens), ("generation", sm.generation_tokens, m.total_output_tokens)):
        if server is None or not client:
            continue
        if abs(server - client) > SERVER_TOKENS_REL * client:
            gaps.append(f"{name} tokens: server {server:.0f}, client {client}")
    if gaps:
        yield Issue("warning", "the server counted different token totals during the cell: " + "; ".join(gaps))


# --------------------------------------------------------------------------- matrix checks


def _with_metrics(v: ModelVariant) -> dict[int, list[ServingCell]]:
    """Cells with metrics, grouped by input length, each list sorted by batch size."""
    groups: dict[int, list[ServingCell]] = {}
    for c in v.serving:
        if c.metrics is not None:
            groups.setdefault(c.input_len, []).append(c)
    return {k: sorted(cs, key=lambda c: (c.batch_size, c.output_len)) for k, cs in groups.items()}


def _batch_scaling(v: ModelVariant, metric: str, error_ratio: float, warn_ratio: float, why: str) -> Iterator[Issue]:
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
                yield Issue(
                    "error" if ratio >= error_ratio else "warning",
                    f"mean {_METRIC_NAMES[metric]} {val:.2f} ms at batch {c.batch_size} is {ratio:.1f}x lower than "
                    f"{base_val:.2f} ms at batch {base.batch_size} for the same {input_len}-token prompts ({why})",
                    cell=c,
                )


@_check(
    "ttft_batch_scaling",
    "variant",
    "same variant and input length: batch-1 TTFT / larger-batch TTFT >= 3 -> error, >= 1.5 -> warning",
)
def _ttft_batch_scaling(v: ModelVariant) -> Iterator[Issue]:
    yield from _batch_scaling(
        v, "ttft", TTFT_BATCH_ERROR_RATIO, TTFT_BATCH_WARN_RATIO, "more concurrent prompts cannot be prefilled faster than one"
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
        "a decode step for more sequences reads the same weights, so the time per token cannot fall below batch 1's",
    )


@_check("duplicate_cell", "variant", "two cells with the same batch size, input and output length in one variant -> error")
def _duplicate_cell(v: ModelVariant) -> Iterator[Issue]:
    seen: set[tuple[int, int, int]] = set()
    for c in v.serving:
        key = (c.batch_size, c.input_len, c.output_len)
        if key in seen:
            yield Issue("error", f"a second cell for batch {c.batch_size}, {c.input_len} in / {c.output_len} out: the summary cannot tell them apart", cell=c)
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
        problems: list[str] = []
        for name, val in (("score", a.score), ("macro", a.macro)):
            if val is not None and not 0.0 <= val <= 1.0:
                problems.append(f"{name} {val:g} is outside [0, 1]")
        if a.n is not None and a.correct is not None:
            if a.correct > a.n or a.correct < 0:
                problems.append(f"correct {a.correct} is not within [0, n = {a.n}]")
            elif a.score is not None and a.n > 0 and abs(a.score - a.correct / a.n) > SCORE_ROUNDING + 1e-12:
                problems.append(f"score {a.score:.4f} but correct / n = {a.correct} / {a.n} = {a.correct / a.n:.4f}")
        if a.samples:
            scored = [s for s in a.samples if s.correct is not None]
            right = sum(1 for s in scored if s.correct)
            if a.n is not None and len(scored) != a.n:
                problems.append(f"{len(scored)} scored samples recorded but n = {a.n}")
            if a.correct is not None and right != a.correct:
                problems.append(f"{right} samples marked correct but correct = {a.correct}")
        if a.subsets and a.n is not None:
            sn = sum(s.n for s in a.subsets)
            sc = sum(s.correct for s in a.subsets)
            if sn != a.n:
                problems.append(f"subsets hold {sn} items but n = {a.n}")
            if a.correct is not None and sc != a.correct:
                problems.append(f"subsets have {sc} correct but correct = {a.correct}")
        if problems:
            yield Issue("error", f"{a.benchmark}: " + "; ".join(problems), benchmark=a.benchmark)


@_check("accuracy_incomplete", "variant", "fewer samples scored than planned -> warning")
def _accuracy_incomplete(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.n is not None and a.n_planned is not None and a.n < a.n_planned:
            yield Issue("warning", f"{a.benchmark}: only {a.n} of {a.n_planned} planned samples were scored", benchmark=a.benchmark)


def _settings(a: AccuracyResult) -> str:
    parts = [f"mode {a.mode}"]
    if a.shots is not None:
        parts.append(f"{a.shots}-shot")
    if a.split:
        parts.append(f"split {a.split}")
    return ", ".join(parts)


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
            yield Issue(
                "warning",
                f"{a.benchmark} {_pct(a.score)} is {abs(gap):.2f} points {'below' if gap < 0 else 'above'} the published "
                f"{r.score_pct:.1f} % ({r.source}); prompts, shots and answer extraction differ between harnesses (this run: {_settings(a)})",
                benchmark=a.benchmark,
            )


@_check(
    "bbh_bracket_bug",
    "variant",
    "bbh scored in swift 2024 / llmuses 0.4.x mode (or of unknown mode at or below the 0.374 ceiling): "
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
        free_acc = a.score * total / free if free else math.nan
        lead = "was scored in swift 2024 mode" if a.mode == "swift2024" else f"is below the {ceiling:.3f} ceiling of swift 2024 scoring"
        yield Issue(
            "warning",
            f"bbh {a.score:.4f} {lead}: llmuses 0.4.x keeps the gold labels of the {mc} multiple-choice items (of {total}) "
            f"as '(A)' so they never match; {a.score:.4f} x {total} / {free} = {free_acc * 100:.1f} % on the free-form tasks: "
            f"not a model accuracy (fixed in evalscope PR #306; rerun in corrected mode)",
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
            cause = ""
            if a.mode != b.mode:
                cause = f"; the runs used different scoring modes ({a.mode} vs {b.mode})"
            yield Issue(
                "warning",
                f"{a.benchmark} {_pct(a.score)} is {abs(gap):.2f} points {'below' if gap < 0 else 'above'} "
                f"{base.label}'s {_pct(b.score)}{cause}",
                variant=v,
                benchmark=a.benchmark,
            )


def _matching(candidates: list[AccuracyResult], a: AccuracyResult) -> AccuracyResult | None:
    same = [b for b in candidates if b.benchmark.lower() == a.benchmark.lower()]
    for b in same:
        if b.mode == a.mode:
            return b
    return same[0] if len(same) == 1 else None


# --------------------------------------------------------------------------- Chinese titles

CHECK_TITLES_ZH: dict[str, str] = {
    "missing_metrics": "用例缺少测试数据（未运行或未完成）",
    "failed_requests": "成功请求数应等于发送请求数（不得有失败请求）",
    "output_tokens": "生成词元总数应等于输出长度 × 成功请求数",
    "input_tokens": "输入词元总数应等于输入长度 × 成功请求数",
    "throughput_consistency": "吞吐量应等于词元数（或请求数）÷ 测试时长（允许打印舍入误差）",
    "metrics_recomputed": "保存的指标应与由原始请求记录重新计算的结果一致",
    "percentile_order": "分位数顺序：最小值 ≤ 中位数 ≤ P90 ≤ P99 ≤ 最大值",
    "mean_consistency": "均值应与样本数相符（均值在最小值与最大值之间；样本数 ≤ 100 时均值不高于 P99）",
    "latency_exceeds_duration": "TTFT 与端到端延迟不得超过测试时长",
    "single_request_duration": "单请求用例的测试时长应与该请求的延迟相符",
    "prefill_rate": "TTFT 所隐含的预填充速率应在单卡物理可能范围内",
    "sample_count": "请求数应足以计算 P99（至少 max(5, 2 × 批大小)）",
    "effective_concurrency": "有效并发（Σ端到端延迟 ÷ 测试时长）应接近批大小",
    "prefix_cache": "测试期间不应命中服务端前缀缓存",
    "client_server_gap": "客户端与服务端统计的平均延迟应一致",
    "server_token_counts": "服务端统计的词元数应与客户端一致",
    "ttft_batch_scaling": "同一精度、同一输入长度下，批大小增大时 TTFT 不应成倍下降",
    "tpot_batch_scaling": "同一精度、同一输入长度下，批大小增大时 TPOT 不应成倍下降",
    "duplicate_cell": "同一精度下不应有重复的测试用例",
    "accuracy_consistency": "精度得分应与样本数、正确数一致",
    "accuracy_incomplete": "评测样本应全部完成评分",
    "accuracy_reference_gap": "精度得分与官方公布值的差距不应超过 5 个百分点",
    "bbh_bracket_bug": "bbh 得分受 swift/llmuses 2024 版评分缺陷影响（多选题标准答案带括号，永不匹配）",
    "accuracy_precision_gap": "量化模型得分与同一模型原始精度得分的差距不应超过 5 个百分点",
}


# --------------------------------------------------------------------------- running


def _cell_key(c: ServingCell) -> tuple[int, int, int]:
    return (c.input_len, c.output_len, c.batch_size)


def check_results(results: Results) -> list[Finding]:
    """Run every registered check; the findings in a deterministic order (see the module doc)."""
    missing = {c.name for c in CHECKS} - set(CHECK_TITLES_ZH)
    assert not missing, f"checks without a Chinese title: {sorted(missing)}"
    vindex = {id(v): i for i, v in enumerate(results.variants)}
    keyed: list[tuple[tuple[Any, ...], Finding]] = []
    seq = 0

    def add(check_idx: int, check: Check, v: ModelVariant | None, issue: Issue, cell: ServingCell | None) -> None:
        nonlocal seq
        vi = vindex.get(id(v), len(results.variants)) if v is not None else len(results.variants)
        if cell is not None:
            where: tuple[Any, ...] = (0, _cell_key(cell))
        elif issue.benchmark is not None and v is not None:
            bench = [a.benchmark for a in v.accuracy]
            where = (1, (bench.index(issue.benchmark) if issue.benchmark in bench else len(bench), 0, 0))
        else:
            where = (2, (0, 0, 0))
        finding = Finding(
            severity=issue.severity,
            precision=v.label if v is not None else None,
            batch_size=cell.batch_size if cell is not None else None,
            input_len=cell.input_len if cell is not None else None,
            check=check.name,
            message=issue.message,
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


def cell_status(findings: list[Finding], label: str, batch_size: int, input_len: int | None = None) -> CellStatus:
    """VALID, INVALID (an error concerns the cell) or WARNING (only warnings do).

    ``input_len`` narrows the match when a variant holds several input lengths."""
    mine = [
        f
        for f in findings
        if f.precision == label
        and f.batch_size == batch_size
        and (input_len is None or f.input_len is None or f.input_len == input_len)
    ]
    if any(f.severity == "error" for f in mine):
        return "INVALID"
    return "WARNING" if mine else "VALID"
