"""A stub vLLM-compatible server with a deterministic toy model, for the consistency tests.

The "model" gives every prefix of token ids a fixed distribution over ``VOCAB`` tokens (logits
drawn from a generator seeded by the prefix), so the greedy continuation, the logprobs of
generation and of teacher forcing are all consistent with each other, as a real model's are.
Knobs that make it a different card:

* ``noise``: logits plus ``noise`` x N(0, 1), seeded by the prefix too (a deterministic round-off);
* ``flips``: ``{prompt tokens: position}``: at that position of that prompt's continuation, the two
  most likely tokens swap (one wrong token, as a broken kernel would make);
* ``prompt_logprobs`` / ``echo`` False: the server answers HTTP 400 to them (teacher forcing falls
  back, or is unavailable);
* ``template_tag``: the chat template's system token (another value: the card templates differently);
* ``root``: the model folder /v1/models reports (another name: another model);
* ``tokenize`` False: no ``/tokenize`` (HTTP 404).

It runs on a real socket (aiohttp, in a thread), like ``chat_stub.ChatStub``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
from aiohttp import web
from aiohttp_thread import ThreadedApp

VOCAB = 64
EOS = 0


class ConsistencyStub(ThreadedApp):
    def __init__(self, *, model: str = "toy", root: str = "/models/toy-7b", noise: float = 0.0,
                 flips: dict[tuple[int, ...], int] | None = None, prompt_logprobs: bool = True, echo: bool = True,
                 template_tag: int = 1, fail_prompts: Sequence[tuple[int, ...]] = (), tokenize: bool = True) -> None:
        self.model, self.root, self.noise = model, root, noise
        self.flips = dict(flips or {})
        self.allow_prompt_logprobs, self.allow_echo = prompt_logprobs, echo
        self.template_tag = template_tag
        self.allow_tokenize = tokenize
        self.fail_prompts = set(fail_prompts)
        self.requests = 0
        self._cache: dict[tuple[int, ...], np.ndarray] = {}
        self.max_in_flight = 0
        self._in_flight = 0
        super().__init__()

    # ------------------------------------------------------------------ the toy model
    def logprobs(self, prefix: Sequence[int]) -> np.ndarray:
        key = tuple(prefix)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._logprobs(key)
        return hit

    def _logprobs(self, prefix: tuple[int, ...]) -> np.ndarray:
        seed = hash(prefix) & 0xFFFFFFFFFFFF  # a tuple of ints hashes the same in every process
        rng = np.random.default_rng(seed)
        logits = rng.normal(0.0, 2.0, VOCAB)
        logits[EOS] -= 4.0  # rarely the end
        if self.noise:
            logits = logits + self.noise * np.random.default_rng(seed ^ 0x5EED).normal(0.0, 1.0, VOCAB)
        for prompt, pos in self.flips.items():
            if len(prefix) == len(prompt) + pos and tuple(prefix[:len(prompt)]) == prompt:
                a, b = np.argsort(-logits)[:2]
                logits[a], logits[b] = logits[b], logits[a]
        m = logits.max()
        return logits - m - np.log(np.exp(logits - m).sum())

    def tokenize(self, messages: list[dict[str, str]]) -> list[int]:
        out = [self.template_tag]
        for m in messages:
            out += [2 + (ord(m["role"][0]) % 3)] + [3 + (ord(ch) % (VOCAB - 3)) for ch in m["content"][:200]]
        return out + [2]

    # ------------------------------------------------------------------ handlers
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model", "root": self.root,
                                                               "max_model_len": 4096}]})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="")

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.0-stub"})

    async def _tokenize(self, request: web.Request) -> web.Response:
        if not self.allow_tokenize:
            return web.json_response({"detail": "Not Found"}, status=404)
        body = await request.json()
        return web.json_response({"count": 0, "tokens": self.tokenize(body["messages"])})

    def _top(self, lp: np.ndarray, k: int, ids: bool) -> dict[str, float]:
        return {(f"token_id:{int(t)}" if ids else str(int(t))): float(lp[t]) for t in np.argsort(-lp)[:k]}

    async def _completions(self, request: web.Request) -> web.Response:
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            await asyncio.sleep(0.002)  # let concurrent requests overlap
            return self._complete(await request.json())
        finally:
            self._in_flight -= 1

    def _complete(self, body: dict[str, Any]) -> web.Response:
        self.requests += 1
        prompt = list(body["prompt"])
        if body.get("model") != self.model:
            return web.json_response({"error": {"message": "model not found"}}, status=404)
        if any(tuple(prompt[:len(p)]) == p for p in self.fail_prompts):
            return web.json_response({"error": {"message": "boom"}}, status=400)
        if body.get("prompt_logprobs") is not None and not self.allow_prompt_logprobs:
            return web.json_response({"error": {"message": "prompt_logprobs not supported"}}, status=400)
        if body.get("echo") and not self.allow_echo:
            return web.json_response({"error": {"message": "echo not supported"}}, status=400)
        k = int(body.get("logprobs") or 0)
        ids = bool(body.get("return_tokens_as_token_ids"))
        tokens: list[int] = []
        lps: list[float] = []
        tops: list[dict[str, float]] = []
        finish = "length"
        for _ in range(int(body.get("max_tokens", 16))):
            lp = self.logprobs(prompt + tokens)
            t = int(np.argmax(lp))
            tokens.append(t)
            lps.append(float(lp[t]))
            tops.append(self._top(lp, k, ids))
            if t == EOS:
                finish = "stop"
                break
        choice: dict[str, Any] = {"index": 0, "text": "".join(chr(0x4E00 + t) for t in tokens), "finish_reason": finish}
        if body.get("return_token_ids"):
            choice["token_ids"] = tokens
        if k and not body.get("echo"):
            choice["logprobs"] = {"tokens": [f"token_id:{t}" if ids else chr(0x4E00 + t) for t in tokens],
                                  "token_logprobs": lps, "top_logprobs": tops, "text_offset": list(range(len(tokens)))}
        pl = body.get("prompt_logprobs")
        if pl is not None:
            entries: list[Any] = [None]
            for j in range(1, len(prompt)):
                lp = self.logprobs(prompt[:j])
                d = {str(int(t)): {"logprob": float(lp[t]), "rank": r + 1} for r, t in enumerate(np.argsort(-lp)[:int(pl)])}
                d.setdefault(str(prompt[j]), {"logprob": float(lp[prompt[j]]), "rank": 99})
                entries.append(d)
            choice["prompt_logprobs"] = entries
        if body.get("echo") and k:
            all_toks = prompt + tokens
            top_e: list[Any] = [None]
            lp_e: list[Any] = [None]
            for j in range(1, len(all_toks)):
                lp = self.logprobs(all_toks[:j])
                d = self._top(lp, k, ids)
                d.setdefault(f"token_id:{all_toks[j]}" if ids else str(all_toks[j]), float(lp[all_toks[j]]))
                top_e.append(d)
                lp_e.append(float(lp[all_toks[j]]))
            choice["logprobs"] = {"tokens": [f"token_id:{t}" for t in all_toks], "token_logprobs": lp_e,
                                  "top_logprobs": top_e, "text_offset": list(range(len(all_toks)))}
        return web.json_response({"id": "cmpl-stub", "object": "text_completion", "model": self.model, "choices": [choice],
                                  "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(tokens)}})

    # ------------------------------------------------------------------ lifecycle
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/health", self._health)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/version", self._version)
        app.router.add_post("/tokenize", self._tokenize)
        app.router.add_post("/v1/completions", self._completions)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
