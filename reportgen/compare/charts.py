"""Charts of the comparison: every card's output TPS, TTFT and TPOT against batch size on
the same axes (one colour per card, one line style per variant kind), drawn like the
evaluation document's charts (``reportgen.report.charts``). Closed-loop cases only; points
of INVALID cells are drawn hollow and the legend says so."""

from __future__ import annotations

from reportgen.compare.model import Comparison
from reportgen.report.charts import COLORS, MARKERS, Chart
from reportgen.report.charts import _render as render_chart  # the evaluation document's chart style

# name -> (title, y label, metric)
SERIES: dict[str, tuple[str, str, str]] = {
    "compare_tps": ("输出吞吐（TPS）对比", "输出吞吐 (tokens/s)", "output_tps"),
    "compare_ttft": ("首词元延迟（TTFT，均值）对比", "TTFT 均值 (ms)", "ttft_mean_ms"),
    "compare_tpot": ("每输出词元时间（TPOT，均值）对比", "TPOT 均值 (ms)", "tpot_mean_ms"),
}
_STYLES = ("-", "--", ":", "-.")

Line = tuple[int, str, list[tuple[int, float, bool]]]  # (source index, label, [(batch, y, invalid)])


def _lines(c: Comparison, metric: str) -> list[Line]:
    groups = sorted({(r.key.model, r.key.kind, r.key.input_len, r.key.output_len, r.key.dataset)
                     for r in c.cases if r.key.request_rate is None})
    shapes = {(g[0], g[2], g[3], g[4]) for g in groups}
    lines: list[Line] = []
    for s in c.sources:
        for g in groups:
            points = []
            for r in c.cases:
                if (r.key.model, r.key.kind, r.key.input_len, r.key.output_len, r.key.dataset) != g or r.key.request_rate is not None:
                    continue
                p = r.points[s.index]
                y = p.values.get(metric) if p is not None else None
                if p is not None and y is not None:
                    points.append((r.key.batch_size, y, not p.usable))
            if points:
                label = f"{s.label} · {g[1]}" + (f"（{g[2]}/{g[3]}）" if len(shapes) > 1 else "")
                lines.append((s.index, label, sorted(points)))
    return lines


def chart_plan(c: Comparison) -> list[tuple[str, str]]:
    """(name, title) of the charts ``compare_charts`` draws, without drawing them."""
    from reportgen.compare.frontier import compare_frontier_plan

    return [(name, spec[0]) for name, spec in SERIES.items() if _lines(c, spec[2])] + compare_frontier_plan(c)


def compare_charts(c: Comparison) -> list[Chart]:
    charts = []
    kinds = sorted({r.key.kind for r in c.cases})
    for name, (title, ylabel, metric) in SERIES.items():
        lines = _lines(c, metric)
        if not lines:
            continue

        def draw(fig, lines=lines, title=title, ylabel=ylabel) -> None:  # noqa: ANN001
            ax = fig.add_subplot()
            batches = sorted({b for _, _, pts in lines for b, _, _ in pts})
            any_invalid = False
            for source, label, pts in lines:
                kind = label.split(" · ", 1)[1].split("（", 1)[0]
                color, marker = COLORS[source % len(COLORS)], MARKERS[source % len(MARKERS)]
                style = _STYLES[kinds.index(kind) % len(_STYLES)] if kind in kinds else "-"
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, linestyle=style, linewidth=1.6, label=label)
                for b, y, bad in pts:
                    any_invalid |= bad
                    ax.plot([b], [y], marker=marker, markersize=6, color=color,
                            markerfacecolor="white" if bad else color, markeredgewidth=1.4)
            if any_invalid:
                ax.plot([], [], marker="o", linestyle="none", color="#555", markerfacecolor="white",
                        label="空心点：数据无效，不参与比较")
            ax.set_xscale("log", base=2)
            ax.set_xticks(batches, [str(b) for b in batches])
            ax.minorticks_off()
            ax.set_xlabel("批大小（并发请求数）")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.set_ylim(bottom=0)
            ax.legend(frameon=False, fontsize=7)

        charts.append(render_chart(name, title, draw))
    from reportgen.compare.frontier import compare_frontier_chart

    fr = compare_frontier_chart(c)
    if fr is not None:
        charts.append(fr)
    return charts
