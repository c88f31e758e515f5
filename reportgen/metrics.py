"""Serving metrics from raw per-request records, as ``vllm bench serve`` defines them.

Definitions (vllm/benchmarks/serve.py ``calculate_metrics``; README "Metric glossary"):

* TTFT_i  = first token chunk - request start
* E2EL_i  = last token chunk - request start
* TPOT_i  = (E2EL_i - TTFT_i) / (out_i - 1), only for requests with out_i > 1
* ITL     = every gap between consecutive token chunks, pooled over all requests
* duration = the timed window (cell ``duration_s``); without it, last end - first start
* request / input / output / total-token throughput = count or tokens / duration
* percentiles: numpy linear interpolation; std is the population std (numpy default)
* effective concurrency = sum(E2EL_i) / duration   (SGLang's "concurrency")
* prefill tokens/s = mean prompt tokens / mean TTFT
* goodput = requests meeting every per-request SLO limit / duration (``reportgen.slo``)
* TFAT_i  = first answer chunk - request start (reasoning models; ``first_answer_s``)
* open loop: achieved rate = requests sent / last send time (seconds since the schedule's
  origin, where the target rate puts the last of N arrivals at N / rate); lateness_i =
  send time - scheduled arrival time

Only successful requests enter latency statistics and token totals; failed ones are
counted. Warm-up requests are excluded entirely. Output tokens are the server's
``usage.completion_tokens``; when the server sent none, the number of token chunks is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reportgen.results import RequestRecord, ServingMetrics, Stats


def stats(values: Sequence[float] | np.ndarray, scale: float = 1.0, extra: Iterable[float] = ()) -> Stats:
    """Summary statistics of ``values`` multiplied by ``scale`` (1000 for s -> ms);
    ``extra`` percentiles (95, 99.9) go into ``Stats.percentiles`` as "p95", "p99.9"."""
    a = np.asarray(values, dtype=float) * scale
    if a.size == 0:
        return Stats(n=0)
    pct = {f"p{q:g}": float(np.percentile(a, q)) for q in extra if q not in (50, 90, 99)}
    return Stats(
        percentiles=pct,
        n=int(a.size),
        mean=float(np.mean(a)),
        median=float(np.median(a)),
        std=float(np.std(a)),
        p90=float(np.percentile(a, 90)),
        p99=float(np.percentile(a, 99)),
        min=float(np.min(a)),
        max=float(np.max(a)),
    )


def output_tokens(r: RequestRecord) -> int:
    """Generated tokens of one request: server usage, else the token chunks seen."""
    if r.completion_tokens is not None:
        return r.completion_tokens
    return len(r.chunk_times_s)


def timed_requests(records: Sequence[RequestRecord]) -> list[RequestRecord]:
    return [r for r in records if not r.warmup]


def window_s(records: Sequence[RequestRecord]) -> float | None:
    """last end - first start over the timed requests (fallback duration)."""
    timed = timed_requests(records)
    if not timed:
        return None
    ends = [r.end_s if r.end_s is not None else r.start_s for r in timed]
    return max(ends) - min(r.start_s for r in timed)


def serving_metrics(
    records: Sequence[RequestRecord], duration_s: float | None = None, slo: Mapping[str, float] | None = None
) -> ServingMetrics:
    """Compute a cell's metrics from its raw records.

    ``duration_s`` is the measured timed window; when None, the span of the records is used.
    ``slo`` (the cell's limits, ``reportgen.slo``): goodput when it has per-request limits, and
    the percentiles its percentile limits name.
    """
    from reportgen import slo as slo_mod

    slo = slo or {}
    timed = timed_requests(records)
    ok = [r for r in timed if r.ok and r.first_token_s is not None and r.end_s is not None]
    failed = len(timed) - len(ok)
    if duration_s is None:
        duration_s = window_s(timed) or 0.0

    ttft = np.array([(r.first_token_s or 0.0) - r.start_s for r in ok], dtype=np.float64)  # not None: filtered above
    e2el = np.array([(r.end_s or 0.0) - r.start_s for r in ok], dtype=np.float64)
    out = np.array([output_tokens(r) for r in ok], dtype=np.float64)
    inp = np.array([r.prompt_tokens if r.prompt_tokens is not None else (r.expected_prompt_tokens or 0) for r in ok], dtype=float)

    multi = out > 1
    tpot = (e2el[multi] - ttft[multi]) / (out[multi] - 1)
    itl: list[float] = []
    for r in ok:
        if len(r.chunk_times_s) > 1:
            itl.extend(np.diff(np.asarray(r.chunk_times_s, dtype=float)).tolist())

    total_in = int(inp.sum())
    total_out = int(out.sum())

    def per_s(x: float) -> float:
        return x / duration_s if duration_s and duration_s > 0 else 0.0

    pcts: dict[str, list[float]] = {}
    for k in slo_mod.percentile_keys(slo):
        if k.percentile is not None:
            pcts.setdefault(k.metric, []).append(k.percentile)
    ttft_stats = stats(ttft, 1000.0, pcts.get("ttft", ()))
    goodput = None
    if slo_mod.request_keys(slo):
        good = sum(slo_mod.request_good(r, slo, int(o)) for r, o in zip(ok, out))
        goodput = per_s(good)
    tfat = [r.first_answer_s - r.start_s for r in ok if r.first_answer_s is not None]
    achieved, lateness = _open_loop(timed)
    return ServingMetrics(
        completed=len(ok),
        failed=failed,
        duration_s=float(duration_s),
        total_input_tokens=total_in,
        total_output_tokens=total_out,
        request_throughput=per_s(len(ok)),
        input_throughput=per_s(total_in),
        output_throughput=per_s(total_out),
        total_token_throughput=per_s(total_in + total_out),
        ttft_ms=ttft_stats,
        tpot_ms=stats(tpot, 1000.0, pcts.get("tpot", ())),
        itl_ms=stats(itl, 1000.0, pcts.get("itl", ())),
        e2el_ms=stats(e2el, 1000.0, pcts.get("e2el", ())),
        effective_concurrency=per_s(float(e2el.sum())) if len(ok) else None,
        prefill_tps=prefill_tps(float(inp.mean()) if len(ok) else None, ttft_stats.mean),
        goodput_rps=goodput,
        tfat_ms=stats(tfat, 1000.0, pcts.get("tfat", ())) if tfat else None,
        achieved_rate=achieved,
        lateness_ms=lateness,
    )


def _open_loop(timed: Sequence[RequestRecord]) -> tuple[float | None, Stats | None]:
    """Achieved rate and send lateness of an open-loop cell (None for a closed loop)."""
    sched = [r for r in timed if r.scheduled_s is not None]
    if not sched:
        return None, None
    last = max(r.start_s for r in sched)
    achieved = len(sched) / last if last > 0 else None
    return achieved, stats([r.start_s - (r.scheduled_s or 0.0) for r in sched], 1000.0, (95, 99.9))


@dataclass(frozen=True)
class AchievedLoad:
    """The load a cell applied, as measured: what an open-loop cell is labelled by beside the rate
    it offered (its ``batch_size`` is no concurrency: nothing capped the requests in flight)."""

    concurrency: float | None  # effective concurrency: sum(E2EL) / duration
    arrivals: float | None  # open loop: achieved arrival rate (req/s)
    completions: float | None  # successful requests / duration (req/s)


def achieved_load(m: ServingMetrics | None) -> AchievedLoad:
    if m is None:
        return AchievedLoad(None, None, None)
    done = m.completed / m.duration_s if m.duration_s > 0 else None
    return AchievedLoad(m.effective_concurrency, m.achieved_rate, done)


def prefill_tps(mean_prompt_tokens: float | None, mean_ttft_ms: float | None) -> float | None:
    """Prefill tokens/s = mean prompt tokens / mean TTFT (equals ISL/TTFT at batch 1)."""
    if not mean_prompt_tokens or not mean_ttft_ms or mean_ttft_ms <= 0:
        return None
    return mean_prompt_tokens / (mean_ttft_ms / 1000.0)


def speedup(baseline: float | None, other: float | None, higher_is_better: bool) -> float | None:
    """How many times better ``other`` is than ``baseline`` (>1: better)."""
    if baseline is None or other is None or baseline <= 0 or other <= 0:
        return None
    return other / baseline if higher_is_better else baseline / other
