"""Section 7 (8 with a consistency section; findings): every check result, grouped, numbered for the references in 3.4."""

from __future__ import annotations

from reportgen.report import formatting as fmt
from reportgen.report.capacity_view import probe_checks
from reportgen.report.view_helpers import UNRECORDED
from reportgen.report.view_types import FindingGroupView, FindingsView, Table
from reportgen.results import Finding, Results
from reportgen.validity import CHECK_TITLES_ZH, CONSISTENCY_CHECKS, EMBEDDING_CHECKS

SEVERITY_ZH = {"error": "错误", "warning": "警告", "note": "提示"}


def _group(f: Finding) -> int:
    if f.cell is not None:
        return 0
    if f.benchmark is not None:
        return 1
    if f.check in EMBEDDING_CHECKS:
        return 2
    if f.check in CONSISTENCY_CHECKS:
        return 3
    return 4


_GROUP_TITLES = ["性能测试数据", "精度评测数据", "向量与重排序模型", "与参考卡输出一致性", "其他"]
_RANK = {"error": 0, "warning": 1, "note": 2}


def _probe_group(results: Results, start: int) -> FindingGroupView | None:
    """The capacity searches' probe cells under the same cell checks (3.5 gives each its status)."""
    rows: list[list[str]] = []
    for v in results.variants:
        for search in v.capacity:
            load = "并发数" if search.by == "concurrency" else "请求速率"
            for p in sorted(search.probes, key=lambda p: p.value):
                for name, sev, msg in probe_checks(p.cell, v):
                    rows.append([f"#{start + len(rows)}", SEVERITY_ZH.get(sev, sev), v.label,
                                 f"{load} {p.value:g}（输入 {search.input_len} / 输出 {search.output_len}）",
                                 CHECK_TITLES_ZH.get(name) or name, msg])
    if not rows:
        return None
    return FindingGroupView(title="容量搜索探测点",
                            table=Table(["编号", "级别", "精度", "探测点", "检查项", "说明"], rows))


def finding_totals(results: Results, findings: list[Finding]) -> tuple[int, int, int]:
    """(errors, warnings, notes) as section 7 counts them: the findings and the capacity probes'
    cell checks. The one count of both documents (section 7, the comparison's appendix A)."""
    probes = [sev for v in results.variants for search in v.capacity for p in search.probes
              for _, sev, _ in probe_checks(p.cell, v)]
    levels = [f.severity for f in findings] + probes
    return levels.count("error"), levels.count("warning"), levels.count("note")


def findings_view(results: Results, findings: list[Finding]) -> tuple[FindingsView, dict[int, int]]:
    ordered = sorted(
        findings,
        key=lambda f: (_group(f), _RANK.get(f.severity, 1), f.precision or "", f.cell.batch_size if f.cell else 0),
    )
    numbers = {id(f): i for i, f in enumerate(ordered, start=1)}
    groups = []
    for g, title in enumerate(_GROUP_TITLES):
        mine = [f for f in ordered if _group(f) == g]
        if not mine:
            continue
        if g in (2, 3):  # embedding runs, consistency checks: no batch or benchmark column
            headers = ["编号", "级别", "精度", "检查项", "说明"]
            rows = [[
                f"#{numbers[id(f)]}",
                SEVERITY_ZH.get(f.severity, f.severity),
                f.precision or UNRECORDED,
                CHECK_TITLES_ZH.get(f.check) or f.check,
                f.message_zh or f.message,
            ] for f in mine]
        else:
            headers = ["编号", "级别", "精度", "基准" if g == 1 else "用例", "检查项", "说明"]
            rows = [[
                f"#{numbers[id(f)]}",
                SEVERITY_ZH.get(f.severity, f.severity),
                f.precision or fmt.NOT_APPLICABLE,
                fmt.cell_name(f.cell) if f.cell is not None else (f.benchmark or fmt.NOT_APPLICABLE),
                CHECK_TITLES_ZH.get(f.check) or f.check,
                f.message_zh or f.message,
            ] for f in mine]
        groups.append(FindingGroupView(title=title, table=Table(headers, rows)))
    probes = _probe_group(results, start=len(ordered) + 1)
    if probes is not None:  # right after the performance cells' group
        groups.insert(1 if any(_group(f) == 0 for f in ordered) else 0, probes)
    n_cells = sum(len(v.serving) for v in results.variants)
    n_probes = sum(len(s.probes) for v in results.variants for s in v.capacity)
    n_acc = sum(len(v.accuracy) for v in results.variants)
    probe_rows = probes.table.rows if probes is not None else []
    errors, warnings, notes = finding_totals(results, findings)
    checked = f"共检查 {n_cells} 个性能用例" + (f"、{n_probes} 个容量搜索探测点" if n_probes else "") + f"、{n_acc} 项精度结果"
    if results.embeddings:
        checked += f"、{len(results.embeddings)} 项向量/重排序模型测试"
    n_consistency = sum(v.consistency is not None for v in results.variants)
    if n_consistency:
        checked += f"、{n_consistency} 项与参考卡的一致性比较"
    if findings or probe_rows:
        summary = f"{checked}：发现错误 {errors} 项、警告 {warnings} 项" + (f"、提示 {notes} 项" if notes else "") + "。"
    elif n_cells or n_probes or n_acc or results.embeddings or n_consistency:
        summary = f"{checked}：未发现问题。"
    else:
        summary = fmt.missing("not_collected", "没有可检查的数据")
    return FindingsView(summary=summary, groups=groups), numbers
