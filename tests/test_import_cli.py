"""``reportgen import``: the commands as users run them, merging, errors, the sample build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from reportgen.cli import cli
from reportgen.results import load_results

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_vllm_log_then_merge(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    logs = sorted(str(p) for p in (SEED / "serving").glob("*.log"))
    res = run("import", "vllm-log", *logs, "-o", str(out))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) == 25 and lines[-1] == f"wrote {out}"
    # every block named with its lines and format, then one line per cell, then one accounting line per file
    assert lines[0] == f"{logs[0]}:1-27: vllm-text (vLLM benchmark_serving.py / vllm bench serve printed result (with its Namespace or command))"
    assert lines[8] == f"{logs[0]} block 0: FP16 batch 1, input 8192, output 256, dataset sharegpt, 1 ok, 256 tokens in 24.37 s: added"
    assert lines[16] == f"{logs[0]}: 1 block found, 1 imported; 17 printed numbers read, 17 used, 0 not used"
    results = load_results(out)
    assert [v.label for v in results.variants] == ["FP16", "GPTQ-Int4"]
    assert [c.batch_size for c in results.variant("GPTQ-Int4").serving] == [1, 2, 4, 8]
    assert results.invocations[0].argv[:3] == ["reportgen", "import", "vllm-log"]

    # the same cell again, with the batch size overridden: replaced, and said so
    res = run("import", "vllm-log", logs[0], "-o", str(out), "--batch-size", "2")
    assert res.exit_code == 0
    assert res.output.splitlines()[1].endswith(
        "FP16 batch 2, input 8192, output 256, dataset sharegpt, 1 ok, 256 tokens in 24.37 s: replaced the existing cell"
    )
    results = load_results(out)
    fp16 = results.variant("FP16").serving
    assert [c.batch_size for c in fp16] == [1, 2, 4, 8]
    assert next(c for c in fp16 if c.batch_size == 2).metrics.duration_s == 24.37
    assert len(results.invocations) == 2

    # the JSON fixture is recognised by content and adds its cell with raw records
    js = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.json"
    res = run("import", "vllm-log", str(js), "-o", str(out), "--precision", "BF16", "--model", "tiny")
    assert res.exit_code == 0 and "8 request records: added" in res.output
    bf16 = load_results(out).variant("BF16")
    assert bf16.model == "tiny" and len(bf16.serving[0].requests) == 8


def test_swift_eval_command(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = run("import", "swift-eval", *sorted(str(p) for p in (SEED / "accuracy").glob("*.log")), "-o", str(out))
    assert res.exit_code == 0
    lines = res.output.splitlines()
    # 6 blocks in 3 files, each named with its lines and format; 12 scores; one accounting line per file
    assert len(lines) == 22 and sum(": swift-log (" in line for line in lines) == 6
    assert f"{SEED / 'accuracy' / 'fp16.log'}: 1 block found, 1 imported; 4 printed numbers read, 4 used, 0 not used" in lines
    results = load_results(out)
    scores = {v.label: {a.benchmark: a.score for a in v.accuracy} for v in results.variants}
    assert scores["FP16"]["bbh"] == 0.2439 and scores["AWQ-Int4"]["mmlu"] == 0.6529 and scores["GPTQ-Int4"]["ceval"] == 0.6738
    res = run("import", "swift-eval", str(SEED / "accuracy" / "fp16.log"), "-o", str(out))
    assert res.output.count("replaced the existing score") == 4


@pytest.mark.parametrize(
    "args,message",
    [
        (["vllm-log", "missing.log"], "reportgen: error: missing.log: no such file"),
        (["swift-eval", "missing.log"], "reportgen: error: missing.log: no such file"),
        (["manual", "missing.toml"], "reportgen: error: missing.toml: no such file"),
    ],
)
def test_unreadable_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["import", *args, "-o", "r.json"])
    assert res.exit_code == 2 and res.output.strip() == message
    assert not (tmp_path / "r.json").exists()


def test_bad_input_leaves_results_untouched(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run("import", "manual", str(SEED / "manual.toml"), "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    good = SEED / "serving" / "a-fp16-bs1.log"
    empty = tmp_path / "empty.log"
    empty.write_text("nothing\n")
    res = CliRunner().invoke(cli, ["import", "vllm-log", str(good), str(empty), "-o", str(out)])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"reportgen: error: {empty}: no known serving format recognised "
        "(looked for: aiperf-json, vllm-json, sglang-jsonl, evalscope-perf, guidellm, aiperf-table, sglang-text, vllm-early-text, vllm-text)"
    )
    assert out.read_bytes() == before  # the good file was not half-imported
    binary = tmp_path / "bin.log"
    binary.write_bytes(b"\xff\xfe\x00")
    res = CliRunner().invoke(cli, ["import", "swift-eval", str(binary), "-o", str(out)])
    assert res.exit_code == 2 and res.output.startswith(f"reportgen: error: {binary}: not UTF-8 text")
    toml = tmp_path / "m.toml"
    toml.write_text("[subject]\ncard = 'x'\ncolor = 1\n")
    res = CliRunner().invoke(cli, ["import", "manual", str(toml), "-o", str(out)])
    assert res.exit_code == 2 and res.output.strip() == f"reportgen: error: {toml}:3: key subject.color: Extra inputs are not permitted"
    assert out.read_bytes() == before


def test_invalid_results_file_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"schema_version": 1, "variants": 3}')
    res = CliRunner().invoke(cli, ["import", "swift-eval", str(SEED / "accuracy" / "fp16.log"), "-o", str(out)])
    assert res.exit_code == 2 and res.output.startswith(f"reportgen: error: {out}: field variants:")
    assert out.read_text() == '{"schema_version": 1, "variants": 3}'


def _comparable(doc: Any) -> Any:
    """The document without what legitimately differs between builds."""
    if isinstance(doc, dict):
        return {k: _comparable(v) for k, v in doc.items() if k not in ("invocations", "started_at", "finished_at")}
    if isinstance(doc, list):
        return [_comparable(x) for x in doc]
    return doc


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_build_sample_reproduces_committed_sample(tmp_path: Path) -> None:
    out = tmp_path / "seed.json"
    env = dict(os.environ, REPORTGEN=f"{sys.executable} -m reportgen.cli")
    proc = subprocess.run(
        ["bash", str(REPO / "samples" / "build-sample.sh"), str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"built {out}")
    built = json.loads(out.read_text())
    committed = json.loads((REPO / "samples" / "seed-bi150.json").read_text())
    assert _comparable(built) == _comparable(committed)
    assert [i["argv"][2] for i in built["invocations"]] == ["manual", "vllm-log", "swift-eval"]
    results = load_results(REPO / "samples" / "seed-bi150.json")
    assert [v.label for v in results.variants] == ["FP16", "GPTQ-Int4", "AWQ-Int4"]
    assert [len(v.serving) for v in results.variants] == [4, 4, 0]
    assert [len(v.accuracy) for v in results.variants] == [4, 4, 4]
    assert results.subject.card == "Iluvatar BI-V150" and results.environment.host == "10.110.165.160"
    assert len(results.embeddings) == 4 and len(results.deployment) == 14
    cell = results.variant("GPTQ-Int4").serving[0]
    assert cell.command == "cd home/workspace/inference_scripts && ./run_openai_api_client_xn.sh"
    assert cell.import_info.file == "samples/seed/serving/e-int4-bs1.log"
