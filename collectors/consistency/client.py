"""The requests of the consistency check, and pure parsers of their answers.

Everything goes through a vLLM-compatible OpenAI server by token ids, so that the reference and
the card answer exactly the same input:

* ``POST /tokenize {messages, add_generation_prompt}``: the prompt as the server's chat template
  makes it (the reference's tokens are what both sides are sent; the card's are only compared);
* ``POST /v1/completions {prompt: [ids], temperature: 0, logprobs: k, return_token_ids,
  return_tokens_as_token_ids}``: the greedy continuation, with the log-probability and the top-k
  of every generated token, by token id;
* teacher forcing, ``POST /v1/completions {prompt: prompt + continuation, max_tokens: 1}`` with
  vLLM's ``prompt_logprobs: k`` or, failing that, the legacy ``echo: true, logprobs: k``: the
  log-probabilities at every position of a fixed continuation.

A malformed answer becomes ``AnswerError`` (one line, recorded with the prompt); an unreachable
server or one that keeps failing becomes ``ServerError``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from collectors import answers
from collectors.auth import bearer
from collectors.serving.client import url_and_auth
from reportgen.consistency.metrics import LOGPROB_FLOOR, Position
from reportgen.errors import ServerError
from reportgen.ranges import MAX_TOKENS

TeacherForcing = Literal["prompt_logprobs", "echo"]
RETRIES = 2


class AnswerError(Exception):
    """The server answered, but not usably for this prompt (an HTTP 4xx, a malformed body)."""


@dataclass(frozen=True)
class Generation:
    tokens: list[int]
    text: str
    finish_reason: str | None
    logprobs: list[float]
    top: list[list[tuple[int, float]]]

    def positions(self) -> list[Position]:
        return [Position(lp, top) for lp, top in zip(self.logprobs, self.top)]


# --------------------------------------------------------------------------- pure parsers


def _logprob(x: Any, where: str) -> float:
    """A log-probability as the server wrote it: null or -inf (a token ruled out) is ``LOGPROB_FLOOR``."""
    if x is None:
        return LOGPROB_FLOOR
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise AnswerError(f"{where}: log-probability {x!r} is not a number")
    if math.isnan(x) or x > 1e-6:
        raise AnswerError(f"{where}: log-probability {x!r} is not <= 0")
    return max(float(x), LOGPROB_FLOOR) if math.isfinite(x) else LOGPROB_FLOOR


def token_id(key: Any, where: str) -> int:
    """``"token_id:123"`` (vLLM's ``return_tokens_as_token_ids``) or ``"123"`` (prompt_logprobs keys)."""
    if isinstance(key, str):
        text = key[len("token_id:"):] if key.startswith("token_id:") else key
        if text.isdigit() and len(text) < 12:
            return int(text)
    raise AnswerError(f"{where}: {str(key)[:40]!r} is not a token id (the server must support vLLM's "
                      "return_tokens_as_token_ids)")


def _top(entry: Any, where: str) -> list[tuple[int, float]]:
    if not isinstance(entry, dict) or not entry:
        raise AnswerError(f"{where}: expected a non-empty object of token -> log-probability")
    out = []
    for k, v in entry.items():
        lp = v.get("logprob") if isinstance(v, dict) else v
        out.append((token_id(k, where), _logprob(lp, where)))
    out.sort(key=lambda t: -t[1])
    return out


def _choice(doc: Any) -> dict[str, Any]:
    try:
        choice = doc["choices"][0]
    except (KeyError, IndexError, TypeError):
        raise AnswerError("the answer has no choices[0]") from None
    if not isinstance(choice, dict):
        raise AnswerError("choices[0] is not an object")
    return choice


def parse_tokenize(doc: Any) -> list[int]:
    """The token ids of a ``/tokenize`` answer."""
    tokens = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(tokens, list) or not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in tokens):
        raise AnswerError("/tokenize answered without a list of token ids")
    return tokens


def parse_generation(doc: Any) -> Generation:
    """The greedy continuation of a ``/v1/completions`` answer sent with ``logprobs``."""
    choice = _choice(doc)
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        raise AnswerError("the answer has no logprobs (the server ignored 'logprobs')")
    tops_raw, lps_raw, toks_raw = lp.get("top_logprobs"), lp.get("token_logprobs"), lp.get("tokens")
    if not isinstance(tops_raw, list) or not isinstance(lps_raw, list) or len(tops_raw) != len(lps_raw):
        raise AnswerError("logprobs.top_logprobs and logprobs.token_logprobs are missing or of different lengths")
    ids = choice.get("token_ids")
    if ids is None:
        if not isinstance(toks_raw, list):
            raise AnswerError("the answer names its tokens neither by id (token_ids) nor in logprobs.tokens")
        ids = [token_id(t, f"logprobs.tokens[{i}]") for i, t in enumerate(toks_raw)]
    if not isinstance(ids, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in ids):
        raise AnswerError("token_ids is not a list of integers")
    if len(ids) != len(lps_raw):
        raise AnswerError(f"{len(ids)} token ids but {len(lps_raw)} log-probabilities")
    top = [_top(e, f"logprobs.top_logprobs[{i}]") for i, e in enumerate(tops_raw)]
    text = choice.get("text")
    finish = choice.get("finish_reason")
    return Generation(tokens=list(ids), text=text if isinstance(text, str) else "",
                      finish_reason=finish if isinstance(finish, str) else None,
                      logprobs=[_logprob(x, f"logprobs.token_logprobs[{i}]") for i, x in enumerate(lps_raw)], top=top)


def parse_teacher_forcing(doc: Any, method: TeacherForcing, n_prompt: int, continuation: list[int]) -> list[Position]:
    """The log-probability of each continuation token and the top-k at its position, from an
    answer to ``prompt + continuation`` sent with ``prompt_logprobs`` or ``echo``."""
    choice = _choice(doc)
    n = n_prompt + len(continuation)
    if method == "prompt_logprobs":
        entries = choice.get("prompt_logprobs")
        if not isinstance(entries, list) or len(entries) < n:
            raise AnswerError(f"prompt_logprobs: expected {n} positions, got "
                              f"{len(entries) if isinstance(entries, list) else 'none'}")
        out = []
        for j, tok in enumerate(continuation):
            where = f"prompt_logprobs[{n_prompt + j}]"
            top = _top(entries[n_prompt + j], where)
            d = dict(top)
            if tok not in d:
                raise AnswerError(f"{where}: the fed token {tok} is not listed")
            out.append(Position(d[tok], top))
        return out
    lp = choice.get("logprobs")
    tops = lp.get("top_logprobs") if isinstance(lp, dict) else None
    lps = lp.get("token_logprobs") if isinstance(lp, dict) else None
    if not isinstance(tops, list) or not isinstance(lps, list) or len(tops) < n or len(lps) < n:
        raise AnswerError(f"echo: expected log-probabilities for {n} prompt positions")
    out = []
    for j, tok in enumerate(continuation):
        where = f"logprobs.top_logprobs[{n_prompt + j}]"
        top = _top(tops[n_prompt + j], where)
        value = _logprob(lps[n_prompt + j], f"logprobs.token_logprobs[{n_prompt + j}]")
        if tok not in dict(top):
            top = sorted([*top, (tok, value)], key=lambda t: -t[1])
        out.append(Position(value, top))
    return out


# --------------------------------------------------------------------------- requests


class ConsistencyClient:
    """One server, one model; requests by token ids. ``transport``: httpx's seam for tests."""

    def __init__(self, base_url: str, model: str, *, concurrency: int = 1, timeout_s: float = 600.0,
                 api_key: str | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        url, auth = url_and_auth(base_url)
        self.base_url = str(url)  # for messages: no credentials
        self.model = model
        if transport is None:  # the shared answer limits (headers, sizes): collectors.answers
            transport = answers.async_transport(max(1, concurrency))
        self._client = httpx.AsyncClient(base_url=url, auth=auth, transport=transport, headers=bearer(api_key),
                                         timeout=httpx.Timeout(timeout_s, connect=30.0), trust_env=False)

    async def _get(self, path: str, timeout_s: float) -> tuple[int, bytes]:
        """Status and body (at most ``answers.LIMITS.max_json_bytes``) of ``GET path``."""
        async with self._client.stream("GET", path, timeout=timeout_s) as r:
            return r.status_code, await answers.aread_body(r, f"{self.base_url}{path}")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        error = "no attempt"
        for attempt in range(RETRIES + 1):
            if attempt:
                await asyncio.sleep(min(2.0 ** attempt, 10.0))
            try:
                async with self._client.stream("POST", path, json=body) as r:
                    status, data = r.status_code, await answers.aread_body(r, path)
            except answers.LimitExceeded as e:  # past the header limits: it will do it again
                raise ServerError(f"{self.base_url}{path}: {e}") from None
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}".rstrip(": ")
                continue
            except answers.AnswerError as e:  # past the size limit: this prompt's answer is unusable
                raise AnswerError(str(e)) from None
            if status >= 500:
                error = f"HTTP {status}: {answers.one_line(data)}"
                continue
            if status != 200:
                raise AnswerError(f"{path}: HTTP {status}: {answers.one_line(data)}")
            try:
                return answers.parse_answer(data, path)
            except answers.AnswerError as e:  # not JSON, too deep, a 5000-digit number: one line
                raise AnswerError(str(e)) from None
        raise ServerError(f"{self.base_url}{path}: {error}")

    async def tokenize(self, messages: list[dict[str, str]]) -> list[int]:
        doc = await self._post("/tokenize", {"model": self.model, "messages": messages, "add_generation_prompt": True})
        return parse_tokenize(doc)

    async def generate(self, prompt: list[int], max_tokens: int, top_k: int) -> Generation:
        doc = await self._post("/v1/completions", {
            "model": self.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0,
            "logprobs": top_k, "return_token_ids": True, "return_tokens_as_token_ids": True,
        })
        return parse_generation(doc)

    async def teacher_force(self, method: TeacherForcing, prompt: list[int], continuation: list[int], top_k: int) -> list[Position]:
        if not continuation:
            return []
        body: dict[str, Any] = {"model": self.model, "prompt": prompt + continuation, "max_tokens": 1, "temperature": 0.0}
        if method == "prompt_logprobs":
            body["prompt_logprobs"] = top_k
        else:
            body.update(echo=True, logprobs=top_k, return_tokens_as_token_ids=True)
        return parse_teacher_forcing(await self._post("/v1/completions", body), method, len(prompt), continuation)

    async def find_teacher_forcing(self, prompt: list[int], continuation: list[int], top_k: int) -> TeacherForcing | None:
        """The teacher-forcing request this server answers usably (prompt_logprobs, then echo), or None."""
        for method in ("prompt_logprobs", "echo"):
            try:
                await self.teacher_force(method, prompt, continuation or prompt[-1:], top_k)  # type: ignore[arg-type]
            except AnswerError:
                continue
            return method  # type: ignore[return-value]
        return None

    async def identity(self) -> dict[str, Any]:
        """What the server says it is: the model's root and max length (/v1/models), the engine version (/version)."""
        out: dict[str, Any] = {}
        try:
            status, body = await self._get("/v1/models", 30.0)
        except httpx.HTTPError as e:
            raise ServerError(f"{self.base_url}: cannot reach the server: {type(e).__name__}: {e}".rstrip(": ")) from None
        if status != 200:
            raise ServerError(f"{self.base_url}/v1/models answered HTTP {status}")
        answers.model_ids(body, f"{self.base_url}/v1/models")  # anything but a model list: one line
        models = {m["id"]: m for m in answers.parse_answer(body, "/v1/models")["data"]}
        if models and self.model not in models:
            raise ServerError(f"{self.base_url} does not serve model {self.model!r}; it serves: {', '.join(map(str, models))}")
        m = models.get(self.model) or {}
        if isinstance(m.get("root"), str):
            out["root"] = m["root"]
        n = m.get("max_model_len")
        if isinstance(n, int) and not isinstance(n, bool) and 0 < n <= MAX_TOKENS:
            out["max_model_len"] = n
        v = None
        try:
            status, body = await self._get("/version", 10.0)
            doc = answers.parse_answer(body, "/version") if status == 200 else None
            v = doc.get("version") if isinstance(doc, dict) else None
        except (httpx.HTTPError, ServerError):
            pass
        if isinstance(v, str):
            out["engine"], out["engine_version"] = "vllm", v
        return out
