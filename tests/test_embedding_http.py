"""HTTP mode against stub servers: endpoint probing, raw scores, and servers that misbehave
(rejected endpoint, wrong dimensions, NaN) -> the run records a clear error, nothing crashes."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from collectors.embedding.stage import run_embedding_stage
from reportgen.cli import cli
from reportgen.results import ResultsStore, load_results

Handler = Callable[[str, dict[str, Any]], tuple[int, Any]]


def vec(text: str, dim: int = 4) -> list[float]:
    rng = np.random.default_rng(sum(ord(c) for c in text))
    return rng.normal(size=dim).tolist()


def embeddings_ok(dim: int = 4) -> Handler:
    def h(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/v1/embeddings":
            data = [{"index": i, "object": "embedding", "embedding": vec(t, dim)} for i, t in enumerate(body["input"])]
            return 200, {"object": "list", "data": data[::-1]}  # out of order: the client sorts by index
        if path == "/tokenize":
            return 200, {"count": len(body["prompt"]) // 2 + 2, "max_model_len": 8192}
        return 404, {"detail": "Not Found"}

    return h


def transport(handler: Handler, log: list[tuple[str, dict[str, Any]]] | None = None) -> httpx.Client:
    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if log is not None:
            log.append((request.url.path, body))
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "stub-model"}]})
        status, doc = handler(request.url.path, body)
        text = doc if isinstance(doc, str) else json.dumps(doc)  # json.dumps writes NaN as the token NaN
        return httpx.Response(status, text=text, headers={"content-type": "application/json"})

    return httpx.Client(transport=httpx.MockTransport(respond))


def stage(handler: Handler, kind: str = "embedding", log: list | None = None, **kw: Any):
    kw.setdefault("batch_sizes", (1, 2))
    kw.setdefault("rounds", 1)
    return run_embedding_stage(None, model="stub-model", kind=kind, base_url="http://stub", client=transport(handler, log), **kw)  # type: ignore[arg-type]


def test_embeddings_over_http_fill_pairs_and_throughput() -> None:
    log: list = []
    run = stage(embeddings_ok(), log=log)
    assert run.error is None, run.error
    assert run.mode == "http" and run.endpoint == "/v1/embeddings" and run.served_model == "stub-model" and run.dimensions == 4
    first = [b for p, b in log if p == "/v1/embeddings"][0]
    assert first == {"model": "stub-model", "input": ["样例数据-1", "样例数据-2"], "encoding_format": "float"}
    p = run.pairs[4]
    assert p.a == "为这个句子生成表示以用于检索相关文章：query_1" and p.b == "样例文档-1"
    a, b = np.array(vec(p.a)), np.array(vec(p.b))
    assert p.score == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    assert run.reference_check.status == "none"
    assert "not a local model directory" in "; ".join(map(str, run.reference_check.detail))
    assert [(t.text_kind, t.batch_size) for t in run.throughput] == [("short", 1), ("short", 2), ("512-token", 1), ("512-token", 2)]
    # the 512-token texts were cut with the server's /tokenize: count = len // 2 + 2 <= 512
    assert all(t.tokens_per_item is not None and 505 <= t.tokens_per_item <= 512 for t in run.throughput[2:])
    assert "httpx.post('http://stub/v1/embeddings'" in (run.script or "")


def test_endpoint_rejected_is_a_clear_error() -> None:
    run = stage(lambda path, body: (400, {"error": {"message": "This model does not support embeddings", "code": 400}}))
    assert run.error == "POST /v1/embeddings answered 400: This model does not support embeddings"
    assert run.pairs == [] and run.throughput == [] and run.finished_at is not None


def test_wrong_dimensions_are_a_clear_error() -> None:
    def ragged(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"data": [{"index": i, "embedding": vec(t, 4 + i)} for i, t in enumerate(body["input"])]}

    run = stage(ragged)
    assert run.error == "embeddings of sentences_1: vectors of different sizes in one answer (4, 5 dimensions)"

    calls = {"n": 0}

    def changing(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        calls["n"] += 1
        return 200, {"data": [{"index": i, "embedding": vec(t, 4 if calls["n"] == 1 else 3)} for i, t in enumerate(body["input"])]}

    assert stage(changing).error == "embeddings of sentences_2: vectors have 3 dimensions, expected 4"


def test_dimensions_checked_against_the_local_config(tmp_path: Path) -> None:
    model = tmp_path / "bge-small"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"hidden_size": 8, "model_type": "bert"}))
    run = run_embedding_stage(None, model=str(model), kind="embedding", base_url="http://stub", client=transport(embeddings_ok(4)), throughput=False)
    assert run.model == "bge-small"
    assert run.error == "embeddings of sentences_1: vectors have 4 dimensions, expected 8"


def test_nan_is_a_clear_error() -> None:
    def nan(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"data": [{"index": i, "embedding": [float("nan")] * 4} for i, _ in enumerate(body["input"])]}

    assert stage(nan).error == "embeddings of sentences_1: vector 0 contains NaN (2 of 2 vectors affected)"


def test_not_json_and_unreachable() -> None:
    assert stage(lambda p, b: (200, "<html>oops</html>")).error == "POST /v1/embeddings answered 200 but not with JSON: '<html>oops</html>'"
    assert stage(lambda p, b: (200, {"object": "list"})).error == "POST /v1/embeddings: the answer has no 'data' list"
    run = run_embedding_stage(None, model="m", kind="embedding", base_url="http://127.0.0.1:9", throughput=False)
    assert run.error is not None and run.error.startswith("cannot reach http://127.0.0.1:9/v1/models")


def rerank_handler(endpoints: set[str], *, raw_ok: bool = True, nan: bool = False) -> Handler:
    def logit(q: str, d: str) -> float:
        return float("nan") if nan else (len(d) - len(q)) / 10.0

    def h(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/tokenize":
            return 200, {"count": len(body["prompt"]) // 2 + 2, "max_model_len": 8192}
        if path not in endpoints:
            return 404, {"detail": "Not Found"}
        raw = body.get("use_activation") is False or body.get("raw_scores") is True
        if raw and not raw_ok:
            return 422, {"detail": "extra fields not permitted"}
        act = (lambda x: x) if raw else (lambda x: 1 / (1 + math.exp(-x)))
        if path.endswith("score"):
            data = [{"index": i, "score": act(logit(q, d))} for i, (q, d) in enumerate(zip(body["text_1"], body["text_2"]))]
            return 200, {"data": data}
        res = [{"index": i, "relevance_score": act(logit(body["query"], d))} for i, d in enumerate(body["documents"])]
        return 200, {"results": sorted(res, key=lambda r: -r["relevance_score"])}

    return h


@pytest.mark.parametrize("endpoints, expected", [({"/v1/rerank", "/rerank", "/score"}, "/v1/rerank"), ({"/rerank"}, "/rerank"), ({"/score"}, "/score")])
def test_reranker_endpoints_are_probed_in_order(endpoints: set[str], expected: str) -> None:
    log: list = []
    run = stage(rerank_handler(endpoints), kind="reranker", log=log, throughput=False)
    assert run.error is None and run.endpoint == expected and run.raw_scores is True
    assert [(p.a, p.score) for p in run.pairs] == [("query", 0.2), ("what is panda?", -1.2), ("what is panda?", (len(run.pairs[2].b) - 14) / 10)]
    assert run.pairs[1].normalized == pytest.approx(1 / (1 + math.exp(1.2)))
    sent = [b for p, b in log if p == expected][0]
    assert sent["use_activation"] is False and sent["raw_scores"] is True


def test_reranker_that_refuses_raw_scores_is_recorded_as_normalized() -> None:
    run = stage(rerank_handler({"/v1/rerank"}, raw_ok=False), kind="reranker", throughput=False)
    assert run.error is None and run.raw_scores is False
    assert run.pairs[0].score == pytest.approx(1 / (1 + math.exp(-0.2)))
    assert any("rejected the raw-score flags" in str(w) for w in run.warnings)
    assert "'use_activation'" not in (run.script or "")


def test_reranker_without_endpoint_or_with_nan() -> None:
    run = stage(rerank_handler(set()), kind="reranker")
    assert run.error == "http://stub has no rerank endpoint (/v1/rerank 404; /rerank 404; /score 404)"
    run = stage(rerank_handler({"/rerank"}, nan=True), kind="reranker")
    assert run.error == "score of the single pair: score 0 is nan (1 of 1 not finite)"


def test_reranker_throughput_groups_by_query_and_keeps_going_after_a_failed_point() -> None:
    log: list = []
    ok = rerank_handler({"/v1/rerank"})

    def refuses_big_batches(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/v1/rerank" and len(body["documents"]) > 4:
            return 500, {"error": {"message": "out of memory"}}
        return ok(path, body)

    run = stage(refuses_big_batches, kind="reranker", log=log, batch_sizes=(1, 4, 8), rounds=2)
    assert run.error is None
    assert [(t.text_kind, t.batch_size, t.n) for t in run.throughput] == [("short", 1, 2), ("short", 4, 2), ("512-token", 1, 2), ("512-token", 4, 2)]
    assert [str(w) for w in run.warnings] == [
        "throughput, short texts, batch 8: POST /v1/rerank answered 500: out of memory",
        "throughput, 512-token texts, batch 8: POST /v1/rerank answered 500: out of memory",
    ]
    # one request per batch: all pairs share the query
    assert max(len(b["documents"]) for p, b in log if p == "/v1/rerank") == 8


# --------------------------------------------------------------------------- the CLI against a real socket


class _StubServer(ThreadingHTTPServer):
    handler_fn: Handler


class _Req(BaseHTTPRequestHandler):
    def log_message(self, *a: Any) -> None:
        pass

    def _answer(self, status: int, doc: Any) -> None:
        data = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, {"data": [{"id": "stub-model"}]} if self.path == "/v1/models" else {"detail": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        self._answer(*self.server.handler_fn(self.path, body))  # type: ignore[attr-defined]


@pytest.fixture
def stub_server() -> Iterator[Callable[[Handler], str]]:
    servers: list[_StubServer] = []

    def start(handler: Handler) -> str:
        srv = _StubServer(("127.0.0.1", 0), _Req)
        srv.handler_fn = handler
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def test_cli_records_the_run_and_its_error(stub_server: Callable[[Handler], str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    url = stub_server(embeddings_ok())
    res = CliRunner().invoke(cli, ["embed", "--model", "stub-model", "--kind", "embedding", "--base-url", url, "--device", "BI-V150", "--precision", "FP16", "--batch-sizes", "1,2", "--rounds", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "reference check: none: no float32 CPU reference" in res.output
    assert "throughput 512-token batch   2:" in res.output
    doc = load_results(out)
    (run,) = doc.embeddings
    assert (run.model, run.kind, run.mode, run.device, run.precision) == ("stub-model", "embedding", "http", "BI-V150", "FP16")
    assert len(run.pairs) == 8 and len(run.throughput) == 4
    assert doc.invocations[0].argv[:2] == ["reportgen", "embed"] and doc.invocations[0].finished_at is not None

    bad = stub_server(lambda p, b: (200, {"data": [{"index": 0, "embedding": [1.0, float("nan")]}]}))
    res = CliRunner().invoke(cli, ["embed", "--model", "m", "--kind", "embedding", "--base-url", bad, "-o", str(out)])
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1] == f"reportgen: error: embeddings of sentences_1: got 1 vectors for 2 texts (recorded in {out})"
    runs = load_results(out).embeddings
    assert len(runs) == 2 and runs[1].error == "embeddings of sentences_1: got 1 vectors for 2 texts"


def test_cli_bad_inputs_file(tmp_path: Path) -> None:
    bad = tmp_path / "inputs.json"
    bad.write_text('{"querys": ["x"]}')
    res = CliRunner().invoke(cli, ["embed", "--model", "m", "--kind", "embedding", "--base-url", "http://127.0.0.1:9", "--inputs", str(bad), "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 2
    assert "unknown embedding input key(s): querys" in res.output


def test_store_replaces_a_rerun(tmp_path: Path) -> None:
    store = ResultsStore.open(tmp_path / "r.json")
    for _ in range(2):
        run_embedding_stage(store, model="stub-model", kind="embedding", base_url="http://stub", client=transport(embeddings_ok()), throughput=False)
    assert len(load_results(tmp_path / "r.json").embeddings) == 1


def test_token_counts_without_tokenize_come_from_usage() -> None:
    def tei_like(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/tokenize":
            return 422, {"error": "Failed to deserialize the JSON body", "error_type": "Validation"}
        if path == "/v1/embeddings":
            data = [{"index": i, "embedding": vec(t)} for i, t in enumerate(body["input"])]
            return 200, {"data": data, "usage": {"prompt_tokens": sum(len(t) // 2 + 2 for t in body["input"])}}
        return 404, {}

    run = stage(tei_like, batch_sizes=(1,))
    assert run.error is None
    assert 505 <= (run.throughput[1].tokens_per_item or 0) <= 512
    assert [str(w) for w in run.warnings] == ["no vLLM-style /tokenize (POST /tokenize answered 422: Failed to deserialize the JSON body): token counts come from the server's usage where it reports them"]

    def no_usage(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path == "/v1/embeddings":
            return 200, {"data": [{"index": i, "embedding": vec(t)} for i, t in enumerate(body["input"])]}
        return 404, {}

    run = stage(no_usage, batch_sizes=(1,))
    assert run.error is None and [t.tokens_per_item for t in run.throughput] == [None, None]
    assert str(run.warnings[0]) == "the server counts no tokens: the 512-token texts were cut to 768 characters, their token count is unknown"


def test_api_key_is_sent_and_never_saved(stub_server: Callable[[Handler], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    class _KeyReq(_Req):
        def do_POST(self) -> None:
            seen.append(self.headers.get("authorization"))
            super().do_POST()

    srv = _StubServer(("127.0.0.1", 0), _KeyReq)
    srv.handler_fn = embeddings_ok()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("EMB_KEY", "sk-secret-123")
        out = tmp_path / "r.json"
        url = f"http://127.0.0.1:{srv.server_address[1]}"
        res = CliRunner().invoke(cli, ["embed", "--model", "m", "--kind", "embedding", "--base-url", url, "--api-key-env", "EMB_KEY", "--no-throughput", "-o", str(out)])
        assert res.exit_code == 0, res.output
    finally:
        srv.shutdown()
        srv.server_close()
    assert seen and set(seen) == {"Bearer sk-secret-123"}
    text = out.read_text()
    assert "sk-secret-123" not in text and "--api-key-env EMB_KEY" in text
    res = CliRunner().invoke(cli, ["embed", "--model", "m", "--kind", "embedding", "--base-url", url, "--api-key-env", "NO_SUCH_VAR_X", "-o", str(out)])
    assert res.exit_code == 2 and "--api-key-env NO_SUCH_VAR_X: that environment variable is not set" in res.output
