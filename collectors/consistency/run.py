"""Recording a reference, and comparing a card with it.

``record_reference`` sends every prompt of the set to the reference server (one at a time by
default: batching changes the order of floating-point operations) and returns the reference file.
``compare_with_reference`` sends the reference's prompts (its token ids) to the card under test
twice: one at a time, compared with the reference (first-token agreement, exact match, common
prefix, top-1 agreement, KL, |Δ logprob|); then with ``batch_size`` requests in flight, compared
with the card's own one-at-a-time answers (batch invariance). Both save after each pass.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from collectors.consistency.client import AnswerError, ConsistencyClient, Generation, TeacherForcing
from reportgen.consistency.metrics import Position, card_position, common_prefix, compare_positions, topk_mass
from reportgen.consistency.prompts import Prompt
from reportgen.consistency.reference import ReferenceFile, ReferencePrompt
from reportgen.errors import ServerError
from reportgen.results import ConsistencyPass, ConsistencyPrompt, utc_now

T = TypeVar("T")
Echo = Callable[[str], None]
#: the card is asked for more alternatives than the reference kept, so the reference's top-k tokens
#: are found in its list more often (fewer bounded KL terms); vLLM serves up to 20 by default
CARD_TOP_K_MAX = 20
PROMPT_EXCERPT = 200  # characters of each prompt's last message kept in the results (the worst-cases table)


def card_top_k(reference_top_k: int) -> int:
    return max(reference_top_k, min(CARD_TOP_K_MAX, 2 * reference_top_k))


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def _gather_limited(n: int, items: Sequence[T], fn: Callable[[T], Awaitable[None]], label: str, echo: Echo) -> None:
    """``fn`` over ``items`` with at most ``n`` in flight; a progress line every 10 %."""
    sem = asyncio.Semaphore(max(1, n))
    done = 0
    step = max(1, len(items) // 10)

    async def one(x: T) -> None:
        nonlocal done
        async with sem:
            await fn(x)
        done += 1
        if done % step == 0 or done == len(items):
            echo(f"{label}: {done}/{len(items)}")

    await asyncio.gather(*(one(x) for x in items))


def _error(e: Exception) -> str:
    return str(e)[:300] or type(e).__name__


# --------------------------------------------------------------------------- reference


async def record_reference(client: ConsistencyClient, prompts: list[Prompt], *, max_tokens: int, top_k: int,
                           concurrency: int = 1, echo: Echo = _stderr) -> tuple[list[ReferencePrompt], TeacherForcing | None]:
    """Every prompt: the server's tokens, the greedy continuation with its top-k, and the same
    continuation under teacher forcing where the server offers it."""
    out: dict[str, ReferencePrompt] = {}
    method: TeacherForcing | None = None
    probed = False

    async def one(p: Prompt) -> None:
        nonlocal method, probed
        rec = ReferencePrompt(id=p.id, sha256=p.sha256, lang=p.lang, length=p.length, messages=p.messages)
        try:
            rec.prompt_tokens = await client.tokenize(p.messages)
            g = await client.generate(rec.prompt_tokens, max_tokens, top_k)
            rec.tokens, rec.text, rec.finish_reason = g.tokens, g.text, g.finish_reason
            rec.logprobs, rec.top = g.logprobs, [[(t, lp) for t, lp in top[:top_k + 1]] for top in g.top]
            if not probed:
                probed = True
                method = await client.find_teacher_forcing(rec.prompt_tokens, g.tokens, top_k)
                echo(f"reference: teacher forcing by {method or 'nothing (the server offers neither prompt_logprobs nor echo)'}")
            if method is not None:
                tf = await client.teacher_force(method, rec.prompt_tokens, g.tokens, top_k)
                rec.tf_logprobs = [x.logprob for x in tf]
                rec.tf_top = [list(x.top) for x in tf]
        except AnswerError as e:
            rec = ReferencePrompt(id=p.id, sha256=p.sha256, lang=p.lang, length=p.length, messages=p.messages,
                                  prompt_tokens=rec.prompt_tokens, error=_error(e))
        out[p.id] = rec

    if prompts:  # the first prompt alone: it decides the teacher-forcing method for the rest
        await one(prompts[0])
    await _gather_limited(concurrency, prompts[1:], one, "reference", echo)
    return [out[p.id] for p in prompts], method


# --------------------------------------------------------------------------- card


@dataclass
class _CardAnswer:
    """What the card answered for one prompt in one pass (kept for the batch-invariance pass)."""

    template: list[int] | None = None
    gen: Generation | None = None
    tf: list[Position] | None = None
    error: str | None = None


def reference_positions(r: ReferencePrompt) -> list[Position]:
    """The reference's view of each position: teacher-forced where it was recorded so, else as generated."""
    if r.tf_top is not None and r.tf_logprobs is not None:
        return [Position(lp, top) for lp, top in zip(r.tf_logprobs, r.tf_top)]
    return [Position(lp, top) for lp, top in zip(r.logprobs, r.top)]


def _prefix_positions(base_tokens: list[int], base: list[Position], card: Generation) -> tuple[list[Position], list[Position]]:
    """Without teacher forcing: the positions both sides generated from the same prefix (the common
    prefix and the first differing position)."""
    n = min(common_prefix(base_tokens, card.tokens) + 1, len(base_tokens), len(card.tokens))
    return base[:n], [card_position(base_tokens[j], card.top[j]) for j in range(n)]


@dataclass
class CardRun:
    """The comparison's settings and what it has found so far."""

    reference: ReferenceFile
    prompts: list[ReferencePrompt]
    k: int  # top-k the reference kept (the KL bins)
    method: TeacherForcing | None = None
    answers: dict[str, _CardAnswer] = field(default_factory=dict)  # batch-1 answers by prompt id


async def _ask(client: ConsistencyClient, run: CardRun, r: ReferencePrompt, *, template: bool) -> _CardAnswer:
    a = _CardAnswer()
    if template:  # only a check of the card's chat template: a server without /tokenize is still compared
        try:
            a.template = await client.tokenize(r.messages)
        except AnswerError:
            a.template = None
    try:
        a.gen = await client.generate(r.prompt_tokens, run.reference.max_tokens, card_top_k(run.k))
        if run.method is not None:
            a.tf = await client.teacher_force(run.method, r.prompt_tokens, r.tokens, card_top_k(run.k))
    except AnswerError as e:
        a.error = _error(e)
    return a


def _record(r: ReferencePrompt, a: _CardAnswer, base_tokens: list[int], base_text: str | None, base_pos: list[Position] | None,
            k: int) -> ConsistencyPrompt:
    rec = ConsistencyPrompt(id=r.id, sha256=r.sha256, lang=r.lang or None, length=r.length or None,
                            prompt_excerpt=r.messages[-1]["content"][:PROMPT_EXCERPT], prompt_tokens=len(r.prompt_tokens),
                            baseline_tokens=list(base_tokens), baseline_text=base_text)
    if a.template is not None:
        rec.template_match = a.template == r.prompt_tokens
    if a.error is not None or a.gen is None:
        rec.error = a.error or "no answer"
        return rec
    if base_pos is None:
        rec.error = "the baseline has no answer for this prompt"
        return rec
    rec.tokens, rec.text, rec.finish_reason = a.gen.tokens, a.gen.text, a.gen.finish_reason
    if a.tf is not None:
        base, card = base_pos, a.tf
    else:
        base, card = _prefix_positions(base_tokens, base_pos, a.gen)
    rec.top1, rec.kl, rec.abs_dlogprob, rec.bounded = compare_positions(base, card, k)
    rec.topk_mass = topk_mass(base, k)
    return rec


async def _pass(client: ConsistencyClient, run: CardRun, batch_size: int, echo: Echo, label: str) -> ConsistencyPass:
    first = batch_size == 1 and not run.answers
    cp = ConsistencyPass(batch_size=batch_size, baseline="reference" if first else "batch1",
                         method=run.method or "common_prefix", started_at=utc_now())
    answers: dict[str, _CardAnswer] = {}
    t0 = time.perf_counter()

    async def one(r: ReferencePrompt) -> None:
        answers[r.id] = await _ask(client, run, r, template=first)

    await _gather_limited(batch_size, run.prompts, one, label, echo)
    cp.duration_s = time.perf_counter() - t0
    cp.finished_at = utc_now()
    for r in run.prompts:
        a = answers[r.id]
        if first:
            cp.prompts.append(_record(r, a, r.tokens, r.text, reference_positions(r), run.k))
        else:
            b = run.answers[r.id]
            if b.gen is None:
                rec = _record(r, a, [], None, None, run.k)
            else:
                pos = b.tf if b.tf is not None else b.gen.positions()
                rec = _record(r, a, b.gen.tokens, b.gen.text, pos, run.k)
            cp.prompts.append(rec)
    if first:
        run.answers = answers
    return cp


async def compare_with_reference(client: ConsistencyClient, run: CardRun, *, batch_size: int,
                                 save: Callable[[ConsistencyPass], None], echo: Echo = _stderr, label: str = "consistency") -> None:
    """The batch-1 pass against the reference, then (``batch_size`` > 1) the batch-invariance pass;
    ``save`` after each."""
    run.prompts = [r for r in run.prompts if r.error is None]  # a prompt the reference could not record is not asked
    if not run.prompts:
        raise ServerError("the reference holds no usable prompt (every recording failed)")
    probe = run.prompts[0]
    run.method = await client.find_teacher_forcing(probe.prompt_tokens, probe.tokens, card_top_k(run.k))
    echo(f"{label}: teacher forcing by {run.method or 'nothing: top-1 and KL over the common prefix only'}")
    save(await _pass(client, run, 1, echo, f"{label}: batch size 1"))
    if batch_size > 1:
        save(await _pass(client, run, batch_size, echo, f"{label}: batch size {batch_size}"))
