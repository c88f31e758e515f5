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
from reportgen.results import AccuracyResult, Finding, ModelVariant, Results
from reportgen.validity import check_results
from reportgen.variant_roles import MODE_ZH, bench_key, model_key, variant_key
from reportgen.variant_roles import baseline as variant_baseline
from reportgen.verdicts.states import Reason, State, Verdict

Word = Literal["通过", "存疑", "未通过", "无法判定", "不参与判定"]
#: The words the document prints, and the verdict state each stands for.
WORD_STATE: dict[str, State] = {
    "通过": "usable", "存疑": "doubtful", "未通过": "unusable", "无法判定": "undecidable", "不参与判定": "undecidable",
    "基准": "usable", "未测": "undecidable",
}
#: Accuracy findings after which a score is no model accuracy: its verdict is 无法判定, the
#: finding's words its reason (errors of these rules; accuracy_same_questions at any severity).
UNDECIDABLE_RULES = ("accuracy_unparsed", "accuracy_chance", "accuracy_consistency", "accuracy_same_questions")
#: A drop within the limits is 通过 only on evidence no accuracy rule doubts; a warning of these
#: (on either side) makes it 存疑, with the warning in a few words.
DOUBT_RULES = ("accuracy_reference_gap", "accuracy_incomplete", "accuracy_unparsed", "accuracy_precision_gap")
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
    reason_code: str = "accuracy"  # the reason's code when there are no rows (a rule's, or the verdict's own)
    reason_text: str = ""  # its words ("": the line itself)

    @property
    def outcome(self) -> Verdict:
        """The verdict state, with each benchmark's reason (or the line itself)."""
        reasons = tuple(r.outcome.reasons[0] for r in self.rows) or (Reason(self.reason_code, self.reason_text or self.text),)
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


def score_problems(findings: list[Finding], label: str, benchmark: str) -> list[Finding]:
    """The findings that make a variant's score on ``benchmark`` no model accuracy."""
    return [f for f in findings if f.precision == label and f.benchmark == benchmark and f.check in UNDECIDABLE_RULES
            and (f.severity == "error" or f.check == "accuracy_same_questions")]


def _brief(f: Finding) -> str:
    """A score's problem in a few words, from its finding's evidence."""
    a = f.args
    if f.check == "accuracy_unparsed":
        share = a.get("share")
        return f"回答 {share:.0%} 无法解析" if isinstance(share, (int, float)) else "回答大多无法解析"
    if f.check == "accuracy_chance":
        why = a.get("why")
        return "全部答错" if isinstance(why, dict) and why.get("row") == "accuracy_chance.zero" else "得分不高于随机作答"
    if f.check == "accuracy_same_questions":
        return f"与 {a.get('base')} 回答的题目不同，不是同题对比"
    return "得分与样本数、正确数互相矛盾"


def _doubt_words(f: Finding) -> str:
    """A warning on an accuracy score in a few words: 「FP16 的得分比官方公布值低 10.63 个百分点」."""
    a = f.args
    direction = a.get("direction")
    lower = direction.get("zh") if isinstance(direction, dict) else "偏离"
    if f.check == "accuracy_reference_gap" and isinstance(a.get("points"), (int, float)):
        return f"{f.precision} 的得分比官方公布值{lower} {a['points']:.2f} 个百分点，评测设置可能不同"
    if f.check == "accuracy_precision_gap" and isinstance(a.get("points"), (int, float)):
        return f"{f.precision} 的得分比 {a.get('base')} {lower} {a['points']:.2f} 个百分点"
    if f.check == "accuracy_incomplete":
        return f"{f.precision} 只完成了 {a.get('n')}/{a.get('planned')} 题"
    if f.check == "accuracy_unparsed" and isinstance(a.get("share"), (int, float)):
        return f"{f.precision} 的回答 {a['share']:.0%} 无法解析"
    return f.message_zh or f.message


def _problem_words(problems: list[Finding]) -> str:
    """「FP32：回答 100% 无法解析、全部答错；BF16：…：模型未给出可判分的回答」."""
    by_label: dict[str, list[str]] = {}
    for f in problems:
        words = by_label.setdefault(f.precision or "", [])
        if _brief(f) not in words:
            words.append(_brief(f))
    by_words: dict[str, list[str]] = {}  # labels with the same problems are named together
    for label, ws in by_label.items():
        by_words.setdefault("、".join(ws), []).append(label)
    text = "；".join(f"{' 与 '.join(labels)}：{words}" if any(labels) else words for words, labels in by_words.items())
    if any(f.check == "accuracy_chance" for f in problems):
        text += "：模型未给出可判分的回答"
    return text


def benchmark_verdicts(results: Results, v: ModelVariant, base: ModelVariant,
                       findings: list[Finding] | None = None) -> list[BenchmarkVerdict]:
    findings = check_results(results) if findings is None else findings
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
        problems = score_problems(findings, v.label, bench) + score_problems(findings, base.label, bench)
        verdict: Word
        if problems:
            verdict, reason = "无法判定", _problem_words(problems)
            code = problems[0].check
        elif broken:
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
                verdict, code = "无法判定", "no_reference"
                reason = f"降幅 {drop:.2f} 个百分点；无官方同类量化参照，且样本数未知"
            else:
                verdict, code = "未通过", "beyond_drop"
                reason = f"降幅 {drop:.2f} 个百分点，超过" + "与".join(
                    x for x, ok in (("官方同类量化降幅", pub is not None), ("随机误差", noise is not None)) if ok
                ) + "（" + "；".join(parts) + "）"
        doubts = [f for f in findings if f.benchmark == bench and f.check in DOUBT_RULES and f.severity == "warning"
                  and f.precision in (v.label, base.label)]
        if verdict == "通过" and doubts:  # within the limits, on evidence a rule doubts
            verdict = "存疑"
            reason += "；但" + "；".join(dict.fromkeys(_doubt_words(f) for f in doubts))
        rows.append(BenchmarkVerdict(v.label, bench, a.mode, a.score, b.score, drop, pub, pub_text, noise, verdict, reason, code))
    return rows


def _own_problems(findings: list[Finding], v: ModelVariant) -> list[tuple[str, list[Finding]]]:
    """(benchmark, findings) for each of ``v``'s scores that is no model accuracy."""
    out = []
    for bench in sorted({a.benchmark for a in v.accuracy}, key=bench_key):
        problems = [f for f in score_problems(findings, v.label, bench) if f.check != "accuracy_same_questions"]
        if problems:
            out.append((bench, problems))
    return out


def variant_accuracy(results: Results, findings: list[Finding] | None = None) -> list[VariantAccuracy]:
    """One accuracy verdict per variant, in file order (``findings``: this render's, else computed)."""
    findings = check_results(results) if findings is None else findings
    base = variant_baseline(v for v in results.variants if v.accuracy)
    out = []
    for v in results.variants:
        if not v.accuracy:
            out.append(VariantAccuracy(v.label, "未测", "未测（没有精度评测结果）", []))
            continue
        if v is base:
            bad = _own_problems(findings, v)
            problems = [f for _, fs in bad for f in fs]
            names = "、".join(b for b, _ in bad)
            if bad and len(bad) == len({a.benchmark for a in v.accuracy}):
                words = _problem_words(problems)
                out.append(VariantAccuracy(v.label, "无法判定", f"无法判定：{names} 的得分不是模型精度（{words}），不能作为基准",
                                           [], reason_code=problems[0].check, reason_text=words))
            elif bad:
                out.append(VariantAccuracy(v.label, "基准", f"基准（量化版本与之比较）；{names} 的得分不是模型精度"
                                           f"（{_problem_words(problems)}），不参与比较", []))
            else:
                out.append(VariantAccuracy(v.label, "基准", "基准（量化版本与之比较）", []))
            continue
        same = _same_deployment(findings, v, base)
        if same is not None:
            out.append(VariantAccuracy(v.label, "无法判定", f"无法判定：{same}", [], reason_code="same_deployment"))
            continue
        if base is None:
            bad = _own_problems(findings, v)
            if bad:  # its own scores say why first: they are no model accuracy
                problems = [f for _, fs in bad for f in fs]
                words = _problem_words(problems)
                out.append(VariantAccuracy(v.label, "无法判定", f"无法判定：{'、'.join(b for b, _ in bad)} 的得分不是模型精度"
                                           f"（{words}）", [], reason_code=problems[0].check, reason_text=words))
            else:
                out.append(VariantAccuracy(v.label, "无法判定", "无法判定（没有 FP16/BF16 基准的精度结果）", []))
            continue
        rows = benchmark_verdicts(results, v, base, findings)
        passed = [r for r in rows if r.verdict == "通过"]
        doubted = [r for r in rows if r.verdict == "存疑"]
        failed = [r for r in rows if r.verdict == "未通过"]
        undecided = [r for r in rows if r.verdict == "无法判定"]
        excluded = [r for r in rows if r.verdict == "不参与判定"]
        verdict: Word
        if failed:
            verdict = "未通过"
            text = "未通过：" + "、".join(f"{r.benchmark} 降幅 {r.drop_points:.2f} 个百分点" for r in failed)
        elif passed or doubted:
            verdict = "存疑" if doubted else "通过"
            parts = ["、".join(r.benchmark for r in passed) + " 的降幅在官方同类量化降幅或随机误差以内"] if passed else []
            parts += [f"{r.benchmark} 的降幅在允许范围内，但依据存疑（{r.reason.split('；但', 1)[1]}）" for r in doubted]
            text = f"{verdict}：" + "；".join(parts)
        else:
            verdict = "无法判定"
            text = "无法判定"
        for group in _by_reason(undecided):
            names = "、".join(r.benchmark for r in group)
            why = group[0].reason if group[0].reason_code != "no_reference" else "无官方参照且样本数未知"
            text += f"：{names}（{why}）" if text == "无法判定" else f"；{names} 无法判定（{why}）"
        if excluded:
            text += "；" + "、".join(r.benchmark for r in excluded) + " 不参与判定（评测程序缺陷）"
        out.append(VariantAccuracy(v.label, verdict, text, rows))
    return out


def _by_reason(rows: list[BenchmarkVerdict]) -> list[list[BenchmarkVerdict]]:
    """Rows grouped by their reason (benchmarks that share one are named together)."""
    groups: dict[str, list[BenchmarkVerdict]] = {}
    for r in rows:
        groups.setdefault(r.reason_code if r.reason_code == "no_reference" else r.reason, []).append(r)
    return list(groups.values())


def _same_deployment(findings: list[Finding], v: ModelVariant, base: ModelVariant | None) -> str | None:
    """「与 FP16 是同一个部署（启动命令相同…）」 when ``v`` and ``base`` are one deployment."""
    if base is None:
        return None
    for f in findings:
        if f.check == "same_deployment" and {f.precision, f.args.get("other")} == {v.label, base.label}:
            return f"与 {base.label} 是同一个部署，精度差异不是测试结果"
    return None


def verdict_table(results: Results, findings: list[Finding] | None = None) -> tuple[list[str], list[list[str]]]:
    """Section 4's verdict table: one row per (quantized variant, benchmark)."""
    base = variant_baseline(v for v in results.variants if v.accuracy)
    headers = ["量化版本", "基准", "评分口径", "得分", f"{base.label if base else 'FP16'} 得分", "降幅（百分点）",
               "官方同类量化降幅", "95% 区间", "判定", "依据"]
    rows = []
    for va in variant_accuracy(results, findings):
        for r in va.rows:
            rows.append([
                r.label, r.benchmark, MODE_ZH.get(r.mode, r.mode), pct(r.score), pct(r.base_score), f"{r.drop_points:.2f}",
                f"{r.published_drop_points:.2f}（{r.published_text}）" if r.published_drop_points is not None else "未公布",
                f"±{r.noise_points:.2f}" if r.noise_points is not None else "样本数未知",
                r.verdict, r.reason,
            ])
    return headers, rows
