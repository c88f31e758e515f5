"""A real vLLM CPU server that requires an API key (vLLM's ``--api-key``, here through its
``VLLM_API_KEY``) is measured end to end by ``collect`` (a plan naming ``api_key_env``),
``bench``, ``capacity``, ``eval`` and ``embed``, each with the key from the environment
(``--api-key-env``); the key appears in no file and no output line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import DATASETS
from vllm_env import require_vllm, serve_vllm

from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-vllm-e2e-7c1d9e3b5a2f4068"


def _run(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "RG_VLLM_KEY": KEY}
    env.pop("VLLM_API_KEY", None)
    r = subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True, text=True, env=env, cwd=work,
                       timeout=900)
    assert r.returncode == 0, (args, r.stderr[-2000:])
    assert KEY not in r.stdout and KEY not in r.stderr, args
    return r


def test_every_command_measures_a_server_that_wants_a_key(tmp_path: Path) -> None:
    _, models = require_vllm()
    work = tmp_path / "work"
    work.mkdir()
    out = work / "r.json"
    qwen = models / "tiny-qwen2"
    with serve_vllm(qwen, tmp_path / "vllm-gen", "--served-model-name", "tiny-qwen2", api_key=KEY) as url:
        assert httpx.get(url + "/v1/models", timeout=10).status_code == 401  # the key is really required
        common = ["--base-url", url, "--model", "tiny-qwen2", "--tokenizer", str(qwen), "--input-len", "64",
                  "--output-len", "16", "--no-telemetry", "--api-key-env", "RG_VLLM_KEY", "-o", str(out)]
        _run(work, "bench", *common, "--precision", "BENCH", "--batch-sizes", "1,2", "--rounds", "2")
        _run(work, "capacity", *common, "--precision", "CAP", "--slo", "ttft_p99_ms=60000", "--max-concurrency", "2")
        _run(work, "eval", "--base-url", url, "--model", "tiny-qwen2", "--data", str(DATASETS), "--tasks", "gsm8k",
             "--limit", "2", "--max-tokens", "16", "--precision", "EVAL", "--api-key-env", "RG_VLLM_KEY", "-o", str(out))
        plan = work / "plan.toml"
        plan.write_text(f"""
[server]
base_url = "{url}"
api_key_env = "RG_VLLM_KEY"
[serving]
batch_sizes = [1]
input_len = 64
output_len = 16
rounds = 2
[functional_check]
max_tokens = 16
[accuracy]
enabled = true
data_dir = {json.dumps(str(DATASETS))}
tasks = ["gsm8k"]
limit = 2
[[variants]]
label = "COLLECT"
served_model_name = "tiny-qwen2"
tokenizer = {json.dumps(str(qwen))}
""")
        _run(work, "collect", "--plan", str(plan), "--only", "serving,accuracy", "-o", str(out))
    embed_model = models / "tiny-bert-embed"
    with serve_vllm(embed_model, tmp_path / "vllm-embed", "--runner", "pooling", "--max-model-len", "8192",
                    api_key=KEY) as url:
        assert httpx.get(url + "/v1/models", timeout=10).status_code == 401
        r = _run(work, "embed", "--model", str(embed_model), "--kind", "embedding", "--base-url", url, "--no-reference",
                 "--rounds", "1", "--batch-sizes", "1", "--api-key-env", "RG_VLLM_KEY", "-o", str(out))
        assert "throughput" in r.stdout

    res = load_results(out)
    bench, cap, ev, col = (res.variant(x) for x in ("BENCH", "CAP", "EVAL", "COLLECT"))
    assert [c.metrics.completed for c in bench.serving if c.metrics] == [2, 4]
    assert bench.server.engine == "vllm"  # /version answered (vLLM does not guard it; sent the key anyway)
    assert cap.capacity and cap.capacity[0].capacity == 2 and len(cap.capacity[0].probes) == 2
    assert ev.accuracy and ev.accuracy[0].n == 2 and ev.accuracy[0].errors == 0
    fc = col.functional_check
    assert fc is not None and fc.error is None and fc.completion_tokens == 16
    assert col.serving and col.serving[0].metrics and col.serving[0].metrics.completed == 2
    assert col.accuracy and col.accuracy[0].errors == 0
    (run,) = res.embeddings
    assert run.error is None and run.throughput and run.throughput[0].items_per_s > 0
    for inv in res.invocations:
        assert "RG_VLLM_KEY" in inv.argv or inv.argv[1] == "collect"  # the variable's name, never the key
    for p in tmp_path.rglob("*"):  # results, kept logs, the servers' own logs and caches
        if p.is_file() and p.stat().st_size < 256 << 20:
            assert KEY.encode() not in p.read_bytes(), p
