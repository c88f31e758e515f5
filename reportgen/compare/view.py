"""Comparison -> document view: everything ``templates/compare.md.j2`` shows, as strings.

All arithmetic happened in ``reportgen.compare.model``; here numbers are formatted the way
the evaluation document formats them (``reportgen.report.formatting``): latencies in ms and
throughput in tok/s with two decimals, accuracy in percent, differences in percentage points,
ratios as ``2.00×``. A ratio that has no value says why; one from a doubtful cell says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.compare.charts import chart_plan
from reportgen.compare.model import CaseRow, Comparison
from reportgen.compare.notes import environment_rows
from reportgen.compare.texts import (
    BETTER,
    METRIC_ZH,
    NO_PARTNER,
    acc_delta_text,
    acc_point_text,
    case_line,
    case_text,
    ratio_text,
    source_label,
    status_text,
    summary_text,
    value_text,
)
from reportgen.embedding_text import mode_name
from reportgen.report import formatting as fmt
from reportgen.report.capacity_view import slo_zh
from reportgen.report.cover_view import period_text, signature_rows
from reportgen.report.findings_view import finding_totals
from reportgen.report.view import Table

TITLE = "算力卡推理对比评测"


@dataclass
class SectionTable:
    caption: str | None
    table: Table


@dataclass
class CompareView:
    title: str
    cover: Table
    baseline: str
    definition: str  # how ratios read
    headline: Table | None
    headline_notes: list[str]
    key_points: list[str]
    winners: Table | None
    winners_missing: str | None
    notes_pointer: str
    environment: Table | None
    environment_notes: list[str]
    performance: list[SectionTable]
    performance_notes: list[str]
    performance_missing: str | None
    energy: Table | None
    capacity: Table | None
    charts: list[tuple[str, str]]
    frontier: Table | None  # every file's frontier read at the baseline's interactivity levels (compare.frontier)
    frontier_notes: list[str]
    accuracy: Table | None
    accuracy_notes: list[str]
    consistency: Table | None
    consistency_notes: list[str]
    embedding: Table | None
    embedding_throughput: Table | None
    embedding_missing: str | None
    embedding_throughput_missing: str | None
    comparability: list[str]
    sources: Table
    glossary: Table
    extra: dict[str, object] = field(default_factory=dict)


def _cover(c: Comparison) -> Table:
    models: list[str] = []
    for r in c.cases:
        if r.model and r.model not in models:
            models.append(r.model)
    for s in c.sources:
        m = s.results.subject.model
        if m and m not in models:
            models.append(m)
    # each card's period worded as its own evaluation document words it
    periods = [f"{s.label}：{period_text(s.results)}" for s in c.sources]
    rows = [
        ["对比加速卡", "、".join(source_label(s, c) for s in c.sources)],
        ["模型", "、".join(models) or "未记录"],
        ["评测时间", "\n".join(periods)],
        *signature_rows(c.base.results.subject),
    ]
    return Table(["项目", "内容"], rows)


def _headline(c: Comparison) -> tuple[Table | None, list[str]]:
    if not c.headlines:
        return None, []
    others = c.others()
    rows: list[list[str]] = []
    by_source = {h.source: h for h in c.headlines}
    rows.append(["同条件用例（可计算比值 / 双方共有）"] + [f"{by_source[s.index].usable} / {by_source[s.index].matched}" for s in others])
    rows.append(["仅本卡测量的用例"] + [str(by_source[s.index].unmatched) for s in others])
    for name in ("output_tps", "ttft_mean_ms", "tpot_mean_ms"):
        better = "大于 1 更好" if name == "output_tps" else "小于 1 更好"
        rows.append([f"{METRIC_ZH[name]} 比值（{better}）"] + [summary_text(by_source[s.index].metrics[name]) for s in others])
    rows.append(["逐点胜负（胜 / 负 / 持平，按 TPS）"] + [
        f"{by_source[s.index].wins} / {by_source[s.index].losses} / {by_source[s.index].ties}" for s in others])
    for name in ("tokens_per_joule", "tps_per_tdp_w"):
        if any(by_source[s.index].metrics[name].n for s in others):
            rows.append([f"{METRIC_ZH[name]} 比值（大于 1 更好）"] + [summary_text(by_source[s.index].metrics[name]) for s in others])
    if c.capacity:
        cells = []
        for s in others:
            parts = [f"{r.kind}，{slo_zh(dict(r.slo))}：{ratio_text(r.ratios[s.index])}"
                     for r in c.capacity if r.ratios[s.index].value is not None]
            cells.append("\n".join(parts) or "无同 SLO 的容量结果")
        rows.append(["同 SLO 下的容量比值（大于 1 更好）"] + cells)
    acc_cells = []
    for s in others:
        parts = []
        for row in c.accuracy:
            d = row.deltas[s.index]
            if d is not None and d.value is not None:
                iv = f"（95% 区间 {fmt.points(d.interval[0])}～{fmt.points(d.interval[1])}）" if d.interval else ""
                parts.append(f"{row.benchmark}（{row.kind}）{fmt.points(d.value)} 百分点{iv}")
        acc_cells.append("\n".join(parts) or "无可比的精度结果")
    if c.accuracy:
        rows.append(["精度差值（本卡 − 基准卡）"] + acc_cells)
    notes = [
        "比值为几何平均，括号内为逐用例比值的范围；只计入双方均非无效的同条件用例。",
    ]
    return Table(["指标（本卡 ÷ 基准卡）"] + [s.label for s in others], rows), notes


def _key_points(c: Comparison) -> list[str]:
    """One sentence per compared card: what a signer reads first."""
    lines = []
    base = c.base.label
    for h in c.headlines:
        s = c.sources[h.source]
        tps, ttft, tpot = (h.metrics[m] for m in ("output_tps", "ttft_mean_ms", "tpot_mean_ms"))
        if tps.geomean is None:
            why = "双方没有同条件用例" if not h.matched else f"{h.matched} 个同条件用例中至少一方无效"
            lines.append(f"{s.label}：与 {base} 没有可计算比值的性能用例（{why}），性能不作结论。")
            continue
        text = (f"{s.label}：在 {tps.n} 个可比用例上，输出吞吐为 {base} 的 {fmt.ratio(tps.geomean)}"
                f"（几何平均），TTFT 为 {fmt.ratio(ttft.geomean) if ttft.geomean is not None else '—'}，"
                f"TPOT 为 {fmt.ratio(tpot.geomean) if tpot.geomean is not None else '—'}；"
                f"逐点胜 {h.wins}、负 {h.losses}、持平 {h.ties}")
        if h.matched > h.usable:
            text += f"；另有 {h.matched - h.usable} 个同条件用例因数据无效未比较"
        if tps.doubtful:
            text += f"；{tps.doubtful} 个比值来自存疑用例"
        lines.append(text + "。")
    return lines


def _winners(c: Comparison) -> tuple[Table | None, str | None]:
    rows = []
    for r in c.cases:
        present = [p for p in r.points if p is not None]
        if len(present) < 2:
            continue
        usable = sorted(((p.values["output_tps"] or 0.0, i) for i, p in enumerate(r.points) if p is not None and p.usable),
                        reverse=True)
        if r.winner is not None:
            best, second = usable[0][0], usable[1][0]
            who = c.sources[r.winner].label + ("（存疑）" if r.winner_doubtful else "")
            margin = fmt.ratio(best / second) if second else "—"
        elif r.tie:
            tied = [c.sources[i].label for _, i in usable[:2]]
            who, margin = f"持平（{'与'.join(tied)} 的 TPS 相差不足 1%）", "—"
        else:
            invalid = [c.sources[i].label for i, p in enumerate(r.points) if p is not None and not p.usable]
            who, margin = "无法判定（" + "、".join(invalid) + " 的用例无效）", "—"
        rows.append([r.model, r.key.kind, case_line(r.key), who, margin])
    if not rows:
        return None, "没有两张卡都测量的同条件用例，无法逐点判定胜负（原因见“可比性说明”）。"
    return Table(["模型", "版本", "用例（负载；输入/输出长度）", "胜者（输出吞吐 TPS 最高）", "领先倍数（TPS）"], rows), None


def _performance(c: Comparison) -> tuple[list[SectionTable], Table | None]:
    groups: dict[tuple[str, str], list[CaseRow]] = {}
    for r in c.cases:
        groups.setdefault((r.model, r.key.kind), []).append(r)
    tables = []
    energy_rows = []
    has_energy = any(p is not None and (p.values.get("tokens_per_joule") or p.values.get("tps_per_tdp_w"))
                     for r in c.cases for p in r.points)
    for (model, kind), rows in groups.items():
        out = []
        for r in rows:
            for s in c.sources:
                p = r.points[s.index]
                if p is None:
                    continue
                partnered = any(q is not None for i, q in enumerate(r.points) if i != c.baseline)
                if s.index == c.baseline:
                    ratios = ["基准" if partnered else NO_PARTNER] * 3
                else:
                    ratios = [ratio_text(r.ratios[s.index][m]) for m in ("output_tps", "ttft_mean_ms", "tpot_mean_ms")]
                out.append([case_text(r.key), source_label(s, c), value_text(p, "output_tps"), value_text(p, "ttft_mean_ms"),
                            value_text(p, "tpot_mean_ms"), value_text(p, "ttft_p99_ms"), status_text(p), *ratios])
                if has_energy:
                    eratios = ["基准"] * 2 if s.index == c.baseline else [
                        ratio_text(r.ratios[s.index][m]) for m in ("tokens_per_joule", "tps_per_tdp_w")]
                    energy_rows.append([f"{model} {kind}\n" + case_text(r.key), source_label(s, c), value_text(p, "tokens_per_joule"),
                                        value_text(p, "tps_per_tdp_w"), status_text(p), *eratios])
        headers = ["用例", "加速卡", "TPS (tok/s)", "TTFT 均值 (ms)", "TPOT 均值 (ms)", "TTFT P99 (ms)", "有效性",
                   "TPS 比值", "TTFT 比值", "TPOT 比值"]
        tables.append(SectionTable(f"{model} · {kind}", Table(headers, out)))
    energy = None
    if energy_rows:
        energy = Table(["用例", "加速卡", "每焦耳输出词元数 (token/J)", "每瓦 TDP 输出吞吐 (tok/s/W)", "有效性",
                        "token/J 比值", "tok/s/W 比值"], energy_rows)
    return tables, energy


def _capacity(c: Comparison) -> Table | None:
    if not c.capacity:
        return None
    rows = []
    for r in c.capacity:
        slo = slo_zh(dict(r.slo))  # worded as the evaluation document words it (3.5, 结论)
        case = (f"{r.model} {r.kind}\n输入 {r.input_len} / 输出 {r.output_len} 词元，按{'并发数' if r.by == 'concurrency' else '请求速率'}搜索"
                f"\n延迟要求：{slo}")
        for s in c.sources:
            v = r.values[s.index]
            if v == "absent":
                continue
            value = "在最小负载下即未满足 SLO" if v is None else fmt.compact(v)
            rows.append([case, source_label(s, c), value, "基准" if s.index == c.baseline else ratio_text(r.ratios[s.index])])
    return Table(["条件", "加速卡", "容量（满足 SLO 的最大并发或速率）", "容量比值"], rows)


def _accuracy(c: Comparison) -> tuple[Table | None, list[str]]:
    if not c.accuracy:
        return None, []
    headers = ["版本", "基准"] + [source_label(s, c) for s in c.sources] + [f"{s.label} − 基准卡" for s in c.others()]
    rows = []
    for row in c.accuracy:
        rows.append([row.kind, row.benchmark] + [acc_point_text(p) for p in row.points]
                    + [acc_delta_text(row.deltas[s.index]) for s in c.others()])
    notes = [
        "得分为答对题数占比（micro 平均）；95% 区间为 Wilson 二项区间，差值的区间为 Newcombe 混合得分区间（两次评测相互独立）。",
        "差值只在模型、评分口径与样本数均相同时计算；否则标为“不可比”，原因见“可比性说明”。",
    ]
    return Table(headers, rows), notes


def _consistency(c: Comparison) -> tuple[Table | None, list[str]]:
    from reportgen.consistency.verdict import kl_text, pct

    if not c.consistency:
        return None, []
    rows = []
    differ = []
    for row in c.consistency:
        cells = []
        for p in row.points:
            if p is None:
                cells.append("未测")
                continue
            s = p.verdict.summary
            text = f"{p.verdict.judgement.verdict_zh}（{p.label}）"
            if s is not None and s.prompts and row.same_reference:
                text += (f"\ntop-1 一致率 {pct(s.top1 or 0.0)}，平均 KL {kl_text(s.kl_mean or 0.0)}"
                         f"\n完全一致率 {pct(s.exact or 0.0)}，首词元一致率 {pct(s.first_token or 0.0)}")
            if p.verdict.batch is not None:
                text += f"\n批大小 {p.verdict.batch.batch_size} 的批次不变性：{p.verdict.batch.judgement.verdict_zh}"
            text += f"\n参考：{p.verdict.reference}"
            cells.append(text)
        if not row.same_reference:
            differ.append(row.kind)
        rows.append([row.kind, *cells])
    notes = ["各卡逐词元对照同一参考卡记录的输出（见各自评测文档的“与参考卡输出一致性”一节），判定各按其精度的阈值。"]
    if differ:
        notes.append(f"{'、'.join(differ)}：各文件使用的参考不同，只列出各自的判定，不并列数值。")
    return Table(["版本", *[source_label(s, c) for s in c.sources]], rows), notes


def _embedding(c: Comparison) -> tuple[Table | None, Table | None, str | None]:
    if not c.embeddings:
        return None, None, None
    rows = []
    for er in c.embeddings:
        cells = []
        for p in er.points:
            if p is None:
                cells.append("未测")
            else:
                text = "\n".join(f"{mode_name(m)}：{word}" for m, (word, _) in zip(p.modes, p.verdicts))
                if p.errors:
                    text += f"\n{p.errors} 项测试未完成"
                cells.append(text)
        rows.append([er.model, "向量" if er.kind == "embedding" else "重排序", *cells])
    table = Table(["模型", "类型"] + [source_label(s, c) for s in c.sources], rows)
    tput = None
    shared = [t for t in c.embedding_throughput if sum(v is not None for v in t.values) >= 2]
    if shared:
        trows = []
        for t in shared:
            values = [fmt.number(v, 2) if v is not None else "未测" for v in t.values]
            ratios = [ratio_text(t.ratios[s.index]) for s in c.others()]
            trows.append([t.model, t.text_kind, str(t.batch_size), *values, *ratios])
        tput = Table(["模型", "文本", "批大小"] + [source_label(s, c) for s in c.sources]
                     + [f"{s.label} 比值" for s in c.others()], trows)
    return table, tput, None if shared else "没有两张卡在相同文本与批大小下测试的同一模型，吞吐不作对比（各卡的吞吐见各自的评测文档）。"


def _environment(c: Comparison) -> tuple[Table | None, list[str]]:
    rows = []
    for r in environment_rows(c.sources):
        rows.append([r.label, *r.texts, "不同" if r.differs else "相同"])
    if not rows:
        return None, []
    notes = ["“不同”表示各文件记录的值不一致（或有文件未记录）；加速卡本身不同是对比的目的，其余不同项的影响见“可比性说明”。"]
    return Table(["项目"] + [source_label(s, c) for s in c.sources] + ["差异"], rows), notes


def _sources(c: Comparison) -> Table:
    rows = []
    for s in c.sources:
        r = s.results
        n_cells = sum(len(v.serving) for v in r.variants)
        n_acc = sum(len(v.accuracy) for v in r.variants)
        errors, warnings, notes = finding_totals(r, s.findings)
        rows.append([
            source_label(s, c), s.name, f"{r.tool.name} {r.tool.version}（schema v{r.schema_version}）",
            f"{n_cells} 个性能用例、{n_acc} 项精度结果、{len(r.embeddings)} 项向量/重排序测试",
            f"错误 {errors} 项、警告 {warnings} 项" + (f"、提示 {notes} 项" if notes else ""),
        ])
    return Table(["加速卡", "结果文件", "写入工具", "内容", "有效性检查"], rows)


_DEFINITIONS = {
    "output_tps": "输出词元总数 ÷ 测试时长 (tok/s)",
    "ttft_mean_ms": "各请求首词元延迟的均值 (ms)",
    "tpot_mean_ms": "各请求每输出词元时间（不含首词元）的均值 (ms)",
    "tokens_per_joule": "输出词元总数 ÷ 测试时长内加速卡总能耗（由 SMI 功耗采样积分）",
    "tps_per_tdp_w": "TPS ÷（单卡 TDP × 加速卡数量）",
}


def _glossary() -> Table:
    rows = [[METRIC_ZH[m], d, f"本卡 ÷ 基准卡，{BETTER[m in ('output_tps', 'tokens_per_joule', 'tps_per_tdp_w')]}"]
            for m, d in _DEFINITIONS.items()]
    rows += [
        ["容量", "容量搜索得到的、满足全部 SLO 限值的最大并发数（或请求速率）", "本卡 ÷ 基准卡，大于 1 更好"],
        ["精度差值", "本卡得分 − 基准卡得分（百分点）", "大于 0 表示本卡得分更高"],
        ["同条件用例", "模型、版本（FP16、GPTQ-Int4 等）、批大小或请求速率、输入/输出长度与数据集均相同的性能用例", "—"],
        ["有效性", "与评测文档“数据有效性检查”相同的结论（见第 1 节对比值的约定）", "—"],
    ]
    return Table(["术语", "定义", "比值与方向"], rows)


def build_compare_view(c: Comparison) -> CompareView:
    from reportgen.compare.frontier import compare_frontier_table

    headline, headline_notes = _headline(c)
    winners, winners_missing = _winners(c)
    frontier_table, frontier_notes = compare_frontier_table(c)
    performance, energy = _performance(c)
    env, env_notes = _environment(c)
    acc, acc_notes = _accuracy(c)
    cons, cons_notes = _consistency(c)
    emb, emb_tput, emb_tput_missing = _embedding(c)
    emb_missing = None if emb is not None else fmt.missing("not_collected", "各结果文件中均没有向量或重排序模型测试")
    base = c.base.label
    definition = (
        f"本文以 {base} 为基准卡，对比 {'、'.join(s.label for s in c.others())}。所有比值均为“本卡 ÷ 基准卡”："
        "吞吐类指标（TPS、每焦耳输出词元数、每瓦 TDP 输出吞吐、容量）大于 1 表示本卡更好；"
        "延迟类指标（TTFT、TPOT）小于 1 表示本卡更好。无效用例照常列出并标明，但不参与任何比值；"
        "存疑用例参与计算，其比值标为存疑。"
    )
    comparability = [n.zh if n.zh.endswith("。") else n.zh + "。" for n in c.notes]
    pointer = (f"比较条件有 {len(comparability)} 项不完全相同，逐项见第 6 节“可比性说明”。" if comparability
               else "各文件的模型、长度、版本与设置一致，未发现影响比较的差异（见第 6 节）。")
    perf_notes = [
        "TPS 为输出词元吞吐；TTFT、TPOT 为各请求的均值，P99 为第 99 百分位。同一用例的多次重复取非无效各次的平均。",
        f"“{NO_PARTNER}”表示基准卡没有同条件用例，该行只列出、不比较。",
    ]
    return CompareView(
        title=TITLE,
        cover=_cover(c),
        baseline=base,
        definition=definition,
        headline=headline,
        headline_notes=headline_notes,
        key_points=_key_points(c),
        winners=winners,
        winners_missing=winners_missing,
        notes_pointer=pointer,
        environment=env,
        environment_notes=env_notes,
        performance=performance,
        performance_notes=perf_notes,
        performance_missing=None if c.cases else fmt.missing("not_collected", "各结果文件中均没有性能测试用例"),
        energy=energy,
        capacity=_capacity(c),
        charts=chart_plan(c),
        frontier=frontier_table,
        frontier_notes=frontier_notes,
        accuracy=acc,
        accuracy_notes=acc_notes,
        consistency=cons,
        consistency_notes=cons_notes,
        embedding=emb,
        embedding_throughput=emb_tput,
        embedding_missing=emb_missing,
        embedding_throughput_missing=emb_tput_missing,
        comparability=comparability,
        sources=_sources(c),
        glossary=_glossary(),
    )
