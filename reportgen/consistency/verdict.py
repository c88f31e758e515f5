"""The verdict of the consistency check: thresholds per precision, 一致 / 存在偏差 / 不一致 / 无法判定.

Which thresholds apply depends on what is compared with what (``profile_for``): the same
precision on both sides ("same": only the order of floating-point operations differs), two
floating-point precisions ("half": FP16/BF16 round-off against an FP16, BF16 or FP32 reference),
an 8-bit or a 4-bit quantisation against a floating-point reference ("int8", "int4"). The default
limits (``PROFILES``) are argued in docs/consistency.md; a plan or the command line may change
any of them, and the limits used are recorded with the check.

``consistency_verdict(results)`` is what the 结论 states: one ``ConsistencyVerdict`` per variant
that was compared, with the figures and limits that decided it and the batch-invariance result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reportgen.consistency.metrics import PassSummary, pass_summary
from reportgen.messages import format_row
from reportgen.results import ConsistencyCheck, ConsistencyPass, ConsistencyThresholds, ModelVariant, Results

Verdict = Literal["consistent", "deviates", "inconsistent", "undetermined"]
VERDICT_ZH: dict[str, str] = {"consistent": "一致", "deviates": "存在偏差", "inconsistent": "不一致", "undetermined": "无法判定"}

#: the default limits per profile (docs/consistency.md argues each)
PROFILES: dict[str, ConsistencyThresholds] = {
    t.profile: t
    for t in (
        ConsistencyThresholds(profile="same", top1_pass=0.99, kl_pass=0.001, top1_fail=0.95, kl_fail=0.01, first_token_fail=0.95),
        ConsistencyThresholds(profile="half", top1_pass=0.98, kl_pass=0.005, top1_fail=0.90, kl_fail=0.05, first_token_fail=0.90),
        ConsistencyThresholds(profile="int8", top1_pass=0.95, kl_pass=0.02, top1_fail=0.85, kl_fail=0.10, first_token_fail=0.85),
        ConsistencyThresholds(profile="int4", top1_pass=0.90, kl_pass=0.06, top1_fail=0.75, kl_fail=0.25, first_token_fail=0.75),
    )
}
PROFILE_ZH = {"same": "同精度", "half": "不同浮点精度", "int8": "8 比特量化", "int4": "4 比特量化"}


def by_profile_zh(profile: str) -> str:
    """"按同精度阈值", "按 4 比特量化阈值" (a space between a Chinese character and a digit, as the document writes)."""
    name = PROFILE_ZH.get(profile, profile)
    return f"按{' ' if name[:1].isascii() else ''}{name}阈值"
THRESHOLD_KEYS = ("top1_pass", "kl_pass", "top1_fail", "kl_fail", "first_token_fail")
#: the batch-invariance pass compares the card with itself: only the order of operations differs
BATCH_PROFILE = "same"

# --------------------------------------------------------------------------- precisions


def precision_kind(precision: str | None, quantization: str | None = None) -> str | None:
    """"fp32", "fp16", "bf16", "int8", "int4", or None when neither says."""
    p = (precision or "").lower().replace("-", "").replace("_", "")
    q = (quantization or "").lower()
    if p in ("int4", "w4a16", "w4a8", "4bit", "nf4", "fp4", "mxfp4", "nvfp4") or q in ("awq", "int4", "w4a16"):
        return "int4"
    if p in ("int8", "w8a8", "w8a16", "8bit", "fp8", "e4m3", "e5m2") or q in ("int8", "w8a8", "fp8", "smoothquant"):
        return "int8"
    if q in ("gptq", "gptq_marlin", "marlin", "bitsandbytes", "gguf"):
        return "int4"  # 4 bits unless the precision says otherwise (checked above)
    if p in ("fp32", "float32", "float"):
        return "fp32"
    if p in ("fp16", "float16", "half"):
        return "fp16"
    if p in ("bf16", "bfloat16"):
        return "bf16"
    return None


def profile_for(ref_precision: str | None, ref_quantization: str | None,
                precision: str | None, quantization: str | None) -> str:
    """The threshold profile for a card of ``precision`` against a reference of ``ref_precision``."""
    card, ref = precision_kind(precision, quantization), precision_kind(ref_precision, ref_quantization)
    if card is not None and card == ref:
        return "same"
    if card in ("int4", "int8"):
        return card
    return "half"  # two floating-point precisions, or one side unknown


def thresholds(profile: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> ConsistencyThresholds:
    """The limits of ``profile`` with a plan's or the command line's ``overrides[profile]`` applied.
    An unknown profile starts from "half"'s limits (a plan may name its own)."""
    base = PROFILES.get(profile, PROFILES["half"]).model_copy(update={"profile": profile})
    return base.model_copy(update=dict((overrides or {}).get(profile, {})))


# --------------------------------------------------------------------------- model identity

_QUANT_TAIL = re.compile(
    r"[-_. ](gptq|awq|int4|int8|w4a16|w8a8|w8a16|fp8|bnb|4bit|8bit|gguf|marlin|nf4|quant(ized)?|bf16|fp16|fp32)$")


def model_identity(name: str | None) -> str | None:
    """A model's name with what varies between deployments of it removed: the folder it lies in,
    case, and quantisation or precision suffixes ("/m/Qwen2-7B-Instruct_GPTQ_Int4/" and
    "Qwen2-7B-Instruct" are one model)."""
    if not name:
        return None
    s = name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    while True:
        t = _QUANT_TAIL.sub("", s)
        if t == s:
            break
        s = t
    return s or None


def identities(names: list[str | None]) -> set[str]:
    return {i for n in names if (i := model_identity(n)) is not None}


def same_model(check: ConsistencyCheck) -> bool | None:
    """Whether the card's model names and the reference's name one model (None: a side names none)."""
    ref = check.reference
    mine, theirs = identities(list(check.model_names)), identities([ref.model_name, ref.model_root, ref.model])
    if not mine or not theirs:
        return None
    return bool(mine & theirs)


# --------------------------------------------------------------------------- verdict

_TEXT: dict[str, tuple[str, str]] = {
    "top1_below": ("top-1 agreement {value} < {limit}", "top-1 一致率 {value} 低于 {limit}"),
    "kl_above": ("mean KL {value} > {limit}", "平均 KL {value} 高于 {limit}"),
    "first_below": ("first-token agreement {value} < {limit}", "首词元一致率 {value} 低于 {limit}"),
    "top1_short": ("top-1 agreement {value} < {limit}", "top-1 一致率 {value} 未达 {limit}"),
    "kl_short": ("mean KL {value} > {limit}", "平均 KL {value} 超过 {limit}"),
    "within": ("top-1 agreement {top1} >= {top1_limit}, mean KL {kl} <= {kl_limit}",
               "top-1 一致率 {top1} ≥ {top1_limit}，平均 KL {kl} ≤ {kl_limit}"),
    "no_data": ("no prompt was compared", "没有可比较的提示词"),
    "not_comparable": ("not compared: {why}", "不予比较：{why}"),
}


def pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def kl_text(x: float) -> str:
    return "0" if x == 0 else f"{x:.2g}" if x < 0.01 else f"{x:.3f}"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason_en: str
    reason_zh: str

    @property
    def verdict_zh(self) -> str:
        return VERDICT_ZH[self.verdict]


def _say(code: str, lang: str, **args: object) -> str:
    return format_row(_TEXT[code], args, lang)


def _joined(parts: list[tuple[str, dict[str, object]]]) -> tuple[str, str]:
    return "; ".join(_say(c, "en", **a) for c, a in parts), "；".join(_say(c, "zh", **a) for c, a in parts)


def judge(s: PassSummary, t: ConsistencyThresholds) -> Judgement:
    """一致 when top-1 agreement and mean KL are within the pass limits; 不一致 when top-1
    agreement, mean KL or first-token agreement is beyond a fail limit; 存在偏差 in between."""
    if not s.prompts or s.top1 is None or s.kl_mean is None or s.first_token is None:
        en, zh = _joined([("no_data", {})])
        return Judgement("undetermined", en, zh)
    fails: list[tuple[str, dict[str, object]]] = []
    if s.top1 < t.top1_fail:
        fails.append(("top1_below", {"value": pct(s.top1), "limit": pct(t.top1_fail)}))
    if s.kl_mean > t.kl_fail:
        fails.append(("kl_above", {"value": kl_text(s.kl_mean), "limit": kl_text(t.kl_fail)}))
    if s.first_token < t.first_token_fail:
        fails.append(("first_below", {"value": pct(s.first_token), "limit": pct(t.first_token_fail)}))
    if fails:
        return Judgement("inconsistent", *_joined(fails))
    short: list[tuple[str, dict[str, object]]] = []
    if s.top1 < t.top1_pass:
        short.append(("top1_short", {"value": pct(s.top1), "limit": pct(t.top1_pass)}))
    if s.kl_mean > t.kl_pass:
        short.append(("kl_short", {"value": kl_text(s.kl_mean), "limit": kl_text(t.kl_pass)}))
    if short:
        return Judgement("deviates", *_joined(short))
    return Judgement("consistent", *_joined([("within", {"top1": pct(s.top1), "top1_limit": pct(t.top1_pass),
                                                          "kl": kl_text(s.kl_mean), "kl_limit": kl_text(t.kl_pass)})]))


def reference_pass(check: ConsistencyCheck) -> ConsistencyPass | None:
    return next((p for p in check.passes if p.baseline == "reference"), None)


def batch_pass(check: ConsistencyCheck) -> ConsistencyPass | None:
    return next((p for p in check.passes if p.baseline == "batch1"), None)


@dataclass(frozen=True)
class BatchVerdict:
    batch_size: int
    judgement: Judgement
    summary: PassSummary


@dataclass(frozen=True)
class ConsistencyVerdict:
    """One variant's answer for the 结论: the verdict, what decided it, against what."""

    label: str
    judgement: Judgement
    summary: PassSummary | None
    thresholds: ConsistencyThresholds
    reference: str  # Chinese: "NVIDIA A100（fp16，vllm 0.6.3）"
    reference_en: str  # "NVIDIA A100, fp16, vllm 0.6.3"
    batch: BatchVerdict | None

    @property
    def verdict(self) -> Verdict:
        return self.judgement.verdict

    @property
    def statement_zh(self) -> str:
        """The 结论's line: "FP16 与参考卡输出一致性：存在偏差（…；参考：…；按不同浮点精度阈值）；批大小 8 的批次不变性：一致"."""
        t = self.thresholds
        text = (f"{self.label} 与参考卡输出一致性：{self.judgement.verdict_zh}（{self.judgement.reason_zh}；"
                f"参考：{self.reference}；{by_profile_zh(t.profile)}）")
        if self.batch is not None:
            text += f"；批大小 {self.batch.batch_size} 的批次不变性：{self.batch.judgement.verdict_zh}"
        return text

    @property
    def statement_en(self) -> str:
        """The same line in English (the command line prints it)."""
        text = (f"{self.label} vs the reference card ({self.reference_en}): {self.judgement.verdict} "
                f"({self.judgement.reason_en}; {self.thresholds.profile} thresholds)")
        if self.batch is not None:
            text += f"; batch invariance at batch size {self.batch.batch_size}: {self.batch.judgement.verdict}"
        return text


def _reference_parts(check: ConsistencyCheck) -> list[str]:
    r = check.reference
    return [x for x in (r.dtype, r.quantization, f"{r.engine} {r.engine_version}".strip() if r.engine else None) if x]


def reference_text(check: ConsistencyCheck) -> str:
    """The reference as the document names it: "NVIDIA A100（fp16，vllm 0.6.3）"."""
    what = _reference_parts(check)
    return (check.reference.card or "参考卡（未记录型号）") + (f"（{'，'.join(what)}）" if what else "")


def reference_text_en(check: ConsistencyCheck) -> str:
    return ", ".join([check.reference.card or "card not recorded", *_reference_parts(check)])


def variant_verdict(v: ModelVariant) -> ConsistencyVerdict | None:
    """The verdict of ``v``'s consistency check (None: not checked). A check the evidence rules
    refuse (``reportgen.validity.consistency.not_comparable``) is 无法判定 with the reason."""
    from reportgen.validity.consistency import not_comparable

    check = v.consistency
    if check is None:
        return None
    ref_pass = reference_pass(check)
    summary = pass_summary(ref_pass) if ref_pass is not None else None
    why = not_comparable(check)
    if why:
        en = "; ".join(m.en for m in why)
        zh = "；".join(m.zh for m in why)
        judgement = Judgement("undetermined", _say("not_comparable", "en", why=en), _say("not_comparable", "zh", why=zh))
    elif summary is None:
        judgement = Judgement("undetermined", *_joined([("no_data", {})]))
    else:
        judgement = judge(summary, check.thresholds)
    bp = batch_pass(check)
    batch = None
    if bp is not None and not why:
        bs = pass_summary(bp)
        batch = BatchVerdict(bp.batch_size, judge(bs, check.batch_thresholds), bs)
    return ConsistencyVerdict(label=v.label, judgement=judgement, summary=summary, thresholds=check.thresholds,
                              reference=reference_text(check), reference_en=reference_text_en(check), batch=batch)


def consistency_verdict(results: Results) -> list[ConsistencyVerdict]:
    """Per variant compared with a reference card, in the file's order: the 结论's consistency line
    (``ConsistencyVerdict.statement_zh``) and the figures behind it."""
    return [cv for v in results.variants if (cv := variant_verdict(v)) is not None]
