"""Property tests (hypothesis) of the accuracy and embedding clients' answers (issue 20): whatever a
server answers — any status, any JSON of any shape (NaN, 400-digit integers, deep nesting), or
bytes that are not JSON — the accuracy client's request gives an answer or a recorded error, the
embedding stage gives a run (with its error when the answer was unusable), and what they record
can be saved and loaded again, or is refused with reportgen's own one-line error. Never another
exception.

The same layer (``collectors.answers``) validates the serving client's model list and functional
check; ``tests/test_fuzz.py`` holds its streamed chunks to the same rule.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from collectors.accuracy.runner import EvalConfig, chat_once
from collectors.embedding.stage import run_embedding_stage
from reportgen._io import parse_json
from reportgen.errors import ReportgenError, ResultsSchemaError
from reportgen.results import AccuracyResult, Results, SampleRecord, dump_results, results_from_dict

EXAMPLES = int(os.environ.get("REPORTGEN_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATA = Path(__file__).resolve().parent.parent / "datasets"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**3), 10**3), st.integers(10**18, 10**450),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                           max_leaves=8)
text_or_junk = st.one_of(st.text(max_size=40), json_values)


def _roundtrip(res: Results) -> None:
    try:
        text = dump_results(res)
    except ReportgenError:
        return  # refused in one line (a NaN score, say), never a traceback
    results_from_dict(parse_json(text, "<fuzz>", ResultsSchemaError), source="<fuzz>")


@st.composite
def chat_bodies(draw: st.DrawFn) -> bytes:
    """A chat answer with any part of any shape, or bytes that are no JSON at all."""
    kind = draw(st.sampled_from(["shaped", "any", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "any":
        return json.dumps(draw(json_values)).encode()
    message = draw(st.one_of(st.fixed_dictionaries({"role": st.just("assistant"), "content": text_or_junk}), json_values))
    choice = draw(st.one_of(st.fixed_dictionaries({"message": st.just(message), "finish_reason": text_or_junk}), json_values))
    usage = draw(st.one_of(st.fixed_dictionaries({"prompt_tokens": json_values, "completion_tokens": json_values}), json_values))
    doc = {"choices": draw(st.one_of(st.just([choice]), json_values)), "usage": usage, "model": draw(text_or_junk)}
    return json.dumps(doc).encode()


@FUZZ
@given(status=st.sampled_from([200, 200, 200, 400, 401, 404, 500, 503]), body=chat_bodies())
@example(status=200, body=b'{"choices":[{"message":{"content":{"a":1}}}]}')
@example(status=200, body=b'{"choices":[{"message":{"content":"42"}}],"usage":{"completion_tokens":"7"}}')
@example(status=200, body=b'{"choices":[{"message":{"content":"42"}}],"usage":{"completion_tokens":' + b"9" * 400 + b"}}")
@example(status=200, body=b"[" * 5000)
def test_any_chat_answer_is_an_answer_or_a_recorded_error(status: int, body: bytes) -> None:
    client = httpx.AsyncClient(base_url="http://stub",
                               transport=httpx.MockTransport(lambda _r: httpx.Response(status, content=body)))
    cfg = EvalConfig(base_url="http://stub", model="m", data_dir=DATA, retries=0)
    text, info = asyncio.run(chat_once(client, cfg, "question", "gsm8k/main/0/x"))
    assert (text is None) == ("error" in info)
    assert text is None or isinstance(text, str)
    # exactly what the runner stores for the question
    rec = SampleRecord(id="main/0", subset="main", response=text, error=info.get("error"),
                       finish_reason=info.get("finish_reason"), completion_tokens=info.get("completion_tokens"),
                       latency_s=info.get("latency_s"), answer_problems=info.get("problems") or [])
    res = Results()
    res.variant("FP16").accuracy.append(AccuracyResult(benchmark="gsm8k", mode="corrected", samples=[rec]))
    _roundtrip(res)


@st.composite
def embedding_answers(draw: st.DrawFn) -> Any:
    """An /v1/embeddings or rerank answer of the right outline with anything inside, or anything."""
    if draw(st.booleans()):
        return draw(json_values)
    item = st.fixed_dictionaries({"index": st.one_of(st.integers(-1, 8), json_values),
                                  "embedding": st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                                                  min_size=0, max_size=4), json_values),
                                  "relevance_score": st.one_of(st.floats(allow_nan=True), json_values),
                                  "score": st.one_of(st.floats(allow_nan=True), json_values)})
    items = draw(st.lists(item, max_size=4))
    return {"data": items, "results": items, "usage": draw(json_values)}


def _stage(kind: str, status: int, answer: Any, models: Any) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, text=json.dumps(models))
        return httpx.Response(status, text=json.dumps(answer) if not isinstance(answer, bytes) else answer.decode("latin-1"))

    client = httpx.Client(transport=httpx.MockTransport(respond))
    return run_embedding_stage(None, model="stub-model", kind=kind, base_url="http://stub", client=client,  # type: ignore[arg-type]
                               batch_sizes=(1,), rounds=1, reference=False)


@FUZZ
@given(kind=st.sampled_from(["embedding", "reranker"]), status=st.sampled_from([200, 200, 200, 400, 404, 422, 500]),
       answer=embedding_answers(),
       models=st.one_of(st.just({"data": [{"id": "stub-model"}]}), json_values))
@example(kind="embedding", status=200, answer={"data": 5}, models={"data": 5})
@example(kind="embedding", status=200, answer={"data": [{"index": 0, "embedding": "x"}]}, models={"data": []})
@example(kind="reranker", status=200, answer={"results": [{"index": 0, "relevance_score": "high"}]}, models={"data": []})
def test_any_embedding_answer_is_a_run(kind: str, status: int, answer: Any, models: Any) -> None:
    run = _stage(kind, status, answer, models)
    assert run.kind == kind and run.finished_at is not None
    _roundtrip(Results(embeddings=[run]))
