"""Embedding and reranker rules: runs that did not finish, failed their reference check, or
recorded a problem (the document lists their findings in their own group)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from reportgen.results import EmbeddingRun, Results
from reportgen.validity.messages import Arg, Say, Term, items, say
from reportgen.validity.registry import Issue, Source, rule

_KIND = {"embedding": Term("embedding", "向量模型"), "reranker": Term("reranker", "重排序模型")}
_MODE_ZH = {"http": "HTTP 服务", "local": "本地推理"}
_REF_METRIC_ZH = {"min cosine": "最小余弦相似度", "max |diff|": "最大绝对差"}


def _who(r: EmbeddingRun) -> Say:
    """"bge-m3 (embedding, http /v1/embeddings, cpu, bf16)" / "bge-m3（向量模型，HTTP 服务 /v1/embeddings，cpu，bf16）"."""
    name = PurePosixPath(r.model.rstrip("/")).name or r.model
    endpoint = f" {r.endpoint}" if r.endpoint else ""
    mode = Term(r.mode + endpoint, _MODE_ZH.get(r.mode, r.mode) + endpoint)
    parts: list[Arg] = [_KIND.get(r.kind, Term(r.kind, r.kind)), mode, *(x for x in (r.device, r.precision) if x)]
    return say("_.embedding_who", name=name, details=items(parts, "comma"))


@rule(
    "embedding_error", family="embedding", scope="results", severity="error",
    description="an embedding or reranker run that did not complete (EmbeddingRun.error) -> error",
    source=Source("ours", "a run that did not finish has no figures to show"),
    remedy=("fix the error quoted, then re-run the check (collect --only embedding)", "排除所列错误后重新运行该测试（collect --only embedding）"),
    title_zh="向量/重排序模型测试应完整运行",
)
def _embedding_error(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        if r.error:
            yield Issue("error", say("embedding_error", who=_who(r), error=r.error), embedding=r)


@rule(
    "embedding_reference", family="embedding", scope="results", severity="error",
    description="reference check failed: min cosine with the float32 CPU embedding below 0.999, or a reranker score "
                "more than the tolerance from the reference -> error with the metric, value, threshold and worst item",
    source=Source("ours", "bf16/fp16 rounding keeps cosines with the float32 result above 0.999; lower means "
                          "a different model, input or numerics"),
    remedy=("check the served model files and the inference precision against the reference, then re-run the check",
            "核对服务端模型文件与推理精度是否与参照一致后重新测试"),
    title_zh="向量/重排序模型结果应与参照一致（余弦相似度 ≥ 阈值，或得分差 ≤ 容差）",
)
def _embedding_reference(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        rc = r.reference_check
        if rc.status != "fail":
            continue
        metric: Arg = ""
        if rc.metric and rc.value is not None:
            cmp = "<" if rc.metric == "min cosine" else ">"
            metric = say("embedding_reference.metric", metric=Term(rc.metric, _REF_METRIC_ZH.get(rc.metric, rc.metric)),
                         value=rc.value, threshold=f" {cmp} {rc.threshold:g}" if rc.threshold is not None else "")
        worst_item: Arg = ""
        bad = [i for i in rc.items if not i.ok]
        if bad:
            worst = bad[0] if rc.metric is None else (min(bad, key=lambda i: i.value) if rc.metric == "min cosine" else max(bad, key=lambda i: i.delta))
            if rc.metric == "min cosine":
                item = say("embedding_reference.cosine", label=worst.label, value=worst.value)
            else:
                item = say("embedding_reference.score", label=worst.label, value=worst.value, expected=worst.expected)
            worst_item = say("embedding_reference.worst", bad=len(bad), items=len(rc.items), item=item)
        reference = (say("embedding_reference.reference", reference=Term(str(rc.reference), rc.reference.text("zh")))
                     if rc.reference else "")
        detail = (say("embedding_reference.detail", notes=items(Term(str(n), n.text("zh")) for n in rc.detail))
                  if rc.detail and not rc.items else "")
        yield Issue("error", say("embedding_reference", who=_who(r), metric=metric, worst=worst_item, reference=reference,
                                 detail=detail), embedding=r)


@rule(
    "embedding_warning", family="embedding", scope="results", severity="warning",
    description="each non-fatal problem an embedding or reranker run recorded (EmbeddingRun.warnings: a throughput "
                "point failed, texts truncated, ...) -> warning",
    source=Source("ours", "the run says it itself"),
    remedy=("read the warning; re-run the check once its cause is fixed", "查看该警告，排除原因后重新测试"),
    title_zh="向量/重排序模型测试过程中的异常（不影响其余结果）",
)
def _embedding_warning(results: Results) -> Iterator[Issue]:
    for r in results.embeddings:
        who = _who(r)
        for w in r.warnings:
            yield Issue("warning", say("embedding_warning", who=who, warning=Term(str(w), w.text("zh"))), embedding=r)
