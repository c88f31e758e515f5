"""``reportgen summary``: the serving summary (or accuracy, embedding results) as rows."""

from __future__ import annotations

from typing import Any

import click

from reportgen.commands._options import resolve_results_path
from reportgen.commands._output import csv_text, json_text, text_table
from reportgen.errors import CompareError
from reportgen.results import Results, load_results
from reportgen.summary import (
    ACCURACY_COLUMNS,
    CAPACITY_COLUMNS,
    EMBEDDING_PAIR_COLUMNS,
    RATIO_COLUMNS,
    REPEAT_COLUMNS,
    SERVING_COLUMNS,
    SOURCE_COLUMN,
    accuracy_rows,
    capacity_rows,
    embedding_pair_rows,
    embedding_rows,
    format_probes,
    format_value,
    multi_serving_rows,
    repeat_rows,
    serving_rows,
    source_name,
)

_TEXT_COLUMNS = {"precision", "benchmark", "mode", "valid", "model", "kind", "device", "a", "b", "reference_check",
                 "dataset", "slo", "by", "probes", SOURCE_COLUMN}


def _emit(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json_text([{c: r[c] for c in columns} for r in rows])
    missing = "-" if fmt == "table" else ""
    cells = [[format_value(c, r[c], missing) for c in columns] for r in rows]
    if fmt == "csv":
        return csv_text(columns, cells)
    return text_table(columns, cells, right=lambda c: c not in _TEXT_COLUMNS)


def _sourced(files: list[tuple[str, Results]], rows_of: Any) -> list[dict[str, Any]]:
    return [{SOURCE_COLUMN: source_name(r, path), **row} for path, r in files for row in rows_of(r)]


def _several(paths: tuple[str, ...], baseline: str | None, what: str | None, fmt: str) -> str:
    """The rows of several files in one table, each with its ``source``."""
    from reportgen.commands.compare import load_all

    files, index = load_all(paths, baseline)
    if what == "accuracy":
        return _emit((SOURCE_COLUMN, *ACCURACY_COLUMNS), _sourced(files, accuracy_rows), fmt)
    if what == "embedding":
        if fmt == "json":
            return json_text(_sourced(files, embedding_rows))
        return _emit((SOURCE_COLUMN, *EMBEDDING_PAIR_COLUMNS), _sourced(files, embedding_pair_rows), fmt)
    if what is not None:
        raise CompareError(f"--{what} takes one results file")
    return _emit((SOURCE_COLUMN, *SERVING_COLUMNS, *RATIO_COLUMNS), multi_serving_rows(files, index), fmt)


@click.command("summary")
@click.argument("results_files", nargs=-1, type=click.Path(dir_okay=False), metavar="[RESULTS.json ...]")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True, help="Output format.")
@click.option("--accuracy", "what", flag_value="accuracy", help="Accuracy: one row per (precision, benchmark).")
@click.option("--embedding", "what", flag_value="embedding", help="Embedding and reranker runs (JSON: one object per model, kind, mode).")
@click.option("--capacity", "what", flag_value="capacity", help="Capacity searches: one row per search, with its probes.")
@click.option("--repeats", "what", flag_value="repeats", help="Repeated cells: one row per case, mean and 95 % CI across repeats.")
@click.option("--baseline", metavar="FILE", help="With several files: the file the ratio columns divide by (default: the first).")
def summary_cmd(results_files: tuple[str, ...], fmt: str, what: str | None, baseline: str | None) -> None:
    """Print the serving summary: one row per cell, with its validity (VALID, WARNING, INVALID).

    Without a file the newest ./reportgen-results/*.json is used. Missing values are
    '-' in the table, empty in CSV and null in JSON; JSON keeps full floats.

    With several files the rows of all of them are printed together, each with a first
    column 'source' (card and file name), so they paste into one spreadsheet; the serving
    rows also get output_tps_ratio, ttft_mean_ratio and tpot_mean_ratio: this file ÷ the
    baseline file at the same case (see 'reportgen compare'; empty for the baseline's own
    rows, cells without a partner and invalid cells on either side).

    \b
    Columns (serving): precision, batch_size (an open loop: its cap on requests in flight, 0
      for none), request_rate (empty for a closed loop), burstiness (an open loop's gamma
      shape, empty for Poisson), concurrency (achieved: sum of E2EL / duration), input_len, output_len,
      dataset, repeat, requests, failed, input_tokens, output_tokens, duration_s,
      ttft_mean_ms, ttft_median_ms, ttft_p99_ms, tpot_mean_ms,
      tpot_median_ms, tpot_p99_ms, itl_mean_ms, e2el_mean_ms, output_tps, total_tps,
      goodput_rps, valid
    Columns (--accuracy): precision, benchmark, mode, n, correct, micro, macro (fractions 0-1)
    Columns (--capacity): precision, input_len, output_len, slo, by, capacity, probes
      (JSON: probes is a list of {value, met, ttft_p99_ms, tpot_p99_ms, output_tps};
      table and CSV: "1:met 2:met 4:miss")
    Columns (--repeats): precision, batch_size, request_rate, burstiness, input_len, output_len,
      dataset, repeats, then ttft_mean_ms, ttft_p99_ms, tpot_mean_ms, tpot_p99_ms,
      output_tps, goodput_rps each with its _ci95 (half width of the 95 % interval)

    \b
    Examples:
      reportgen summary samples/seed-bi150.json
      reportgen summary samples/seed-bi150.json --format csv > summary.csv
      reportgen summary samples/seed-bi150.json --accuracy --format json
      reportgen summary results.json --capacity --format json
      reportgen summary a100.json bi150.json --format csv > both.csv
    """
    if len(results_files) > 1:
        click.echo(_several(results_files, baseline, what, fmt))
        return
    results = load_results(resolve_results_path(results_files[0] if results_files else None))
    if what == "accuracy":
        click.echo(_emit(ACCURACY_COLUMNS, accuracy_rows(results), fmt))
    elif what == "capacity":
        rows = capacity_rows(results)
        if fmt == "json":
            click.echo(json_text(rows))
        else:
            click.echo(_emit(CAPACITY_COLUMNS, [{**r, "probes": format_probes(r["probes"])} for r in rows], fmt))
    elif what == "repeats":
        click.echo(_emit(REPEAT_COLUMNS, repeat_rows(results), fmt))
    elif what == "embedding":
        if fmt == "json":
            click.echo(json_text(embedding_rows(results)))
        else:
            click.echo(_emit(EMBEDDING_PAIR_COLUMNS, embedding_pair_rows(results), fmt))
    else:
        click.echo(_emit(SERVING_COLUMNS, serving_rows(results), fmt))
