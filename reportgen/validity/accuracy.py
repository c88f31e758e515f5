"""Accuracy rules: scores that add up, runs that finished, scores far from the published ones,
a known evaluator defect."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen import reference_scores as ref
from reportgen.results import AccuracyResult, ModelVariant, Results
from reportgen.validity.messages import Arg, Say, Term, items, say
from reportgen.validity.registry import Issue, Source, rule
from reportgen.variant_roles import MODE_ZH, model_key, variant_key

#: Accuracy: points (0-100) from a published reference or from the same model's full precision.
ACCURACY_REFERENCE_POINTS = 5.0
ACCURACY_PRECISION_POINTS = 5.0
#: Scores printed with 4 decimals (swift/llmuses) may differ from correct/n by this much.
SCORE_ROUNDING = 0.00005


def _mode(mode: str) -> Term:
    return Term(mode, MODE_ZH.get(mode, mode))


def _direction(gap: float) -> Term:
    return Term("below", "低") if gap < 0 else Term("above", "高")


@rule(
    "accuracy_consistency", family="accuracy", scope="variant", severity="error",
    description="score in [0, 1]; correct <= n; score = correct / n (within 4-decimal rounding); samples and subsets add up -> error",
    source=Source("ours", "arithmetic: a score is correct / n; 0.00005 is the rounding of 4 printed decimals"),
    remedy=("re-run the evaluation (or re-import its complete output); the figures do not come from one run",
            "重新评测（或重新导入完整的评测输出）：这些数值并非来自同一次评测"),
    title_zh="精度得分应与样本数、正确数一致",
)
def _accuracy_consistency(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        problems: list[Say] = []
        for name, val in ((Term("score", "得分"), a.score), (Term("macro", "macro 得分"), a.macro)):
            if val is not None and not 0.0 <= val <= 1.0:
                problems.append(say("accuracy_consistency.range", what=name, value=val))
        n, correct = a.n, a.correct
        if n is not None and correct is not None:
            if correct > n or correct < 0:
                problems.append(say("accuracy_consistency.correct", correct=correct, n=n))
            elif a.score is not None and n > 0 and abs(a.score - correct / n) > SCORE_ROUNDING + 1e-12:
                problems.append(say("accuracy_consistency.score", score=a.score, correct=correct, n=n, ratio=correct / n))
        if a.samples:
            scored = [s for s in a.samples if s.correct is not None]
            right = sum(1 for s in scored if s.correct)
            if n is not None and len(scored) != n:
                problems.append(say("accuracy_consistency.samples", scored=len(scored), n=n))
            if correct is not None and right != correct:
                problems.append(say("accuracy_consistency.samples_correct", right=right, correct=correct))
        if a.subsets and n is not None:
            sn = sum(s.n for s in a.subsets)
            sc_sum = sum(s.correct for s in a.subsets)
            if sn != n:
                problems.append(say("accuracy_consistency.subsets", total=sn, n=n))
            if correct is not None and sc_sum != correct:
                problems.append(say("accuracy_consistency.subsets_correct", total=sc_sum, correct=correct))
        if problems:
            yield Issue("error", say("accuracy_consistency", benchmark=a.benchmark, problems=items(problems)),
                        benchmark=a.benchmark)


@rule(
    "accuracy_incomplete", family="accuracy", scope="variant", severity="warning",
    description="fewer samples scored than planned (n < n_planned) -> warning",
    source=Source("ours", "a score over part of a benchmark is not the benchmark's score"),
    remedy=("finish the evaluation (collect --resume scores the remaining questions)", "补完评测（collect --resume 会继续评分其余题目）"),
    title_zh="评测样本应全部完成评分",
)
def _accuracy_incomplete(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.n is not None and a.n_planned is not None and a.n < a.n_planned:
            yield Issue("warning", say("accuracy_incomplete", benchmark=a.benchmark, n=a.n, planned=a.n_planned),
                        benchmark=a.benchmark)


def _settings(a: AccuracyResult) -> Arg:
    """"mode swift2024, 5-shot" / "评分模式：swift2024 兼容，5-shot"."""
    parts: list[Arg] = [say("accuracy_reference_gap.mode", mode=_mode(a.mode))]
    if a.shots is not None:
        parts.append(say("accuracy_reference_gap.shots", shots=a.shots))
    if a.split:
        parts.append(say("accuracy_reference_gap.split", split=a.split))
    return items(parts, "comma")


@rule(
    "accuracy_reference_gap", family="accuracy", scope="variant", severity="warning",
    description="score more than 5 points from the published figure for the same model and precision "
                "(reportgen/reference_scores.py, with sources) -> warning",
    source=Source("ours", "prompts, shots and answer extraction differ between harnesses by a few points; "
                          "beyond 5 the run or the model differs"),
    remedy=("check the model, the scoring mode and the data set against the published setting; re-evaluate if they differ",
            "核对模型、评分口径与数据集是否与官方设置一致；如不一致，重新评测"),
    title_zh="精度得分与官方公布值的差距不应超过 5 个百分点",
)
def _accuracy_reference_gap(v: ModelVariant) -> Iterator[Issue]:
    vk = variant_key(v)
    if vk is None:
        return
    mk = model_key(v)
    for a in v.accuracy:
        r = ref.reference_score(mk, vk, a.benchmark.lower())
        if r is None or a.score is None:
            continue
        gap = a.score * 100 - r.score_pct
        if abs(gap) > ACCURACY_REFERENCE_POINTS:
            yield Issue("warning", say("accuracy_reference_gap", benchmark=a.benchmark, score=a.score * 100,
                                       points=abs(gap), direction=_direction(gap), published=r.score_pct,
                                       source=Term(r.source, r.source_zh), settings=_settings(a)),
                        benchmark=a.benchmark)


@rule(
    "bbh_bracket_bug", family="accuracy", scope="variant", severity="warning",
    description="bbh scored in swift 2024 / llmuses 0.4.x mode (or of unknown mode at or below the 0.3746 ceiling): "
                "multiple-choice gold labels keep their brackets and never match, which caps the score at "
                "2439/6511 = 37.46 % -> warning",
    source=Source("ours", "llmuses 0.4.x keeps '(A)' in the gold labels of bbh's 17 multiple-choice tasks "
                          "(fixed in evalscope PR #306): the 2437 free-form items and the 2 lower-case multiple-choice "
                          "targets, 2439 / 6511 = 0.3746, are the ceiling"),
    remedy=("re-evaluate bbh in corrected mode", "以修正版口径重新评测 bbh"),
    title_zh="bbh 得分受 swift/llmuses 2024 版评分缺陷影响（多选题标准答案带括号，永不匹配）",
)
def _bbh_bracket_bug(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.benchmark.lower() != "bbh" or a.score is None or a.mode == "corrected":
            continue
        ceiling = ref.BBH_SWIFT2024_CEILING
        if a.mode != "swift2024" and a.score > ceiling + SCORE_ROUNDING:
            continue
        total = a.n if a.n else ref.BBH_ITEMS
        free = ref.BBH_FREE_FORM_ITEMS
        if a.subsets:
            free = sum(s.n for s in a.subsets if s.name not in ref.BBH_MULTIPLE_CHOICE_TASKS) or free
            total = sum(s.n for s in a.subsets) or total
        lead = say("bbh_bracket_bug.swift2024") if a.mode == "swift2024" else say("bbh_bracket_bug.ceiling")
        yield Issue("warning", say("bbh_bracket_bug", score=a.score * 100, lead=lead, mc=total - free, total=total,
                                   ceiling=ceiling * 100, ceiling_items=ref.BBH_SWIFT2024_CEILING_ITEMS,
                                   items=ref.BBH_ITEMS),
                    benchmark=a.benchmark)


@rule(
    "accuracy_precision_gap", family="accuracy", scope="results", severity="warning",
    description="a quantized variant's score more than 5 points from the same model's full-precision score on the "
                "same benchmark (names differing scoring modes) -> warning",
    source=Source("ours", "Qwen's own GPTQ-Int4 loses about 2-3 points on MMLU; MLPerf asks 99 % of the "
                          "reference; beyond 5 points the quantization or the run is suspect"),
    remedy=("evaluate both variants with the same mode and data set; check the quantized model's files",
            "以相同的评分口径与数据集评测两个版本，并核对量化模型文件"),
    title_zh="量化模型得分与同一模型原始精度得分的差距不应超过 5 个百分点",
)
def _accuracy_precision_gap(results: Results) -> Iterator[Issue]:
    bases: dict[str, ModelVariant] = {}
    for v in results.variants:
        if v.accuracy and variant_key(v) == "bf16":
            bases.setdefault(model_key(v), v)
    for v in results.variants:
        base = bases.get(model_key(v))
        if base is None or base is v or not v.accuracy:
            continue
        for a in v.accuracy:
            b = _matching(base.accuracy, a)
            if b is None or a.score is None or b.score is None:
                continue
            gap = (a.score - b.score) * 100
            if abs(gap) <= ACCURACY_PRECISION_POINTS:
                continue
            modes = say("accuracy_precision_gap.modes", mode=_mode(a.mode), base_mode=_mode(b.mode)) if a.mode != b.mode else ""
            yield Issue("warning", say("accuracy_precision_gap", benchmark=a.benchmark, score=a.score * 100,
                                       points=abs(gap), direction=_direction(gap), base=base.label,
                                       base_score=b.score * 100, modes=modes),
                        variant=v, benchmark=a.benchmark)


def _matching(candidates: list[AccuracyResult], a: AccuracyResult) -> AccuracyResult | None:
    same = [b for b in candidates if b.benchmark.lower() == a.benchmark.lower()]
    for b in same:
        if b.mode == a.mode:
            return b
    return same[0] if len(same) == 1 else None
