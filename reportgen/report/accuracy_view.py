"""Section 4 additions from the accuracy runs: the verdict per quantised variant
(``accuracy_verdict``: drop vs the model maker's published drop and the run's noise), a run summary (micro and macro, unparsed answers, settings) and per-subject appendix tables.

``accuracy_view(results)`` is pure: it returns strings ready for the template
(``templates/sections/accuracy_appendix.md.j2``); all arithmetic happens here.
"""

from __future__ import annotations

from typing import Any

from reportgen.results import AccuracyResult, ModelVariant, Results
from reportgen.variant_roles import MODE_ZH, bench_key
from reportgen.variant_roles import baseline as variant_baseline
from reportgen.verdicts.accuracy import pct, verdict_table

CATEGORY_ZH = {
    "STEM": "理工（STEM）",
    "Social Science": "社会科学",
    "Humanities": "人文",
    "Other": "其他",
    "multiple_choice": "多选",
    "free_form": "自由作答",
}


def baseline(results: Results) -> ModelVariant | None:
    """The FP16/BF16 variant that has accuracy results."""
    return variant_baseline(v for v in results.variants if v.accuracy)


def _score(x: float | None) -> str:
    """Every score in the document: percent with two decimals."""
    return pct(x)


def _pct(x: float | None) -> str:
    return "未记录" if x is None else f"{x * 100:.2f}%"


def _count(a: AccuracyResult) -> str:
    if a.n is None:
        return "未记录"
    text = f"{a.correct}/{a.n}" if a.correct is not None else str(a.n)
    if a.n_total is not None and a.n_planned is not None and a.n_planned < a.n_total:
        text += f"（抽样 {a.n_planned}/{a.n_total}）"
    return text


def _find(v: ModelVariant, benchmark: str, mode: str) -> AccuracyResult | None:
    return next((a for a in v.accuracy if a.benchmark == benchmark and a.mode == mode), None)


# columns of the verdict table that, when every row says the same, are said once above it instead
_SAID_ONCE = {"评分口径": "评分口径均为{}", "95% 区间": "的 95% 区间均为“{}”"}


def _constant_columns_out(headers: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]], list[str]]:
    """The verdict table without the columns whose every row holds the same value, and those
    values in words (said once in the rule above the table: ten narrow columns make its 依据
    column nine lines a cell)."""
    drop = [j for j, h in enumerate(headers) if h in _SAID_ONCE and len(rows) > 1 and len({r[j] for r in rows}) == 1]
    said = []
    for j in drop:
        value = rows[0][j]
        said.append("样本数均未知，无法计算 95% 区间" if value == "样本数未知" and headers[j] == "95% 区间"
                    else _SAID_ONCE[headers[j]].format(value))
    keep = [j for j in range(len(headers)) if j not in drop]
    return [headers[j] for j in keep], [[r[j] for j in keep] for r in rows], said


def verdict_rows(results: Results) -> list[list[str]]:
    """One row per (quantised variant, benchmark) that has a baseline score to compare."""
    return verdict_table(results)[1]


def _summary_row(v: ModelVariant, a: AccuracyResult) -> list[str]:
    unparsed = "未记录" if a.unparsed is None else str(a.unparsed)
    if a.unparsed is not None and a.n:
        unparsed += f"（{a.unparsed / a.n * 100:.1f}%）"
    return [
        v.label, a.benchmark, MODE_ZH.get(a.mode, a.mode), a.split or "未记录",
        "未记录" if a.shots is None else str(a.shots), _count(a), _score(a.score), _score(a.macro),
        unparsed, "未记录" if a.errors is None else str(a.errors), a.extractor or "未记录",
    ]


def _subset_table(a: AccuracyResult) -> list[list[str]]:
    rows = []
    for s in a.subsets:
        name = s.name if not s.label or s.label == s.name else f"{s.label}（{s.name}）"
        rows.append([
            name, CATEGORY_ZH.get(s.category or "", s.category or "—"), str(s.n), str(s.correct),
            _score(s.score) if s.n else "—", str(s.unparsed),
        ])
    return rows


def accuracy_view(results: Results) -> dict[str, Any]:
    """Everything the accuracy appendix template prints, as strings."""
    measured = [(v, a) for v in results.variants for a in v.accuracy if a.source == "measured"]
    measured.sort(key=lambda va: (results.variants.index(va[0]), bench_key(va[1].benchmark), va[1].mode))
    base = baseline(results)
    notes = [
        "micro = 答对题数 ÷ 已评分题数（EvalScope/llmuses、lm-eval 的口径）；macro = 各科目（任务）准确率的算术平均"
        "（OpenCompass 的口径）。未解析 = 抽取器未能从回答中读出答案的题数（计为答错）；请求失败的题不计分，"
        "可用 --resume 补测。",
    ]
    if any(a.mode == "swift2024" for _, a in measured):
        notes.append(f"{MODE_ZH['swift2024']}的得分按 llmuses 的方式保留 4 位小数；{MODE_ZH['corrected']}的题目与抽取方式相同，但去掉了已知缺陷。")
    appendix = []
    for v, a in measured:
        if not a.subsets:
            continue
        appendix.append({
            "title": f"{v.label} · {a.benchmark} · {MODE_ZH.get(a.mode, a.mode)}",
            "summary": f"micro {_score(a.score)}，macro {_score(a.macro)}，{_count(a)}",
            "headers": ["科目 / 任务", "类别", "题数", "答对", "准确率", "未解析"],
            "rows": _subset_table(a),
        })
    verdict_headers, verdict_body, same = _constant_columns_out(*verdict_table(results))
    rule = (
        f"判定方法：量化版本相对 {base.label if base else 'FP16'} 的降幅不超过模型厂商公布的同类量化降幅"
        "（公布值精确到 0.1 个百分点，允许 0.1 个百分点的舍入误差），或不超过本次评测的随机误差"
        "（两次得分之差的 95% 区间，由样本数按二项分布计算），即为通过；两者都无从比较时不作判定。"
        "已知受评测程序缺陷影响的得分不参与判定。"
    )
    if same:
        rule += "下表各行" + "，".join(same) + "。"
    return {
        "present": bool(measured),
        "any": any(v.accuracy for v in results.variants),  # imported scores without per-question detail count
        "baseline": base.label if base else None,
        "verdict_rule": rule,
        "verdict_headers": verdict_headers,
        "verdict_rows": verdict_body,
        "summary_headers": ["版本", "基准", "评分口径", "数据划分", "shot", "答对/题数", "micro", "macro", "未解析", "失败请求", "抽取器"],
        "summary_rows": [_summary_row(v, a) for v, a in measured],
        "notes": notes,
        "appendix": appendix,
    }
