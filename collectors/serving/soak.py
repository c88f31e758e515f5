"""Soak: one constant load held for a long time, measured in windows (``reportgen soak``).

A closed loop of ``concurrency`` workers (each sends its next request when the previous one
ended) or an open loop of Poisson arrivals at ``request_rate`` runs for ``duration_s`` of
measured time. Every ``window_s`` the window is closed: the requests that finished in it
(``time.perf_counter`` when the request returned) become ``SoakWindow.requests`` with their
times shifted to the window's start and their chunk arrival times dropped (a soak sends tens of
thousands of requests), ``reportgen.metrics.serving_metrics`` gives the window's figures, the
card telemetry sampler is stopped and restarted (one series per window, ``reportgen.energy``
gives power and energy as for a cell), and ``/metrics`` is read for the server's
``process_start_time_seconds`` (a restart changes it). The results are saved after every window.

At the end no new request is sent; the ones in flight finish and are kept as ``tail_requests``
(in no window: counting them would show the load tapering off). On an interrupt (Ctrl-C) the
window in progress is kept marked ``interrupted`` and the run stays unfinished; ``--resume``
continues it with the measured time left, numbering windows on, so no finished window is lost.

Prompts are distinct (keys name the variant, the run, the worker and the request), made ahead
in a worker thread so that tokenizing never stalls the load.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

import httpx

from collectors.serving import prometheus
from collectors.serving.arrivals import arrival_times
from collectors.serving.client import ENDPOINTS, REQUEST_FUNCS, RequestParams
from collectors.serving.prompts import PromptFactory, PromptSample
from collectors.serving.runner import Sampler
from reportgen.energy import energy_metrics
from reportgen.metrics import serving_metrics
from reportgen.results import ModelVariant, RequestRecord, SoakRun, SoakWindow, utc_now

__all__ = ["SoakProgress", "SoakSettings", "find_soak", "process_start_time", "run_soak"]

START_TIME_METRIC = "process_start_time_seconds"


@dataclass(frozen=True)
class SoakSettings:
    duration_s: float
    window_s: float
    concurrency: int | None = None  # closed loop
    request_rate: float | None = None  # open loop (Poisson)
    input_len: int = 2048
    output_len: int = 256
    warmup_requests: int = 1
    endpoint: str = "completions"
    slo: dict[str, float] = field(default_factory=dict)
    slo_preset: str | None = None
    load_origin: str = "given"  # "given", "operating_point", "capacity"

    def __post_init__(self) -> None:
        if (self.concurrency is None) == (self.request_rate is None):
            raise ValueError("a soak needs a concurrency or a request rate (one of them)")
        if not (self.duration_s > 0 and self.window_s > 0 and self.window_s <= self.duration_s):
            raise ValueError("a soak needs positive duration and window, the window no longer than the run")

    @property
    def by(self) -> str:
        return "concurrency" if self.concurrency is not None else "rate"

    def same(self, run: SoakRun) -> bool:
        """Whether ``run`` was started with these settings (``--resume`` continues it)."""
        return (run.by, run.concurrency, run.request_rate, run.input_len, run.output_len, run.duration_s, run.window_s) == (
            self.by, self.concurrency, self.request_rate, self.input_len, self.output_len, self.duration_s, self.window_s)


class SoakProgress:
    """Callbacks while a soak runs; the default does nothing (``commands/soak.py`` prints)."""

    def started(self, label: str, run: SoakRun, left_s: float) -> None: ...

    def window_done(self, label: str, run: SoakRun, window: SoakWindow, left_s: float) -> None: ...

    def finished(self, label: str, run: SoakRun) -> None: ...


def find_soak(variant: ModelVariant, s: SoakSettings, *, unfinished: bool = True) -> SoakRun | None:
    """The variant's soak run with these settings: the unfinished one (to continue), or with
    ``unfinished=False`` a finished one (nothing left to do)."""
    for run in reversed(variant.soak):
        if s.same(run) and (run.finished_at is None) == unfinished:
            return run
    return None


def process_start_time(samples: prometheus.Samples | str) -> tuple[float | None, str | None]:
    """(the server process's start time in Unix seconds, or None with the reason) from a scrape."""
    if isinstance(samples, str):
        return None, samples
    values = [v for k, v in samples.items() if k.split("{", 1)[0] == START_TIME_METRIC]
    if not values:
        return None, f"/metrics has no {START_TIME_METRIC}"
    return max(values), None  # several processes (API server, engine): the newest start


def _shifted(r: RequestRecord, dt: float) -> RequestRecord:
    """The record with its times moved by ``-dt`` and its chunk arrival times dropped."""
    def sh(x: float | None) -> float | None:
        return None if x is None else x - dt

    return r.model_copy(update={
        "start_s": r.start_s - dt, "first_token_s": sh(r.first_token_s), "end_s": sh(r.end_s), "chunk_times_s": [],
        "scheduled_s": sh(r.scheduled_s), "first_answer_s": sh(r.first_answer_s),
    })


async def run_soak(
    client: httpx.AsyncClient,
    factory: PromptFactory,
    variant: ModelVariant,
    s: SoakSettings,
    params: RequestParams,
    *,
    save: Callable[[], object] = lambda: None,
    progress: SoakProgress | None = None,
    sampler: Sampler | None = None,
    command: str | None = None,
    resume: bool = False,
) -> SoakRun:
    """Run (or with ``resume`` continue) one soak into ``variant.soak``; saves after every window."""
    progress = progress or SoakProgress()
    request_fn = REQUEST_FUNCS[s.endpoint]
    params = params if params.max_tokens == s.output_len else replace(params, max_tokens=s.output_len)
    run = find_soak(variant, s) if resume else None
    if run is None:
        run = SoakRun(
            by=s.by,  # type: ignore[arg-type]
            concurrency=s.concurrency, request_rate=s.request_rate, load_origin=s.load_origin,  # type: ignore[arg-type]
            input_len=s.input_len, output_len=s.output_len, endpoint=ENDPOINTS[s.endpoint], duration_s=s.duration_s,
            window_s=s.window_s, slo=dict(s.slo), slo_preset=s.slo_preset, started_at=utc_now(),
            warmup_requests=s.warmup_requests, prompt_seed=factory.seed, prompt_source=factory.tokenizer.source,
            request_params={"model": params.model, "stream": True, **params.body_settings()}, command=command,
        )
        variant.soak.append(run)
    else:
        run.resumed_at.append(utc_now())
    offset = run.measured_s  # soak time already measured (interrupted windows are measured again)
    left = max(0.0, s.duration_s - offset)
    session = f"{variant.label}:soak:{run.started_at.isoformat() if run.started_at else ''}:{len(run.resumed_at)}"
    save()
    progress.started(variant.label, run, left)
    if left <= 0:
        run.finished_at = run.finished_at or utc_now()
        save()
        return run

    # prompts, made ahead in a thread
    queue: asyncio.Queue[PromptSample] = asyncio.Queue(maxsize=max(4, 2 * (s.concurrency or 8)))

    async def producer() -> None:
        k = 0
        while True:
            sample = await asyncio.to_thread(factory.make, f"{session}:{k}", s.input_len)
            k += 1
            await queue.put(sample)

    maker = asyncio.create_task(producer())
    done: list[tuple[float, RequestRecord]] = []  # (perf time the request returned, record)
    t0 = time.perf_counter()
    try:
        if s.warmup_requests:
            warm = [await queue.get() for _ in range(s.warmup_requests)]
            tw = time.perf_counter()
            await asyncio.gather(*(request_fn(client, w, params, t0=tw, index=i, warmup=True) for i, w in enumerate(warm)))
        deadline = [math.inf]
        t0 = time.perf_counter()
        deadline[0] = t0 + left
        counter = [0]

        async def send(sample: PromptSample, scheduled: float | None = None) -> None:
            i = counter[0]
            counter[0] += 1
            rec = await request_fn(client, sample, params, t0=t0, index=i)
            if scheduled is not None:
                rec.scheduled_s = scheduled
            done.append((time.perf_counter(), rec))

        async def worker(w: int) -> None:
            while time.perf_counter() < deadline[0]:
                sample = await queue.get()
                if time.perf_counter() >= deadline[0]:
                    break
                await send(sample)

        async def arrivals() -> None:
            assert s.request_rate is not None
            n = int(s.request_rate * left * 1.5) + 100
            seed = int(hashlib.sha256(f"{factory.seed}:{session}".encode()).hexdigest()[:12], 16)
            pending: set[asyncio.Task[None]] = set()
            for at in arrival_times(n, s.request_rate, 1.0, seed=seed):
                if t0 + at >= deadline[0]:
                    break
                delay = t0 + at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(send(await queue.get(), at))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.gather(*pending)

        load = asyncio.gather(*(worker(w) for w in range(s.concurrency))) if s.concurrency else asyncio.gather(arrivals())
        taken = 0
        w_start = t0
        index = len(run.windows)
        if sampler is not None:
            sampler.start(f"soak:{variant.label}:w{index}")
        try:
            while w_start < deadline[0]:
                w_end = min(w_start + s.window_s, deadline[0])
                await asyncio.sleep(max(0.0, w_end - time.perf_counter()))
                now = time.perf_counter()
                mine = [r for at, r in done[taken:] if at <= now]
                taken += len(mine)
                window = await _close(run, index, offset + (w_start - t0), now - w_start, w_start - t0, mine, sampler,
                                      client, interrupted=False)
                index += 1
                save()
                w_start = now
                left_s = max(0.0, deadline[0] - now)
                progress.window_done(variant.label, run, window, left_s)
                if left_s < min(0.5, 0.05 * s.window_s):  # the timer woke a hair early: no sliver of a window
                    break
                if sampler is not None:
                    await asyncio.to_thread(sampler.start, f"soak:{variant.label}:w{index}")
            await load  # no new request after the deadline; the ones in flight finish
        except asyncio.CancelledError:
            now = time.perf_counter()
            mine = [r for at, r in done[taken:] if at <= now]
            if now > w_start + 1e-3 and w_start < deadline[0]:
                await asyncio.shield(_close(run, index, offset + (w_start - t0), now - w_start, w_start - t0, mine,
                                            sampler, None, interrupted=True))
            load.cancel()
            save()
            raise
        run.tail_requests = [_shifted(r, w_start - t0) for _, r in done[taken:]]
        run.finished_at = utc_now()
        save()
        progress.finished(variant.label, run)
        return run
    finally:
        maker.cancel()


async def _close(run: SoakRun, index: int, start_s: float, duration_s: float, shift: float, records: list[RequestRecord],
                 sampler: Sampler | None, client: httpx.AsyncClient | None, *, interrupted: bool) -> SoakWindow:
    """Append the window that ends now: its requests (times from the window's start), metrics,
    telemetry (the sampler is stopped) and the server's start time."""
    recs = [_shifted(r, shift) for r in records]
    window = SoakWindow(index=index, start_s=start_s, duration_s=duration_s, requests=recs, interrupted=interrupted,
                        started_at=utc_now() - timedelta(seconds=duration_s))
    if recs:
        window.metrics = serving_metrics(recs, duration_s, run.slo)
    if sampler is not None:
        window.telemetry = await asyncio.to_thread(sampler.stop)
        out = window.metrics.total_output_tokens if window.metrics else None
        window.energy = energy_metrics(window.telemetry, out, duration_s)
    if client is not None:
        window.server_start_time_s, window.server_scrape_error = process_start_time(await prometheus.scrape(client))
    else:
        window.server_scrape_error = "interrupted before the window's end"
    run.windows.append(window)
    return window
