"""One ``--api-key-env VAR`` for every command that talks to a server (bench, capacity, collect,
eval; embed: test_embedding_http.py and the vLLM test), and ``api_key_env`` in a plan ([server]
and per variant): the key is sent as ``Authorization: Bearer`` with every request, and appears
in no file and no output line. The stub answers 401 to every path but /health without the key
(a gateway; vLLM guards /v1 only) and lists the paths it saw the key on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import DATASETS
from serving_helpers import Stub, make_tokenizer

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-rg-test-3f9a1c7e5b2d48"


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def stub(tokdir: Path):  # noqa: ANN201
    s = Stub(tokdir, extra=["--require-key", KEY])
    yield s
    s.stop()


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    e = {**os.environ, "PYTHONPATH": str(REPO), "RG_TEST_KEY": KEY, **(env or {})}
    return subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True, text=True, env=e, cwd=cwd,
                          timeout=600)


def _no_key_anywhere(r: subprocess.CompletedProcess[str], folder: Path) -> None:
    assert KEY not in r.stdout and KEY not in r.stderr
    for p in folder.rglob("*"):
        if p.is_file():
            assert KEY.encode() not in p.read_bytes(), p


def _keyed(stub: Stub) -> set[str]:
    return set(httpx.get(stub.base_url + "/stub/keyed", timeout=5).json())


def test_bench_and_capacity_send_the_key_everywhere(stub: Stub, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    common = ("--base-url", stub.base_url, "--model", "stub-model", "--input-len", "16", "--output-len", "8",
              "--no-telemetry", "--api-key-env", "RG_TEST_KEY", "-o", str(out))
    r = _run("bench", *common, "--batch-sizes", "1,2", "--rounds", "2", "--precision", "A", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-1500:]
    r2 = _run("capacity", *common, "--slo", "ttft_p99_ms=5000", "--max-concurrency", "2", "--precision", "B",
              cwd=tmp_path)
    assert r2.returncode == 0, r2.stderr[-1500:]
    # models, tokenizer (no --tokenizer: the server's), streams, Prometheus
    assert {"/v1/models", "/tokenize", "/detokenize", "/v1/completions", "/metrics"} <= _keyed(stub)
    from reportgen.results import load_results

    argv = load_results(out).invocations[0].argv  # the recorded command names the variable only
    assert argv[argv.index("--api-key-env") + 1] == "RG_TEST_KEY"
    _no_key_anywhere(r, tmp_path)
    _no_key_anywhere(r2, tmp_path)


def test_without_the_key_the_server_refuses_in_one_line(stub: Stub, tmp_path: Path) -> None:
    r = _run("bench", "--base-url", stub.base_url, "--model", "stub-model", "-o", str(tmp_path / "r.json"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"reportgen: error: {stub.base_url}/v1/models: HTTP 401: the server wants an API key: pass --api-key-env VAR"]
    r = _run("bench", "--base-url", stub.base_url, "--model", "stub-model", "--api-key-env", "RG_NO_SUCH_VAR",
             "-o", str(tmp_path / "r.json"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == \
        "reportgen: error: --api-key-env RG_NO_SUCH_VAR: that environment variable is not set"
    assert not (tmp_path / "r.json").exists()


def test_eval_sends_the_key(stub: Stub, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = _run("eval", "--base-url", stub.base_url, "--model", "stub-model", "--data", str(DATASETS), "--tasks", "gsm8k",
             "--limit", "3", "--api-key-env", "RG_TEST_KEY", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-1500:]
    assert "/v1/chat/completions" in _keyed(stub)
    _no_key_anywhere(r, tmp_path)


def test_collect_plan_sends_each_variants_key(stub: Stub, tokdir: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
api_key_env = "RG_TEST_KEY"
[serving]
batch_sizes = [1]
input_len = 16
output_len = 8
rounds = 2
[functional_check]
max_tokens = 8
[accuracy]
enabled = true
data_dir = "{DATASETS}"
tasks = ["gsm8k"]
limit = 2
[capacity]
enabled = true
slo = {{ ttft_p99_ms = 5000 }}
max_concurrency = 2
[[variants]]
label = "FP16"
served_model_name = "stub-model"
tokenizer = "{tokdir}"
[[variants]]
label = "INT4"
served_model_name = "stub-model"
tokenizer = "{tokdir}"
api_key_env = "RG_OTHER_KEY"
""")
    out = tmp_path / "r.json"
    r = _run("collect", "--plan", str(plan), "--only", "serving,accuracy", "-o", str(out), cwd=tmp_path,
             env={"RG_OTHER_KEY": "wrong-key-for-INT4"})
    # FP16 is measured with [server]'s key; INT4 names its own variable, whose key the server refuses
    assert r.returncode == 2, r.stderr[-1500:]
    assert r.stderr.strip().splitlines()[-1].startswith("reportgen: error: INT4: ") and "HTTP 401" in r.stderr
    from reportgen.results import load_results

    res = load_results(out)
    fp16 = res.variant("FP16")
    assert fp16.functional_check is not None and fp16.functional_check.error is None
    assert fp16.serving and fp16.serving[0].metrics and fp16.serving[0].metrics.completed == 2
    assert fp16.accuracy and fp16.accuracy[0].n == 2 and fp16.capacity and fp16.capacity[0].capacity is not None
    assert res.variant("INT4").server.error and "401" in res.variant("INT4").server.error
    _no_key_anywhere(r, tmp_path)
    assert "wrong-key-for-INT4" not in r.stderr and b"wrong-key-for-INT4" not in out.read_bytes()


def test_an_unset_plan_variable_stops_collect_before_anything(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[variants]]\nlabel = "FP16"\napi_key_env = "RG_UNSET_VAR"\n')
    r = _run("collect", "--plan", str(plan), "-o", str(tmp_path / "r.json"), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == (
        "reportgen: error: [[variants]] 'FP16' api_key_env RG_UNSET_VAR: that environment variable is not set")
    assert not (tmp_path / "r.json").exists()
