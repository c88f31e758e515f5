"""Section 「与参考卡输出一致性」 (right after section 4; ``sections.section_numbers``).

What was compared and against which reference, one column of figures per variant with its
verdict and the limits it was judged by, the figures by language and prompt length, the prompts
that differ most (prompt, reference continuation, card continuation, first differing position),
and the batch-invariance pass, reported apart from the verdict. The figures come from
``reportgen.consistency.metrics``, the verdicts from ``reportgen.consistency.verdict``, the notes
from the evidence rules (``reportgen.validity.consistency``) through this render's findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportgen.consistency.metrics import PassSummary, summarize, worst_prompts
from reportgen.consistency.verdict import (
    ConsistencyVerdict,
    batch_pass,
    by_profile_zh,
    consistency_verdict,
    kl_text,
    pct,
    reference_pass,
    variant_verdict,
)
from reportgen.report import formatting as fmt
from reportgen.report.view_types import Table
from reportgen.results import ConsistencyCheck, ConsistencyPass, ConsistencyThresholds, Finding, ModelVariant, Results
from reportgen.validity import CONSISTENCY_CHECKS
from reportgen.verdicts.sections import section_numbers
from reportgen.verdicts.states import Statement

__all__ = ["ConsistencyView", "WorstCases", "consistency_statements", "consistency_view"]

DASH = fmt.NOT_APPLICABLE
EXCERPT = 80  # characters of a text shown in a table cell
CONTINUATION = 48  # characters of a continuation in the worst-cases table
_LANG_ZH = {"zh": "中文", "en": "英文"}
_LENGTH_ZH = {"short": "短（0 样本）", "long": "长（少样本）"}
_METHOD_ZH = {
    "prompt_logprobs": "教师强制（vLLM prompt_logprobs）",
    "echo": "教师强制（echo）",
    "common_prefix": "无教师强制：仅共同前缀内的位置",
}


@dataclass
class WorstCases:
    label: str
    table: Table | None
    none_text: str | None  # when no prompt differs


@dataclass
class ConsistencyView:
    present: bool
    number: str
    heading: str
    method: list[str]  # paragraphs: what was compared, how
    definitions: Table
    reference: Table | None
    figures: Table | None
    groups: Table | None
    worst: list[WorstCases] = field(default_factory=list)
    batch: Table | None = None
    batch_text: str | None = None
    notes: list[str] = field(default_factory=list)



def prompt_set_name(name: str) -> str:
    """The shipped set by its version in words (``reportgen-consistency-v1`` -> 内置提示词集第 1 版); another as named."""
    m = re.fullmatch(r"reportgen-consistency-v(\d+)", name)
    return f"内置提示词集第 {m.group(1)} 版" if m else name

def _excerpt(text: str | None, n: int = EXCERPT) -> str:
    """Generated or prompt text as one readable line: line breaks shown as ↵, cut at ``n`` characters."""
    if text is None:
        return DASH
    t = text.replace("\r\n", "\n").replace("\n", "↵").replace("\t", " ")
    t = "".join(ch if ch.isprintable() else "�" for ch in t)
    if not t.strip():
        return f"（空白 {len(t)} 个字符）" if t else "（空）"
    return t if len(t) <= n else t[:n] + "…"


def _summary_cells(s: PassSummary) -> list[str]:
    if not s.prompts:
        return [f"0（失败 {s.errors}）"] + [DASH] * 7
    prefix = f"{s.prefix_mean:.1f} / {s.baseline_len_mean:.1f}" if s.prefix_mean is not None and s.baseline_len_mean is not None else DASH
    kl = DASH if s.kl_mean is None else f"{kl_text(s.kl_mean)}（P99 {kl_text(s.kl_p99 or 0.0)}，最大 {kl_text(s.kl_max or 0.0)}）"
    dlp = DASH if s.dlogprob_p50 is None else (
        f"{s.dlogprob_p50:.2g} / {(s.dlogprob_p90 or 0):.2g} / {(s.dlogprob_p99 or 0):.2g} / {(s.dlogprob_max or 0):.2g}")
    return [
        str(s.prompts) + (f"（失败 {s.errors}）" if s.errors else ""),
        pct(s.first_token) if s.first_token is not None else DASH,
        pct(s.exact) if s.exact is not None else DASH,
        prefix,
        pct(s.top1) if s.top1 is not None else DASH,
        kl,
        pct(s.topk_mass) if s.topk_mass is not None else DASH,
        dlp,
    ]


_ROW_NAMES = ["比较的提示词数", "首词元一致率", "完全一致率", "平均共同前缀（词元，参考平均长度）", "top-1 一致率",
              "平均 KL（nats）", "KL 覆盖的概率（参考前 k 个词元概率和的均值）", "对数概率差 中位数 / P90 / P99 / 最大"]


def thresholds_text(t: ConsistencyThresholds) -> str:
    return (f"{by_profile_zh(t.profile)}：一致须 top-1 ≥ {pct(t.top1_pass)} 且平均 KL ≤ {kl_text(t.kl_pass)}；"
            f"top-1 < {pct(t.top1_fail)}、平均 KL > {kl_text(t.kl_fail)} 或首词元 < {pct(t.first_token_fail)} 为不一致")


def _figures(checked: list[tuple[ModelVariant, ConsistencyCheck, ConsistencyVerdict]]) -> Table:
    headers = ["指标", *[v.label for v, _, _ in checked]]
    cols = []
    for _, check, cv in checked:
        p = reference_pass(check)
        cells = _summary_cells(summarize(p.prompts)) if p is not None else [DASH] * len(_ROW_NAMES)
        cells.append(_METHOD_ZH.get(p.method, p.method) if p is not None else DASH)
        cells.append(thresholds_text(check.thresholds))
        cells.append(f"{cv.judgement.verdict_zh}：{cv.judgement.reason_zh}")
        cols.append(cells)
    names = [*_ROW_NAMES, "逐位置比较方式", "阈值", "判定"]
    return Table(headers, [[name, *[c[i] for c in cols]] for i, name in enumerate(names)])


def _groups(checked: list[tuple[ModelVariant, ConsistencyCheck, ConsistencyVerdict]]) -> Table | None:
    rows = []
    for v, check, _ in checked:
        p = reference_pass(check)
        if p is None:
            continue
        keys = sorted({(x.lang or "", x.length or "") for x in p.prompts}, key=lambda k: (k[0] != "zh", k[1] != "short", k))
        if len(keys) < 2:
            continue
        for lang, length in keys:
            s = summarize([x for x in p.prompts if (x.lang or "", x.length or "") == (lang, length)])
            rows.append([v.label, f"{_LANG_ZH.get(lang, lang or '未注明')}，{_LENGTH_ZH.get(length, length or '未注明')}",
                         str(s.prompts), pct(s.first_token) if s.first_token is not None else DASH,
                         pct(s.exact) if s.exact is not None else DASH, pct(s.top1) if s.top1 is not None else DASH,
                         kl_text(s.kl_mean) if s.kl_mean is not None else DASH])
    if not rows:
        return None
    return Table(["精度", "提示词类别", "提示词数", "首词元一致率", "完全一致率", "top-1 一致率", "平均 KL"], rows)


def _worst(label: str, p: ConsistencyPass, n: int = 5) -> WorstCases:
    figs = worst_prompts(p, n)
    if not figs:
        return WorstCases(label, None, "所有提示词的输出与参考逐词元一致，教师强制下的分布也无差异。")
    rows = []
    for f in figs:
        x = f.prompt
        prompt = x.id + (f"\n{_excerpt(x.prompt_excerpt, 60)}" if x.prompt_excerpt else "")
        rows.append([
            prompt, "无" if f.first_difference is None else f"第 {f.first_difference + 1} 个词元",
            _excerpt(x.baseline_text, CONTINUATION), _excerpt(x.text, CONTINUATION),
            (pct(f.top1) if f.top1 is not None else DASH) + "\n" + (kl_text(f.kl_mean) if f.kl_mean is not None else DASH),
        ])
    return WorstCases(label, Table(["提示词", "首个差异", "参考卡输出", "被测卡输出", "top-1 / KL"], rows), None)


def _batch(checked: list[tuple[ModelVariant, ConsistencyCheck, ConsistencyVerdict]]) -> Table | None:
    rows = []
    for v, check, cv in checked:
        p = batch_pass(check)
        if p is None or cv.batch is None:
            continue
        s = cv.batch.summary
        cells = _summary_cells(s)
        rows.append([v.label, f"批大小 {p.batch_size} 对批大小 1", cells[0], cells[1], cells[2], cells[4],
                     kl_text(s.kl_mean) if s.kl_mean is not None else DASH,
                     f"{(s.dlogprob_max or 0):.2g}" if s.dlogprob_max is not None else DASH,
                     f"{cv.batch.judgement.verdict_zh}（按同精度阈值）"])
    if not rows:
        return None
    return Table(["精度", "比较", "提示词数", "首词元一致率", "完全一致率", "top-1 一致率", "平均 KL", "对数概率差最大值", "判定"], rows)


def _model(c: ConsistencyCheck) -> str:
    """The reference's model: its display name or served name, and the folder the server loaded (its last part)."""
    r = c.reference
    name = r.model_name or r.model or "未记录"
    root = r.model_root.rstrip("/").rsplit("/", 1)[-1] if r.model_root else None
    return name + (f"（加载 {root}）" if root and root != name else "")


def _reference(checked: list[tuple[ModelVariant, ConsistencyCheck, ConsistencyVerdict]]) -> Table:
    by_file: dict[str, tuple[ConsistencyCheck, list[str]]] = {}
    for v, check, _ in checked:
        key = check.reference.file_sha256 or check.reference.prompt_set_sha256
        by_file.setdefault(key, (check, []))[1].append(v.label)
    headers = ["项目", *["、".join(labels) for _, labels in by_file.values()]]

    def row(name: str, fn: object) -> list[str]:
        return [name, *[fn(c) for c, _ in by_file.values()]]  # type: ignore[operator]

    def text(x: object) -> str:
        return str(x) if x not in (None, "") else "未记录"

    rows = [
        row("参考卡", lambda c: text(c.reference.card)),
        row("模型", lambda c: _model(c)),
        row("精度", lambda c: text(c.reference.dtype) + (f"，{c.reference.quantization}" if c.reference.quantization else "")),
        row("推理引擎", lambda c: f"{c.reference.engine} {c.reference.engine_version}" if c.reference.engine else "未记录"),
        row("记录时间", lambda c: c.reference.recorded_at.strftime("%Y-%m-%d %H:%M UTC") if c.reference.recorded_at else "未记录"),
        row("提示词集", lambda c: f"{prompt_set_name(c.reference.prompt_set)}（{c.reference.prompts} 个，sha256 {c.reference.prompt_set_sha256[:12]}）"),
        row("每个提示词", lambda c: f"贪心生成至多 {c.reference.max_tokens} 个词元，记录每个位置前 {c.reference.top_k} 个词元的对数概率"),
        row("教师强制", lambda c: _METHOD_ZH.get(c.reference.teacher_forcing or "", "参考服务端不支持")),
        row("参考文件", lambda c: f"sha256 {(c.reference.file_sha256 or '未记录')[:12]}（文件路径见附录 D）"),
    ]
    return Table(headers, rows)


DEFINITIONS = Table(["指标", "含义"], [
    ["首词元一致率", "首个生成词元与参考相同的提示词所占比例（只经过预填充计算）。"],
    ["完全一致率", "贪心输出逐词元（含长度）与参考完全相同的提示词所占比例。"],
    ["平均共同前缀", "被测卡与参考的贪心输出从头开始相同的词元数的平均值；首个差异位置之后两者的输入已不同，不再逐词元比较。"],
    ["top-1 一致率", "教师强制：把参考的输出词元依次作为被测卡的输入，在每个位置上比较两者最可能的下一个词元是否相同，"
                    "所占位置比例。一处早期差异不会掩盖其后各位置的比较。"],
    ["平均 KL", "每个位置上参考分布对被测卡分布的 KL 散度（nats），取参考概率最高的前 k 个词元，其余词元合为一项；"
               "所有位置的平均。合并词元只会使 KL 变小，故为完整 KL 的下界。"],
    ["对数概率差", "每个位置上参考输出词元的对数概率在两者之间的绝对差（|Δ logprob|）。"],
])


def consistency_view(results: Results, findings: list[Finding]) -> ConsistencyView:
    sections = section_numbers(results)
    number = sections.consistency or ""
    checked: list[tuple[ModelVariant, ConsistencyCheck, ConsistencyVerdict]] = []
    for v in results.variants:
        cv = variant_verdict(v)
        if v.consistency is not None and cv is not None:
            checked.append((v, v.consistency, cv))
    if not checked:
        return ConsistencyView(present=False, number=number, heading="与参考卡输出一致性", method=[], definitions=DEFINITIONS,
                               reference=None, figures=None, groups=None)
    n_prompts = {c.reference.prompts for _, c, _ in checked}
    method = [
        f"把同一组提示词（本工具内置的提示词集，由 ceval、mmlu、gsm8k、bbh 数据抽取，中英文、0 样本与少样本各有，"
        f"参考中共 {'、'.join(map(str, sorted(n_prompts)))} 个）经参考卡服务端的对话模板转成词元，以温度 0（贪心）"
        "发给被测卡，与参考卡记录的输出逐词元比较。两侧收到的是完全相同的词元；被测卡服务端自己的对话模板另行核对。",
        "先逐个发送（批大小 1）与参考比较，给出判定；再以计划中最大的批大小并发发送同一组提示词，与被测卡自己批大小 1 的输出比较，"
        "即批处理本身带来的差异（批次不变性），单独列出，不计入判定。",
    ]
    worst = []
    for v, check, _ in checked:
        p = reference_pass(check)
        if p is not None:
            worst.append(_worst(v.label, p))
    notes = [f"{f.precision}：{f.message_zh or f.message}" for f in findings if f.check in CONSISTENCY_CHECKS]
    for v, check, _ in checked:
        if check.error and not any(f.check == "consistency_evidence" and f.precision == v.label for f in findings):
            notes.append(f"{v.label}：一致性测试未完成：“{check.error}”")
    batch = _batch(checked)
    return ConsistencyView(
        present=True, number=number, heading="与参考卡输出一致性", method=method, definitions=DEFINITIONS,
        reference=_reference(checked), figures=_figures(checked), groups=_groups(checked), worst=worst, batch=batch,
        batch_text=None if batch is not None else "未进行批次不变性测试（批大小为 1）。", notes=notes,
    )


def consistency_statements(results: Results) -> list[Statement]:
    """The 结论's consistency line per compared variant (``ConsistencyVerdict.statement_zh``),
    pointing at this section."""
    number = section_numbers(results).consistency
    return [Statement(text=cv.statement_zh, section=number) for cv in consistency_verdict(results)]
