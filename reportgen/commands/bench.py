"""``reportgen bench``: the serving matrix against one running server."""

from __future__ import annotations

import click

from collectors.serving.progress import ConsoleProgress, summary_table
from collectors.serving.stage import check_alive, measure_variant
from reportgen.commands._attached import attached_run
from reportgen.commands._options import (
    dataset_option,
    request_options,
    server_options,
    slo_option,
)
from reportgen.errors import InputFormatError, ServerError
from reportgen.plan import ServingPlan
from reportgen.validity import check_results


def _rate_list(text: str) -> list[float]:
    try:
        out = [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputFormatError(f"--request-rate: expected numbers (requests/s) separated by commas, got {text!r}") from None
    if not out or any(not (r > 0 and r != float("inf")) for r in out):
        raise InputFormatError(f"--request-rate: expected positive finite rates, got {text!r}")
    return out


def _int_list(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputFormatError(f"--batch-sizes: expected integers separated by commas, got {text!r}") from None
    if not out or any(b < 1 for b in out):
        raise InputFormatError(f"--batch-sizes: expected positive integers, got {text!r}")
    return out


@click.command("bench")
@server_options
@click.option("--batch-sizes", default="1,2,4,8", show_default=True, help="Concurrent requests per cell (closed loop, the default).")
@click.option("--request-rate", help="Open loop instead: target arrivals/s per cell, e.g. 1,2,4 (Poisson; see --burstiness).")
@click.option("--burstiness", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Open loop: gamma shape of the gaps between arrivals (1: Poisson; < 1 burstier, > 1 more even).")
@click.option("--num-requests", type=click.IntRange(min=1), default=200, show_default=True, help="Open loop: timed requests per cell.")
@click.option("--input-len", type=click.IntRange(min=1), default=8192, show_default=True)
@click.option("--output-len", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--rounds", type=click.IntRange(min=1), default=5, show_default=True, help="Timed requests per cell = batch size x rounds.")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True, help="Runs of each cell (fresh prompts each); summary shows mean and 95 % CI.")
@dataset_option
@slo_option()
@request_options
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="Results file (created or added to; default ./reportgen-results/<host>-<timestamp>.json).")
@click.option("--resume", is_flag=True, help="Skip cells already measured in the results file.")
@click.option("--telemetry/--no-telemetry", default=True, show_default=True,
              help="Sample this machine's cards (power, temperature) during each cell with the vendor's SMI tool; without one, the results say why.")
@click.option("--telemetry-interval", type=click.FloatRange(min=0.01), default=1.0, show_default=True, help="Seconds between telemetry samples.")
def bench_cmd(base_url: str, model: str, tokenizer: str | None, label: str, batch_sizes: str, request_rate: str | None,
              burstiness: float, num_requests: int, input_len: int, output_len: int, rounds: int, repeats: int,
              dataset: str, slo: str | None, warmup: int, endpoint: str, no_ignore_eos: bool, seed: int | None,
              request_timeout: float, stall_timeout: float, output: str | None, resume: bool, telemetry: bool,
              telemetry_interval: float) -> None:
    """Measure TTFT, TPOT and throughput at each batch size (or request rate) against a running server.

    Every request streams, its prompt has exactly --input-len tokens and distinct
    content, and its raw timings are saved; the results file is written after
    every cell, so Ctrl-C keeps what finished and --resume continues. With
    --telemetry (the default) the local cards' power and temperature are sampled
    during each cell's timed window, giving average/peak power and joules per
    output token; this only means something when the server runs on this machine.

    With --request-rate the cells are open loop: --num-requests arrivals at the
    given mean rate, each sent at its scheduled time whatever the server does
    (achieved rate and send lateness are recorded and checked). --slo adds goodput
    and a met / not met verdict per percentile limit to every cell.

    \b
    Examples:
      reportgen bench --base-url http://127.0.0.1:8000 --model /models/Qwen2-7B-Instruct \\
          --precision FP16 --batch-sizes 1,2,4,8 --input-len 8192 --output-len 256 -o results.json
      reportgen bench --base-url http://127.0.0.1:8000 --model qwen2 --request-rate 0.5,1,2 \\
          --num-requests 200 --slo ttft_p99_ms=2000,tpot_p99_ms=100,tpot_ms=100 -o results.json
    """
    from collectors.serving.datasets import parse_dataset
    from reportgen.slo import parse_slo

    parse_dataset(dataset)  # one clear line for a bad --dataset, before anything is written
    settings = ServingPlan(
        batch_sizes=_int_list(batch_sizes), input_len=input_len, output_len=output_len, rounds=rounds,
        warmup_requests=warmup, endpoint=endpoint,  # type: ignore[arg-type]
        ignore_eos=not no_ignore_eos, min_tokens=not no_ignore_eos, seed=seed,
        request_timeout_s=request_timeout, stall_timeout_s=stall_timeout,
        request_rates=_rate_list(request_rate) if request_rate else [], burstiness=burstiness,
        num_requests=num_requests, dataset=dataset, repeats=repeats, slo=parse_slo(slo) if slo else {},
    )
    with attached_run(base_url, model, label, output, resume=resume, telemetry=telemetry,
                      telemetry_interval=telemetry_interval) as run:
        measure_variant(base_url.rstrip("/"), run.variant, settings, run.store, model=model, tokenizer_dir=tokenizer,
                        resume=resume, progress=ConsoleProgress(), sampler=run.sampler)
    store, variant = run.store, run.variant
    click.echo(summary_table([variant], check_results(store.results)), err=True)
    click.echo(f"results: {store.path}", err=True)
    try:
        check_alive(base_url)
    except ServerError as e:
        variant.server.error = str(e)
        store.save()
        raise
