"""The one validation layer for what a server answers, shared by the serving, accuracy and
embedding clients: the same limits on headers, sizes, numbers and shapes, and every violation
one line (a recorded error, a recorded problem, or one ``AnswerError``), never a traceback.

Three parts:

* **Transport limits** (``LIMITS``, from ``reportgen.ranges`` where every limit is defined): at most ``max_headers`` response headers, none longer than
  ``max_header_line`` bytes, ``max_header_block`` in all. ``async_transport`` (aiohttp, for the
  streaming and accuracy clients) and ``sync_client`` (httpx's own h11 transport, for model lists,
  the functional check and the embedding client) both enforce them, and both turn anything the
  transport raises on a server's bytes into ``httpx.RemoteProtocolError`` with one line, so every
  caller that handles ``httpx.HTTPError`` handles hostile headers too.
* **Bodies**: ``read_json`` / ``aread_json`` read a non-streamed answer up to ``max_json_bytes``
  and parse it with the results loader's rules (no NaN/Infinity, nesting depth, over-long
  integers: ``reportgen._io.parse_json``).
* **Shapes and numbers**: ``model_ids``, ``chat_reply``, ``completion_reply`` and
  ``token_count``. A required part of another shape (``content`` an object, ``data`` not a list)
  is an ``AnswerError``; an optional part of another shape (``usage.completion_tokens`` a string
  or 400 digits) is dropped to "unknown" and named in ``Reply.problems``, which the callers
  record beside the answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from reportgen._io import MAX_DEPTH
from reportgen.errors import ServerError
from reportgen.ranges import (
    MAX_ANSWER_BYTES,
    MAX_HEADER_BLOCK_BYTES,
    MAX_HEADER_LINE_BYTES,
    MAX_RESPONSE_HEADERS,
    MAX_TOKENS,
)
from reportgen.redact import register_secret

__all__ = [
    "LIMITS",
    "AnswerError",
    "LimitExceeded",
    "Limits",
    "Reply",
    "aread_body",
    "aread_json",
    "async_transport",
    "register_url_credentials",
    "chat_reply",
    "header_violation",
    "completion_reply",
    "model_ids",
    "one_line",
    "parse_answer",
    "request",
    "sync_client",
    "text_value",
    "token_count",
]


@dataclass(frozen=True)
class Limits:
    max_headers: int = MAX_RESPONSE_HEADERS
    max_header_line: int = MAX_HEADER_LINE_BYTES  # one header line, bytes
    max_header_block: int = MAX_HEADER_BLOCK_BYTES  # all response headers, bytes
    max_json_bytes: int = MAX_ANSWER_BYTES  # one non-streamed JSON answer
    max_token_count: int = MAX_TOKENS  # a usage count past this is not a count


LIMITS = Limits()


class AnswerError(ServerError):
    """A server's answer has a shape or size no OpenAI-compatible server sends."""


def one_line(text: str | bytes, limit: int = 200) -> str:
    """``text`` as a short quoted line: control characters escaped, cut at ``limit`` characters."""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", "replace")
    s = repr(text[:limit])
    return s + ("…" if len(text) > limit else "")


# --------------------------------------------------------------------------- headers and transports


def header_violation(headers: list[tuple[bytes, bytes]], limits: Limits = LIMITS) -> str | None:
    """What is wrong with a response's headers under ``limits`` (None: nothing), worded for
    ``LimitExceeded(f"the server sent {...}")``; every transport of the clients calls it."""
    if len(headers) > limits.max_headers:
        return f"{len(headers)} response headers (the client accepts {limits.max_headers})"
    total = 0
    for k, v in headers:
        n = len(k) + len(v) + 4
        if n > limits.max_header_line:
            return f"a response header of {n} bytes (the client accepts {limits.max_header_line})"
        total += n
    if total > limits.max_header_block:
        return f"{total} bytes of response headers (the client accepts {limits.max_header_block})"
    return None


class LimitExceeded(httpx.RemoteProtocolError):
    """The server's answer went past ``LIMITS`` (not worth a retry: it will do it again)."""


def _transport_error(e: BaseException, limits: Limits = LIMITS) -> httpx.RemoteProtocolError:
    """One line for whatever a transport raised on a server's bytes (aiohttp's header-size errors
    are ``ClientResponseError`` with the request's whole header block in their repr); header
    limits read the same whichever transport met them."""
    msg = " ".join(str(getattr(e, "message", None) or e).split())
    low = msg.lower()
    if "too many headers" in low:
        return LimitExceeded(f"the server sent more than {limits.max_headers} response headers "
                             f"(the client accepts {limits.max_headers})")
    if "got more than" in low or "too long" in low or "buffer too long" in low:
        return LimitExceeded(f"the server sent a response header longer than {limits.max_header_line} bytes "
                             f"(the client accepts {limits.max_header_line})")
    return httpx.RemoteProtocolError(f"{type(e).__name__}: {msg[:300]}" if msg else type(e).__name__)


class _GuardedAsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.HTTPError:
            raise
        except (ValueError, TypeError, AttributeError, LookupError, RuntimeError) as e:
            raise _transport_error(e) from None
        except OSError as e:
            raise httpx.ReadError(f"{type(e).__name__}: {e}") from None
        except Exception as e:  # aiohttp.ClientError and its kin: a server's bytes, never our bug
            if type(e).__module__.startswith("aiohttp"):
                raise _transport_error(e) from None
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception:  # noqa: BLE001 - closing a broken connection says nothing new
            pass


class GuardedAsyncTransport(httpx.AsyncBaseTransport):
    """``inner`` with ``LIMITS`` on the response headers and the transport's own exceptions turned
    into ``httpx.RemoteProtocolError`` (one line)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limits: Limits = LIMITS) -> None:
        self.inner, self.limits = inner, limits

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            resp = await self.inner.handle_async_request(request)
        except httpx.HTTPError:
            raise
        except (ValueError, TypeError, AttributeError, LookupError, RuntimeError) as e:
            raise _transport_error(e) from None
        except Exception as e:
            if type(e).__module__.startswith("aiohttp"):
                raise _transport_error(e) from None
            raise
        bad = header_violation(resp.headers.raw, self.limits)
        if bad is not None:
            await resp.aclose()
            raise LimitExceeded(f"the server sent {bad}")
        resp.stream = _GuardedAsyncStream(resp.stream)  # type: ignore[arg-type]
        return resp

    async def aclose(self) -> None:
        await self.inner.aclose()


class GuardedTransport(httpx.BaseTransport):
    """The synchronous twin of ``GuardedAsyncTransport`` over httpx's own transport."""

    def __init__(self, inner: httpx.BaseTransport | None = None, limits: Limits = LIMITS) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.limits = limits

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            resp = self.inner.handle_request(request)
        except httpx.RemoteProtocolError as e:
            raise _transport_error(e) from None
        bad = header_violation(resp.headers.raw, self.limits)
        if bad is not None:
            resp.close()
            raise LimitExceeded(f"the server sent {bad}")
        return resp

    def close(self) -> None:
        self.inner.close()


def async_transport(connections: int, *, read_bufsize: int = 1 << 18, limits: Limits = LIMITS) -> httpx.AsyncBaseTransport:
    """httpx over aiohttp (``httpx_aiohttp``) with ``limits``: aiohttp's parser stops reading
    past the header limits; a pool of ``connections``, no decompression (the clients ask for
    identity), no proxy from the environment."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections, force_close=False),
            auto_decompress=False,
            trust_env=False,
            read_bufsize=read_bufsize,
            max_headers=limits.max_headers,
            max_field_size=limits.max_header_line,
            max_line_size=limits.max_header_line,
        )

    return GuardedAsyncTransport(AiohttpTransport(client=session), limits)


def sync_client(timeout: float | httpx.Timeout, *, headers: dict[str, str] | None = None,
                transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A synchronous client with ``LIMITS`` (model lists, the functional check, embeddings).
    URL credentials (``http://user:pass@host``) are sent as basic auth by httpx itself."""
    return httpx.Client(timeout=timeout, headers=headers, transport=GuardedTransport(transport), trust_env=False)


def register_url_credentials(url: str | httpx.URL) -> None:
    """Register the password of ``http://user:password@host`` and the ``user:password`` pair a
    Basic header carries (base64) as secrets, so no echoed form of them is ever written."""
    u = httpx.URL(str(url)) if not isinstance(url, httpx.URL) else url
    if u.password:
        register_secret(u.password)
        register_secret(f"{u.username}:{u.password}")


# --------------------------------------------------------------------------- bodies


def parse_answer(data: bytes, where: str) -> Any:
    """A JSON answer body: UTF-8, nested at most ``MAX_DEPTH`` levels, integers short enough to
    convert (``AnswerError`` otherwise). NaN/Infinity are kept: in a vector or a score they are
    the finding (the checks say which vector), and no figure of them is ever saved."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AnswerError(f"{where}: the answer is not UTF-8 ({e.reason} at byte {e.start}): {one_line(data)}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise AnswerError(f"{where}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}: {one_line(data)}") from None
    except RecursionError:
        raise AnswerError(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise AnswerError(f"{where}: a number is too long ({str(e).split(';')[0]})") from None
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise AnswerError(f"{where}: nested deeper than {MAX_DEPTH} levels")
        for v in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
            if isinstance(v, (dict, list)):
                stack.append((v, depth + 1))
    return doc


def _too_large(where: str, limits: Limits) -> AnswerError:
    return AnswerError(f"{where}: the answer is larger than {limits.max_json_bytes >> 20} MiB")


def request(client: httpx.Client, method: str, url: str, limits: Limits = LIMITS, **kw: Any) -> httpx.Response:
    """``client.request`` with the body read up to ``max_json_bytes`` (``AnswerError`` past it):
    the response comes back read, so ``.content``, ``.text`` and ``.json()`` work as usual."""
    if "@" in url:
        register_url_credentials(url)
    with client.stream(method, url, **kw) as resp:
        parts, n = [], 0
        for chunk in resp.iter_bytes():
            n += len(chunk)
            if n > limits.max_json_bytes:
                raise _too_large(f"{method} {url}", limits)
            parts.append(chunk)
    return httpx.Response(resp.status_code, headers=resp.headers, content=b"".join(parts), request=resp.request)


async def aread_body(resp: httpx.Response, where: str, limits: Limits = LIMITS) -> bytes:
    """The body of a streamed response, at most ``max_json_bytes`` (``AnswerError`` past it)."""
    parts, n = [], 0
    async for chunk in resp.aiter_bytes():
        n += len(chunk)
        if n > limits.max_json_bytes:
            raise _too_large(where, limits)
        parts.append(chunk)
    return b"".join(parts)


async def aread_json(resp: httpx.Response, where: str, limits: Limits = LIMITS) -> Any:
    return parse_answer(await aread_body(resp, where, limits), where)


# --------------------------------------------------------------------------- numbers and shapes


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", float: "a number",
            int: "an integer", type(None): "null"}.get(type(v), type(v).__name__)


def token_count(v: Any, name: str, problems: list[str], limits: Limits = LIMITS) -> int | None:
    """A usage count as the server reported it, or None (absent, or not a count: named in ``problems``)."""
    if v is None:
        return None
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= limits.max_token_count:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        shown = str(v) if len(str(v)) <= 20 else f"an integer of {len(str(v))} digits"
        problems.append(f"{name} is {shown}, not a token count: recorded as unknown")
    else:
        problems.append(f"{name} is {_kind(v)} ({one_line(json.dumps(v), 40)}), not a token count: recorded as unknown")
    return None


def text_value(v: Any, name: str, problems: list[str]) -> str | None:
    """An optional text field (``finish_reason``): a string, or None (another shape is named in ``problems``)."""
    if v is None or isinstance(v, str):
        return v
    problems.append(f"{name} is {_kind(v)}, not text: recorded as unknown")
    return None


def model_ids(body: bytes, where: str) -> list[str]:
    """The ids of an OpenAI model list (``{"data": [{"id": ...}, ...]}``); any other answer is one
    ``AnswerError`` line quoting its start and saying what is wrong."""
    def bad(why: str) -> AnswerError:
        return AnswerError(f"{where}: answered something other than a model list: {one_line(body)} ({why})")

    try:
        doc = parse_answer(body, where)
    except AnswerError as e:
        raise bad(str(e).removeprefix(f"{where}: ")) from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, list):
        raise bad(f"'data' is {_kind(data)}" if isinstance(doc, dict) else f"the answer is {_kind(doc)}")
    if not all(isinstance(d, dict) and isinstance(d.get("id"), str) for d in data):
        raise bad("an entry without a text 'id'")
    return [d["id"] for d in data]


@dataclass
class Reply:
    """One non-streamed answer, validated."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None  # the model the answer names
    problems: list[str] = field(default_factory=list)  # optional parts of another shape, dropped


def _first_choice(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise AnswerError(f"{where}: the answer is {_kind(doc)}, not an object: {one_line(json.dumps(doc))}")
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AnswerError(f"{where}: 'choices' is not a list of objects: {one_line(json.dumps(choices))}")
    return choices[0]


def _usage(doc: dict[str, Any], reply: Reply) -> None:
    usage = doc.get("usage")
    if usage is None:
        return
    if not isinstance(usage, dict):
        reply.problems.append(f"usage is {_kind(usage)}, not an object: token counts recorded as unknown")
        return
    reply.prompt_tokens = token_count(usage.get("prompt_tokens"), "usage.prompt_tokens", reply.problems)
    reply.completion_tokens = token_count(usage.get("completion_tokens"), "usage.completion_tokens", reply.problems)


def _reply(doc: dict[str, Any], choice: dict[str, Any], text: Any, name: str, where: str) -> Reply:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise AnswerError(f"{where}: {name} is {_kind(text)}, not text: {one_line(json.dumps(text))}")
    reply = Reply(text=text)
    reply.finish_reason = text_value(choice.get("finish_reason"), "choices[0].finish_reason", reply.problems)
    reply.model = text_value(doc.get("model"), "model", reply.problems)
    _usage(doc, reply)
    return reply


def chat_reply(doc: Any, where: str) -> Reply:
    """A ``/v1/chat/completions`` answer: ``choices[0].message.content`` must be text (or null)."""
    choice = _first_choice(doc, where)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise AnswerError(f"{where}: choices[0].message is {_kind(message)}, not an object: {one_line(json.dumps(message))}")
    return _reply(doc, choice, message.get("content"), "choices[0].message.content", where)


def completion_reply(doc: Any, where: str) -> Reply:
    """A ``/v1/completions`` answer: ``choices[0].text`` must be text (or null)."""
    choice = _first_choice(doc, where)
    return _reply(doc, choice, choice.get("text"), "choices[0].text", where)
