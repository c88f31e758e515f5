"""Service-level objectives: the one definition of SLO keys, goodput and met / not met.

A key names a latency metric and, for a limit on the whole cell, a statistic:

* ``ttft_p99_ms=2000``: the cell's P99 TTFT must be at most 2000 ms (``mean``, ``median``,
  ``pNN`` or ``pNN.N`` are the statistics; ``p50`` is the median);
* ``tpot_ms=100``: a per-request limit, like ``vllm bench serve --goodput tpot:100``: a
  request is *good* when every per-request limit holds for it; goodput = good requests / duration.

Metrics: ``ttft``, ``tpot``, ``e2el``, ``itl`` (statistics only: it is per chunk, not per
request) and ``tfat`` (time to first answer token, reasoning models). TPOT of a request with
one output token counts as 0 (vLLM's rule).

A named preset (``mlperf-server``, ``mlperf-interactive``, optionally ``:CLASS``) stands for the
published limits of the model's class (``reportgen.slo_presets``); ``resolve_slo`` turns either
form into keys, and says which preset they came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reportgen.errors import InputFormatError
from reportgen.ranges import Milliseconds, bounds
from reportgen.results import RequestRecord, ServingMetrics, Stats

__all__ = [
    "METRICS",
    "SloKey",
    "format_slo",
    "parse_slo",
    "percentile_keys",
    "request_good",
    "resolve_slo",
    "slo_spec",
    "request_keys",
    "slo_failures",
    "slo_verdicts",
    "stat_value",
]

#: metric -> (per-request limits allowed, Chinese name)
METRICS: dict[str, tuple[bool, str]] = {
    "ttft": (True, "首词元时延"),
    "tpot": (True, "每词元时延"),
    "e2el": (True, "端到端时延"),
    "itl": (False, "词元间隔"),
    "tfat": (True, "首个回答词元时延"),
}

_KEY = re.compile(r"^(?P<metric>[a-z][a-z0-9]*)(?:_(?P<stat>mean|median|p\d{1,2}(?:\.\d+)?))?_ms$")


@dataclass(frozen=True)
class SloKey:
    metric: str  # "ttft"
    stat: str | None  # "p99", "mean", "median"; None: a per-request limit

    @property
    def name(self) -> str:
        return f"{self.metric}_{self.stat}_ms" if self.stat else f"{self.metric}_ms"

    @property
    def percentile(self) -> float | None:
        """The percentile of a ``pNN`` statistic (50 for the median), None for the mean."""
        if self.stat == "median":
            return 50.0
        if self.stat and self.stat.startswith("p"):
            return float(self.stat[1:])
        return None

    @classmethod
    def parse(cls, key: str) -> SloKey:
        m = _KEY.match(key.strip())
        if not m or m.group("metric") not in METRICS:
            raise InputFormatError(
                f"SLO key {key!r}: expected METRIC_STAT_ms or METRIC_ms with METRIC one of "
                f"{', '.join(METRICS)} and STAT mean, median or pNN (e.g. ttft_p99_ms, tpot_ms)"
            )
        stat = m.group("stat")
        if stat == "p50":
            stat = "median"
        if stat and stat.startswith("p") and not 0 < float(stat[1:]) < 100:
            raise InputFormatError(f"SLO key {key!r}: the percentile must lie between 0 and 100")
        metric = m.group("metric")
        if stat is None and not METRICS[metric][0]:
            raise InputFormatError(f"SLO key {key!r}: {metric} is per chunk; give a statistic ({metric}_p99_ms)")
        return cls(metric, stat)


def parse_slo(text: str | Mapping[str, float]) -> dict[str, float]:
    """``"ttft_p99_ms=2000,tpot_p99_ms=100"`` (or a mapping, from a plan) -> {key: limit in ms}."""
    items: list[tuple[str, object]]
    if isinstance(text, str):
        items = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, sep, val = part.partition("=")
            if not sep:
                raise InputFormatError(f"--slo: {part!r} is not KEY=MILLISECONDS (e.g. ttft_p99_ms=2000)")
            items.append((name.strip(), val.strip()))
    else:
        items = list(text.items())
    who = "--slo" if isinstance(text, str) else "SLO"  # the option, or a plan's table
    out: dict[str, float] = {}
    for k, v in items:
        key = SloKey.parse(k).name
        try:
            limit = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputFormatError(f"{who} {k}: {str(v)[:40]!r} is not a number of milliseconds") from None
        if not bounds(Milliseconds).contains(limit):
            raise InputFormatError(f"{who} {k}: the limit must be {bounds(Milliseconds).describe()} milliseconds, "
                                   f"not {str(v)[:40]!r}")
        if key in out:
            raise InputFormatError(f"{who} {k} given twice")
        out[key] = limit
    if not out:
        raise InputFormatError("--slo: no limit given (e.g. ttft_p99_ms=2000,tpot_p99_ms=100)")
    return out


def resolve_slo(spec: str | Mapping[str, float], *model_names: str | None) -> tuple[dict[str, float], str | None]:
    """Keys and limits from ``--slo`` or a plan's ``slo``: a preset name, resolved for the model
    named by ``model_names`` (``reportgen.slo_presets``), or keys as ``parse_slo`` reads them.
    Returns (limits, the preset's id or None)."""
    from reportgen.slo_presets import is_preset, preset

    if isinstance(spec, str) and is_preset(spec):
        p = preset(spec, *model_names)
        return p.slo(), p.id
    return parse_slo(spec), None


def slo_spec(text: str, *model_names: str | None) -> dict[str, float] | str:
    """What a command stores from ``--slo``: the limits, or a preset with its class named
    ("mlperf-server:llama3.1-8b"), resolved now so that a bad one fails before anything runs."""
    limits, preset_id = resolve_slo(text, *model_names)
    return preset_id.replace("/", ":", 1) if preset_id else limits


def format_slo(slo: Mapping[str, float]) -> str:
    """The canonical text form (``parse_slo`` reads it back)."""
    return ",".join(f"{k}={v:g}" for k, v in slo.items())


def percentile_keys(slo: Mapping[str, float]) -> list[SloKey]:
    return [k for k in map(SloKey.parse, slo) if k.stat is not None]


def request_keys(slo: Mapping[str, float]) -> list[SloKey]:
    return [k for k in map(SloKey.parse, slo) if k.stat is None]


def _request_value_ms(r: RequestRecord, metric: str, out_tokens: int) -> float | None:
    if r.first_token_s is None or r.end_s is None:
        return None
    if metric == "ttft":
        return (r.first_token_s - r.start_s) * 1000
    if metric == "e2el":
        return (r.end_s - r.start_s) * 1000
    if metric == "tpot":
        return (r.end_s - r.first_token_s) / (out_tokens - 1) * 1000 if out_tokens > 1 else 0.0
    if metric == "tfat":
        return (r.first_answer_s - r.start_s) * 1000 if r.first_answer_s is not None else None
    return None


def request_good(r: RequestRecord, slo: Mapping[str, float], out_tokens: int) -> bool:
    """Whether a successful request meets every per-request limit of ``slo``."""
    for k in request_keys(slo):
        v = _request_value_ms(r, k.metric, out_tokens)
        if v is None or v > slo[k.name]:
            return False
    return True


def stat_value(s: Stats | None, key: SloKey) -> float | None:
    """The statistic a percentile-limit key names, from the cell's ``Stats``."""
    if s is None or key.stat is None:
        return None
    if key.stat == "mean":
        return s.mean
    if key.stat == "median":
        return s.median
    if key.stat == "p90" and s.p90 is not None:
        return s.p90
    if key.stat == "p99" and s.p99 is not None:
        return s.p99
    return s.percentiles.get(key.stat)


def _stats(m: ServingMetrics, metric: str) -> Stats | None:
    s: Stats | None = getattr(m, f"{metric}_ms", None)
    return s


def slo_verdicts(m: ServingMetrics | None, slo: Mapping[str, float]) -> dict[str, bool | None]:
    """Met (True) / not met (False) / unknown (None, no such statistic) per percentile limit."""
    out: dict[str, bool | None] = {}
    for k in percentile_keys(slo):
        v = stat_value(_stats(m, k.metric), k) if m is not None else None
        out[k.name] = None if v is None else v <= slo[k.name]
    return out


def slo_failures(m: ServingMetrics | None, slo: Mapping[str, float]) -> list[str]:
    """The limits a cell does not meet: percentile limits not met or unknown, and
    ``"failed_requests"`` when any request failed (a failed request meets no limit)."""
    out = [k for k, ok in slo_verdicts(m, slo).items() if not ok]
    if m is None or m.completed == 0:
        return out or ["no_requests"]
    if m.failed:
        out.append("failed_requests")
    return out
