"""``reportgen import``: add results printed by other tools, or recorded by hand, to a
results file. Every input file is parsed before anything is written; the results file is
then saved once, atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from reportgen._io import read_text
from reportgen.commands._options import number
from reportgen.errors import InputFormatError
from reportgen.importers.blocks import Block, infos_of, read_blocks
from reportgen.importers.cells import ImportedCell, RunParams
from reportgen.importers.formats import formats_of, list_formats, no_format
from reportgen.importers.manual import apply_manual, parse_manual
from reportgen.importers.merge import CellIndex, add_accuracy, add_cell, merge_renderings, merge_samples, number_repeats
from reportgen.importers.sweep import SweepRun, apply_sweep, sweep_runs
from reportgen.importers.swift_eval import ImportedAccuracy
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


@dataclass
class _Read:
    """Everything read from the files of one import, before anything is written."""

    lines: list[str] = field(default_factory=list)  # per block, then warnings
    cells: list[ImportedCell] = field(default_factory=list)
    scores: list[ImportedAccuracy] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # one line per file (with --explain: the details)


def _first_text(lines: list[str], b: Block) -> str:
    text = next((ln.strip() for ln in lines[b.first : b.last + 1] if ln.strip()), "")
    return text if len(text) <= 70 else text[:67] + "..."


def _expand(files: tuple[Path, ...], out: _Read) -> list[tuple[Path, SweepRun | None]]:
    """Files as given; a ``vllm bench sweep`` output folder becomes its runs (the files it holds
    besides are listed, not read)."""
    found: list[tuple[Path, SweepRun | None]] = []
    for f in files:
        if not f.is_dir():
            found.append((f, None))
            continue
        runs, skipped = sweep_runs(f)
        if not runs:
            raise InputFormatError(f"{f}: a folder without 'vllm bench sweep' results (no run=N.json under it)")
        out.lines += skipped
        found += [(r.path, r) for r in runs]
    return found


def _read_all(files: tuple[Path, ...], opts: RunParams, kind: str | None, *, explain: bool = False) -> _Read:
    """Parse every file block by block (nothing is written before all parse)."""
    out = _Read()
    for f, run in _expand(files, out):
        text_lines, blocks = read_blocks(read_text(f), str(f), opts, formats_of(None), kind=kind)
        if run is not None:
            for b in blocks:
                for it in b.items:
                    if isinstance(it, ImportedCell):
                        apply_sweep(it, run)
        imported = [b for b in blocks if b.items]
        if not imported:
            raise no_format(str(f), kind, blocks)
        for b in blocks:
            where = f"{f}:{b.lines}"
            if b.items and b.fmt is not None:
                out.lines.append(f"{where}: {b.fmt.name} ({b.fmt.title})")
            elif b.fmt is not None:
                out.lines.append(f"{where}: {b.fmt.name}: {b.note}")
            else:
                out.lines.append(f"{where}: no known format{': ' + b.note if b.note else ''} ({_first_text(text_lines, b)!r}): not imported")
            out.lines += [f"warning: {w}" for w in b.warnings]
            for it in b.items:
                (out.cells if isinstance(it, ImportedCell) else out.scores).append(it)
        out.accounts += _account_lines(str(f), text_lines, blocks, explain=explain)
    return out


def _account_lines(name: str, text_lines: list[str], blocks: list[Block], *, explain: bool) -> list[str]:
    """The file's accounting line; with ``explain``, what was not used and where each field came from."""
    imported = [b for b in blocks if b.items]
    unclaimed = [b for b in blocks if b.fmt is None]
    other = len(blocks) - len(imported) - len(unclaimed)
    read = sum(b.account.read for b in imported if b.account)
    used = sum(b.account.used for b in imported if b.account)
    unused = [(b, u) for b in imported if b.account for u in b.account.unused]
    parts = [f"{len(blocks)} block{'s' if len(blocks) != 1 else ''} found, {len(imported)} imported"]
    if other:
        parts.append(f"{other} recognised, not imported")
    if unclaimed:
        parts.append(f"{len(unclaimed)} no known format claims (lines {', '.join(b.lines for b in unclaimed)})")
    line = f"{name}: " + ", ".join(parts) + f"; {read} printed numbers read, {used} used, {len(unused)} not used"
    if unused and not explain:
        line += " (--explain lists them)"
    out = [line]
    if explain:
        for b, u in unused:
            where = f"line {u.line}" if u.line else b.fmt.name if b.fmt else "?"
            how = "not used" if u.seen else "not read by the importer"
            out.append(f"  {name}:{where}: {u.label} = {u.text}: {how}")
        for b in imported:
            for info in infos_of(b.items):
                for path in info.derived:
                    field_ = path.split(" ", 1)[0]  # "input_len from input_lens": the field, then how
                    full = next((k for k in info.rests_on if k == field_ or k.endswith("." + field_)), field_)
                    src = ", ".join(info.rests_on.get(full, [])) or "-"
                    out.append(f"  {name}:{b.lines}: {full} derived from {src}")
        for b in unclaimed:
            out.append(f"  {name}:{b.lines}: no known format claims these lines: {_first_text(text_lines, b)!r}")
    return out


def _apply(read: _Read) -> Callable[[Results], Sequence[str]]:
    def apply(r: Results) -> list[str]:
        out = list(read.lines)
        cells, merged = merge_renderings(read.cells)
        scores, joined = merge_samples(read.scores)
        out += merged + joined
        index = CellIndex()
        out += [add_cell(r, it, index) for it in number_repeats(cells)]
        out += [line for g in scores for line in add_accuracy(r, g)]
        out += read.accounts
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
    click.option("--explain", is_flag=True, help="List every printed number not used (with its label and line), every derived figure and what it rests on, and every run of lines no format claims."),
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
    block by block (see --list-formats); every block is named with its lines and format. A
    folder is read as a 'vllm bench sweep serve' output folder (its run=N.json files).

    \b
    Example:
      reportgen import auto bench.txt result.json lm_eval_results.json -o results.json
    """
    _import(ctx, output, _apply(_read_all(files, _opts(client_command, kw), None, explain=kw.get("explain", False))))


@import_group.command("vllm-log")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@_with_run_options
@click.pass_context
def vllm_log_cmd(ctx: click.Context, /, files: tuple[Path, ...], output: Path, client_command: str | None, **kw: Any) -> None:
    """Import serving benchmark results: vLLM benchmark_serving.py / vllm bench serve prints
    and --save-result JSON, SGLang bench_serving prints and --output-file lines, evalscope perf
    summaries, guidellm reports, AIPerf exports and console tables (detected block by block
    from the content; see --list-formats). Blocks of other kinds are listed, not read.

    \b
    Example:
      reportgen import vllm-log samples/seed/serving/*.log -o results.json
      reportgen import vllm-log bench.json -o results.json --precision GPTQ-Int4
    """
    _import(ctx, output, _apply(_read_all(files, _opts(client_command, kw), "serving", explain=kw.get("explain", False))))


@import_group.command("swift-eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@click.option("--precision", help="Variant label (default: from --model_id_or_path of the swift eval command, or the table's model).")
@click.option("--model", help="Model name (default: from the model path).")
@click.option("--explain", is_flag=True, help="List every printed number not used, every derived figure, and every run of lines no format claims.")
@click.pass_context
def swift_eval_cmd(ctx: click.Context, files: tuple[Path, ...], output: Path, precision: str | None, model: str | None, explain: bool) -> None:
    """Import accuracy scores: ms-swift 'swift eval' logs ('[INFO:swift] result:' lines,
    llmuses 'Report table:'), evalscope report tables, lm-evaluation-harness results JSON,
    --log_samples records and tables, OpenCompass / AISBench summaries (detected block by block
    from the content; see --list-formats).

    \b
    Example:
      reportgen import swift-eval samples/seed/accuracy/*.log -o results.json
    """
    _import(ctx, output, _apply(_read_all(files, RunParams(precision=precision, model=model), "accuracy", explain=explain)))


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
