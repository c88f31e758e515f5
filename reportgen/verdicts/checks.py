"""Pass/fail of the checks that are not serving cells: the functional request of 3.2 and the
embedding / reranker runs of sections 5 and 6. One verdict each, worded in the closed set
通过 / 未通过 / 未判定 / 未测 with its reason, and its verdict state (``outcome``); used by those
sections and by the conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.embedding_text import mode_name
from reportgen.results import EmbeddingRun, ModelVariant, Results
from reportgen.validity.functional import functional_problem, functional_tokens
from reportgen.verdicts.sections import section_numbers
from reportgen.verdicts.states import Reason, State, Statement, Verdict

__all__ = ["CheckVerdict", "embedding_verdict", "functional_tokens", "functional_verdict", "run_verdict"]

# Two ways of running the same fp16 model (FlagEmbedding vs transformers) agree to about 1e-2
# on raw reranker logits and cosine scores; a larger gap means a different model or input.
CROSS_RUN_TOLERANCE = 0.02

#: The words the document prints today, and the verdict state each stands for.
WORD_STATE: dict[str, State] = {"通过": "usable", "未通过": "unusable", "未判定": "undecidable", "未测": "undecidable"}


@dataclass(frozen=True)
class CheckVerdict:
    """A check's verdict: the document's word (通过 / 未通过 / 未判定 / 未测), its line or reason,
    and the verdict state they stand for (``outcome``, the reason coded ``code``)."""

    word: str
    text: str
    code: str

    @property
    def outcome(self) -> Verdict:
        return Verdict(WORD_STATE[self.word], (Reason(self.code, self.text),))


def functional_verdict(v: ModelVariant) -> CheckVerdict:
    """The functional request: it came back without error, with text, and ended as asked
    (``text``: one line, starting with the word)."""
    fc = v.functional_check
    if fc is None:
        return CheckVerdict("未测", "未测（没有功能测试记录）", "not_run")
    problem = functional_problem(fc)
    if problem is not None:  # the rule functional_failed words the same problem (validity.functional)
        code, words = problem
        return CheckVerdict("未通过", f"未通过：{words.zh}", code)
    text = (fc.response_text or "").strip()
    _, completion, _ = functional_tokens(fc)
    parts = [f"返回 {len(text)} 个字符的中文回答"]
    if completion is not None:
        parts.append(f"输出 {completion} 个词元")
    if fc.finish_reason == "length":
        parts.append("输出达到长度上限后结束")
    elif fc.finish_reason == "stop":
        parts.append("正常结束")
    else:
        parts.append("结束原因未记录")
    return CheckVerdict("通过", "通过（" + "，".join(parts) + "）", "answered")


def _values(r: EmbeddingRun) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for m in r.matrices:
        for i, row in enumerate(m.rows):
            for j, col in enumerate(m.cols):
                if i < len(m.values) and j < len(m.values[i]):
                    out[(row, col)] = m.values[i][j]
    for p in r.pairs:
        out[(p.a, p.b)] = p.score
    return out


def run_verdict(r: EmbeddingRun, runs: list[EmbeddingRun]) -> CheckVerdict:
    """One embedding / reranker run (``text``: the reason, without the word)."""
    if r.error:
        return CheckVerdict("未通过", "运行出错", "run_error")
    rc = r.reference_check
    if rc.status in ("pass", "fail") and rc.metric and rc.value is not None:
        cmp = "≥" if rc.metric == "min cosine" else "≤"
        name = "最小余弦相似度" if rc.metric == "min cosine" else "最大绝对差"
        tol = f"，容差：{cmp} {rc.threshold:g}" if rc.threshold is not None else ""
        word = "通过" if rc.status == "pass" else "未通过"
        return CheckVerdict(word, f"与参照比较，{name} {rc.value:.6f}{tol}", "reference_check")
    mine = _values(r)
    for other in runs:
        if other is r or other.kind != r.kind or other.model != r.model:
            continue
        theirs = _values(other)
        common = [k for k in mine if k in theirs]
        if common:
            gap = max(abs(mine[k] - theirs[k]) for k in common)
            word = "通过" if gap <= CROSS_RUN_TOLERANCE else "未通过"
            return CheckVerdict(word, (f"与另一种推理方式（{mode_name(other.mode)}）的 {len(common)} 个相同输入的得分比较，"
                                       f"最大差 {gap:.4f}，容差 ≤ {CROSS_RUN_TOLERANCE:g}"), "cross_run")
    if not mine:
        return CheckVerdict("未通过", "没有得分", "no_scores")
    return CheckVerdict("未判定", "没有参照结果可比较，只记录了得分", "no_reference")


def embedding_verdict(results: Results) -> list[Statement]:
    """One sentence per embedding / reranker run for the conclusion, with its section."""
    out = []
    sections = section_numbers(results)
    for kind, number, name in (("embedding", sections.embedding, "向量模型"), ("reranker", sections.reranker, "重排序模型")):
        runs = [r for r in results.embeddings if r.kind == kind]
        models: list[str] = []
        for r in runs:
            if r.model not in models:
                models.append(r.model)
        ordered = sorted(runs, key=lambda r: models.index(r.model))
        for i, r in enumerate(ordered, start=1):
            rv = run_verdict(r, runs)
            model = r.model.rstrip("/").rsplit("/", 1)[-1]
            out.append(Statement(f"{name} {model}（{mode_name(r.mode)}）：{rv.word}，{rv.text}。", f"{number}.{i}"))
    return out
