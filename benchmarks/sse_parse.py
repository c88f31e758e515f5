"""One 30 MB SSE event: parsing it must cost at most 2x receiving it (target: ratio <= 2).

    .venv/bin/python benchmarks/sse_parse.py [--mb 30] [--repeat 3] [--old]

A local aiohttp server (127.0.0.1) streams one ``data:`` event of ``--mb`` MB (a completion
chunk whose text is that long) and ``[DONE]``, in 64 KiB writes. Measured through the real
client stack (``make_client``: httpx over the streaming transport):

* receive: first byte to last byte, reads only;
* receive + parse: the same reads fed to ``SSEParser``;
* request: ``stream_completion`` end to end (what a cell records; its TTFT is the arrival of
  the event's last read, not a parse stall).

``--old`` also times the previous parser (it joined the held-back tail to every read:
quadratic) in memory on the same event, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp import web  # noqa: E402

from collectors.serving.client import RequestParams, make_client, stream_completion  # noqa: E402
from collectors.serving.prompts import PromptSample  # noqa: E402
from collectors.serving.sse import SSEParser  # noqa: E402

WRITE = 64 << 10


def event(mb: int) -> bytes:
    chunk = {"id": "c", "object": "text_completion", "choices": [{"index": 0, "text": "x" * (mb << 20), "finish_reason": "length"}]}
    usage = {"id": "c", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
    return (b"data: " + json.dumps(chunk).encode() + b"\n\n" + b"data: " + json.dumps(usage).encode() + b"\n\n"
            + b"data: [DONE]\n\n")


async def serve(body: bytes) -> tuple[web.AppRunner, int]:
    async def handler(req: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(req)
        for i in range(0, len(body), WRITE):
            await resp.write(body[i:i + WRITE])
        await resp.write_eof()
        return resp

    app = web.Application()
    app.add_routes([web.post("/v1/completions", handler), web.get("/raw", handler)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def receive(base: str, parse: bool) -> tuple[float, int]:
    async with make_client(base, 1) as c:
        async with c.stream("GET", "/raw") as resp:
            parser = SSEParser()
            events = 0
            t0 = None
            async for data in resp.aiter_raw():
                if t0 is None:
                    t0 = time.perf_counter()
                if parse:
                    events += len(parser.feed(data))
            events += len(parser.close())
            return time.perf_counter() - (t0 or time.perf_counter()), events


async def request(base: str) -> tuple[float, float | None, str | None]:
    sample = PromptSample(key="k", text="x", prompt_tokens=1, sha256="0" * 64)
    params = RequestParams(model="m", max_tokens=1, request_timeout_s=600, stall_timeout_s=60)
    async with make_client(base, 1) as c:
        t0 = time.perf_counter()
        rec = await stream_completion(c, sample, params, t0=t0, index=0)
        return time.perf_counter() - t0, rec.first_token_s, rec.error


class OldParser:
    """The previous ``SSEParser.feed``: the held-back tail joined to every read."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._tail + data if self._tail else data
        parts = buf.split(b"\n\n")
        self._tail = parts.pop()
        return parts


def parse_in_memory(body: bytes, parser: object, read: int = WRITE) -> float:
    t = time.perf_counter()
    for i in range(0, len(body), read):
        parser.feed(body[i:i + read])  # type: ignore[attr-defined]
    return time.perf_counter() - t


async def main_async(args: argparse.Namespace) -> None:
    body = event(args.mb)
    runner, port = await serve(body)
    base = f"http://127.0.0.1:{port}"
    try:
        recv, both, req = [], [], []
        for _ in range(args.repeat):
            r, _ = await receive(base, parse=False)
            b, n = await receive(base, parse=True)
            assert n == 3, n
            total, ttft, error = await request(base)
            assert error is None, error
            recv.append(r)
            both.append(b)
            req.append((total, ttft))
    finally:
        await runner.cleanup()
    r, b = statistics.median(recv), statistics.median(both)
    mem = statistics.median(parse_in_memory(body, SSEParser()) for _ in range(args.repeat))
    print(f"event: {len(body) / 1e6:.1f} MB in {WRITE >> 10} KiB writes, {args.repeat} runs (medians)")
    print(f"receive only:       {r:.3f} s")
    print(f"receive + parse:    {b:.3f} s   ratio {b / r:.2f} (target <= 2)")
    print(f"parse in memory:    {mem:.3f} s   ({len(body) / mem / 1e6:.0f} MB/s)")
    total, ttft = sorted(req)[len(req) // 2]
    print(f"stream_completion:  {total:.3f} s, recorded TTFT {ttft:.3f} s")
    if args.old:
        print(f"previous parser, in memory: {parse_in_memory(body, OldParser()):.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", action="store_true", help="also time the previous (quadratic) parser")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
