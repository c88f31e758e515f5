"""Section 3.x 性能前沿 of the document: throughput per card against interactivity, read at the
interactivity levels, with J/token and cost per million tokens (``reportgen.frontier``).

``frontier_view(results, findings, number)`` formats every frontier: the axes and which throughput
is drawn, the card count behind "per card", the table of values at each level (「不可达」 outside the
measured range), every point with its status and whether it is on the frontier, and the chart
(``frontier_charts.frontier_chart``). ``iso_phrase`` is the one wording of a value at a level
(the table, the 结论 statements and ``compare`` use it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportgen.frontier import (
    Frontier,
    IsoValue,
    Kind,
    frontier_levels,
    frontiers,
    read_at,
    settings_of,
)
from reportgen.report import formatting as fmt
from reportgen.report.capacity_view import RowsView
from reportgen.results import Finding, Results
from reportgen.validity.frontier import POWER_PROBLEMS_ZH

__all__ = ["FrontierView", "frontier_view", "iso_phrase", "kind_zh", "level_text", "unreachable_text"]

_STATUS_ZH = {"VALID": "有效", "WARNING": "存疑", "INVALID": "无效"}
_CARDS_ZH = {"recorded": "由评测计划或 --cards 指定", "launch_command": "由启动命令推断", "unknown": "未记录"}


@dataclass
class FrontierView:
    heading: str
    present: bool
    intro: list[str]
    table: RowsView | None
    points: RowsView | None
    chart: tuple[str, str] | None
    notes: list[str] = field(default_factory=list)


def kind_zh(kind: Kind) -> str:
    """What the frontier's y is, as the document names it."""
    return "每卡输出吞吐" if kind == "output" else "每卡总吞吐（输入 + 输出）"


def _tokens_zh(kind: Kind) -> str:
    return "输出词元" if kind == "output" else "词元（输入 + 输出）"


def level_text(x: float) -> str:
    return f"{x:.3g}"


def unreachable_text(iso: IsoValue, fr: Frontier | None = None) -> str:
    """「不可达（…）」: why a level has no value; with ``fr``, the measured range too."""
    rng = fr.measured_range if fr is not None else None
    span = f"，测得 {level_text(rng[0])}–{level_text(rng[1])} tok/s/用户" if rng else ""
    if iso.reason == "above_range":
        return f"不可达（高于测得的最高交互性{span}）"
    if iso.reason == "below_range":
        return f"不可达（低于测量范围，更高负载未测{span}）"
    return "不可达（没有有效数据点）"


def _energy_text(iso: IsoValue) -> str:
    if iso.joules_per_token is not None:
        return f"{iso.joules_per_token:.3g}"
    why = "、".join(POWER_PROBLEMS_ZH.get(c, c) for c in iso.energy_problems) or "无功耗数据"
    return f"无（{why}）"


def _cost_text(iso: IsoValue, currency: str | None) -> str:
    if iso.cost_per_mtok is None:
        return "无（评测计划未给出卡时价格）"
    return f"{iso.cost_per_mtok:.4g}" + (f" {currency}" if currency else "")


def iso_phrase(iso: IsoValue, kind: Kind, currency: str | None, fr: Frontier | None = None) -> str:
    """「交互性 200 tok/s/用户：每卡输出吞吐 582.36 tok/s，每词元能耗 …，每百万输出词元成本 …」 or 「…：不可达（…）」."""
    head = f"交互性 {level_text(iso.level)} tok/s/用户："
    if iso.throughput is None:
        return head + unreachable_text(iso, fr)
    parts = [f"{kind_zh(kind)} {iso.throughput:.2f} tok/s"]
    if iso.joules_per_token is not None:
        parts.append(f"每{_tokens_zh(kind)}能耗 {iso.joules_per_token:.3g} J")
    if iso.cost_per_mtok is not None:
        parts.append(f"每百万{_tokens_zh(kind)}成本 {iso.cost_per_mtok:.4g}" + (f" {currency}" if currency else ""))
    return head + "，".join(parts)


def _shape(fr: Frontier) -> str:
    ds = "" if fr.shape[2] == "random" else f" · {fr.shape[2]}"
    return f"{fr.shape[0]} / {fr.shape[1]}{ds}"


def frontier_view(results: Results, findings: list[Finding], number: str) -> FrontierView:
    from reportgen.report.frontier_charts import frontier_chart_plan

    frs = [f for f in frontiers(results, findings) if f.points]
    heading = f"{number} 性能前沿"
    if not frs:
        return FrontierView(heading, False, [], None, None, None)
    st = settings_of(results)
    kind: Kind = st.throughput
    levels = frontier_levels(results)
    intro = [
        "横轴为交互性：每个用户看到的输出速度，= 1000 ÷ TPOT 中位数（ms），单位 tok/s/用户；"
        f"纵轴为{kind_zh(kind)}：用例的{'输出吞吐（TPS）' if kind == 'output' else '总吞吐'} ÷ 服务所用卡数，单位 tok/s。"
        + ("输出吞吐与总吞吐不可混比（输入较长时总吞吐远大于输出吞吐），不同文档比较前应确认两者纵轴一致。"),
        "每个精度、每种输入/输出长度的全部用例（批大小测试、请求速率测试、容量搜索的探测点）各为一点；"
        "只有有效用例参与前沿，存疑与无效用例照画（空心）但不参与。前沿为帕累托最优的点："
        "没有其他点在交互性与吞吐上同时更好（图中的右上包络）。",
        "前沿上的读数用 Steffen 单调三次样条在相邻前沿点之间插值（不越过相邻两点的取值范围，保持前沿的单调性），"
        "只在测得的交互性范围内读取，不外推：高于测得最高交互性的要求记为「不可达」；低于最低交互性的要求同样记为"
        "「不可达」（更高负载未测，不代表卡做不到）。",
        f"读取的交互性：{'、'.join(level_text(x) for x in levels.values)} tok/s/用户（{levels.source_zh}）。",
    ]
    telemetry = any(p.power_problems != ("no_telemetry",) for f in frs for p in f.points)
    price = st.card_hour_price is not None
    if telemetry:
        intro.append(
            f"每{_tokens_zh(kind)}能耗 = 该交互性下的每卡平均功耗 ÷ 插值得到的{kind_zh(kind)}：功耗在相邻两个前沿点之间线性插值，"
            "两点的功耗均须有效（遥测覆盖计时窗口至少 80%、采样间隔不超过 3 个采样周期、功耗设备数等于服务所用卡数），"
            "由插值得到的吞吐换算，不单独插值。")
    else:
        intro.append("用例期间未采集加速卡遥测，不计算每词元能耗。")
    if price:
        intro.append(f"每百万{_tokens_zh(kind)}成本 = 卡时价格 ÷ (3600 × {kind_zh(kind)}) × 10⁶，由插值得到的吞吐换算，不单独插值。")
    cards_lines = []
    for label in dict.fromkeys(f.label for f in frs):
        c = next(f.cards for f in frs if f.label == label)
        if c.n is None:
            cards_lines.append(f"{label}：卡数未记录，「每卡」按每个服务实例计")
        else:
            detail = f"，{c.detail}" if c.detail else ""
            cards_lines.append(f"{label}：{c.n} 张卡（{_CARDS_ZH[c.source]}{detail}）")
    intro.append("服务所用卡数：" + "；".join(cards_lines) + "。")
    if st.card_hour_price is not None:
        cur = f" {st.currency}" if st.currency else ""
        note = f"（{st.price_note}）" if st.price_note else ""
        intro.append(f"卡时价格：{st.card_hour_price:g}{cur}/卡·小时{note}，来自评测计划。")
    else:
        intro.append("评测计划未给出卡时价格（[frontier] card_hour_price），不计算成本。")

    tokens = _tokens_zh(kind)
    cur = f"（{st.currency}）" if st.currency else ""
    headers = ["精度", "输入 / 输出", "交互性 (tok/s/用户)", f"{kind_zh(kind)} (tok/s)"]
    headers += [f"每{tokens}能耗 (J)"] if telemetry else []
    headers += [f"每百万{tokens}成本{cur}"] if price else []
    rows: list[list[str]] = []
    for fr in frs:
        for x in levels.values:
            iso = read_at(fr, x, st.card_hour_price)
            if iso.throughput is None:
                row = [fr.label, _shape(fr), level_text(x), unreachable_text(iso, fr)]
                row += [fmt.NOT_APPLICABLE] * (telemetry + price)
            else:
                row = [fr.label, _shape(fr), level_text(x), f"{iso.throughput:.2f}"]
                row += [_energy_text(iso)] if telemetry else []
                row += [_cost_text(iso, st.currency)] if price else []
            rows.append(row)
    p_headers = ["精度", "输入 / 输出", "用例", "交互性 (tok/s/用户)", "每卡输出吞吐 (tok/s)", "每卡总吞吐 (tok/s)",
                 "有效性", "在前沿上"]
    p_rows: list[list[str]] = []
    for fr in frs:
        on = {id(p) for p in fr.hull}
        for p in sorted(fr.points, key=lambda p: (p.origin != "matrix", p.interactivity)):
            where = fmt.cell_name(p.key) + ("（容量探测）" if p.origin == "capacity" else "")
            p_rows.append([fr.label, _shape(fr), where, f"{p.interactivity:.1f}", f"{p.output_per_card:.2f}",
                           f"{p.total_per_card:.2f}", _STATUS_ZH[p.status], "是" if id(p) in on else "否"])
    notes = []
    if any(not fr.hull for fr in frs):
        empty = "、".join(f"{fr.label}（{_shape(fr)}）" for fr in frs if not fr.hull)
        notes.append(f"{empty} 没有有效用例，无前沿可读。")
    plan = frontier_chart_plan(results, findings)
    return FrontierView(
        heading=heading, present=True, intro=intro, table=RowsView(headers, rows), points=RowsView(p_headers, p_rows),
        chart=plan[0] if plan else None, notes=notes,
    )
