"""The 结论 page: what a manager signs, computed from the results and this render's findings.

``conclusion(results, findings)`` returns structured statements (``ConclusionView``); the
template ``sections/conclusion.md.j2`` lays them out right after the cover. Nothing here is
hard-coded per sample: every verdict comes from ``cell_status`` (performance), the accuracy
verdicts (``accuracy_verdict``), the functional checks and the embedding/reranker checks.

``extra`` is the hook for statements other modules add (for example a capacity statement
per variant): pass them as ``conclusion(..., extra=[Statement(...)])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen import metrics
from reportgen.report import causes
from reportgen.report import formatting as fmt
from reportgen.report.accuracy_verdict import variant_accuracy
from reportgen.report.checks_view import embedding_verdict, functional_verdict
from reportgen.results import Finding, ModelVariant, Results, ServingCell
from reportgen.validity import cell_findings, cell_order, cell_status
from reportgen.variant_roles import baseline, is_quantized

STATUS_ZH = {"VALID": "有效", "INVALID": "无效", "WARNING": "存疑"}


@dataclass(frozen=True)
class Statement:
    """One sentence of the conclusion and the section it rests on ("3.4"; None: none)."""

    text: str
    section: str | None = None


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
class RemeasureGroup:
    cause: str  # plain words
    cells: str  # "FP16 批大小 1、2；GPTQ-Int4 批大小 1、2、4、8"
    remedy: str
    severity: str = "error"  # "error": the cells must be re-measured; "warning": usable, to be reviewed


@dataclass
class ConclusionView:
    headline: list[Statement]
    variants: list[VariantConclusion]
    checks: list[Statement]  # embedding / reranker
    remeasure: list[RemeasureGroup]
    limits: list[Statement]
    extra: list[Statement] = field(default_factory=list)


def _slo_met(c: ServingCell) -> bool:
    """The plan's latency limits ("ttft_p99_ms" -> limit), where the cell has them."""
    m = c.metrics
    if m is None or not c.slo:
        return True
    for key, limit in c.slo.items():
        parts = key.split("_")
        if len(parts) != 3 or parts[2] != "ms":
            continue
        stats = getattr(m, f"{parts[0]}_ms", None)
        value = getattr(stats, parts[1], None) if stats is not None else None
        if value is None and stats is not None:
            value = stats.percentiles.get(parts[1])
        if isinstance(value, (int, float)) and value > limit:
            return False
    return True


def operating_point(v: ModelVariant, findings: list[Finding], *, allow: tuple[str, ...] = ("VALID",)) -> ServingCell | None:
    """The largest batch whose cell is VALID (``allow``: the statuses accepted) and within the
    plan's latency limits."""
    ok = [c for c in v.serving if c.metrics is not None and c.metrics.completed
          and cell_status(findings, v.label, c.key) in allow and _slo_met(c)]
    closed = [c for c in ok if c.request_rate is None]
    if closed:  # the seed's operating point is a batch size; open-loop cells only where there is none
        return max(closed, key=lambda c: (c.batch_size, -c.input_len, -c.output_len))
    return max(ok, key=lambda c: (c.request_rate or 0.0, -c.input_len, -c.output_len)) if ok else None


def _cells_text(cells: list[ServingCell]) -> str:
    """「批大小 1、2、4」, 「1、2 请求/秒」, or both: the cells a statement is about, by their load."""
    batches = sorted({c.batch_size for c in cells if c.request_rate is None})
    rates = sorted({c.request_rate for c in cells if c.request_rate is not None})
    parts = [f"批大小 {'、'.join(map(str, batches))}"] if batches else []
    if rates:
        parts.append(f"{'、'.join(f'{r:g}' for r in rates)} 请求/秒")
    return "，".join(parts)


def _variant(results: Results, v: ModelVariant, base: ModelVariant | None, findings: list[Finding],
             accuracy: dict[str, str], functional: str) -> VariantConclusion:
    cells = sorted(v.serving, key=cell_order)
    measured = [c for c in cells if c.metrics is not None]
    status = {id(c): cell_status(findings, v.label, c.key) for c in measured}
    valid = [c for c in measured if status[id(c)] == "VALID"]
    warn = [c for c in measured if status[id(c)] == "WARNING"]
    bad = [c for c in measured if status[id(c)] == "INVALID"]
    dash = "—"
    if not measured:
        usable, detail = "未测", "没有性能测试结果"
    elif not valid and not warn:
        usable, detail = "不可用", f"{len(measured)} 个用例全部无效"
    elif not valid and not bad:
        usable, detail = "可用但存疑", f"{len(measured)} 个用例全部存疑（只有警告），数值可用但须复核"
    elif bad or warn:
        usable = "部分可用"
        parts = [f"{len(valid)} 个有效"] if valid else []
        if warn:
            parts.append(f"{len(warn)} 个存疑（{_cells_text(warn)}）")
        if bad:
            parts.append(f"{len(bad)} 个无效（{_cells_text(bad)}）")
        detail = f"{len(measured)} 个用例中 " + "、".join(parts)
    else:
        usable, detail = "可用", f"{len(measured)} 个用例全部有效"
    op = operating_point(v, findings)
    doubtful = False
    if op is None:
        op, doubtful = operating_point(v, findings, allow=("WARNING",)), True
    if op is None or op.metrics is None:
        point = tps = tpot = ttft = speed = dash
        if measured:
            point = "无（没有有效用例）"
    else:
        m = op.metrics
        point = f"{fmt.cell_name(op.key)}（{'存疑用例中最大，没有有效用例' if doubtful else '有效用例中最大'}）"
        tps = f"{m.output_throughput:.2f} tok/s"
        tpot = f"{m.tpot_ms.mean:.2f} ms" if m.tpot_ms.mean is not None else dash
        ttft = f"{m.ttft_ms.mean:.2f} ms" if m.ttft_ms.mean is not None else dash
        speed = dash
    if base is None or v is base:
        speed = "基准" if v is base and measured else dash
    elif is_quantized(v):
        # The speedup at the largest batch where both this cell and the baseline's are VALID.
        def pairs_of(ok: tuple[str, ...]) -> list[tuple[ServingCell, ServingCell]]:
            out = []
            for c in measured:
                if status[id(c)] not in ok:
                    continue
                bc = next((b for b in base.serving if b.key.case() == c.key.case()), None)  # the same load and lengths
                if bc is not None and bc.metrics is not None and cell_status(findings, base.label, bc.key) in ok:
                    out.append((c, bc))
            return out

        pairs, note = pairs_of(("VALID",)), ""
        if not pairs:
            pairs, note = pairs_of(("VALID", "WARNING")), "，存疑"
        if pairs:
            c, bc = max(pairs, key=lambda p: (p[0].request_rate is None, p[0].batch_size, p[0].request_rate or 0.0))
            assert c.metrics is not None and bc.metrics is not None
            s = metrics.speedup(bc.metrics.output_throughput, c.metrics.output_throughput, True)
            speed = f"{s:.2f}×（{fmt.cell_name(c.key)}{note}）" if s is not None else dash
        else:
            speed = "无法给出（没有两者都可用的同条件用例）" if measured else dash
    return VariantConclusion(
        label=v.label, usable=usable, usable_detail=detail, operating_point=point, tps=tps, tpot=tpot, ttft=ttft,
        speedup=speed, accuracy=accuracy.get(v.label, "未测"), functional=functional,
        has_operating_point=op is not None and op.metrics is not None,
    )


def _remeasure(results: Results, findings: list[Finding]) -> list[RemeasureGroup]:
    """Non-valid cells grouped by cause, in the order causes first appear."""
    groups: dict[tuple[str, str], tuple[causes.Cause, dict[str, list[ServingCell]], list[int]]] = {}
    for v in results.variants:
        for c in sorted(v.serving, key=cell_order):
            if c.metrics is None:
                continue
            for f in cell_findings(findings, v.label, c.key):
                cause = causes.cause_of(f)
                if f.severity != "error" and cell_status(findings, v.label, c.key) == "INVALID":
                    continue  # the cell is re-measured for its errors anyway
                entry = groups.setdefault((f.severity, cause.key), (cause, {}, []))
                mine = entry[1].setdefault(v.label, [])
                if c not in mine:
                    mine.append(c)
                if c.input_len not in entry[2]:
                    entry[2].append(c.input_len)
    out = []
    # The cause that spoils the most cells first.
    order = ["short_output", "percentiles", "throughput", "ttft_short", "timing"]
    ordered = sorted(groups.items(), key=lambda kv: (
        kv[0][0] != "error", -sum(len(cs) for cs in kv[1][1].values()),
        order.index(kv[1][0].key) if kv[1][0].key in order else len(order)))
    for (severity, _), (cause, by_variant, inputs) in ordered:
        words = cause.zh
        if cause.key == "ttft_short" and inputs:
            words = "TTFT 短得不可能：" + "、".join(str(n) for n in inputs) + " 词元的输入在这么短的时间内无法完成预填充"
        if cause.key == "short_output":
            words = _short_output_words(by_variant)
        cells = "；".join(f"{label} {_cells_text(cs)}" for label, cs in by_variant.items())
        out.append(RemeasureGroup(cause=words, cells=cells, remedy=cause.remedy, severity=severity))
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


def _limits(results: Results, findings: list[Finding]) -> list[Statement]:
    out: list[Statement] = []
    cells = [c for v in results.variants for c in v.serving]
    if cells:
        shapes = sorted({(c.input_len, c.output_len) for c in cells})
        if len(shapes) == 1:
            out.append(Statement(f"性能只测了一种输入、输出长度（{shapes[0][0]} / {shapes[0][1]} 词元），"
                                 f"{_cells_text(cells)}；其他长度与并发下的表现未测。", "3.1"))
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
                             "须用修正版评测重测。", "4"))
    missing = [v.label for v in results.variants if v.accuracy and not v.serving]
    if missing:
        out.append(Statement(f"{'、'.join(missing)} 只评测了精度，未测性能。", "4"))
    return out


def conclusion(results: Results, findings: list[Finding], *, extra: list[Statement] | None = None) -> ConclusionView:
    """The conclusion of the document, from the results and this render's findings."""
    base = baseline(results.variants)
    acc = {va.label: va.text for va in variant_accuracy(results)}
    variants = [v for v in results.variants if v.serving or v.accuracy or v.functional_check]
    rows = [_variant(results, v, base, findings, acc, functional_verdict(v)[1]) for v in variants]
    headline: list[Statement] = []
    n_cells = sum(1 for v in results.variants for c in v.serving if c.metrics is not None)
    n_valid = sum(1 for v in results.variants for c in v.serving
                  if c.metrics is not None and cell_status(findings, v.label, c.key) in ("VALID", "WARNING"))
    if n_cells and n_valid == 0:
        headline.append(Statement(
            f"性能：{n_cells} 个性能用例没有一个可以使用，"
            f"{'、'.join(r.label for r in rows if r.usable != '未测')} 的性能结论都不能成立，须按下文重测。", "3.4"))
    elif n_cells:
        for r in rows:
            if r.usable == "未测":
                continue
            if r.has_operating_point:
                headline.append(Statement(
                    f"{r.label} 性能数据{r.usable}（{r.usable_detail}）；推荐工作点 {r.operating_point}：TPS {r.tps}，"
                    f"TPOT {r.tpot}，TTFT {r.ttft}" + (f"；相对 {base.label} 的加速比 {r.speedup}" if base and r.label != base.label and r.speedup not in ('—',) else "") + "。",
                    "3.4"))
            else:
                headline.append(Statement(f"{r.label} 性能数据{r.usable}（{r.usable_detail}），没有可用的工作点。", "3.4"))
    else:
        headline.append(Statement("未进行性能测试。", None))
    for va in variant_accuracy(results):
        if va.verdict in ("通过", "未通过", "未判定") and va.rows:
            headline.append(Statement(f"{va.label} 精度{va.text}。", "4"))
    checks = [Statement(text, section) for text, section in embedding_verdict(results)]
    return ConclusionView(
        headline=headline,
        variants=rows,
        checks=checks,
        remeasure=_remeasure(results, findings),
        limits=_limits(results, findings),
        extra=list(extra or []),
    )
