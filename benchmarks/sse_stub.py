#!/usr/bin/env python3
"""A fast vLLM-style SSE stub for client benchmarks: answers at once, costs ~tens of us a request.

Raw asyncio protocol, HTTP/1.1 keep-alive. ``POST /v1/completions`` (any body with a
Content-Length) -> ``--tokens`` token events, a usage event and ``[DONE]``, pre-rendered once
and written in one go (chunked transfer encoding, one HTTP chunk per SSE event, as uvicorn
sends). ``GET /health`` -> 200. Prints ``PORT <n>`` once listening.

  python benchmarks/sse_stub.py --tokens 16 [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json


def _response(tokens: int) -> bytes:
    events = []
    for i in range(tokens):
        fin = "length" if i == tokens - 1 else None
        events.append({"id": "cmpl-1", "object": "text_completion", "model": "stub",
                       "choices": [{"index": 0, "text": " x", "logprobs": None, "finish_reason": fin, "stop_reason": None}]})
    events.append({"id": "cmpl-1", "object": "text_completion", "model": "stub", "choices": [],
                   "usage": {"prompt_tokens": 16, "completion_tokens": tokens, "total_tokens": 16 + tokens}})
    body = b""
    for e in events:
        data = b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n"
        body += b"%x\r\n%s\r\n" % (len(data), data)
    done = b"data: [DONE]\n\n"
    body += b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done)
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    return head + body


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


class Proto(asyncio.Protocol):
    def __init__(self, stream: bytes) -> None:
        self.stream = stream
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v)
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            assert self.transport is not None
            self.transport.write(self.stream if head.startswith("POST") else OK)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tokens", type=int, default=16)
    a = ap.parse_args()
    stream = _response(a.tokens)
    server = await asyncio.get_running_loop().create_server(lambda: Proto(stream), "127.0.0.1", a.port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
