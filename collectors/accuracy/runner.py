"""Run benchmarks against an OpenAI-compatible chat endpoint and score every answer.

One request per question: a single ``user`` message to ``/v1/chat/completions``, temperature 0,
max_tokens 512 (what ms-swift 2.x sent). ``concurrency`` workers pull questions from one queue,
so the server always has ``concurrency`` requests in flight until the queue runs dry. Every
finished question becomes a ``SampleRecord``; the store is saved every ``save_every`` records
and at the end, and ``resume`` skips the questions already scored. Scores are recomputed from
the stored responses at the end, so a resumed run is scored by one extractor version.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from collectors import answers
from collectors.accuracy.datasets import Item
from collectors.accuracy.extract import get_extractor
from collectors.accuracy.tasks import MODES, Task, get_task
from collectors.auth import bearer
from reportgen.errors import ReportgenError, ServerError
from reportgen.results import AccuracyResult, ResultsStore, SampleRecord, SubsetScore, ids_sha256, utc_now

DEFAULT_TASKS = ("ceval", "gsm8k", "mmlu", "bbh")


@dataclass
class EvalConfig:
    base_url: str  # server root: http://HOST:PORT
    model: str
    data_dir: Path
    tasks: tuple[str, ...] = DEFAULT_TASKS
    mode: str = "corrected"
    precision: str = "FP16"  # the variant label the results go under
    limit: int | None = None  # questions per benchmark, stratified by subject
    concurrency: int = 64
    max_tokens: int = 512
    temperature: float = 0.0
    timeout_s: float = 600.0
    retries: int = 2  # extra attempts after a connection error or a 5xx answer
    save_every: int = 200  # save after this many new records ...
    save_min_gap_s: float = 2.0  # ... but not more often than this (a save rewrites the whole file)
    resume: bool = False
    keep_prompts: bool = False
    seed: int = 0  # of the --limit sample
    api_key: str | None = None  # sent as a bearer token, never stored
    command: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- selection


def select_items(items: list[Item], limit: int | None, seed: int = 0) -> list[Item]:
    """All items, or ``limit`` of them spread over the subsets in proportion to their size
    (largest remainders; every subset gets one before any gets two when ``limit`` is small),
    each subset's share drawn by a seeded shuffle. Deterministic; file order is kept."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    by_subset: dict[str, list[Item]] = {}
    for it in items:
        by_subset.setdefault(it.subset, []).append(it)
    total = len(items)
    names = sorted(by_subset)
    quota = {s: limit * len(by_subset[s]) // total for s in names}
    remainder = sorted(names, key=lambda s: (-(limit * len(by_subset[s]) % total), s))
    left = limit - sum(quota.values())
    if limit < len(names):  # too few to cover every subset: one each, by a seeded draw
        quota = dict.fromkeys(names, 0)
        for s in random.Random(f"{seed}:subsets").sample(names, limit):
            quota[s] = 1
        left = 0
    for s in remainder[:left]:
        quota[s] += 1
    chosen: set[str] = set()
    for s in names:
        pool = list(by_subset[s])
        random.Random(f"{seed}:{s}").shuffle(pool)
        chosen.update(it.id for it in pool[: quota[s]])
    return [it for it in items if it.id in chosen]


# --------------------------------------------------------------------------- scoring


def score_sample(task: Task, mode: str, item: Item, response: str) -> tuple[str | None, str, bool]:
    spec = task.mode(mode)
    extracted = get_extractor(spec.extractor_name(item.subset))(response)
    gold = spec.gold(item)
    return extracted, gold, bool(spec.match(extracted, gold))


def aggregate(result: AccuracyResult, task: Task, ctx: dict[str, Any], planned: list[Item]) -> None:
    """Fill n / correct / score (micro) / macro / unparsed / errors and the per-subset rows, over
    the planned questions only."""
    planned_ids = {it.id for it in planned}
    planned_per: dict[str, int] = {}
    for it in planned:
        planned_per[it.subset] = planned_per.get(it.subset, 0) + 1
    rows: dict[str, SubsetScore] = {}
    for s in sorted(planned_per):
        label, category = task.describe(ctx, s)
        rows[s] = SubsetScore(name=s, n=0, correct=0, score=0.0, label=label, category=category, n_planned=planned_per[s])
    errors = 0
    for rec in result.samples:
        if rec.id not in planned_ids:
            continue
        if rec.correct is None:
            errors += 1
            continue
        row = rows.get(rec.subset or "")
        if row is None:
            continue
        row.n += 1
        row.correct += int(rec.correct)
        row.unparsed += int(rec.extracted is None)
    for row in rows.values():
        row.score = row.correct / row.n if row.n else 0.0
    scored = [r for r in rows.values() if r.n]
    result.subsets = list(rows.values())
    result.n = sum(r.n for r in scored)
    result.correct = sum(r.correct for r in scored)
    result.unparsed = sum(r.unparsed for r in scored)
    result.errors = errors
    result.score = result.correct / result.n if result.n else None
    result.macro = sum(r.score for r in scored) / len(scored) if scored else None
    scored_ids = [rec.id for rec in result.samples if rec.id in planned_ids and rec.correct is not None]
    result.question_ids_sha256 = ids_sha256(scored_ids) if scored_ids else None


# --------------------------------------------------------------------------- progress


class Progress:
    """One status line: a redrawn bar on a terminal, a line every 10 % (or 30 s) otherwise."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, done: int = 0) -> None:
        self.label, self.total, self.stream = label, total, stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.monotonic()
        self.start_done = done
        self.last_print = 0.0
        self.last_decile = -1

    def update(self, done: int, correct: int, errors: int, final: bool = False) -> None:
        now = time.monotonic()
        frac = done / self.total if self.total else 1.0
        decile = int(frac * 10)
        if not final and not self.tty and decile == self.last_decile and now - self.last_print < 30:
            return
        if not final and self.tty and now - self.last_print < 0.2:
            return
        self.last_print, self.last_decile = now, decile
        elapsed = now - self.t0
        rate = (done - self.start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("nan")
        scored = done - errors
        acc = f"{correct / scored:.4f}" if scored else "-"
        bar = "#" * int(frac * 20)
        line = (
            f"{self.label} [{bar:<20}] {done}/{self.total} acc {acc} errors {errors} "
            f"{rate:.1f} q/s " + (f"ETA {eta:.0f}s" if eta == eta else "")
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


# --------------------------------------------------------------------------- requests


def _client(cfg: EvalConfig) -> httpx.AsyncClient:
    """httpx over aiohttp with the shared answer limits (``collectors.answers``)."""
    headers = bearer(cfg.api_key)
    return httpx.AsyncClient(
        base_url=cfg.base_url.rstrip("/"),
        transport=answers.async_transport(cfg.concurrency),
        timeout=httpx.Timeout(cfg.timeout_s, connect=30.0),
        headers=headers,
        trust_env=False,
    )


async def check_server(client: httpx.AsyncClient, cfg: EvalConfig) -> None:
    """GET /v1/models: the server answers and serves ``cfg.model``."""
    where = f"{cfg.base_url}/v1/models"
    try:
        async with client.stream("GET", "/v1/models", timeout=30.0) as r:
            if r.status_code != 200:
                raise ServerError(f"{where} answered HTTP {r.status_code}")
            ids = answers.model_ids(await answers.aread_body(r, where), where)
    except httpx.RemoteProtocolError as e:  # it answered, with bytes past the shared limits
        raise ServerError(f"{where}: {e}") from None
    except httpx.HTTPError as e:
        raise ServerError(f"{cfg.base_url}: cannot reach the server: {type(e).__name__}: {e}".rstrip(": ")) from None
    if ids and cfg.model not in ids:
        raise ServerError(f"{cfg.base_url} does not serve model {cfg.model!r}; it serves: {', '.join(ids)}")


async def chat_once(
    client: httpx.AsyncClient, cfg: EvalConfig, prompt: str, request_id: str
) -> tuple[str | None, dict[str, Any]]:
    """(text, info) where info has finish_reason, completion_tokens, latency_s, problems (parts of
    the answer of another shape, dropped) or error. Every answer, however malformed, is one of these."""
    body = {
        "model": cfg.model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
    }
    where = "/v1/chat/completions"
    error = "no attempt"
    for attempt in range(cfg.retries + 1):
        if attempt:
            await asyncio.sleep(min(2.0**attempt, 10.0))
        t0 = time.perf_counter()
        try:
            async with client.stream("POST", where, json=body, headers={"X-Request-Id": request_id}) as r:
                status = r.status_code
                data = await answers.aread_body(r, where)
        except answers.LimitExceeded as e:  # the same answer again on a retry
            return None, {"error": str(e), "latency_s": time.perf_counter() - t0}
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}".rstrip(": ")
            continue
        except answers.AnswerError as e:
            return None, {"error": str(e), "latency_s": time.perf_counter() - t0}
        latency = time.perf_counter() - t0
        if status >= 500:
            error = f"HTTP {status}: {_quote(data)}"
            continue
        if status != 200:
            return None, {"error": f"HTTP {status}: {_quote(data)}", "latency_s": latency}
        try:
            reply = answers.chat_reply(answers.parse_answer(data, where), where)
        except answers.AnswerError as e:
            return None, {"error": f"unexpected answer: {e}", "latency_s": latency}
        return reply.text, {
            "finish_reason": reply.finish_reason,
            "completion_tokens": reply.completion_tokens,
            "latency_s": latency,
            "problems": reply.problems,
        }
    return None, {"error": error}


def _quote(data: bytes) -> str:
    return data[:800].decode("utf-8", "replace")[:200]


# --------------------------------------------------------------------------- one benchmark


def _existing(store: ResultsStore, cfg: EvalConfig, benchmark: str) -> AccuracyResult | None:
    variant = store.results.variant(cfg.precision)
    for r in variant.accuracy:
        if r.benchmark == benchmark and r.mode == cfg.mode and r.source == "measured":
            return r
    return None


async def run_task(
    client: httpx.AsyncClient,
    store: ResultsStore,
    cfg: EvalConfig,
    task: Task,
    stream: TextIO | None = None,
) -> AccuracyResult:
    spec = task.mode(cfg.mode)
    root = Path(cfg.data_dir)
    items = task.load(root, task.split)
    ctx = task.context(root)
    planned = select_items(items, cfg.limit, cfg.seed)
    by_id = {it.id: it for it in planned}

    variant = store.results.variant(cfg.precision)
    if variant.served_model_name is None:
        variant.served_model_name = cfg.model
    result = _existing(store, cfg, task.name)
    if result is not None and not cfg.resume:
        raise ReportgenError(
            f"{store.path} already holds {cfg.precision} {task.name} ({cfg.mode}); "
            "add --resume to continue it, or write to another file with -o"
        )
    if result is None:
        result = AccuracyResult(benchmark=task.name, mode=cfg.mode)
        variant.accuracy.append(result)
    if result.model and result.model != cfg.model:
        raise ReportgenError(
            f"{store.path}: {cfg.precision} {task.name} ({cfg.mode}) was run against model {result.model!r}, "
            f"not {cfg.model!r}; use another --precision label or another file"
        )
    # keep every answer (also those outside a smaller --limit); failed requests are tried again
    result.samples = [s for s in result.samples if s.error is None and s.response is not None]
    done_ids = {s.id for s in result.samples if s.id in by_id}
    result.split = task.split
    result.shots = spec.shots
    result.task_version = task.version
    result.extractor = spec.extractor
    result.n_planned = len(planned)
    result.n_total = len(items)
    result.model = cfg.model
    result.base_url = cfg.base_url
    result.command = cfg.command
    result.started_at = result.started_at if (cfg.resume and result.started_at) else utc_now()
    result.finished_at = None
    result.settings = {
        "endpoint": "/v1/chat/completions",
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
        "concurrency": cfg.concurrency,
        "limit": cfg.limit,
        "seed": cfg.seed,
        "aggregation": "micro (score) and macro over subsets",
        **cfg.extra,
    }
    store.save()

    pending = [it for it in planned if it.id not in done_ids]
    queue: asyncio.Queue[Item] = asyncio.Queue()
    for it in pending:
        queue.put_nowait(it)
    nonce = uuid.uuid4().hex[:8]
    state = {
        "done": len(done_ids),
        "correct": sum(bool(s.correct) for s in result.samples if s.id in done_ids),
        "errors": 0,
        "since_save": 0,
    }
    last_save = [time.monotonic()]
    # Incremental saves run in a thread so that writing and fsync never stall the requests; the
    # JSON itself is produced by pydantic-core under the GIL, so it is a consistent snapshot.
    saving: list[asyncio.Task[Any]] = []
    progress = Progress(f"{cfg.precision} {task.name} ({cfg.mode})", len(planned), stream, done=len(done_ids))
    t0 = time.perf_counter()

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            prompt = spec.prompt(item, ctx)
            text, info = await chat_once(client, cfg, prompt, f"{task.name}/{item.id}/{nonce}")
            rec = SampleRecord(
                id=item.id,
                subset=item.subset,
                prompt=prompt if cfg.keep_prompts else None,
                response=text,
                error=info.get("error"),
                finish_reason=info.get("finish_reason"),
                completion_tokens=info.get("completion_tokens"),
                latency_s=info.get("latency_s"),
                answer_problems=info.get("problems") or [],
            )
            if text is not None:
                rec.extracted, rec.gold, rec.correct = score_sample(task, cfg.mode, item, text)
                state["correct"] += int(rec.correct)
            else:
                rec.gold = spec.gold(item)
                state["errors"] += 1
            result.samples.append(rec)
            state["done"] += 1
            state["since_save"] += 1
            if saving and saving[-1].done():
                saving.pop().result()  # re-raise a failed save here
            if (
                state["since_save"] >= cfg.save_every
                and not saving
                and time.monotonic() - last_save[0] >= cfg.save_min_gap_s
            ):
                state["since_save"] = 0
                saving.append(asyncio.create_task(asyncio.to_thread(store.save)))
                last_save[0] = time.monotonic()
            progress.update(state["done"], state["correct"], state["errors"])

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(cfg.concurrency, len(pending) or 1)))))
    finally:
        if saving:
            await asyncio.gather(*saving, return_exceptions=True)  # the final save below supersedes it
        order = {it.id: i for i, it in enumerate(planned)}
        result.samples.sort(key=lambda s: order.get(s.id, len(order)))
        for rec in result.samples:  # rescore from the stored responses (one extractor version)
            if rec.response is not None and rec.error is None and rec.id in by_id:
                rec.extracted, rec.gold, rec.correct = score_sample(task, cfg.mode, by_id[rec.id], rec.response)
        aggregate(result, task, ctx, planned)
        result.duration_s = (result.duration_s or 0.0) if cfg.resume else 0.0
        result.duration_s += time.perf_counter() - t0
        result.finished_at = utc_now()
        store.save()
    progress.update(state["done"], state["correct"], state["errors"], final=True)
    if pending and state["errors"] == len(pending):
        first = next(s.error for s in result.samples if s.error)
        raise ServerError(f"{task.name}: all {len(pending)} requests failed; first error: {first}")
    return result


async def run_eval_async(store: ResultsStore, cfg: EvalConfig, stream: TextIO | None = None) -> list[AccuracyResult]:
    if cfg.mode not in MODES:
        raise ReportgenError(f"unknown mode {cfg.mode!r}; known: {', '.join(MODES)}")
    if cfg.concurrency < 1:
        raise ReportgenError(f"concurrency must be at least 1, not {cfg.concurrency}")
    tasks = [get_task(name) for name in cfg.tasks]
    if not Path(cfg.data_dir).is_dir():
        from reportgen.errors import InputFormatError

        raise InputFormatError(f"{cfg.data_dir}: no such data directory")
    for t in tasks:  # fail on bad data before the first request
        t.load(Path(cfg.data_dir), t.split)
    out = []
    async with _client(cfg) as client:
        await check_server(client, cfg)
        for t in tasks:
            out.append(await run_task(client, store, cfg, t, stream))
    return out


def run_eval(store: ResultsStore, cfg: EvalConfig, stream: TextIO | None = None) -> list[AccuracyResult]:
    return asyncio.run(run_eval_async(store, cfg, stream))


def parse_tasks(text: str | Iterable[str]) -> tuple[str, ...]:
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    for n in names:
        get_task(n)
    if not names:
        raise ReportgenError("no benchmark named; known: " + ", ".join(DEFAULT_TASKS))
    return tuple(dict.fromkeys(names))

