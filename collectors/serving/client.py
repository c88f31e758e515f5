"""Streaming requests to an OpenAI-compatible server, one raw ``RequestRecord`` each.

Request functions are chosen by name (``REQUEST_FUNCS``); all have the signature of
``RequestFunc``: ``(client, sample, params, *, t0, index, warmup) -> RequestRecord``.
The ``httpx.AsyncClient`` is passed in (the transport seam): ``make_client`` builds
the fast one (httpx's API over ``transport.StreamingTransport``; on httpx's default transport the
client consumed half the chunks/s, on aiohttp's two thirds: ``benchmarks/client_overhead.py``);
tests pass ``httpx.MockTransport`` or point it at a stub.

Timing (``time.perf_counter``, seconds since the cell's ``t0``):

* ``start_s``: just before the POST is sent.
* One timestamp per network read; every SSE event in that read gets it.
* A *token event* is a chunk carrying a generated token: any chunk with non-empty
  ``choices`` on ``/v1/completions`` (even when its text is "" because the token is an
  incomplete UTF-8 sequence); on ``/v1/chat/completions`` the same, except a
  role-only delta (``{"role": "assistant", "content": ""}``), which precedes generation.
* ``first_token_s`` / ``end_s``: the first / last token event; ``chunk_times_s``: all.
* Events after ``[DONE]`` are counted (``events_after_done``), never timed: a server that
  goes on sending after it said it finished does not stretch TPOT, ITL or E2EL (the rule
  ``stream_after_done`` says so).
* Token counts come from the usage chunk (``stream_options.include_usage``); a count of another
  shape (a string, 400 digits) is unknown and named in ``answer_problems``
  (``collectors.answers.token_count``, the one check every client shares).
* ``model``: the model the token chunks named, the first one that is not the requested one if
  any (``ServingCell.answer_models``; the rule ``answer_model`` compares it with the request).
* Reasoning models (chat deltas with ``reasoning_content`` / ``reasoning`` first): TTFT stays
  the first token of any kind; ``first_answer_s`` is the first chunk with answer ``content``.
  None without reasoning.
* A sample with its own ``output_len`` (datasets) sends that as max_tokens (and min_tokens).

A failure is data: HTTP errors, connection resets, a stalled stream (no byte for
``stall_timeout_s``), the total ``request_timeout_s``, malformed SSE and a stream
that ends before ``[DONE]`` all become a record with ``error`` set (and whatever
token times arrived before it). Only cancellation (Ctrl-C) propagates.

Every event is decoded on arrival against the typed chunk schema (``chunks``: msgspec, 0.3 µs
a chunk): a chunk that is not a JSON object with a list of choice objects fails the request
with what is wrong, so garbage never counts as a token. Decoded chunks are not kept: only
their times, and the first and last token chunk.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import msgspec

from collectors import answers
from collectors.auth import bearer
from collectors.serving import chunks
from collectors.serving.chunks import Chunk
from collectors.serving.prompts import PromptSample
from collectors.serving.sse import SSEParser
from collectors.serving.transport import StreamingTransport
from reportgen.results import RequestRecord

__all__ = [
    "ENDPOINTS",
    "REQUEST_FUNCS",
    "RequestFunc",
    "RequestParams",
    "make_client",
    "stream_chat",
    "stream_completion",
]

_now = time.perf_counter  # tests may replace it with a scripted clock
_YIELD_EVERY_READ = os.environ.get("REPORTGEN_NO_YIELD") != "1"  # benchmarks compare both


@dataclass(frozen=True)
class RequestParams:
    """What every request of a cell sends, and how long the client waits."""

    model: str
    max_tokens: int
    temperature: float = 0.0
    ignore_eos: bool = True  # vLLM extension: generate max_tokens whatever the model says
    min_tokens: bool = True  # vLLM extension: send min_tokens = max_tokens
    include_usage: bool = True
    request_timeout_s: float | None = 600.0  # whole request
    stall_timeout_s: float | None = 120.0  # longest silence between two reads
    keep_text: bool = False  # keep the generated text in the record
    max_text_chars: int = 20000
    extra_body: Mapping[str, Any] = field(default_factory=dict)

    def body_settings(self) -> dict[str, Any]:
        """The sampling settings as sent (recorded in the cell)."""
        d: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        if self.ignore_eos:
            d["ignore_eos"] = True
        if self.min_tokens:
            d["min_tokens"] = self.max_tokens
        if self.include_usage:
            d["stream_options"] = {"include_usage": True}
        d.update(self.extra_body)
        return d


class RequestFunc(Protocol):
    def __call__(
        self,
        client: httpx.AsyncClient,
        sample: PromptSample,
        params: RequestParams,
        *,
        t0: float,
        index: int,
        warmup: bool = False,
    ) -> Awaitable[RequestRecord]: ...


def make_client(
    base_url: str,
    concurrency: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    connect_timeout_s: float = 30.0,
    api_key: str | None = None,
) -> httpx.AsyncClient:
    """One client with one connection pool sized to the concurrency.

    ``transport=None`` builds the streaming transport (``transport.StreamingTransport``: 16 KiB
    pieces, a 4 MiB buffer per connection, as vLLM #39963 advises for long contexts).
    """
    if transport is None:
        # the shared answer limits (collectors.answers.LIMITS) on headers, one-line httpx errors
        transport = StreamingTransport(limit=max(1, concurrency) + 2)  # + the scrapes of /metrics beside the streams
    headers = {"Accept-Encoding": "identity", **bearer(api_key)}
    url, auth = url_and_auth(base_url)
    return httpx.AsyncClient(
        base_url=url,
        auth=auth,
        transport=transport,
        headers=headers,
        timeout=httpx.Timeout(connect=connect_timeout_s, read=None, write=connect_timeout_s, pool=None),
    )


def url_and_auth(base_url: str) -> tuple[httpx.URL, httpx.BasicAuth | None]:
    """The server root without credentials, and the credentials (http://user:pass@host) as basic
    auth: the aiohttp transport refuses a URL that carries them beside an Authorization header."""
    url = httpx.URL(base_url.rstrip("/"))
    if not url.userinfo:
        return url, None
    answers.register_url_credentials(url)  # masked wherever a server echoes them
    return url.copy_with(username=None, password=None), httpx.BasicAuth(url.username, url.password)


class _StreamError(Exception):
    """The stream said something unusable; the message becomes the record's error."""


class _Acc:
    """What one request has seen so far (survives a timeout that cancels the stream). Decoded
    chunks are not kept: only their times and what the record needs from the first and last."""

    __slots__ = ("times", "first", "last", "texts", "first_content", "status", "usage", "done", "events", "after_done",
                 "requested", "other_model")

    def __init__(self, requested: str, keep_text: bool = False) -> None:
        self.times: list[float] = []
        self.first: Chunk | None = None  # first token chunk: the served model, whether it is reasoning
        self.last: Chunk | None = None  # last token chunk: finish_reason
        self.texts: list[str] | None = [] if keep_text else None
        self.first_content: float | None = None  # chat: arrival of the first chunk with answer content
        self.status: int | None = None
        self.usage: dict[str, Any] | None = None
        self.done = False
        self.events = 0
        self.after_done = 0  # events after [DONE]: no token of the answer, never timed nor counted
        self.requested = requested  # the model the request named
        self.other_model: str | None = None  # the first model a token chunk named that is not the requested one


def _settings(sample: PromptSample, params: RequestParams) -> dict[str, Any]:
    if sample.output_len is not None and sample.output_len != params.max_tokens:
        from dataclasses import replace

        params = replace(params, max_tokens=sample.output_len)
    return params.body_settings()


def _completion_body(sample: PromptSample, params: RequestParams) -> dict[str, Any]:
    body: dict[str, Any] = {"model": params.model, "prompt": sample.text, "stream": True}
    body.update(_settings(sample, params))
    return body


def _chat_body(sample: PromptSample, params: RequestParams) -> dict[str, Any]:
    messages = (
        [{"role": r, "content": c} for r, c in sample.messages]
        if sample.messages
        else [{"role": "user", "content": sample.text}]
    )
    body: dict[str, Any] = {"model": params.model, "messages": messages, "stream": True}
    body.update(_settings(sample, params))
    return body


@dataclass(frozen=True)
class _Endpoint:
    path: str
    body: Callable[[PromptSample, RequestParams], dict[str, Any]]
    chat: bool  # a role-only chunk is not a token (chunks.is_token_chat)
    text: Callable[[Chunk], str]


_COMPLETIONS = _Endpoint("/v1/completions", _completion_body, False, chunks.text_completion)
_CHAT = _Endpoint("/v1/chat/completions", _chat_body, True, chunks.text_chat)

ENDPOINTS = {"completions": _COMPLETIONS.path, "chat": _CHAT.path}

_fast_decode = chunks.FAST_DECODER.decode
_DecodeError = msgspec.DecodeError


async def _consume(client: httpx.AsyncClient, ep: _Endpoint, body: dict[str, Any], params: RequestParams, acc: _Acc) -> None:
    timeout = httpx.Timeout(
        connect=client.timeout.connect,
        read=params.stall_timeout_s,
        write=client.timeout.write,
        pool=None,
    )
    async with client.stream("POST", ep.path, json=body, timeout=timeout) as resp:
        acc.status = resp.status_code
        if resp.status_code != 200:
            head = b""  # the start of the body is enough for the error line (an endless one never ends)
            async for piece in resp.aiter_raw():
                head += piece
                if len(head) >= 300:
                    break
            text = head[:300].decode("utf-8", "replace").strip()
            raise _StreamError(f"HTTP {resp.status_code}: {text}" if text else f"HTTP {resp.status_code}")
        parser = SSEParser()
        times = acc.times
        take = _take_chat if ep.chat else _take
        async for data in resp.aiter_raw():
            now = _now()
            events = parser.feed(data)
            if events:
                take(events, now, acc, times)
            if _YIELD_EVERY_READ:
                # A read returns at once while the connection's buffer holds data, so without
                # this one busy stream would hog the loop and delay every other stream's
                # timestamps (client-only TTFT at 256 streams: 0.77 s -> see benchmarks/).
                await asyncio.sleep(0)
        tail = parser.close()
        if tail:
            take(tail, _now(), acc, times)


# The two functions below are the client's hot loop: every payload is decoded against the chunk
# schema on arrival (``chunks``), so garbage never counts as a token; they differ in what makes
# a chunk a token. All events of one read carry the read's timestamp ``now``.


def _take(events: list[bytes], now: float, acc: _Acc, times: list[float]) -> None:
    """``/v1/completions``: a chunk with a choice is a token."""
    if not _counted(events, acc):
        return
    decode, texts, req = _fast_decode, acc.texts, acc.requested
    for p in events:
        try:
            c = decode(p)
        except _DecodeError:
            slow = _slow(p, events, acc)
            if slow is None:
                return
            c = slow
        if c.usage is not None:
            acc.usage = c.usage
        if c.choices:
            if not times:
                acc.first = c
            times.append(now)
            acc.last = c
            if c.model != req:  # None (no name) or another model: the record names the first other one
                _other_model(c, acc)
            if texts is not None:
                texts.append(chunks.text_completion(c))
        elif c.error:
            _server_error(c)


def _take_chat(events: list[bytes], now: float, acc: _Acc, times: list[float]) -> None:
    """``/v1/chat/completions``: the same, except a role-only delta, which precedes generation."""
    if not _counted(events, acc):
        return
    decode, texts, req = _fast_decode, acc.texts, acc.requested
    for p in events:
        try:
            c = decode(p)
        except _DecodeError:
            slow = _slow(p, events, acc)
            if slow is None:
                return
            c = slow
        if c.usage is not None:
            acc.usage = c.usage
        if c.choices:
            if not chunks.is_token_chat(c):
                continue
            d = c.choices[0].delta
            if d is not None and d.content and acc.first_content is None:
                acc.first_content = now
            if not times:
                acc.first = c
            times.append(now)
            acc.last = c
            if c.model != req:  # None (no name) or another model: the record names the first other one
                _other_model(c, acc)
            if texts is not None:
                texts.append(chunks.text_chat(c))
        elif c.error:
            _server_error(c)


def _counted(events: list[bytes], acc: _Acc) -> bool:
    """Count a read's events; False when they come after ``[DONE]`` (counted, never taken)."""
    acc.events += len(events)
    if acc.done:
        acc.after_done += len(events)
        return False
    return True


def _other_model(c: Chunk, acc: _Acc) -> None:
    if acc.other_model is None and isinstance(c.model, str):
        acc.other_model = c.model


def _slow(p: bytes, events: list[bytes], acc: _Acc) -> Chunk | None:
    """A payload the typed decoder refused: ``[DONE]`` (None; the events after it in this read are
    counted, never taken), else the lenient path: a ``Chunk``, or ``ChunkError`` saying what is wrong."""
    if p == b"[DONE]":  # the first one in this read: an earlier one would have ended the read
        acc.done = True
        acc.after_done += len(events) - events.index(p) - 1
        return None
    return chunks.decode(p)


def _server_error(c: Chunk) -> None:
    err = c.error
    msg = err.get("message", err) if isinstance(err, dict) else err
    raise _StreamError(f"server error in stream: {str(msg)[:200]}")


def _error_text(e: BaseException) -> str:
    """The OS error under httpx's class (``ConnectionResetError: [Errno 104] Connection reset by peer``)."""
    cause = e.__cause__ or e
    msg = str(cause).strip() or str(e).strip()
    return f"{type(cause).__name__}: {msg}" if msg else type(cause).__name__


async def _request(
    ep: _Endpoint,
    client: httpx.AsyncClient,
    sample: PromptSample,
    params: RequestParams,
    *,
    t0: float,
    index: int,
    warmup: bool,
) -> RequestRecord:
    body = ep.body(sample, params)
    acc = _Acc(params.model, params.keep_text)
    error: str | None = None
    st = _now()
    try:
        if params.request_timeout_s:
            await asyncio.wait_for(_consume(client, ep, body, params, acc), params.request_timeout_s)
        else:
            await _consume(client, ep, body, params, acc)
    except (_StreamError, chunks.ChunkError) as e:
        error = str(e)
    except asyncio.TimeoutError:
        error = f"timeout: request took longer than {params.request_timeout_s:g} s"
    except httpx.ReadTimeout:
        error = f"stalled: no data for {params.stall_timeout_s:g} s"
    except (httpx.HTTPError, OSError) as e:
        error = _error_text(e)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as e:
        # whatever else a server's bytes can provoke in the client or its transport: a failed record
        error = f"client error on the server's answer: {type(e).__name__}: {str(e)[:200]}"
    if error is None and not acc.done:
        error = "stream ended before [DONE]"
    if error is None and not acc.times:
        error = "no token in the stream"

    finish_reason = None
    if acc.last is not None and acc.last.choices:
        fr = acc.last.choices[0].finish_reason
        finish_reason = fr if isinstance(fr, str) else None
    # the model the answer named: the first name that is not the one requested, else the first
    model = acc.other_model or (acc.first.model if acc.first is not None and isinstance(acc.first.model, str) else None)
    text = "".join(acc.texts)[: params.max_text_chars] if acc.texts is not None and acc.times else None
    usage = acc.usage or {}
    problems: list[str] = []  # usage counts of another shape: unknown, and named (collectors.answers)
    prompt_tokens = answers.token_count(usage.get("prompt_tokens"), "usage.prompt_tokens", problems)
    completion_tokens = answers.token_count(usage.get("completion_tokens"), "usage.completion_tokens", problems)
    times = [t - t0 for t in acc.times]
    return RequestRecord(
        index=index,
        warmup=warmup,
        start_s=st - t0,
        first_token_s=times[0] if times else None,
        end_s=times[-1] if times else None,
        chunk_times_s=times,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        expected_prompt_tokens=sample.prompt_tokens,
        finish_reason=finish_reason,
        http_status=acc.status,
        error=error,
        text=text,
        prompt_sha256=sample.sha256,
        chunks=acc.events,
        first_answer_s=_first_answer(acc, t0),
        target_output_tokens=sample.output_len,
        model=model[:MAX_MODEL_CHARS] if model is not None else None,
        events_after_done=acc.after_done,
        answer_problems=problems,
    )


MAX_MODEL_CHARS = 256  # a chunk's "model" is kept up to this length


def _first_answer(acc: _Acc, t0: float) -> float | None:
    """The first chunk with answer content, when the stream began with reasoning (else None)."""
    c = acc.first
    d = c.choices[0].delta if c is not None and c.choices else None
    if d is None or not (d.reasoning_content or d.reasoning) or acc.first_content is None:
        return None
    return acc.first_content - t0




async def stream_completion(
    client: httpx.AsyncClient, sample: PromptSample, params: RequestParams, *, t0: float, index: int, warmup: bool = False
) -> RequestRecord:
    """POST ``/v1/completions`` with ``stream: true``; see the module docstring."""
    return await _request(_COMPLETIONS, client, sample, params, t0=t0, index=index, warmup=warmup)


async def stream_chat(
    client: httpx.AsyncClient, sample: PromptSample, params: RequestParams, *, t0: float, index: int, warmup: bool = False
) -> RequestRecord:
    """POST ``/v1/chat/completions`` with ``stream: true``; a role-only first chunk is not a token."""
    return await _request(_CHAT, client, sample, params, t0=t0, index=index, warmup=warmup)


REQUEST_FUNCS: dict[str, RequestFunc] = {
    "completions": stream_completion,
    "chat": stream_chat,
}
