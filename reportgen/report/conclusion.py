"""The 结论 page: the verdicts (``reportgen.verdicts.conclusion``) worded for a manager.

``conclusion(results, findings)`` returns the page as strings (``ConclusionView``); the template
``sections/conclusion.md.j2`` lays it out right after the cover. Nothing here decides a verdict:
every one comes from ``reportgen.verdicts`` (performance from the cells' findings, accuracy, the
functional checks, the embedding/reranker checks).

``extra`` is the hook for statements other modules add (for example a capacity statement
per variant): pass them as ``conclusion(..., extra=[Statement(...)])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.report import formatting as fmt
from reportgen.results import Finding, Results
from reportgen.verdicts.conclusion import VariantVerdicts, conclusion_verdicts
from reportgen.verdicts.performance import PerformanceVerdict
from reportgen.verdicts.states import STATUS_ZH, Statement

__all__ = ["STATUS_ZH", "ConclusionView", "RemeasureView", "Statement", "VariantConclusion", "conclusion"]

DASH = "—"


@dataclass(frozen=True)
class VariantConclusion:
    label: str
    usable: str  # 可用 / 部分可用 / 不可用 / 未测
    usable_detail: str
    operating_point: str
    tps: str
    tpot: str
    ttft: str
    speedup: str
    accuracy: str
    functional: str
    has_operating_point: bool = False


@dataclass(frozen=True)
class RemeasureView:
    cause: str  # plain words
    cells: str  # "FP16 批大小 1、2；GPTQ-Int4 批大小 1、2、4、8"
    remedy: str
    severity: str = "error"  # "error": the cells must be re-measured; "warning": usable, to be reviewed


@dataclass
class ConclusionView:
    headline: list[Statement]
    variants: list[VariantConclusion]
    checks: list[Statement]  # embedding / reranker
    remeasure: list[RemeasureView]
    limits: list[Statement]
    extra: list[Statement] = field(default_factory=list)


def _speedup_text(p: PerformanceVerdict) -> str:
    if p.role == "baseline":
        return "基准" if p.measured else DASH
    if p.role != "compared":
        return DASH
    s = p.speedup
    if s is None:
        return "无法给出（没有两者都可用的同条件用例）" if p.measured else DASH
    if s.value is None:
        return DASH
    return f"{s.value:.2f}×（{fmt.cell_name(s.cell.key)}{'，存疑' if s.doubtful else ''}）"


def _row(vv: VariantVerdicts) -> VariantConclusion:
    p = vv.performance
    op = p.operating_point
    if op is None or op.metrics is None:
        point = tps = tpot = ttft = DASH
        if p.measured:
            point = "无（没有有效用例）"
    else:
        m = op.metrics
        point = f"{fmt.cell_name(op.key)}（{'存疑用例中最大，没有有效用例' if p.operating_point_doubtful else '有效用例中最大'}）"
        tps = f"{m.output_throughput:.2f} tok/s"
        tpot = f"{m.tpot_ms.mean:.2f} ms" if m.tpot_ms.mean is not None else DASH
        ttft = f"{m.ttft_ms.mean:.2f} ms" if m.ttft_ms.mean is not None else DASH
    return VariantConclusion(
        label=p.label, usable=p.word, usable_detail=p.detail, operating_point=point, tps=tps, tpot=tpot, ttft=ttft,
        speedup=_speedup_text(p), accuracy=vv.accuracy.text, functional=vv.functional.text,
        has_operating_point=op is not None,
    )


def conclusion(results: Results, findings: list[Finding], *, extra: list[Statement] | None = None) -> ConclusionView:
    """The conclusion of the document, from the results and this render's findings."""
    c = conclusion_verdicts(results, findings)
    rows = [_row(vv) for vv in c.variants]
    headline: list[Statement] = []
    if c.cells and c.usable_cells == 0:
        headline.append(Statement(
            f"性能：{c.cells} 个性能用例没有一个可以使用，"
            f"{'、'.join(r.label for r in rows if r.usable != '未测')} 的性能结论都不能成立，须按下文重测。", "3.4"))
    elif c.cells:
        for r in rows:
            if r.usable == "未测":
                continue
            if r.has_operating_point:
                versus = f"；相对 {c.base.label} 的加速比 {r.speedup}" if c.base and r.label != c.base.label and r.speedup != DASH else ""
                headline.append(Statement(
                    f"{r.label} 性能数据{r.usable}（{r.usable_detail}）；推荐工作点 {r.operating_point}：TPS {r.tps}，"
                    f"TPOT {r.tpot}，TTFT {r.ttft}{versus}。", "3.4"))
            else:
                headline.append(Statement(f"{r.label} 性能数据{r.usable}（{r.usable_detail}），没有可用的工作点。", "3.4"))
    else:
        headline.append(Statement("未进行性能测试。", None))
    for va in c.accuracy:
        if va.verdict in ("通过", "未通过", "未判定") and va.rows:
            headline.append(Statement(f"{va.label} 精度{va.text}。", "4"))
    return ConclusionView(
        headline=headline,
        variants=rows,
        checks=c.checks,
        remeasure=[RemeasureView(g.cause, g.cells_text, g.remedy, g.severity) for g in c.remeasure],
        limits=c.limits,
        extra=list(extra or []),
    )
