"""The consistency stage: one variant's server compared with a reference file, into the results.

``run_consistency`` is what ``reportgen consistency`` and the ``collect`` stage ``consistency``
call. It reads the reference (refusing an edited one), resolves the thresholds from the two
precisions (``reportgen.consistency.verdict.profile_for``) and the plan's overrides, refuses a
reference of another model before sending anything, then runs the passes and saves after each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from collectors.consistency.client import ConsistencyClient
from collectors.consistency.run import CardRun, compare_with_reference
from reportgen.consistency.prompts import PromptSet
from reportgen.consistency.reference import ReferenceFile, ReferencePrompt, file_sha256, load_reference
from reportgen.consistency.verdict import BATCH_PROFILE, profile_for, thresholds
from reportgen.errors import ReportgenError
from reportgen.results import (
    ConsistencyCheck,
    ConsistencyPass,
    ConsistencyReference,
    ModelVariant,
    ResultsStore,
    utc_now,
)

Echo = Callable[[str], None]


def select_prompts(ref: ReferenceFile, limit: int | None) -> list[ReferencePrompt]:
    """The reference's usable prompts, or ``limit`` of them evenly spaced through the set (which keeps
    its mix of languages and lengths)."""
    return evenly([p for p in ref.prompts if p.error is None], limit)


def reference_info(ref: ReferenceFile, path: Path) -> ConsistencyReference:
    return ConsistencyReference(
        file=str(path), file_sha256=file_sha256(path), recorded_at=ref.recorded_at, model=ref.model,
        model_root=ref.model_root, model_name=ref.model_name, dtype=ref.dtype, quantization=ref.quantization,
        engine=ref.engine, engine_version=ref.engine_version, card=ref.card, prompt_set=ref.prompt_set,
        prompt_set_sha256=ref.prompt_set_sha256, prompts=len(ref.prompts), max_tokens=ref.max_tokens,
        top_k=ref.top_k, teacher_forcing=ref.teacher_forcing,
    )


def consistency_done(variant: ModelVariant, reference: Path, batch_size: int) -> bool:
    """The variant already holds a finished check against this very reference file."""
    c = variant.consistency
    if c is None or c.error is not None or not reference.is_file() or c.reference.file_sha256 != file_sha256(reference):
        return False
    kinds = {p.baseline for p in c.passes}
    return "reference" in kinds and (batch_size <= 1 or "batch1" in kinds)


def _names(*names: str | None) -> list[str]:
    out: list[str] = []
    for n in names:
        if n and n not in out:
            out.append(n)
    return out


def run_consistency(
    store: ResultsStore,
    variant: ModelVariant,
    *,
    reference: Path,
    base_url: str,
    model: str,
    batch_size: int,
    limit: int | None = None,
    profile: str | None = None,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    api_key: str | None = None,
    command: str | None = None,
    echo: Echo = lambda s: None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ConsistencyCheck:
    """Compare ``variant``'s server at ``base_url`` with ``reference``; the check is stored in
    ``variant.consistency`` and saved after each pass. ``ReportgenError`` (after saving what it
    found) when the reference may not be compared or the server failed."""
    from reportgen.validity.consistency import not_comparable

    ref = load_reference(reference)
    prof = profile or profile_for(ref.dtype, ref.quantization, variant.precision, variant.quantization)
    run = CardRun(reference=ref, prompts=select_prompts(ref, limit), k=ref.top_k)

    made: list[ConsistencyCheck] = []  # the check, once it is made (the error path records into it)

    def save(p: ConsistencyPass) -> None:
        made[0].passes.append(p)
        made[0].finished_at = utc_now()
        store.save()

    async def go() -> ConsistencyCheck:
        client = ConsistencyClient(base_url, model, concurrency=max(1, batch_size), api_key=api_key, transport=transport)
        try:
            ident = await client.identity()
            check = ConsistencyCheck(
                reference=reference_info(ref, reference),
                model_names=_names(variant.model, variant.model_path, ident.get("root"), variant.served_model_name, model),
                prompt_set_sha256=ref.computed_set_sha256(),
                thresholds=thresholds(prof, overrides), batch_thresholds=thresholds(BATCH_PROFILE, overrides),
                command=command, started_at=utc_now(),
            )
            variant.consistency = check
            if not variant.server.engine_version and ident.get("engine_version"):
                variant.server.engine, variant.server.engine_version = ident["engine"], ident["engine_version"]
            refused = not_comparable(check)
            if refused:  # before a single request: hours of requests must not end in "not compared"
                check.error = "not compared: " + "; ".join(m.en for m in refused)
                check.finished_at = utc_now()
                store.save()
                raise ReportgenError(f"{reference}: {check.error}")
            store.save()
            made.append(check)
            await compare_with_reference(client, run, batch_size=batch_size, save=save, echo=echo,
                                         label=f"consistency: {variant.label}")
            return check
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    except ReportgenError as e:
        if made:
            made[0].error = str(e)
            made[0].finished_at = utc_now()
            store.save()
        raise


# --------------------------------------------------------------------------- the reference


def evenly(items: list[Any], limit: int | None) -> list[Any]:
    """``limit`` items evenly spaced through ``items`` (all of them without a limit)."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[(i * len(items)) // limit] for i in range(max(0, limit))]


def _server_root(base_url: str) -> str:
    """scheme://host:port of a URL: no credentials, no path."""
    from urllib.parse import urlsplit

    u = urlsplit(base_url if "//" in base_url else "//" + base_url)
    host = u.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{u.scheme or 'http'}://{host}" + (f":{u.port}" if u.port else "")


def record_reference_file(
    out: Path,
    *,
    base_url: str,
    model: str,
    max_tokens: int = 64,
    top_k: int = 5,
    concurrency: int = 1,
    limit: int | None = None,
    dtype: str | None = None,
    quantization: str | None = None,
    card: str | None = None,
    model_name: str | None = None,
    api_key: str | None = None,
    command: str | None = None,
    echo: Echo = lambda s: None,
    transport: httpx.AsyncBaseTransport | None = None,
    prompt_set: PromptSet | None = None,
) -> ReferenceFile:
    """Record the reference server's answers to the prompt set into ``out`` (which must not exist)."""
    from collectors.consistency.prompt_set import load_prompt_set
    from collectors.consistency.run import record_reference
    from reportgen.consistency.prompts import set_sha256
    from reportgen.consistency.reference import save_reference
    from reportgen.redact import redact_optional

    if out.exists():  # checked before hours of requests, and again when writing
        raise ReportgenError(f"{out}: exists; a reference is never rewritten (choose another file name)")
    if not out.parent.is_dir():
        raise ReportgenError(f"{out.parent}: no such folder")
    ps = prompt_set or load_prompt_set()
    prompts = evenly(ps.prompts, limit)
    started = utc_now()

    async def go() -> tuple[dict[str, Any], list[ReferencePrompt], Any]:
        client = ConsistencyClient(base_url, model, concurrency=concurrency, api_key=api_key, transport=transport)
        try:
            ident = await client.identity()
            recs, method = await record_reference(client, prompts, max_tokens=max_tokens, top_k=top_k,
                                                  concurrency=concurrency, echo=echo)
            return ident, recs, method
        finally:
            await client.aclose()

    ident, recs, method = asyncio.run(go())
    failed = [r for r in recs if r.error is not None]
    if len(failed) == len(recs):
        raise ReportgenError(f"{base_url}: no prompt could be recorded (first: {failed[0].error if failed else 'no prompts'})")
    if failed:
        echo(f"reference: {len(failed)} of {len(recs)} prompts could not be recorded (first: {failed[0].id}: {failed[0].error})")
    ref = ReferenceFile(
        recorded_at=started, command=redact_optional(command), base_url=_server_root(base_url), model=model,
        model_root=ident.get("root"), model_name=model_name, max_model_len=ident.get("max_model_len"),
        dtype=dtype, quantization=quantization, engine=ident.get("engine"), engine_version=ident.get("engine_version"),
        card=card, prompt_set=ps.name, prompt_set_sha256=set_sha256([(p.id, p.sha256) for p in prompts]),
        max_tokens=max_tokens, top_k=top_k, teacher_forcing=method, prompts=recs,
    )
    save_reference(ref, out)
    return ref
