"""The serving matrix: closed-loop and open-loop cells, warm-up, rounds, saving, resume.

A cell at batch size N runs N workers; each sends ``rounds`` requests one after
another (a closed loop: a worker's next request leaves when its previous one ended),
so N requests are in flight for the whole timed window, like ``vllm bench serve
--max-concurrency N --num-prompts N*rounds`` and like the seed's batch of N.

Before the timed window, ``warmup_requests`` requests of the same shape are sent and
recorded with ``warmup=True`` (excluded from metrics). Then ``/metrics`` is scraped,
``t0 = perf_counter()``, the workers run, ``duration_s`` is taken when the last
request ended, ``/metrics`` is scraped again. Metrics come only from
``reportgen.metrics.serving_metrics(records, duration_s)``.

An open-loop cell (``request_rate`` set) sends ``requests`` requests at the arrival times of
``arrivals.arrival_times`` (Poisson, or gamma with ``burstiness``): each request waits until
``t0 + scheduled_s`` (an absolute time, so a slow send never delays later arrivals) and
records both; nothing caps the requests in flight (vLLM's ``--request-rate`` without
``--max-concurrency``; the cell's ``batch_size`` is 0: no cap, its concurrency is what was achieved).

Prompts come from the cell's dataset (``datasets``); with ``random``, every prompt is distinct (keys name variant, cell, worker and round; see
``prompts``). The cell is handed to ``sink`` the moment it finishes, which saves it;
on cancellation (Ctrl-C) the finished requests are handed over as a cell marked
``interrupted`` and the cancellation propagates. ``--resume`` skips cells that are
present and not interrupted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from collectors.serving import prometheus
from collectors.serving.arrivals import arrival_times
from collectors.serving.client import ENDPOINTS, REQUEST_FUNCS, RequestParams
from collectors.serving.datasets import parse_dataset
from collectors.serving.prompts import PromptFactory, PromptSample
from reportgen.energy import recompute as recompute_energy
from reportgen.metrics import serving_metrics
from reportgen.results import (
    CellKey,
    ModelVariant,
    RequestRecord,
    ServingCell,
    TelemetrySeries,
    key_burstiness,
    utc_now,
)

__all__ = ["CellPlan", "Progress", "Sampler", "find_cell", "run_cell", "run_matrix"]


class Sampler(Protocol):
    """Card telemetry during a cell's timed window (the hardware stage's sampler plugs in here)."""

    def start(self, stage: str) -> None: ...

    def stop(self) -> TelemetrySeries | None: ...


@dataclass(frozen=True)
class CellPlan:
    batch_size: int  # closed loop: concurrent workers; open loop: ignored (= requests)
    input_len: int
    output_len: int
    rounds: int = 1
    warmup_requests: int = 1
    endpoint: str = "completions"  # a REQUEST_FUNCS name
    request_rate: float | None = None  # open loop: target arrivals/s
    burstiness: float = 1.0  # gamma shape of the gaps (1: Poisson)
    requests: int | None = None  # open loop: timed requests
    dataset: str = "random"  # a ``datasets.parse_dataset`` spec
    repeat: int = 0
    slo: tuple[tuple[str, float], ...] = ()  # limits the cell is judged by (``reportgen.slo`` keys)
    slo_preset: str | None = None  # the preset they were resolved from (``reportgen.slo_presets``)

    @property
    def open_loop(self) -> bool:
        return self.request_rate is not None

    @property
    def num_requests(self) -> int:
        if self.request_rate is not None:
            return self.requests or 100
        return self.batch_size * self.rounds

    @property
    def concurrency(self) -> int:
        """The cell's ``batch_size`` as recorded: closed loop, the workers; open loop 0 (nothing
        caps the requests in flight; the concurrency achieved is a result, not a setting)."""
        return 0 if self.open_loop else self.batch_size

    @property
    def max_in_flight(self) -> int:
        """The most requests this cell can have in flight (the HTTP client's connection pool)."""
        return self.num_requests if self.open_loop else self.batch_size

    @property
    def key(self) -> CellKey:
        return CellKey(
            batch_size=self.concurrency, input_len=self.input_len, output_len=self.output_len,
            request_rate=self.request_rate, burstiness=key_burstiness(self.request_rate, self.burstiness),
            dataset=parse_dataset(self.dataset).name, repeat=self.repeat,
        )


class Progress:
    """Callbacks while a matrix runs; the default does nothing (see ``progress.py``)."""

    def cell_started(self, label: str, plan: CellPlan) -> None: ...

    def request_done(self, label: str, plan: CellPlan, record: RequestRecord, done: int, total: int) -> None: ...

    def cell_finished(self, label: str, cell: ServingCell, variant: ModelVariant | None = None) -> None: ...

    def cell_skipped(self, label: str, plan: CellPlan) -> None: ...


def find_cell(variant: ModelVariant, plan: CellPlan) -> ServingCell | None:
    """The measured cell of this shape already in the variant, if any."""
    path = ENDPOINTS[plan.endpoint]
    for c in variant.serving:
        if (
            c.source == "measured"
            and c.key == plan.key
            and (c.endpoint or path) == path
        ):
            return c
    return None


def _prompts(factory: PromptFactory, key: str, plan: CellPlan) -> tuple[list[PromptSample], list[list[PromptSample]]]:
    """Warm-up prompts, and the timed ones per worker (open loop: one list, in sending order)."""
    shape = f"rate{plan.request_rate:g}:n{plan.num_requests}" if plan.open_loop else f"bs{plan.batch_size}"
    base = f"{key}:{plan.endpoint}:{shape}:in{plan.input_len}:out{plan.output_len}"
    if plan.dataset != "random":
        base += f":{plan.dataset}"
    if plan.repeat:
        base += f":rep{plan.repeat}"  # fresh prompts for every repeat
    ds = parse_dataset(plan.dataset)
    warm = [factory.make(f"{base}:warmup{i}", plan.input_len) for i in range(plan.warmup_requests)]
    if plan.open_loop:
        timed = ds.users(factory, base, 1, plan.num_requests, plan.input_len, plan.output_len)
    else:
        timed = ds.users(factory, base, plan.batch_size, plan.rounds, plan.input_len, plan.output_len)
    return warm, timed


async def run_cell(
    client: httpx.AsyncClient,
    factory: PromptFactory,
    plan: CellPlan,
    params: RequestParams,
    *,
    key: str,
    label: str = "",
    variant: ModelVariant | None = None,
    sink: Callable[[ServingCell], None] | None = None,
    progress: Progress | None = None,
    scrape_metrics: bool = True,
    sampler: Sampler | None = None,
) -> ServingCell:
    """Run one cell; hand it to ``sink`` (also when cancelled, marked interrupted).

    ``sampler``, when given, runs during the timed window; its series lands in ``cell.telemetry``
    and the power/energy figures computed from it (``reportgen.energy``) in ``cell.energy``.
    """
    request_fn = REQUEST_FUNCS[plan.endpoint]
    progress = progress or Progress()
    params = _with_max_tokens(params, plan.output_len)
    warm_prompts, timed_prompts = _prompts(factory, key, plan)
    progress.cell_started(label, plan)

    cell = ServingCell(
        batch_size=plan.concurrency,
        input_len=plan.input_len,
        output_len=plan.output_len,
        request_rate=plan.request_rate,
        burstiness=plan.burstiness if plan.open_loop else None,
        dataset=parse_dataset(plan.dataset).name,
        repeat=plan.repeat,
        slo=dict(plan.slo),
        slo_preset=plan.slo_preset,
        num_requests=plan.num_requests,
        rounds=None if plan.open_loop else plan.rounds,
        endpoint=ENDPOINTS[plan.endpoint],
        started_at=utc_now(),
        warmup_requests=plan.warmup_requests,
        prompt_seed=factory.seed,
        prompt_source=factory.tokenizer.source,
        request_params={"model": params.model, "stream": True, **params.body_settings()},
    )
    records: list[RequestRecord] = []
    t0 = time.perf_counter()
    timed_started = False
    before: prometheus.Samples | str | None = None
    try:
        if warm_prompts:
            tw = time.perf_counter()
            warm = await asyncio.gather(
                *(request_fn(client, s, params, t0=tw, index=i, warmup=True) for i, s in enumerate(warm_prompts))
            )
            records.extend(warm)
        if scrape_metrics:
            before = await prometheus.scrape(client)

        total = plan.num_requests
        done = 0

        async def worker(w: int) -> None:
            nonlocal done
            for r, sample in enumerate(timed_prompts[w]):
                rec = await request_fn(client, sample, params, t0=t0, index=r * plan.batch_size + w)
                rec.worker, rec.round = w, r
                records.append(rec)
                done += 1
                progress.request_done(label, plan, rec, done, total)

        async def arrival(i: int, sample: PromptSample, at: float) -> None:
            nonlocal done
            rec = await request_fn(client, sample, params, t0=t0, index=i)
            rec.scheduled_s = at
            records.append(rec)
            done += 1
            progress.request_done(label, plan, rec, done, total)

        async def dispatch() -> None:
            """Start each request when it is due, from one timer at a time: a sleeping task per
            request, all made at t0, kept the loop busy while the first ones came due (and
            every pending timer is work for the loop)."""
            started: list[asyncio.Task[None]] = []
            try:
                for i, (s, at) in enumerate(zip(timed_prompts[0], schedule)):
                    delay = t0 + at - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    started.append(asyncio.ensure_future(arrival(i, s, at)))
                await asyncio.gather(*started)
            finally:
                pending = [t for t in started if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    await asyncio.gather(*pending, return_exceptions=True)

        schedule = (
            arrival_times(plan.num_requests, plan.request_rate, plan.burstiness, seed=_schedule_seed(factory.seed, key, plan))
            if plan.request_rate is not None
            else []
        )
        if sampler is not None:
            sampler.start(f"serving:{label}:" + (f"rate{plan.request_rate:g}" if plan.open_loop else f"bs{plan.batch_size}"))
        t0 = time.perf_counter()
        timed_started = True
        try:
            if plan.open_loop:
                await dispatch()
            else:
                await asyncio.gather(*(worker(w) for w in range(plan.batch_size)))
            cell.duration_s = time.perf_counter() - t0
        finally:
            if sampler is not None:
                cell.telemetry = sampler.stop()
    except asyncio.CancelledError:
        if timed_started and cell.duration_s is None:
            cell.duration_s = time.perf_counter() - t0
        cell.interrupted = True
        cell.notes.append("interrupted before the cell finished; only finished requests are kept")
        _finish(cell, records)
        if sink:
            sink(cell)
        raise
    if scrape_metrics:
        after = await prometheus.scrape(client)
        cell.server_metrics = prometheus.delta(before, after)
    _finish(cell, records)
    if sink:
        sink(cell)
    progress.cell_finished(label, cell, variant)
    return cell


def _schedule_seed(seed: int, key: str, plan: CellPlan) -> int:
    """The arrival schedule's seed: recorded prompt seed + the cell, so a rerun draws the same times."""
    import hashlib

    h = hashlib.sha256(f"{seed}:{key}:{plan.request_rate}:{plan.num_requests}:{plan.repeat}".encode()).hexdigest()
    return int(h[:12], 16)


def _finish(cell: ServingCell, records: list[RequestRecord]) -> None:
    records.sort(key=lambda r: (not r.warmup, r.index))
    cell.requests = records
    cell.finished_at = utc_now()
    if any(not r.warmup for r in records):
        cell.metrics = serving_metrics(records, cell.duration_s, cell.slo)
    cell.energy = recompute_energy(cell)


def _with_max_tokens(params: RequestParams, n: int) -> RequestParams:
    from dataclasses import replace

    return params if params.max_tokens == n else replace(params, max_tokens=n)


async def run_matrix(
    client: httpx.AsyncClient,
    factory: PromptFactory,
    variant: ModelVariant,
    plans: Sequence[CellPlan],
    params: RequestParams,
    *,
    save: Callable[[], object],
    resume: bool = False,
    progress: Progress | None = None,
    scrape_metrics: bool = True,
    key: str | None = None,
    sampler: Sampler | None = None,
) -> list[ServingCell]:
    """Run every cell of ``plans`` into ``variant.serving``, calling ``save()`` after each.

    With ``resume``, cells already present and not interrupted are skipped; a present
    cell is otherwise replaced by the new measurement.
    """
    progress = progress or Progress()
    out: list[ServingCell] = []
    for plan in plans:
        old = find_cell(variant, plan)
        if resume and old is not None and not old.interrupted:
            progress.cell_skipped(variant.label, plan)
            out.append(old)
            continue

        def sink(cell: ServingCell, old: ServingCell | None = old, plan: CellPlan = plan) -> None:
            cur = old if old is not None else find_cell(variant, plan)
            for i, c in enumerate(variant.serving):
                if c is cur:
                    variant.serving[i] = cell
                    break
            else:
                variant.serving.append(cell)
            save()

        cell = await run_cell(
            client,
            factory,
            plan,
            params,
            key=key or variant.label,
            label=variant.label,
            variant=variant,
            sink=sink,
            progress=progress,
            scrape_metrics=scrape_metrics,
            sampler=sampler,
        )
        out.append(cell)
    return out

