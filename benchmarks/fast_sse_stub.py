#!/usr/bin/env python3
"""A fast OpenAI-compatible streaming stub for the client-overhead benchmark.

``POST /v1/completions`` (stream) answers ``max_tokens`` vLLM-style SSE events, one HTTP chunk each
(as uvicorn sends them), then a usage event (``choices: []``) and ``data: [DONE]``. The whole
response is rendered once per ``max_tokens`` and then only written, so the server costs a few
microseconds per request and the benchmark measures the client. ``GET /health`` and
``GET /v1/models`` answer too; anything else is a 404.

Usage: benchmarks/fast_sse_stub.py [--host 127.0.0.1] [--port 8100] [--model stub]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

_cache: dict[int, bytes] = {}


def _chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _event(obj: object) -> bytes:
    return _chunk(b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n")


def render_stream(model: str, tokens: int, prompt_tokens: int) -> bytes:
    if tokens in _cache:
        return _cache[tokens]
    created = int(time.time())
    head = {"id": "cmpl-stub", "object": "text_completion", "created": created, "model": model}
    parts = [b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
             b"transfer-encoding: chunked\r\n\r\n"]
    for _ in range(tokens):
        parts.append(_event({**head, "choices": [{"index": 0, "text": " x", "logprobs": None,
                                                  "finish_reason": None, "stop_reason": None}]}))
    parts.append(_event({**head, "choices": [], "usage": {
        "prompt_tokens": prompt_tokens, "completion_tokens": tokens, "total_tokens": prompt_tokens + tokens}}))
    parts.append(_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
    _cache[tokens] = b"".join(parts)
    return _cache[tokens]


def _plain(status: str, body: bytes, ctype: str = "application/json") -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


class StubProtocol(asyncio.Protocol):
    def __init__(self, model: str, prompt_tokens: int) -> None:
        self.model, self.prompt_tokens = model, prompt_tokens
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:  # several pipelined requests may sit in the buffer
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            self.answer(head.split(" ", 2), body)

    def answer(self, request_line: list[str], body: bytes) -> None:
        assert self.transport is not None
        method, path = (request_line + ["", ""])[:2]
        if method == "POST" and path.startswith("/v1/completions"):
            req = json.loads(body or b"{}")
            self.transport.write(render_stream(self.model, int(req.get("max_tokens") or 16), self.prompt_tokens))
        elif path.startswith("/health"):
            self.transport.write(_plain("200 OK", b""))
        elif path.startswith("/v1/models"):
            self.transport.write(_plain("200 OK", json.dumps(
                {"object": "list", "data": [{"id": self.model, "object": "model", "max_model_len": 16384}]}).encode()))
        else:
            self.transport.write(_plain("404 Not Found", b'{"detail":"Not Found"}'))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8100)
    ap.add_argument("--model", default="stub")
    ap.add_argument("--prompt-tokens", type=int, default=16, help="prompt_tokens reported in usage")
    a = ap.parse_args()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: StubProtocol(a.model, a.prompt_tokens), a.host, a.port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
