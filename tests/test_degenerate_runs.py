"""Degenerate evidence made by real runs (issue 18): `bench` and `collect` against servers built to
misbehave (tests/serving_stub.py), each result checked as its readers would read it -- the 结论's
words and the findings' codes -- and the same verdict everywhere (collect's table, validate,
summary, the document: tests/test_one_verdict.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import DATASETS
from serving_helpers import Stub, free_port, make_tokenizer
from test_one_verdict import agree

from reportgen.cli import cli
from reportgen.report.markdown import render_markdown
from reportgen.results import Results, load_results
from reportgen.validity import check_results
from reportgen.verdicts.conclusion import conclusion_verdicts


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _cli(*args: str) -> Result:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r


def _bench(stub: Stub, tokdir: Path, out: Path, *args: str) -> Result:
    return _cli("bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
                "--input-len", "32", "--output-len", "8", "--no-telemetry", "--seed", "3", "-o", str(out), *args)


def _conclusion(results: Results) -> str:
    """The 结论 page as the document prints it (markdown, links left in)."""
    md = render_markdown(results, source="r.json")
    return md.split("## 结论", 1)[1].split("\n## 1.", 1)[0].replace("\\_", "_")  # markdown escapes "_"


def _codes(results: Results, label: str | None = None) -> dict[str, str]:
    """rule code -> its severity (the worst), for one variant or all."""
    out: dict[str, str] = {}
    for f in check_results(results):
        if label is None or f.precision == label:
            if out.get(f.check) != "error":
                out[f.check] = f.severity
    return out


def test_answers_that_ignore_max_tokens(tokdir: Path, tmp_path: Path) -> None:
    """Every stream carries 3 tokens beyond max_tokens = 8 while its usage says 8 (TEST06)."""
    stub = Stub(tokdir, extra=["--extra-tokens", "3"])
    try:
        out = tmp_path / "r.json"
        _bench(stub, tokdir, out, "--batch-sizes", "2", "--rounds", "3", "--precision", "FP16")
    finally:
        stub.stop()
    r = load_results(out)
    assert _codes(r)["stream_tokens"] == "error"
    msg = next(f.message_zh or "" for f in check_results(r) if f.check == "stream_tokens")
    assert "6 个请求中有 6 个收到的词元块多于服务端报告的词元数（11 个块，usage 为 8）" in msg
    assert "6 个请求中有 6 个生成了 11 个词元，超过 max_tokens = 8：服务端没有遵守输出上限" in msg
    text = _conclusion(r)
    assert "性能：1 个性能用例没有一个可以使用，FP16 的性能结论都不能成立，须按下文重测。" in text
    assert "| 性能数据（[3.4](#s3.4)） | 不可用：1 个用例全部无效 |" in text
    assert "1. 流式输出与词元计数不符（缺首个词元、块数多于报告的词元数或超过 max_tokens）。涉及：FP16 批大小 2" in text
    agree(r, tmp_path)


def test_one_server_under_two_labels(tokdir: Path, tmp_path: Path) -> None:
    """bench twice against one running server, as FP16 and as GPTQ-Int4: one deployment (same URL,
    model and /metrics process start time); the speedup between them is no result. A server
    restarted on the same port (another start time) is another deployment."""
    port = free_port()
    model_dir = tmp_path / "stub-model"  # what /v1/models names as the model's root: no quantization_config
    model_dir.mkdir()
    (model_dir / "config.json").write_text('{"architectures": ["Qwen2ForCausalLM"], "torch_dtype": "bfloat16"}')
    stub = Stub(tokdir, port=port, extra=["--root", str(model_dir)])
    out = tmp_path / "r.json"
    try:
        for label in ("FP16", "GPTQ-Int4"):
            _bench(stub, tokdir, out, "--batch-sizes", "1,2", "--rounds", "4", "--precision", label)
    finally:
        stub.stop()
    r = load_results(out)
    fp16, int4 = r.variants
    assert fp16.server.process_start_time is not None and fp16.server.process_start_time == int4.server.process_start_time
    assert int4.server.model_root == str(model_dir)
    assert int4.server.served_config == {"torch_dtype": "bfloat16", "quant_method": None}
    assert _codes(r, "GPTQ-Int4")["same_deployment"] == "error" and _codes(r, "GPTQ-Int4")["quantization_label"] == "error"
    assert "quantization_label" not in _codes(r, "FP16")
    text = _conclusion(r)
    head = text.split("| 项目")[0]
    assert re.search(r"- GPTQ-Int4 与 FP16 是同一个部署：同一服务端 http://127\.0\.0\.1:\d+ 上的同一模型 stub-model（root 为 "
                     r"[^）]+），服务进程的启动时间相同（[0-9-]+ [0-9:]+ UTC）；两者之间的加速比与精度差异都不是测试结果", head), head
    assert "- 标签 GPTQ-Int4 声称 GPTQ，但所服务模型的 config.json 没有 quantization_config，模型 stub-model 的名称中也没有" \
           "量化标记：部署中看不到这种量化" in head
    assert "无（两者是同一个部署，差异不是测试结果）" in text and "×（批大小" not in text
    (vv,) = [vv for vv in conclusion_verdicts(r, check_results(r)).variants if vv.variant.label == "GPTQ-Int4"]
    assert vv.performance.speedup is None and "same_deployment" in {x.code for x in vv.performance.outcome.reasons}
    agree(r, tmp_path)

    # the same port, a restarted server: /metrics gives another start time -- two deployments
    again = Stub(tokdir, port=port, extra=["--root", str(model_dir)])
    out2 = tmp_path / "r2.json"
    try:
        _bench(again, tokdir, out2, "--batch-sizes", "1", "--rounds", "4", "--precision", "FP16")
    finally:
        again.stop()
    stub = Stub(tokdir, port=port, extra=["--root", str(model_dir)])
    try:
        _bench(stub, tokdir, out2, "--batch-sizes", "1", "--rounds", "4", "--precision", "GPTQ-Int4")
    finally:
        stub.stop()
    r2 = load_results(out2)
    assert r2.variants[0].server.process_start_time != r2.variants[1].server.process_start_time
    assert "same_deployment" not in _codes(r2)


def test_overloaded_open_loop(tokdir: Path, tmp_path: Path) -> None:
    """40 requests/s offered to a server that serves one request at a time in ~0.25 s."""
    stub = Stub(tokdir, slots=1, ttft=0.2)
    out = tmp_path / "r.json"
    try:
        r_cli = _bench(stub, tokdir, out, "--request-rate", "40", "--num-requests", "40", "--precision", "FP16",
                       "--output-len", "4")
    finally:
        stub.stop()
    r = load_results(out)
    (cell,) = r.variants[0].serving
    assert cell.batch_size == 0 and cell.metrics is not None  # never the number of requests
    assert _codes(r)["open_loop_overload"] == "error"
    found = next(f for f in check_results(r) if f.check == "open_loop_overload")
    served = cell.metrics.completed / cell.metrics.duration_s
    assert served < 6 and found.args["served"] == pytest.approx(served)
    assert found.message_zh.startswith(f"过载：服务端每秒只完成 {served:.2f} 个请求（目标到达率 40 请求/秒")
    assert not any("40 concurrent" in f.message or "40 个并发" in (f.message_zh or "") for f in check_results(r))
    # bench's table names the row by its load, offered and achieved, never "bs 40"
    table = r_cli.stderr.split("results:")[0]
    head = [line for line in table.splitlines() if line.startswith("variant")][-1].split()
    row = [line for line in table.splitlines() if line.startswith("FP16")][-1].split()
    got = dict(zip(head, row, strict=False))
    assert got["bs"] == "-" and got["rate/s"] == "40" and float(got["done/s"]) == pytest.approx(served, abs=0.01)
    text = _conclusion(r)
    assert f"过载：服务端每秒只完成 {served:.2f} 个请求（目标 40 请求/秒），延迟随运行时长增长。涉及：FP16 40 请求/秒" in text
    summary = render_markdown(r).split("### 3.4", 1)[1]
    assert re.search(r"\| FP16 · 40 请求/秒（实际到达 \d+\.\d\d、完成 \d+\.\d\d 请求/秒，平均并发 \d+\.\d\d）", summary)
    agree(r, tmp_path)


def test_too_few_requests(tokdir: Path, tmp_path: Path) -> None:
    """One round at batch 4: one wave, a P99 of four requests."""
    stub = Stub(tokdir)
    out = tmp_path / "r.json"
    try:
        _bench(stub, tokdir, out, "--batch-sizes", "4", "--rounds", "1", "--precision", "FP16")
    finally:
        stub.stop()
    r = load_results(out)
    codes = _codes(r)
    assert codes["sample_count"] == "warning" and codes["steady_window"] == "warning"
    assert codes["percentile_samples"] == "note"
    text = _conclusion(r)
    assert "FP16 性能数据可用但存疑（1 个用例全部存疑（只有警告），数值可用但须复核）" in text
    assert "成功请求数太少，P99 只是最慢几个请求之间的插值。涉及：FP16 批大小 4" in text
    assert "用例没有稳态窗口" in text
    summary = render_markdown(r).split("### 3.4", 1)[1].split("### 3.5", 1)[0]
    row = next(line for line in summary.splitlines() if line.startswith("| FP16 · 批大小 4"))
    assert row.count("※") >= 3  # TPS (no steady window), TTFT P99 and TPOT P99 (four requests)
    assert "P99 只基于 4 个请求（不足 100 个）" in summary
    agree(r, tmp_path)


def test_impossible_slo(tokdir: Path, tmp_path: Path) -> None:
    """A limit no cell meets: the cells are valid; what is true is that none meets the limit."""
    stub = Stub(tokdir)
    out = tmp_path / "r.json"
    try:
        _bench(stub, tokdir, out, "--batch-sizes", "1,2", "--rounds", "4", "--precision", "FP16", "--slo", "ttft_p99_ms=1")
    finally:
        stub.stop()
    r = load_results(out)
    best = min(c.metrics.ttft_ms.p99 for c in r.variants[0].serving if c.metrics and c.metrics.ttft_ms.p99)  # both usable
    text = _conclusion(r)
    assert "没有有效用例" not in text and "没有可用的工作点" not in text
    assert re.search(r"FP16 性能数据(可用|可用但存疑|部分可用)（[^）]*）[^。]*；没有满足延迟要求（TTFT 的 P99 ≤ 1 ms）的用例："
                     rf"TTFT 的 P99 最低为 {best:.2f} ms（批大小 [12]），没有推荐工作点。", text), text
    assert "| 推荐工作点 | 无（没有满足延迟要求的用例） |" in text
    agree(r, tmp_path)


def test_empty_answers_and_a_failed_functional_check(tokdir: Path, tmp_path: Path) -> None:
    """collect against a server whose non-streamed answers are empty: the functional check fails and
    every accuracy answer is unparsed; the serving cells themselves are fine."""
    stub = Stub(tokdir, extra=["--empty-answers"])
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
[serving]
batch_sizes = [1, 2]
input_len = 32
output_len = 8
rounds = 8
[functional_check]
enabled = true
max_tokens = 16
[accuracy]
tasks = ["gsm8k", "mmlu"]
limit = 4
concurrency = 2
[[variants]]
label = "FP16"
model = "stub-model"
precision = "fp16"
tokenizer = "{tokdir}"
""", encoding="utf-8")
    out = tmp_path / "r.json"
    try:
        r_cli = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--data", str(DATASETS), "--only", "serving,accuracy",
                                         "-o", str(out)])
    finally:
        stub.stop()
    assert r_cli.exit_code == 0, r_cli.output
    r = load_results(out)
    codes = _codes(r)
    assert codes["functional_failed"] == "error" and codes["accuracy_unparsed"] == "error"
    assert codes["accuracy_chance"] == "error"
    text = _conclusion(r)
    # the cells may be valid or, on a busy machine, doubtful: never 可用 with a failed functional check
    assert re.search(r"- FP16 性能数据(可用但存疑|部分可用)（[^；]*；功能测试未通过，该部署的回答不可用）", text), text
    assert "| 功能测试（[3.2](#s3.2)） | 未通过：返回内容为空（生成了 16 个词元，解码后没有文字） |" in text
    assert "FP16 性能数据可用（" not in text
    assert "FP16 精度无法判定：gsm8k、mmlu 的得分不是模型精度（FP16：回答 100% 无法解析、全部答错：模型未给出可判分的回答）" in text
    assert "精度通过" not in text
    (vv,) = conclusion_verdicts(r, check_results(r)).variants
    assert vv.performance.outcome.state == "doubtful" and vv.accuracy.outcome.state == "undecidable"
    assert vv.functional.outcome.state == "unusable"
    assert "functional_failed" in {x.code for x in vv.performance.outcome.reasons}
    out_json = CliRunner().invoke(cli, ["validate", str(out), "--json"])
    assert {f["check"] for f in json.loads(out_json.stdout)} >= {"functional_failed", "accuracy_unparsed", "accuracy_chance"}
    agree(r, tmp_path)
