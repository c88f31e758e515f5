"""Charts of the document, drawn with matplotlib from the results as they are.

``serving_charts``: output TPS, TTFT and TPOT against batch size, one line per variant on
the same axes. ``accuracy_chart``: grouped bars, one group per benchmark, one bar per
variant. Each chart comes as SVG (text as paths: no font needed where it is viewed;
deterministic) for HTML/PDF and as PNG (170 dpi) for Markdown and DOCX.

Nothing is computed here: points are ``cell.metrics`` fields and ``AccuracyResult.score``.
Each serving point carries its cell's status from ``reportgen.validity.cell_status`` over
the findings of this render (the same list the 3.4 table uses): an INVALID point is drawn
hollow and grey (legend 「无效数据」), a WARNING point hollow in its line's colour (「存疑数据」).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from reportgen.report.fonts import CJK_FAMILY, find_cjk_fonts
from reportgen.results import CellKey, Finding, Results, ServingMetrics
from reportgen.validity import CellStatus, cell_status, check_results
from reportgen.variant_roles import BENCHMARK_ORDER

PNG_DPI = 170
INVALID_COLOR = "#9a9a9a"
LEGEND_INVALID = "无效数据"
LEGEND_WARNING = "存疑数据"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: charts/<name>.svg and charts/<name>.png
    title: str
    svg: bytes
    png: bytes

    def assets(self, folder: str = "charts") -> dict[str, bytes]:
        return {f"{folder}/{self.name}.svg": self.svg, f"{folder}/{self.name}.png": self.png}


def chart_assets(charts: dict[str, Chart] | list[Chart], folder: str = "charts") -> dict[str, bytes]:
    """``{"charts/<name>.svg": ..., "charts/<name>.png": ...}`` for the renderers."""
    out: dict[str, bytes] = {}
    for chart in charts.values() if isinstance(charts, dict) else charts:
        out.update(chart.assets(folder))
    return out


@lru_cache(maxsize=1)
def _pyplot():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for path in find_cjk_fonts():
        font_manager.fontManager.addfont(str(path))
    return plt


def _style() -> dict[str, object]:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [CJK_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "reportgen",
        "figure.dpi": 100,
        "font.size": 9,
        "axes.titlesize": 11,
        "axes.grid": True,
        "grid.alpha": 0.35,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _render(name: str, title: str, draw: Callable[[object], None]) -> Chart:
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig = plt.figure(figsize=(6.4, 3.6))
        try:
            draw(fig)
            fig.tight_layout()
            svg, png = io.BytesIO(), io.BytesIO()
            fig.savefig(svg, format="svg", metadata={"Date": None})
            fig.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        finally:
            plt.close(fig)
    return Chart(name=name, title=title, svg=svg.getvalue(), png=png.getvalue())


# --------------------------------------------------------------------------- serving

# name -> (title, y label, value of a cell's metrics)
SERVING_SERIES: dict[str, tuple[str, str, Callable[[ServingMetrics], float | None]]] = {
    "serving_tps": ("输出吞吐（TPS）随批大小变化", "TPS (tok/s)", lambda m: m.output_throughput),
    "serving_ttft": ("TTFT 均值随批大小变化", "TTFT 均值 (ms)", lambda m: m.ttft_ms.mean),
    "serving_tpot": ("TPOT 均值随批大小变化", "TPOT 均值 (ms)", lambda m: m.tpot_ms.mean),
}


@dataclass(frozen=True)
class Mark:
    """One drawn point: the cell it shows and that cell's status."""

    label: str  # variant label
    key: CellKey
    y: float
    status: CellStatus

    @property
    def batch(self) -> int:
        return self.key.batch_size


def serving_lines(
    results: Results, value: Callable[[ServingMetrics], float | None], findings: list[Finding] | None = None,
) -> list[tuple[str, list[Mark]]]:
    """[(line label, marks)] for every variant (and input/output length) with metrics.
    ``findings``: this render's findings (computed here when not given)."""
    if findings is None:
        findings = check_results(results)
    lines = []
    for variant in results.variants:
        shapes = sorted({(c.input_len, c.output_len) for c in variant.serving if c.metrics is not None})
        for shape in shapes:
            points = []
            for cell in sorted(variant.serving, key=lambda c: c.batch_size):
                if cell.metrics is None or (cell.input_len, cell.output_len) != shape:
                    continue
                y = value(cell.metrics)
                if y is not None:
                    points.append(Mark(variant.label, cell.key, y, cell_status(findings, variant.label, cell.key)))
            if points:
                label = variant.label if len(shapes) == 1 else f"{variant.label} ({shape[0]}/{shape[1]})"
                lines.append((label, points))
    return lines


def serving_charts(results: Results, findings: list[Finding] | None = None) -> dict[str, Chart]:
    """Output TPS, TTFT and TPOT against batch size; empty when no cell has metrics."""
    if findings is None:
        findings = check_results(results)
    charts: dict[str, Chart] = {}
    for name, (title, ylabel, value) in SERVING_SERIES.items():
        lines = serving_lines(results, value, findings)
        if not lines:
            continue

        def draw(fig, lines=lines, title=title, ylabel=ylabel) -> None:  # noqa: ANN001
            ax = fig.add_subplot()
            batches = sorted({p.batch for _, pts in lines for p in pts})
            statuses: set[str] = set()
            for i, (label, pts) in enumerate(lines):
                color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
                ax.plot([p.batch for p in pts], [p.y for p in pts], color=color, linewidth=1.4, label=label,
                        alpha=1.0 if all(p.status == "VALID" for p in pts) else 0.45)
                for p in pts:
                    statuses.add(p.status)
                    if p.status == "INVALID":
                        ax.plot([p.batch], [p.y], marker=marker, markersize=6, color=INVALID_COLOR,
                                markerfacecolor="white", markeredgewidth=1.4, linestyle="none")
                    else:
                        ax.plot([p.batch], [p.y], marker=marker, markersize=6, color=color, linestyle="none",
                                markerfacecolor=color if p.status == "VALID" else "white", markeredgewidth=1.4)
            if "INVALID" in statuses:
                ax.plot([], [], marker="o", linestyle="none", color=INVALID_COLOR, markerfacecolor="white",
                        label=LEGEND_INVALID)
            if "WARNING" in statuses:
                ax.plot([], [], marker="o", linestyle="none", color="#333333", markerfacecolor="white",
                        label=LEGEND_WARNING)
            ax.set_xscale("log", base=2)
            ax.set_xticks(batches, [str(b) for b in batches])
            ax.minorticks_off()
            ax.set_xlabel("批大小（并发请求数）")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.set_ylim(bottom=0)
            ax.legend(frameon=False)

        charts[name] = _render(name, title, draw)
    return charts


def chart_plan(results: Results) -> list[tuple[str, str]]:
    """(name, title) of every chart ``all_charts`` draws for these results, without drawing:
    what a template needs to reference ``charts/<name>.png``."""
    plan = [(name, spec[0]) for name, spec in SERVING_SERIES.items()
            if any(c.metrics is not None and spec[2](c.metrics) is not None for v in results.variants for c in v.serving)]
    if any(a.score is not None for v in results.variants for a in v.accuracy):
        plan.append(("accuracy", ACCURACY_TITLE))
    return plan


def all_charts(results: Results, findings: list[Finding] | None = None) -> dict[str, Chart]:
    """Every chart the document has, in document order (serving, then accuracy).
    ``findings``: this render's findings (see ``reportgen.report.markdown.render_inputs``)."""
    charts = serving_charts(results, findings)
    acc = accuracy_chart(results)
    if acc is not None:
        charts[acc.name] = acc
    return charts


# --------------------------------------------------------------------------- accuracy

ACCURACY_TITLE = "精度评测得分（按基准与精度）"


def accuracy_chart(results: Results) -> Chart | None:
    """Scores per benchmark (groups) and variant (bars), in percent; None without scores."""
    series: dict[str, dict[str, float]] = {}
    for variant in results.variants:
        modes = {a.mode for a in variant.accuracy if a.score is not None}
        for acc in variant.accuracy:
            if acc.score is None:
                continue
            label = variant.label if len(modes) == 1 else f"{variant.label} ({acc.mode})"
            series.setdefault(label, {})[acc.benchmark] = acc.score
    if not series:
        return None
    present = {b for scores in series.values() for b in scores}
    benches = [b for b in BENCHMARK_ORDER if b in present] + sorted(present - set(BENCHMARK_ORDER))
    title = ACCURACY_TITLE

    def draw(fig) -> None:  # noqa: ANN001
        ax = fig.add_subplot()
        n = len(series)
        width = 0.8 / n
        for i, (label, scores) in enumerate(series.items()):
            xs = [j + (i - (n - 1) / 2) * width for j, b in enumerate(benches) if b in scores]
            ys = [scores[b] * 100 for b in benches if b in scores]
            bars = ax.bar(xs, ys, width=width * 0.92, color=COLORS[i % len(COLORS)], label=label)
            ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=7 if n <= 2 else 6 if n <= 4 else 5, padding=2)
        ax.set_xticks(range(len(benches)), benches)
        ax.set_ylabel("得分 (%)")
        ax.set_ylim(0, 105)
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
        ax.legend(frameon=False, ncols=min(n, 4), loc="upper center", bbox_to_anchor=(0.5, -0.12))

    return _render("accuracy", title, draw)
