"""``reportgen summary``: the serving summary (or accuracy, embedding results) as rows."""

from __future__ import annotations

from typing import Any

import click

from reportgen.commands._options import resolve_results_path
from reportgen.commands._output import csv_text, json_text, text_table
from reportgen.results import load_results
from reportgen.summary import (
    ACCURACY_COLUMNS,
    CAPACITY_COLUMNS,
    EMBEDDING_PAIR_COLUMNS,
    REPEAT_COLUMNS,
    SERVING_COLUMNS,
    accuracy_rows,
    capacity_rows,
    embedding_pair_rows,
    embedding_rows,
    format_probes,
    format_value,
    repeat_rows,
    serving_rows,
)

_TEXT_COLUMNS = {"precision", "benchmark", "mode", "valid", "model", "kind", "device", "a", "b", "reference_check",
                 "dataset", "slo", "by", "probes"}


def _emit(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json_text([{c: r[c] for c in columns} for r in rows])
    missing = "-" if fmt == "table" else ""
    cells = [[format_value(c, r[c], missing) for c in columns] for r in rows]
    if fmt == "csv":
        return csv_text(columns, cells)
    return text_table(columns, cells, right=lambda c: c not in _TEXT_COLUMNS)


@click.command("summary")
@click.argument("results_file", required=False, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True, help="Output format.")
@click.option("--accuracy", "what", flag_value="accuracy", help="Accuracy: one row per (precision, benchmark).")
@click.option("--embedding", "what", flag_value="embedding", help="Embedding and reranker runs (JSON: one object per model, kind, mode).")
@click.option("--capacity", "what", flag_value="capacity", help="Capacity searches: one row per search, with its probes.")
@click.option("--repeats", "what", flag_value="repeats", help="Repeated cells: one row per case, mean and 95 % CI across repeats.")
def summary_cmd(results_file: str | None, fmt: str, what: str | None) -> None:
    """Print the serving summary: one row per cell, with its validity (VALID, WARNING, INVALID).

    Without RESULTS_FILE the newest ./reportgen-results/*.json is used. Missing values are
    '-' in the table, empty in CSV and null in JSON; JSON keeps full floats.

    \b
    Columns (serving): precision, batch_size, request_rate (empty for a closed loop),
      input_len, output_len, dataset, repeat, requests, failed, input_tokens,
      output_tokens, duration_s, ttft_mean_ms, ttft_median_ms, ttft_p99_ms, tpot_mean_ms,
      tpot_median_ms, tpot_p99_ms, itl_mean_ms, e2el_mean_ms, output_tps, total_tps,
      goodput_rps, valid
    Columns (--accuracy): precision, benchmark, mode, n, correct, micro, macro (fractions 0-1)
    Columns (--capacity): precision, input_len, output_len, slo, by, capacity, probes
      (JSON: probes is a list of {value, met, ttft_p99_ms, tpot_p99_ms, output_tps};
      table and CSV: "1:met 2:met 4:miss")
    Columns (--repeats): precision, batch_size, request_rate, input_len, output_len,
      dataset, repeats, then ttft_mean_ms, ttft_p99_ms, tpot_mean_ms, tpot_p99_ms,
      output_tps, goodput_rps each with its _ci95 (half width of the 95 % interval)

    \b
    Examples:
      reportgen summary samples/seed-bi150.json
      reportgen summary samples/seed-bi150.json --format csv > summary.csv
      reportgen summary samples/seed-bi150.json --accuracy --format json
      reportgen summary results.json --capacity --format json
    """
    results = load_results(resolve_results_path(results_file))
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
