"""HTTP mode: a serving engine's embedding and rerank endpoints, over httpx.

* embeddings: OpenAI ``POST /v1/embeddings`` (vLLM, TEI, Infinity)
* reranking:  ``POST /v1/rerank`` or ``/rerank`` (Cohere/Jina shape: query + documents ->
  ``results[{index, relevance_score}]``), else vLLM's ``/score`` (``text_1``/``text_2`` ->
  ``data[{index, score}]``), probed in that order.

Raw scores are asked for with vLLM's ``use_activation: false`` and TEI's ``raw_scores: true``;
a server that rejects those is asked again without them, and the run records that its
scores are the server's normalized ones. Every non-200 answer raises ``EndpointRejected``
naming the endpoint, the status and the server's message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from collectors import answers
from collectors.auth import bearer
from collectors.embedding.checks import EmbeddingOutputError
from reportgen.errors import ServerError
from reportgen.results import Note

RERANK_ENDPOINTS = ("/v1/rerank", "/rerank", "/score")
RAW_SCORE_FLAGS = {"use_activation": False, "raw_scores": True}


class EndpointRejected(ServerError):
    """The server answered an endpoint with an error status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _server_message(resp: httpx.Response) -> str:
    try:
        doc = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        doc = None
    msg: Any = None
    if isinstance(doc, dict):
        err = doc.get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        msg = msg or doc.get("detail") or doc.get("message")
    if not msg:
        msg = resp.text
    text = " ".join(str(msg).split())
    return text[:300] + ("…" if len(text) > 300 else "")


class HttpBackend:
    """A model on a serving engine. The caller owns ``client`` when it passes one."""

    def __init__(
        self, base_url: str, model: str, *, client: httpx.Client | None = None, timeout_s: float = 300.0, api_key: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or answers.sync_client(timeout_s)
        self._headers = bearer(api_key)
        self._owns_client = client is None
        self.notes: list[Note] = []
        self.served_model = self._resolve_model(model)
        self._can_tokenize: bool | None = None
        self.max_length: int | None = None

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = self.base_url + path
        try:
            return answers.request(self.client, method, url, json=body, headers=self._headers)
        except httpx.TimeoutException:
            raise ServerError(f"{method} {url}: no answer before the timeout") from None
        except httpx.RemoteProtocolError as e:  # it answered, with bytes past the shared limits
            raise ServerError(f"{method} {url}: {e}") from None
        except httpx.HTTPError as e:
            raise ServerError(f"cannot reach {url}: {e}") from None

    def post(self, path: str, body: dict[str, Any]) -> Any:
        resp = self._request("POST", path, body)
        if resp.status_code != 200:
            raise EndpointRejected(f"POST {path} answered {resp.status_code}: {_server_message(resp)}", resp.status_code)
        try:
            return answers.parse_answer(resp.content, f"POST {path}")
        except answers.AnswerError as e:
            if "not valid JSON" in str(e) or "not UTF-8" in str(e):
                raise EmbeddingOutputError(f"POST {path} answered 200 but not with JSON: {resp.text[:120]!r}") from None
            raise EmbeddingOutputError(str(e)) from None

    def _resolve_model(self, model: str) -> str:
        """The served name: ``model`` itself when the server lists it, else the one it serves. A
        server without a model list is asked for ``model``; a model list of another shape is one
        ``AnswerError`` line."""
        resp = self._request("GET", "/v1/models")
        if resp.status_code != 200:
            return model
        where = f"{self.base_url}/v1/models"
        ids = answers.model_ids(resp.content, where)
        if model in ids or not ids:
            return model
        base = model.rstrip("/").rsplit("/", 1)[-1]
        for i in ids:
            if str(i).rstrip("/").rsplit("/", 1)[-1] == base:
                return str(i)
        if len(ids) == 1:
            self.notes.append(Note.of("served_other_model", model=model, served=ids[0]))
            return str(ids[0])
        raise ServerError(f"{self.base_url} does not serve {model!r}; it serves: {', '.join(map(str, ids))}")

    def count_tokens(self, text: str) -> int | None:
        """vLLM's ``/tokenize`` (special tokens included); None when the server has none."""
        if self._can_tokenize is False:
            return self._count_without_tokenize(text)
        try:
            doc = self.post("/tokenize", {"model": self.served_model, "prompt": text})
        except (EndpointRejected, EmbeddingOutputError) as e:
            if self._can_tokenize:  # it worked before: a real failure
                raise
            self._can_tokenize = False
            self.notes.append(Note.of("no_tokenize", error=str(e)))
            return self._count_without_tokenize(text)
        self._can_tokenize = True
        if isinstance(doc, dict):
            if isinstance(doc.get("max_model_len"), int):
                self.max_length = doc["max_model_len"]
            if isinstance(doc.get("count"), int):
                return int(doc["count"])
        return None


    def _count_without_tokenize(self, text: str) -> int | None:
        return None


class HttpEmbedder(HttpBackend):
    endpoint = "/v1/embeddings"

    def _count_without_tokenize(self, text: str) -> int | None:
        """``usage.prompt_tokens`` of embedding ``text`` alone (OpenAI, TEI and Infinity report it)."""
        doc = self.post(self.endpoint, {"model": self.served_model, "input": [text], "encoding_format": "float"})
        usage = doc.get("usage") if isinstance(doc, dict) else None
        n = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        return n if isinstance(n, int) and n > 0 else None

    def embed(self, texts: Sequence[str]) -> list[Any]:
        doc = self.post(self.endpoint, {"model": self.served_model, "input": list(texts), "encoding_format": "float"})
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, list):
            raise EmbeddingOutputError(f"POST {self.endpoint}: the answer has no 'data' list")
        try:
            data = sorted(data, key=lambda d: d["index"]) if all(isinstance(d, dict) and "index" in d for d in data) else data
            return [d["embedding"] for d in data]
        except (TypeError, KeyError):
            raise EmbeddingOutputError(f"POST {self.endpoint}: an item of 'data' has no 'embedding'") from None


class HttpReranker(HttpBackend):
    def __init__(self, base_url: str, model: str, *, endpoint: str | None = None, **kw: Any) -> None:
        super().__init__(base_url, model, **kw)
        self.endpoint = endpoint
        self.raw_scores: bool | None = None

    def score(self, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        if self.endpoint is None:
            tried = []
            for ep in RERANK_ENDPOINTS:
                try:
                    out = self._score_via(ep, pairs)
                except EndpointRejected as e:
                    if e.status in (404, 405):
                        tried.append(f"{ep} {e.status}")
                        continue
                    raise
                self.endpoint = ep
                return out
            raise EndpointRejected(f"{self.base_url} has no rerank endpoint ({'; '.join(tried)})", 404)
        return self._score_via(self.endpoint, pairs)

    def _score_via(self, endpoint: str, pairs: Sequence[tuple[str, str]]) -> list[Any]:
        if endpoint.endswith("score"):
            body: dict[str, Any] = {"model": self.served_model, "text_1": [q for q, _ in pairs], "text_2": [p for _, p in pairs]}
            doc = self._post_raw(endpoint, body)
            return self._indexed(endpoint, doc, "data", "score", len(pairs))
        out: list[Any] = [None] * len(pairs)
        queries: dict[str, list[int]] = {}
        for i, (q, _) in enumerate(pairs):
            queries.setdefault(q, []).append(i)
        for q, idx in queries.items():
            body = {"model": self.served_model, "query": q, "documents": [pairs[i][1] for i in idx], "top_n": len(idx), "return_documents": False}
            doc = self._post_raw(endpoint, body)
            scores = self._indexed(endpoint, doc, "results", "relevance_score", len(idx))
            for i, v in zip(idx, scores):
                out[i] = v
        return out

    def _post_raw(self, endpoint: str, body: dict[str, Any]) -> Any:
        if self.raw_scores is not False:
            try:
                doc = self.post(endpoint, {**body, **RAW_SCORE_FLAGS})
                self.raw_scores = True
                return doc
            except EndpointRejected as e:
                if e.status not in (400, 422) or self.raw_scores is True:
                    raise
            self.raw_scores = False
            self.notes.append(Note.of("raw_scores_rejected", endpoint=endpoint, flags=", ".join(RAW_SCORE_FLAGS)))
        return self.post(endpoint, body)

    @staticmethod
    def _indexed(endpoint: str, doc: Any, key: str, field: str, n: int) -> list[Any]:
        items = doc.get(key) if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise EmbeddingOutputError(f"POST {endpoint}: the answer has no {key!r} list")
        out: list[Any] = [None] * n
        for k, it in enumerate(items):
            if not isinstance(it, dict) or field not in it:
                raise EmbeddingOutputError(f"POST {endpoint}: an item of {key!r} has no {field!r}")
            i = it.get("index", k)
            if not isinstance(i, int) or not 0 <= i < n:
                raise EmbeddingOutputError(f"POST {endpoint}: index {i!r} out of range for {n} documents")
            out[i] = it[field]
        if any(v is None for v in out) or len(items) != n:
            raise EmbeddingOutputError(f"POST {endpoint}: got {len(items)} scores for {n} pairs")
        return out
