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
from reportgen.report.capacity_view import slo_zh
from reportgen.results import Finding, Results, ServingCell
from reportgen.slo import SloKey
from reportgen.verdicts.conclusion import VariantVerdicts, conclusion_verdicts
from reportgen.verdicts.performance import PerformanceVerdict, limits_in_force
from reportgen.verdicts.states import STATUS_ZH, Statement

__all__ = ["STATUS_ZH", "ConclusionView", "RemeasureView", "Statement", "VariantConclusion", "conclusion"]

DASH = "—"


@dataclass(frozen=True)
class VariantConclusion:
    label: str
    usable: str  # 可用 / 部分可用 / 可用但存疑 / 不可用 / 未测
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
    if p.role != "compared":  # speedups compare a quantized variant with its baseline only
        return "不计算（加速比只比较量化版本与基准）" if p.measured and p.role == "none" else DASH
    if p.same_as is not None and p.speedup is None:
        return "无（两者是同一个部署，差异不是测试结果）"
    s = p.speedup
    if s is None:
        return "无法给出（没有两者都可用的同条件用例）" if p.measured else DASH
    if s.value is None:
        return DASH
    return f"{s.value:.2f}×（{fmt.cell_name(s.cell.key)}{'，存疑' if s.doubtful else ''}）"


def _limit_words(key: str, limit: float) -> str:
    return slo_zh({key: limit})


def _closest_text(p: PerformanceVerdict) -> str:
    """「没有满足延迟要求（TTFT 的 P99 ≤ 500 ms）的用例：TTFT 的 P99 最低为 612.30 ms（批大小 1）」."""
    limits = "、".join(_limit_words(c.key, c.limit) for c in p.closest)
    best = []
    for c in p.closest:
        if c.met:
            continue
        where = f"（{fmt.cell_name(c.cell.key)}）" if c.cell is not None else ""
        k = SloKey.parse(c.key)
        name = _limit_words(c.key, c.limit).split(" ≤ ")[0]
        if c.value is None:
            best.append(f"{name} 没有测得数值")
        elif k.stat is None:
            best.append(f"满足“{_limit_words(c.key, c.limit)}”的请求最多只占 {c.value:.0%}{where}")
        else:
            best.append(f"{name} 最低为 {c.value:.2f} ms{where}")
    return f"没有满足延迟要求（{limits}）的用例" + (f"：{'，'.join(best)}" if best else "")


def _point_limits(vv: VariantVerdicts, op: ServingCell) -> str:
    """「，满足 TTFT 的 P99 ≤ 500 ms（P99 只基于 40 个请求）」: the limits the operating point meets."""
    limits = limits_in_force(vv.variant, op)
    if not limits:
        return ""
    text = "；满足 " + "、".join(_limit_words(k, v) for k, v in limits.items())
    n = op.metrics.ttft_ms.n if op.metrics is not None else 0
    if any(SloKey.parse(k).stat not in (None, "mean", "median") for k in limits) and vv.performance.notes and n:
        text += f"，P99 只基于 {n} 个请求"
    return text


def _row(vv: VariantVerdicts) -> VariantConclusion:
    p = vv.performance
    op = p.operating_point
    if op is None or op.metrics is None:
        point = tps = tpot = ttft = DASH
        if p.closest:
            point = "无（没有满足延迟要求的用例）"
        elif p.measured:
            point = "无（没有可用的用例）"
    else:
        m = op.metrics
        which = "存疑用例中最大，没有有效用例" if p.operating_point_doubtful else "有效用例中最大"
        point = f"{fmt.cell_name(op.key)}（{which}{_point_limits(vv, op)}）"
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
    headline: list[Statement] = list(c.identity)
    if c.cells and c.usable_cells == 0:
        headline.append(Statement(
            f"性能：{c.cells} 个性能用例没有一个可以使用，"
            f"{'、'.join(r.label for r in rows if r.usable != '未测')} 的性能结论都不能成立，须按下文重测。", "3.4"))
    elif c.cells:
        for r, vv in zip(rows, c.variants, strict=True):
            if r.usable == "未测":
                continue
            if r.has_operating_point:
                versus = (f"；相对 {c.base.label} 的加速比 {r.speedup}"
                          if c.base and r.label != c.base.label and r.speedup != DASH else "")
                headline.append(Statement(
                    f"{r.label} 性能数据{r.usable}（{r.usable_detail}）；推荐工作点 {r.operating_point}：TPS {r.tps}，"
                    f"TPOT {r.tpot}，TTFT {r.ttft}{versus}。", "3.4"))
            elif vv.performance.closest:
                headline.append(Statement(
                    f"{r.label} 性能数据{r.usable}（{r.usable_detail}）；{_closest_text(vv.performance)}，没有推荐工作点。",
                    "3.4"))
            else:
                headline.append(Statement(f"{r.label} 性能数据{r.usable}（{r.usable_detail}），没有可用的工作点。", "3.4"))
    else:
        headline.append(Statement("未进行性能测试。", None))
    for va in c.accuracy:
        if va.verdict in ("通过", "存疑", "未通过") and va.rows or va.verdict == "无法判定":
            headline.append(Statement(f"{va.label} 精度{va.text}。", "4"))
    return ConclusionView(
        headline=headline,
        variants=rows,
        checks=c.checks,
        remeasure=[RemeasureView(g.cause, g.cells_text, g.remedy, g.severity) for g in c.remeasure],
        limits=c.limits,
        extra=list(extra or []),
    )
