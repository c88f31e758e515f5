"""``reportgen import``: add results printed by other tools, or recorded by hand, to a
results file. Every input file is parsed before anything is written; the results file is
then saved once, atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from reportgen._io import read_text
from reportgen.commands._options import number
from reportgen.importers.formats import list_formats, parse_any
from reportgen.importers.manual import apply_manual, parse_manual
from reportgen.importers.merge import add_accuracy, add_cell, number_repeats
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.importers.vllm_log import ImportedCell, RunParams
from reportgen.ranges import Concurrency, Tokens
from reportgen.results import Invocation, Results, ResultsStore, utc_now


def _argv(ctx: click.Context) -> list[str]:
    argv = ["reportgen", *ctx.command_path.split()[1:]]
    for p in ctx.command.params:
        value = ctx.params.get(p.name or "")
        if value is None or value == () or value is False:
            continue
        if isinstance(p, click.Argument):
            argv.extend(str(v) for v in (value if isinstance(value, tuple) else (value,)))
        else:
            argv.extend([p.opts[0], str(value)])
    return argv


def _import(ctx: click.Context, output: Path, apply: Callable[[Results], Sequence[str]]) -> None:
    started = utc_now()
    existed = output.exists()
    with ResultsStore.open(output) as store:  # another writer of the file: wait, then add to what it saved
        lines = apply(store.results)
        store.results.invocations.append(Invocation(argv=_argv(ctx), started_at=started, finished_at=utc_now()))
        store.save()
    for line in lines:
        click.echo(line)
    click.echo(f"{'updated' if existed else 'wrote'} {output}")


_output_option = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results file; an existing one is added to (same-key items are replaced).",
)


def _show_formats(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(list_formats())
        ctx.exit()


@click.group("import")
@click.option(
    "--list-formats", is_flag=True, expose_value=False, is_eager=True, callback=_show_formats,
    help="List the formats 'reportgen import' reads, with an example line each, and exit.",
)
def import_group() -> None:
    """Import results printed by other tools, or recorded by hand, into a results file."""


def _read_all(files: tuple[Path, ...], opts: RunParams, kind: str | None) -> tuple[list[str], list[ImportedCell], list[ImportedAccuracy]]:
    """Parse every file (nothing is written before all parse). Lines to print, cells, scores."""
    lines: list[str] = []
    cells: list[ImportedCell] = []
    scores: list[ImportedAccuracy] = []
    for f in files:
        fmt, items = parse_any(read_text(f), str(f), opts, kind=kind)
        lines.append(f"{f}: {fmt.name} ({fmt.title})")
        for it in items:
            if isinstance(it, ImportedCell):
                cells.append(it)
                lines.extend(f"warning: {w}" for w in it.warnings)
            else:
                scores.append(it)
    return lines, cells, scores


def _apply(lines: list[str], cells: list[ImportedCell], scores: list[ImportedAccuracy]) -> Callable[[Results], Sequence[str]]:
    def apply(r: Results) -> list[str]:
        out = list(lines)
        out += [add_cell(r, it) for it in number_repeats(cells)]
        out += [line for g in scores for line in add_accuracy(r, g)]
        return out

    return apply


_run_options = [
    click.option("--batch-size", type=number(Concurrency), help="Override the concurrency (default: min(num_prompts, max_concurrency) as printed)."),
    click.option("--precision", help="Variant label, e.g. FP16, GPTQ-Int4, W8A8 (default: from the model path or name)."),
    click.option("--model", help="Model name (default: from the model path)."),
    click.option("--input-len", type=number(Tokens), help="Requested input length when the file does not say."),
    click.option("--output-len", type=number(Tokens), help="Requested output length when the file does not say."),
    click.option("--dataset", help="Dataset of the run when the file does not say (random, sharegpt, sonnet, ...)."),
    click.option("--command", "client_command", help="The client command that produced the output (kept with the cell)."),
]


def _with_run_options(fn: Callable[..., None]) -> Callable[..., None]:
    for opt in reversed(_run_options):
        fn = opt(fn)
    return fn


def _opts(client_command: str | None, kw: dict[str, Any]) -> RunParams:
    return RunParams(
        batch_size=kw.get("batch_size"), precision=kw.get("precision"), model=kw.get("model"), input_len=kw.get("input_len"),
        output_len=kw.get("output_len"), dataset=kw.get("dataset"), command=client_command,
    )


@import_group.command("auto")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@_with_run_options
@click.pass_context
def auto_cmd(ctx: click.Context, /, files: tuple[Path, ...], output: Path, client_command: str | None, **kw: Any) -> None:
    """Import serving or accuracy results of any known format, detected from the content
    (see --list-formats); the detected format is named for every file.

    \b
    Example:
      reportgen import auto bench.txt result.json lm_eval_results.json -o results.json
    """
    lines, cells, scores = _read_all(files, _opts(client_command, kw), None)
    _import(ctx, output, _apply(lines, cells, scores))


@import_group.command("vllm-log")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@_with_run_options
@click.pass_context
def vllm_log_cmd(ctx: click.Context, /, files: tuple[Path, ...], output: Path, client_command: str | None, **kw: Any) -> None:
    """Import serving benchmark results: vLLM benchmark_serving.py / vllm bench serve prints
    and --save-result JSON, SGLang bench_serving prints and --output-file lines, evalscope perf
    summaries, AIPerf exports (detected from the content; see --list-formats).

    \b
    Example:
      reportgen import vllm-log samples/seed/serving/*.log -o results.json
      reportgen import vllm-log bench.json -o results.json --precision GPTQ-Int4
    """
    lines, cells, scores = _read_all(files, _opts(client_command, kw), "serving")
    _import(ctx, output, _apply(lines, cells, scores))


@import_group.command("swift-eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@click.option("--precision", help="Variant label (default: from --model_id_or_path of the swift eval command, or the table's model).")
@click.option("--model", help="Model name (default: from the model path).")
@click.pass_context
def swift_eval_cmd(ctx: click.Context, files: tuple[Path, ...], output: Path, precision: str | None, model: str | None) -> None:
    """Import accuracy scores: ms-swift 'swift eval' logs ('[INFO:swift] result:' lines,
    llmuses 'Report table:'), evalscope report tables, lm-evaluation-harness results JSON and
    tables, OpenCompass summaries (detected from the content; see --list-formats).

    \b
    Example:
      reportgen import swift-eval samples/seed/accuracy/*.log -o results.json
    """
    lines, cells, scores = _read_all(files, RunParams(precision=precision, model=model), "accuracy")
    _import(ctx, output, _apply(lines, cells, scores))


@import_group.command("manual")
@click.argument("file", type=click.Path(path_type=Path))
@_output_option
@click.pass_context
def manual_cmd(ctx: click.Context, file: Path, output: Path) -> None:
    """Import what was recorded by hand (environment, deployment steps, functional checks,
    launch commands, embedding/reranker runs) from a TOML file; see docs/import.md.

    \b
    Example:
      reportgen import manual samples/seed/manual.toml -o results.json
    """
    manual = parse_manual(read_text(file), str(file))
    _import(ctx, output, lambda r: apply_manual(r, manual))
