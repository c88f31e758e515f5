"""Charts of the frontier and of soak runs, drawn like the document's other charts (``charts``).

``frontier_chart``: every variant's points (throughput per card against interactivity) on one
frame, one colour per variant and one line style per shape; the frontier as Steffen's curve through
its points (``reportgen.frontier.steffen``, only between the measured ends), the interactivity levels
as dotted verticals. VALID points filled, 存疑 hollow in the line's colour, 无效 hollow grey: the
same marks as the batch-size charts, and only VALID points are on a frontier.

``soak_chart``: per soak run, the windows over time: mean TPOT and output throughput (with the
least-squares line of ``reportgen.soak``), failed requests per window, and the card's power,
temperature and clock where the telemetry has them.
"""

from __future__ import annotations

from reportgen.frontier import Frontier, frontier_levels, frontiers, settings_of, steffen
from reportgen.report.charts import (
    COLORS,
    INVALID_COLOR,
    LEGEND_INVALID,
    LEGEND_WARNING,
    MARKERS,
    Chart,
    _file_name,
    _render,
)
from reportgen.results import Finding, ModelVariant, Results, SoakRun
from reportgen.soak import SoakAnalysis, analyze, temperature_limit, window_clock_mhz, window_temperature_c

__all__ = ["FRONTIER_TITLE", "frontier_chart", "frontier_chart_plan", "soak_chart_name", "soak_chart_plan", "soak_charts"]

FRONTIER_TITLE = "性能前沿：每卡吞吐与交互性"
_STYLES = ("-", "--", ":", "-.")


def _frontier_data(results: Results, findings: list[Finding] | None) -> tuple[list[Frontier], list[float]]:
    frs = [f for f in frontiers(results, findings) if f.points]
    return frs, frontier_levels(results).values


def _digest(frs: list[Frontier], levels: list[float]) -> object:
    return ([(f.label, f.shape, f.kind, [(p.interactivity, p.y(f.kind), p.status) for p in f.points],
              [p.interactivity for p in f.hull]) for f in frs], levels)


def frontier_chart_plan(results: Results, findings: list[Finding] | None = None) -> list[tuple[str, str]]:
    frs, levels = _frontier_data(results, findings)
    return [(_file_name("frontier", _digest(frs, levels)), FRONTIER_TITLE)] if frs else []


def frontier_chart(results: Results, findings: list[Finding] | None = None) -> Chart | None:
    frs, levels = _frontier_data(results, findings)
    if not frs:
        return None
    kind = settings_of(results).throughput
    return draw_frontiers([(f.label, f) for f in frs], levels, kind, _file_name("frontier", _digest(frs, levels)),
                          FRONTIER_TITLE)


def draw_frontiers(lines: list[tuple[str, Frontier]], levels: list[float], kind: str, name: str, title: str,
                   colors: list[int] | None = None) -> Chart:
    """One frame: each (legend label, frontier) as its points and its curve. ``colors``: the colour
    index of each line (default: one per distinct label's first word, i.e. per variant or card)."""
    shapes = sorted({f.shape for _, f in lines})
    owners = list(dict.fromkeys(label.split(" · ")[0] for label, _ in lines))

    def draw(fig) -> None:  # noqa: ANN001
        ax = fig.add_subplot()
        statuses: set[str] = set()
        for k, (label, fr) in enumerate(lines):
            ci = colors[k] if colors is not None else owners.index(label.split(" · ")[0])
            color, marker = COLORS[ci % len(COLORS)], MARKERS[ci % len(MARKERS)]
            style = _STYLES[shapes.index(fr.shape) % len(_STYLES)]
            shape = f"（{fr.shape[0]}/{fr.shape[1]}）" if len(shapes) > 1 else ""
            for status, edge, face in (("VALID", color, color), ("WARNING", color, "white"),
                                       ("INVALID", INVALID_COLOR, "white")):
                pts = [p for p in fr.points if p.status == status]  # one artist per status: fast to draw
                if pts:
                    statuses.add(status)
                    ax.plot([p.interactivity for p in pts], [p.y(fr.kind) for p in pts], marker=marker, markersize=5,
                            color=edge, markerfacecolor=face, markeredgewidth=1.2, linestyle="none", alpha=0.9)
            if fr.hull:
                hx = [p.interactivity for p in fr.hull]
                hy = [p.y(fr.kind) for p in fr.hull]
                f = steffen(hx, hy)
                n = 60
                # the last point exactly hx[-1]: a + (b - a) * n / n can land one ulp past b
                grid = [*(hx[0] + (hx[-1] - hx[0]) * i / n for i in range(n)), hx[-1]] if len(hx) > 1 else hx
                ax.plot(grid, [f(x) for x in grid], color=color, linestyle=style, linewidth=1.5, label=label + shape)
        for x in levels:  # every level is drawn: one far right of the points shows how far out of reach it is
            ax.axvline(x, color="#777", linestyle=":", linewidth=0.9)
            ax.annotate(f"{x:.3g}", (x, 0), xytext=(2, 2), textcoords="offset points", fontsize=7, color="#555")
        if "INVALID" in statuses:
            ax.plot([], [], marker="o", linestyle="none", color=INVALID_COLOR, markerfacecolor="white", label=LEGEND_INVALID)
        if "WARNING" in statuses:
            ax.plot([], [], marker="o", linestyle="none", color="#333333", markerfacecolor="white", label=LEGEND_WARNING)
        ax.set_xlabel("交互性 (tok/s/用户) = 1000 ÷ TPOT 中位数")
        ax.set_ylabel(("每卡输出吞吐" if kind == "output" else "每卡总吞吐") + " (tok/s)")
        ax.set_title(title + "；虚线：读取的交互性")
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
        ax.legend(frameon=False, fontsize=7)

    return _render(name, title, draw)


# --------------------------------------------------------------------------- soak


def soak_chart_name(v: ModelVariant, index: int, run: SoakRun) -> str:
    """``soak-<digest of the label, index and drawn windows>``: a file name never holds the label
    (「INT4量化」 would be URL-escaped in the link, a 300-character label too long a name)."""
    windows = [(w.index, w.start_s, w.duration_s, w.interrupted,
                w.metrics.tpot_ms.mean if w.metrics else None, w.metrics.output_throughput if w.metrics else None,
                w.metrics.failed if w.metrics else None, window_clock_mhz(w), window_temperature_c(w)) for w in run.windows]
    data = (v.label, index, windows)
    return _file_name("soak", data)


def soak_chart_title(v: ModelVariant, run: SoakRun) -> str:
    load = f"并发数 {run.concurrency}" if run.by == "concurrency" else f"{run.request_rate:g} 请求/秒"
    return f"{v.label} 稳定性测试（{load}）各窗口指标随时间变化"


def soak_chart_plan(results: Results) -> list[tuple[str, str]]:
    return [(soak_chart_name(v, i, r), soak_chart_title(v, r)) for v in results.variants for i, r in enumerate(v.soak)
            if any(w.metrics is not None for w in r.windows)]


def soak_charts(results: Results) -> dict[str, Chart]:
    charts: dict[str, Chart] = {}
    limit = temperature_limit(results)
    for v in results.variants:
        for i, run in enumerate(v.soak):
            if not any(w.metrics is not None for w in run.windows):
                continue
            name, title = soak_chart_name(v, i, run), soak_chart_title(v, run)
            a = analyze(run, limit)

            def draw(fig, run: SoakRun = run, a: SoakAnalysis = a, t: str = title) -> None:  # noqa: ANN001
                _draw_soak(fig, run, a, t)

            charts[name] = _render(name, title, draw)
    return charts


def _draw_soak(fig, run: SoakRun, a: SoakAnalysis, title: str) -> None:  # noqa: ANN001
    ws = [w for w in run.windows if w.metrics is not None]
    mins = [(w.start_s + w.duration_s / 2) / 60.0 for w in ws]
    bad = {w.index for w in run.windows if w.interrupted}

    def series(ax, ys, color, label, trend=None) -> None:  # noqa: ANN001
        pts = [(x, y, w.index in bad) for x, y, w in zip(mins, ys, ws) if y is not None]
        ax.plot([x for x, _, _ in pts], [y for _, y, _ in pts], color=color, linewidth=1.2, marker="o", markersize=2.5)
        for x, y, cut in pts:
            if cut:
                ax.plot([x], [y], marker="o", markersize=4, color=INVALID_COLOR, markerfacecolor="white")
        if trend is not None and pts:
            t0 = min(x for x, _, _ in pts) / 60.0
            t1 = max(x for x, _, _ in pts) / 60.0
            mt = sum((w.start_s + w.duration_s / 2) / 3600.0 for w in a.windows) / max(1, len(a.windows))
            ax.plot([t0 * 60, t1 * 60], [trend.mean + trend.slope_per_h * (t0 - mt), trend.mean + trend.slope_per_h * (t1 - mt)],
                    color="#333", linestyle="--", linewidth=1.0)
        ax.set_ylabel(label, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)

    ax1 = fig.add_subplot(2, 2, 1)
    series(ax1, [w.metrics.tpot_ms.mean for w in ws], COLORS[3], "TPOT 均值 (ms)", a.tpot)  # type: ignore[union-attr]
    ax2 = fig.add_subplot(2, 2, 2)
    series(ax2, [w.metrics.output_throughput for w in ws], COLORS[0], "TPS (tok/s)", a.throughput)  # type: ignore[union-attr]
    ax3 = fig.add_subplot(2, 2, 3)
    ax3.bar(mins, [w.metrics.failed for w in ws], width=max(0.05, (run.window_s / 60.0) * 0.8), color=COLORS[1])  # type: ignore[union-attr]
    ax3.set_ylabel("失败请求数", fontsize=8)
    ax3.tick_params(labelsize=7)
    ax4 = fig.add_subplot(2, 2, 4)
    temps = [window_temperature_c(w) for w in ws]
    clocks = [window_clock_mhz(w) for w in ws]
    power = [w.energy.avg_power_w if w.energy is not None else None for w in ws]
    if any(t is not None for t in temps) or any(p is not None for p in power) or any(c is not None for c in clocks):
        if any(p is not None for p in power):
            series(ax4, power, COLORS[2], "平均功耗 (W)")
        elif any(t is not None for t in temps):
            series(ax4, temps, COLORS[2], "峰值温度 (°C)")
        if any(c is not None for c in clocks):
            tw = ax4.twinx()
            tw.plot([x for x, c in zip(mins, clocks) if c is not None], [c for c in clocks if c is not None],
                    color=COLORS[4], linewidth=1.0)
            tw.set_ylabel("频率 (MHz)", fontsize=8)
            tw.tick_params(labelsize=7)
    else:
        ax4.text(0.5, 0.5, "无加速卡遥测", ha="center", va="center", transform=ax4.transAxes, color="#777")
        ax4.set_xticks([])
        ax4.set_yticks([])
    for ax in (ax1, ax2, ax3, ax4):
        ax.set_xlabel("时间 (min)", fontsize=8)
    fig.suptitle(title + "；虚线：最小二乘趋势", fontsize=9)
