"""A plumbing run of ``reportgen eval`` against a REAL vLLM (CPU build) serving tiny-qwen2.

The model has random weights, so the scores are near chance; what is checked is that every
stage is real: the chat template, 512-token greedy generations, extraction, scoring, saving.
Needs ``REPORTGEN_VLLM_VENV`` / ``REPORTGEN_TINY_MODELS`` (defaults: <repo>/.cache/...).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.report.accuracy_view import MODE_ZH, accuracy_view
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

REPO = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("REPORTGEN_VLLM_VENV", REPO / ".cache" / "vllm-venv"))
MODELS = Path(os.environ.get("REPORTGEN_TINY_MODELS", REPO / ".cache" / "tiny-models"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    vllm = VENV / "bin" / "vllm"
    model = MODELS / "tiny-qwen2"
    if not vllm.exists() or not model.is_dir():
        pytest.skip(f"vLLM CPU venv ({vllm}) or tiny-qwen2 ({model}) missing: run scripts/setup-vllm-cpu.sh")
    tmp = tmp_path_factory.mktemp("vllm")
    port = _free_port()
    env = dict(os.environ, VLLM_AMX_PERM="1", VLLM_CPU_KVCACHE_SPACE="1", VLLM_CPU_OMP_THREADS_BIND="auto",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", VLLM_NO_USAGE_STATS="1", DO_NOT_TRACK="1",
               VLLM_CACHE_ROOT=str(tmp / "cache" / "vllm"), XDG_CACHE_HOME=str(tmp / "cache"),
               HF_HOME=str(tmp / "cache" / "hf"), TMPDIR=str(tmp))
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [str(vllm), "serve", str(model), "--served-model-name", "tiny-qwen2", "--host", "127.0.0.1",
         "--port", str(port), "--max-model-len", "9000", "--dtype", "bfloat16", "--enforce-eager"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vLLM exited with {proc.returncode}: {(tmp / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("vLLM did not become healthy in 300 s")
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.parametrize("mode", ["corrected", "swift2024"])
def test_plumbing_against_real_vllm(vllm_server, shared, tmp_path, mode) -> None:
    out = tmp_path / "acc.json"
    args = ["eval", "--base-url", vllm_server, "--model", "tiny-qwen2", "--data", str(Path(shared) / "datasets"),
            "--limit", "4", "--concurrency", "8", "--mode", mode, "--precision", "FP16", "-o", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    variant = load_results(out).variants[0]
    assert [a.benchmark for a in variant.accuracy] == ["ceval", "gsm8k", "mmlu", "bbh"]
    for acc in variant.accuracy:
        assert acc.mode == mode and acc.n == 4 and acc.errors == 0 and acc.n_planned == 4
        assert acc.correct == sum(bool(s.correct) for s in acc.samples)
        assert acc.score == acc.correct / 4
        for s in acc.samples:
            assert s.response is not None and s.finish_reason in ("stop", "length")
            assert s.completion_tokens is not None and 0 < s.completion_tokens <= 512
            assert s.gold is not None
    # greedy decoding is deterministic: a resumed run with nothing left asks nothing new
    r2 = CliRunner().invoke(cli, [*args, "--resume"])
    assert r2.exit_code == 0, r2.output
    again = load_results(out).variants[0].accuracy
    assert [(a.n, a.correct) for a in again] == [(a.n, a.correct) for a in variant.accuracy]
    # a second labelled variant (the same server) -> section 4's verdict rows
    r3 = CliRunner().invoke(cli, [*args[:-4], "--precision", "INT4", "--tasks", "ceval,gsm8k", "-o", str(out)])
    assert r3.exit_code == 0, r3.output
    view = accuracy_view(load_results(out))
    rows = view["verdict_rows"]
    assert [r[:3] for r in rows] == [["INT4", "ceval", MODE_ZH[mode]], ["INT4", "gsm8k", MODE_ZH[mode]]]
    for row, a in zip(rows, variant.accuracy[:2]):
        assert row[4] == f"{a.score:.4f}"
        assert row[6] in ("达标", "未达标", "无法判定（FP16 得分为 0）")
