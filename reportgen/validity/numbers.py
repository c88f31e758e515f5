"""Numbers as printed: a figure with the precision it is known to (``Num``), shared by the rules.

Imported figures are compared allowing for the rounding of the text they were printed as
(``ImportInfo.printed``): a value printed as ``24.37`` lies in [24.365, 24.375]; measured
figures are exact.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from reportgen.metrics import timed_requests
from reportgen.results import RequestRecord, ServingCell, ServingMetrics, Stats
from reportgen.validity.messages import Term


@dataclass(frozen=True)
class Num:
    """A figure and how precisely it is known: ``half`` is half a unit of its last printed
    digit (0 for a computed float); ``text`` is how to show it."""

    value: float
    half: float
    text: str


def eps(*xs: float) -> float:
    return 1e-9 * max([1.0, *(abs(x) for x in xs)])


def lt(a: Num, b: Num) -> bool:
    """a < b beyond what rounding allows."""
    return a.value < b.value - (a.half + b.half) - eps(a.value, b.value)


def ne(a: Num, b: Num) -> bool:
    return abs(a.value - b.value) > (a.half + b.half) + eps(a.value, b.value)


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


@functools.lru_cache(maxsize=4096)  # the same few printed labels, asked about for every cell
def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def printed(cell: ServingCell, key: str) -> str | None:
    """The text the source printed for figure ``key`` (None: not printed, or not imported)."""
    if cell.import_info is None:
        return None
    wanted = _PRINTED_ALIASES.get(key, (_norm(key),))
    for label, text in cell.import_info.printed.items():
        if _norm(label) in wanted:
            return text.strip()
    return None


def decimals(text: str) -> int | None:
    m = re.fullmatch(r"[-+]?\d[\d,]*(?:\.(\d+))?", text.strip())
    if not m:
        return None
    return len(m.group(1) or "")


def _is_json_import(cell: ServingCell) -> bool:
    return cell.import_info is not None and "json" in cell.import_info.format


def was_printed(cell: ServingCell, key: str) -> bool:
    """Whether a figure came from the source (checkable), rather than filled in by the importer."""
    if cell.source != "imported" or cell.import_info is None:
        return True
    # ImportInfo.derived (when the model has it) names the metrics the importer computed itself.
    if key in (getattr(cell.import_info, "derived", None) or ()):
        return False
    if not cell.import_info.printed:
        return True
    return printed(cell, key) is not None


def num(cell: ServingCell, key: str, value: float | None, places: int = 2) -> Num | None:
    """The figure ``key`` of ``cell`` with its rounding: printed text when imported, exact when measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if cell.source == "imported":
        text = printed(cell, key)
        if text is not None:
            d = decimals(text)
            return Num(float(value), 0.5 * 10.0 ** -d if d is not None else 0.0, text)
        if not _is_json_import(cell):
            # vLLM prints every figure with two decimals.
            return Num(float(value), 0.005, f"{value:.2f}")
    return Num(float(value), 0.0, f"{value:.{places}f}")


def duration(cell: ServingCell) -> Num | None:
    m = cell.metrics
    if m is None or m.duration_s <= 0:
        return None
    return num(cell, "duration", m.duration_s, 3)


def stat_nums(cell: ServingCell, metric: str, s: Stats | None) -> dict[str, Num]:
    if s is None:
        return {}
    out: dict[str, Num] = {}
    for stat in ("mean", "median", "p90", "p99", "min", "max"):
        n = num(cell, f"{metric}.{stat}", getattr(s, stat))
        if n is not None:
            out[stat] = n
    return out


METRIC_NAMES = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2el": "E2EL"}
STAT_NAMES: dict[str, Term] = {
    "mean": Term("mean", "均值"),
    "median": Term("median", "中位数"),
    "p90": Term("P90", "P90"),
    "p99": Term("P99", "P99"),
    "min": Term("min", "最小值"),
    "max": Term("max", "最大值"),
}


def stats_of(m: ServingMetrics, metric: str) -> Stats | None:
    s: Stats | None = getattr(m, f"{metric}_ms")
    return s


def n_of(s: Stats, m: ServingMetrics) -> int:
    return s.n if s.n > 0 else m.completed


def ok_records(cell: ServingCell) -> list[RequestRecord]:
    return [r for r in timed_requests(cell.requests) if r.ok]


def span(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


def get(obj: Any, path: str) -> Any:
    """``get(metrics, "ttft_ms.mean")``: None where a step is missing."""
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj
