"""A stub OpenAI chat server on a real socket (aiohttp, in a thread), for tests and benchmarks.

``answer(request_id, prompt) -> str`` decides the reply. The runner sends ``X-Request-Id:
<benchmark>/<sample id>/<nonce>``, so a stub can answer each question's gold label without
knowing the prompt format. The stub records when each request arrived and finished, so a
benchmark can show how many were in flight over time.

    python tests/chat_stub.py --reply 42 --delay-ms 20   # standalone, prints its URL
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp_thread import ThreadedApp

Answer = Callable[[str, str], str]


class ChatStub(ThreadedApp):
    client_max_size = 64 << 20
    def __init__(self, answer: Answer, *, model: str = "stub", delay_s: float = 0.0, fail_first: int = 0) -> None:
        self.answer = answer
        self.model = model
        self.delay_s = delay_s
        self.fail_first = fail_first  # answer HTTP 503 to this many requests first (retry tests)
        self.events: list[tuple[float, int]] = []  # (perf_counter, +1 arrival / -1 reply)
        self.requests = 0
        self.bodies: list[dict] = []
        self.keep_bodies = False
        super().__init__()

    # ------------------------------------------------------------------ handlers
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.Response:
        self.events.append((time.perf_counter(), 1))
        try:
            body = await request.json()
            self.requests += 1
            if self.keep_bodies:
                self.bodies.append(body)
            if self.requests <= self.fail_first:
                return web.Response(status=503, text="busy")
            if body.get("model") != self.model:
                return web.json_response({"error": {"message": "model not found"}}, status=404)
            prompt = body["messages"][-1]["content"]
            text = self.answer(request.headers.get("X-Request-Id", ""), prompt)
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            doc = {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            return web.Response(body=json.dumps(doc).encode(), content_type="application/json")
        finally:
            self.events.append((time.perf_counter(), -1))

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({**self.in_flight_stats(), "requests": self.requests})

    async def _reset(self, request: web.Request) -> web.Response:
        self.events.clear()
        self.requests = 0
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ lifecycle
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/stub/stats", self._stats)
        app.router.add_post("/stub/reset", self._reset)

    def __enter__(self) -> ChatStub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ in-flight statistics
    def in_flight_stats(self) -> dict[str, float]:
        """Over [first arrival, last reply]: time-weighted mean in flight, and the time with none."""
        ev = sorted(self.events)
        if not ev:
            return {"span_s": 0.0, "mean_in_flight": 0.0, "idle_s": 0.0, "max_in_flight": 0}
        level, last_t, area, idle, peak = 0, ev[0][0], 0.0, 0.0, 0
        for t, d in ev:
            dt = t - last_t
            area += level * dt
            if level == 0:
                idle += dt
            level += d
            peak = max(peak, level)
            last_t = t
        span = ev[-1][0] - ev[0][0]
        return {"span_s": span, "mean_in_flight": area / span if span else 0.0, "idle_s": idle, "max_in_flight": peak}


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--reply", default="42")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--model", default="stub")
    a = ap.parse_args()
    stub = ChatStub(lambda rid, prompt: a.reply, model=a.model, delay_s=a.delay_ms / 1000)
    print(stub.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()
