"""Evidence rules of the consistency check (registered into ``reportgen.validity``).

A verdict on whether a card computes what a reference card computes rests on the two runs
answering the same questions for the same model. So:

* ``consistency_reference`` (error): the reference may not be compared with this variant: the
  prompts sent are not the reference's (prompt-set hash differs), the reference names another
  model, or the card's server tokenized every prompt differently (another tokenizer). The
  variant's consistency verdict is then 无法判定 (``reportgen.consistency.verdict``).
* ``consistency_coverage`` (error above 10 % of the prompts, else warning): prompts that were not
  compared because their requests failed.
* ``consistency_template`` (warning): the card's server applied a different chat template to some
  prompts (the comparison sends the reference's tokens, so the figures stand, but the card's own
  deployment would answer other inputs).
* ``consistency_evidence`` (warning): the verdict rests on fewer than 50 prompts, on the common
  prefix only (the server offered no teacher forcing), on more than 5 % of KL positions whose
  card probability is only bounded, or on KL bins that cover less than half of the probability
  (a flat distribution: the KL is a loose lower bound); or the run stopped early.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ConsistencyCheck, ModelVariant
from reportgen.validity import CHECK_TITLES_ZH, Issue, Msg, _check

MAX_FAILED_SHARE = 0.10  # prompts not compared: above this share, no verdict
MIN_PROMPTS = 50  # fewer compared prompts: the verdict rests on a small sample
MAX_BOUNDED_SHARE = 0.05  # KL positions whose card probability is an upper bound only
MIN_TOPK_MASS = 0.5  # the KL's bins (the reference's top-k) should hold at least this much probability

CONSISTENCY_CHECKS = frozenset({"consistency_reference", "consistency_coverage", "consistency_template", "consistency_evidence"})


def not_comparable(check: ConsistencyCheck) -> list[tuple[str, str]]:
    """Why ``check``'s figures may not be compared with its reference, as (English, Chinese)
    reasons; empty: they may. The one definition the finding and the verdict share."""
    from reportgen.consistency.verdict import same_model

    out: list[tuple[str, str]] = []
    ref = check.reference
    if check.prompt_set_sha256 != ref.prompt_set_sha256:
        out.append((f"the prompts sent (set {check.prompt_set_sha256[:12]}) are not the reference's (set {ref.prompt_set_sha256[:12]})",
                    f"发送的提示词集（{check.prompt_set_sha256[:12]}）与参考的提示词集（{ref.prompt_set_sha256[:12]}）不同"))
    if same_model(check) is False:
        mine = "、".join(check.model_names)
        theirs = ref.model_name or ref.model_root or ref.model or "?"
        out.append((f"the reference is of model {theirs!r}, this variant of {', '.join(check.model_names)!r}",
                    f"参考的模型为 {theirs}，本精度的模型为 {mine}"))
    for p in check.passes:
        if p.baseline != "reference":
            continue
        asked = [x for x in p.prompts if x.template_match is not None]
        if asked and not any(x.template_match for x in asked):
            out.append(("the card's server tokenized every prompt differently from the reference's (another tokenizer)",
                        "被测卡的服务端对全部提示词的分词结果都与参考不同（分词器不同）"))
    return out


@_check("consistency_reference", "variant",
        "consistency: the reference's prompt-set hash or model differs, or every prompt tokenizes differently -> error (not compared)")
def _reference(v: ModelVariant) -> Iterator[Issue]:
    check = v.consistency
    if check is None:
        return
    for en, zh in not_comparable(check):
        yield Issue("error", Msg(f"not compared with the reference: {en}", f"不与参考比较：{zh}"))


@_check("consistency_coverage", "variant",
        "consistency: prompts not compared because their requests failed -> warning; above 10 % -> error")
def _coverage(v: ModelVariant) -> Iterator[Issue]:
    check = v.consistency
    if check is None:
        return
    for p in check.passes:
        failed = [x for x in p.prompts if x.error is not None]
        if not failed:
            continue
        share = len(failed) / len(p.prompts)
        what = Msg("the comparison with the reference", "与参考的比较") if p.baseline == "reference" else Msg(
            f"the batch-invariance pass (batch size {p.batch_size})", f"批次不变性测试（批大小 {p.batch_size}）")
        first = failed[0].error or "?"
        yield Issue(
            "error" if share > MAX_FAILED_SHARE else "warning",
            what + Msg(f": {len(failed)} of {len(p.prompts)} prompts failed ({share:.0%}; first: {first})",
                       f"中 {len(p.prompts)} 个提示词有 {len(failed)} 个请求失败（{share:.0%}；首个：“{first}”）"),
        )


@_check("consistency_template", "variant",
        "consistency: the card's server templated some prompts into other tokens than the reference's -> warning")
def _template(v: ModelVariant) -> Iterator[Issue]:
    check = v.consistency
    if check is None:
        return
    for p in check.passes:
        asked = [x for x in p.prompts if x.template_match is not None]
        bad = [x for x in asked if not x.template_match]
        if bad and len(bad) < len(asked):  # all of them: consistency_reference says so
            yield Issue("warning", Msg(
                f"{len(bad)} of {len(asked)} prompts were templated into other tokens than the reference's "
                f"(first: {bad[0].id}): the chat template differs; the comparison used the reference's tokens",
                f"{len(asked)} 个提示词中有 {len(bad)} 个经被测卡服务端的对话模板处理后与参考的词元不同（首个：{bad[0].id}）："
                "对话模板不一致；比较使用的是参考的词元"))


@_check("consistency_evidence", "variant",
        "consistency: fewer than 50 prompts, no teacher forcing, more than 5 % bounded KL positions, top-k bins holding "
        "under 50 % of the probability, or a run stopped early -> warning")
def _evidence(v: ModelVariant) -> Iterator[Issue]:
    from reportgen.consistency.metrics import pass_summary

    check = v.consistency
    if check is None:
        return
    if check.error:
        yield Issue("warning", Msg(f"the consistency run stopped early: {check.error}", f"一致性测试提前停止：“{check.error}”"))
    for p in check.passes:
        if p.baseline != "reference":
            continue
        s = pass_summary(p)
        if 0 < s.prompts < MIN_PROMPTS:
            yield Issue("warning", Msg(f"the verdict rests on {s.prompts} prompts (fewer than {MIN_PROMPTS})",
                                       f"判定只基于 {s.prompts} 个提示词（少于 {MIN_PROMPTS} 个）"))
        if p.method == "common_prefix":
            yield Issue("warning", Msg(
                "the server offered no teacher forcing (prompt_logprobs, echo): top-1 and KL cover the common prefix only",
                "服务端不支持教师强制（prompt_logprobs、echo）：top-1 一致率与 KL 只覆盖共同前缀"))
        if s.positions and s.bounded / s.positions > MAX_BOUNDED_SHARE:
            yield Issue("warning", Msg(
                f"{s.bounded} of {s.positions} KL positions ({s.bounded / s.positions:.0%}) use an upper bound of the card's "
                "probability (a reference top-k token outside the card's list): the mean KL is an estimate",
                f"{s.positions} 个位置中有 {s.bounded} 个（{s.bounded / s.positions:.0%}）的 KL 使用了被测卡概率的上界"
                "（参考的前 k 个词元不在被测卡的列表中）：平均 KL 为估计值"))
        if s.topk_mass is not None and s.topk_mass < MIN_TOPK_MASS:
            yield Issue("warning", Msg(
                f"the reference's top-{check.reference.top_k} tokens hold {s.topk_mass:.1%} of the probability on average "
                f"(below {MIN_TOPK_MASS:.0%}): the rest is one KL bin, so the mean KL is a loose lower bound; "
                "read top-1 agreement and |Δ logprob|",
                f"参考前 {check.reference.top_k} 个词元平均只占 {s.topk_mass:.1%} 的概率（低于 {MIN_TOPK_MASS:.0%}）："
                "其余词元合为一项，平均 KL 是很松的下界，应以 top-1 一致率与 |Δ logprob| 为准"))


CHECK_TITLES_ZH.update(
    {
        "consistency_reference": "参考的提示词集与模型须与被测精度一致，否则不予比较",
        "consistency_coverage": "一致性测试的提示词请求不应失败（失败超过 10% 则无法判定）",
        "consistency_template": "被测卡服务端的对话模板应与参考卡一致",
        "consistency_evidence": "一致性判定应基于至少 50 个提示词与教师强制",
    }
)
