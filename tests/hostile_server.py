"""A hostile OpenAI-compatible server for the hardening tests: every answer is raw bytes a test
chooses, down to the header block, so it can send what no well-behaved framework would (a 100 KB
header, 2000 headers, a model list of the wrong shape, a 401 quoting the key, ``+Inf`` metrics).

``HostileServer(routes)`` listens on 127.0.0.1 in a thread. ``routes`` maps ``"METHOD /path"``
to a handler ``(request) -> bytes`` returning a whole HTTP response (``response()`` builds one);
unrouted paths get sane defaults: ``/health``, ``/v1/models`` (model ``m``), ``/metrics``,
streamed ``/v1/completions`` and ``/v1/chat/completions`` (3 tokens, usage, ``[DONE]``), and a
non-streamed chat answer. Every connection is closed after its answer (no keep-alive to fake).
Requests are kept in ``server.requests`` (method, path, headers, body) for the tests to inspect.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HostileServer", "Request", "response", "sse", "chat_answer", "completion_answer"]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Handler = Callable[[Request], bytes]


def response(status: int = 200, body: bytes | str | Any = b"", *, headers: list[tuple[str, str]] | None = None,
             content_type: str = "application/json", raw_headers: bytes = b"") -> bytes:
    """A whole HTTP/1.1 response; a non-bytes, non-str ``body`` is sent as JSON."""
    if isinstance(body, str):
        data = body.encode("utf-8")
    elif isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        data = json.dumps(body).encode("utf-8")
    head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(data)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers or []]
    return ("\r\n".join(head) + "\r\n").encode("latin-1") + raw_headers + b"\r\n" + data


def sse(chunks: list[Any], *, done: bool = True, headers: list[tuple[str, str]] | None = None) -> bytes:
    """A whole streamed answer: each chunk a ``data:`` event (JSON unless bytes), then ``[DONE]``."""
    events = b"".join(b"data: " + (c if isinstance(c, bytes) else json.dumps(c).encode()) + b"\n\n" for c in chunks)
    if done:
        events += b"data: [DONE]\n\n"
    return response(200, events, headers=headers, content_type="text/event-stream")


def completion_chunks(model: str, n: int = 3, *, chat: bool = False) -> list[Any]:
    out: list[Any] = []
    for i in range(n):
        choice: dict[str, Any] = {"index": 0, "finish_reason": "length" if i == n - 1 else None}
        if chat:
            choice["delta"] = {"content": f"t{i} "}
        else:
            choice["text"] = f"t{i} "
        out.append({"id": "x", "model": model, "choices": [choice]})
    out.append({"id": "x", "model": model, "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": n}})
    return out


def chat_answer(content: Any = "The answer is 42.", *, usage: Any = None, model: str = "m") -> dict[str, Any]:
    return {
        "id": "c", "object": "chat.completion", "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage if usage is not None else {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
    }


def completion_answer(text: Any = "Hello.", *, usage: Any = None, model: str = "m") -> dict[str, Any]:
    return {
        "id": "c", "object": "text_completion", "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": "length"}],
        "usage": usage if usage is not None else {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
    }


METRICS = """# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{{model_name="m"}} {p}
vllm:generation_tokens_total{{model_name="m"}} {g}
vllm:request_success_total{{model_name="m"}} {r}
vllm:prefix_cache_queries_total{{model_name="m"}} {p}
vllm:prefix_cache_hits_total{{model_name="m"}} 0
"""


@dataclass
class HostileServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    model: str = "m"
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    served: int = 0  # streamed answers sent (the default /metrics counts them)

    # ------------------------------------------------------------------ defaults
    def _default(self, req: Request) -> bytes:
        key = f"{req.method} {req.path}"
        if key == "GET /health":
            return response(200, b"")
        if key == "GET /v1/models":
            return response(200, {"object": "list", "data": [{"id": self.model, "object": "model"}]})
        if key == "GET /metrics":
            n = self.served
            return response(200, METRICS.format(p=20 * n, g=3 * n, r=n), content_type="text/plain")
        if key == "GET /version":
            return response(200, {"version": "0.0-hostile"})
        if req.method == "POST" and req.path in ("/v1/completions", "/v1/chat/completions"):
            body = req.json() or {}
            chat = req.path.endswith("chat/completions")
            if body.get("stream"):
                self.served += 1
                return sse(completion_chunks(self.model, int(body.get("max_tokens") or 3), chat=chat))
            return response(200, chat_answer(model=self.model) if chat else completion_answer(model=self.model))
        return response(404, {"error": {"message": f"no route {key}"}})

    # ------------------------------------------------------------------ serving
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length") or 0)
            body = await reader.readexactly(n) if n else b""
            req = Request(method, target.split("?", 1)[0], headers, body)
            self.requests.append(req)
            handler = self.routes.get(f"{method} {req.path}")
            data = handler(req) if handler is not None else self._default(req)
            writer.write(data)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - a client that went away
                pass

    def start(self) -> HostileServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, limit=1 << 24))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("hostile server did not start")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
