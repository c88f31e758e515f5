"""Console output of a serving run: a progress line per cell, a summary table at the end.

Written to stderr (click.echo), so stdout stays clean. Numbers are formatted here and
only here; the results file keeps raw values. What a cell's check says comes from the
validity rules (``reportgen.validity``): the line printed as a cell finishes runs the cell
rules on it; the table at the end reads the findings of the whole document, the same ones
``validate``, ``summary`` and the document read.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from collectors.serving.runner import CellPlan, Progress
from collectors.serving.soak import SoakProgress
from reportgen.metrics import achieved_load
from reportgen.redact import redact
from reportgen.results import Finding, ModelVariant, RequestRecord, ServingCell, SoakRun, SoakWindow
from reportgen.validity import cell_findings, check_cell, status_of

__all__ = ["ConsoleProgress", "ConsoleSoakProgress", "check_text", "load_text", "summary_table"]


class ConsoleProgress(Progress):
    def __init__(self, *, tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty

    def _line(self, label: str, plan: CellPlan) -> str:
        shape = f"rate={plan.request_rate:g}/s n={plan.num_requests}" if plan.request_rate is not None else f"bs={plan.batch_size}"
        extra = (f" {plan.dataset}" if plan.dataset != "random" else "") + (f" repeat={plan.repeat}" if plan.repeat else "")
        return f"{label} {shape} in={plan.input_len} out={plan.output_len}{extra}"

    def cell_started(self, label: str, plan: CellPlan) -> None:
        if self.tty:
            click.echo(f"\r{self._line(label, plan)}: warm-up ({plan.warmup_requests}) ...", nl=False, err=True)

    def request_done(self, label: str, plan: CellPlan, record: RequestRecord, done: int, total: int) -> None:
        if self.tty:
            width = 20
            fill = int(width * done / max(total, 1))
            bar = "#" * fill + "-" * (width - fill)
            click.echo(f"\r{self._line(label, plan)}: [{bar}] {done}/{total}", nl=False, err=True)

    def cell_finished(self, label: str, cell: ServingCell, variant: ModelVariant | None = None) -> None:
        m = cell.metrics
        head = f"{label} {load_text(cell)} in={cell.input_len} out={cell.output_len}"
        if m is None:
            text = f"{head}: no timed request finished"
        else:
            text = (
                f"{head}: {m.completed}/{m.completed + m.failed} ok, TTFT {_f(m.ttft_ms.mean)} ms, "
                f"TPOT {_f(m.tpot_ms.mean)} ms, {m.output_throughput:.1f} tok/s, {m.duration_s:.1f} s"
            )
        found = check_cell(cell, variant if variant is not None else ModelVariant(label=label))
        if found:  # a finding may quote a server's words: redacted like every printed line
            text += f"  [{status_of(found)}: " + redact("; ".join(f"{f.check}: {f.message}" for f in found)) + "]"
        click.echo(("\r\033[K" if self.tty else "") + text, err=True)

    def cell_skipped(self, label: str, plan: CellPlan) -> None:
        click.echo(f"{self._line(label, plan)}: already measured, skipped (--resume)", err=True)


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def load_text(cell: ServingCell) -> str:
    """``bs=8``; an open loop by what it offered and what was achieved:
    ``rate=40/s (arrived 39.1/s, done 3.9/s, concurrency 61.20)`` (never its request count)."""
    if cell.request_rate is None:
        return f"bs={cell.batch_size}"
    got = achieved_load(cell.metrics)
    parts = [f"arrived {got.arrivals:.3g}/s" if got.arrivals is not None else None,
             f"done {got.completions:.3g}/s" if got.completions is not None else None,
             f"concurrency {got.concurrency:.2f}" if got.concurrency is not None else None]
    achieved = ", ".join(p for p in parts if p)
    return f"rate={cell.request_rate:g}/s" + (f" ({achieved})" if achieved else "")


def check_text(findings: list[Finding], label: str, cell: ServingCell) -> str:
    """The table's check column: "ok", or the cell's status and the codes of its findings
    ("WARNING: sample_count, client_server_gap")."""
    mine = cell_findings(findings, label, cell.key)
    if not mine:
        return "ok"
    return f"{status_of(mine)}: " + ", ".join(dict.fromkeys(f.check for f in mine))


def summary_table(variants: Iterable[ModelVariant], findings: list[Finding]) -> str:
    """A plain-text table of every measured cell (the document's 3.4 table, in English).
    ``findings``: ``check_results`` over the whole results document (the rules across cells
    and variants need all of it)."""
    variants = list(variants)
    power = any(c.telemetry is not None for v in variants for c in v.serving if c.source == "measured")
    open_loop = any(c.request_rate is not None for v in variants for c in v.serving if c.source == "measured")
    head: tuple[str, ...] = ("variant", "bs")
    if open_loop:  # an open-loop row: the rate offered, the rates and concurrency achieved
        head += ("rate/s", "arrived/s", "done/s", "conc")
    head += ("in", "out", "ok/n", "TTFT ms", "TPOT ms", "out tok/s", "dur s", "cache hits")
    if power:
        head += ("avg W", "J/tok")
    head += ("check",)
    rows: list[tuple[str, ...]] = []
    for v in variants:
        for c in v.serving:
            if c.source != "measured":
                continue
            m = c.metrics
            hits = c.server_metrics.prefix_cache_hits if c.server_metrics else None
            got = achieved_load(m)
            load: tuple[str, ...] = ("-" if c.request_rate is not None else str(c.batch_size),)
            if open_loop:
                load += ((f"{c.request_rate:g}", _f(got.arrivals), _f(got.completions), _f(got.concurrency))
                         if c.request_rate is not None else ("-", "-", "-", "-"))
            rows.append(
                (
                    v.label,
                    *load,
                    str(c.input_len),
                    str(c.output_len),
                    f"{m.completed}/{m.completed + m.failed}" if m else "0/0",
                    _f(m.ttft_ms.mean) if m else "-",
                    _f(m.tpot_ms.mean) if m else "-",
                    _f(m.output_throughput, 1) if m else "-",
                    _f(m.duration_s, 1) if m else "-",
                    "-" if hits is None else f"{hits:g}",
                    *((_f(c.energy.avg_power_w if c.energy else None, 1),
                       _f(c.energy.joules_per_output_token if c.energy else None, 3)) if power else ()),
                    check_text(findings, v.label, c),
                )
            )
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class ConsoleSoakProgress(SoakProgress):
    """One line per soak window on stderr: its figures and the measured time left."""

    def started(self, label: str, run: SoakRun, left_s: float) -> None:
        load = f"concurrency {run.concurrency}" if run.by == "concurrency" else f"{run.request_rate:g} req/s"
        again = f", continuing after {len(run.windows)} window(s)" if run.windows else ""
        click.echo(f"{label} soak at {load}: {_hms(left_s)} to go in {run.window_s:g} s windows{again}", err=True)

    def window_done(self, label: str, run: SoakRun, window: SoakWindow, left_s: float) -> None:
        m = window.metrics
        done = sum(w.duration_s for w in run.windows if not w.interrupted)
        n = max(1, round(run.duration_s / run.window_s))
        figures = (f"{m.completed} ok, {m.failed} failed, TPOT {_f(m.tpot_ms.mean)} ms, {m.output_throughput:.1f} tok/s"
                   if m is not None else "no request finished")
        power = f", {window.energy.avg_power_w:.0f} W" if window.energy and window.energy.avg_power_w is not None else ""
        click.echo(f"{label} soak window {window.index + 1}/{n}: {figures}{power}; "
                   f"{_hms(done)} measured, {_hms(left_s)} left", err=True)

    def finished(self, label: str, run: SoakRun) -> None:
        tail = f", {len(run.tail_requests)} in flight at the end" if run.tail_requests else ""
        click.echo(f"{label} soak finished: {len(run.windows)} window(s){tail}", err=True)
