"""Sections 5 and 6 (embedding and reranker models): one view per run, grouped by model.

The per-run display helpers are in ``reportgen.report.embedding_view``.
"""

from __future__ import annotations

from reportgen.report import embedding_view as ev
from reportgen.report import formatting as fmt
from reportgen.report.view_helpers import UNRECORDED, basename
from reportgen.report.view_types import EmbeddingRunView, EmbeddingView, Table
from reportgen.results import EmbeddingRun, Results
from reportgen.verdicts.checks import run_verdict


def _embedding_run(number: str, heading: str, r: EmbeddingRun, runs: list[EmbeddingRun]) -> EmbeddingRunView:
    matrices = []
    for mtx in r.matrices:
        rows = []
        for i, row_label in enumerate(mtx.rows):
            vals = mtx.values[i] if i < len(mtx.values) else []
            cells = [fmt.score(x) for x in vals[: len(mtx.cols)]]
            rows.append([row_label, *cells, *[UNRECORDED] * (len(mtx.cols) - len(cells))])
        title = ev.matrix_title(mtx.name)
        matrices.append((title if title != mtx.name else None, Table(["得分", *mtx.cols], rows)))
    pairs = None
    if r.pairs:
        pairs = Table(["文本 A", "文本 B", "得分", "归一化得分"], [
            [p.a, p.b, fmt.score(p.score), fmt.score(p.normalized) if p.normalized is not None else fmt.NOT_APPLICABLE]
            for p in r.pairs
        ])
    ref_table = ev.reference_table(r)
    return EmbeddingRunView(
        number=number,
        heading=heading,
        facts=Table(["项目", "内容"], ev.fact_rows(r, fmt.ORIGIN_ZH.get(r.origin, r.origin))),
        script=r.script,
        command=r.command,
        output=r.output,
        matrices=matrices,
        pairs=pairs,
        reference=ev.reference_line(r) if r.reference_check.status != "none" else "检查结果：{0.word}（{0.text}）。".format(run_verdict(r, runs)),
        reference_table=Table(*ref_table) if ref_table else None,
        throughput=[(caption, Table(*t)) for caption, t in ev.throughput_tables(r)],
        notes=([f"注：{r.note}"] if r.note else []) + ev.warning_lines(r),
        error=fmt.missing("failed", f"“{r.error}”") if r.error else None,
    )


def embedding_runs_view(results: Results, kind: str, number: int, title: str) -> EmbeddingView:
    """Section 5 (every embedding run) or 6 (every reranker run), grouped by model in the order
    each model first appears; the heading names the model(s) the runs used."""
    runs = [r for r in results.embeddings if r.kind == kind]
    models: list[str] = []
    for r in runs:
        name = basename(r.model) or r.model
        if name not in models:
            models.append(name)
    ordered = sorted(runs, key=lambda r: models.index(basename(r.model) or r.model))
    views = []
    for i, r in enumerate(ordered, start=1):
        heading = ev.run_heading(r)
        if len(models) > 1:
            heading = f"{basename(r.model) or r.model}：{heading}"
        views.append(_embedding_run(f"{number}.{i}", heading, r, runs))
    if len(models) == 1:
        heading = f"{models[0]}{title}"
    elif models:
        heading = f"{'向量' if kind == 'embedding' else '重排序'}{title}（{'、'.join(models)}）"
    else:  # nothing was run: no model named (the seed's models are examples, not what was tested)
        heading = f"{'向量' if kind == 'embedding' else '重排序'}{title}"
    missing = None if runs else fmt.missing("not_collected", f"没有{'向量' if kind == 'embedding' else '重排序'}模型测试结果")
    return EmbeddingView(number=number, heading=heading, runs=views, missing=missing)
