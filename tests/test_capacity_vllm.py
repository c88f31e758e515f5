"""A capacity search against real vLLM on CPU (tiny random-weight Qwen2, at most 2 sequences
at once, 64 in / 16 out, P99 TTFT <= 150 ms): it finishes in CI time, every probe's verdict
agrees with its measured P99 and failures, and the answer is bracketed (the next concurrency
was probed and missed the SLO). The value itself depends on the machine's load (requests this
short queue for less than the limit, so it is not bounded by the 2 sequences)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from vllm_env import require_vllm, serve_vllm

from reportgen.cli import cli
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


def test_capacity_search_on_real_vllm(tmp_path) -> None:
    _, models = require_vllm()
    model = models / "tiny-qwen2"
    with serve_vllm(model, tmp_path / "vllm", "--max-num-seqs", "2", "--served-model-name", "tiny-qwen2") as url:
        out = tmp_path / "cap.json"
        t0 = time.monotonic()
        r = CliRunner().invoke(cli, [
            "capacity", "--base-url", url, "--model", "tiny-qwen2", "--tokenizer", str(model), "--precision", "FP16",
            "--input-len", "64", "--output-len", "16", "--max-concurrency", "8", "--slo", "ttft_p99_ms=150",
            "--no-telemetry", "-o", str(out),
        ])
        took = time.monotonic() - t0
    assert r.exit_code == 0, r.output
    assert took < 300, took
    (s,) = load_results(out).variant("FP16").capacity
    print(r.output)
    assert any(line.startswith("FP16: ") for line in r.output.splitlines())
    for p in s.probes:
        m = p.cell.metrics
        assert m is not None and m.completed + m.failed == 5 * p.value
        assert p.met == (m.failed == 0 and m.ttft_ms.p99 is not None and m.ttft_ms.p99 <= 150)
        assert all(q.prompt_tokens == 64 and q.completion_tokens == 16 for q in p.cell.requests if q.ok)
    values = {p.value: p.met for p in s.probes}
    if s.capacity is None:
        assert values[1] is False
    else:
        assert values[s.capacity] is True
        assert s.capacity == 8 or values.get(s.capacity + 1) is False
