"""``reportgen eval``: ceval, gsm8k, mmlu and bbh over a served OpenAI-compatible API."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from collectors.auth import ApiKey
from reportgen.commands._options import api_key_option, host_of_url, number, recorded_argv, results_path
from reportgen.ranges import Concurrency, Count, Tokens


@click.command("eval")
@click.option("--base-url", required=True, help="Server root, e.g. http://HOST:8000 (as for bench).")
@click.option("--model", required=True, help="The served model name the requests name.")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding ceval/ gsm8k/ mmlu/ bbh/ in their original formats.")
@click.option("--tasks", default="ceval,gsm8k,mmlu,bbh", show_default=True, help="Comma-separated benchmarks.")
@click.option("--mode", type=click.Choice(["corrected", "swift2024"]), default="corrected", show_default=True,
              help="corrected: robust extraction, no known bugs; swift2024: reproduce ms-swift 2.x / llmuses 0.4.x.")
@click.option("--limit", type=number(Count), default=None,
              help="Questions per benchmark, drawn deterministically and stratified by subject.")
@click.option("--concurrency", type=number(Concurrency), default=64, show_default=True,
              help="Requests kept in flight.")
@click.option("--precision", default="FP16", show_default=True, help="Variant label: FP16, GPTQ-Int4, AWQ-Int4, ...")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Results JSON (created or extended). Default: ./reportgen-results/<host>-<timestamp>.json "
                   "(with --resume: that host's newest).")
@click.option("--resume", is_flag=True, help="Continue a run in the same file: skip questions already scored.")
@click.option("--max-tokens", type=number(Tokens), default=512, show_default=True, help="Longest answer, tokens.")
@click.option("--keep-prompts", is_flag=True, help="Store every prompt in the results (large).")
@api_key_option
def eval_cmd(base_url: str, model: str, data_dir: Path, tasks: str, mode: str, limit: int | None,
             concurrency: int, precision: str, output: Path | None, resume: bool, max_tokens: int,
             keep_prompts: bool, api_key: ApiKey | None) -> None:
    """Score the served model on ceval, gsm8k, mmlu and bbh; save every answer.

    \b
    Example:
      reportgen eval --base-url http://10.0.0.5:8000 --model qwen2-7b-instruct \\
          --data datasets --precision GPTQ-Int4 --mode swift2024 -o results.json
    """
    from collectors.accuracy.runner import EvalConfig, parse_tasks, run_eval
    from reportgen.results import ResultsStore

    path = results_path(output, host_of_url(base_url), resume=resume)
    store = ResultsStore.open(path)
    argv = recorded_argv()
    cfg = EvalConfig(
        base_url=base_url, model=model, data_dir=data_dir, tasks=parse_tasks(tasks), mode=mode,
        precision=precision, limit=limit, concurrency=concurrency, resume=resume, max_tokens=max_tokens,
        keep_prompts=keep_prompts, api_key=api_key.value if api_key is not None else None,
        command=shlex.join(argv) if argv else None,
    )
    with store:  # the file's writer lock, held until the run ends
        results = run_eval(store, cfg)
    for r in results:
        macro = f"{r.macro:.4f}" if r.macro is not None else "-"
        micro = f"{r.score:.4f}" if r.score is not None else "-"
        click.echo(f"{precision}\t{r.benchmark}\t{r.mode}\tn={r.n}\tcorrect={r.correct}\tmicro={micro}\t"
                   f"macro={macro}\tunparsed={r.unparsed}\terrors={r.errors}")
    click.echo(f"saved {store.path}")
