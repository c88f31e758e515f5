"""Capacity search: the largest concurrency (or request rate) at which every SLO is met.

Doubling from ``start`` (1, 2, 4, … up to ``max_value``) until a probe fails, then bisection
between the last value that met the SLOs and the first that did not: to one request for
concurrency, to 5 % for a rate. The search assumes latency grows with load (a probe that
meets the SLOs above one that fails would not be looked for); every probe is kept so the
load curve can be checked.

Each probe is a full cell (``runner.run_cell``) with enough requests for its P99: closed loop
with ``rounds`` (>= 5) requests per worker, or open loop with ``num_requests`` (>= 100)
Poisson arrivals. A probe meets the SLOs when every percentile limit holds and no request
failed (``reportgen.slo.slo_failures``). Probe prompts are keyed ``LABEL:capacity:…``, apart
from the matrix's, so the server's prefix cache cannot flatter a probe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from collectors.serving.client import RequestParams
from collectors.serving.prompts import PromptFactory
from collectors.serving.runner import CellPlan, Progress, Sampler, run_cell
from reportgen.ranges import capacity_range, capacity_start_problem
from reportgen.results import CapacityProbe, CapacitySearch, ModelVariant, utc_now
from reportgen.slo import format_slo, percentile_keys, slo_failures

__all__ = ["SearchSettings", "capacity_line", "find_search", "run_search"]

RATE_PRECISION = 0.05  # a rate search stops when (failed - met) / met <= 5 %


@dataclass(frozen=True)
class SearchSettings:
    slo: dict[str, float]
    by: str = "concurrency"  # or "rate"
    input_len: int = 8192
    output_len: int = 256
    max_value: float = 256
    start: float = 1.0
    rounds: int = 5  # by concurrency: requests per probe = rounds x concurrency
    num_requests: int = 100  # by rate
    warmup_requests: int = 1
    endpoint: str = "completions"
    dataset: str = "random"
    burstiness: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)
    slo_preset: str | None = None  # the preset ``slo`` was resolved from (``reportgen.slo_presets``)

    def __post_init__(self) -> None:
        if not percentile_keys(self.slo):
            raise ValueError("a capacity search needs at least one percentile limit (ttft_p99_ms, ...)")
        why = capacity_start_problem(self.by, self.start, self.max_value)
        if why:
            raise ValueError(f"start: {why}")

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the search may probe (``reportgen.ranges.capacity_range``)."""
        return capacity_range(self.by, self.max_value)

    def plan(self, value: float) -> CellPlan:
        slo = tuple(self.slo.items())
        common = dict(input_len=self.input_len, output_len=self.output_len, warmup_requests=self.warmup_requests,
                      endpoint=self.endpoint, dataset=self.dataset, slo=slo, slo_preset=self.slo_preset)
        if self.by == "rate":
            n = max(100, self.num_requests)
            return CellPlan(batch_size=n, request_rate=value, burstiness=self.burstiness, requests=n, **common)  # type: ignore[arg-type]
        return CellPlan(batch_size=int(value), rounds=max(5, self.rounds), **common)  # type: ignore[arg-type]


def find_search(variant: ModelVariant, s: SearchSettings) -> CapacitySearch | None:
    """The variant's finished search with these settings, if any (``--resume``)."""
    for c in variant.capacity:
        if (c.by, c.slo, c.input_len, c.output_len) == (s.by, s.slo, s.input_len, s.output_len) and c.finished_at:
            return c
    return None


async def run_search(
    client: httpx.AsyncClient,
    factory: PromptFactory,
    variant: ModelVariant,
    s: SearchSettings,
    params: RequestParams,
    *,
    save: Callable[[], object] = lambda: None,
    progress: Progress | None = None,
    scrape_metrics: bool = True,
    sampler: Sampler | None = None,
    command: str | None = None,
) -> CapacitySearch:
    """Run the search into ``variant.capacity`` (replacing one with the same settings), saving after each probe."""
    from collectors.serving.datasets import parse_dataset

    search = CapacitySearch(
        by=s.by,  # type: ignore[arg-type]
        slo=dict(s.slo), slo_preset=s.slo_preset, input_len=s.input_len, output_len=s.output_len,
        dataset=parse_dataset(s.dataset).name,
        max_value=s.bounds[1], min_value=s.bounds[0], start=s.start, started_at=utc_now(), command=command,
    )
    variant.capacity = [
        c for c in variant.capacity if (c.by, c.slo, c.input_len, c.output_len) != (s.by, s.slo, s.input_len, s.output_len)
    ]
    variant.capacity.append(search)
    save()

    async def probe(value: float) -> bool:
        cell = await run_cell(
            client, factory, s.plan(value), params, key=f"{variant.label}:capacity", label=variant.label, variant=variant,
            progress=progress, scrape_metrics=scrape_metrics, sampler=sampler,
        )
        failed = slo_failures(cell.metrics, s.slo)
        search.probes.append(CapacityProbe(value=value, met=not failed, cell=cell, failed_limits=failed))
        save()
        return not failed

    integer = s.by == "concurrency"
    lo, top = s.bounds
    v = min(max(lo, math.floor(s.start) if integer else s.start), top)  # __post_init__ refused a start outside
    met: float | None = None
    failed: float | None = None
    while True:  # doubling
        if await probe(v):
            met = v
            if v >= top:
                search.reason = f"met the SLOs at the upper bound {top:g}; the capacity may be higher"
                break
            v = min(v * 2, top)
        else:
            failed = v
            break
    if met is None:
        search.reason = f"not even {v:g} met the SLOs"
    elif failed is not None:
        while (failed - met > 1) if integer else ((failed - met) / met > RATE_PRECISION):
            mid = (met + failed) // 2 if integer else (met + failed) / 2
            if await probe(mid):
                met = mid
            else:
                failed = mid
    search.capacity = met
    search.finished_at = utc_now()
    save()
    return search


def capacity_line(label: str, search: CapacitySearch) -> str:
    """The answer in one line, e.g. ``FP16: 5 concurrent requests meet ttft_p99_ms=150 (6 probes)``."""
    slo = format_slo(search.slo)
    n = len(search.probes)
    if search.capacity is None:
        return f"{label}: no {search.by} meets {slo} ({search.reason or 'no probe met'}; {n} probes)"
    what = f"{search.capacity:g} concurrent requests" if search.by == "concurrency" else f"{search.capacity:.3g} requests/s"
    tail = f"; {search.reason}" if search.reason else ""
    return f"{label}: capacity {what} within {slo} ({n} probes{tail})"
