"""Issue 20, first class: every server answer, however malformed, becomes recorded data or one
``reportgen: error:`` line in ``bench``, ``eval`` and ``embed`` alike (``collectors.answers``:
the same limits on headers, sizes, numbers and shapes for the serving, accuracy and embedding
clients), never a traceback. A hostile server on 127.0.0.1 (``tests/hostile_server.py``) sends
the answers byte for byte: a model list of another shape, a chat answer whose content is an
object, a usage count that is a string or 400 digits, a 100 KB header, 2000 headers, ``+Inf``
in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from hostile_server import HostileServer, Request, chat_answer, completion_answer, response, sse
from serving_helpers import make_tokenizer

from collectors import answers
from collectors.serving import prometheus
from collectors.serving.server import functional_check
from reportgen.cli import cli
from reportgen.results import load_results

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "datasets"
BIG_HEADER = [("X-Big", "a" * 100_000)]
MANY_HEADERS = [(f"X-H{i}", "v") for i in range(2000)]


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    return r


def _error_lines(r: Result) -> list[str]:
    return [ln for ln in r.output.splitlines() if ln.startswith("reportgen: error:")]


def bench(url: str, tokdir: Path, out: Path, *extra: str) -> Result:
    return _invoke(["bench", "--base-url", url, "--model", "m", "--tokenizer", str(tokdir), "--batch-sizes", "1",
                    "--input-len", "20", "--output-len", "3", "--rounds", "1", "--no-telemetry", "-o", str(out), *extra])


def evaluate(url: str, out: Path, *extra: str, env: dict[str, str] | None = None) -> Result:
    return _invoke(["eval", "--base-url", url, "--model", "m", "--data", str(DATA), "--tasks", "gsm8k", "--limit", "2",
                    "--concurrency", "1", "-o", str(out), *extra], env=env)


def embed(url: str, out: Path) -> Result:
    return _invoke(["embed", "--base-url", url, "--model", "m", "--kind", "embedding", "--no-throughput", "-o", str(out)])


def _route(answer: bytes) -> Any:
    return lambda _req: answer


# --------------------------------------------------------------------------- model lists


@pytest.mark.parametrize("answer", ['{"data": 5}', '{"data": [{"id": 5}]}', "[1, 2]", "not json", '{"data": [' * 5000])
def test_eval_and_embed_refuse_a_malformed_model_list_in_one_line(tmp_path: Path, answer: str) -> None:
    with HostileServer(routes={"GET /v1/models": _route(response(200, answer))}) as s:
        for run in (lambda: evaluate(s.url, tmp_path / "e.json"), lambda: embed(s.url, tmp_path / "m.json")):
            r = run()
            (line,) = _error_lines(r)
            assert r.exit_code == 2, r.output
            assert f"{s.url}/v1/models: answered something other than a model list: " in line
    assert not (tmp_path / "e.json").exists()  # eval failed before writing anything
    # embed records the failed run in its file, with the same line
    assert "answered something other than a model list" in (load_results(tmp_path / "m.json").embeddings[0].error or "")


@pytest.mark.parametrize("answer", ['{"data": 5}', '{"data": [{"id": 5}]}', "[1, 2]", "not json", '{"data": [' * 5000])
def test_consistency_client_refuses_a_malformed_model_list_in_one_line(answer: str) -> None:
    """The consistency client (``reference record``, ``consistency``) reads model lists through the
    same layer: one ``ServerError`` line, never a TypeError."""
    from collectors.consistency.client import ConsistencyClient
    from reportgen.errors import ServerError

    async def identity(url: str) -> None:
        c = ConsistencyClient(url, "m")
        try:
            await c.identity()
        finally:
            await c.aclose()

    with HostileServer(routes={"GET /v1/models": _route(response(200, answer))}) as s:
        with pytest.raises(ServerError, match="answered something other than a model list"):
            asyncio.run(identity(s.url))


@pytest.mark.parametrize("answer, said", [
    (response(200, b"[" * 200 + b"]" * 200), "nested deeper than 100 levels"),
    (response(200, b'{"n": ' + b"9" * 5000 + b"}"), "a number is too long"),
    (response(200, b"\xff\xfe"), "not UTF-8"),
    (response(400, b"Incorrect request"), "HTTP 400"),
])
def test_consistency_client_answers_are_one_line_per_prompt(answer: bytes, said: str) -> None:
    from collectors.consistency.client import AnswerError, ConsistencyClient

    async def tokenize(url: str) -> None:
        c = ConsistencyClient(url, "m")
        try:
            await c.tokenize([{"role": "user", "content": "hi"}])
        finally:
            await c.aclose()

    with HostileServer(routes={"POST /tokenize": _route(answer)}) as s:
        with pytest.raises(AnswerError, match=said):
            asyncio.run(tokenize(s.url))


def test_consistency_client_holds_the_header_limits() -> None:
    from collectors.consistency.client import ConsistencyClient
    from reportgen.errors import ServerError

    async def tokenize(url: str) -> None:
        c = ConsistencyClient(url, "m")
        try:
            await c.tokenize([{"role": "user", "content": "hi"}])
        finally:
            await c.aclose()

    with HostileServer(routes={"POST /tokenize": _route(response(200, b"{}", headers=MANY_HEADERS))}) as s:
        with pytest.raises(ServerError, match="more than 100 response headers"):
            asyncio.run(tokenize(s.url))


# --------------------------------------------------------------------------- chat answers (eval)


def test_eval_chat_content_of_another_shape_is_a_recorded_error(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with HostileServer(routes={"POST /v1/chat/completions": _route(response(200, chat_answer({"a": 1})))}) as s:
        r = evaluate(s.url, out)
    assert r.exit_code == 2
    (line,) = _error_lines(r)
    assert "all 2 requests failed" in line and "choices[0].message.content is an object, not text" in line
    samples = load_results(out).variant("FP16").accuracy[0].samples
    assert len(samples) == 2 and all(s.correct is None and "message.content is an object" in (s.error or "") for s in samples)


@pytest.mark.parametrize("usage, problem", [
    ({"completion_tokens": "7"}, "usage.completion_tokens is a string"),
    ({"completion_tokens": 10**400}, "usage.completion_tokens is an integer of 401 digits"),
    ({"completion_tokens": -3}, "usage.completion_tokens is -3"),
    ("lots", "usage is a string"),
])
def test_eval_usage_of_another_shape_is_unknown_and_recorded(tmp_path: Path, usage: Any, problem: str) -> None:
    out = tmp_path / "r.json"
    body = json.dumps(chat_answer("The answer is 42.")).replace('{"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}',
                                                               json.dumps(usage))
    with HostileServer(routes={"POST /v1/chat/completions": _route(response(200, body))}) as s:
        r = evaluate(s.url, out)
    assert r.exit_code == 0, r.output
    samples = load_results(out).variant("FP16").accuracy[0].samples
    assert len(samples) == 2
    for rec in samples:
        assert rec.error is None and rec.correct is not None  # the answer itself was scored
        assert rec.completion_tokens is None
        assert len(rec.answer_problems) == 1 and rec.answer_problems[0].startswith(problem), rec.answer_problems


def test_chat_once_on_every_status_and_body() -> None:
    """The accuracy client's one request, straight: each answer is (text, info) or (None, error)."""
    from collectors.accuracy.runner import EvalConfig, chat_once

    cases: list[tuple[int, bytes, str | None, str | None]] = [
        (200, json.dumps(chat_answer("ok")).encode(), "ok", None),
        (200, json.dumps(chat_answer(None)).encode(), "", None),
        (200, b"\xff\xfe", None, "not UTF-8"),
        (200, b'{"choices": []}', None, "'choices' is not a list of objects"),
        (200, b'{"choices": [{"message": "hi"}]}', None, "choices[0].message is a string"),
        (200, b"[" * 200 + b"]" * 200, None, "nested deeper than 100 levels"),
        (401, b'{"error": "no"}', None, "HTTP 401"),
    ]
    for status, body, text, error in cases:
        client = httpx.AsyncClient(base_url="http://stub", transport=httpx.MockTransport(lambda _r, s=status, b=body: httpx.Response(s, content=b)))
        cfg = EvalConfig(base_url="http://stub", model="m", data_dir=DATA, retries=0)
        got, info = asyncio.run(chat_once(client, cfg, "q", "x"))
        assert got == text, (body, got, info)
        assert (error is None and "error" not in info) or (error is not None and error in info["error"]), (body, info)


# --------------------------------------------------------------------------- headers (every client)


@pytest.mark.parametrize("headers, said", [
    (BIG_HEADER, "the server sent a response header"),
    (MANY_HEADERS, "response headers (the client accepts 100)"),
])
def test_hostile_headers_on_the_model_list_are_one_line(tmp_path: Path, tokdir: Path, headers: Any, said: str) -> None:
    models = response(200, {"data": [{"id": "m"}]}, headers=headers)
    with HostileServer(routes={"GET /v1/models": _route(models)}) as s:
        for r in (bench(s.url, tokdir, tmp_path / "b.json"), evaluate(s.url, tmp_path / "e.json"), embed(s.url, tmp_path / "m.json")):
            assert r.exit_code == 2, r.output
            (line,) = _error_lines(r)
            assert said in line, line


@pytest.mark.parametrize("headers, said", [
    (BIG_HEADER, "the server sent a response header longer than 16384 bytes"),
    (MANY_HEADERS, "the server sent more than 100 response headers"),
])
def test_hostile_headers_on_answers_are_recorded_errors(tmp_path: Path, tokdir: Path, headers: Any, said: str) -> None:
    stream = sse([{"choices": [{"index": 0, "text": "x"}]}], headers=headers)
    chat = response(200, chat_answer("42"), headers=headers)
    with HostileServer(routes={"POST /v1/completions": _route(stream), "POST /v1/chat/completions": _route(chat)}) as s:
        r = bench(s.url, tokdir, tmp_path / "b.json")
        assert r.exit_code == 0, r.output  # the cell is measured: its request failed, and says why
        reqs = load_results(tmp_path / "b.json").variant("default").serving[0].requests
        assert reqs and all(q.error is not None and said in q.error for q in reqs), [q.error for q in reqs]
        r = evaluate(s.url, tmp_path / "e.json")
        assert r.exit_code == 2 and said in _error_lines(r)[0]
        samples = load_results(tmp_path / "e.json").variant("FP16").accuracy[0].samples
        assert samples and all(said in (x.error or "") for x in samples)


def test_limits_hold_on_both_transports() -> None:
    """The same violation reads the same on the aiohttp (async) and h11 (sync) transports."""
    with HostileServer(routes={"GET /x": _route(response(200, b"{}", headers=MANY_HEADERS)),
                               "GET /y": _route(response(200, b"{}", headers=[("X-Mid", "b" * 12_000)] * 6))}) as s:
        with answers.sync_client(5) as c:
            with pytest.raises(answers.LimitExceeded, match="2003 response headers"):
                answers.request(c, "GET", s.url + "/x")
            with pytest.raises(answers.LimitExceeded, match="bytes of response headers .the client accepts 65536"):
                answers.request(c, "GET", s.url + "/y")  # each line fits, the block does not

        async def get(path: str) -> None:
            async with httpx.AsyncClient(base_url=s.url, transport=answers.async_transport(2)) as c:
                await c.get(path)

        with pytest.raises(answers.LimitExceeded, match="more than 100 response headers"):
            asyncio.run(get("/x"))
        with pytest.raises(answers.LimitExceeded, match="bytes of response headers .the client accepts 65536"):
            asyncio.run(get("/y"))


def test_answer_size_is_capped() -> None:
    small = answers.Limits(max_json_bytes=1000)
    with HostileServer(routes={"GET /big": _route(response(200, b"[" + b"1," * 5000 + b"1]"))}) as s:
        with answers.sync_client(5) as c:
            with pytest.raises(answers.AnswerError, match="larger than"):
                answers.request(c, "GET", s.url + "/big", limits=small)
            assert answers.request(c, "GET", s.url + "/big").status_code == 200


# --------------------------------------------------------------------------- functional check


@pytest.mark.parametrize("doc, error, problem", [
    (completion_answer({"t": 1}), "choices[0].text is an object", None),
    (completion_answer("hi", usage={"completion_tokens": "5", "prompt_tokens": 10**400}), None,
     "usage.prompt_tokens is an integer of 401 digits"),
    ({"choices": "x"}, "'choices' is not a list of objects", None),
])
def test_functional_check_records_answers_of_another_shape(doc: Any, error: str | None, problem: str | None) -> None:
    with HostileServer(routes={"POST /v1/completions": _route(response(200, doc))}) as s:
        fc = functional_check(s.url, "m", "hello")
    if error:
        assert fc.error is not None and error in fc.error
    else:
        assert fc.error is None and fc.response_text == "hi" and fc.prompt_tokens is None and fc.completion_tokens is None
        assert problem is not None and any(p.startswith(problem) for p in fc.answer_problems)


# --------------------------------------------------------------------------- the stream, counted right (bench)


def _stream(events: list[bytes]) -> bytes:
    return response(200, b"".join(b"data: " + e + b"\n\n" for e in events), content_type="text/event-stream")


def _chunk(text: str, model: str = "m", finish: str | None = None) -> bytes:
    return json.dumps({"id": "x", "model": model, "choices": [{"index": 0, "text": text, "finish_reason": finish}]}).encode()


def _usage(n: Any, model: str = "m") -> bytes:
    return json.dumps({"id": "x", "model": model, "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": n}}).encode()


def _bench_cell(tmp_path: Path, tokdir: Path, answer: bytes) -> tuple[Any, list[Any]]:
    from reportgen.validity import check_results

    out = tmp_path / "r.json"
    with HostileServer(routes={"POST /v1/completions": _route(answer)}) as s:
        r = bench(s.url, tokdir, out, "--output-len", "8")
    assert r.exit_code == 0, r.output
    res = load_results(out)
    return res.variant("default").serving[0], check_results(res)


def test_chunks_after_done_are_not_counted_and_are_a_finding(tmp_path: Path, tokdir: Path) -> None:
    """Issue 20: 8 token chunks, [DONE], then 5 more: the request counts 8 (TPOT over 8), and
    the cell says the stream went on after [DONE]."""
    events = [_chunk(f"t{i} ", finish="length" if i == 7 else None) for i in range(8)] + [_usage(8), b"[DONE]"]
    events += [_chunk("late ") for _ in range(5)]
    cell, findings = _bench_cell(tmp_path, tokdir, _stream(events))
    timed = [q for q in cell.requests if not q.warmup]
    assert timed and all(q.error is None and len(q.chunk_times_s) == 8 and q.events_after_done == 5 for q in timed)
    assert cell.metrics is not None and cell.metrics.total_output_tokens == 8 * len(timed)
    (f,) = [f for f in findings if f.check == "stream_after_done"]
    assert f.severity == "warning" and f.message == f"{len(timed)} of {len(timed)} streams went on after [DONE] (up to 5 events; not counted)"
    assert f.message_zh == f"{len(timed)} 个流式应答中有 {len(timed)} 个在 [DONE] 之后仍有数据（最多 5 个事件，未计入）"
    assert not [f for f in findings if f.check == "stream_tokens"]  # the 8 counted agree with usage


def test_chunks_naming_another_model_are_recorded_and_a_finding(tmp_path: Path, tokdir: Path) -> None:
    events = [_chunk(f"t{i} ", model="other-7b", finish="length" if i == 7 else None) for i in range(8)]
    cell, findings = _bench_cell(tmp_path, tokdir, _stream([*events, _usage(8, "other-7b"), b"[DONE]"]))
    timed = [q for q in cell.requests if not q.warmup]
    assert cell.answer_models() == {"other-7b": len(timed)}
    (f,) = [f for f in findings if f.check == "answer_model"]
    assert f.severity == "error"
    assert f.message == f"{len(timed)} of {len(timed)} answered requests were answered by other-7b, not by the requested m"
    # the requested model's answers: recorded, no finding
    cell, findings = _bench_cell(tmp_path, tokdir, _stream([_chunk("a", finish="length"), _usage(1), b"[DONE]"]))
    assert set(cell.answer_models()) == {"m"} and not [f for f in findings if f.check == "answer_model"]


@pytest.mark.parametrize("count, problem", [
    (10**400, "usage.completion_tokens is an integer of 401 digits, not a token count: recorded as unknown"),
    ("8", "usage.completion_tokens is a string ('\"8\"'), not a token count: recorded as unknown"),
])
def test_bench_usage_that_is_not_a_count_is_unknown_and_named(tmp_path: Path, tokdir: Path, count: Any, problem: str) -> None:
    """Issue 20: ``usage.completion_tokens`` of 400 digits was an OverflowError; now the count is
    unknown, the problem is named on the request, the cell is saved and its figures come from the stream."""
    events = [_chunk(f"t{i} ", finish="length" if i == 7 else None) for i in range(8)] + [_usage(count), b"[DONE]"]
    cell, _ = _bench_cell(tmp_path, tokdir, _stream(events))
    timed = [q for q in cell.requests if not q.warmup]
    assert timed and all(q.error is None and q.completion_tokens is None and q.answer_problems == [problem] for q in timed)
    assert cell.metrics is not None and cell.metrics.completed == len(timed)


# --------------------------------------------------------------------------- /metrics


def test_metrics_with_inf_keeps_the_cell_and_names_the_figure(tmp_path: Path, tokdir: Path) -> None:
    """A counter of +Inf after the cell: bench saves the cell; that one figure is missing, with why."""
    srv = HostileServer()

    def metrics(_req: Request) -> bytes:
        # the warm-up request, then the cell's one: +Inf once the cell is served (the identity and
        # before-cell scrapes come earlier)
        inf = srv.served >= 2
        return response(200, (
            'vllm:prompt_tokens_total{model_name="m"} ' + ("+Inf" if inf else "0") + "\n"
            'vllm:generation_tokens_total{model_name="m"} ' + ("3" if inf else "0") + "\n"
            "vllm:request_success_total 5\n"
        ), content_type="text/plain")

    out = tmp_path / "r.json"
    srv.routes["GET /metrics"] = metrics
    with srv as s:
        r = bench(s.url, tokdir, out)
    assert r.exit_code == 0, r.output
    cell = load_results(out).variant("default").serving[0]
    assert cell.metrics is not None and cell.metrics.completed == 1
    sm = cell.server_metrics
    assert sm is not None and sm.error is None
    assert sm.prompt_tokens is None and sm.missing["prompt_tokens"] == "vllm:prompt_tokens_total is +Inf in the scrape after the cell"
    assert sm.generation_tokens == 3.0 and sm.requests == 0.0  # the other figures are kept


def test_metrics_delta_names_every_unusable_figure() -> None:
    before = prometheus.parse("vllm:prompt_tokens_total 100\nvllm:e2e_request_latency_seconds_sum 1e308\n"
                              "vllm:e2e_request_latency_seconds_count 1\nvllm:generation_tokens_total NaN\n")
    after = prometheus.parse("vllm:prompt_tokens_total 40\nvllm:e2e_request_latency_seconds_sum -1e308\n"
                             "vllm:e2e_request_latency_seconds_count 2\nvllm:generation_tokens_total 7\n"
                             "vllm:request_success_total 2\nvllm:time_to_first_token_seconds_sum 1e300\n"
                             "vllm:time_to_first_token_seconds_count 1e-300\n")
    d = prometheus.delta(before, after)
    assert d.prompt_tokens is None and "went down during the cell (100 -> 40)" in d.missing["prompt_tokens"]
    assert d.generation_tokens is None and d.missing["generation_tokens"] == "vllm:generation_tokens_total is NaN in the scrape before the cell"
    assert d.e2el_mean_ms is None and "e2el_mean_ms" in d.missing
    assert d.ttft_mean_ms is None and "sum / count is out of range" in d.missing["ttft_mean_ms"]
    assert d.requests == 2.0
    assert all(v == v and abs(v) != float("inf") for v in d.raw.values())
    d.model_dump_json()  # every figure kept is a number JSON holds
