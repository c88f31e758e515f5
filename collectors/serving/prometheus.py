"""The server's Prometheus ``/metrics``: a pure text parser and per-cell deltas.

``parse(text)`` turns the text exposition format into ``{"name{labels}": value}``;
``delta(before, after)`` subtracts two scrapes into a ``ServerMetricsDelta``: the
prefix-cache hits during the cell (must be 0 with distinct prompts, vLLM #54227) and
the server's own mean TTFT/TPOT/E2E latency from its histograms' ``_sum``/``_count``,
to compare with the client's figures.

A server's numbers are data like its other answers: a sample of ``+Inf``/``NaN``, a counter that
went down (the server restarted) or a difference out of range leaves that one figure out, named
in ``ServerMetricsDelta.missing`` with the reason; the cell's other figures, and the cell, stay.

vLLM names (0.6 … 0.32): ``vllm:prefix_cache_hits_total``/``queries_total`` (older:
``gpu_prefix_cache_hits_total``), ``vllm:time_to_first_token_seconds``,
``vllm:request_time_per_output_token_seconds`` (older: ``time_per_output_token_seconds``),
``vllm:e2e_request_latency_seconds``, ``vllm:prompt_tokens_total``,
``vllm:generation_tokens_total``, ``vllm:request_success_total``.
"""

from __future__ import annotations

import math

import httpx

from collectors import answers
from reportgen.errors import ServerError
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
        out[series] = value  # NaN/Inf too: ``delta`` says which figure they spoil, and why
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
        async with client.stream("GET", path, timeout=timeout_s) as r:
            if r.status_code != 200:
                return f"{path}: HTTP {r.status_code}"
            body = await answers.aread_body(r, path)  # at most the shared answer size
    except (httpx.HTTPError, OSError, ValueError) as e:
        return f"{path}: {type(e).__name__}: {e}"
    except ServerError as e:
        return str(e)
    samples = parse(body.decode("utf-8", "replace"))
    if not samples:
        return f"{path}: no Prometheus samples"
    return samples


_COUNTER_SUFFIXES = ("_total", "_sum", "_count")


def _shown(v: float) -> str:
    return "+Inf" if v == math.inf else "-Inf" if v == -math.inf else "NaN" if v != v else f"{v:g}"


def delta(before: Samples | str | None, after: Samples | str | None) -> ServerMetricsDelta:
    if not isinstance(before, dict) or not isinstance(after, dict):
        reason = before if isinstance(before, str) else after if isinstance(after, str) else "not scraped"
        return ServerMetricsDelta(error=reason)
    missing: dict[str, str] = {}
    raw: dict[str, float] = {}
    bad_raw: list[str] = []
    for k in sorted(after):
        if not (_name(k).startswith("vllm:") and _name(k).endswith(_COUNTER_SUFFIXES)):
            continue
        v = after[k] - before.get(k, 0.0)
        if math.isfinite(v) and v >= 0.0:
            if v != 0.0:
                raw[k] = v
        else:
            bad_raw.append(k)
    if bad_raw:
        missing["raw"] = (f"{len(bad_raw)} series left out (not finite, or a counter that went down), "
                          f"first {bad_raw[0]}")

    def d(field: str, *names: str) -> float | None:
        """after - before of the first of ``names`` present; None (and why, in ``missing``) when
        a sample is not finite or the counter went down."""
        for name in names:
            a = total(after, name)
            if a is None:
                continue
            b = total(before, name) or 0.0
            for when, v in (("after", a), ("before", b)):
                if not math.isfinite(v):
                    missing[field] = f"{name} is {_shown(v)} in the scrape {when} the cell"
                    return None
            diff = a - b
            if not math.isfinite(diff):
                missing[field] = f"{name} changed by more than a float holds ({_shown(b)} -> {_shown(a)})"
                return None
            if diff < 0:
                missing[field] = f"{name} went down during the cell ({_shown(b)} -> {_shown(a)}): the server restarted or reset it"
                return None
            return diff
        return None

    def mean_ms(field: str, hist: str, *alts: str) -> float | None:
        for h in (hist, *alts):
            s, c = d(field, f"{h}_sum"), d(field, f"{h}_count")
            if s is not None and c:
                v = s / c * 1000.0
                if math.isfinite(v):
                    missing.pop(field, None)
                    return v
                missing[field] = f"{h}: sum / count is out of range ({_shown(s)} / {_shown(c)})"
        return None

    return ServerMetricsDelta(
        prefix_cache_hits=d("prefix_cache_hits", "vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total",
                            "vllm:prefix_cache_hits"),
        prefix_cache_queries=d("prefix_cache_queries", "vllm:prefix_cache_queries_total",
                               "vllm:gpu_prefix_cache_queries_total", "vllm:prefix_cache_queries"),
        prompt_tokens=d("prompt_tokens", "vllm:prompt_tokens_total"),
        generation_tokens=d("generation_tokens", "vllm:generation_tokens_total"),
        requests=d("requests", "vllm:request_success_total"),
        ttft_mean_ms=mean_ms("ttft_mean_ms", "vllm:time_to_first_token_seconds"),
        tpot_mean_ms=mean_ms("tpot_mean_ms", "vllm:request_time_per_output_token_seconds", "vllm:time_per_output_token_seconds"),
        e2el_mean_ms=mean_ms("e2el_mean_ms", "vllm:e2e_request_latency_seconds"),
        raw=raw,
        missing=missing,
    )
