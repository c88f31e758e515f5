"""The streaming client on scripted streams (httpx.MockTransport + a scripted clock):
exact TTFT/TPOT/ITL, chat role chunks, usage, and every parse-level failure."""

import asyncio
import json

import httpx
import pytest

from collectors.serving import client as client_mod
from collectors.serving.client import RequestParams, make_client, stream_chat, stream_completion
from collectors.serving.prompts import PromptSample
from reportgen.metrics import serving_metrics

SAMPLE = PromptSample(key="k", text="hello world", prompt_tokens=2, sha256="ab" * 32)


def ev(obj) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def tok(i, text=None, fin=None):
    return ev({"id": "c", "object": "text_completion", "choices": [{"index": 0, "text": f" t{i}" if text is None else text, "finish_reason": fin}]})


USAGE = ev({"id": "c", "choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}})


class Clock:
    """perf_counter replacement: each read of the stream advances to the scripted time."""

    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def scripted(reads, clock, status=200):
    """A MockTransport whose response yields (time, bytes) reads, setting the clock first."""

    class Stream(httpx.AsyncByteStream):
        async def __aiter__(self):
            for t, data in reads:
                clock.t = t
                yield data

    def handler(request):
        handler.body = json.loads(request.content)
        return httpx.Response(status, stream=Stream())

    return httpx.MockTransport(handler), handler


def run(fn, reads, params=None, status=200, clock=None):
    clock = clock or Clock()
    transport, handler = scripted(reads, clock, status)
    orig = client_mod._now
    client_mod._now = clock
    try:
        async def go():
            async with make_client("http://stub", 1, transport=transport) as c:
                return await fn(c, SAMPLE, params or RequestParams(model="m", max_tokens=3), t0=99.0, index=0)
        return asyncio.run(go()), handler
    finally:
        client_mod._now = orig


def test_completion_exact_timing_and_usage():
    reads = [(100.250, tok(0)), (100.300, tok(1)), (100.400, tok(2, fin="length") + USAGE + b"data: [DONE]\n\n")]
    rec, handler = run(stream_completion, reads)
    assert rec.error is None
    assert rec.start_s == pytest.approx(1.0)
    assert rec.first_token_s == pytest.approx(1.25) and rec.end_s == pytest.approx(1.4)
    assert rec.chunk_times_s == pytest.approx([1.25, 1.3, 1.4])
    assert (rec.prompt_tokens, rec.completion_tokens, rec.expected_prompt_tokens) == (2, 3, 2)
    assert rec.finish_reason == "length" and rec.http_status == 200 and rec.chunks == 5
    m = serving_metrics([rec], duration_s=0.4)
    assert m.ttft_ms.mean == pytest.approx(250.0)
    assert m.tpot_ms.mean == pytest.approx(75.0)  # (400 - 250) / (3 - 1)
    assert sorted(round(x, 6) for x in [m.itl_ms.min, m.itl_ms.max]) == [50.0, 100.0]
    body = handler.body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["ignore_eos"] is True and body["min_tokens"] == 3 and body["max_tokens"] == 3
    assert body["temperature"] == 0.0 and body["prompt"] == "hello world"


def test_vllm_extensions_can_be_switched_off_and_text_kept():
    params = RequestParams(model="m", max_tokens=3, ignore_eos=False, min_tokens=False, keep_text=True)
    reads = [(100.1, tok(0) + tok(1) + tok(2) + USAGE + b"data: [DONE]\n\n")]
    rec, handler = run(stream_completion, reads, params)
    assert "ignore_eos" not in handler.body and "min_tokens" not in handler.body
    assert rec.text == " t0 t1 t2"
    assert rec.chunk_times_s == pytest.approx([1.1, 1.1, 1.1])  # one read, one timestamp


def test_empty_text_token_counts_as_token():
    # an incomplete UTF-8 sequence arrives as a chunk with text "": it is a generated token
    reads = [(100.2, tok(0, text="")), (100.3, tok(1, text="月")), (100.4, USAGE + b"data: [DONE]\n\n")]
    rec, _ = run(stream_completion, reads)
    assert rec.first_token_s == pytest.approx(1.2)


def test_other_servers_json_spacing_takes_the_parsed_path():
    spaced = b'data: {"id": "c", "choices": [{"index": 0, "text": " a", "finish_reason": null}]}\n\n'
    reads = [(100.2, spaced), (100.5, spaced), (100.6, USAGE + b"data: [DONE]\n\n")]
    rec, _ = run(stream_completion, reads)
    assert rec.error is None and rec.chunk_times_s == pytest.approx([1.2, 1.5])


def chat_chunk(delta, fin=None):
    return ev({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": fin}]})


def test_chat_role_only_first_chunk_is_not_a_token():
    reads = [
        (100.05, chat_chunk({"role": "assistant", "content": ""})),
        (100.30, chat_chunk({"content": "你"})),
        (100.35, chat_chunk({"content": "好"}, fin="length")),
        (100.40, USAGE + b"data: [DONE]\n\n"),
    ]
    rec, handler = run(stream_chat, reads, RequestParams(model="m", max_tokens=2, keep_text=True))
    assert rec.error is None
    assert rec.first_token_s == pytest.approx(1.30)
    assert rec.chunk_times_s == pytest.approx([1.30, 1.35])
    assert rec.text == "你好" and rec.finish_reason == "length"
    assert handler.body["messages"] == [{"role": "user", "content": "hello world"}]


@pytest.mark.parametrize(
    "reads, status, error",
    [
        ([(100.1, b'{"error": "boom"}')], 500, 'HTTP 500: {"error": "boom"}'),
        ([(100.1, tok(0)), (100.2, b"data: {not json\n\n")], 200, "malformed SSE event: b'{not json'"),
        ([(100.1, tok(0)), (100.2, USAGE)], 200, "stream ended before [DONE]"),
        ([(100.1, USAGE + b"data: [DONE]\n\n")], 200, "no token in the stream"),
        ([(100.1, tok(0)), (100.2, ev({"error": {"message": "engine dead"}}))], 200, "server error in stream: engine dead"),
    ],
)
def test_failures_are_records(reads, status, error):
    rec, _ = run(stream_completion, reads, status=status)
    assert rec.error == error
    assert not rec.ok
    assert rec.http_status == status


def test_connection_error_is_a_record():
    def handler(request):
        raise httpx.ConnectError("Connection refused")

    async def go():
        async with make_client("http://stub", 1, transport=httpx.MockTransport(handler)) as c:
            return await stream_completion(c, SAMPLE, RequestParams(model="m", max_tokens=3), t0=0.0, index=4, warmup=True)

    rec = asyncio.run(go())
    assert rec.error == "ConnectError: Connection refused"
    assert rec.index == 4 and rec.warmup and rec.first_token_s is None


DONE = b"data: [DONE]\n\n"


@pytest.mark.parametrize(
    "fn, reads, error",
    [
        # a choices list of strings (not objects): one failed record, not AttributeError
        (stream_chat, [(100.1, ev({"choices": ["x"]})), (100.2, USAGE + DONE)],
         "malformed chunk: 'choices' is not a list of objects: [\"x\"]"),
        (stream_completion, [(100.1, ev({"choices": ["x"]})), (100.2, USAGE + DONE)],
         "malformed chunk: 'choices' is not a list of objects: [\"x\"]"),
        (stream_chat, [(100.1, ev({"choices": [{"delta": "x"}]})), (100.2, USAGE + DONE)],
         "malformed chunk: 'delta' is not an object: \"x\""),
        (stream_completion, [(100.1, ev({"choices": {"text": "a"}})), (100.2, USAGE + DONE)],
         "malformed chunk: 'choices' is not a list of objects: {\"text\": \"a\"}"),
        # a malformed token chunk that the fast path would take on sight is parsed before it counts
        (stream_completion, [(100.1, tok(0)), (100.2, b'data: {"choices":[{garbage}\n\n'), (100.3, USAGE + DONE)],
         "malformed SSE event: b'{\"choices\":[{garbage}'"),
        (stream_completion, [(100.1, tok(0)), (100.2, ev({"choices": [], "usage": [1, 2]}) + DONE)],
         "malformed chunk: 'usage' is not an object: b'{\"choices\":[],\"usage\":[1,2]}'"),
        (stream_completion, [(100.1, b"data: " + b"[" * 100000 + b"\n\n" + DONE)], None),
        (stream_completion, [(100.1, ev([1, 2]) + DONE)], "malformed SSE event (not an object): b'[1,2]'"),
    ],
)
def test_any_chunk_shape_is_a_failed_record(fn, reads, error):
    rec, _ = run(fn, reads)
    assert not rec.ok
    if error is not None:
        assert rec.error == error
    else:
        assert rec.error and len(rec.error) < 400


def test_usage_of_another_shape_is_unknown_not_a_crash():
    odd = ev({"choices": [], "usage": {"prompt_tokens": "2", "completion_tokens": -3}})
    rec, _ = run(stream_completion, [(100.1, tok(0)), (100.2, odd + DONE)])
    assert rec.ok and rec.prompt_tokens is None and rec.completion_tokens is None


def test_huge_event_split_in_small_reads_is_one_token_at_its_arrival():
    big = tok(0, text="x" * (3 << 20))
    reads = [(100.0 + n * 1e-4, big[i:i + 65536]) for n, i in enumerate(range(0, len(big), 65536))]
    reads.append((101.0, USAGE + DONE))
    rec, _ = run(stream_completion, reads)
    assert rec.ok and len(rec.chunk_times_s) == 1
    assert rec.first_token_s == pytest.approx(1.0 + (len(reads) - 2) * 1e-4)


# --------------------------------------------------------------------------- what the server says about itself


def test_token_chunks_after_done_are_counted_never_timed():
    # 13 chunks for 8 tokens: 5 arrive after [DONE] (in the same read and in a later one)
    reads = [(100.1 + i * 0.1, tok(i)) for i in range(8)]
    reads.append((101.0, USAGE + DONE + tok(8) + tok(9)))
    reads.append((105.0, tok(10) + tok(11) + tok(12)))
    rec, _ = run(stream_completion, reads)
    assert rec.ok and rec.events_after_done == 5 and rec.chunks == 15
    assert rec.chunk_times_s == pytest.approx([1.1 + i * 0.1 for i in range(8)])
    assert rec.end_s == pytest.approx(1.8)  # not 6.0: E2EL, TPOT and ITL end at the last token before [DONE]
    m = serving_metrics([rec], duration_s=2.0)
    assert m.itl_ms.max == pytest.approx(100.0)
    clean, _ = run(stream_completion, [(100.1, tok(0)), (100.2, USAGE + DONE)])
    assert clean.events_after_done == 0


def test_the_model_the_answer_named_is_recorded():
    def named(i, model):
        return ev({"id": "c", "model": model, "choices": [{"index": 0, "text": f" t{i}", "finish_reason": None}]})

    rec, _ = run(stream_completion, [(100.1, named(0, "m")), (100.2, USAGE + DONE)])
    assert rec.ok and rec.model == "m"  # the requested one (RequestParams(model="m"))
    # the first name that is not the requested one, wherever it comes in the stream
    reads = [(100.1, named(0, "m")), (100.2, named(1, "m") + named(2, "other-7b")), (100.3, named(3, "third")),
             (100.4, USAGE + DONE)]
    rec, _ = run(stream_completion, reads)
    assert rec.ok and rec.model == "other-7b"
    rec, _ = run(stream_completion, [(100.1, tok(0)), (100.2, USAGE + DONE)])
    assert rec.model is None  # the chunks named none


@pytest.mark.parametrize("value, problem", [
    ("9" * 400, "usage.completion_tokens is an integer of 400 digits, not a token count: recorded as unknown"),
    ("10000001", "usage.completion_tokens is 10000001, not a token count: recorded as unknown"),
    ('"3"', "usage.completion_tokens is a string"),
    ("-1", "usage.completion_tokens is -1, not a token count: recorded as unknown"),
])
def test_a_usage_count_that_is_not_a_count_is_unknown_and_named(value, problem):
    usage = b'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":' + value.encode() + b"}}\n\n"
    rec, _ = run(stream_completion, [(100.1, tok(0)), (100.2, usage + DONE)])
    assert rec.ok and rec.completion_tokens is None and rec.prompt_tokens == 2
    assert len(rec.answer_problems) == 1 and rec.answer_problems[0].startswith(problem), rec.answer_problems
    serving_metrics([rec], duration_s=1.0)  # no OverflowError anywhere after it


def test_an_integer_no_json_parser_reads_fails_the_request():
    usage = b'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":' + b"9" * 5000 + b"}}\n\n"
    rec, _ = run(stream_completion, [(100.1, tok(0)), (100.2, usage + DONE)])
    assert not rec.ok and rec.error.startswith("malformed SSE event")  # both parsers refuse more than 4300 digits


def test_chunks_are_validated_whatever_their_spacing_or_extra_fields():
    # the strict schema and the lenient path agree: NaN logprobs, a 1e400 float, extra fields
    odd = b'data: {"choices":[{"index":0,"text":" a","logprobs":NaN,"x":1e400}],"model":"m"}\n\n'
    rec, _ = run(stream_completion, [(100.1, odd), (100.2, USAGE + DONE)])
    assert rec.ok and rec.chunk_times_s == pytest.approx([1.1]) and rec.model == "m"
