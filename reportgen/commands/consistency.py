"""``reportgen consistency``: a card compared with a reference card's recording."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from collectors.auth import ApiKey
from reportgen.commands._options import (
    api_key_option,
    base_url_option,
    host_of_url,
    model_option,
    number,
    precision_option,
    recorded_argv,
    results_path,
)
from reportgen.errors import InputFormatError
from reportgen.ranges import Concurrency, Count


def _overrides(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """``--threshold half.top1_pass=0.97`` (repeatable) -> {"half": {"top1_pass": 0.97}}."""
    from pydantic import ValidationError

    from reportgen.plan import ConsistencyPlan

    out: dict[str, dict[str, float]] = {}
    for item in values:
        key, _, value = item.partition("=")
        profile, _, name = key.strip().partition(".")
        try:
            out.setdefault(profile, {})[name] = float(value)
        except ValueError:
            raise click.BadParameter(f"{item!r}: expected PROFILE.KEY=NUMBER (half.top1_pass=0.97)") from None
    try:
        ConsistencyPlan(thresholds=out)
    except ValidationError as e:
        raise click.BadParameter(e.errors()[0]["msg"].removeprefix("Value error, ")) from None
    return out


@click.command("consistency")
@click.option("--reference", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The reference file (reportgen reference record).")
@base_url_option
@model_option
@precision_option
@click.option("--dtype", default=None, metavar="fp16|bf16|fp32|int8|int4", help="The precision the card computes in (chooses the thresholds).")
@click.option("--quantization", default=None, metavar="NAME", help="The card's quantisation (gptq, awq, ...), if any.")
@click.option("--model-name", default=None, help="The model's display name (\"Qwen2-7B-Instruct-GPTQ-Int4\"); compared with the reference's.")
@click.option("--batch-size", type=number(Concurrency), default=8, show_default=True,
              help="Requests in flight for the batch-invariance pass (1: no such pass).")
@click.option("--limit", type=number(Count), default=None, help="Compare only this many prompts, evenly spaced (default: all).")
@click.option("--profile", default=None, metavar="same|half|int8|int4",
              help="Judge with this threshold profile (default: from the two precisions).")
@click.option("--threshold", "thresholds", multiple=True, callback=_overrides, metavar="PROFILE.KEY=VALUE",
              help="Change one limit, e.g. int4.top1_pass=0.9 (repeatable; keys: top1_pass, kl_pass, top1_fail, kl_fail, first_token_fail).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Results JSON (created or extended). Default: ./reportgen-results/<host>-<timestamp>.json.")
@api_key_option
def consistency_cmd(reference: Path, base_url: str, model: str, label: str, dtype: str | None, quantization: str | None,
                    model_name: str | None, batch_size: int, limit: int | None, profile: str | None,
                    thresholds: dict[str, dict[str, float]], output: Path | None, api_key: ApiKey | None) -> None:
    """Send a reference's prompts to the card under test and compare, token by token: first-token
    agreement, greedy exact match, common prefix, top-1 agreement and KL under teacher forcing,
    |Δ logprob|; then the same prompts --batch-size at a time (batch invariance). Prints the verdict
    (一致 / 存在偏差 / 不一致) and saves every figure.

    \b
    Example:
      reportgen consistency --reference a100-fp16.ref.json --base-url http://10.0.0.5:8000 \\
          --model qwen2-7b-instruct --precision FP16 --dtype fp16 -o results.json
    """
    from collectors.consistency.stage import run_consistency
    from reportgen.consistency.verdict import variant_verdict
    from reportgen.results import Invocation, ResultsStore, utc_now

    if not reference.is_file():
        raise InputFormatError(f"{reference}: no such reference file (record one with 'reportgen reference record')")
    path = results_path(output, host_of_url(base_url))
    store = ResultsStore.open(path)
    argv = recorded_argv()
    inv = Invocation(argv=argv, started_at=utc_now(), host=host_of_url(base_url))
    variant = store.results.variant(label)
    for name, value in (("precision", dtype), ("quantization", quantization), ("model", model_name)):
        if value is not None:
            setattr(variant, name, value)
    variant.served_model_name = model
    variant.server.base_url = variant.server.base_url or base_url
    store.results.invocations.append(inv)
    try:
        run_consistency(store, variant, reference=reference, base_url=base_url, model=model, batch_size=batch_size,
                        limit=limit, profile=profile, overrides=thresholds,
                        api_key=api_key.value if api_key is not None else None, command=shlex.join(argv),
                        echo=lambda s: click.echo(s, err=True))
    finally:
        if store.saves:
            inv.finished_at = utc_now()
            store.save()
    cv = variant_verdict(variant)
    if cv is not None:
        click.echo(cv.statement_en)
    click.echo(f"saved {store.path}")
