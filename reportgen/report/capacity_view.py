"""Section 3.5 容量 of the document, and the capacity figures the conclusion page states.

``capacity_view(results)`` formats every capacity search (``ModelVariant.capacity``): its
latency limits, the answer, one row per probe with the probe's own validity status (the cell
checks of ``reportgen.validity`` run on the probe's cell), and the load curve chart
(``charts.capacity_charts``). It also carries the repeats table (mean and 95 % confidence
interval over repeated cells), which only exists when cells were repeated.

``capacity_points(results)`` is what the conclusion needs: per variant, the capacity under
its search's SLOs and the tokens per joule measured at that point (when telemetry exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reportgen.repeats import cases, repeat_stat
from reportgen.report import formatting as fmt
from reportgen.report.charts import capacity_chart_name, capacity_chart_title
from reportgen.results import CapacitySearch, ModelVariant, Results, ServingCell
from reportgen.slo import SloKey
from reportgen.slo_presets import preset_text_zh
from reportgen.validity import check_cell, status_of, title_zh
from reportgen.verdicts.power import INCOMPLETE, power_incomplete
from reportgen.verdicts.states import STATUS_ZH, Statement

__all__ = ["CapacityPoint", "CapacitySearchView", "CapacityView", "capacity_points", "capacity_view", "slo_zh"]

_METRIC_ZH = {"ttft": "TTFT", "tpot": "TPOT", "e2el": "端到端延迟", "itl": "ITL", "tfat": "首个回答词元时间"}
_STAT_ZH = {"mean": "均值", "median": "中位数"}


@dataclass
class RowsView:
    """A table (the template's ``table`` filter reads ``headers`` and ``rows``)."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class CapacitySearchView:
    heading: str
    slo: str
    bounds: str  # "并发数 1–4，起点 1" (empty: an old file that did not record them)
    answer: str
    table: RowsView
    chart: tuple[str, str] | None  # (name, title): charts/<name>.png
    notes: list[str] = field(default_factory=list)


@dataclass
class CapacityView:
    heading: str
    method: str
    searches: list[CapacitySearchView]
    repeats: RowsView | None
    present: bool  # False: nothing to show (the section is left out)


@dataclass(frozen=True)
class CapacityPoint:
    """One variant's answer for the conclusion page."""

    label: str
    by: str  # "concurrency" | "rate"
    slo: dict[str, float]
    capacity: float | None
    text: str  # Chinese, one phrase: "并发数 5（P99 TTFT ≤ 2000 ms，P99 TPOT ≤ 100 ms）"
    tokens_per_joule: float | None  # output tokens per joule in the probe at the capacity
    status: str = "VALID"  # the capacity probe's status under the cell rules
    doubts: tuple[str, ...] = ()  # the titles of the rules that put the probe in doubt


def slo_zh(slo: Mapping[str, float]) -> str:
    """``{"ttft_p99_ms": 2000, "tpot_ms": 100}`` -> ``TTFT 的 P99 ≤ 2000 ms；每个请求的 TPOT ≤ 100 ms``."""
    parts = []
    for key, limit in slo.items():
        k = SloKey.parse(key)
        metric = _METRIC_ZH.get(k.metric, k.metric)
        if k.stat is None:
            parts.append(f"每个请求的 {metric} ≤ {limit:g} ms")
        else:
            stat = _STAT_ZH.get(k.stat, k.stat.upper())
            parts.append(f"{metric} 的 {stat} ≤ {limit:g} ms")
    return "；".join(parts)


def _unit(by: str) -> str:
    return "并发数" if by == "concurrency" else "请求速率（请求/秒）"


def _value(by: str, x: float) -> str:
    return f"{x:g}" if by == "concurrency" else f"{x:.3g}"


def probe_checks(cell: ServingCell, v: ModelVariant) -> list[tuple[str, str, str]]:
    """(rule code, severity, Chinese message) of every cell rule's finding on a probe's cell
    (section 7 lists them; 3.5 notes them under the search's table)."""
    return [(f.check, f.severity, f.message_zh or f.message) for f in check_cell(cell, v)]


def probe_issues(cell: ServingCell, v: ModelVariant) -> list[tuple[str, str]]:
    """(severity, Chinese message) of every cell check that concerns a probe's cell."""
    return [(sev, msg) for _, sev, msg in probe_checks(cell, v)]


def probe_status(cell: ServingCell, v: ModelVariant) -> str:
    """VALID / WARNING / INVALID of a probe's cell under the cell checks."""
    return status_of(check_cell(cell, v))


def _tokens_per_joule(cell: ServingCell) -> float | None:
    e = cell.energy
    if e is None or not e.joules_per_output_token:
        return None
    return 1.0 / e.joules_per_output_token


def _answer(search: CapacitySearch, label: str) -> str:
    if search.capacity is None:
        low = search.probes[0].value if search.probes else None
        first = f"（最小测试点 {_value(search.by, low)} 即不满足）" if low is not None else ""
        return f"{label} 在上述延迟要求下没有满足要求的{_unit(search.by)}{first}。"
    cap = _value(search.by, search.capacity)
    text = f"{label} 满足上述全部延迟要求的最大{_unit(search.by)}为 {cap}。"
    if search.by == "concurrency":
        text += f"即每个用户同时只有一个请求时，可同时服务 {cap} 个用户。"
    if search.max_value is not None and search.capacity >= search.max_value:
        text += f"该值已达到测试上限 {search.max_value:g}，实际容量可能更高。"
    return text


def _bounds(search: CapacitySearch) -> str:
    """The range the search was allowed to probe and where it started (section 3.5 states it)."""
    if search.max_value is None:
        return ""
    unit = _unit(search.by).split("（")[0]
    lo = search.min_value if search.min_value is not None else (1.0 if search.by == "concurrency" else None)
    span = f"{_value(search.by, lo)}–{_value(search.by, search.max_value)}" if lo is not None else f"不超过 {_value(search.by, search.max_value)}"
    text = f"{unit} {span}" + ("" if search.by == "concurrency" else " 请求/秒")
    if search.start is not None:
        text += f"，起点 {_value(search.by, search.start)}（逐次加倍至上限，再二分；低于起点的负载未测试）"
    return text


def _search_view(v: ModelVariant, i: int, search: CapacitySearch, number: str) -> CapacitySearchView:
    headers = [_unit(search.by), "请求数", "TTFT P99 (ms)", "TPOT P99 (ms)", "TPS (tok/s)", "是否满足", "有效性"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for p in sorted(search.probes, key=lambda p: p.value):
        m = p.cell.metrics
        rows.append([
            _value(search.by, p.value),
            str(m.completed + m.failed) if m else fmt.missing(),
            fmt.ms(m.ttft_ms.p99) if m else fmt.missing(),
            fmt.ms(m.tpot_ms.p99) if m else fmt.missing(),
            fmt.tok_s(m.output_throughput) if m else fmt.missing(),
            "满足" if p.met else "不满足",
            STATUS_ZH[probe_status(p.cell, v)],
        ])
    for p in sorted(search.probes, key=lambda p: p.value):
        for sev, msg in probe_issues(p.cell, v):
            where = f"{_unit(search.by).split('（')[0]} {_value(search.by, p.value)}"
            if sev == "note":  # a figure that means less than it seems; the probe's status is unchanged
                notes.append(f"{where}：{msg}")
                continue
            notes.append(f"{where} 的测试数据{'无效' if sev == 'error' else '存疑'}：{msg}")
    at = next((p for p in search.probes if search.capacity is not None and p.value == search.capacity), None)
    if at is not None:
        if probe_status(at.cell, v) != "VALID":
            notes.append("容量点的测试数据存疑或无效，该容量值仅供参考。")
        tpj = _tokens_per_joule(at.cell)
        incomplete = power_incomplete(check_cell(at.cell, v), v, at.cell)
        if incomplete:
            notes.append(f"容量点的能效：{INCOMPLETE}（{incomplete}），不给出。")
        elif tpj is not None:
            notes.append(f"容量点的能效：每焦耳 {tpj:.3g} 个输出词元。")
    notes.append("搜索假定延迟随负载增大而单调上升：加倍加压在第一个不满足要求的测试点停止，其上不再测试。")
    has_chart = any(p.cell.metrics is not None for p in search.probes)
    lengths = f"输入 {search.input_len} / 输出 {search.output_len}"
    return CapacitySearchView(
        heading=f"{number} {v.label}（{lengths}，按{_unit(search.by).split('（')[0]}）",
        slo=slo_zh(search.slo) + (f"（{src}）" if (src := preset_text_zh(search.slo_preset)) else ""),
        bounds=_bounds(search),
        answer=_answer(search, v.label),
        table=RowsView(headers, rows),
        chart=(capacity_chart_name(v.label, i, search), capacity_chart_title(v.label, search.by)) if has_chart else None,
        notes=notes,
    )


def _repeats(results: Results) -> RowsView | None:
    rows: list[list[str]] = []

    def ci(values: list[float], digits: int = 2) -> str:
        st = repeat_stat(values)
        if st is None:
            return fmt.missing()
        if st.ci95 is None:
            return f"{st.mean:.{digits}f}"
        return f"{st.mean:.{digits}f} ± {st.ci95:.{digits}f}"

    for v in results.variants:
        for key, cells in cases(v).items():
            ms = [c.metrics for c in cells if c.metrics is not None]
            if len(ms) < 2:
                continue
            shape = fmt.cell_name(key)
            rows.append([
                v.label, shape, f"{key.input_len} / {key.output_len}", str(len(ms)),
                ci([m.output_throughput for m in ms]),
                ci([m.ttft_ms.p99 for m in ms if m.ttft_ms.p99 is not None]),
                ci([m.tpot_ms.p99 for m in ms if m.tpot_ms.p99 is not None]),
            ])
    if not rows:
        return None
    headers = ["精度", "负载", "输入 / 输出", "重复次数", "TPS (tok/s)", "TTFT P99 (ms)", "TPOT P99 (ms)"]
    return RowsView(headers=headers, rows=rows)


def capacity_view(results: Results) -> CapacityView:
    searches: list[CapacitySearchView] = []
    n = 0
    for v in results.variants:
        for i, s in enumerate(v.capacity):
            n += 1
            searches.append(_search_view(v, i, s, f"3.5.{n}"))
    repeats = _repeats(results)
    method = (
        "在给定的延迟要求下，从起点（默认并发数 1）开始逐次加倍加压，直至某一测试点不满足要求或到达搜索上限；"
        "再在最后一个满足要求与第一个不满足要求的测试点之间二分查找，得到满足全部要求的最大并发数"
        "（按请求速率搜索时精确到 5%）。每个测试点的请求数不少于并发数的 5 倍（按请求速率为泊松到达、"
        "不少于 100 个请求），以保证 P99 有意义；有请求失败的测试点记为不满足。"
    )
    return CapacityView(heading="3.5 容量", method=method, searches=searches, repeats=repeats,
                        present=bool(searches or repeats))


def capacity_points(results: Results) -> list[CapacityPoint]:
    """Per variant with a search: the capacity under that search's SLOs (the last search per
    variant: the plan runs one), with tokens per joule at the capacity point when telemetry exists."""
    out: list[CapacityPoint] = []
    for v in results.variants:
        if not v.capacity:
            continue
        s = v.capacity[-1]
        at = next((p for p in s.probes if s.capacity is not None and p.value == s.capacity), None)
        if s.capacity is None:
            text = f"在 {slo_zh(s.slo)} 的要求下无满足要求的{_unit(s.by)}"
        elif s.max_value is not None and s.capacity >= s.max_value:
            text = f"{_unit(s.by)}不低于 {_value(s.by, s.capacity)}（{slo_zh(s.slo)}；已达测试上限，实际容量可能更高）"
        else:
            text = f"{_unit(s.by)} {_value(s.by, s.capacity)}（{slo_zh(s.slo)}）"
        found = [f for f in check_cell(at.cell, v) if f.severity != "note"] if at is not None else []
        power_ok = at is None or not power_incomplete(found, v, at.cell)  # incomplete power: no energy figure
        out.append(CapacityPoint(
            label=v.label, by=s.by, slo=dict(s.slo), capacity=s.capacity, text=text,
            tokens_per_joule=_tokens_per_joule(at.cell) if at is not None and power_ok else None,
            status=status_of(found), doubts=tuple(dict.fromkeys(title_zh(f.check) for f in found)),
        ))
    return out


def capacity_statements(results: Results) -> list[Statement]:
    """The 结论 page's capacity line per variant (section 3.5), with tokens per joule at that point."""
    out = []
    for p in capacity_points(results):
        energy = f"，该点每焦耳输出 {p.tokens_per_joule:.2f} 个词元" if p.tokens_per_joule is not None else ""
        caveat = ""
        if p.status != "VALID":  # the answer rests on a probe the rules put in doubt: say so
            caveat = (f"；该容量点的测试数据{STATUS_ZH[p.status]}（未满足：{'；'.join(p.doubts)}），"
                      f"{'该容量值仅供参考' if p.status == 'WARNING' else '该容量值不能成立'}")
        out.append(Statement(text=f"{p.label} 容量：{p.text}{energy}{caveat}", section="3.5"))
    return out
