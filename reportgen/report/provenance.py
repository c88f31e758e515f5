"""Where every figure came from, kept out of the reader's text: the appendices
「原始测试输出」 (the benchmark and evaluation output as printed) and
「数据来源与可追溯性」 (sources, formats, how each value was obtained, the tool's version,
the results file and the command lines that wrote it), and the evaluation period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from reportgen.embedding_text import mode_name
from reportgen.report import formatting as fmt
from reportgen.results import Results
from reportgen.validity import cell_order
from reportgen.variant_roles import MODE_ZH
from reportgen.verdicts.sections import section_numbers

_DATE = re.compile(r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?!\d)")


@dataclass
class RawBlock:
    title: str
    text: str


@dataclass
class ProvenanceGroup:
    title: str
    lines: list[str]


@dataclass
class ProvenanceView:
    groups: list[ProvenanceGroup]  # one per part of the document: how each value was obtained
    tool: str
    results_file: str
    commands: list[str]
    notes: list[str]


def _dates_in(text: str | None) -> list[date]:
    out = []
    for y, m, d in _DATE.findall(text or ""):
        try:
            out.append(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return out


def evaluation_period(results: Results) -> str | None:
    """Earliest – latest measurement; for imported data, the dates the imported text prints."""
    if results.subject.period:
        return results.subject.period
    stamps: list[date] = []
    for v in results.variants:
        for c in v.serving:
            for t in (c.started_at, c.finished_at):
                if t is not None and c.source == "measured":
                    stamps.append(t.date())
        for a in v.accuracy:
            for t in (a.started_at, a.finished_at):
                if t is not None and a.source == "measured":
                    stamps.append(t.date())
    for r in results.embeddings:
        for t in (r.started_at, r.finished_at):
            if t is not None and r.origin == "measured":
                stamps.append(t.date())
    if not stamps and any(f.origin == "measured" for f in results.environment.facts.values()):
        # only facts were collected (a hardware-only run): the days the collecting ran
        for inv in results.invocations:
            if inv.argv[1:2] == ["collect"]:
                stamps += [t.date() for t in (inv.started_at, inv.finished_at) if t is not None]
    if not stamps:
        texts: list[str | None] = [s.output for s in results.deployment] + [r.output for r in results.embeddings]
        texts += [a.import_info.text for v in results.variants for a in v.accuracy if a.import_info]
        texts += [c.import_info.text for v in results.variants for c in v.serving if c.import_info]
        for text in texts:
            stamps += _dates_in(text)
    if not stamps:
        return None
    lo, hi = min(stamps), max(stamps)
    return lo.isoformat() if lo == hi else f"{lo.isoformat()} 至 {hi.isoformat()}"


def command_line(argv: list[str]) -> str:
    """An invocation as a shell line (values quoted where a shell needs it)."""
    return " ".join(_quote(a) for a in argv)


def run_command(results: Results, when: datetime | None) -> str | None:
    """The command that measured something at ``when``: the invocation (``reportgen collect``,
    ``bench``, ``eval``) running at that time, or None. For cells and scores whose own
    ``command`` is empty because the tool ran them inside a larger run."""
    if when is None:
        return None
    for inv in results.invocations:
        if inv.started_at <= when and (inv.finished_at is None or when <= inv.finished_at):
            return command_line(inv.argv)
    return None


def raw_blocks(results: Results, limit: int | None = None) -> tuple[list[RawBlock], int]:
    """The benchmark and evaluation output as printed, one block each; at most ``limit`` serving
    blocks (a document of thousands of cells keeps the rest in the results file only). Returns
    the blocks and how many serving blocks were left out."""
    out: list[RawBlock] = []
    left_out = 0
    for v in results.variants:
        for c in sorted(v.serving, key=cell_order):
            if c.import_info and c.import_info.text:
                if limit is not None and len(out) >= limit:
                    left_out += 1
                    continue
                out.append(RawBlock(f"{v.label} · {fmt.cell_name(c.key, lengths=True)}：性能测试输出",
                                    c.import_info.text))
    for v in results.variants:
        seen: list[str] = []
        for a in v.accuracy:
            text = a.import_info.text if a.import_info else None
            if text and text not in seen:
                seen.append(text)
        for i, text in enumerate(seen, start=1):
            suffix = f"（第 {i} 段）" if len(seen) > 1 else ""
            out.append(RawBlock(f"{v.label}：精度评测输出{suffix}", text))
    return out, left_out


_ORIGIN_HOW = {
    "measured": "本工具实测",
    "spec_sheet": "厂商规格书",
    "imported": "取自已有文档（未在本机重新执行）",
    "user": "用户提供",
}


def provenance(results: Results, source: str | None, unlabelled: list[str] | None = None) -> ProvenanceView:
    """``unlabelled``: fact keys section 1 has no row for; listed here with their values."""
    groups: list[ProvenanceGroup] = []
    facts = results.environment.facts
    lines = []
    by_how: dict[str, list[str]] = {}
    for key, f in facts.items():
        how = _ORIGIN_HOW.get(f.origin, f.origin)
        if f.source:
            by_how.setdefault(f"{how}，命令 {f.source}", []).append(key)
        elif f.origin == "spec_sheet" and f.detail:
            by_how.setdefault(f"{how}（{f.detail}）", []).append(key)
        else:
            by_how.setdefault(how, []).append(key)
    for how, keys in by_how.items():
        lines.append(f"{how}：{'、'.join(keys)}")
    recorded = [f"{k}：{f.detail}" for k, f in facts.items()
                if not f.present and f.detail and not f.note and f.origin not in ("imported", "user")]
    if recorded:  # an older file's English collector detail: kept here, not in the main text
        lines.append("缺失项的采集记录（原文）：" + "；".join(recorded))
    unlisted = [f"{k} = {fmt.fact_text(facts[k])}" for k in unlabelled or [] if k in facts]
    if unlisted:
        lines.append("第 1 节表格未列出的采集项：" + "；".join(unlisted))
    if lines:
        groups.append(ProvenanceGroup("第 1 节 环境规格", lines))
    imported_steps = [s.title for s in results.deployment if s.origin == "imported"]
    if imported_steps:
        groups.append(ProvenanceGroup("第 2 节 环境部署", [f"{len(imported_steps)} 个步骤{_ORIGIN_HOW['imported']}，命令与输出按原文转录。"]))
    lines = []
    for v in results.variants:
        fc = v.functional_check
        if fc is not None:
            line = f"3.2 {v.label} 功能测试：{_ORIGIN_HOW.get(fc.origin, fc.origin)}"
            if fc.completion_tokens is None and fc.raw_response and "total_tokens" in fc.raw_response:
                line += "；原文响应被截断，输出词元数由 total_tokens − prompt_tokens 得出"
            lines.append(line)
        for c in sorted(v.serving, key=cell_order):
            info = c.import_info
            where = f"3.3 {v.label} {fmt.cell_name(c.key, lengths=True)}"
            if info is not None:
                how = f"{_ORIGIN_HOW['imported']}：文件 {info.file}，第 {info.block + 1} 段，格式 {info.format}"
                if info.derived and c.metrics is not None:
                    vals = []
                    for name in info.derived:
                        val = getattr(c.metrics, name, None)
                        vals.append(f"{name} = {fmt.number(val, 2) if isinstance(val, float) else val}")
                    how += "；原文未打印、由所印数值计算：" + "，".join(vals)
                lines.append(f"{where}：{how}")
            else:
                how = _ORIGIN_HOW.get(c.source, c.source)
                if c.requests:
                    how += f"，{len(c.requests)} 条逐请求记录，统计量由记录计算"
                lines.append(f"{where}：{how}")
                lines += [f"{where}：{n}" for n in c.notes]
    if lines:
        groups.append(ProvenanceGroup("第 3 节 性能测试", lines))
    lines = []
    for v in results.variants:
        for a in v.accuracy:
            info = a.import_info
            how = _ORIGIN_HOW.get(a.source, a.source)
            if info is not None:
                how += f"：文件 {info.file}，第 {info.block + 1} 段，格式 {info.format}"
            how += f"；评分口径 {MODE_ZH.get(a.mode, a.mode)}" + (f"；答案抽取 {a.extractor}" if a.extractor else "")
            lines.append(f"4 {v.label} {a.benchmark}：{how}")
    if lines:
        groups.append(ProvenanceGroup("第 4 节 精度评测", lines))
    numbers = section_numbers(results)
    refs = {(k.reference.file, k.reference.file_sha256) for v in results.variants if (k := v.consistency) is not None}
    lines = [f"参考文件 {file or '未记录'}（sha256 {sha or '未记录'}）" for file, sha in sorted(refs, key=str)]
    if lines and numbers.consistency:
        groups.append(ProvenanceGroup(f"第 {numbers.consistency} 节 与参考卡输出一致性", lines))
    lines = []
    for r in results.embeddings:
        how = _ORIGIN_HOW.get(r.origin, r.origin)
        extra = "；".join(x for x in (f"模型路径 {r.model_path}" if r.model_path else "",
                                       f"服务 {r.base_url}" if r.base_url else "") if x)
        number = numbers.embedding if r.kind == "embedding" else numbers.reranker
        lines.append(f"{number} {r.model}（{mode_name(r.mode)}）：{how}" + (f"；{extra}" if extra else ""))
    if lines:
        groups.append(ProvenanceGroup(f"第 {numbers.embedding}、{numbers.reranker} 节 向量与重排序模型", lines))
    commands = [command_line(inv.argv) for inv in results.invocations]
    return ProvenanceView(
        groups=groups,
        tool=f"{results.tool.name} {results.tool.version}",
        results_file=source or "未记录",
        commands=commands,
        notes=list(results.notes),
    )


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"
