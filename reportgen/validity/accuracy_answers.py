"""Accuracy rules on the answers behind a score: answers that could be read, a score above
guessing, both variants asked the same questions, the sample counts a confidence interval needs.

A score these rules put in doubt is not a model accuracy: the verdict on it is 无法判定
(``reportgen.verdicts.accuracy``), with the finding's words as its reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import AccuracyResult, ModelVariant, Results
from reportgen.validity.messages import items, say
from reportgen.validity.registry import Issue, Source, rule
from reportgen.variant_roles import baseline

#: Unparsed answers: above this share -> warning; above the error share -> error (undecidable).
UNPARSED_WARN = 0.05
UNPARSED_ERROR = 0.2
#: Options per question of the multiple-choice benchmarks: guessing scores 1 / options.
OPTIONS: dict[str, int] = {"ceval": 4, "mmlu": 4, "cmmlu": 4, "arc": 4, "arc_challenge": 4, "hellaswag": 4}


def unparsed_share(a: AccuracyResult) -> float | None:
    if not a.n or a.unparsed is None:
        return None
    return a.unparsed / a.n


@rule(
    "accuracy_unparsed", family="accuracy", scope="variant", severity="error or warning",
    description="share of scored answers the extractor could not read: above 5 % -> warning; above 20 % -> error "
                "(the score is undecidable: it measures the answers' format)",
    source=Source("ours", "an unparsed answer is scored wrong whatever the model meant; a few per cent are "
                          "formatting noise, a fifth decides the score"),
    remedy=("look at the raw answers (appendix): fix the prompt, max_tokens or the chat template, then re-evaluate",
            "查看原始回答（附录），修正提示词、max_tokens 或对话模板后重新评测"),
    title_zh="能解析出答案的回答应占绝大多数（未解析不超过 5%）",
)
def _accuracy_unparsed(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        share = unparsed_share(a)
        if share is None or share <= UNPARSED_WARN:
            continue
        error = share > UNPARSED_ERROR
        consequence = say("accuracy_unparsed.undecidable", limit=UNPARSED_ERROR) if error else ""
        yield Issue("error" if error else "warning",
                    say("accuracy_unparsed", benchmark=a.benchmark, unparsed=a.unparsed, n=a.n, share=share,
                        consequence=consequence),
                    benchmark=a.benchmark)


@rule(
    "accuracy_chance", family="accuracy", scope="variant", severity="error",
    description="a score of 0 with n > 0, or a multiple-choice score at or below guessing (1 / options: ceval, mmlu "
                "4 options) -> error (undecidable: the model gave no answer that could be scored)",
    source=Source("ours", "a model that answers the task scores above guessing; a score at chance says the "
                          "answers, not the model's knowledge, were measured"),
    remedy=("check that the served model is the intended one and answers (functional check, raw answers), then "
            "re-evaluate", "确认所服务的模型正确且能正常回答（功能测试、原始回答）后重新评测"),
    title_zh="精度得分应高于随机作答（且不为 0）",
)
def _accuracy_chance(v: ModelVariant) -> Iterator[Issue]:
    for a in v.accuracy:
        if a.score is None or not a.n:
            continue
        options = OPTIONS.get(a.benchmark.lower())
        if a.score == 0:
            why = say("accuracy_chance.zero", n=a.n)
        elif options and a.score <= 1 / options:
            why = say("accuracy_chance.chance", score=a.score * 100, chance=100 / options, options=options)
        else:
            continue
        yield Issue("error", say("accuracy_chance", benchmark=a.benchmark, why=why), benchmark=a.benchmark)


def same_benchmark(results: list[AccuracyResult], a: AccuracyResult) -> AccuracyResult | None:
    """The result of ``results`` for ``a``'s benchmark: the same mode where there is one."""
    same = [b for b in results if b.benchmark.lower() == a.benchmark.lower()]
    return next((b for b in same if b.mode == a.mode), same[0] if len(same) == 1 else None)


@rule(
    "accuracy_same_questions", family="accuracy", scope="results", severity="warning",
    description="a variant and the baseline it is compared with scored different questions on one benchmark (the "
                "sha256 of the scored question ids differ) -> warning: the comparison is not like-for-like",
    source=Source("ours", "a difference of two scores means something only over the same questions (a paired "
                          "comparison, as lm-eval's proposed McNemar test assumes)"),
    remedy=("evaluate both variants on the same questions (the same --limit and data files), then compare",
            "以相同的题目（相同的 --limit 与数据文件）评测两个版本后再比较"),
    title_zh="比较的两个版本应回答同一批题目",
)
def _accuracy_same_questions(results: Results) -> Iterator[Issue]:
    base = baseline(v for v in results.variants if v.accuracy)
    if base is None:
        return
    for v in results.variants:
        if v is base:
            continue
        for a in v.accuracy:
            b = same_benchmark(base.accuracy, a)
            if b is None:
                continue
            mine, theirs = a.question_set(), b.question_set()
            if mine is None or theirs is None or mine == theirs:
                continue
            yield Issue("warning", say("accuracy_same_questions", benchmark=a.benchmark, label=v.label, base=base.label,
                                       n=a.n if a.n is not None else "?", base_n=b.n if b.n is not None else "?"),
                        variant=v, benchmark=a.benchmark)


@rule(
    "accuracy_sample_count", family="accuracy", scope="variant", severity="note",
    description="scores recorded without their sample count (n) -> note: no confidence interval and no noise "
                "bound can be given for them",
    source=Source("ours", "a binomial interval needs n; lm-eval reports a standard error with every score"),
    remedy=("re-import with the sample counts, or re-evaluate with reportgen eval (it records them)",
            "补充样本数后重新导入，或用 reportgen eval 重新评测（会记录样本数）"),
    title_zh="精度得分应记录样本数",
)
def _accuracy_sample_count(v: ModelVariant) -> Iterator[Issue]:
    missing = [a.benchmark for a in v.accuracy if a.score is not None and a.n is None]
    if missing:
        yield Issue("note", say("accuracy_sample_count", benchmarks=items(dict.fromkeys(missing), "list")))
