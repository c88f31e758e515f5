"""The verdicts the 结论 rests on, computed once from the results and the findings.

``conclusion_verdicts(results, findings)`` returns ``Conclusion``: per variant its performance
verdict (``performance``), accuracy verdict (``accuracy``) and functional check
(``checks.functional_verdict``); the embedding / reranker statements; the cells to re-measure
grouped by cause (``RemeasureGroup``) and the limits of the test. Each verdict carries its state
and reasons (``.outcome``). The page itself is worded by ``reportgen.report.conclusion``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.results import Finding, ModelVariant, Results, ServingCell
from reportgen.validity import cell_findings, cell_order, cell_status
from reportgen.variant_roles import baseline
from reportgen.verdicts import causes
from reportgen.verdicts.accuracy import VariantAccuracy, variant_accuracy
from reportgen.verdicts.checks import CheckVerdict, embedding_verdict, functional_verdict
from reportgen.verdicts.performance import PerformanceVerdict, cells_text, performance_verdict
from reportgen.verdicts.states import Statement


@dataclass(frozen=True)
class RemeasureGroup:
    """Cells that share a cause: what is wrong, which cells (by variant), what to do."""

    cause: str  # plain words
    cells: tuple[tuple[str, tuple[ServingCell, ...]], ...]  # (variant label, its cells)
    remedy: str
    severity: str = "error"  # "error": the cells must be re-measured; "warning": usable, to be reviewed
    codes: tuple[str, ...] = ()  # the rules behind the cause

    @property
    def cells_text(self) -> str:
        """「FP16 批大小 1、2；GPTQ-Int4 批大小 1、2、4、8」."""
        return "；".join(f"{label} {cells_text(list(cs))}" for label, cs in self.cells)


@dataclass(frozen=True)
class VariantVerdicts:
    variant: ModelVariant
    performance: PerformanceVerdict
    accuracy: VariantAccuracy
    functional: CheckVerdict


@dataclass(frozen=True)
class Conclusion:
    base: ModelVariant | None  # the variant speedups divide by
    variants: list[VariantVerdicts]  # those with serving cells, accuracy or a functional check, in file order
    accuracy: list[VariantAccuracy]  # every variant, in file order
    checks: list[Statement]  # embedding / reranker runs
    remeasure: list[RemeasureGroup]
    limits: list[Statement]
    cells: int  # serving cells with metrics
    usable_cells: int  # of those, VALID or WARNING
    identity: list[Statement] = field(default_factory=list)  # variants that are one deployment, labels that claim too much


#: Findings that say a variant is not the deployment its label names (the 结论 states each).
IDENTITY_RULES = ("same_deployment", "quantization_label")


def identity(findings: list[Finding]) -> list[Statement]:
    """One sentence per variant-identity finding, in its own words (section 2 shows the deployments)."""
    return [Statement(f.message_zh or f.message, "2") for f in findings if f.check in IDENTITY_RULES]


def remeasure(results: Results, findings: list[Finding]) -> list[RemeasureGroup]:
    """Non-valid cells grouped by cause, the cause that spoils the most cells first."""
    groups: dict[tuple[str, str], tuple[causes.Cause, dict[str, list[ServingCell]], list[int], list[str]]] = {}
    for v in results.variants:
        for c in sorted(v.serving, key=cell_order):
            if c.metrics is None:
                continue
            for f in cell_findings(findings, v.label, c.key):
                if f.severity == "note":
                    continue  # a note marks a figure; the cell needs neither re-measuring nor review
                cause = causes.cause_of(f)
                if f.severity != "error" and cell_status(findings, v.label, c.key) == "INVALID":
                    continue  # the cell is re-measured for its errors anyway
                entry = groups.setdefault((f.severity, cause.key), (cause, {}, [], []))
                mine = entry[1].setdefault(v.label, [])
                if c not in mine:
                    mine.append(c)
                if c.input_len not in entry[2]:
                    entry[2].append(c.input_len)
                if f.check not in entry[3]:
                    entry[3].append(f.check)
    out = []
    order = ["short_output", "percentiles", "throughput", "ttft_short", "timing"]
    ordered = sorted(groups.items(), key=lambda kv: (
        kv[0][0] != "error", -sum(len(cs) for cs in kv[1][1].values()),
        order.index(kv[1][0].key) if kv[1][0].key in order else len(order)))
    for (severity, _), (cause, by_variant, inputs, codes) in ordered:
        words = cause.zh
        if cause.key == "ttft_short" and inputs:
            words = "TTFT 短得不可能：" + "、".join(str(n) for n in inputs) + " 词元的输入在这么短的时间内无法完成预填充"
        if cause.key == "short_output":
            words = _short_output_words(by_variant)
        if cause.key == "overload":
            words = causes.overload_words([f for f in findings if f.check == "open_loop_overload"])
        cells = tuple((label, tuple(cs)) for label, cs in by_variant.items())
        out.append(RemeasureGroup(cause=words, cells=cells, remedy=cause.remedy, severity=severity, codes=tuple(codes)))
    return out


def _short_output_words(by_variant: dict[str, list[ServingCell]]) -> str:
    worst: tuple[float, int] | None = None
    for cs in by_variant.values():
        for c in cs:
            m = c.metrics
            if m is not None and m.completed:
                avg = m.total_output_tokens / m.completed
                if worst is None or avg < worst[0]:
                    worst = (avg, c.output_len)
    if worst is None:
        return causes.cause_of(Finding(severity="error", check="output_tokens", message="")).zh
    return f"生成提前结束：最少时平均每个请求只输出 {worst[0]:.0f} 个词元（要求 {worst[1]} 个）"


def limits(results: Results) -> list[Statement]:
    """What the test did not cover, each with the section that shows it."""
    out: list[Statement] = []
    cells = [c for v in results.variants for c in v.serving]
    if cells:
        shapes = sorted({(c.input_len, c.output_len) for c in cells})
        # the capacity search measures at its own lengths: one shape only if it used the same
        searched = sorted({(s.input_len, s.output_len) for v in results.variants for s in v.capacity} - set(shapes))
        if len(shapes) == 1 and not searched:
            out.append(Statement(f"性能只测了一种输入、输出长度（{shapes[0][0]} / {shapes[0][1]} 词元），"
                                 f"{cells_text(cells)}；其他长度与并发下的表现未测。", "3.1"))
        elif len(shapes) == 1:
            other = "、".join(f"{i} / {o}" for i, o in searched)
            out.append(Statement(f"性能矩阵只测了一种输入、输出长度（{shapes[0][0]} / {shapes[0][1]} 词元），"
                                 f"{cells_text(cells)}；容量搜索另在 {other} 词元下进行；其他长度未测。", "3.1"))
        if not any(c.telemetry is not None and c.telemetry.samples for c in cells):
            out.append(Statement("未采集加速卡功耗与温度，能效未评价。", "3.3"))
        if all(c.source != "measured" for c in cells):
            out.append(Statement("性能数据取自已有测试记录（打印的汇总数值），没有逐请求的原始记录，无法重新计算统计量。",
                                 "附录 B"))
    accs = [a for v in results.variants for a in v.accuracy]
    if accs and all(a.n is None for a in accs):
        out.append(Statement("精度评测结果没有样本数，无法给出随机误差；量化精度只能与官方公布的降幅比较。", "4"))
    if any(a.benchmark == "bbh" and a.mode == "swift2024" for a in accs):
        out.append(Statement("bbh 得分受评测程序缺陷影响（多选题永远判错），不代表模型能力，未参与判定；"
                             "须按修正版口径重测。", "4"))
    missing = [v.label for v in results.variants if v.accuracy and not v.serving]
    if missing:
        out.append(Statement(f"{'、'.join(missing)} 只评测了精度，未测性能。", "4"))
    return out


def conclusion_verdicts(results: Results, findings: list[Finding]) -> Conclusion:
    """Every verdict of the 结论, from the results and this render's findings."""
    base = baseline(results.variants)
    accuracy = variant_accuracy(results, findings)
    by_label = {va.label: va for va in accuracy}
    variants = [
        VariantVerdicts(v, performance_verdict(v, base, findings), by_label[v.label], functional_verdict(v))
        for v in results.variants if v.serving or v.accuracy or v.functional_check
    ]
    measured = [(v, c) for v in results.variants for c in v.serving if c.metrics is not None]
    usable = sum(1 for v, c in measured if cell_status(findings, v.label, c.key) in ("VALID", "WARNING"))
    return Conclusion(
        base=base, variants=variants, accuracy=accuracy, checks=embedding_verdict(results),
        remeasure=remeasure(results, findings), limits=limits(results), cells=len(measured), usable_cells=usable,
        identity=identity(findings),
    )
