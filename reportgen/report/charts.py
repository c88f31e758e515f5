"""Charts of the document, drawn with matplotlib from the results as they are.

``serving_charts``: output TPS, TTFT and TPOT against batch size, one line per variant on
the same axes. ``capacity_charts``: per capacity search, the load curve (section 3.5). The
frontier and soak charts are in ``frontier_charts``. ``accuracy_chart``: grouped bars, one group per benchmark, one bar per
variant. Each chart comes as SVG (text as paths: no font needed where it is viewed;
deterministic) for HTML/PDF and as PNG (170 dpi) for Markdown and DOCX.

Nothing is computed here: points are ``cell.metrics`` fields and ``AccuracyResult.score``.
Each serving point carries its cell's status from ``reportgen.validity.cell_status`` over
the findings of this render (the same list the 3.4 table uses): an INVALID point is drawn
hollow and grey (legend 「无效数据」), a WARNING point hollow in its line's colour (「存疑数据」).

A chart's file name is its kind plus a digest of what it draws (``serving_tps-1a2b3c4d``), so
two documents rendered into one folder never overwrite each other's charts, and rendering
the same data twice writes the same files; a label is never part of a file name. Every text a
chart draws goes through ``safe_text.document_text`` (the document's one sanitising step).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportgen.report.fonts import CJK_FAMILY, find_cjk_fonts
from reportgen.report.safe_text import document_text
from reportgen.results import CapacitySearch, CellKey, Finding, Results, ServingMetrics
from reportgen.validity import CellStatus, cell_status, check_results
from reportgen.variant_roles import BENCHMARK_ORDER, MODE_ZH

PNG_DPI = 170
INVALID_COLOR = "#9a9a9a"
LEGEND_INVALID = "无效数据"
LEGEND_WARNING = "存疑数据"
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
MAX_LABELLED_TICKS = 24  # batch sizes labelled one by one; beyond, the axis's own ticks


@dataclass(frozen=True)
class Chart:
    name: str  # file stem, "<kind>-<digest of the data>": charts/<name>.svg and charts/<name>.png
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
        "svg.fonttype": "none",  # text as text: selectable, and a quarter of the SVG to lay out
        "text.parse_math": False,  # a label's "$" is a dollar sign, never mathtext (which can fail)
        "svg.hashsalt": "reportgen",
        "figure.dpi": PNG_DPI,
        "font.size": 9,
        "axes.titlesize": 11,
        "axes.grid": True,
        "grid.alpha": 0.35,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _file_name(kind: str, data: object) -> str:
    """``kind-<8 hex>``: the digest of the drawn data makes the name differ between documents."""
    return f"{kind}-{hashlib.sha256(repr(data).encode('utf-8')).hexdigest()[:8]}"


def _sanitised(func: Callable[..., Any]) -> Callable[..., str]:
    def label(x: Any, pos: Any = None) -> str:
        return document_text(func(x, pos), "chart")

    return label


def _safe_text(fig: object) -> None:
    """Every text of the figure (titles, labels, legends, ticks) through the document's one
    sanitising step: no control character, and a 300-character label cut to fit."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for t in fig.findobj(Text):  # type: ignore[attr-defined]
        s = t.get_text()
        if s:
            safe = document_text(s, "chart")
            if safe != s:
                t.set_text(safe)
    for ax in fig.axes:  # type: ignore[attr-defined]
        for axis in (ax.xaxis, ax.yaxis):  # tick labels given as text are drawn later, from the formatter
            for fmt in (axis.get_major_formatter(), axis.get_minor_formatter()):
                if isinstance(fmt, FixedFormatter):
                    fmt.seq = [document_text(str(x), "chart") for x in fmt.seq]
                elif isinstance(fmt, FuncFormatter):  # set_xticks(ticks, labels) keeps them in one
                    fmt.func = _sanitised(fmt.func)


def _render(name: str, title: str, draw: Callable[[object], None]) -> Chart:
    plt = _pyplot()
    with plt.rc_context(_style()):
        fig = plt.figure(figsize=(6.4, 3.6))
        try:
            draw(fig)
            _safe_text(fig)
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
        # against batch size: the closed-loop cells (an open-loop cell's batch size is its request
        # count, not a load: those are in 3.4 and the capacity curves)
        closed = [c for c in variant.serving if c.metrics is not None and c.request_rate is None]
        shapes = sorted({(c.input_len, c.output_len) for c in closed})
        for shape in shapes:
            points = []
            for cell in sorted(closed, key=lambda c: c.batch_size):
                if (cell.input_len, cell.output_len) != shape:
                    continue
                assert cell.metrics is not None  # closed holds measured cells only
                y = value(cell.metrics)
                if y is not None:
                    points.append(Mark(variant.label, cell.key, y, cell_status(findings, variant.label, cell.key)))
            if points:
                label = variant.label if len(shapes) == 1 else f"{variant.label} ({shape[0]}/{shape[1]})"
                lines.append((label, points))
    return lines


INVALID_TITLE = "（全部数据无效，仅供核对）"


def serving_title(title: str, lines: list[tuple[str, list[Mark]]]) -> str:
    """A chart whose every point is INVALID says so in its title: it shows what was printed, not
    a measurement anyone may use."""
    if lines and all(p.status == "INVALID" for _, pts in lines for p in pts):
        return title + INVALID_TITLE
    return title


def plot_line(ax, xs: list[float], ys: list[float], usable: list[bool], *, marker: str | None = None,  # noqa: ANN001
              **style: object) -> None:
    """A line through the usable points only: consecutive usable points are joined, an invalid
    point breaks the line (it is drawn alone, hollow, by the caller). A legend entry always, with
    the series' ``marker`` (the shape its hollow invalid points keep)."""
    label = style.pop("label", None)
    ax.plot([], [], label=label, marker=marker, markersize=5, **style)
    run_x: list[float] = []
    run_y: list[float] = []
    for x, y, ok in [*zip(xs, ys, usable), (None, None, False)]:
        if ok:
            run_x.append(x)  # type: ignore[arg-type]
            run_y.append(y)  # type: ignore[arg-type]
            continue
        if len(run_x) > 1:
            ax.plot(run_x, run_y, **style)
        run_x, run_y = [], []


def serving_charts(results: Results, findings: list[Finding] | None = None) -> dict[str, Chart]:
    """Output TPS, TTFT and TPOT against batch size; empty when no cell has metrics."""
    if findings is None:
        findings = check_results(results)
    charts: dict[str, Chart] = {}
    for name, (title, ylabel, value) in SERVING_SERIES.items():
        lines = serving_lines(results, value, findings)
        if not lines:
            continue

        title = serving_title(title, lines)

        def draw(fig, lines=lines, title=title, ylabel=ylabel) -> None:  # noqa: ANN001
            ax = fig.add_subplot()
            batches = sorted({p.batch for _, pts in lines for p in pts})
            statuses: set[str] = set()
            for i, (label, pts) in enumerate(lines):
                color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
                plot_line(ax, [p.batch for p in pts], [p.y for p in pts], [p.status != "INVALID" for p in pts],
                          marker=marker, color=color, linewidth=1.4, label=label,
                          alpha=1.0 if all(p.status == "VALID" for p in pts) else 0.45)
                # one artist per status, not per point: thousands of cells draw in linear time
                for status in ("VALID", "WARNING", "INVALID"):
                    group = [p for p in pts if p.status == status]
                    if not group:
                        continue
                    statuses.add(status)
                    xs, ys = [p.batch for p in group], [p.y for p in group]
                    if status == "INVALID":
                        ax.plot(xs, ys, marker=marker, markersize=6, color=INVALID_COLOR,
                                markerfacecolor="white", markeredgewidth=1.4, linestyle="none")
                    else:
                        ax.plot(xs, ys, marker=marker, markersize=6, color=color, linestyle="none",
                                markerfacecolor=color if status == "VALID" else "white", markeredgewidth=1.4)
            if "INVALID" in statuses:
                ax.plot([], [], marker="o", linestyle="none", color=INVALID_COLOR, markerfacecolor="white",
                        label=LEGEND_INVALID + "（不连线）")
            if "WARNING" in statuses:
                ax.plot([], [], marker="o", linestyle="none", color="#333333", markerfacecolor="white",
                        label=LEGEND_WARNING)
            ax.set_xscale("log", base=2)
            if len(batches) <= MAX_LABELLED_TICKS:
                ax.set_xticks(batches, [str(b) for b in batches])
            else:  # thousands of batch sizes: powers of two, not one unreadable label per cell
                from matplotlib.ticker import FuncFormatter

                ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
            ax.minorticks_off()
            ax.set_xlabel("批大小（并发请求数）")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.set_ylim(bottom=0)
            ax.legend(frameon=False, loc="best" if sum(len(p) for _, p in lines) <= MAX_LABELLED_TICKS else "upper left")

        charts[name] = _render(_file_name(name, lines), title, draw)
    return charts


def chart_plan(results: Results, findings: list[Finding] | None = None) -> list[tuple[str, str]]:
    """(name, title) of every chart ``all_charts`` draws for these results, without drawing:
    what a template needs to reference ``charts/<name>.png``. ``findings``: this render's
    (the chart names digest the drawn marks, statuses included)."""
    if findings is None:
        findings = check_results(results)
    plan = []
    for name, spec in SERVING_SERIES.items():
        lines = serving_lines(results, spec[2], findings)
        if lines:
            plan.append((_file_name(name, lines), serving_title(spec[0], lines)))
    plan += accuracy_chart_plan(results, findings)
    plan += capacity_chart_plan(results)
    from reportgen.report.frontier_charts import frontier_chart_plan, soak_chart_plan  # they draw with this module

    plan += frontier_chart_plan(results, findings)
    plan += soak_chart_plan(results)
    return plan


def all_charts(results: Results, findings: list[Finding] | None = None) -> dict[str, Chart]:
    """Every chart the document has, in document order (serving, then accuracy).
    ``findings``: this render's findings (see ``reportgen.report.markdown.render_inputs``)."""
    charts = serving_charts(results, findings)
    acc = accuracy_chart(results, findings)
    if acc is not None:
        charts[acc.name] = acc
    charts.update(capacity_charts(results))
    from reportgen.report.frontier_charts import frontier_chart, soak_charts

    fr = frontier_chart(results, findings)
    if fr is not None:
        charts[fr.name] = fr
    charts.update(soak_charts(results))
    return charts


# --------------------------------------------------------------------------- accuracy

ACCURACY_TITLE = "精度评测得分（按基准与精度）"
LEGEND_EXCLUDED = "斜线：不参与判定（评测程序缺陷）"


def _accuracy_series(results: Results) -> dict[str, dict[str, tuple[float, str]]]:
    """label -> benchmark -> (score, variant label)."""
    series: dict[str, dict[str, tuple[float, str]]] = {}
    for variant in results.variants:
        modes = {a.mode for a in variant.accuracy if a.score is not None}
        for acc in variant.accuracy:
            if acc.score is None:
                continue
            label = variant.label if len(modes) == 1 else f"{variant.label} ({MODE_ZH.get(acc.mode, acc.mode)})"
            series.setdefault(label, {})[acc.benchmark] = (acc.score, variant.label)
    return series


def _excluded(findings: list[Finding]) -> set[tuple[str, str]]:
    """(variant label, benchmark) of scores the verdict leaves out: an evaluator defect
    (the finding ``bbh_bracket_bug``)."""
    return {(f.precision or "", (f.benchmark or "").lower()) for f in findings if f.check == "bbh_bracket_bug"}


def _accuracy_drawn(results: Results, findings: list[Finding] | None) -> tuple[dict[str, dict[str, tuple[float, str]]], set[tuple[str, str]]] | None:
    """What the accuracy chart draws, or None: no scores, or every score 0 (a chart of empty bars
    says nothing the tables do not; 4 and appendix C show the scores and why)."""
    series = _accuracy_series(results)
    if not series or all(score == 0 for scores in series.values() for score, _ in scores.values()):
        return None
    return series, _excluded(check_results(results) if findings is None else findings)


def accuracy_chart_plan(results: Results, findings: list[Finding] | None = None) -> list[tuple[str, str]]:
    """(name, title) of the accuracy chart, if the results have scores to draw."""
    drawn = _accuracy_drawn(results, findings)
    return [(_file_name("accuracy", (drawn[0], sorted(drawn[1]))), ACCURACY_TITLE)] if drawn else []


def accuracy_chart(results: Results, findings: list[Finding] | None = None) -> Chart | None:
    """Scores per benchmark (groups) and variant (bars), in percent; a score the verdict leaves
    out (an evaluator defect) hatched and pale, with a legend entry. None: nothing to draw."""
    drawn = _accuracy_drawn(results, findings)
    if drawn is None:
        return None
    series, excluded = drawn
    present = {b for scores in series.values() for b in scores}
    benches = [b for b in BENCHMARK_ORDER if b in present] + sorted(present - set(BENCHMARK_ORDER))
    title = ACCURACY_TITLE

    def draw(fig) -> None:  # noqa: ANN001
        ax = fig.add_subplot()
        n = len(series)
        width = 0.8 / n
        any_excluded = False
        for i, (label, scores) in enumerate(series.items()):
            color = COLORS[i % len(COLORS)]
            for j, b in enumerate(benches):
                if b not in scores:
                    continue
                score, variant = scores[b]
                out = (variant, b.lower()) in excluded
                any_excluded |= out
                bars = ax.bar([j + (i - (n - 1) / 2) * width], [score * 100], width=width * 0.92, color=color,
                              alpha=0.35 if out else 1.0, hatch="///" if out else None, edgecolor=color if out else None,
                              label=label if j == min(k for k, x in enumerate(benches) if x in scores) else None)
                ax.bar_label(bars, labels=[f"{score * 100:.2f}"], fontsize=7 if n <= 2 else 6 if n <= 4 else 5, padding=2)
        if any_excluded:
            ax.bar([0], [0], color="white", edgecolor="#555", hatch="///", label=LEGEND_EXCLUDED)
        ax.set_xticks(range(len(benches)), benches)
        ax.set_ylabel("得分 (%)")
        ax.set_ylim(0, 105)
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
        ax.legend(frameon=False, ncols=min(n + any_excluded, 4), loc="upper center", bbox_to_anchor=(0.5, -0.12))

    return _render(_file_name("accuracy", (series, sorted(excluded))), title, draw)


# --------------------------------------------------------------------------- capacity (section 3.5)


def capacity_chart_name(label: str, index: int, search: CapacitySearch) -> str:
    """charts/<name>: one load curve per capacity search (``index``: its place in variant.capacity),
    ``capacity-<digest of the label, index and drawn points>``: a file name never holds the label
    itself (「INT4量化」 would be URL-escaped in the link, a 300-character label too long a name)."""
    points = [(p.value, p.met, p.cell.metrics.output_throughput, p.cell.metrics.ttft_ms.p99, p.cell.metrics.tpot_ms.p99)
              for p in search.probes if p.cell.metrics is not None]
    return _file_name("capacity", (label, index, points, search.capacity, sorted(search.slo.items())))


def capacity_chart_title(label: str, by: str) -> str:
    return f"{label} 负载曲线（随{'并发数' if by == 'concurrency' else '请求速率'}变化）"


def capacity_charts(results: Results) -> dict[str, Chart]:
    """Per capacity search: output throughput, P99 TTFT and P99 TPOT against the probed
    concurrency (or rate), the SLO limits as dashed lines, the capacity as a vertical line;
    probes that missed the SLOs are hollow."""
    charts: dict[str, Chart] = {}
    for variant in results.variants:
        for i, search in enumerate(variant.capacity):
            probes = sorted((p for p in search.probes if p.cell.metrics is not None), key=lambda p: p.value)
            if not probes:
                continue
            name = capacity_chart_name(variant.label, i, search)
            title = capacity_chart_title(variant.label, search.by)

            def draw(fig, probes=probes, search=search, title=title) -> None:  # noqa: ANN001
                xs = [p.value for p in probes]
                panels = (
                    ("TPS (tok/s)", [p.cell.metrics.output_throughput for p in probes], None),  # type: ignore[union-attr]
                    ("TTFT P99 (ms)", [p.cell.metrics.ttft_ms.p99 for p in probes], search.slo.get("ttft_p99_ms")),  # type: ignore[union-attr]
                    ("TPOT P99 (ms)", [p.cell.metrics.tpot_ms.p99 for p in probes], search.slo.get("tpot_p99_ms")),  # type: ignore[union-attr]
                )
                for k, (ylabel, ys, limit) in enumerate(panels):
                    color = (COLORS[0], COLORS[1], COLORS[3])[k]  # not green: the capacity line is
                    ax = fig.add_subplot(1, 3, k + 1)
                    pts = [(x, y, p.met) for x, y, p in zip(xs, ys, probes) if y is not None]
                    ax.plot([x for x, _, _ in pts], [y for _, y, _ in pts], color=color, linewidth=1.4)
                    for x, y, met in pts:
                        ax.plot([x], [y], marker=MARKERS[k], markersize=5, color=color,
                                markerfacecolor=color if met else "white", markeredgewidth=1.2)
                    if limit is not None:
                        ax.axhline(limit, color="#555", linestyle="--", linewidth=1.0, label=f"限值 {limit:g}")
                        ax.legend(frameon=False, fontsize=7, loc="best")
                    if search.capacity is not None:
                        ax.axvline(search.capacity, color="#2ca02c", linestyle=":", linewidth=1.2)
                    if search.by == "concurrency":
                        ax.set_xscale("log", base=2)
                        # powers of two only: bisection points crowd together (24, 28, 29, 30, 32)
                        ticks = [2**k for k in range(int(max(xs)).bit_length()) if 2**k <= max(xs)]
                        ax.set_xticks(ticks, [str(t) for t in ticks])
                        ax.minorticks_off()
                    ax.set_xlabel("并发数" if search.by == "concurrency" else "请求速率 (请求/秒)")
                    ax.set_ylabel(ylabel)
                    ax.set_ylim(bottom=0)
                    ax.tick_params(labelsize=7)
                cap = "" if search.capacity is None else f"，容量 {search.capacity:g}（绿色点线）"
                fig.suptitle(title + cap + "；空心点：不满足延迟要求", fontsize=10)

            charts[name] = _render(name, title, draw)
    return charts


def capacity_chart_plan(results: Results) -> list[tuple[str, str]]:
    """(name, title) of every capacity chart, without drawing."""
    return [
        (capacity_chart_name(v.label, i, s), capacity_chart_title(v.label, s.by))
        for v in results.variants
        for i, s in enumerate(v.capacity)
        if any(p.cell.metrics is not None for p in s.probes)
    ]
