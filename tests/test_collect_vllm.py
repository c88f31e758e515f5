"""`reportgen collect --plan` end to end against real vLLM on CPU: hardware facts; for two
variants (FP16, INT4: two launches of the tiny Qwen2) a launched server, the functional check, the
seed's whole matrix (batch 1/2/4/8, 8192 in, 256 out, 5 rounds so every cell has enough samples
for its P99) and accuracy while it is up; a local reranker check; then the document with sections
1 to 6 filled from this one results file and every 3.4 cell VALID."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATASETS
from serving_helpers import LOAD_SENSITIVE, free_port
from vllm_env import require_vllm, serve_command, server_env

from reportgen.cli import cli
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]



def test_collect_with_plan_then_render(tmp_path: Path) -> None:
    pytest.importorskip("torch")  # the local reranker check
    venv, models = require_vllm()
    short_tmp = Path(tempfile.mkdtemp(prefix="rgc-", dir="/tmp"))  # vLLM's IPC socket paths must be short
    try:
        port = free_port()
        env = server_env(tmp_path / "vllm", short_tmp)
        model = str(models / "tiny-qwen2")
        plan = tmp_path / "plan.toml"
        env_lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in env.items())
        # One server at a time on the same port: each variant is launched, measured and stopped.
        variants = "".join(f"""
[[variants]]
label = "{label}"
model = "tiny-qwen2"
model_path = {json.dumps(model)}
tokenizer = {json.dumps(model)}
precision = "{precision}"
launch_command = {json.dumps(serve_command(venv, models / "tiny-qwen2", port))}
[variants.env]
{env_lines}
""" for label, precision in (("FP16", "bf16"), ("INT4", "int4")))
        plan.write_text(f"""
title = "算力卡推理评测（集成测试）"
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 600
[serving]
batch_sizes = [1, 2, 4, 8]
input_len = 8192
output_len = 256
rounds = 5
{variants}
[accuracy]
enabled = true
data_dir = {json.dumps(str(DATASETS))}
tasks = ["gsm8k", "ceval"]
limit = 4
concurrency = 4
[[embedding]]
model = {json.dumps(str(models / "tiny-xlmr-rerank"))}
kind = "reranker"
device = "cpu"
precision = "bf16"                    # compared with a float32 CPU run of the same model
throughput = false
""", encoding="utf-8")
        out = tmp_path / "results.json"
        r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "-o", str(out)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)

    res = load_results(out)
    assert res.title == "算力卡推理评测（集成测试）"
    assert res.environment.facts["cpu.model"].present
    assert [v.label for v in res.variants] == ["FP16", "INT4"]
    for v in res.variants:
        assert v.server.launched and v.server.log_tail and v.server.exit_code is not None
        # a random-weight model may stop at once: the answer may be empty, but it came back whole
        fc = v.functional_check
        assert fc is not None and fc.error is None and fc.response_text is not None and fc.finish_reason in ("stop", "length")
        assert [(c.batch_size, c.input_len, c.output_len) for c in v.serving] == [(b, 8192, 256) for b in (1, 2, 4, 8)]
        for c in v.serving:
            assert c.metrics is not None and c.metrics.failed == 0 and c.metrics.completed == 5 * c.batch_size
            assert all(q.prompt_tokens == 8192 and q.completion_tokens == 256 for q in c.requests if not q.warmup)
        assert {(a.benchmark, a.n) for a in v.accuracy} == {("gsm8k", 4), ("ceval", 4)}
    (run,) = res.embeddings
    assert run.kind == "reranker" and run.error is None and run.reference_check.status == "pass"

    r = CliRunner().invoke(cli, ["validate", str(out), "--json"])
    findings = json.loads(r.output)
    assert not [f for f in findings if f["severity"] == "error" and f["cell"]], findings
    # the variant-level errors are what this plan earns, and validate says so: two labels on one launch
    # command, an INT4 label on bf16 weights, a random-weight model's answers (empty, unparsed, all wrong)
    earned = {f["check"] for f in findings if f["severity"] == "error" and not f["cell"]}
    assert {"same_deployment", "quantization_label"} <= earned <= {
        "same_deployment", "quantization_label", "functional_failed", "accuracy_unparsed", "accuracy_chance"}, findings
    int4 = res.variants[1].server
    assert int4.model_root == model and int4.served_config.get("quant_method", "?") is None  # read from the model
    assert int4.process_start_time and int4.process_start_time != res.variants[0].server.process_start_time
    # What the product promises on a busy machine: no error; a cell may be doubtful (存疑) only
    # through the timing checks that CPU starvation trips (a correct warning), never through counts.
    cell_warnings = {f["check"] for f in findings if f["severity"] == "warning" and f["cell"]}
    assert cell_warnings <= LOAD_SENSITIVE, findings

    r = CliRunner().invoke(cli, ["render", str(out), "--format", "md", "-o", str(tmp_path / "doc")])
    assert r.exit_code == 0, r.output
    md = (tmp_path / "doc" / "results.md").read_text(encoding="utf-8")
    assert "| 加速卡 | 数量 | 0（本机未发现加速卡） |" in md
    summary = md.split("### 3.4", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in summary.splitlines() if re.match(r"\| (FP16|INT4) · 批大小 \d", line)]
    assert len(rows) == 8
    # "有效", or "存疑（见第 7 节 #1）" pointing at the finding
    verdicts = [line.rstrip(" |").rsplit("|", 1)[1].strip().split("（", 1)[0] for line in rows]
    assert set(verdicts) <= {"有效", "存疑"}, rows
    assert ("存疑" in verdicts) == bool(cell_warnings), (rows, cell_warnings)
    # the conclusion gives the operating point; the two labels are one deployment: no speedup, and it says so
    conclusion = md.split("## 结论", 1)[1].split("\n## ", 1)[0]
    assert "用例中最大" in conclusion and "×（批大小" not in conclusion
    assert "INT4 与 FP16 是同一个部署：启动命令相同" in conclusion and "无（两者是同一个部署，差异不是测试结果）" in conclusion
    assert "如何制作月饼" in md
    assert "| gsm8k |" in md and "| ceval |" in md
    assert "## 6." in md and "对照检查通过" in md
