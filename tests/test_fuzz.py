"""Property and fuzz tests (hypothesis): the SSE parser, the streaming client, every importer and
the results loader, on arbitrary bytes, truncations and mutations of real inputs. Each gives a
value or one of reportgen's own errors (``reportgen.errors``), never another exception; what an
importer returns can be merged, saved and loaded again.

Example counts are modest (a shared 2-core machine); ``deadline=None`` because a loaded machine
makes single examples slow without anything being wrong.
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

from collectors.serving.client import RequestParams, make_client, stream_chat, stream_completion
from collectors.serving.prompts import PromptSample
from collectors.serving.sse import SSEParser
from reportgen._io import parse_json
from reportgen.errors import ReportgenError, ResultsSchemaError
from reportgen.importers.manual import apply_manual, parse_manual
from reportgen.importers.merge import add_accuracy, add_cell
from reportgen.importers.printed import parse_printed
from reportgen.importers.swift_eval import parse_swift_eval
from reportgen.importers.vllm_json import parse_vllm_json
from reportgen.importers.vllm_log import parse_vllm_text
from reportgen.results import Results, dump_results, results_from_dict

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed"
SERVING_LOG = (SEED / "serving" / "a-fp16-bs1.log").read_text()
ACCURACY_LOG = (SEED / "accuracy" / "fp16.log").read_text()
MANUAL = (SEED / "manual.toml").read_text()
RESULTS = (REPO / "samples" / "seed-bi150.json").read_text()
SAVE_RESULT = json.dumps({
    "completed": 2, "failed": 0, "duration": 2.0, "total_input_tokens": 20, "total_output_tokens": 6,
    "request_throughput": 1.0, "output_throughput": 3.0, "total_token_throughput": 13.0, "max_concurrency": 2,
    "input_lens": [10, 10], "output_lens": [3, 3], "ttfts": [0.1, 0.2], "itls": [[0.05, 0.05], [0.05, 0.06]],
    "latencies": [0.2, 0.31], "start_times": [100.0, 100.5], "errors": ["", ""], "generated_texts": ["a", "b"],
    "model_id": "/models/tiny", "mean_ttft_ms": 150.0,
})

# REPORTGEN_FUZZ_EXAMPLES=1000 for a deeper run by hand
EXAMPLES = int(os.environ.get("REPORTGEN_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _roundtrip(res: Results) -> None:
    """What was merged saves and loads again (or is refused with our own error)."""
    try:
        text = dump_results(res)
    except ReportgenError:
        return
    results_from_dict(parse_json(text, "<fuzz>", ResultsSchemaError), source="<fuzz>")


@st.composite
def mutated(draw: st.DrawFn, base: str) -> str:
    """``base`` truncated, with a slice replaced by arbitrary text, or both."""
    n = len(base)
    cut = draw(st.integers(0, n))
    text = base[:cut] if draw(st.booleans()) else base
    if draw(st.booleans()) and text:
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        text = text[:i] + draw(st.text(max_size=30)) + text[j:]
    return text


any_text = st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: b.decode("utf-8", "replace")))


# --------------------------------------------------------------------------- SSE


def _reference(data: bytes) -> list[bytes]:
    """The SSE spec, directly: normalise line ends, events end at a blank line, data lines joined."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    out = []
    blocks = text.split(b"\n\n")
    last = blocks.pop()
    if last.strip(b"\n"):
        blocks.append(last)  # a final event without its blank line (close())
    for block in blocks:
        lines = [ln for ln in block.split(b"\n") if ln.startswith(b"data:") or ln == b"data"]
        if lines:
            out.append(b"\n".join(ln[6:] if ln[5:6] == b" " else ln[5:] for ln in lines))
    return out


sse_bytes = st.lists(
    st.sampled_from([b"data: ", b"data:", b"data", b"\n", b"\r\n", b"\r", b": ping\n", b"event: x\n", b"id: 1\n",
                     b'{"a":1}', b"[DONE]", b"x", b"\n\n"]) | st.binary(max_size=8),
    max_size=40,
).map(b"".join)


@FUZZ
@given(data=sse_bytes, cuts=st.lists(st.integers(0, 400), max_size=12))
@example(data=b"data: a\r", cuts=[8])
@example(data=b"data: a\n", cuts=[8])
@example(data=b"data: a\r\n\r\ndata: b", cuts=[8, 9, 10])
def test_sse_any_split_equals_the_spec(data: bytes, cuts: list[int]) -> None:
    p = SSEParser()
    got: list[bytes] = []
    last = 0
    for c in sorted(set(min(c, len(data)) for c in cuts)) + [len(data)]:
        got += p.feed(data[last:c])
        last = c
    got += p.close()
    assert got == _reference(data)
    assert p.pending == 0


@FUZZ
@given(data=st.binary(max_size=2000), size=st.integers(1, 64))
def test_sse_arbitrary_bytes_never_raise(data: bytes, size: int) -> None:
    p = SSEParser()
    for i in range(0, len(data), size):
        for payload in p.feed(data[i:i + size]):
            assert isinstance(payload, bytes)
    p.close()


SAMPLE = PromptSample(key="k", text="hello", prompt_tokens=1, sha256="0" * 64)


def _stream(fn: Any, chunks: list[bytes], status: int) -> Any:
    class Stream(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for c in chunks:
                yield c

    transport = httpx.MockTransport(lambda request: httpx.Response(status, stream=Stream()))

    async def go() -> Any:
        async with make_client("http://stub", 1, transport=transport) as c:
            return await fn(c, SAMPLE, RequestParams(model="m", max_tokens=3, keep_text=True), t0=0.0, index=0)

    return asyncio.run(go())


chunk_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["choices", "delta", "text", "usage", "error", "role", "content", "finish_reason",
                         "prompt_tokens", "completion_tokens", "message"]), inner, max_size=4),
    max_leaves=12,
)
sse_event = st.one_of(
    chunk_json.map(lambda d: b"data: " + json.dumps(d).encode() + b"\n\n"),
    st.binary(max_size=60).map(lambda b: b"data: " + b + b"\n\n"),
    st.just(b'data: {"choices":[{"text":"a","finish_reason":null}]}\n\n'),
    st.just(b"data: [DONE]\n\n"),
)


@settings(max_examples=EXAMPLES + 20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(sse_event, max_size=8), chat=st.booleans(), status=st.sampled_from([200, 200, 200, 500]))
def test_any_server_answer_is_a_record(events: list[bytes], chat: bool, status: int) -> None:
    rec = _stream(stream_chat if chat else stream_completion, events, status)
    assert rec.ok or (isinstance(rec.error, str) and rec.error)
    if rec.ok:
        assert rec.chunk_times_s and (rec.finish_reason is None or isinstance(rec.finish_reason, str))
    rec.model_dump_json()  # and it can be saved


# --------------------------------------------------------------------------- importers


@FUZZ
@given(text=st.one_of(any_text, mutated(SERVING_LOG)))
def test_vllm_text_importer(text: str) -> None:
    try:
        items = parse_vllm_text(text, "f.log", batch_size=1, input_len=10, output_len=10)
    except ReportgenError:
        return
    res = Results()
    for item in items:
        try:
            add_cell(res, item)
        except ReportgenError:
            return
    _roundtrip(res)


@FUZZ
@given(text=st.one_of(any_text, mutated(SAVE_RESULT)))
def test_vllm_json_importer(text: str) -> None:
    try:
        item = parse_vllm_json(text, "f.json", batch_size=2, input_len=10, output_len=3)
        res = Results()
        add_cell(res, item)
    except ReportgenError:
        return
    _roundtrip(res)


@FUZZ
@given(text=st.one_of(any_text, mutated(ACCURACY_LOG)))
def test_swift_eval_importer(text: str) -> None:
    try:
        items = parse_swift_eval(text, "f.log", precision="FP16")
        res = Results()
        for item in items:
            add_accuracy(res, item)
    except ReportgenError:
        return
    _roundtrip(res)


@FUZZ
@given(text=st.one_of(any_text, mutated(MANUAL)))
def test_manual_importer(text: str) -> None:
    try:
        m = parse_manual(text, "m.toml")
        res = Results()
        apply_manual(res, m)
    except ReportgenError:
        return
    _roundtrip(res)


@FUZZ
@given(text=st.one_of(any_text, st.from_regex(r"\A(tensor\()?\[?[-+0-9.e, \[\]\n]{0,60}\]?\)?\Z")))
def test_printed_values(text: str) -> None:
    try:
        parse_printed(text)
    except ReportgenError:
        pass
    except ValueError as e:  # PrintedValueError: the importers turn it into InputFormatError
        assert type(e).__name__ == "PrintedValueError", repr(e)


# --------------------------------------------------------------------------- results loader


@FUZZ
@given(text=st.one_of(any_text, mutated(RESULTS)))
@example(text="[" * 5000)
@example(text='{"schema_version": 2, "variants": [{"label": "A", "serving": [{"batch_size": 1e999}]}]}')
def test_results_loader(text: str) -> None:
    try:
        doc = parse_json(text, "r.json", ResultsSchemaError)
        res = results_from_dict(doc, source="r.json")
    except ReportgenError:
        return
    _roundtrip(res)


@FUZZ
@given(data=st.binary(max_size=300))
def test_results_file_of_arbitrary_bytes(data: bytes) -> None:
    import tempfile

    from reportgen.results import load_results

    with tempfile.TemporaryDirectory(prefix="reportgen-fuzz-") as d:
        p = Path(d) / "r.json"
        p.write_bytes(data)
        try:
            load_results(p)
        except ReportgenError as e:
            assert "\n" not in str(e)  # one line


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
RESULTS_DOC = json.loads(RESULTS)


@st.composite
def mutated_doc(draw: st.DrawFn) -> Any:
    """The sample results document (as v1 or v2) with values somewhere replaced by any JSON value."""
    doc = json.loads(RESULTS)
    doc["schema_version"] = draw(st.sampled_from([1, 2, 2]))
    for _ in range(draw(st.integers(1, 4))):
        node: Any = doc
        for _depth in range(draw(st.integers(0, 6))):
            keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
            if not keys:
                break
            k = draw(st.sampled_from(keys))
            if not isinstance(node[k], (dict, list)) or draw(st.integers(0, 3)) == 0:
                node[k] = draw(json_value)
                break
            node = node[k]
    return doc


@FUZZ
@given(doc=mutated_doc())
@example(doc={"schema_version": 1, "findings": 5, "variants": 3})
@example(doc={"schema_version": 1, "findings": [{"batch_size": 1, "precision": []}], "variants": [{"label": "A"}]})
def test_results_loader_on_mutated_documents(doc: Any) -> None:
    try:
        res = results_from_dict(doc, source="r.json")
    except ReportgenError:
        return
    _roundtrip(res)
