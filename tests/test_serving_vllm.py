"""The seed's matrix (batch 1/2/4/8, 8192 in, 256 out) against real vLLM on CPU, for two
variants labelled FP16 and INT4 (two launches of the tiny random-weight Qwen2):
FP16 through `reportgen bench` against a server started by a session fixture (prompts
sized by the server's /tokenize), INT4 through the serving stage of a plan that
launches, waits for, checks and stops its own server (prompts sized by the local
tokenizer). One server start per variant, one matrix each."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import free_port
from vllm_env import require_vllm, serve_command, server_env

from collectors.serving.server import ServerProcess, wait_ready
from collectors.serving.stage import run_serving_stage
from reportgen.cli import cli
from reportgen.plan import parse_plan
from reportgen.results import ResultsStore, load_results
from reportgen.validity import check_cell

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


@pytest.fixture(scope="session")
def short_tmp():
    d = Path(tempfile.mkdtemp(prefix="rgv-", dir="/tmp"))  # vLLM's IPC socket paths must be short
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def vllm_fp16(tmp_path_factory, short_tmp):
    venv, models = require_vllm()
    tmp = tmp_path_factory.mktemp("vllm-fp16")
    port = free_port()
    env = server_env(tmp, short_tmp / "fp16")
    (short_tmp / "fp16").mkdir()
    server = ServerProcess(serve_command(venv, models / "tiny-qwen2", port), tmp / "server.log", env=env)
    server.start()
    try:
        wait_ready(f"http://127.0.0.1:{port}", 600, proc=server)
        yield f"http://127.0.0.1:{port}", models
    finally:
        server.stop(60)  # SIGTERM to the process group; SIGKILL after 60 s


def test_seed_matrix_fp16_bench_and_int4_stage(vllm_fp16, tmp_path, short_tmp):
    base_url, models = vllm_fp16
    venv, _ = require_vllm()
    model = str(models / "tiny-qwen2")
    out = tmp_path / "results.json"
    r = CliRunner().invoke(
        cli,
        ["bench", "--base-url", base_url, "--model", model, "--precision", "FP16", "--batch-sizes", "1,2,4,8",
         "--input-len", "8192", "--output-len", "256", "--rounds", "1", "-o", str(out)],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output

    port = free_port()
    (short_tmp / "int4").mkdir()
    env = server_env(tmp_path / "int4", short_tmp / "int4")
    plan = parse_plan(f"""
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 600
[serving]
rounds = 1
[[variants]]
label = "INT4"
model_path = {json.dumps(model)}
tokenizer = {json.dumps(model)}
precision = "int4"
launch_command = {json.dumps(serve_command(venv, models / "tiny-qwen2", port))}
env = {{ {", ".join(f"{k} = {json.dumps(v)}" for k, v in env.items())} }}
""")
    assert plan.serving.batch_sizes == [1, 2, 4, 8] and plan.serving.input_len == 8192  # the seed's defaults
    run_serving_stage(plan, ResultsStore.open(out))

    res = load_results(out)
    assert [v.label for v in res.variants] == ["FP16", "INT4"]
    for v in res.variants:
        assert [c.batch_size for c in v.serving] == [1, 2, 4, 8]
        for c in v.serving:
            found = [f for f in check_cell(c, v) if f.check in ("failed_requests", "output_tokens", "input_tokens", "prefix_cache")]
            assert found == [], (v.label, c.batch_size, [f.message for f in found])
            timed = [r for r in c.requests if not r.warmup]
            assert len(timed) == c.batch_size and sum(r.warmup for r in c.requests) == 1
            for rec in c.requests:
                assert rec.ok and rec.prompt_tokens == 8192 == rec.expected_prompt_tokens
                assert rec.completion_tokens == 256 and rec.finish_reason == "length"
                # vLLM may pack several tokens in one chunk when the API server falls behind
                assert 1 <= len(rec.chunk_times_s) <= 256
            assert len({r.prompt_sha256 for r in c.requests}) == len(c.requests)
            m = c.metrics
            assert m.completed == c.batch_size and m.failed == 0
            assert m.total_input_tokens == 8192 * c.batch_size and m.total_output_tokens == 256 * c.batch_size
            for s in (m.ttft_ms, m.tpot_ms, m.itl_ms, m.e2el_ms):
                assert 0 <= s.min <= s.median <= s.p90 <= s.p99 <= s.max  # ITL 0: chunks in one read
            assert m.ttft_ms.mean < m.e2el_ms.mean and m.output_throughput > 0
            sm = c.server_metrics
            assert sm.error is None and sm.prefix_cache_hits == 0  # distinct prompts: no cache hit
            assert sm.generation_tokens == 256 * c.batch_size and sm.prompt_tokens == 8192 * c.batch_size
            # The server's histograms are recorded beside the client's figures. Its TTFT starts
            # when the engine gets the request (after the API server tokenized it), so it can
            # only be lower; measured here: equal at batch 1, 4, 8 and ~200 ms lower at 2.
            assert 0 < sm.ttft_mean_ms <= m.ttft_ms.mean * 1.05 + 5
            # TPOT agrees to 0.05 ms on a quiet machine (benchmarks/fidelity_vllm.py), but a client
            # starved of CPU on a loaded 2-core CI box reads tokens in bursts (measured here once:
            # 1.7 ms client vs 2.9 ms server), so only its presence is asserted.
            assert sm.tpot_mean_ms > 0 and m.tpot_ms.mean > 0
    fp16, int4 = res.variants
    assert fp16.serving[0].prompt_source == "server:/tokenize"
    assert int4.serving[0].prompt_source == f"tokenizer:{model}"
    assert not fp16.server.launched and fp16.functional_check is None
    s = int4.server
    assert s.launched and s.served_models == [model] and s.exit_code is not None and s.startup_s > 0
    assert "Application startup complete" in s.log_tail
    assert s.engine_version and s.engine_version.startswith("0.32")
    fc = int4.functional_check
    assert fc.error is None and fc.request["prompt"] == "如何制作月饼" and fc.request["temperature"] == 0.01
    assert fc.completion_tokens and 0 < fc.completion_tokens <= 256 and fc.finish_reason in ("length", "stop")
