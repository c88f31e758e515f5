"""``reportgen validate``: run the validity checks over a results file and print the findings."""

from __future__ import annotations

import click

from reportgen.commands._options import resolve_results_path
from reportgen.commands._output import json_text, text_table
from reportgen.results import Finding, ResultsStore, load_results
from reportgen.validity import check_results, remedy_of

JSON_KEYS = ("severity", "precision", "cell", "benchmark", "check", "message", "args")


def _remedy(code: str) -> str | None:
    r = remedy_of(code)
    return r.en if r is not None else None


def findings_json(findings: list[Finding]) -> str:
    return json_text([{**{k: f.model_dump(mode="json")[k] for k in JSON_KEYS}, "remedy": _remedy(f.check)}
                      for f in findings])


def remedies_text(findings: list[Finding]) -> str:
    """What to do, once per rule found: "  output_tokens: set ignore_eos ... and re-run"."""
    lines = [f"  {code}: {text}" for code in dict.fromkeys(f.check for f in findings) if (text := _remedy(code))]
    return "what to do:\n" + "\n".join(lines) if lines else ""


def _cell_text(f: Finding) -> str:
    k = f.cell
    if k is None:
        return "-"
    # one word, so the table splits on white space: bs8:8192/256[:sharegpt][#1], an open loop
    # 2.5rps:8192/256 (cap4@2.5rps:... where a cap on requests in flight was set)
    if k.request_rate is None:
        text = f"bs{k.batch_size}:{k.input_len}/{k.output_len}"
    else:
        text = (f"cap{k.batch_size}@" if k.batch_size else "") + f"{k.request_rate:g}rps:{k.input_len}/{k.output_len}"
    if k.dataset != "random":
        text += f":{k.dataset}"
    if k.repeat:
        text += f"#{k.repeat}"
    return text


def findings_table(findings: list[Finding]) -> str:
    rows = [
        [
            f.severity,
            f.precision or "-",
            _cell_text(f),
            f.check,
            f.message,
        ]
        for f in findings
    ]
    return text_table(("severity", "precision", "cell", "check", "message"), rows)


@click.command("validate")
@click.argument("results_file", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of findings (keys: severity, precision, cell, benchmark, "
              "check, message, args: the evidence values, remedy: what to re-run and how).")
@click.option("--write", is_flag=True, help="Also store the findings in the file's 'findings' (atomic save).")
def validate_cmd(results_file: str | None, as_json: bool, write: bool) -> None:
    """Check every serving cell and accuracy score; print the findings.

    Exit status: 0 no errors (warnings and notes allowed), 1 errors found, 2 unusable input.
    A note marks a figure that is right but means less than it seems (a P99 over a few requests).
    Without RESULTS_FILE the newest ./reportgen-results/*.json is used. After the table,
    what to do about each rule found. The rules, their thresholds and where those come
    from, and their remedies are listed in docs/validity.md.

    \b
    Examples:
      reportgen validate samples/seed-bi150.json
      reportgen validate results.json --json | jq '.[] | select(.severity == "error")'
    """
    path = resolve_results_path(results_file)
    if write:  # a writer: under the file's lock, so no other run's save is lost
        with ResultsStore.open(path, create=False) as store:
            results = store.results
            findings = check_results(results)
            results.findings = findings
            store.save()
    else:
        results = load_results(path)
        findings = check_results(results)
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    notes = len(findings) - errors - warnings
    if as_json:
        click.echo(findings_json(findings))
    else:
        if findings:
            click.echo(findings_table(findings))
            click.echo(remedies_text(findings))
        cells = sum(len(v.serving) for v in results.variants)
        scores = sum(len(v.accuracy) for v in results.variants)
        checks = sum(v.consistency is not None for v in results.variants)
        also = f", {checks} consistency check(s)" if checks else ""
        noted = f", {notes} note(s)" if notes else ""
        click.echo(f"{path}: {errors} error(s), {warnings} warning(s){noted} over {cells} serving cell(s){also} and "
                   f"{scores} accuracy result(s)")
        if not cells and not scores and not results.embeddings and not checks:
            click.echo("reportgen: note: nothing to check (no serving cells, no accuracy results, no embedding runs)", err=True)
    if errors:
        raise SystemExit(1)
