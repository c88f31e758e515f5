"""``reportgen import``: add results printed by other tools, or recorded by hand, to a
results file. Every input file is parsed before anything is written; the results file is
then saved once, atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from reportgen._io import read_text
from reportgen.importers.manual import apply_manual, parse_manual
from reportgen.importers.merge import add_accuracy, add_cell
from reportgen.importers.swift_eval import parse_swift_eval
from reportgen.importers.vllm_json import looks_like_json, parse_vllm_json
from reportgen.importers.vllm_log import ImportedCell, parse_vllm_text
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
    store = ResultsStore.open(output)
    existed = output.exists()
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


@click.group("import")
def import_group() -> None:
    """Import results printed by other tools, or recorded by hand, into a results file."""


@import_group.command("vllm-log")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@click.option("--batch-size", type=click.IntRange(min=1), help="Override the batch size (default: max_concurrency, else num_prompts).")
@click.option("--precision", help="Variant label, e.g. FP16, GPTQ-Int4 (default: from the model path).")
@click.option("--model", help="Model name (default: from the model path).")
@click.option("--input-len", type=click.IntRange(min=1), help="Requested input length when the file does not say.")
@click.option("--output-len", type=click.IntRange(min=1), help="Requested output length when the file does not say.")
@click.option("--command", "client_command", help="The client command that produced the output (kept with the cell).")
@click.pass_context
def vllm_log_cmd(ctx: click.Context, /, files: tuple[Path, ...], output: Path, client_command: str | None, **opts: Any) -> None:
    """Import vLLM serving benchmark results: printed blocks (legacy benchmark_serving.py
    with its Namespace line, or current 'vllm bench serve'), or a '--save-result' JSON file
    (recognised by content; with per-request arrays the raw records are rebuilt).

    \b
    Example:
      reportgen import vllm-log samples/seed/serving/*.log -o results.json
      reportgen import vllm-log bench.json -o results.json --precision GPTQ-Int4
    """
    items: list[ImportedCell] = []
    for f in files:
        text = read_text(f)
        if looks_like_json(text):
            items.append(parse_vllm_json(text, str(f), command=client_command, **opts))
        else:
            items.extend(parse_vllm_text(text, str(f), command=client_command, **opts))
    _import(ctx, output, lambda r: [add_cell(r, it) for it in items])


@import_group.command("swift-eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@click.option("--precision", help="Variant label (default: from --model_id_or_path of the swift eval command in the file).")
@click.option("--model", help="Model name (default: from the model path).")
@click.pass_context
def swift_eval_cmd(ctx: click.Context, files: tuple[Path, ...], output: Path, precision: str | None, model: str | None) -> None:
    """Import accuracy scores from ms-swift 'swift eval' logs: '[INFO:swift] result: {...}'
    lines and llmuses/evalscope '** Report table:' tables.

    \b
    Example:
      reportgen import swift-eval samples/seed/accuracy/*.log -o results.json
    """
    groups = [g for f in files for g in parse_swift_eval(read_text(f), str(f), precision=precision, model=model)]
    _import(ctx, output, lambda r: [line for g in groups for line in add_accuracy(r, g)])


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
