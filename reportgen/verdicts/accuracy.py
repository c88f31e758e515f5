"""Does a quantized variant keep the model's accuracy? One verdict per (variant, benchmark)
and per variant, used by section 4 and by the conclusion; each gives its verdict state
(``.outcome``: ``reportgen.verdicts.states``) with its reasons.

The question is not "is the score within 99 % of FP16" (Qwen's own GPTQ-Int4 MMLU is 96.2 %
of BF16) but: is the drop from the full-precision run larger than (a) what the model maker
published for the same quantization and (b) the run's own noise (the 95 % interval of the
difference of two binomial proportions, from the sample counts)? A drop within either is
accepted. A score known to be broken by an evaluator defect (bbh under the swift 2024
bracket bug) is excluded, with its reason; the corrected score is used where one exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from reportgen import reference_scores as ref
from reportgen.results import AccuracyResult, ModelVariant, Results
from reportgen.variant_roles import MODE_ZH, bench_key, model_key, variant_key
from reportgen.variant_roles import baseline as variant_baseline
from reportgen.verdicts.states import Reason, State, Verdict

Word = Literal["通过", "未通过", "未判定", "不参与判定"]
#: The words the document prints today, and the verdict state each stands for.
WORD_STATE: dict[str, State] = {
    "通过": "usable", "未通过": "unusable", "未判定": "undecidable", "不参与判定": "undecidable",
    "基准": "usable", "未测": "undecidable",
}
Z95 = 1.959964
# Published scores are printed to 0.1 point: the difference of two is uncertain by that much.
PUBLISHED_ROUNDING_POINTS = 0.1


def pct(x: float | None) -> str:
    """The document's one score format: percent with two decimals."""
    return "未记录" if x is None else f"{x * 100:.2f}%"


@dataclass(frozen=True)
class BenchmarkVerdict:
    label: str
    benchmark: str
    mode: str
    score: float
    base_score: float
    drop_points: float  # base - quantized, in points (positive: the quantized variant scores lower)
    published_drop_points: float | None
    published_text: str | None  # "Qwen 文档 GPTQ-Int4 67.8% vs BF16 70.5%"
    noise_points: float | None  # half-width of the 95 % interval of the difference
    verdict: Word
    reason: str
    reason_code: str = ""  # not_lower, within_published_drop, within_noise, beyond_drop, no_reference, evaluator_defect

    @property
    def outcome(self) -> Verdict:
        """The verdict state this word stands for, with its reason."""
        return Verdict(WORD_STATE[self.verdict], (Reason(self.reason_code, f"{self.benchmark}：{self.reason}"),))


@dataclass(frozen=True)
class VariantAccuracy:
    label: str
    verdict: Word | Literal["基准", "未测"]
    text: str  # one line for the conclusion
    rows: list[BenchmarkVerdict]

    @property
    def outcome(self) -> Verdict:
        """The verdict state, with each benchmark's reason (or the line itself)."""
        reasons = tuple(r.outcome.reasons[0] for r in self.rows) or (Reason("accuracy", self.text),)
        return Verdict(WORD_STATE[self.verdict], reasons)


def _broken(a: AccuracyResult) -> str | None:
    """Why a score is excluded from the verdict (None: it is a model accuracy)."""
    if a.benchmark.lower() == "bbh" and a.mode != "corrected":
        if a.mode == "swift2024" or (a.score is not None and a.score <= ref.BBH_SWIFT2024_CEILING + 5e-5):
            return "评测程序缺陷：多选题标准答案带括号，永远判错（得分不代表模型能力）"
    return None


def _pick(v: ModelVariant, benchmark: str) -> AccuracyResult | None:
    """The variant's score for a benchmark: the corrected mode where there is one."""
    mine = [a for a in v.accuracy if a.benchmark == benchmark and a.score is not None]
    mine.sort(key=lambda a: (a.mode != "corrected", a.mode))
    return mine[0] if mine else None


def noise_points(a: AccuracyResult, b: AccuracyResult) -> float | None:
    """Half-width (points) of the 95 % interval of score(a) - score(b), or None without counts."""
    if not a.n or not b.n or a.score is None or b.score is None:
        return None
    var = a.score * (1 - a.score) / a.n + b.score * (1 - b.score) / b.n
    return Z95 * math.sqrt(var) * 100


def _published_drop(results: Results, v: ModelVariant, benchmark: str) -> tuple[float | None, str | None]:
    qkey = variant_key(v)
    if qkey is None or qkey == "bf16":
        return None, None
    model = model_key(v)
    base = ref.reference_score(model, "bf16", benchmark)
    quant = ref.reference_score(model, qkey, benchmark)
    if base is None or quant is None:
        return None, None
    name = ref.VARIANT_LABELS.get(qkey, qkey)
    text = f"{quant.source_zh}：{name} {quant.score_pct:.2f}%，BF16 {base.score_pct:.2f}%"
    return base.score_pct - quant.score_pct, text


def benchmark_verdicts(results: Results, v: ModelVariant, base: ModelVariant) -> list[BenchmarkVerdict]:
    rows = []
    benches = sorted({a.benchmark for a in v.accuracy}, key=bench_key)
    for bench in benches:
        a, b = _pick(v, bench), _pick(base, bench)
        if a is None or b is None or a.score is None or b.score is None:
            continue
        drop = (b.score - a.score) * 100
        pub, pub_text = _published_drop(results, v, bench)
        noise = noise_points(a, b)
        broken = _broken(a) or _broken(b)
        verdict: Word
        if broken:
            verdict, reason, code = "不参与判定", broken, "evaluator_defect"
        elif drop <= 0:
            verdict, reason, code = "通过", f"得分不低于 {base.label}", "not_lower"
        else:
            within_pub = pub is not None and drop <= pub + PUBLISHED_ROUNDING_POINTS
            within_noise = noise is not None and drop <= noise
            parts = []
            if pub is not None:
                parts.append(f"官方同类量化降幅 {pub:.2f} 个百分点")
            if noise is not None:
                parts.append(f"95% 区间 ±{noise:.2f} 个百分点")
            else:
                parts.append("样本数未知，无法估计随机误差")
            if within_pub or within_noise:
                verdict, code = "通过", "within_published_drop" if within_pub else "within_noise"
                what = "官方同类量化降幅" if within_pub else "随机误差"
                if within_pub and pub is not None and drop > pub and not within_noise:
                    what += "（含 0.1 个百分点的舍入误差）"
                reason = f"降幅 {drop:.2f} 个百分点，不超过{what}（" + "；".join(parts) + "）"
            elif pub is None and noise is None:
                verdict, code = "未判定", "no_reference"
                reason = f"降幅 {drop:.2f} 个百分点；无官方同类量化参照，且样本数未知"
            else:
                verdict, code = "未通过", "beyond_drop"
                reason = f"降幅 {drop:.2f} 个百分点，超过" + "与".join(
                    x for x, ok in (("官方同类量化降幅", pub is not None), ("随机误差", noise is not None)) if ok
                ) + "（" + "；".join(parts) + "）"
        rows.append(BenchmarkVerdict(v.label, bench, a.mode, a.score, b.score, drop, pub, pub_text, noise, verdict, reason, code))
    return rows


def variant_accuracy(results: Results) -> list[VariantAccuracy]:
    """One accuracy verdict per variant, in file order."""
    base = variant_baseline(v for v in results.variants if v.accuracy)
    out = []
    for v in results.variants:
        if not v.accuracy:
            out.append(VariantAccuracy(v.label, "未测", "未测（没有精度评测结果）", []))
            continue
        if v is base:
            out.append(VariantAccuracy(v.label, "基准", "基准（量化版本与之比较）", []))
            continue
        if base is None:
            out.append(VariantAccuracy(v.label, "未判定", "未判定（没有 FP16/BF16 基准的精度结果）", []))
            continue
        rows = benchmark_verdicts(results, v, base)
        judged = [r for r in rows if r.verdict in ("通过", "未通过")]
        failed = [r for r in rows if r.verdict == "未通过"]
        open_ = [r for r in rows if r.verdict == "未判定"]
        excluded = [r for r in rows if r.verdict == "不参与判定"]
        verdict: Word
        if failed:
            verdict = "未通过"
            text = "未通过：" + "、".join(f"{r.benchmark} 降幅 {r.drop_points:.2f} 个百分点" for r in failed)
        elif judged:
            verdict = "通过"
            text = "通过：" + "、".join(r.benchmark for r in judged) + " 的降幅在官方同类量化降幅或随机误差以内"
        else:
            verdict = "未判定"
            text = "未判定"
        if open_:
            text += "；" + "、".join(r.benchmark for r in open_) + " 未判定（无官方参照且样本数未知）"
        if excluded:
            text += "；" + "、".join(r.benchmark for r in excluded) + " 不参与判定（评测程序缺陷）"
        out.append(VariantAccuracy(v.label, verdict, text, rows))
    return out


def verdict_table(results: Results) -> tuple[list[str], list[list[str]]]:
    """Section 4's verdict table: one row per (quantized variant, benchmark)."""
    base = variant_baseline(v for v in results.variants if v.accuracy)
    headers = ["量化版本", "基准", "评分口径", "得分", f"{base.label if base else 'FP16'} 得分", "降幅（百分点）",
               "官方同类量化降幅", "95% 区间", "判定", "依据"]
    rows = []
    for va in variant_accuracy(results):
        for r in va.rows:
            rows.append([
                r.label, r.benchmark, MODE_ZH.get(r.mode, r.mode), pct(r.score), pct(r.base_score), f"{r.drop_points:.2f}",
                f"{r.published_drop_points:.2f}（{r.published_text}）" if r.published_drop_points is not None else "未公布",
                f"±{r.noise_points:.2f}" if r.noise_points is not None else "样本数未知",
                r.verdict, r.reason,
            ])
    return headers, rows
