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
from reportgen.results import Finding, ModelVariant, RequestRecord, ServingCell
from reportgen.validity import cell_findings, check_cell, status_of

__all__ = ["ConsoleProgress", "check_text", "summary_table"]


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
        head = f"{label} bs={cell.batch_size} in={cell.input_len} out={cell.output_len}"
        if m is None:
            text = f"{head}: no timed request finished"
        else:
            text = (
                f"{head}: {m.completed}/{m.completed + m.failed} ok, TTFT {_f(m.ttft_ms.mean)} ms, "
                f"TPOT {_f(m.tpot_ms.mean)} ms, {m.output_throughput:.1f} tok/s, {m.duration_s:.1f} s"
            )
        found = check_cell(cell, variant if variant is not None else ModelVariant(label=label))
        if found:
            text += f"  [{status_of(found)}: " + "; ".join(f"{f.check}: {f.message}" for f in found) + "]"
        click.echo(("\r\033[K" if self.tty else "") + text, err=True)

    def cell_skipped(self, label: str, plan: CellPlan) -> None:
        click.echo(f"{self._line(label, plan)}: already measured, skipped (--resume)", err=True)


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


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
    head: tuple[str, ...] = ("variant", "bs", "in", "out", "ok/n", "TTFT ms", "TPOT ms", "out tok/s", "dur s", "cache hits")
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
            rows.append(
                (
                    v.label,
                    str(c.batch_size),
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
