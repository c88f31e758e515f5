"""The server's Prometheus ``/metrics``: a pure text parser and per-cell deltas.

``parse(text)`` turns the text exposition format into ``{"name{labels}": value}``;
``delta(before, after)`` subtracts two scrapes into a ``ServerMetricsDelta``: the
prefix-cache hits during the cell (must be 0 with distinct prompts, vLLM #54227) and
the server's own mean TTFT/TPOT/E2E latency from its histograms' ``_sum``/``_count``,
to compare with the client's figures.

vLLM names (0.6 … 0.32): ``vllm:prefix_cache_hits_total``/``queries_total`` (older:
``gpu_prefix_cache_hits_total``), ``vllm:time_to_first_token_seconds``,
``vllm:request_time_per_output_token_seconds`` (older: ``time_per_output_token_seconds``),
``vllm:e2e_request_latency_seconds``, ``vllm:prompt_tokens_total``,
``vllm:generation_tokens_total``, ``vllm:request_success_total``.
"""

from __future__ import annotations

import math

import httpx

from reportgen.results import ServerMetricsDelta

__all__ = ["Samples", "delta", "parse", "scrape"]

Samples = dict[str, float]


def parse(text: str) -> Samples:
    """``{"name{labels}": value}`` for every sample line; comments and bad lines are skipped."""
    out: Samples = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            close = line.rfind("}")
            if close < 0:
                continue
            series, rest = line[: close + 1], line[close + 1 :]
        else:
            series, _, rest = line.partition(" ")
        fields = rest.split()
        if not fields:
            continue
        try:
            value = float(fields[0])
        except ValueError:
            continue
        if math.isfinite(value):  # NaN/Inf have no JSON form; a delta of them means nothing
            out[series] = value
    return out


def _name(series: str) -> str:
    return series.split("{", 1)[0]


def total(samples: Samples, *names: str) -> float | None:
    """Sum over label sets of the first of ``names`` that is present."""
    for name in names:
        vals = [v for k, v in samples.items() if _name(k) == name]
        if vals:
            return float(sum(vals))
    return None


async def scrape(client: httpx.AsyncClient, path: str = "/metrics", timeout_s: float = 10.0) -> Samples | str:
    """The parsed scrape, or a one-line reason why there is none."""
    try:
        r = await client.get(path, timeout=timeout_s)
    except (httpx.HTTPError, OSError, ValueError) as e:
        return f"{path}: {type(e).__name__}: {e}"
    if r.status_code != 200:
        return f"{path}: HTTP {r.status_code}"
    samples = parse(r.text)
    if not samples:
        return f"{path}: no Prometheus samples"
    return samples


_COUNTER_SUFFIXES = ("_total", "_sum", "_count")


def delta(before: Samples | str | None, after: Samples | str | None) -> ServerMetricsDelta:
    if not isinstance(before, dict) or not isinstance(after, dict):
        reason = before if isinstance(before, str) else after if isinstance(after, str) else "not scraped"
        return ServerMetricsDelta(error=reason)
    raw = {
        k: after[k] - before.get(k, 0.0)
        for k in sorted(after)
        if _name(k).startswith("vllm:") and _name(k).endswith(_COUNTER_SUFFIXES) and after[k] - before.get(k, 0.0) != 0.0
    }

    def d(*names: str) -> float | None:
        a = total(after, *names)
        if a is None:
            return None
        return a - (total(before, *names) or 0.0)

    def mean_ms(hist: str, *alts: str) -> float | None:
        for h in (hist, *alts):
            s, c = d(f"{h}_sum"), d(f"{h}_count")
            if s is not None and c:
                return s / c * 1000.0
        return None

    return ServerMetricsDelta(
        prefix_cache_hits=d("vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total", "vllm:prefix_cache_hits"),
        prefix_cache_queries=d(
            "vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total", "vllm:prefix_cache_queries"
        ),
        prompt_tokens=d("vllm:prompt_tokens_total"),
        generation_tokens=d("vllm:generation_tokens_total"),
        requests=d("vllm:request_success_total"),
        ttft_mean_ms=mean_ms("vllm:time_to_first_token_seconds"),
        tpot_mean_ms=mean_ms("vllm:request_time_per_output_token_seconds", "vllm:time_per_output_token_seconds"),
        e2el_mean_ms=mean_ms("vllm:e2e_request_latency_seconds"),
        raw=raw,
    )
