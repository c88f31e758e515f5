"""``reportgen capacity``: how many users one running server serves within the SLOs."""

from __future__ import annotations

import click

from collectors.auth import ApiKey
from collectors.serving.capacity import SearchSettings, capacity_line
from collectors.serving.progress import ConsoleProgress
from collectors.serving.stage import measure_capacity
from reportgen.commands._attached import attached_run
from reportgen.commands._options import (
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
from reportgen.errors import InputFormatError
from reportgen.plan import ServingPlan
from reportgen.ranges import Concurrency, Count, Rate, capacity_start_problem
from reportgen.slo import percentile_keys, resolve_slo


@click.command("capacity")
@server_options
@slo_option(required=True)
@click.option("--by", type=click.Choice(["concurrency", "rate"]), default="concurrency", show_default=True,
              help="Search concurrent requests (closed loop, integer) or requests/s (open loop, Poisson, to 5 %).")
@length_options
@click.option("--max-concurrency", type=number(Concurrency), default=256, show_default=True, help="Upper bound of a concurrency search.")
@click.option("--max-rate", type=number(Rate), default=256.0, show_default=True, help="Upper bound of a rate search (requests/s).")
@click.option("--start", type=number(Rate), default=1.0, show_default=True,
              help="First value probed (then doubled): a whole number from 1 to --max-concurrency, or a rate up to --max-rate.")
@click.option("--rounds", type=number(Count, lo=5), default=5, show_default=True, help="By concurrency: requests per probe = rounds x concurrency.")
@click.option("--num-requests", type=number(Count, lo=100), default=100, show_default=True, help="By rate: requests per probe.")
@dataset_option
@request_options
@output_option
@telemetry_options
@cards_option
def capacity_cmd(base_url: str, model: str, tokenizer: str | None, label: str, api_key: ApiKey | None, slo: str, by: str, input_len: int,
                 output_len: int, max_concurrency: int, max_rate: float, start: float, rounds: int, num_requests: int,
                 dataset: str, warmup: int, endpoint: str, no_ignore_eos: bool, seed: int | None,
                 request_timeout: float, stall_timeout: float, output: str | None, telemetry: bool, telemetry_interval: float,
                 cards: int | None) -> None:
    """Find the largest concurrency (or request rate) at which every SLO is met.

    Doubling from --start until a probe misses an SLO, then bisection: to one
    request for concurrency, to 5 % for a rate. Every probe is a recorded cell with
    enough requests for its P99 (5 x concurrency, or --num-requests >= 100
    arrivals). The answer is printed in one line and stored in the results file
    (ModelVariant.capacity); 'reportgen summary --capacity' lists the searches.

    \b
    Example:
      reportgen capacity --base-url http://127.0.0.1:8000 --model qwen2 --precision FP16 \\
          --slo ttft_p99_ms=2000,tpot_p99_ms=100 --input-len 8192 --output-len 256 -o results.json
    """
    from collectors.serving.datasets import parse_dataset

    limits, preset_id = resolve_slo(slo, model, tokenizer)
    if not percentile_keys(limits):
        raise InputFormatError("--slo: a capacity search needs a percentile limit such as ttft_p99_ms=2000")
    parse_dataset(dataset)
    why = capacity_start_problem(by, start, max_concurrency if by == "concurrency" else max_rate)
    if why:
        raise InputFormatError(f"--start: {why}")
    settings = SearchSettings(
        slo=limits, by=by, input_len=input_len, output_len=output_len,
        max_value=max_concurrency if by == "concurrency" else max_rate, start=start, rounds=rounds,
        num_requests=num_requests, warmup_requests=warmup, endpoint=endpoint, dataset=dataset, slo_preset=preset_id,
    )
    serving = ServingPlan(
        input_len=input_len, output_len=output_len, warmup_requests=warmup, endpoint=endpoint,  # type: ignore[arg-type]
        ignore_eos=not no_ignore_eos, min_tokens=not no_ignore_eos, seed=seed,
        request_timeout_s=request_timeout, stall_timeout_s=stall_timeout, dataset=dataset,
    )
    with attached_run(base_url, model, label, output, telemetry=telemetry,
                      telemetry_interval=telemetry_interval, cards=cards, api_key=api_key) as run:
        search = measure_capacity(base_url.rstrip("/"), run.variant, settings, serving, run.store, model=model,
                                  tokenizer_dir=tokenizer, progress=ConsoleProgress(), sampler=run.sampler,
                                  api_key=run.api_key)
    click.echo(capacity_line(label, search))
    click.echo(f"results: {run.store.path}", err=True)
