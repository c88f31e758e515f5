"""Sections 5 and 6 rendered from live embedding/reranker runs (samples/embedding.results.json):
every reference and throughput figure in the Markdown is the JSON's value, formatted; a failing
reference check reads 未通过 in its section and appears in section 7 with its numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from reportgen.report.markdown import render_markdown
from reportgen.results import EmbeddingRun, ReferenceItem, Results, load_results

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "embedding.results.json"
SEED = Path(__file__).resolve().parents[1] / "samples" / "seed-bi150.json"


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first)."""
    tokens = MarkdownIt("commonmark").enable(["table"]).parse(markdown)
    tables: list[list[list[str]]] = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            tables[-1].append([])
        elif t.type in ("th_open", "td_open"):
            tables[-1][-1].append("".join(c.content for c in (tokens[i + 1].children or [])))
    return tables


def _subsections(doc: str, section: int) -> list[str]:
    """The text of each '### <section>.N' subsection, in order."""
    body = doc.split(f"\n## {section}. ", 1)[1].split("\n## ", 1)[0]
    return re.split(rf"\n### {section}\.\d+ ", body)[1:]


def _runs(results: Results, kind: str) -> list[EmbeddingRun]:
    """The runs of one kind in document order: grouped by model, in order of first appearance."""
    runs = [r for r in results.embeddings if r.kind == kind]
    models = list(dict.fromkeys(r.model for r in runs))
    return sorted(runs, key=lambda r: models.index(r.model))


@pytest.fixture(scope="module")
def sample() -> Results:
    return load_results(SAMPLE)


@pytest.fixture(scope="module")
def doc(sample: Results) -> str:
    return render_markdown(sample, source=str(SAMPLE))


def test_headings_group_runs_by_model(doc: str) -> None:
    assert "\n## 5. 向量模型推理部署（all-MiniLM-L6-v2、tiny-bert-embed）\n" in doc
    assert "\n## 6. tiny-xlmr-rerank模型推理\n" in doc
    heads = re.findall(r"^### ([56]\.\d+ .*)$", doc, flags=re.M)
    assert heads == [
        "5.1 all-MiniLM-L6-v2：本地推理方式（transformers，cpu，float32）",
        "5.2 all-MiniLM-L6-v2：本地推理方式（transformers，cpu，bf16）",
        "5.3 tiny-bert-embed：HTTP 服务方式（/v1/embeddings）",
        "6.1 本地推理方式（transformers，cpu，bf16）",
        "6.2 HTTP 服务方式（/v1/rerank）",
    ]


@pytest.mark.parametrize(("section", "kind"), [(5, "embedding"), (6, "reranker")])
def test_reference_and_throughput_figures_are_the_json_values(sample: Results, doc: str, section: int, kind: str) -> None:
    runs = _runs(sample, kind)
    subs = _subsections(doc, section)
    assert len(subs) == len(runs) == (3 if kind == "embedding" else 2)
    for run, text in zip(runs, subs):
        tables = _tables(text)
        facts = dict(tuple(row) for row in tables[0][1:])
        assert facts["模型"] == run.model and facts["设备"] == run.device and facts["精度"] == run.precision
        if run.mode == "http":
            assert facts["服务地址"] == run.base_url and facts["接口"] == run.endpoint
        if kind == "embedding":
            assert facts["向量维度"] == str(run.dimensions) and run.pooling in facts["池化方式"]
        rc = run.reference_check
        if rc.status == "none":  # no reference: the verdict says so in words (or compares with a sibling run)
            assert "\n检查结果：" in text
        else:
            assert f"\n对照检查{'通过' if rc.status == 'pass' else '未通过'}" in text
        ref = [t for t in tables if t[0][0] in ("文本", "文本对（查询 | 段落）")]
        if rc.items:
            cmp = "≥" if rc.metric == "min cosine" else "≤"
            assert f"{'最小余弦相似度' if kind == 'embedding' else '最大绝对差'} {rc.value:.6f}，要求 {cmp} {rc.threshold:g}" in text
            if kind == "embedding":
                want = [[i.label, f"{i.value:.6f}", f"{i.delta:.2e}", "通过" if i.ok else "未通过"] for i in rc.items]
            else:
                want = [[i.label, f"{i.value:.4f}", f"{i.expected:.4f}", f"{i.delta:.4f}", "通过" if i.ok else "未通过"] for i in rc.items]
            assert [row for row in ref[0][1:]] == want
        else:
            assert ref == []
        # one throughput table per text kind, rows by batch size
        unit = "条文本/s" if kind == "embedding" else "个文本对/s"
        thr = [t for t in tables if t[0][:2] == ["批大小", f"吞吐（{unit}）"]]
        kinds = list(dict.fromkeys(p.text_kind for p in run.throughput))
        assert kinds == ["short", "512-token"] and len(thr) == 2
        for text_kind, table in zip(kinds, thr):
            points = sorted((p for p in run.throughput if p.text_kind == text_kind), key=lambda p: p.batch_size)
            assert [p.batch_size for p in points] == [1, 8, 32]
            assert table[1:] == [
                [str(p.batch_size), f"{p.items_per_s:.1f}", f"{p.mean_latency_ms:.1f}", f"{p.p99_latency_ms:.1f}",
                 f"{p.tokens_per_item:.0f}", str(p.n)]
                for p in points
            ]
        assert "吞吐测试：短文本" in text and "吞吐测试：512 词元文本" in text
        # warnings, in Chinese, as 注 lines
        assert len(re.findall(r"^注：", text, flags=re.M)) == len(run.warnings)
        if run.warnings:
            assert "注：模型最多接受 256 个词元：512 词元文本被截断为 256 个词元" in text


def test_failing_reference_check_reads_failed_and_is_listed_in_section_7(sample: Results) -> None:
    r = sample.model_copy(deep=True)
    run = next(x for x in r.embeddings if x.kind == "reranker" and x.mode == "http")
    rc = run.reference_check
    rc.status, rc.value = "fail", 0.25
    bad = rc.items[1]
    rc.items[1] = ReferenceItem(label=bad.label, value=bad.expected + 0.25, expected=bad.expected, delta=0.25, ok=False)
    run.error = "HTTP 503 from /v1/rerank"
    doc = render_markdown(r)
    sub = _subsections(doc, 6)[1]
    assert "\n对照检查未通过；参照：" in sub and "最大绝对差 0.250000，要求 ≤ 0.05；共比较 3 项，1 项超出阈值。" in sub
    table = next(t for t in _tables(sub) if t[0][0] == "文本对（查询 | 段落）")
    assert table[2] == [bad.label, f"{bad.expected + 0.25:.4f}", f"{bad.expected:.4f}", "0.2500", "未通过"]
    assert "未测试（执行失败：“HTTP 503 from /v1/rerank”）" in sub  # the error text quoted as recorded
    sec7 = doc.split("\n## 7. ", 1)[1].split("\n## ", 1)[0]
    assert "、5 项向量/重排序模型测试：发现错误 2 项、警告 2 项。" in sec7
    group = sec7.split("### 7.1 向量与重排序模型", 1)[1]
    rows = _tables(group)[0]
    assert rows[0] == ["编号", "级别", "精度", "检查项", "说明"]
    by_check = {row[3]: row for row in rows[1:]}
    ref_row = by_check["向量/重排序模型结果应与参照一致（余弦相似度 ≥ 阈值，或得分差 ≤ 容差）"]
    assert ref_row[1:3] == ["错误", "bf16"]
    assert ref_row[4].startswith("tiny-xlmr-rerank（重排序模型，HTTP 服务 /v1/rerank，cpu，bf16）：对照检查未通过：最大绝对差 0.250000 > 0.05；3 项中 1 项超出阈值")
    assert by_check["向量/重排序模型测试应完整运行"][4].endswith("：测试未完成：“HTTP 503 from /v1/rerank”")


def test_seed_runs_still_render_their_scripts_outputs_and_matrices() -> None:
    doc = render_markdown(load_results(SEED))
    assert "\n## 5. bge-large-zh-v1.5模型推理部署\n" in doc and "\n## 6. bge-reranker-v2-m3模型推理\n" in doc
    assert "\n### 5.1 FlagEmbedding方式\n" in doc and "\n### 6.2 transformers方式\n" in doc
    assert "from FlagEmbedding import FlagModel" in doc and "python3 bge-reranker-v2-m3_flagembedding.py" in doc
    assert "| 样例数据-1 | 0.8550 | 0.8516 |" in doc and "| query\\_1 | 0.3373 | 0.2051 |" in doc
    # no reference was recorded: the embeddings stay undecided, the two reranker runs agree with each other
    assert doc.count("\n检查结果：未判定（没有参照结果可比较，只记录了得分）。\n") == 2
    assert doc.count("\n检查结果：通过（与另一种推理方式") == 2 and "最大差 0.0119，容差 ≤ 0.02" in doc
    assert "吞吐测试" not in doc.split("\n## 5. ", 1)[1].split("\n## 7. ", 1)[0]


def test_no_runs_means_no_model_named_and_not_tested() -> None:
    # nothing was run: the headings name no model (the seed's are examples, not what was tested)
    doc = render_markdown(Results())
    assert "\n## 5. 向量模型推理部署\n\n未测试（未采集：没有向量模型测试结果）" in doc
    assert "\n## 6. 重排序模型推理\n\n未测试（未采集：没有重排序模型测试结果）" in doc
    assert "bge-" not in doc


def test_render_cli_writes_the_pdf_with_the_embedding_tables(sample: Results, tmp_path: Path) -> None:
    import subprocess

    from click.testing import CliRunner

    from reportgen.cli import cli

    res = CliRunner().invoke(cli, ["render", str(SAMPLE), "--format", "pdf", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    pdf = tmp_path / "embedding.results.pdf"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("吞吐测试：512 词元文本") == 5 and "对照检查通过" in text
    http = next(r for r in sample.embeddings if r.kind == "embedding" and r.mode == "http")
    for p in http.throughput:
        assert f"{p.items_per_s:.1f}" in text and f"{p.p99_latency_ms:.1f}" in text
