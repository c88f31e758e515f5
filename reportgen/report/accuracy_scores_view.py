"""Section 4 (accuracy): the scores of each variant and the comparison table.

The verdicts, run summary and per-subject appendix are in ``reportgen.report.accuracy_view``.
"""

from __future__ import annotations

from reportgen.reference_scores import (
    BBH_ITEMS,
    BBH_MULTIPLE_CHOICE_ITEMS,
    BBH_MULTIPLE_CHOICE_TASKS,
    BBH_SWIFT2024_CEILING,
    BBH_SWIFT2024_CEILING_ITEMS,
    published_references,
)
from reportgen.report import formatting as fmt
from reportgen.report.charts import accuracy_chart_plan
from reportgen.report.provenance import run_command
from reportgen.report.view_helpers import UNRECORDED, model_name
from reportgen.report.view_types import AccuracyVariantView, AccuracyView, Table
from reportgen.results import AccuracyResult, Finding, ModelVariant, Results
from reportgen.variant_roles import BENCHMARK_ORDER, MODE_ZH, baseline, bench_key, is_quantized


def _unique(items: list[str]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x and x not in out:
            out.append(x)
    return out


def _accuracy_variant(results: Results, number: str, model: str, v: ModelVariant, base: ModelVariant | None) -> AccuracyVariantView:
    results_sorted = sorted(v.accuracy, key=lambda a: bench_key(a.benchmark))
    benches = " ".join(_unique([a.benchmark for a in results_sorted]))
    if v is base:
        heading = f"{model}原始模型（{v.label}）{benches}评测"
    elif is_quantized(v):
        heading = f"{model}模型 {v.label} 量化 {benches}评测"
    else:
        heading = f"{model}模型 {v.label} {benches}评测"
    rows = []
    for a in results_sorted:
        n = str(a.n) if a.n is not None else UNRECORDED
        if a.n is not None and a.correct is not None:
            n = f"{a.correct}/{a.n}"
        if a.n is not None and a.n_planned is not None and a.n_planned != a.n:
            n += f"（计划 {a.n_planned}）"
        if a.n is None:
            n = "样本数未知"
        rows.append([
            a.benchmark,
            MODE_ZH.get(a.mode, a.mode),
            fmt.percent(a.score),
            n,
        ])
    return AccuracyVariantView(
        number=number,
        heading=heading,
        # its own command, else the run that scored it (``collect``)
        commands=_unique([a.command or (run_command(results, a.started_at) if a.source == "measured" else None) or ""
                          for a in results_sorted]),
        outputs=[],  # the evaluator's output as printed is in the appendix
        table=Table(["基准", "评分口径", "得分", "答对/样本数"], rows),
    )


def _numbers(variants: list[ModelVariant]) -> list[str]:
    """Section numbers in the seed's nesting: 4.1 the full-precision model, 4.2 the first quantized
    variant, and further quantized variants under it (4.2.1 AWQ, as the seed numbers it)."""
    out: list[str] = []
    top, first_quantized, sub = 0, None, 0
    for v in variants:
        if is_quantized(v) and first_quantized is not None:
            sub += 1
            out.append(f"{first_quantized}.{sub}")
            continue
        top += 1
        out.append(f"4.{top}")
        if is_quantized(v):
            first_quantized = out[-1]
    return out


def accuracy_scores_view(results: Results, findings: list[Finding] | None = None) -> AccuracyView:
    named = model_name(results)
    model = named or "模型"
    variants = [v for v in results.variants if v.accuracy]
    all_benches = _unique([a.benchmark for v in variants for a in sorted(v.accuracy, key=lambda a: bench_key(a.benchmark))])
    benches = " ".join(all_benches) if all_benches else " ".join(BENCHMARK_ORDER)
    heading = f"{named} 模型 {benches} 基准评测" if named else f"模型 {benches} 基准评测"
    if not variants:
        return AccuracyView(heading=heading, variants=[], comparison_number="4.1", comparison=None, notes=[],
                            missing=fmt.missing("not_collected", "没有精度评测结果"))
    base = baseline(results.variants)
    if base is not None and not base.accuracy:
        base = None
    numbers = _numbers(variants)
    views = [_accuracy_variant(results, numbers[i], model, v, base) for i, v in enumerate(variants)]

    refs = published_references(model)
    ordered = ([base] if base else []) + [v for v in variants if v is not base]
    headers = ["基准", "评分口径"]
    for v in ordered:
        headers.append(v.label)
        if base is not None and v is not base:
            headers.append(f"{v.label} − {base.label}（百分点）")
    headers.append("官方参考（BF16）")
    keys = sorted({(a.benchmark, a.mode) for v in variants for a in v.accuracy}, key=lambda k: (bench_key(k[0]), k[1]))

    def find(v: ModelVariant, key: tuple[str, str]) -> AccuracyResult | None:
        return next((a for a in v.accuracy if (a.benchmark, a.mode) == key), None)

    rows = []
    for key in keys:
        row = [key[0], MODE_ZH.get(key[1], key[1])]
        b = find(base, key) if base else None
        for v in ordered:
            a = find(v, key)
            row.append(fmt.percent(a.score if a else None))
            if base is not None and v is not base:
                if a and b and a.score is not None and b.score is not None:
                    row.append(fmt.points(a.score - b.score))
                else:
                    row.append(fmt.NOT_APPLICABLE)
        ref = refs.get(key[0])
        row.append(ref.text if ref else "未公布")
        rows.append(row)

    notes = ["得分为答对题数占比，以百分比表示；差值为相对 FP16 的百分点。"]
    if refs:
        notes.append("官方参考取自 Qwen2 技术报告、HF 模型卡与 Qwen 文档“量化模型性能”（贪心解码）：" + "；".join(
            f"{name}：{r.text}" + (f"（{r.quantized}）" if r.quantized else "") for name, r in refs.items()
        ) + "。评测设置（shot 数、提示词、抽取方式）不同，仅作量级参照。")
    if "bbh" in all_benches and any(a.benchmark == "bbh" and a.mode != "corrected" for v in variants for a in v.accuracy):
        notes.append(
            f"bbh：{MODE_ZH['swift2024']}的评测程序（llmuses 0.4）把 {len(BBH_MULTIPLE_CHOICE_TASKS)} 个多选任务的标准答案保留为带括号的“(A)”，"
            f"而从回答中抽取的答案为“A”，这些题（{BBH_MULTIPLE_CHOICE_ITEMS}/{BBH_ITEMS}，{BBH_MULTIPLE_CHOICE_ITEMS / BBH_ITEMS:.2%}）"
            f"几乎全部判错，得分上限为 {BBH_SWIFT2024_CEILING:.2%}（{BBH_SWIFT2024_CEILING_ITEMS}/{BBH_ITEMS}）。"
            f"因此该口径的 bbh 得分反映的是评测程序的缺陷而非模型能力，不参与量化精度判定；{MODE_ZH['corrected']}去掉括号后再比较。"
        )
    return AccuracyView(heading=heading, variants=views,
                        comparison_number=f"4.{sum(1 for n in numbers if n.count('.') == 1) + 1}", comparison=Table(headers, rows), notes=notes, missing=None,
                        charts=accuracy_chart_plan(results, findings))
