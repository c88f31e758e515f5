"""``reportgen reference record``: the reference card's answers to the consistency prompt set."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from collectors.auth import ApiKey
from reportgen.commands._options import (
    api_key_option,
    base_url_option,
    model_option,
    number,
    recorded_argv,
)
from reportgen.ranges import Concurrency, Count, Tokens, TopK


@click.group("reference")
def reference_group() -> None:
    """The reference of the consistency check (docs/consistency.md)."""


@reference_group.command("record")
@base_url_option
@model_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The reference file to write; it must not exist (a reference is never rewritten).")
@click.option("--dtype", default=None, metavar="fp16|bf16|fp32|int8|int4",
              help="The precision the reference server computes in (as served: --dtype, or the quantisation's bits).")
@click.option("--quantization", default=None, metavar="NAME", help="The reference's quantisation (gptq, awq, ...), if any.")
@click.option("--card", default=None, help="The reference card, as the document names it (\"NVIDIA A100-SXM4-80GB\").")
@click.option("--model-name", default=None, help="The model's display name (\"Qwen2-7B-Instruct\"); compared with the card's.")
@click.option("--max-tokens", type=number(Tokens), default=64, show_default=True, help="Greedy tokens per prompt.")
@click.option("--top-k", type=number(TopK), default=5, show_default=True, help="Log-probabilities kept per position.")
@click.option("--concurrency", type=number(Concurrency), default=1, show_default=True,
              help="Requests in flight (1: no batching effects in the reference).")
@click.option("--limit", type=number(Count), default=None,
              help="Record only this many prompts, evenly spaced through the set (for trials; default: all 200).")
@api_key_option
def record_cmd(base_url: str, model: str, output: Path, dtype: str | None, quantization: str | None, card: str | None,
               model_name: str | None, max_tokens: int, top_k: int, concurrency: int, limit: int | None,
               api_key: ApiKey | None) -> None:
    """Record a reference card's greedy answers, top-k log-probabilities and teacher-forced
    log-probabilities for the shipped prompt set (200 prompts, Chinese and English, short to long).

    \b
    Example (on the reference GPU server):
      reportgen reference record --base-url http://127.0.0.1:8000 --model qwen2-7b-instruct \\
          --dtype fp16 --card "NVIDIA A100-SXM4-80GB" --model-name Qwen2-7B-Instruct -o a100-fp16.ref.json
    """
    from collectors.consistency.stage import record_reference_file

    ref = record_reference_file(
        output, base_url=base_url, model=model, max_tokens=max_tokens, top_k=top_k, concurrency=concurrency,
        limit=limit, dtype=dtype, quantization=quantization, card=card, model_name=model_name,
        api_key=api_key.value if api_key is not None else None, command=shlex.join(recorded_argv()),
        echo=lambda s: click.echo(s, err=True),
    )
    ok = sum(1 for p in ref.prompts if p.error is None)
    click.echo(f"recorded {ok} of {len(ref.prompts)} prompts ({ref.prompt_set}, sha256 {ref.prompt_set_sha256[:12]}; "
               f"teacher forcing: {ref.teacher_forcing or 'none'}) into {output}")
