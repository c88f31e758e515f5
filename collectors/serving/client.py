"""Streaming requests to an OpenAI-compatible server, one raw ``RequestRecord`` each.

Request functions are chosen by name (``REQUEST_FUNCS``); all have the signature of
``RequestFunc``: ``(client, sample, params, *, t0, index, warmup) -> RequestRecord``.
The ``httpx.AsyncClient`` is passed in (the transport seam): ``make_client`` builds
the fast one (httpx's API over aiohttp, ``httpx_aiohttp.AiohttpTransport``: httpx's
default transport consumed half the chunks/s, ``benchmarks/client_overhead.py``);
tests pass ``httpx.MockTransport`` or point it at a stub.

Timing (``time.perf_counter``, seconds since the cell's ``t0``):

* ``start_s``: just before the POST is sent.
* One timestamp per network read; every SSE event in that read gets it.
* A *token event* is a chunk carrying a generated token: any chunk with non-empty
  ``choices`` on ``/v1/completions`` (even when its text is "" because the token is an
  incomplete UTF-8 sequence); on ``/v1/chat/completions`` the same, except a
  role-only delta (``{"role": "assistant", "content": ""}``), which precedes generation.
* ``first_token_s`` / ``end_s``: the first / last token event; ``chunk_times_s``: all.
* Token counts come from the usage chunk (``stream_options.include_usage``).
* Reasoning models (chat deltas with ``reasoning_content`` / ``reasoning`` first): TTFT stays
  the first token of any kind; ``first_answer_s`` is the first chunk with answer ``content``
  (found after the stream ends, so the hot path is unchanged). None without reasoning.
* A sample with its own ``output_len`` (datasets) sends that as max_tokens (and min_tokens).

A failure is data: HTTP errors, connection resets, a stalled stream (no byte for
``stall_timeout_s``), the total ``request_timeout_s``, malformed SSE and a stream
that ends before ``[DONE]`` all become a record with ``error`` set (and whatever
token times arrived before it). Only cancellation (Ctrl-C) propagates.

Per event, the hot path does a few byte searches; ``json.loads`` runs only for
events that are not plain token chunks (usage, role, errors, other servers'
spacing), and for every token payload after the stream ended: a chunk that is not a JSON
object with a list of choice objects makes the request fail (``malformed SSE event``),
so garbage never counts as a token.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from collectors import answers
from collectors.auth import bearer
from collectors.serving.prompts import PromptSample
from collectors.serving.sse import SSEParser
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

    ``transport=None`` builds the aiohttp transport with a large read buffer (vLLM
    #39963: a 64 KiB buffer collapsed throughput at long contexts).
    """
    if transport is None:
        # the shared answer limits (headers) and one-line transport errors: collectors.answers
        transport = answers.async_transport(max(1, concurrency) + 2, read_bufsize=4 << 20)  # + the /metrics scrapes
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
    """What one request has seen so far (survives a timeout that cancels the stream)."""

    __slots__ = ("times", "payloads", "status", "usage", "done", "events", "after_done", "finish_reason")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.payloads: list[bytes] = []  # token payloads, parsed after the stream ends
        self.status: int | None = None
        self.usage: dict[str, Any] | None = None
        self.done = False
        self.events = 0
        self.after_done = 0  # events after [DONE]: no token of the answer, never counted
        self.finish_reason: str | None = None


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


def _choice(d: dict[str, Any]) -> dict[str, Any] | None:
    """The first choice of a chunk; None when there is none; ``_StreamError`` when ``choices``
    has another shape than a list of objects (a server answer is data, never a crash)."""
    choices = d.get("choices")
    if choices is None or choices == []:
        return None
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise _StreamError(f"malformed chunk: 'choices' is not a list of objects: {json.dumps(choices)[:120]}")
    return choices[0]


def _delta(c: dict[str, Any]) -> dict[str, Any]:
    delta = c.get("delta")
    if delta is None:
        return {}
    if not isinstance(delta, dict):
        raise _StreamError(f"malformed chunk: 'delta' is not an object: {json.dumps(delta)[:120]}")
    return delta


def _is_token_completion(d: dict[str, Any]) -> bool:
    return _choice(d) is not None


def _is_token_chat(d: dict[str, Any]) -> bool:
    c = _choice(d)
    if c is None:
        return False
    delta = _delta(c)
    if "role" in delta and not any(delta.get(k) for k in ("content", "reasoning_content", "reasoning", "tool_calls")):
        return False  # role-only: sent before the first token
    return True


def _text_completion(d: dict[str, Any]) -> str:
    c = _choice(d) or {}
    return str(c.get("text") or "")


def _text_chat(d: dict[str, Any]) -> str:
    delta = _delta(_choice(d) or {})
    return str(delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning") or "")


@dataclass(frozen=True)
class _Endpoint:
    path: str
    body: Callable[[PromptSample, RequestParams], dict[str, Any]]
    is_token: Callable[[dict[str, Any]], bool]
    text: Callable[[dict[str, Any]], str]
    fast_exclude: bytes  # a token chunk containing this goes the slow (parsed) path


_COMPLETIONS = _Endpoint("/v1/completions", _completion_body, _is_token_completion, _text_completion, b'"usage":{')
_CHAT = _Endpoint("/v1/chat/completions", _chat_body, _is_token_chat, _text_chat, b'"role"')

ENDPOINTS = {"completions": _COMPLETIONS.path, "chat": _CHAT.path}


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
            text = (await resp.aread())[:300].decode("utf-8", "replace").strip()
            raise _StreamError(f"HTTP {resp.status_code}: {text}" if text else f"HTTP {resp.status_code}")
        parser = SSEParser()
        times, payloads = acc.times, acc.payloads
        is_token, excl = ep.is_token, ep.fast_exclude
        async for data in resp.aiter_raw():
            now = _now()
            for p in parser.feed(data):
                acc.events += 1
                if acc.done:
                    acc.after_done += 1
                    continue
                # Fast path: a vLLM-style compact token chunk, recognised without parsing.
                if b'"choices":[{' in p and p.endswith(b"}") and b'"usage":{' not in p and excl not in p:
                    times.append(now)
                    payloads.append(p)
                    continue
                if p == b"[DONE]":
                    acc.done = True
                    continue
                _slow(p, now, acc, is_token)
            if _YIELD_EVERY_READ:
                # A read returns at once while the connection's buffer holds data, so without
                # this one busy stream would hog the loop and delay every other stream's
                # timestamps (client-only TTFT at 256 streams: 0.77 s -> see benchmarks/).
                await asyncio.sleep(0)
        for p in parser.close():
            acc.events += 1
            if acc.done:
                acc.after_done += 1
            elif p == b"[DONE]":
                acc.done = True
            else:
                _slow(p, _now(), acc, is_token)


def _slow(p: bytes, now: float, acc: _Acc, is_token: Callable[[dict[str, Any]], bool]) -> None:
    try:
        d = json.loads(p)
    except ValueError:
        raise _StreamError(f"malformed SSE event: {p[:120]!r}") from None
    if not isinstance(d, dict):
        raise _StreamError(f"malformed SSE event (not an object): {p[:120]!r}")
    if d.get("error") and not d.get("choices"):
        err = d["error"]
        msg = err.get("message", err) if isinstance(err, dict) else err
        raise _StreamError(f"server error in stream: {str(msg)[:200]}")
    if "usage" in d and d["usage"] is not None and not isinstance(d["usage"], dict):
        raise _StreamError(f"malformed chunk: 'usage' is not an object: {p[:120]!r}")
    usage = d.get("usage")
    if isinstance(usage, dict):
        acc.usage = usage
    if is_token(d):
        acc.times.append(now)
        acc.payloads.append(p)


def _error_text(e: BaseException) -> str:
    """``ServerDisconnectedError: Server disconnected`` rather than httpx's mapped class."""
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
    acc = _Acc()
    error: str | None = None
    st = _now()
    try:
        if params.request_timeout_s:
            await asyncio.wait_for(_consume(client, ep, body, params, acc), params.request_timeout_s)
        else:
            await _consume(client, ep, body, params, acc)
    except _StreamError as e:
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
    text = None
    model = None
    if acc.payloads:
        # A token chunk counts only if it is a JSON object of the expected shape: the fast path
        # took it on sight, so every one is parsed here, after the stream (off the timed path).
        try:
            chunks = [json.loads(p) for p in acc.payloads]
            bad = next((i for i, d in enumerate(chunks) if not isinstance(d, dict) or not ep.is_token(d)), None)
            if bad is not None:
                raise _StreamError(f"malformed SSE event: {acc.payloads[bad][:120]!r}")
            last = _choice(chunks[-1]) or {}
            # the model the answer named: the first name that is not the one requested, if any
            names = [m for d in chunks if isinstance(m := d.get("model"), str)]
            model = next((m for m in names if m != params.model), names[0] if names else None)
            fr = last.get("finish_reason")
            finish_reason = fr if isinstance(fr, str) else None
            if params.keep_text:
                text = "".join(ep.text(d) for d in chunks)[: params.max_text_chars]
        except (ValueError, RecursionError, _StreamError) as e:
            if error is None:
                error = str(e) if isinstance(e, _StreamError) else f"malformed SSE event: {_first_bad(acc.payloads)!r}"
    usage = acc.usage or {}
    problems: list[str] = []  # usage counts of another shape: unknown, and named (collectors.answers)
    prompt_tokens = answers.token_count(usage.get("prompt_tokens"), "usage.prompt_tokens", problems)
    completion_tokens = answers.token_count(usage.get("completion_tokens"), "usage.completion_tokens", problems)
    times = [t - t0 for t in acc.times]
    first_answer = _first_answer(acc.payloads, times)
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
        first_answer_s=first_answer,
        target_output_tokens=sample.output_len,
        model=model,
        events_after_done=acc.after_done,
        answer_problems=problems,
    )


def _first_answer(payloads: list[bytes], times: list[float]) -> float | None:
    """The time of the first chunk with answer content, when the stream began with reasoning."""
    if not payloads or b'"reasoning' not in payloads[0]:
        return None
    for p, t in zip(payloads, times):
        if b'"content"' not in p:
            continue
        try:
            d = json.loads(p)
            delta = (d.get("choices") or [{}])[0].get("delta") or {}
        except (ValueError, AttributeError, IndexError, TypeError):
            continue
        if delta.get("content"):
            return t
    return None


def _first_bad(payloads: list[bytes]) -> bytes:
    for p in payloads:
        try:
            json.loads(p)
        except ValueError:
            return p[:120]
    return payloads[-1][:120]


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
