"""One streamed chunk's payload, validated while it is decoded: bytes in, a typed ``Chunk`` out.

``decode(payload)`` is the one way the serving client reads an SSE ``data:`` payload. The fast path
is msgspec with a typed schema (``Chunk``): the whole payload must be valid JSON, an object whose
``choices`` is a list of objects, ``delta`` an object, ``usage`` an object. Fields the client
does not read (``id``, ``logprobs``, ...) are checked as JSON and skipped, never built into dicts.
It costs 0.3 µs per vLLM token chunk where ``json.loads`` cost 4.8 µs (``benchmarks/chunk_decode.py``).

Anything msgspec refuses goes to ``_lenient``: the standard library's parser and the shape rules
the client always had, so the error text names what is wrong (``malformed chunk: 'choices' is
not a list of objects: ...``), and a payload that is valid under those rules but not under the
strict schema (``NaN``, a 1e400 float, a chunk without ``choices``) still decodes. Either way the
result is a ``Chunk`` or a ``ChunkError``: a server's bytes never become anything else.

Values the client only prints or compares (``text``, ``finish_reason``, ``model``, delta fields)
are typed ``Any``, as the previous dict-based reader accepted them; callers check their type where
it matters.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = [
    "FAST_DECODER", "Chunk", "ChunkError", "Choice", "Delta", "decode", "is_token_chat", "is_token_completion", "text_chat",
    "text_completion",
]

UNSET: Any = msgspec.UNSET


class Delta(msgspec.Struct, gc=False):
    """A chat choice's ``delta``. ``role`` is UNSET when absent (a role-only chunk names it)."""

    role: Any = UNSET
    content: Any = None
    reasoning_content: Any = None
    reasoning: Any = None
    tool_calls: Any = None


class Choice(msgspec.Struct, gc=False):
    text: Any = None  # /v1/completions
    delta: Delta | None = None  # /v1/chat/completions
    finish_reason: Any = None


class Chunk(msgspec.Struct, gc=False):
    choices: list[Choice] | None = None
    usage: dict[str, Any] | None = None
    error: Any = None
    model: Any = None


class ChunkError(ValueError):
    """The payload is not a chunk; the message is the request's recorded error."""


FAST_DECODER = msgspec.json.Decoder(Chunk)  # the client's hot loop calls its .decode directly
_decode = FAST_DECODER.decode


def decode(payload: bytes) -> Chunk:
    """The payload as a ``Chunk``; ``ChunkError`` when it is not one (``[DONE]`` included: callers
    test for it first, or catch)."""
    try:
        return _decode(payload)
    except msgspec.DecodeError:  # ValidationError included
        return _lenient(payload)


def _lenient(p: bytes) -> Chunk:
    """The slow path: ``json.loads`` and the shape rules, with an error that says what is wrong."""
    try:
        d = json.loads(p)
    except (ValueError, RecursionError):
        raise ChunkError(f"malformed SSE event: {p[:120]!r}") from None
    if not isinstance(d, dict):
        raise ChunkError(f"malformed SSE event (not an object): {p[:120]!r}")
    usage = d.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise ChunkError(f"malformed chunk: 'usage' is not an object: {p[:120]!r}")
    choices = d.get("choices")
    if choices is not None and (not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices)):
        raise ChunkError(f"malformed chunk: 'choices' is not a list of objects: {_dump(choices)}")
    out = []
    for c in choices or ():
        delta = c.get("delta")
        if delta is not None and not isinstance(delta, dict):
            raise ChunkError(f"malformed chunk: 'delta' is not an object: {_dump(delta)}")
        out.append(Choice(
            text=c.get("text"),
            delta=None if delta is None else Delta(
                role=delta.get("role", UNSET), content=delta.get("content"),
                reasoning_content=delta.get("reasoning_content"), reasoning=delta.get("reasoning"),
                tool_calls=delta.get("tool_calls"),
            ),
            finish_reason=c.get("finish_reason"),
        ))
    return Chunk(choices=out if choices is not None else None, usage=usage, error=d.get("error"), model=d.get("model"))


def _dump(v: Any) -> str:
    try:
        return json.dumps(v, ensure_ascii=False)[:120]
    except (ValueError, TypeError, RecursionError):
        return repr(v)[:120]


def is_token_completion(c: Chunk) -> bool:
    """A ``/v1/completions`` chunk carries a token when it has a choice (its text may be "":
    an incomplete UTF-8 sequence is still a generated token)."""
    return bool(c.choices)


def is_token_chat(c: Chunk) -> bool:
    """The same for chat, except a role-only delta (``{"role": "assistant", "content": ""}``),
    which precedes generation."""
    if not c.choices:
        return False
    d = c.choices[0].delta
    return d is None or d.role is UNSET or bool(d.content or d.reasoning_content or d.reasoning or d.tool_calls)


def text_completion(c: Chunk) -> str:
    """The generated text of a ``/v1/completions`` token chunk."""
    v = c.choices[0].text if c.choices else None
    return v if isinstance(v, str) else str(v or "")


def text_chat(c: Chunk) -> str:
    """The generated text of a chat token chunk: the answer, else the reasoning."""
    d = c.choices[0].delta if c.choices else None
    v = (d.content or d.reasoning_content or d.reasoning) if d is not None else None
    return v if isinstance(v, str) else str(v or "")
