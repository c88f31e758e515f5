"""What every serving importer makes: an imported cell, the user's run options, and the metrics of a
printed (or saved) summary, each figure recorded with the printed label it rests on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.importers.labels import PrecisionInfo
from reportgen.importers.ledger import Reading
from reportgen.results import ServingCell, ServingMetrics, Stats

# throughput field -> its count from (completed, input tokens, output tokens)
_RATES: tuple[tuple[str, Callable[[int, int, int], int]], ...] = (
    ("request_throughput", lambda n, tin, tout: n),
    ("input_throughput", lambda n, tin, tout: tin),
    ("output_throughput", lambda n, tin, tout: tout),
    ("total_token_throughput", lambda n, tin, tout: tin + tout),
)
RATE_FIELDS = tuple(name for name, _ in _RATES)  # the throughputs a summary may print


def stats_from(given: Mapping[str, float], n: int) -> Stats:
    """``Stats`` from ``{"mean": .., "median": .., "p99": .., "p95": ..}``: the named fields
    where ``Stats`` has them, every other percentile in ``percentiles``."""
    kw: dict[str, Any] = {}
    pct: dict[str, float] = {}
    for k, v in given.items():
        if k in ("mean", "median", "std", "min", "max", "p90", "p99"):
            kw[k] = v
        else:
            pct[k] = v
    return Stats(n=n, percentiles=pct, **kw)


_STAT_FIELDS = ("mean", "median", "std", "min", "max", "p90", "p99")


def stat_path(metric: str, stat: str) -> str:
    """``("ttft", "p95")`` -> ``metrics.ttft_ms.percentiles.p95``; ``("e2el", "mean")`` ->
    ``metrics.e2el_ms.mean``: where a printed statistic goes."""
    where = stat if stat in _STAT_FIELDS else f"percentiles.{stat}"
    return f"metrics.{metric}_ms.{where}"


def summary_metrics(
    values: Mapping[str, float],
    stats: Mapping[str, Mapping[str, float]],
    *,
    failed: int,
    derived: list[str],
    reading: Reading | None = None,
    labels: Mapping[str, str] | None = None,
    **extra: Any,
) -> ServingMetrics:
    """``ServingMetrics`` from a printed (or saved) summary, shared by the serving importers.

    ``values`` holds ``completed``, ``duration_s``, ``total_input_tokens``, ``total_output_tokens``
    and whichever throughputs were given (by field name); a throughput not given is count /
    duration and its name is appended to ``derived``. ``stats``: metric ("ttft", "tpot", "itl",
    "e2el") -> the statistics given (n = completed). ``extra``: further ``ServingMetrics`` fields.
    With a ``reading``, each field is recorded as resting on its printed label (``labels``: value
    key or ``"ttft.p99"`` -> label), a throughput computed here on the labels of its inputs."""
    completed = int(values["completed"])
    duration = values["duration_s"]
    tin, tout = int(values["total_input_tokens"]), int(values["total_output_tokens"])
    lab = dict(labels or {})
    rates: dict[str, float] = {}
    inputs = {"request_throughput": ("completed",), "input_throughput": ("total_input_tokens",),
              "output_throughput": ("total_output_tokens",), "total_token_throughput": ("total_input_tokens", "total_output_tokens")}
    for name, count in _RATES:
        if name in values:
            rates[name] = float(values[name])
        else:
            derived.append(name)
            rates[name] = count(completed, tin, tout) / duration if duration > 0 else 0.0
            if reading is not None:
                reading.rests_on[f"metrics.{name}"] = [lab.get(k, f"metrics.{k}") for k in (*inputs[name], "duration_s")]
    if reading is not None:
        for key in values:
            if key in lab and key not in ("failed",):
                reading.read(f"metrics.{key}", lab[key])
        for metric, given in stats.items():
            for stat in given:
                if f"{metric}.{stat}" in lab:
                    reading.read(stat_path(metric, stat), lab[f"{metric}.{stat}"])

    def mk_stats(name: str) -> Stats | None:
        got = stats.get(name)
        return stats_from(got, completed) if got else None

    return ServingMetrics(
        completed=completed,
        failed=failed,
        duration_s=duration,
        total_input_tokens=tin,
        total_output_tokens=tout,
        **rates,
        ttft_ms=mk_stats("ttft") or Stats(n=completed),
        tpot_ms=mk_stats("tpot") or Stats(n=completed),
        itl_ms=mk_stats("itl"),
        e2el_ms=mk_stats("e2el"),
        **extra,
    )


@dataclass
class ImportedCell:
    """One serving cell read from a file, with the variant it belongs to."""

    cell: ServingCell
    precision: PrecisionInfo
    model_path: str | None = None
    model: str | None = None
    namespace: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # one line each, printed by ``reportgen import``

    @property
    def label(self) -> str:
        return self.precision.label


@dataclass
class RunParams:
    """What the user says about the run (command-line options of ``reportgen import``)."""

    batch_size: int | None = None
    precision: str | None = None
    model: str | None = None
    input_len: int | None = None
    output_len: int | None = None
    dataset: str | None = None
    command: str | None = None
