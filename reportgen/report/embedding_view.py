"""Pure view helpers for sections 5 and 6 (embedding / reranker runs): what the document
shows beyond the plain ``EmbeddingRun`` fields. Each function takes a run and returns
display strings (Chinese labels, formatted numbers); none of them computes a measurement.

* ``run_heading``      "HTTP 服务方式（/v1/embeddings）", "本地推理方式（transformers, cuda, float16）"
* ``matrix_title``     the Chinese caption of a score matrix
* ``reference_table``  one row per compared value of the reference check
* ``reference_line``   the verdict in one sentence
* ``throughput_table`` texts/s or pairs/s, mean and P99 latency, tokens per item
* ``warning_lines``    non-fatal problems, as the document lists them
"""

from __future__ import annotations

from reportgen.results import EmbeddingRun

Table = tuple[list[str], list[list[str]]]  # (headers, rows)

_VERDICT = {"pass": "通过", "fail": "未通过", "none": "未对照"}
_SOURCE = {"float32-cpu": "同一模型的 float32 CPU 推理", "recorded": "种子文档记录的数值"}
_METRIC = {"min cosine": "最小余弦相似度", "max |diff|": "最大绝对差"}
_MATRIX = {
    "similarity": "句子相似度矩阵（sentences_1 × sentences_2，归一化向量内积）",
    "query_passage": "查询 → 段落得分矩阵（查询带检索指令，归一化向量内积）",
}


def _num(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def run_heading(run: EmbeddingRun) -> str:
    if run.mode == "http":
        return f"HTTP 服务方式（{run.endpoint or '端点未记录'}）"
    if run.mode == "local":
        return f"本地推理方式（transformers，{run.device or '设备未记录'}，{run.precision or '精度未记录'}）"
    return f"{run.mode}方式"


def matrix_title(name: str) -> str:
    return _MATRIX.get(name, name)


def reference_line(run: EmbeddingRun) -> str:
    rc = run.reference_check
    parts = [f"对照检查{_VERDICT[rc.status]}"]
    if rc.source:
        parts.append(f"参照：{_SOURCE.get(rc.source, rc.source)}" + (f"（{rc.reference}）" if rc.reference else ""))
    if rc.metric and rc.value is not None:
        cmp = "≥" if rc.metric == "min cosine" else "≤"
        thr = f"，要求 {cmp} {rc.threshold:g}" if rc.threshold is not None else ""
        parts.append(f"{_METRIC.get(rc.metric, rc.metric)} {rc.value:.6f}{thr}")
    if rc.detail:
        parts.append(rc.detail)
    return "；".join(parts) + "。"


def reference_table(run: EmbeddingRun) -> Table | None:
    rc = run.reference_check
    if not rc.items:
        return None
    if rc.metric == "min cosine":
        headers = ["文本", "与参照的余弦相似度", "1 − 余弦", "结果"]
        rows = [[i.label, f"{i.value:.6f}", f"{i.delta:.2e}", "通过" if i.ok else "未通过"] for i in rc.items]
    else:
        headers = ["文本对（查询 | 段落）", "本次得分", "参照得分", "绝对差", "结果"]
        rows = [[i.label, _num(i.value), _num(i.expected), _num(i.delta), "通过" if i.ok else "未通过"] for i in rc.items]
    return headers, rows


def throughput_table(run: EmbeddingRun) -> Table | None:
    if not run.throughput:
        return None
    unit = "条文本/s" if run.kind == "embedding" else "个文本对/s"
    headers = ["文本类型", "batch size", f"吞吐（{unit}）", "平均时延 (ms)", "P99 时延 (ms)", "每条词元数", "计时次数"]
    rows = [
        [
            "短文本" if t.text_kind == "short" else t.text_kind.replace("-token", " 词元文本"),
            str(t.batch_size),
            f"{t.items_per_s:.1f}",
            _num(t.mean_latency_ms, 1),
            _num(t.p99_latency_ms, 1),
            "未知" if t.tokens_per_item is None else f"{t.tokens_per_item:.0f}",
            "—" if t.n is None else str(t.n),
        ]
        for t in run.throughput
    ]
    return headers, rows


def warning_lines(run: EmbeddingRun) -> list[str]:
    return [f"注意：{w}" for w in run.warnings]
