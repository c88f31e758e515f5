"""Consistency rules: whether a comparison with a reference card may be made, and how much it rests on.

A verdict on whether a card computes what a reference card computes rests on the two runs answering
the same questions for the same model, over enough prompts, position by position:

* ``consistency_reference`` (error): the reference may not be compared with this variant: the prompts
  sent are not the reference's (prompt-set hash differs), the reference names another model, or the
  card's server tokenized every prompt differently (another tokenizer). The variant's consistency
  verdict is then 无法判定 (``reportgen.consistency.verdict``), and ``reportgen consistency`` refuses
  before sending anything (``not_comparable``, shared by both).
* ``consistency_coverage`` (error above 10 % of the prompts, else warning): prompts not compared
  because their requests failed.
* ``consistency_template`` (warning): the card's server applied another chat template to some
  prompts (the comparison sends the reference's tokens, so the figures stand).
* ``consistency_evidence`` (warning): fewer than 50 prompts, no teacher forcing (common prefix only),
  more than 5 % of KL positions with a bounded card probability, top-k bins holding less than half
  of the probability (a loose KL bound), or a run that stopped early.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ConsistencyCheck, ConsistencyPass, ModelVariant
from reportgen.validity.messages import Arg, Say, items, say
from reportgen.validity.registry import Issue, Source, rule

MAX_FAILED_SHARE = 0.10  # prompts not compared: above this share, no verdict
MIN_PROMPTS = 50  # fewer compared prompts: the verdict rests on a small sample
MAX_BOUNDED_SHARE = 0.05  # KL positions whose card probability is an upper bound only
MIN_TOPK_MASS = 0.5  # the KL's bins (the reference's top-k) should hold at least this much probability


def not_comparable(check: ConsistencyCheck) -> list[Say]:
    """Why ``check``'s figures may not be compared with its reference (empty: they may). The one
    definition the finding, the verdict and the ``consistency`` command share."""
    from reportgen.consistency.verdict import same_model

    out: list[Say] = []
    ref = check.reference
    if check.prompt_set_sha256 != ref.prompt_set_sha256:
        out.append(say("consistency_reference.prompt_set", sent=check.prompt_set_sha256[:12],
                       reference=ref.prompt_set_sha256[:12]))
    if same_model(check) is False:
        out.append(say("consistency_reference.model", reference=ref.model_name or ref.model_root or ref.model or "?",
                       card=items(check.model_names, "list")))
    first = _reference_pass(check)
    if first is not None:
        asked = [x for x in first.prompts if x.template_match is not None]
        if asked and not any(x.template_match for x in asked):
            out.append(say("consistency_reference.tokenizer"))
    return out


def _reference_pass(check: ConsistencyCheck) -> ConsistencyPass | None:
    return next((p for p in check.passes if p.baseline == "reference"), None)


@rule(
    "consistency_reference", family="consistency", scope="variant", severity="error",
    description="the reference's prompt-set hash or model differs from the variant's, or every prompt tokenizes "
                "differently (another tokenizer) -> error; the variant is not compared (verdict 无法判定)",
    source=Source("ours", "a comparison of two runs is a comparison of one model on one set of prompts, or nothing"),
    remedy=("record a reference of this model with the shipped prompt set (reportgen reference record), then re-run "
            "reportgen consistency", "用本模型与内置提示词集重新记录参考（reportgen reference record），再运行 reportgen consistency"),
    title_zh="参考的提示词集与模型须与被测精度一致，否则不予比较",
)
def _reference(v: ModelVariant) -> Iterator[Issue]:
    if v.consistency is None:
        return
    for why in not_comparable(v.consistency):
        yield Issue("error", say("consistency_reference", why=why))


@rule(
    "consistency_coverage", family="consistency", scope="variant", severity="error or warning",
    description="prompts of a consistency pass not compared because their requests failed -> warning; above 10 % of "
                "the prompts -> error",
    source=Source("ours", "a verdict over the prompts that happened to answer is not a verdict over the set"),
    remedy=("fix the error quoted (prompt length, server limits), then re-run reportgen consistency",
            "排除所列错误（提示词长度、服务端限制）后重新运行 reportgen consistency"),
    title_zh="一致性测试的提示词请求不应失败（失败超过 10% 则无法判定）",
)
def _coverage(v: ModelVariant) -> Iterator[Issue]:
    for p in v.consistency.passes if v.consistency is not None else []:
        failed = [x for x in p.prompts if x.error is not None]
        if not failed:
            continue
        share = len(failed) / len(p.prompts)
        what = say("consistency_coverage.reference") if p.baseline == "reference" else say(
            "consistency_coverage.batch", batch_size=p.batch_size)
        yield Issue("error" if share > MAX_FAILED_SHARE else "warning",
                    say("consistency_coverage", what=what, failed=len(failed), prompts=len(p.prompts), share=share,
                        first=failed[0].error or "?"))


@rule(
    "consistency_template", family="consistency", scope="variant", severity="warning",
    description="the card's server templated some prompts into other tokens than the reference's (the chat template "
                "differs) -> warning",
    source=Source("ours", "the comparison sends the reference's tokens, so the figures stand; the card's own "
                          "deployment would answer other inputs"),
    remedy=("serve the model with the reference's chat template (--chat-template), then re-run reportgen consistency",
            "以与参考相同的对话模板部署（--chat-template）后重新运行 reportgen consistency"),
    title_zh="被测卡服务端的对话模板应与参考卡一致",
)
def _template(v: ModelVariant) -> Iterator[Issue]:
    for p in v.consistency.passes if v.consistency is not None else []:
        asked = [x for x in p.prompts if x.template_match is not None]
        bad = [x for x in asked if not x.template_match]
        if bad and len(bad) < len(asked):  # all of them: consistency_reference says so
            yield Issue("warning", say("consistency_template", bad=len(bad), asked=len(asked), first=bad[0].id))


def _evidence_say(why: str, **args: Arg) -> Say:
    return say("consistency_evidence", why=say(f"consistency_evidence.{why}", **args))


@rule(
    "consistency_evidence", family="consistency", scope="variant", severity="warning",
    description="the consistency verdict rests on fewer than 50 prompts, on the common prefix only (no teacher "
                "forcing), on more than 5 % bounded KL positions, or on top-k bins holding under 50 % of the "
                "probability; or the run stopped early -> warning",
    source=Source("ours", "50 prompts give a top-1 agreement to a few points; a top-k bin holding little probability "
                          "makes the KL a loose lower bound (docs/consistency.md)"),
    remedy=("run all prompts of the reference on a server that offers prompt_logprobs, with --top-k large enough",
            "在支持 prompt_logprobs 的服务端上对参考的全部提示词运行，并取足够大的 top-k"),
    title_zh="一致性判定应基于至少 50 个提示词与教师强制",
)
def _evidence(v: ModelVariant) -> Iterator[Issue]:
    from reportgen.consistency.metrics import pass_summary

    check = v.consistency
    if check is None:
        return
    if check.error:
        yield Issue("warning", _evidence_say("stopped", error=check.error))
    p = _reference_pass(check)
    if p is None:
        return
    s = pass_summary(p)
    if 0 < s.prompts < MIN_PROMPTS:
        yield Issue("warning", _evidence_say("few", prompts=s.prompts, minimum=MIN_PROMPTS))
    if p.method == "common_prefix":
        yield Issue("warning", _evidence_say("no_teacher_forcing"))
    if s.positions and s.bounded / s.positions > MAX_BOUNDED_SHARE:
        yield Issue("warning", _evidence_say("bounded", bounded=s.bounded, positions=s.positions, share=s.bounded / s.positions))
    if s.topk_mass is not None and s.topk_mass < MIN_TOPK_MASS:
        yield Issue("warning", _evidence_say("flat", k=check.reference.top_k, mass=s.topk_mass, minimum=MIN_TOPK_MASS))
