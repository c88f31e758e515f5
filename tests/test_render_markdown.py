"""The Markdown document: built from a Results holding the seed's figures (8 imported
serving cells, 3 accuracy variants, embedding and reranker runs), then checked value by
value, structurally (headings in order), and through markdown-it's token stream."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from reportgen.cli import cli
from reportgen.report import formatting as fmt
from reportgen.report import view as view_mod
from reportgen.report.markdown import md_table, render_markdown, tidy
from reportgen.report.view import Table, build_view
from reportgen.results import (
    AccuracyResult,
    CellKey,
    DeploymentStep,
    EmbeddingRun,
    Fact,
    Finding,
    FunctionalCheck,
    ImportInfo,
    ReferenceCheck,
    Results,
    ScoredPair,
    ScoreMatrix,
    ServingCell,
    ServingMetrics,
    Stats,
    save_results,
)

# The seed's printed figures, per case:
# (label, batch, duration_s, in_tok, out_tok, req/s, in tok/s, out tok/s, latency/token,
#  ttft mean, median, p99, tpot mean, median, p99)
SEED_CASES = [
    ("FP16", 1, 24.37, 8192, 256, 0.04, 790.90, 24.70, 40.40, 2243.94, 2243.94, 2243.94, 51.04, 51.04, 51.04),
    ("FP16", 2, 35.57, 16384, 512, 0.06, 4050.04, 27.00, 100.00, 1560.00, 1560.00, 1560.00, 13.17, 13.17, 13.17),
    ("FP16", 4, 22.12, 32768, 1024, 0.18, 1464.17, 46.29, 66.42, 74.77, 60.74, 60.00, 57.60, 59.79, 59.70),
    ("FP16", 8, 35.50, 65536, 2048, 0.22, 1846.24, 57.70, 130.85, 140.00, 100.00, 100.00, 64.65, 67.50, 64.65),
    ("GPTQ-Int4", 1, 2.69, 8192, 16, 0.37, 3047.25, 5.95, 169.02, 2006.15, 2006.15, 2006.15, 41.24, 41.24, 41.24),
    ("GPTQ-Int4", 2, 0.722, 16384, 32, 0.30, 2237.99, 6.13, 226.26, 4764.42, 4704.42, 4764.42, 30.33, 30.33, 30.33),
    ("GPTQ-Int4", 4, 16.20, 32768, 544, 0.25, 2024.94, 33.63, 119.73, 6542.50, 7073.03, 6424.23, 196.27, 122.02, 311.46),
    ("GPTQ-Int4", 8, 32.20, 65536, 1568, 0.25, 2025.10, 48.60, 107.30, 14546.78, 4094.08, 48956.02, 250.54, 92.99, 633.32),
]

SEED_ACCURACY = {
    "FP16": {"ceval": 0.6657, "gsm8k": 0.7915, "bbh": 0.2439, "mmlu": 0.6846},
    "GPTQ-Int4": {"ceval": 0.6738, "gsm8k": 0.7763, "mmlu": 0.6631, "bbh": 0.2338},
    "AWQ-Int4": {"ceval": 0.6501, "gsm8k": 0.768, "mmlu": 0.6529, "bbh": 0.2367},
}


def _printed(c: tuple) -> str:
    _, bs, dur, tin, tout, rps, itps, otps, lpt, t1, t2, t3, p1, p2, p3 = c
    return "\n".join([
        "===== Serving Benchmark Result =====",
        f"Successful requests: {bs}",
        f"Benchmark duration (s): {dur}",
        f"Total input tokens: {tin}",
        f"Total generated tokens: {tout}",
        f"Request throughput (req/s): {rps:.2f}",
        f"Input token throughput (tok/s): {itps:.2f}",
        f"Output token throughput (tok/s): {otps:.2f}",
        f"latency per token (ms): {lpt:.2f}",
        "-----Time to First Token-----",
        f"Mean TTFT (ms): {t1:.2f}",
        f"Median TTFT (ms): {t2:.2f}",
        f"P99 TTFT (ms): {t3:.2f}",
        "-----Time per Output Token (excl. 1st token)-----",
        f"Mean TPOT (ms): {p1:.2f}",
        f"Median TPOT (ms): {p2:.2f}",
        f"P99 TPOT (ms): {p3:.2f}",
        "=====",
    ])


def _imported_cell(i: int, c: tuple) -> ServingCell:
    _, bs, dur, tin, tout, rps, itps, otps, lpt, t1, t2, t3, p1, p2, p3 = c
    return ServingCell(
        batch_size=bs,
        input_len=8192,
        output_len=256,
        source="imported",
        metrics=ServingMetrics(
            completed=bs,
            duration_s=dur,
            total_input_tokens=tin,
            total_output_tokens=tout,
            request_throughput=rps,
            input_throughput=itps,
            output_throughput=otps,
            total_token_throughput=(tin + tout) / dur,
            ttft_ms=Stats(n=bs, mean=t1, median=t2, p99=t3),
            tpot_ms=Stats(n=bs, mean=p1, median=p2, p99=p3),
            legacy_latency_per_token_ms=lpt,
        ),
        import_info=ImportInfo(file="seed.txt", block=i, format="vllm-legacy-text", text=_printed(c)),
        command="./run_openai_api_client_xn.sh",
    )


def seed_results() -> Results:
    r = Results(started_at=datetime(2024, 8, 29, 2, 51, tzinfo=timezone.utc))
    r.subject.card = "Iluvatar BI-V150"
    r.subject.model = "Qwen2-7B-Instruct"
    env = r.environment
    env.host = "10.110.165.160"
    f = env.facts
    f["cpu.model"] = Fact.of("Intel(R) Xeon(R) Gold 5218 CPU @ 2.30GHz", origin="imported", source="seed.txt")
    f["memory.total_bytes"] = Fact.of(125 * 2**30, unit="B", origin="imported", source="seed.txt")
    f["server.model"] = Fact.of("DELL R740", origin="imported", source="seed.txt")
    f["cpu.cores"] = Fact.of(64, origin="imported", source="seed.txt")
    f["os.name"] = Fact.of("Ubuntu 22.04.4 LTS", origin="imported", source="seed.txt")
    f["accelerator.model"] = Fact.of("BI-V150", source="ixsmi")
    f["accelerator.count"] = Fact.of(2, source="lspci")
    f["accelerator.memory_type"] = Fact.of("HBM2e", origin="spec_sheet", detail="Iluvatar BI-V150 产品页")
    f["accelerator.memory_bytes"] = Fact.of(64 * 2**30, unit="B", origin="spec_sheet", detail="Iluvatar BI-V150 产品页")
    f["accelerator.memory_bandwidth"] = Fact.missing("not_found", "规格书未给出")
    f["accelerator.interface"] = Fact.of("PCIe Gen4 x16", source="lspci -vvv")
    f["accelerator.tdp_w"] = Fact.of(350, unit="W", origin="spec_sheet", detail="Iluvatar BI-V150 产品页")
    f["accelerator.max_temperature_c"] = Fact.of(95, unit="C", origin="spec_sheet", detail="Iluvatar BI-V150 产品页")
    f["driver.version"] = Fact.of("4.1.0", source="ixsmi")
    f["sdk.version"] = Fact.missing("needs_root", "corex-installer: Permission denied")
    f["software.vllm"] = Fact.of("0.3.3", source="pip show vllm")
    r.deployment.append(DeploymentStep(
        title="硬件检查",
        description="服务器插卡后，可以通过以下命令检查加速卡是否安装正确。",
        commands=["lspci | grep 1e3e"],
        output="3f:00.0 Processing accelerators: Device 1e3e:0003 (rev 01)\n\n\n42:00.0 Processing accelerators: Device 1e3e:0003 (rev 01)",
        origin="imported",
    ))
    for label, path, prec, quant in (
        ("FP16", "/home/r740/lsc/models/Qwen2-7B-Instruct/", "fp16", None),
        ("GPTQ-Int4", "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/", "int4", "gptq"),
        ("AWQ-Int4", "/home/aigc/lsc/vllm_test/Qwen2-7B-Instruct_AWQ_Int4", "int4", "awq"),
    ):
        v = r.variant(label, model="Qwen2-7B-Instruct", model_path=path, precision=prec, quantization=quant)
        for bench in ("ceval", "gsm8k", "mmlu", "bbh"):
            v.accuracy.append(AccuracyResult(
                benchmark=bench, mode="unknown", source="imported", score=SEED_ACCURACY[label][bench],
                command=f"CUDA_VISIBLE_DEVICES=0 swift eval --model_id_or_path {path}",
                import_info=ImportInfo(file="seed.txt", format="swift-log", text=f"[INFO:swift] result: {{'{bench}': {SEED_ACCURACY[label][bench]}}}"),
            ))
    for i, c in enumerate(SEED_CASES):
        r.variant(c[0]).serving.append(_imported_cell(i, c))
    fp16 = r.variant("FP16")
    fp16.server.launch_command = "python3 -m vllm.entrypoints.openai.api_server --model /home/r740/lsc/models/Qwen2-7B-Instruct/ --port 8080"
    fp16.functional_check = FunctionalCheck(
        request={"prompt": "如何制作月饼", "max_tokens": 256, "temperature": 0.01},
        response_text="皮和馅料？\n制作月饼皮和馅料需要以下材料和步骤：",
        finish_reason="length",
        prompt_tokens=3,
        origin="imported",
    )
    r.embeddings.append(EmbeddingRun(
        model="/home/r740/lsc/models/bge-large-zh-v1.5", kind="embedding", mode="FlagEmbedding",
        script="from FlagEmbedding import FlagModel", command="python3 bge-large-zh-1.5_flagembedding.py",
        output="[[0.855  0.8516]\n [0.874  0.8555]]",
        matrices=[ScoreMatrix(name="similarity", rows=["样例数据-1", "样例数据-2"], cols=["样例数据-3", "样例数据-4"],
                              values=[[0.855, 0.8516], [0.874, 0.8555]])],
        origin="imported",
    ))
    r.embeddings.append(EmbeddingRun(
        model="bge-reranker-v2-m3", kind="reranker", mode="FlagEmbedding",
        pairs=[ScoredPair(a="what is panda?", b="hi", score=-8.171875, normalized=0.00027803096387751553),
               ScoredPair(a="what is panda?", b="The giant panda | bear", score=5.26171875, normalized=0.9948403768236574)],
        reference_check=ReferenceCheck(status="pass", reference="FlagEmbedding README", metric="max |diff|", value=0.015625, threshold=0.05),
    ))
    r.findings = [
        Finding(severity="error", precision="GPTQ-Int4", cell=CellKey(batch_size=1, input_len=8192, output_len=256), check="output_tokens",
                message="generated 16 tokens, expected 256 × 1 = 256"),
        Finding(severity="warning", precision="FP16", cell=CellKey(batch_size=4, input_len=8192, output_len=256), check="percentile_order",
                message="P99 TTFT 60.00 < median 60.74"),
        Finding(severity="warning", precision="GPTQ-Int4", benchmark="bbh", check="accuracy_reference",
                message="bbh 0.2338 far below reference"),
    ]
    return r


@pytest.fixture(scope="module")
def doc() -> str:
    # The layout tests grade the cells by the three findings stored above, not by the real
    # checks (tests/test_validity.py covers those); the view takes whatever check_results gives.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(view_mod, "check_results", lambda results: list(results.findings))
        return render_markdown(seed_results(), source="samples/seed.json")


def _md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table"])


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first), from markdown-it's tokens."""
    tokens = _md().parse(markdown)
    tables: list[list[list[str]]] = []
    row: list[str] | None = None
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            text = "".join(
                "\n" if c.type in ("softbreak", "hardbreak") or (c.type == "html_inline" and c.content == "<br>") else c.content
                for c in (inline.children or [])
            )
            assert row is not None
            row.append(text)
        elif t.type == "tr_close":
            assert row is not None
            tables[-1].append(row)
    return tables


def _summary_table(markdown: str) -> list[list[str]]:
    return next(t for t in _tables(markdown.split("### 3.4", 1)[-1]) if t[0][0] == "用例")


# --------------------------------------------------------------------------- 3.4 summary


def test_summary_table_has_eight_filled_rows_with_seed_values(doc: str) -> None:
    table = _summary_table(doc)
    header, rows = table[0], table[1:]
    assert len(rows) == 8
    col = {name: i for i, name in enumerate(header)}
    # The seed's four columns first, then the P99s, the prefill rate and the speedup.
    assert header[:5] == ["用例", "TPS (tok/s)", "TPOT 均值 (ms)", "TTFT 均值 (ms)", "测试时长 (s)"]
    got = [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    assert got == [
        ("FP16 · 批大小 1", "24.70", "51.04", "2243.94", "24.37"),
        ("FP16 · 批大小 2", "27.00", "13.17", "1560.00", "35.57"),
        ("FP16 · 批大小 4", "46.29", "57.60", "74.77", "22.12"),
        ("FP16 · 批大小 8", "57.70", "64.65", "140.00", "35.50"),
        ("GPTQ-Int4 · 批大小 1", "5.95※", "41.24※", "2006.15", "2.69"),  # the doubtful values are marked
        ("GPTQ-Int4 · 批大小 2", "6.13", "30.33", "4764.42", "0.72"),
        ("GPTQ-Int4 · 批大小 4", "33.63", "196.27", "6542.50", "16.20"),
        ("GPTQ-Int4 · 批大小 8", "48.60", "250.54", "14546.78", "32.20"),
    ]
    # the lengths are stated once, in the caption
    assert "所有用例的输入长度均为 8192 词元、输出长度均为 256 词元。" in doc
    assert [r[col["TTFT P99 (ms)"]] for r in rows][6:] == ["6424.23", "48956.02"]
    assert [r[col["TPOT P99 (ms)"]] for r in rows][6:] == ["311.46", "633.32"]
    # the old script's latency-per-token line is not a column (its definition differs from TPOT)
    assert "latency per token" not in " ".join(header)
    # prefill tokens/s = mean prompt tokens / mean TTFT: 8192 / 2.24394 s; a doubtful cell's is marked
    assert rows[0][col["预填充吞吐 (tok/s)"]] == "3650.72"
    assert rows[2][col["预填充吞吐 (tok/s)"]] == "109562.66※"
    # the reason is in words, in the row's note
    assert "- ※ GPTQ-Int4 · 批大小 1（无效）：生成提前结束：平均每个请求只输出 16 个词元，要求 256 个（第 7 节 #1）。" in doc


def test_summary_speedup_and_validity_columns(doc: str) -> None:
    table = _summary_table(doc)
    header, rows = table[0], table[1:]
    speed = header.index("加速比（÷ FP16）")
    # 6.13/27.00, 33.63/46.29, 48.60/57.70; none from the invalid INT4 bs 1 cell, a mark beside the doubtful bs 4
    assert [r[speed] for r in rows] == ["基准"] * 4 + ["—（无效）", "0.23×", "0.73×※", "0.84×"]
    valid = [r[header.index("有效性")] for r in rows]
    assert valid[0] == "有效"
    assert valid[2] == "存疑"
    assert valid[4] == "无效"
    assert "- ※ GPTQ-Int4 · 批大小 1（无效）：生成提前结束：平均每个请求只输出 16 个词元，要求 256 个（第 7 节 #1）。" in doc
    assert valid.count("有效") == 6


def test_speedup_without_baseline_case_says_why() -> None:
    r = seed_results()
    r.variant("FP16").serving = [c for c in r.variant("FP16").serving if c.batch_size != 8]
    rows = _summary_table(render_markdown(r))
    header = rows[0]
    last = rows[-1]
    assert last[header.index("加速比（÷ FP16）")] == "未测试（未采集：无 FP16 同条件用例）"


# --------------------------------------------------------------------------- structure


def test_headings_in_seed_order(doc: str) -> None:
    headings = re.findall(r"^(#{1,4}) (.+)$", doc, flags=re.M)
    top = [text for level, text in headings if len(level) <= 2]
    assert top == [
        "算力卡推理评测",
        "结论",  # the page after the cover: what a manager signs
        "1. 环境规格",
        "2. 环境部署",
        "3. Qwen2-7B-Instruct推理用例测试",
        "4. Qwen2-7B-Instruct 模型 ceval gsm8k mmlu bbh 基准评测",
        "5. bge-large-zh-v1.5模型推理部署",
        "6. bge-reranker-v2-m3模型推理",
        "7. 数据有效性检查",
        "附录 A 术语与指标说明",
        "附录 B 原始测试输出",
        "附录 C 精度评测明细",
        "附录 D 数据来源与可追溯性",
    ]
    third = [text for level, text in headings if len(level) == 3]
    assert third[:5] == ["2.1 硬件检查", "3.1 测试需求", "3.2 基于vLLM在线推理功能测试",
                         "3.3 基于vLLM在线推理性能测试", "3.4 基于vLLM性能测试数据汇总"]
    # every case was imported from printed output: one table of what each printed, not a page per case
    assert not [text for level, text in headings if len(level) == 4 and "批大小" in text]
    cases = _tables(doc.split("### 3.3", 1)[1].split("### 3.4", 1)[0])[0]
    assert [r[0] for r in cases[1:]] == [f"{v} · 批大小 {b}" for v in ("FP16", "GPTQ-Int4") for b in (1, 2, 4, 8)]


def test_sections_content(doc: str) -> None:
    # requirements come from the cells
    assert "   - a. 批大小 = 1, 2, 4, 8" in doc
    assert "   - d. 精度：FP16、GPTQ-Int4" in doc
    # imported blocks are printed as they were, in the raw-output appendix
    assert "Mean TTFT (ms): 14546.78" in doc.split("## 附录 B 原始测试输出")[1]
    assert "Mean TTFT (ms): 14546.78" not in doc.split("## 附录")[0]
    # functional check: the response, and the fields the source lost are said to be unknown
    assert "皮和馅料？\n制作月饼皮和馅料需要以下材料和步骤：" in doc
    assert "| 输出词元数 | 未知（未记录或原文截断） |" in doc
    assert "达到最大输出长度（length）" in doc
    # deployment output kept byte for byte, blank lines included
    assert "(rev 01)\n\n\n42:00.0" in doc
    # where the steps came from is said once, in the provenance appendix, not above every step
    assert "以下内容导入自已有文档" not in doc
    assert "取自已有文档（未在本机重新执行）" in doc.split("## 附录 D")[1]
    # embeddings and reranker
    assert "| 样例数据-1 | 0.8550 | 0.8516 |" in doc
    assert "| what is panda? | The giant panda \\| bear | 5.2617 | 0.9948 |" in doc
    assert "对照检查通过；参照：FlagEmbedding README；最大绝对差 0.015625，要求 ≤ 0.05。" in doc


def test_environment_table_marks_spec_sheet_and_missing(doc: str) -> None:
    # no source column: a spec-sheet value says so; where each value came from is in appendix D
    env = next(t for t in _tables(doc) if t[0] == ["硬件", "组件", "详情"])
    rows = {(r[0], r[1]): r[2] for r in env[1:]}
    assert rows[("服务器 (10.110.165.160)", "内存")] == "125 GiB"
    assert rows[("服务器 (10.110.165.160)", "CPU核数")] == "64"
    assert rows[("加速卡", "显存")] == "HBM2e；64 GiB（厂商规格）"
    assert rows[("加速卡", "TDP")] == "350 W（厂商规格）"
    assert rows[("加速卡", "最大操作温度")] == "95 °C（厂商规格）"
    assert rows[("加速卡", "驱动")] == "4.1.0"
    # a measured fact without a note (no code of reportgen.messages): the reason in the text,
    # the recorded detail in appendix D
    assert rows[("加速卡", "显存带宽")] == "未测试（未发现）"
    assert rows[("加速卡", "SDK")] == "未测试（需要 root 权限）"
    assert "sdk.version：corex-installer: Permission denied" in doc.split("## 附录 D")[1]
    assert rows[("加速卡", "峰值算力")] == "未测试（未采集）"
    assert rows[("软件", "vLLM")] == "0.3.3"
    prov = doc.split("## 附录 D")[1]
    assert "厂商规格书" in prov and "本工具实测" in prov


def test_accuracy_comparison_with_deltas_and_references(doc: str) -> None:
    table = next(t for t in _tables(doc) if t[0][:2] == ["基准", "评分口径"] and "FP16" in t[0])
    assert table[0] == ["基准", "评分口径", "FP16", "GPTQ-Int4", "GPTQ-Int4 − FP16（百分点）",
                        "AWQ-Int4", "AWQ-Int4 − FP16（百分点）", "官方参考（BF16）"]
    rows = {r[0]: r for r in table[1:]}
    assert [r[0] for r in table[1:]] == ["ceval", "gsm8k", "mmlu", "bbh"]
    assert rows["ceval"][2:7] == ["66.57%", "67.38%", "+0.81", "65.01%", "-1.56"]
    assert rows["gsm8k"][2:7] == ["79.15%", "77.63%", "-1.52", "76.80%", "-2.35"]
    assert rows["mmlu"][2:7] == ["68.46%", "66.31%", "-2.15", "65.29%", "-3.17"]
    assert rows["bbh"][2:7] == ["24.39%", "23.38%", "-1.01", "23.67%", "-0.72"]
    assert rows["mmlu"][7].startswith("70.50%")
    assert "得分上限为 37.46%（2439/6511）" in doc
    assert "### 4.1 Qwen2-7B-Instruct原始模型（FP16）ceval gsm8k mmlu bbh评测" in doc
    # the seed numbers the AWQ evaluation 4.2.1, under the first quantized variant
    assert "### 4.2.1 Qwen2-7B-Instruct模型 AWQ-Int4 量化 ceval gsm8k mmlu bbh评测" in doc
    assert "### 4.3 精度对比" in doc
    # one score format everywhere: percent with two decimals; the missing sample count said in words
    assert "| bbh | 未注明 | 24.39% | 样本数未知 |" in doc


def test_findings_section_lists_every_finding_grouped(doc: str) -> None:
    tables = [t for t in _tables(doc) if t[0][:3] == ["编号", "级别", "精度"]]
    assert [t[0][3] for t in tables] == ["用例", "基准"]
    assert [row[:4] for t in tables for row in t[1:]] == [
        ["#1", "错误", "GPTQ-Int4", "批大小 1"],
        ["#2", "警告", "FP16", "批大小 4"],
        ["#3", "警告", "GPTQ-Int4", "bbh"],
    ]
    # a known check shows its Chinese title; an unknown one its raw name
    assert tables[0][1][4] == "生成词元总数应等于输出长度 × 成功请求数"
    assert tables[1][1][4] == "accuracy_reference"
    assert tables[0][1][5] == "generated 16 tokens, expected 256 × 1 = 256"
    assert "### 7.1 性能测试数据" in doc and "### 7.2 精度评测数据" in doc
    assert "发现错误 1 项、警告 2 项" in doc


def test_findings_are_recomputed_and_titles_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    r = seed_results()
    fresh = [Finding(severity="error", precision="FP16", cell=CellKey(batch_size=8, input_len=8192, output_len=256), check="throughput_mismatch", message="57.70 ≠ 2048 / 35.50")]
    monkeypatch.setattr(view_mod, "check_results", lambda results: fresh)
    monkeypatch.setitem(view_mod.CHECK_TITLES_ZH, "throughput_mismatch", "吞吐与词元数/时长不符")
    doc = render_markdown(r)
    assert "generated 16 tokens" not in doc  # the file's stale findings are not trusted
    assert "| #1 | 错误 | FP16 | 批大小 8 | 吞吐与词元数/时长不符 | 57.70 ≠ 2048 / 35.50 |" in doc
    rows = _summary_table(doc)
    assert rows[4][-1] == "无效"
    assert "（第 7 节 #1）。" in doc
    assert rows[5][-1] == "有效"


# --------------------------------------------------------------------------- sparse input


def test_empty_results_renders_every_section_as_not_tested() -> None:
    doc = render_markdown(Results())
    sections = re.split(r"^## ", doc, flags=re.M)[1:]
    assert [s.split("\n")[0] for s in sections] == [
        "结论", "1. 环境规格", "2. 环境部署", "3. 模型推理用例测试",
        "4. 模型 ceval gsm8k mmlu bbh 基准评测", "5. 向量模型推理部署",
        "6. 重排序模型推理", "7. 数据有效性检查", "附录 A 术语与指标说明",
        "附录 B 原始测试输出", "附录 C 精度评测明细", "附录 D 数据来源与可追溯性",
    ]
    assert "未进行性能测试" in sections[0]
    for s in sections[1:8]:
        assert "未测试（未采集" in s, s.split("\n")[0]
    for sub in ("### 3.1", "### 3.2", "### 3.3", "### 3.4"):
        part = doc.split(sub)[1].split("###")[0]
        assert "未测试（未采集" in part
    for table in _tables(doc):
        for row in table:
            assert all(cell.strip() for cell in row)


def test_sparse_cells_and_failed_runs() -> None:
    r = Results()
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    v.serving.append(ServingCell(batch_size=1, input_len=128, output_len=16))  # never finished
    v.serving.append(ServingCell(batch_size=2, input_len=128, output_len=16, metrics=ServingMetrics(
        completed=0, failed=2, duration_s=1.5, total_input_tokens=0, total_output_tokens=0, request_throughput=0,
        input_throughput=0, output_throughput=0, total_token_throughput=0, ttft_ms=Stats(n=0), tpot_ms=Stats(n=0))))
    doc = render_markdown(r)
    rows = _summary_table(doc)[1:]
    assert rows[0][1] == "未测试（未采集）"
    assert rows[1][1] == "未测试（执行失败）"
    assert rows[1][4] == "1.50"
    assert "| 失败请求数 | 2 |" in doc
    assert "| ITL (ms) | 未测试（执行失败） |" in doc
    assert "该用例没有测试结果" in doc


# --------------------------------------------------------------------------- Markdown mechanics


def test_every_table_parses_rectangular(doc: str) -> None:
    tokens = _md().parse(doc)
    n_tables = sum(1 for t in tokens if t.type == "table_open")
    assert n_tables == doc.count("\n| --- |") + doc.startswith("| --- |")
    summary = _summary_table(doc)
    assert len(summary) == 9 and {len(r) for r in summary} == {10}
    for table in _tables(doc):
        assert len({len(r) for r in table}) == 1


def test_cell_escaping() -> None:
    assert fmt.md_cell("a|b\nc") == "a\\|b<br>c"
    assert fmt.md_cell("x_1 *y* <br> `z`") == "x\\_1 \\*y\\* \\<br\\> \\`z\\`"
    assert fmt.md_cell("") == "—"
    t = Table(["k", "v"], [["pipe|cell", "two\nlines"], ["<script>", "#1"]])
    md = md_table(t)
    assert _tables(md) == [[["k", "v"], ["pipe|cell", "two\nlines"], ["<script>", "#1"]]]
    assert "<script>" not in _md().render(md)


def test_inline_and_fence_escaping() -> None:
    assert fmt.md_inline("1. not a list") == "1\\. not a list"
    assert fmt.md_inline("# not a heading") == "\\# not a heading"
    body = "```\ninner fence\n```"
    fenced = fmt.md_fence(body, "text")
    tokens = _md().parse(fenced)
    assert [t.type for t in tokens] == ["fence"] and tokens[0].content == body + "\n"


def test_tidy_keeps_code_blocks() -> None:
    md = "a\n\n\n\nb\n```\nx\n\n\n\ny\n```\n\n\n"
    assert tidy(md) == "a\n\nb\n```\nx\n\n\n\ny\n```\n"


def test_view_has_no_raw_numbers() -> None:
    v = build_view(seed_results())

    def walk(x: object) -> None:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            raise AssertionError(f"raw number in view: {x!r}")
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif hasattr(x, "__dataclass_fields__"):
            for name in x.__dataclass_fields__:
                if name != "number":
                    walk(getattr(x, name))

    walk(v)


# --------------------------------------------------------------------------- CLI


def test_render_cli_writes_markdown(tmp_path: Path) -> None:
    src = save_results(seed_results(), tmp_path / "bi150-run.json")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["render", str(src), "--format", "md", "-o", str(out)])
    assert res.exit_code == 0, res.output
    written = out / "bi150-run.md"
    assert res.stdout.strip() == str(written)
    text = written.read_text(encoding="utf-8")
    assert text == render_markdown(seed_results(), source=str(src))
    assert f"结果文件：{fmt.md_inline(str(src))}。" in text.split("## 附录 D", 1)[1]  # provenance, not the cover
    # the document and the chart files it links; no temporary file left
    assert sorted(p.name for p in out.iterdir()) == ["bi150-run.md", "charts"]
    linked = re.findall(r"\]\((charts/[^)]+\.png)\)", text)
    assert linked and all((out / name).is_file() for name in linked)
    assert sorted(p.name for p in (out / "charts").iterdir() if p.suffix == ".png") == sorted(n.split("/")[1] for n in linked)


def test_render_cli_takes_newest_default_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    d = tmp_path / "reportgen-results"
    d.mkdir()
    old = save_results(Results(), d / "old.json")
    os.utime(old, (1, 1))
    save_results(seed_results(), d / "new.json")
    res = CliRunner().invoke(cli, ["render"])
    assert res.exit_code == 0, res.output
    assert "| FP16 · 批大小 1 | 24.70" in (tmp_path / "new.md").read_text(encoding="utf-8")
    assert not (tmp_path / "old.md").exists()


@pytest.mark.parametrize("content", [None, "{not json", '{"schema_version": 1, "variants": 3}'])
def test_render_cli_rejects_bad_input_in_one_line(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(path), "-o", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reportgen: error: ") and str(path) in lines[0]
    assert not (tmp_path / "r.md").exists()


def test_render_cli_without_any_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["render"])
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        "reportgen: error: no results file given and none found in ./reportgen-results/ "
        "(run 'reportgen collect' or name a file)"
    ]


def test_measured_cell_gets_metric_tables() -> None:
    from reportgen.metrics import serving_metrics
    from reportgen.results import RequestRecord

    recs = [
        RequestRecord(index=0, start_s=0.0, first_token_s=0.1, end_s=1.1, chunk_times_s=[0.1, 0.6, 1.1],
                      prompt_tokens=100, completion_tokens=3),
        RequestRecord(index=1, start_s=0.0, first_token_s=0.3, end_s=1.3, chunk_times_s=[0.3, 0.8, 1.3],
                      prompt_tokens=100, completion_tokens=3),
    ]
    r = Results()
    v = r.variant("BF16", model="Qwen2-0.5B-Instruct", precision="bf16")
    v.serving.append(ServingCell(batch_size=2, input_len=100, output_len=3, duration_s=1.5, requests=recs,
                                 metrics=serving_metrics(recs, 1.5), command="reportgen bench --batch-size 2"))
    v.accuracy.append(AccuracyResult(benchmark="gsm8k", mode="corrected", n=20, correct=9, score=0.45))
    doc = render_markdown(r)
    section = doc.split("### 3.3")[1].split("#### a. BF16")[0]
    assert "测试命令（各用例相同）：\n\n```bash\nreportgen bench --batch-size 2\n```" in section  # one command: once
    case = doc.split("#### a. BF16 · 批大小 2 · 输入 100 / 输出 3 词元")[1].split("### 3.4")[0]
    tables = _tables(case)
    overview = dict((row[0], row[1]) for row in tables[0][1:])
    assert overview["成功请求数"] == "2"
    # two requests, the slower 1.3 s of the 1.5 s cell: no steady window (steady_window), so the
    # throughputs carry the mark; the latencies do not
    assert overview["TPS (tok/s)"] == "4.00※"
    assert overview["输入吞吐 (tok/s)"] == "133.33※"
    assert overview["有效并发"] == "1.60"
    assert overview["预填充吞吐 (tok/s)"] == "500.00※"  # derived from a doubtful cell
    latency = {row[0]: row[1:] for row in tables[1][1:]}
    assert tables[1][0] == ["指标", "均值", "中位数", "标准差", "P90", "P99", "最小", "最大"]
    # the P99 of two requests is marked (percentile_samples, a note)
    assert latency["TTFT (ms)"] == ["200.00", "200.00", "100.00", "280.00", "298.00※", "100.00", "300.00"]
    assert latency["TPOT (ms)"][0] == "500.00"
    assert latency["E2EL (ms)"][0] == "1200.00"
    summary = _summary_table(doc)
    assert summary[1][1:4] == ["4.00※", "500.00", "200.00"]
    assert summary[1][summary[0].index("加速比（÷ BF16）")] == "基准"
    assert "| gsm8k | 修正版口径 | 45.00% | 9/20 |" in doc
    assert "bbh" not in doc.split("## 4.")[1].split("## 5.")[0]


def test_ragged_matrix_and_ampersand_do_not_break_tables() -> None:
    r = Results()
    r.embeddings.append(EmbeddingRun(model="bge-large-zh-v1.5", kind="embedding", mode="http",
                                     matrices=[ScoreMatrix(name="q&p", rows=["q1", "q2"], cols=["p1", "p2"], values=[[0.5]])]))
    doc = render_markdown(r)
    t = next(t for t in _tables(doc) if t[0][1:] == ["p1", "p2"])
    assert t == [["得分", "p1", "p2"], ["q1", "0.5000", "未记录"], ["q2", "未记录", "未记录"]]
    assert "### 5.1 HTTP 服务方式" in doc


def test_render_cli_output_dir_is_a_file(tmp_path: Path) -> None:
    src = save_results(seed_results(), tmp_path / "r.json")
    blocker = tmp_path / "out"
    blocker.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(cli, ["render", str(src), "-o", str(blocker)])
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [f"reportgen: error: {blocker}: exists and is not a folder"]


def test_vendor_not_repeated_in_model_name() -> None:
    r = Results()
    r.environment.facts["accelerator.vendor"] = Fact.of("Iluvatar")
    r.environment.facts["accelerator.model"] = Fact.of("Iluvatar BI-V150")
    r.environment.facts["server.vendor"] = Fact.of("Dell Inc.", source="dmidecode")
    r.environment.facts["server.model"] = Fact.of("PowerEdge R740", source="dmidecode")
    doc = render_markdown(r)
    assert "| 加速卡 | 型号 | Iluvatar BI-V150 |" in doc
    assert "| 服务器 | 型号 | Dell Inc. PowerEdge R740 |" in doc
    assert "| 加速卡 | Iluvatar BI-V150 |" in doc  # the cover falls back to the facts
