"""The serving stage: per variant, (launch,) wait, functional check, matrix, (stop).

``run_serving_stage(plan, store, host=None)`` is what ``reportgen collect`` calls;
``measure_variant`` is the part ``reportgen bench`` shares with it. Both save into the
``ResultsStore`` the moment a cell finishes.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click
import httpx

from collectors import answers
from collectors.auth import ApiKey, bearer, variant_api_keys
from collectors.serving.capacity import SearchSettings, find_search, run_search
from collectors.serving.client import RequestParams, make_client
from collectors.serving.progress import ConsoleProgress
from collectors.serving.prompts import LocalTokenizer, PromptFactory, ServerTokenizer, Tokenizer
from collectors.serving.runner import CellPlan, Progress, Sampler, find_cell, run_matrix
from collectors.serving.server import (
    HostServer,
    ServerProcess,
    functional_check,
    server_identity,
    server_info,
    wait_ready,
)
from collectors.serving.soak import SoakProgress, SoakSettings, find_soak, run_soak
from reportgen._io import safe_file_name
from reportgen.errors import ReportgenError, ServerError
from reportgen.plan import CapacityPlan, FunctionalCheckPlan, Plan, ServingPlan, SoakPlan, VariantPlan
from reportgen.redact import is_secret_name, redact_file
from reportgen.results import CapacitySearch, ModelVariant, Results, ResultsStore, ServingCell, SoakRun
from reportgen.slo import resolve_slo

__all__ = [
    "capacity_settings", "cell_plans", "check_alive", "identify_server", "measure_capacity", "measure_variant",
    "NoSoakLoad", "measure_soak", "resolve_model", "run_serving_stage", "soak_settings", "variant_slo",
]


def variant_slo(spec: dict[str, float] | str, variant: ModelVariant) -> tuple[dict[str, float], str | None]:
    """A plan's (or --slo's) limits for this variant: a preset resolved for its model's class."""
    if not spec:
        return {}, None
    return resolve_slo(spec, variant.model, variant.served_model_name, variant.model_path)


def cell_plans(s: ServingPlan, slo: tuple[dict[str, float], str | None] | None = None) -> list[CellPlan]:
    """The cells of the matrix: each batch size (closed loop) or, when ``request_rates`` is set,
    each rate (open loop); every cell ``repeats`` times (repeats of one case next to each other).
    ``slo``: the limits resolved for the variant (``variant_slo``); by default the plan's table."""
    limits, preset = slo if slo is not None else (s.slo if isinstance(s.slo, dict) else {}, None)
    common = dict(
        input_len=s.input_len, output_len=s.output_len, rounds=s.rounds, warmup_requests=s.warmup_requests,
        endpoint=s.endpoint, dataset=s.dataset, slo=tuple(limits.items()), slo_preset=preset,
    )
    out: list[CellPlan] = []
    if s.request_rates:
        for rate in s.request_rates:
            for rep in range(s.repeats):
                out.append(CellPlan(batch_size=s.num_requests, request_rate=rate, burstiness=s.burstiness,
                                    requests=s.num_requests, repeat=rep, **common))  # type: ignore[arg-type]
    else:
        for b in s.batch_sizes:
            for rep in range(s.repeats):
                out.append(CellPlan(batch_size=b, repeat=rep, **common))  # type: ignore[arg-type]
    return out


def request_params(s: ServingPlan, model: str) -> RequestParams:
    return RequestParams(
        model=model,
        max_tokens=s.output_len,
        temperature=s.temperature,
        ignore_eos=s.ignore_eos,
        min_tokens=s.min_tokens,
        request_timeout_s=s.request_timeout_s,
        stall_timeout_s=s.stall_timeout_s,
        keep_text=s.keep_text,
    )


def measure_variant(
    base_url: str,
    variant: ModelVariant,
    settings: ServingPlan,
    store: ResultsStore,
    *,
    model: str,
    tokenizer_dir: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    transport: Any = None,
    sampler: Sampler | None = None,
    api_key: str | None = None,
) -> list[ServingCell]:
    """Run the matrix of ``settings`` against ``base_url`` into ``variant``; saves after each cell."""
    plans = cell_plans(settings, variant_slo(settings.slo, variant))
    if resume and all((c := find_cell(variant, p)) is not None and not c.interrupted for p in plans):
        for p in plans:
            (progress or Progress()).cell_skipped(variant.label, p)
        return [c for p in plans if (c := find_cell(variant, p)) is not None]
    tok: Tokenizer = LocalTokenizer(tokenizer_dir) if tokenizer_dir else ServerTokenizer(base_url, model, api_key=api_key)
    variant.tokenizer = tokenizer_dir or variant.tokenizer
    seed = settings.seed if settings.seed is not None else secrets.randbits(31)
    factory = PromptFactory(tok, seed, chat=settings.endpoint == "chat")
    params = request_params(settings, model)
    concurrency = max(p.max_in_flight for p in plans)

    async def go() -> list[ServingCell]:
        client = make_client(base_url, max(concurrency, max((p.warmup_requests for p in plans), default=1)), transport=transport,
                             api_key=api_key)
        try:
            return await run_matrix(
                client, factory, variant, plans, params,
                save=store.save, resume=resume, progress=progress, scrape_metrics=settings.scrape_metrics,
                sampler=sampler,
            )
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        if isinstance(tok, ServerTokenizer):
            tok.close()


T = TypeVar("T")


def _with_client(base_url: str, model: str, tokenizer_dir: str | None, serving: ServingPlan, endpoint: str, pool: int,
                 transport: Any, work: Callable[[httpx.AsyncClient, PromptFactory, RequestParams], Awaitable[T]],
                 api_key: str | None = None) -> T:
    """Run ``work`` with a client of ``pool`` connections and a prompt factory in the model's tokenizer
    (local directory, else the server's /tokenize), closing both afterwards (``api_key``: sent to both)."""
    tok: Tokenizer = LocalTokenizer(tokenizer_dir) if tokenizer_dir else ServerTokenizer(base_url, model, api_key=api_key)
    seed = serving.seed if serving.seed is not None else secrets.randbits(31)
    factory = PromptFactory(tok, seed, chat=endpoint == "chat")
    params = request_params(serving, model)

    async def go() -> T:
        client = make_client(base_url, pool, transport=transport, api_key=api_key)
        try:
            return await work(client, factory, params)
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        if isinstance(tok, ServerTokenizer):
            tok.close()


def capacity_settings(cp: CapacityPlan, serving: ServingPlan, variant: ModelVariant) -> SearchSettings:
    """The search a plan's ``[capacity]`` asks for (lengths default to ``[serving]``'s; a preset
    resolved for the variant's model)."""
    limits, preset = variant_slo(cp.slo, variant)
    return SearchSettings(
        slo=limits, slo_preset=preset, by=cp.by, input_len=cp.input_len or serving.input_len, output_len=cp.output_len or serving.output_len,
        max_value=cp.max_concurrency if cp.by == "concurrency" else cp.max_rate, start=cp.start, rounds=cp.rounds,
        num_requests=cp.num_requests, warmup_requests=serving.warmup_requests, endpoint=serving.endpoint,
        dataset=serving.dataset, burstiness=serving.burstiness,
    )


def measure_capacity(
    base_url: str,
    variant: ModelVariant,
    search: SearchSettings,
    serving: ServingPlan,
    store: ResultsStore,
    *,
    model: str,
    tokenizer_dir: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    transport: Any = None,
    sampler: Sampler | None = None,
    command: str | None = None,
    api_key: str | None = None,
) -> CapacitySearch:
    """Run one capacity search against ``base_url`` into ``variant.capacity``; saves after each probe."""
    if resume and (done := find_search(variant, search)) is not None:
        return done
    pool = int(search.max_value) if search.by == "concurrency" else max(100, search.num_requests)
    return _with_client(
        base_url, model, tokenizer_dir, serving, search.endpoint, pool, transport,
        lambda client, factory, params: run_search(client, factory, variant, search, params, save=store.save,
                                                   progress=progress, scrape_metrics=serving.scrape_metrics,
                                                   sampler=sampler, command=command),
        api_key=api_key,
    )


class NoSoakLoad(ReportgenError):
    """The plan asks for a soak at the recommended load and the variant has none: the soak is skipped
    (said on the console), the variant's server is not marked failed."""


def soak_settings(sp: SoakPlan, serving: ServingPlan, results: Results, variant: ModelVariant) -> SoakSettings:
    """The soak a plan's ``[soak]`` asks for: its load, or the variant's recommended operating point
    (``reportgen.soak.recommended_load``, at the lengths it was found at); lengths default to
    ``[serving]``'s, limits to none."""
    from reportgen.soak import recommended_load

    concurrency, rate, origin = sp.concurrency, sp.request_rate, "given"
    in_len, out_len = serving.input_len, serving.output_len
    if concurrency is None and rate is None:
        rec = recommended_load(results, variant)
        if rec is None:
            raise NoSoakLoad(
                "no load for the soak: the plan's [soak] gives no concurrency or request_rate, and the variant has no "
                "capacity search answer or valid batch-size cell within the limits to take the operating point from")
        origin, in_len, out_len = rec.origin, rec.input_len, rec.output_len  # the lengths the load was found at
        concurrency, rate = (int(rec.value), None) if rec.by == "concurrency" else (None, rec.value)
    limits, preset = variant_slo(sp.slo, variant)
    return SoakSettings(
        duration_s=sp.duration_s, window_s=sp.window_s, concurrency=concurrency, request_rate=rate,
        input_len=sp.input_len or in_len, output_len=sp.output_len or out_len,
        warmup_requests=serving.warmup_requests, endpoint=serving.endpoint, slo=limits, slo_preset=preset,
        load_origin=origin,
    )


def measure_soak(
    base_url: str,
    variant: ModelVariant,
    settings: SoakSettings,
    serving: ServingPlan,
    store: ResultsStore,
    *,
    model: str,
    tokenizer_dir: str | None = None,
    resume: bool = False,
    progress: SoakProgress | None = None,
    transport: Any = None,
    sampler: Sampler | None = None,
    command: str | None = None,
    api_key: str | None = None,
) -> SoakRun:
    """Run (or continue, with ``resume``) one soak against ``base_url`` into ``variant.soak``; saves after each window."""
    if resume and (done := find_soak(variant, settings, unfinished=False)) is not None:
        return done
    pool = settings.concurrency or max(64, int((settings.request_rate or 1) * 30))
    return _with_client(
        base_url, model, tokenizer_dir, serving, settings.endpoint, pool, transport,
        lambda client, factory, params: run_soak(client, factory, variant, settings, params, save=store.save,
                                                 progress=progress, sampler=sampler, command=command, resume=resume),
        api_key=api_key,
    )


def _variant(store: ResultsStore, vp: VariantPlan) -> ModelVariant:
    v = store.results.variant(vp.label)
    for name in ("model", "model_path", "precision", "quantization", "tokenizer"):
        val = getattr(vp, name)
        if val is not None:
            setattr(v, name, val)
    if vp.served_model_name:
        v.served_model_name = vp.served_model_name
    if vp.cards is not None:
        v.cards = vp.cards
    return v


def resolve_model(model: str, served: list[str], *, explicit: bool = False) -> str:
    """The name to send as "model": ``model`` when the server serves it; the one model a server
    serves when the plan only gave a path or name (vLLM serves a path under its
    ``--served-model-name``); otherwise the plan must say which."""
    if not served or model in served:
        return model
    if len(served) == 1 and not explicit:
        return served[0]
    hint = "set served_model_name in the plan's variant to one of them" if len(served) > 1 else "fix served_model_name in the plan"
    raise ServerError(f"the server serves {', '.join(repr(m) for m in served)}, not {model!r}: {hint}")


def check_alive(base_url: str, server: ServerProcess | HostServer | None = None, *, api_key: str | None = None) -> None:
    """``ServerError`` when the server died or stopped answering during the measurements: its
    failed requests are recorded, and the run must not end as if all went well."""
    code = server.exit_code() if server is not None else None
    if code is not None:
        where = f" (log: {server.log_path})" if server is not None else ""
        raise ServerError(f"the server exited with status {code} during the measurements{where}")
    try:
        with answers.sync_client(10.0, headers=bearer(api_key)) as c:
            r = answers.request(c, "GET", base_url.rstrip("/") + "/health")
    except (httpx.HTTPError, ServerError) as e:
        raise ServerError(f"{base_url}: the server stopped answering during the measurements ({type(e).__name__}: {e})") from None
    if r.status_code >= 500:
        raise ServerError(f"{base_url}/health: HTTP {r.status_code} after the measurements")


def identify_server(s: Any, base_url: str, model: str | None = None, *, local_files: bool | None = None,
                    api_key: str | None = None) -> None:
    """Engine and version from the server's /version (vLLM answers it); the served model's root,
    the server process's start time and the model's own config where the server gives them
    (``server.server_identity``: what tells one deployment from another). ``local_files``: read
    the model's config.json here (default: the server is on this machine's loopback)."""
    version = server_info(base_url, api_key=api_key).get("engine_version")
    if version:
        s.engine, s.engine_version = "vllm", version
    if local_files is None:
        local_files = is_loopback(base_url)
    for name, value in server_identity(base_url, model, local_files=local_files, api_key=api_key).items():
        setattr(s, name, value)


def is_loopback(base_url: str) -> bool:
    host = (httpx.URL(base_url).host or "").strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _check_functional(base_url: str, model: str, fc: FunctionalCheckPlan, variant: ModelVariant, resume: bool,
                      api_key: str | None = None) -> None:
    if not fc.enabled:
        return
    if resume and variant.functional_check is not None and variant.functional_check.error is None:
        return
    variant.functional_check = functional_check(
        base_url, model, fc.prompt, max_tokens=fc.max_tokens, temperature=fc.temperature, api_key=api_key
    )


class WhileUp(Protocol):
    """Work that needs a variant's server up, run after its serving matrix."""

    def done(self, vp: VariantPlan, variant: ModelVariant) -> bool: ...

    def run(self, vp: VariantPlan, variant: ModelVariant, base_url: str, model: str, *, api_key: str | None = None) -> None: ...


def run_serving_stage(
    plan: Plan,
    store: ResultsStore,
    host: Any = None,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    log_dir: str | Path | None = None,
    sampler: Sampler | None = None,
    while_up: WhileUp | None = None,
    api_key: ApiKey | None = None,
) -> None:
    """For each variant of the plan: launch its server if it has a launch command (locally,
    or in its container), else attach; wait for /health and /v1/models; run the
    functional check and the matrix; keep the log tail; stop what was launched.

    ``host``: the execution layer's ``Host``. None or a ``LocalHost``: the launch command
    runs as a local child process (``ServerProcess``); any other host (SSH): in the
    background through ``host.run`` (``HostServer``). Without a launch command: attach. ``sampler``: card telemetry per cell
    (``runner.Sampler``: ``start(stage)``, ``stop() -> TelemetrySeries``). ``while_up``:
    more work per variant while its server is up (the accuracy stage), with its own
    ``done(variant_plan, variant)`` test so that ``resume`` skips a variant only when both are done.
    ``api_key``: sent to every server whose variant names no ``api_key_env`` of its own.
    """
    keys = variant_api_keys(plan, api_key)  # every variable read before any server is touched
    log_dir = Path(log_dir) if log_dir else store.path.parent / f"{store.path.stem}-logs"
    failures: list[str] = []
    for vp in plan.variants:
        variant = _variant(store, vp)
        base_url = (vp.base_url or plan.server.base_url).rstrip("/")
        model = vp.request_model
        variant.served_model_name = variant.served_model_name or model
        s = variant.server
        s.base_url = base_url
        s.container = vp.container
        s.launch_command = vp.launch_command
        plans = cell_plans(plan.serving)
        if resume and all((c := find_cell(variant, p)) is not None and not c.interrupted for p in plans) and (
            not plan.functional_check.enabled or (variant.functional_check and not variant.functional_check.error)
        ) and (while_up is None or while_up.done(vp, variant)) and (
            not plan.capacity.enabled
            or find_search(variant, capacity_settings(plan.capacity, plan.serving, variant)) is not None
        ) and (not plan.soak.enabled or any(r.finished_at is not None for r in variant.soak)):
            for p in plans:
                (progress or Progress()).cell_skipped(vp.label, p)
            continue

        try:
            _run_variant(plan, store, vp, variant, base_url, model, host, resume, progress, log_dir, sampler, while_up,
                         keys[vp.label])
        except ReportgenError as e:
            # recorded; the next variant still runs (its server may be fine)
            s.error = str(e)
            store.save()
            failures.append(f"{vp.label}: {e}")
    if failures:
        raise ServerError("; ".join(failures))


def _run_variant(
    plan: Plan, store: ResultsStore, vp: VariantPlan, variant: ModelVariant, base_url: str, model: str,
    host: Any, resume: bool, progress: Progress | None, log_dir: Path, sampler: Sampler | None,
    while_up: WhileUp | None = None, api_key: str | None = None,
) -> None:
    s = variant.server
    server: ServerProcess | HostServer | None = None
    for k, v in vp.env.items():
        if is_secret_name(k):
            store.results.add_secret(v)  # masked wherever the server echoes it
    if vp.launch_command:
        if host is None or type(host).__name__ == "LocalHost":
            server = ServerProcess(vp.launch_command, log_dir / f"server-{safe_file_name(vp.label)}.log", env=vp.env,
                                   container=vp.container)
        else:
            server = HostServer(host, vp.launch_command, label=vp.label, env=vp.env, container=vp.container)
        server.start()
        s.launched = True
    try:
        s.served_models = wait_ready(
            base_url, plan.server.startup_timeout_s if server else min(plan.server.startup_timeout_s, 30.0), proc=server,
            api_key=api_key,
        )
        if server and server.started_at is not None:
            s.startup_s = time.monotonic() - server.started_at
        if server:
            s.startup_log = server.log_head(plan.server.log_tail_lines) or None  # section 2 quotes its start
        s.error = None
        model = resolve_model(model, s.served_models, explicit=vp.served_model_name is not None)
        variant.served_model_name = model
        local = host is None or type(host).__name__ == "LocalHost"
        identify_server(s, base_url, model, local_files=local and is_loopback(base_url), api_key=api_key)
        _check_functional(base_url, model, plan.functional_check, variant, resume, api_key)
        store.save()
        measure_variant(
            base_url, variant, plan.serving, store,
            model=model, tokenizer_dir=vp.tokenizer, resume=resume, progress=progress, sampler=sampler, api_key=api_key,
        )
        if plan.capacity.enabled:
            measure_capacity(
                base_url, variant, capacity_settings(plan.capacity, plan.serving, variant), plan.serving, store,
                model=model, tokenizer_dir=vp.tokenizer, resume=resume, progress=progress, sampler=sampler,
                api_key=api_key,
            )
        if while_up is not None:
            while_up.run(vp, variant, base_url, model, api_key=api_key)
        if plan.soak.enabled:
            from collectors.serving.progress import ConsoleSoakProgress

            try:
                settings = soak_settings(plan.soak, plan.serving, store.results, variant)
            except NoSoakLoad as e:
                click.echo(f"soak: {vp.label}: skipped: {e}", err=True)
            else:
                measure_soak(
                    base_url, variant, settings, plan.serving, store,
                    model=model, tokenizer_dir=vp.tokenizer, resume=resume, sampler=sampler, api_key=api_key,
                    progress=ConsoleSoakProgress() if isinstance(progress, ConsoleProgress) else None,
                )
        check_alive(base_url, server, api_key=api_key)
    finally:
        if server is not None:
            s.exit_code = server.stop(plan.server.stop_timeout_s)
            s.log_tail = server.log_tail(plan.server.log_tail_lines)
            store.save()
            if isinstance(server, HostServer):
                server.close()  # the tail is in the results (redacted); nothing stays on the host
            if isinstance(server, ServerProcess):
                redact_file(server.log_path, store.results.secret_values)  # the kept log holds no secret either
