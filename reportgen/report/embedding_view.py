"""Pure view helpers for sections 5 and 6 (embedding / reranker runs): what the document
shows beyond the plain ``EmbeddingRun`` fields. Each function takes a run and returns
display strings (Chinese labels, formatted numbers); none of them computes a measurement.

* ``run_heading``      "HTTP 服务方式（/v1/embeddings）", "本地推理方式（transformers, cuda, float16）"
* ``matrix_title``     the Chinese caption of a score matrix
* ``reference_table``  one row per compared value of the reference check
* ``reference_line``   the verdict in one sentence
* ``throughput_table`` texts/s or pairs/s, mean and P99 latency, tokens per item
* ``throughput_tables`` the same, one table per text kind (short, 512-token), with a caption
* ``fact_rows``        the run's settings: mode, device, precision, endpoint, pooling, dimensions
* ``warning_lines``    non-fatal problems, as the document lists them ("注：...")

The collector's warnings and reference notes are ``Note``s: shown in Chinese from the same row of
``reportgen.messages.NOTES`` as their English.
"""

from __future__ import annotations

import re

from reportgen.embedding_text import text_kind_zh
from reportgen.results import EmbeddingRun, ThroughputPoint

Table = tuple[list[str], list[list[str]]]  # (headers, rows)

_VERDICT = {"pass": "通过", "fail": "未通过", "none": "未对照"}
_SOURCE = {"float32-cpu": "同一模型的 float32 CPU 推理", "recorded": "已有文档记录的数值"}
_METRIC = {"min cosine": "最小余弦相似度", "max |diff|": "最大绝对差"}
_MATRIX = {
    "similarity": "句子相似度矩阵（sentences_1 × sentences_2，归一化向量内积）",
    "query_passage": "查询 → 段落得分矩阵（查询带检索指令，归一化向量内积）",
}


def _num(x: float | None, digits: int = 4) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


# How a run was made, in the document's words (the comparison names runs the same way).


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
    ref = rc.reference.text("zh") if rc.reference else None
    if rc.source == "float32-cpu" and ref:
        parts.append(f"参照：{ref}")  # "<dir> 的 float32 CPU 推理（transformers）"
    elif rc.source:
        parts.append(f"参照：{_SOURCE.get(rc.source, rc.source)}" + (f"（{ref}）" if ref else ""))
    elif ref:
        parts.append(f"参照：{ref}")
    if rc.metric and rc.value is not None:
        cmp = "≥" if rc.metric == "min cosine" else "≤"
        thr = f"，要求 {cmp} {rc.threshold:g}" if rc.threshold is not None else ""
        parts.append(f"{_METRIC.get(rc.metric, rc.metric)} {rc.value:.6f}{thr}")
    elif rc.metric and rc.threshold is not None:
        cmp = "≥" if rc.metric == "min cosine" else "≤"
        parts.append(f"{_METRIC.get(rc.metric, rc.metric)}未得出（要求 {cmp} {rc.threshold:g}）")
    if rc.items:
        bad = sum(not i.ok for i in rc.items)
        parts.append(f"共比较 {len(rc.items)} 项，{bad} 项超出阈值" if bad else f"共比较 {len(rc.items)} 项，全部在阈值内")
    parts += [n.text("zh") for n in rc.detail]
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


def _unit(run: EmbeddingRun) -> str:
    return "条文本/s" if run.kind == "embedding" else "个文本对/s"


def _throughput_cells(t: ThroughputPoint) -> list[str]:
    """batch size, items/s, mean and P99 latency, tokens per item, timed calls."""
    return [
        str(t.batch_size),
        f"{t.items_per_s:.1f}",
        _num(t.mean_latency_ms, 1),
        _num(t.p99_latency_ms, 1),
        "未知" if t.tokens_per_item is None else f"{t.tokens_per_item:.0f}",
        "—" if t.n is None else str(t.n),
    ]


def throughput_tables(run: EmbeddingRun) -> list[tuple[str, Table]]:
    """One (caption, table) per text kind, in the order the run measured them."""
    kinds: list[str] = []
    for t in run.throughput:
        if t.text_kind not in kinds:
            kinds.append(t.text_kind)
    per = "每条文本" if run.kind == "embedding" else "每个文本对（查询 + 段落）"
    out = []
    for kind in kinds:
        points = sorted((t for t in run.throughput if t.text_kind == kind), key=lambda t: t.batch_size)
        headers = ["批大小", f"吞吐（{_unit(run)}）", "平均时延 (ms)", "P99 时延 (ms)", f"{per}词元数", "计时次数"]
        rows = [_throughput_cells(t) for t in points]
        out.append((f"吞吐测试：{text_kind_zh(kind)}（时延为每次调用、即一个批次的耗时）", (headers, rows)))
    return out


_MODE = {"http": "HTTP 服务", "local": "本地推理（transformers）"}
_POOLING = {"cls": "CLS 向量（cls）", "mean": "平均池化（mean）", "last": "末位词元（last）"}
_UNRECORDED = "未记录"


def fact_rows(run: EmbeddingRun, origin: str) -> list[list[str]]:
    """The run's settings as (项目, 内容) rows. The seed's imported runs record only model,
    library, precision: their rows stay those five; a measured run adds what its mode uses."""
    rows = [
        ["模型", run.model],
        ["方式", _MODE.get(run.mode, run.mode)],
        ["设备", run.device or _device_from_log(run.output) or _UNRECORDED],
        ["精度", run.precision or _UNRECORDED],
    ]
    if run.mode == "http" or run.base_url or run.endpoint:
        rows.append(["服务地址", run.base_url or _UNRECORDED])
        rows.append(["接口", run.endpoint or _UNRECORDED])
        if run.served_model:
            rows.append(["请求中的模型名", run.served_model])
    if run.kind == "embedding" and run.origin == "measured":
        rows.append(["池化方式", _POOLING.get(run.pooling, run.pooling) if run.pooling else _UNRECORDED])
        rows.append(["向量维度", str(run.dimensions) if run.dimensions is not None else _UNRECORDED])
        if run.instruction:
            rows.append(["查询指令", run.instruction])
    elif run.dimensions is not None:
        rows.append(["向量维度", str(run.dimensions)])
    if run.kind == "reranker" and run.raw_scores is not None:
        rows.append(["得分类型", "原始得分（logit），归一化得分 = sigmoid(得分)" if run.raw_scores else "服务端返回的 sigmoid 归一化得分"])
    if run.started_at is not None:
        span = run.started_at.strftime("%Y-%m-%d %H:%M:%S")
        if run.finished_at is not None:
            same_day = run.finished_at.date() == run.started_at.date()
            span += " – " + run.finished_at.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")
        rows.append(["测试时间 (UTC)", span])
    return rows


def _device_from_log(output: str | None) -> str | None:
    """The device count the run's own log states ("-----using 2*GPUs-----")."""
    m = re.search(r"using\s+(\d+)\s*\*\s*GPUs?", output or "", re.IGNORECASE)
    return f"{m.group(1)} 张加速卡（运行日志：using {m.group(1)}*GPUs）" if m else None


def throughput_table(run: EmbeddingRun) -> Table | None:
    if not run.throughput:
        return None
    headers = ["文本类型", "批大小", f"吞吐（{_unit(run)}）", "平均时延 (ms)", "P99 时延 (ms)", "每条词元数", "计时次数"]
    rows = [[text_kind_zh(t.text_kind), *_throughput_cells(t)] for t in run.throughput]
    return headers, rows


def warning_lines(run: EmbeddingRun) -> list[str]:
    return [f"注：{w.text('zh')}" for w in run.warnings]
