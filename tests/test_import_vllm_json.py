"""vllm_json: rebuilding request records from a real --save-result file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import FIXTURES

from reportgen.errors import InputFormatError
from reportgen.importers.vllm_json import looks_like_json, parse_vllm_json


def _fixture() -> tuple[str, dict[str, Any]]:
    path = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.json"
    text = path.read_text()
    return text, json.loads(text)


def test_recomputed_metrics_equal_vllms_own() -> None:
    text, doc = _fixture()
    assert looks_like_json(text)
    item = parse_vllm_json(text, "bench.json")
    cell, m = item.cell, item.cell.metrics
    assert len(cell.requests) == 8 and all(r.ok for r in cell.requests)
    assert min(r.start_s for r in cell.requests) == 0.0
    r0 = cell.requests[0]
    assert r0.first_token_s - r0.start_s == pytest.approx(doc["ttfts"][0])
    assert r0.end_s - r0.start_s == pytest.approx(doc["latencies"][0])
    assert len(r0.chunk_times_s) == len(doc["itls"][0]) + 1
    assert r0.completion_tokens == 256 and r0.expected_prompt_tokens == 8192
    rel = dict(rel=1e-9, abs=1e-9)
    assert m.duration_s == doc["duration"]
    assert (m.completed, m.failed) == (doc["completed"], doc["failed"])
    assert (m.total_input_tokens, m.total_output_tokens) == (doc["total_input_tokens"], doc["total_output_tokens"])
    assert m.request_throughput == pytest.approx(doc["request_throughput"], **rel)
    assert m.output_throughput == pytest.approx(doc["output_throughput"], **rel)
    assert m.total_token_throughput == pytest.approx(doc["total_token_throughput"], **rel)
    for name in ("ttft", "tpot", "itl"):
        stats = getattr(m, f"{name}_ms")
        for stat in ("mean", "median", "std", "p99"):
            assert getattr(stats, stat) == pytest.approx(doc[f"{stat}_{name}_ms"], **rel), (name, stat)
    assert m.itl_ms.n == sum(len(x) for x in doc["itls"])
    assert (cell.batch_size, cell.input_len, cell.output_len, cell.num_requests) == (8, 8192, 256, 8)
    info = cell.import_info
    assert info.format == "vllm-json" and info.printed["mean_ttft_ms"] == "614.7183908749838"
    assert info.printed["ttfts"] == "[8 values]" and info.printed["model_id"] == "/models/tiny-qwen2"  # arrays by size only
    assert info.rests_on["requests"] == ["start_times", "ttfts", "itls", "latencies", "input_lens", "output_lens", "errors"]
    assert item.model == "tiny-qwen2" and item.label == "FP16"


def test_failed_request_is_a_record() -> None:
    _, doc = _fixture()
    doc["errors"][2] = "Bad Request: prompt too long"
    doc["output_lens"][2] = 0
    item = parse_vllm_json(json.dumps(doc), "bench.json")
    m = item.cell.metrics
    assert (m.completed, m.failed) == (7, 1)
    assert item.cell.requests[2].error == "Bad Request: prompt too long"
    assert item.cell.requests[2].first_token_s is None
    assert m.total_output_tokens == 7 * 256


def test_summary_only_json() -> None:
    _, doc = _fixture()
    for k in ("start_times", "ttfts", "itls", "latencies", "input_lens", "output_lens", "errors", "generated_texts"):
        doc.pop(k)
    # plain --save-result without the requested lengths: the means, with a warning that says how to pass them
    guess = parse_vllm_json(json.dumps(doc), "s.json")
    assert (guess.cell.input_len, guess.cell.output_len) == (8192, 256)
    assert {"input_len", "output_len"} <= set(guess.cell.import_info.derived)
    assert not guess.cell.exact_input() and not guess.cell.exact_output()
    assert guess.warnings and "pass --input-len/--output-len" in guess.warnings[0]
    item = parse_vllm_json(json.dumps(doc), "s.json", input_len=8192, output_len=256, precision="GPTQ-Int4")
    m = item.cell.metrics
    assert item.cell.requests == [] and item.label == "GPTQ-Int4"
    assert m.ttft_ms.mean == doc["mean_ttft_ms"] and m.ttft_ms.std == doc["std_ttft_ms"] and m.ttft_ms.p99 == doc["p99_ttft_ms"]
    assert m.itl_ms.median == doc["median_itl_ms"]
    assert m.input_throughput == pytest.approx(65536 / doc["duration"])
    assert item.cell.import_info.derived == ["prefill_tps", "input_throughput"]


def test_json_rejections() -> None:
    with pytest.raises(InputFormatError, match=r"^b\.json: not valid JSON: .* at line 1 column 2$"):
        parse_vllm_json("{nope", "b.json")
    with pytest.raises(InputFormatError, match="not a 'vllm bench serve --save-result' file"):
        parse_vllm_json('{"a": 1}', "b.json")
    with pytest.raises(InputFormatError, match="pass --batch-size"):
        parse_vllm_json('{"completed": 0, "duration": 1.0, "total_input_tokens": 1, "total_output_tokens": 1}', "b.json")
