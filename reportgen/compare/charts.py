"""Charts of the comparison: every card's output TPS, TTFT and TPOT against batch size on
the same axes (one colour per card, one line style per variant kind), drawn like the
evaluation document's charts (``reportgen.report.charts``). Closed-loop cases only.

One chart per model and metric: cards that served different models are never drawn on one
axis (a tiny CPU model and a 7B model on one scale compare nothing); the model is in the title.
Lines join usable points only; INVALID points are drawn hollow, alone, and the legend says so;
a chart whose every point is INVALID says so in its title."""

from __future__ import annotations

from reportgen.compare.model import Comparison
from reportgen.report.charts import COLORS, INVALID_TITLE, MARKERS, Chart, plot_line
from reportgen.report.charts import _file_name as file_name  # a digest of what is drawn, as the document's charts
from reportgen.report.charts import _render as render_chart  # the evaluation document's chart style

# name -> (title, y label, metric)
SERIES: dict[str, tuple[str, str, str]] = {
    "compare_tps": ("输出吞吐（TPS）对比", "TPS (tok/s)", "output_tps"),
    "compare_ttft": ("首词元延迟（TTFT，均值）对比", "TTFT 均值 (ms)", "ttft_mean_ms"),
    "compare_tpot": ("每输出词元时间（TPOT，均值）对比", "TPOT 均值 (ms)", "tpot_mean_ms"),
}
_STYLES = ("-", "--", ":", "-.")

Line = tuple[int, str, str, list[tuple[int, float, bool]]]  # (source index, kind, label, [(batch, y, invalid)])


def _models(c: Comparison) -> list[tuple[str, str]]:
    """(model id, the name a reader knows) of every model with closed-loop cases, in case order."""
    out: dict[str, str] = {}
    for r in c.cases:
        if r.key.request_rate is None:
            out.setdefault(r.key.model, r.model or r.key.model)
    return list(out.items())


def _lines(c: Comparison, metric: str, model: str) -> list[Line]:
    groups = sorted({(r.key.kind, r.key.input_len, r.key.output_len, r.key.dataset)
                     for r in c.cases if r.key.request_rate is None and r.key.model == model})
    shapes = {(g[1], g[2], g[3]) for g in groups}
    lines: list[Line] = []
    for s in c.sources:
        for g in groups:
            points = []
            for r in c.cases:
                if r.key.model != model or r.key.request_rate is not None or \
                        (r.key.kind, r.key.input_len, r.key.output_len, r.key.dataset) != g:
                    continue
                p = r.points[s.index]
                y = p.values.get(metric) if p is not None else None
                if p is not None and y is not None:
                    points.append((r.key.batch_size, y, not p.usable))
            if points:
                label = f"{s.label} · {g[0]}" + (f"（{g[1]}/{g[2]}）" if len(shapes) > 1 else "")
                lines.append((s.index, g[0], label, sorted(points)))
    return lines


def _title(base: str, model: str, lines: list[Line]) -> str:
    """The metric and the model every line of the chart served."""
    title = f"{base} · {model}"
    if lines and all(bad for *_, pts in lines for _, _, bad in pts):
        title += INVALID_TITLE
    return title


def _plan(c: Comparison) -> list[tuple[str, str, str, str, list[Line]]]:
    """(file name, title, y label, model, lines) of every chart, in document order."""
    out = []
    for name, (title, ylabel, metric) in SERIES.items():
        for model, shown in _models(c):
            lines = _lines(c, metric, model)
            if lines:
                out.append((file_name(name, (model, lines)), _title(title, shown, lines), ylabel, model, lines))
    return out


def chart_plan(c: Comparison) -> list[tuple[str, str]]:
    """(name, title) of the charts ``compare_charts`` draws, without drawing them."""
    from reportgen.compare.frontier import compare_frontier_plan

    return [(name, title) for name, title, *_ in _plan(c)] + compare_frontier_plan(c)


def compare_charts(c: Comparison) -> list[Chart]:
    charts = []
    kinds = sorted({r.key.kind for r in c.cases})
    for name, title, ylabel, _, lines in _plan(c):

        def draw(fig, lines=lines, title=title, ylabel=ylabel) -> None:  # noqa: ANN001
            ax = fig.add_subplot()
            batches = sorted({b for *_, pts in lines for b, _, _ in pts})
            any_invalid = False
            for source, kind, label, pts in lines:
                color, marker = COLORS[source % len(COLORS)], MARKERS[source % len(MARKERS)]
                style = _STYLES[kinds.index(kind) % len(_STYLES)] if kind in kinds else "-"
                plot_line(ax, [p[0] for p in pts], [p[1] for p in pts], [not p[2] for p in pts], marker=marker,
                          color=color, linestyle=style, linewidth=1.6, label=label)
                for b, y, bad in pts:
                    any_invalid |= bad
                    ax.plot([b], [y], marker=marker, markersize=6, color=color, linestyle="none",
                            markerfacecolor="white" if bad else color, markeredgewidth=1.4)
            if any_invalid:
                ax.plot([], [], marker="o", linestyle="none", color="#555", markerfacecolor="white",
                        label="空心点：数据无效，不连线、不参与比较")
            ax.set_xscale("log", base=2)
            ax.set_xticks(batches, [str(b) for b in batches])
            ax.minorticks_off()
            ax.set_xlabel("批大小（并发请求数）")
            ax.set_ylabel(ylabel)
            ax.set_title(title, fontsize=10)
            ax.set_ylim(bottom=0)
            ax.legend(frameon=False, fontsize=7)

        charts.append(render_chart(name, title, draw))
    from reportgen.compare.frontier import compare_frontier_chart

    fr = compare_frontier_chart(c)
    if fr is not None:
        charts.append(fr)
    return charts
