"""A short soak against real vLLM on CPU (tiny random-weight Qwen2, 2 sequences at once): the windows
fill with real requests, vLLM's /metrics gives the process start time (so a restart could be seen),
and the verdicts and the document's 稳定性测试 come out of a real server's windows."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from vllm_env import require_vllm, serve_vllm

from reportgen.cli import cli
from reportgen.report.markdown import render_markdown
from reportgen.results import load_results
from reportgen.soak import analyze

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


def test_soak_on_real_vllm(tmp_path) -> None:
    _, models = require_vllm()
    model = models / "tiny-qwen2"
    with serve_vllm(model, tmp_path / "vllm", "--max-num-seqs", "2", "--served-model-name", "tiny-qwen2") as url:
        out = tmp_path / "soak.json"
        r = CliRunner().invoke(cli, [
            "soak", "--base-url", url, "--model", "tiny-qwen2", "--tokenizer", str(model), "--precision", "FP16",
            "--concurrency", "2", "--duration", "24s", "--window", "6s", "--input-len", "64", "--output-len", "16",
            "--slo", "mlperf-interactive:llama3.1-8b", "--no-telemetry", "-o", str(out),
        ])
    assert r.exit_code == 0, r.output
    print(r.output)
    res = load_results(out)
    (run,) = res.variant("FP16").soak
    assert run.finished_at is not None and len(run.windows) == 4
    assert run.slo_preset == "mlperf-interactive/llama3.1-8b"
    for w in run.windows:
        assert w.metrics is not None and w.metrics.completed > 0 and w.metrics.failed == 0
        assert all(q.prompt_tokens == 64 and q.completion_tokens == 16 for q in w.requests if q.ok)
        assert w.server_start_time_s is not None, w.server_scrape_error  # vLLM exports process_start_time_seconds
    a = analyze(run)
    assert a.restart.state == "none" and a.errors.failed == 0
    assert a.tpot is not None and a.throughput is not None  # a trend with its interval, whatever the machine's load
    assert a.verdict in ("stable", "unstable")
    md = render_markdown(res)
    assert "稳定性测试" in md and "未重启（进程启动时间不变）" in md
