"""The frontiers of several results files on one frame, and their values at the same interactivity.

Every file's frontiers (``reportgen.frontier.frontiers``, one per variant and shape, from that file's
own findings) are drawn together: one colour per (card, variant), the legend naming the card, the
variant and the model. All are drawn with the baseline file's throughput kind (output or total) and
read at the baseline's interactivity levels, so that they are comparable; each file's cost uses its
own card-hour price and currency. A value at a level is compared with the baseline's value of the same
model, variant kind and shape at that level (other ÷ baseline; 「不可达」 on either side: no ratio).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.compare.matching import model_id, model_name
from reportgen.compare.model import Comparison
from reportgen.frontier import Frontier, IsoValue, Kind, frontier_levels, frontiers, pareto, read_at, settings_of
from reportgen.report.charts import Chart, _file_name
from reportgen.report.frontier_charts import draw_frontiers
from reportgen.report.frontier_view import iso_phrase, kind_zh, level_text, unreachable_text
from reportgen.report.view_types import Table
from reportgen.variant_roles import variant_kind

__all__ = ["FrontierLine", "compare_frontier_chart", "compare_frontier_plan", "compare_frontier_table", "frontier_lines"]

TITLE = "性能前沿对比：每卡吞吐与交互性"


@dataclass(frozen=True)
class FrontierLine:
    source: int
    label: str  # legend: "card · variant · model"
    key: tuple[str, str, tuple[int, int, str]]  # model id, variant kind, shape: what is compared across files
    frontier: Frontier
    price: float | None
    currency: str | None


def _kind(c: Comparison) -> Kind:
    return settings_of(c.base.results).throughput


def frontier_lines(c: Comparison) -> list[FrontierLine]:
    kind = _kind(c)
    out = []
    for s in c.sources:
        st = settings_of(s.results)
        variants = {v.label: v for v in s.results.variants}
        for fr in frontiers(s.results, s.findings):
            if not fr.points:
                continue
            fr = Frontier(fr.label, fr.model, fr.shape, fr.cards, kind, fr.points,
                          pareto([p for p in fr.points if p.status == "VALID"], kind))
            v = variants[fr.label]
            model = model_name(s.results, v) or "未知模型"
            out.append(FrontierLine(s.index, f"{s.label} · {fr.label} · {model}",
                                    (model_id(model), variant_kind(v), fr.shape), fr, st.card_hour_price, st.currency))
    return out


def _digest(lines: list[FrontierLine], levels: list[float]) -> object:
    return [(ln.label, ln.frontier.shape, [(p.interactivity, p.y(ln.frontier.kind), p.status) for p in ln.frontier.points])
            for ln in lines], levels


def compare_frontier_plan(c: Comparison) -> list[tuple[str, str]]:
    lines = frontier_lines(c)
    levels = frontier_levels(c.base.results).values
    return [(_file_name("compare_frontier", _digest(lines, levels)), TITLE)] if lines else []


def compare_frontier_chart(c: Comparison) -> Chart | None:
    lines = frontier_lines(c)
    if not lines:
        return None
    levels = frontier_levels(c.base.results).values
    return draw_frontiers([(ln.label, ln.frontier) for ln in lines], levels, _kind(c),
                          _file_name("compare_frontier", _digest(lines, levels)), TITLE, colors=list(range(len(lines))))


def compare_frontier_table(c: Comparison) -> tuple[Table | None, list[str]]:
    """Rows per (model, kind, shape) and level: each file's value and its ratio to the baseline's."""
    lines = frontier_lines(c)
    if not lines:
        return None, []
    kind = _kind(c)
    levels = frontier_levels(c.base.results)
    rows: list[list[str]] = []
    keys = list(dict.fromkeys(ln.key for ln in lines))
    for key in keys:
        mine = [ln for ln in lines if ln.key == key]
        base = next((ln for ln in mine if ln.source == c.baseline), None)
        for x in levels.values:
            b: IsoValue | None = read_at(base.frontier, x, base.price) if base is not None else None
            for ln in mine:
                iso = read_at(ln.frontier, x, ln.price)
                value = f"{iso.throughput:.2f}" if iso.throughput is not None else unreachable_text(iso, ln.frontier)
                if ln.source == c.baseline:
                    ratio = "基准"
                elif b is None:
                    ratio = "基准卡无同条件前沿"
                elif b.throughput is None or iso.throughput is None:
                    ratio = "无（一方不可达）"
                else:
                    ratio = f"{iso.throughput / b.throughput:.2f}×"
                energy = f"{iso.joules_per_token:.3g}" if iso.joules_per_token is not None else "—"
                cost = (f"{iso.cost_per_mtok:.4g}" + (f" {ln.currency}" if ln.currency else "")
                        if iso.cost_per_mtok is not None else "—")
                shape = f"{key[2][0]}/{key[2][1]}"
                rows.append([f"{ln.frontier.label}（{shape}）", ln.label.split(" · ")[0], level_text(x), value, ratio,
                             energy, cost])
    token = "输出词元" if kind == "output" else "词元"
    table = Table(["版本（输入/输出）", "加速卡", "交互性 (tok/s/用户)", f"{kind_zh(kind)} (tok/s)", "吞吐比值",
                   f"每{token}能耗 (J)", f"每百万{token}成本"], rows)
    notes = [
        f"各文件的前沿均按基准文件的纵轴（{kind_zh(kind)}）绘制与读取，读取的交互性为基准文件的"
        f"{'、'.join(level_text(x) for x in levels.values)} tok/s/用户（{levels.source_zh}）。",
        "读数由 Steffen 单调样条在测得范围内插值，范围外为「不可达」；吞吐比值 = 本卡 ÷ 基准卡，同一模型、版本与输入/输出长度下比较；"
        "成本按各文件评测计划中的卡时价格与货币计算。",
    ]
    return table, notes


def summary_phrases(c: Comparison) -> list[str]:
    """One phrase per line and level (for texts that name the frontier in words)."""
    levels = frontier_levels(c.base.results).values
    return [f"{ln.label}：" + "；".join(iso_phrase(read_at(ln.frontier, x, ln.price), ln.frontier.kind, ln.currency)
                                      for x in levels) for ln in frontier_lines(c)]
