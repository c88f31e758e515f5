from reportgen.report.embedding_view import (
    matrix_title,
    reference_line,
    reference_table,
    run_heading,
    throughput_table,
    warning_lines,
)
from reportgen.results import EmbeddingRun, ReferenceCheck, ReferenceItem, ThroughputPoint


def _run(**kw: object) -> EmbeddingRun:
    return EmbeddingRun(model="bge-reranker-v2-m3", kind="reranker", mode="http", endpoint="/v1/rerank", **kw)  # type: ignore[arg-type]


def test_reranker_reference_and_throughput_views() -> None:
    rc = ReferenceCheck(
        status="fail", source="recorded", reference="种子文档 6.1", metric="max |diff|", value=0.3, threshold=0.05,
        items=[ReferenceItem(label="what is panda? | hi", value=-7.8875, expected=-8.1875, delta=0.3, ok=False)],
    )
    run = _run(reference_check=rc, warnings=["x"], throughput=[ThroughputPoint(batch_size=8, text_kind="512-token", items_per_s=123.456, mean_latency_ms=64.8, p99_latency_ms=70.12, n=5, tokens_per_item=511.6)])
    assert run_heading(run) == "HTTP 服务方式（/v1/rerank）"
    assert reference_line(run) == "对照检查未通过；参照：已有文档记录的数值（种子文档 6.1）；最大绝对差 0.300000，要求 ≤ 0.05；共比较 1 项，1 项超出阈值。"
    headers, rows = reference_table(run)  # type: ignore[misc]
    assert headers[0] == "文本对（查询 | 段落）" and rows == [["what is panda? | hi", "-7.8875", "-8.1875", "0.3000", "未通过"]]
    headers, rows = throughput_table(run)  # type: ignore[misc]
    assert headers[2] == "吞吐（个文本对/s）" and rows == [["512 词元文本", "8", "123.5", "64.8", "70.1", "512", "5"]]
    assert warning_lines(run) == ["注：x"]


def test_embedding_views_without_data() -> None:
    run = EmbeddingRun(model="m", kind="embedding", mode="local", device="cuda", precision="float16")
    assert run_heading(run) == "本地推理方式（transformers，cuda，float16）"
    assert reference_table(run) is None and throughput_table(run) is None
    assert reference_line(run) == "对照检查未对照。"
    assert matrix_title("query_passage").startswith("查询 → 段落得分矩阵")
    rc = ReferenceCheck(status="pass", source="float32-cpu", metric="min cosine", value=0.99991, threshold=0.999,
                        items=[ReferenceItem(label="样例数据-1", value=0.99991, expected=1.0, delta=0.00009, ok=True)])
    run = EmbeddingRun(model="m", kind="embedding", mode="local", reference_check=rc)
    assert reference_table(run) == (["文本", "与参照的余弦相似度", "1 − 余弦", "结果"], [["样例数据-1", "0.999910", "9.00e-05", "通过"]])
    assert "最小余弦相似度 0.999910，要求 ≥ 0.999" in reference_line(run)


def test_views_of_the_live_sample(repo) -> None:  # type: ignore[no-untyped-def]
    """samples/embedding.results.json: live runs (local MiniLM and tiny XLM-R; vLLM CPU over HTTP)."""
    from reportgen.results import load_results

    runs = load_results(repo / "samples" / "embedding.results.json").embeddings
    assert [(r.kind, r.mode, r.reference_check.status) for r in runs] == [
        ("embedding", "local", "none"), ("embedding", "local", "pass"), ("reranker", "local", "pass"),
        ("embedding", "http", "pass"), ("reranker", "http", "pass"),
    ]
    for r in runs:
        assert r.error is None and r.pairs and len(r.throughput) == 6
        headers, rows = throughput_table(r)  # type: ignore[misc]
        assert [row[:2] for row in rows] == [[k, b] for k in ("短文本", "512 词元文本") for b in ("1", "8", "32")]
    assert run_heading(runs[3]) == "HTTP 服务方式（/v1/embeddings）"
    assert reference_table(runs[4])[1][0][0] == "query | passage"  # type: ignore[index]
