"""A small OpenAI-compatible streaming stub with controlled timing and injected faults.

Run: python tests/serving_stub.py [--tokenizer DIR]   -> prints "PORT <n>" once listening.

POST /v1/completions and /v1/chat/completions (stream=true), vLLM-style SSE. Each
request may carry (extra body fields):
  stub_ttft   seconds before the first token (default --ttft, 0.05)
  stub_tpot   seconds between tokens (default --tpot, 0.005)
  stub_fault  one of: http500, reset:K, stall:K, malformed:K, die:K, nodone, error_event:K,
              badchoice:K ("choices":["x"]), garbage:K ({"choices":[{garbage})
              (K = tokens sent before the fault)
  stub_reasoning  chat: the first N tokens are ``reasoning_content`` deltas, the rest ``content``
Tokens are sent at absolute times start + ttft + i*tpot, so scheduling jitter does not
accumulate. With --slots K the stub serves at most K requests at once (like a server with K
sequences of KV cache): a further request waits for a free slot, and its ttft starts then, so
the largest concurrency whose TTFT stays near stub_ttft is exactly K. Usage reports prompt_tokens counted with --tokenizer (else the number of
whitespace-separated words) and completion_tokens = max_tokens.
Options: --models-answer BODY (what /v1/models answers), --die-after N (exit 3 at the N+1-th
stream), --api-key (accepted, not checked), --require-key KEY (401 without the bearer key, every
path but /health; each path seen with the key is listed by GET /stub/keyed); for soak tests --tpot-drift MS
(every request's TPOT grows by MS milliseconds per minute since the stub started: a server that slows down
on a schedule) and --error-burst PERIOD:LEN (a request arriving in the first LEN seconds of every PERIOD
seconds since the start gets HTTP 500: errors in bursts); servers built to misbehave: --extra-tokens N (a
stream ignores max_tokens: N more tokens, while its usage reports max_tokens), --empty-answers (every
non-streamed answer, completion or chat, is empty text after max_tokens tokens), --root DIR (the model's
root in /v1/models, as vLLM gives the path it loaded); /metrics has process_start_time_seconds (the stub's
start). Also: GET /health, /v1/models, /metrics (vLLM names: prefix-cache hits by repeated
prompt prefix, TTFT/TPOT/E2E sums and counts), POST /tokenize, /detokenize.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import time

from aiohttp import web

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--tokenizer", default=None)
ap.add_argument("--model", default="stub-model")
ap.add_argument("--slots", type=int, default=0, help="requests served at once (0: unlimited)")
ap.add_argument("--ttft", type=float, default=0.05, help="default stub_ttft")
ap.add_argument("--tpot", type=float, default=0.005, help="default stub_tpot")
ap.add_argument("--models-answer", default=None, help="raw body /v1/models answers (malformed model lists)")
ap.add_argument("--die-after", type=int, default=None, help="exit (status 3) when this many streams were answered")
ap.add_argument("--api-key", default=None, help="accepted like vLLM's, not checked (redaction tests)")
ap.add_argument("--tpot-drift", type=float, default=0.0, help="ms added to every request's TPOT per minute since start")
ap.add_argument("--error-burst", default=None, help="PERIOD:LEN seconds: requests in the first LEN s of each PERIOD fail")
ap.add_argument("--require-key", default=None,
                help="answer 401 to any request but /health without 'Authorization: Bearer KEY' (a gateway)")
ap.add_argument("--extra-tokens", type=int, default=0, help="stream this many tokens beyond max_tokens (usage still says max_tokens)")
ap.add_argument("--empty-answers", action="store_true", help="non-streamed completions and chat answer empty text")
ap.add_argument("--root", default=None, help="the model's \"root\" in /v1/models (vLLM: the path it loaded)")
args = ap.parse_args()
STARTED = time.perf_counter()  # the schedules of --tpot-drift and --error-burst count from here
STARTED_UNIX = time.time()
SLOTS: asyncio.Semaphore | None = None  # made in main() (inside the running loop)

TOK = None
if args.tokenizer:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers import AutoTokenizer

    TOK = AutoTokenizer.from_pretrained(args.tokenizer, local_files_only=True)

COUNTERS = {
    "vllm:prefix_cache_queries_total": 0.0,
    "vllm:prefix_cache_hits_total": 0.0,
    "vllm:prompt_tokens_total": 0.0,
    "vllm:generation_tokens_total": 0.0,
    "vllm:time_to_first_token_seconds_sum": 0.0,
    "vllm:time_to_first_token_seconds_count": 0.0,
    "vllm:request_time_per_output_token_seconds_sum": 0.0,
    "vllm:request_time_per_output_token_seconds_count": 0.0,
    "vllm:e2e_request_latency_seconds_sum": 0.0,
    "vllm:e2e_request_latency_seconds_count": 0.0,
}
SEEN_PREFIXES: set[str] = set()
STREAMS = [0]


def count(text: str) -> int:
    if TOK is not None:
        return len(TOK(text)["input_ids"])
    return len(text.split())


def chat_count(messages: list[dict]) -> int:
    if TOK is not None:
        out = TOK.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if hasattr(out, "keys"):
            out = out["input_ids"]
        return len(out)
    return sum(len(m["content"].split()) for m in messages) + 5


def sse(obj: object) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


async def health(_: web.Request) -> web.Response:
    return web.Response(text="")


async def models(_: web.Request) -> web.Response:
    if args.models_answer is not None:
        return web.Response(text=args.models_answer, content_type="application/json")
    card = {"id": args.model, "object": "model", **({"root": args.root} if args.root else {})}
    return web.json_response({"object": "list", "data": [card]})


async def metrics(_: web.Request) -> web.Response:
    lines = [f'{k}{{model_name="{args.model}"}} {v}' for k, v in COUNTERS.items()]
    lines.append(f"process_start_time_seconds {STARTED_UNIX:.2f}")
    return web.Response(text="# HELP stub\n" + "\n".join(lines) + "\n")


async def tokenize(req: web.Request) -> web.Response:
    body = await req.json()
    if TOK is None:
        return web.json_response({"error": "no tokenizer"}, status=404)
    if "messages" in body:
        n = chat_count(body["messages"])
        return web.json_response({"count": n, "tokens": [], "max_model_len": 16384})
    ids = TOK(body["prompt"], add_special_tokens=body.get("add_special_tokens", True))["input_ids"]
    return web.json_response({"count": len(ids), "tokens": ids, "max_model_len": 16384})


async def detokenize(req: web.Request) -> web.Response:
    body = await req.json()
    return web.json_response({"prompt": TOK.decode(body["tokens"])})


def _reset(req: web.Request) -> None:
    sock = req.transport.get_extra_info("socket") if req.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close
    if req.transport:
        req.transport.close()


async def generate(req: web.Request) -> web.StreamResponse:
    if SLOTS is None:
        return await _generate(req)
    async with SLOTS:
        return await _generate(req)


async def _generate(req: web.Request) -> web.StreamResponse:
    t_start = time.perf_counter()
    body = await req.json()
    chat = req.path.endswith("/chat/completions")
    fault = str(body.get("stub_fault") or "")
    kind, _, k = fault.partition(":")
    k_tokens = int(k) if k else 0
    if args.error_burst:
        period, length = (float(x) for x in args.error_burst.split(":"))
        if (t_start - STARTED) % period < length:
            kind = "http500"
    if kind == "http500":
        return web.json_response({"error": {"message": "injected failure", "code": 500}}, status=500)
    STREAMS[0] += 1
    if args.die_after is not None and STREAMS[0] > args.die_after:
        os._exit(3)
    n = int(body.get("max_tokens", 16))
    ttft = float(body.get("stub_ttft", args.ttft))
    tpot = float(body.get("stub_tpot", args.tpot)) + args.tpot_drift / 1000.0 * (t_start - STARTED) / 60.0
    reasoning = int(body.get("stub_reasoning", 0))
    if chat:
        prompt_tokens = chat_count(body["messages"])
        text = body["messages"][-1]["content"]
    else:
        text = body["prompt"]
        prompt_tokens = count(text)
    COUNTERS["vllm:prefix_cache_queries_total"] += prompt_tokens
    if text[:200] in SEEN_PREFIXES:  # a crude prefix cache: a repeated start is a hit
        COUNTERS["vllm:prefix_cache_hits_total"] += prompt_tokens
    SEEN_PREFIXES.add(text[:200])

    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(req)
    rid = f"cmpl-{id(req)}"
    if chat:
        await resp.write(sse({"id": rid, "object": "chat.completion.chunk", "model": args.model,
                              "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}))
    first = last = None
    sent = n + args.extra_tokens  # a server that ignores max_tokens streams more than asked
    for i in range(sent):
        delay = t_start + ttft + i * tpot - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if kind and i == k_tokens:
            if kind == "reset":
                _reset(req)
                return resp
            if kind == "stall":
                await asyncio.sleep(3600)
            if kind == "malformed":
                await resp.write(b'data: {"id": "x", "choices": [{"text": \n\n')
                continue
            if kind == "badchoice":  # choices of strings, not objects
                await resp.write(sse({"id": rid, "choices": ["x"]}))
                continue
            if kind == "garbage":  # looks like a compact token chunk, is not JSON
                await resp.write(b'data: {"choices":[{garbage}\n\n')
                continue
            if kind == "error_event":
                await resp.write(sse({"error": {"message": "injected error event", "code": 500}}))
                await resp.write(b"data: [DONE]\n\n")
                return resp
            if kind == "die":
                os._exit(3)
        fin = "length" if i == sent - 1 else None
        if chat:
            chunk = {"id": rid, "object": "chat.completion.chunk", "model": args.model,
                     "choices": [{"index": 0, "delta": {"reasoning_content" if i < reasoning else "content": f" t{i}"},
                                  "logprobs": None, "finish_reason": fin}]}
        else:
            chunk = {"id": rid, "object": "text_completion", "model": args.model,
                     "choices": [{"index": 0, "text": f" t{i}", "logprobs": None, "finish_reason": fin, "stop_reason": None}]}
        await resp.write(sse(chunk))
        now = time.perf_counter()
        first = first if first is not None else now
        last = now
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
    await resp.write(sse({"id": rid, "object": "text_completion", "model": args.model, "choices": [], "usage": usage}))
    if kind != "nodone":
        await resp.write(b"data: [DONE]\n\n")
    COUNTERS["vllm:prompt_tokens_total"] += prompt_tokens
    COUNTERS["vllm:generation_tokens_total"] += n
    if first is not None:
        COUNTERS["vllm:time_to_first_token_seconds_sum"] += first - t_start
        COUNTERS["vllm:time_to_first_token_seconds_count"] += 1
        COUNTERS["vllm:e2e_request_latency_seconds_sum"] += last - t_start
        COUNTERS["vllm:e2e_request_latency_seconds_count"] += 1
        if n > 1:
            COUNTERS["vllm:request_time_per_output_token_seconds_sum"] += (last - first) / (n - 1)
            COUNTERS["vllm:request_time_per_output_token_seconds_count"] += 1
    await resp.write_eof()
    return resp


async def completion_plain(req: web.Request) -> web.StreamResponse:
    body = await req.json()
    if body.get("stream"):
        return await generate(req)
    n = int(body.get("max_tokens", 16))
    text = "" if args.empty_answers else "".join(f" t{i}" for i in range(n))
    pt = count(body["prompt"])
    return web.json_response({"id": "cmpl-1", "object": "text_completion", "model": args.model,
                              "choices": [{"index": 0, "text": text, "finish_reason": "length"}],
                              "usage": {"prompt_tokens": pt, "completion_tokens": n, "total_tokens": pt + n}})


async def chat_plain(req: web.Request) -> web.StreamResponse:
    """Non-streamed chat (what the accuracy evals send); streamed chat as generate()."""
    body = await req.json()
    if body.get("stream"):
        return await generate(req)
    n = int(body.get("max_tokens", 16))
    text = "" if args.empty_answers else "".join(f" t{i}" for i in range(min(n, 8)))
    pt = sum(count(m.get("content") or "") for m in body.get("messages") or [])
    return web.json_response({"id": "chatcmpl-1", "object": "chat.completion", "model": args.model,
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                           "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": pt, "completion_tokens": min(n, 8), "total_tokens": pt + min(n, 8)}})


async def main() -> None:
    global SLOTS
    if args.slots > 0:
        SLOTS = asyncio.Semaphore(args.slots)
    keyed: set[str] = set()

    @web.middleware
    async def require_key(req: web.Request, handler):  # noqa: ANN001, ANN202
        if args.require_key and req.path not in ("/health", "/stub/keyed"):
            if req.headers.get("Authorization") != f"Bearer {args.require_key}":
                return web.json_response({"error": "Unauthorized"}, status=401)
            keyed.add(req.path)
        return await handler(req)

    async def keyed_paths(req: web.Request) -> web.Response:
        return web.json_response(sorted(keyed))

    app = web.Application(middlewares=[require_key])
    app.add_routes([web.get("/stub/keyed", keyed_paths)])
    app.add_routes([
        web.get("/health", health), web.get("/v1/models", models), web.get("/metrics", metrics),
        web.post("/tokenize", tokenize), web.post("/detokenize", detokenize),
        web.post("/v1/completions", completion_plain), web.post("/v1/chat/completions", chat_plain),
    ])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
