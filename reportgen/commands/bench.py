"""``reportgen bench``: the serving matrix against one running server."""

from __future__ import annotations

import click

from collectors.auth import ApiKey
from collectors.serving.progress import ConsoleProgress, summary_table
from collectors.serving.stage import check_alive, measure_variant
from reportgen.commands._attached import attached_run
from reportgen.commands._options import (
    NumberList,
    cards_option,
    dataset_option,
    length_options,
    number,
    output_option,
    request_options,
    server_options,
    slo_option,
    telemetry_options,
)
from reportgen.errors import ServerError
from reportgen.plan import ServingPlan
from reportgen.ranges import Burstiness, Concurrency, Count, Rate, Repeats
from reportgen.validity import check_results


@click.command("bench")
@server_options
@click.option("--batch-sizes", type=NumberList(Concurrency), default="1,2,4,8", show_default=True,
              help="Concurrent requests per cell (closed loop, the default).")
@click.option("--request-rate", type=NumberList(Rate),
              help="Open loop instead: target arrivals/s per cell, e.g. 1,2,4 (Poisson; see --burstiness).")
@click.option("--burstiness", type=number(Burstiness), default=1.0, show_default=True,
              help="Open loop: gamma shape of the gaps between arrivals (1: Poisson; < 1 burstier, > 1 more even).")
@click.option("--num-requests", type=number(Count), default=200, show_default=True, help="Open loop: timed requests per cell.")
@length_options
@click.option("--rounds", type=number(Count), default=5, show_default=True, help="Timed requests per cell = batch size x rounds.")
@click.option("--repeats", type=number(Repeats), default=1, show_default=True, help="Runs of each cell (fresh prompts each); summary shows mean and 95 % CI.")
@dataset_option
@slo_option()
@request_options
@output_option
@click.option("--resume", is_flag=True, help="Skip cells already measured in the results file.")
@telemetry_options
@cards_option
def bench_cmd(base_url: str, model: str, tokenizer: str | None, label: str, api_key: ApiKey | None, batch_sizes: tuple[int, ...],
              request_rate: tuple[float, ...] | None,
              burstiness: float, num_requests: int, input_len: int, output_len: int, rounds: int, repeats: int,
              dataset: str, slo: str | None, warmup: int, endpoint: str, no_ignore_eos: bool, seed: int | None,
              request_timeout: float, stall_timeout: float, output: str | None, resume: bool, telemetry: bool,
              telemetry_interval: float, cards: int | None) -> None:
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
    from reportgen.slo import slo_spec

    parse_dataset(dataset)  # one clear line for a bad --dataset, before anything is written
    limits = slo_spec(slo, model, tokenizer) if slo else {}  # a preset's class is known before anything is written
    settings = ServingPlan(
        batch_sizes=list(batch_sizes), input_len=input_len, output_len=output_len, rounds=rounds,
        warmup_requests=warmup, endpoint=endpoint,  # type: ignore[arg-type]
        ignore_eos=not no_ignore_eos, min_tokens=not no_ignore_eos, seed=seed,
        request_timeout_s=request_timeout, stall_timeout_s=stall_timeout,
        request_rates=list(request_rate or ()), burstiness=burstiness,
        num_requests=num_requests, dataset=dataset, repeats=repeats, slo=limits,
    )
    with attached_run(base_url, model, label, output, resume=resume, telemetry=telemetry,
                      telemetry_interval=telemetry_interval, cards=cards, api_key=api_key) as run:
        measure_variant(base_url.rstrip("/"), run.variant, settings, run.store, model=model, tokenizer_dir=tokenizer,
                        resume=resume, progress=ConsoleProgress(), sampler=run.sampler, api_key=run.api_key)
        click.echo(summary_table([run.variant], check_results(run.store.results)), err=True)
        click.echo(f"results: {run.store.path}", err=True)
        try:
            check_alive(base_url, api_key=run.api_key)
        except ServerError as e:
            run.variant.server.error = str(e)  # saved on leaving attached_run (the cells were saved)
            raise
