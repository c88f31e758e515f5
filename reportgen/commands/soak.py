"""``reportgen soak``: hold one load on a running server for hours, measured in windows."""

from __future__ import annotations

import click

from collectors.auth import ApiKey
from collectors.serving.progress import ConsoleSoakProgress
from collectors.serving.soak import SoakSettings
from collectors.serving.stage import measure_soak, variant_slo
from reportgen.commands._attached import attached_run
from reportgen.commands._options import (
    cards_option,
    number,
    output_option,
    recorded_argv,
    request_options,
    server_options,
    slo_option,
    telemetry_options,
)
from reportgen.errors import InputFormatError
from reportgen.plan import ServingPlan, parse_duration
from reportgen.ranges import Concurrency, Rate, Tokens
from reportgen.slo import slo_spec
from reportgen.soak import SoakAnalysis, signed


@click.command("soak")
@server_options
@click.option("--duration", default="2h", show_default=True, help="Measured time: 2h, 90m, 1h30m, 600s or seconds.")
@click.option("--window", default="60s", show_default=True, help="Window length (each window's figures are one point of the trends).")
@click.option("--concurrency", type=number(Concurrency), default=None, help="Closed loop: concurrent requests.")
@click.option("--request-rate", type=number(Rate), default=None, help="Open loop instead: Poisson arrivals/s.")
@click.option("--input-len", type=number(Tokens), default=2048, show_default=True,
              help="Prompt tokens (with the operating point taken from the results: its lengths unless given).")
@click.option("--output-len", type=number(Tokens), default=256, show_default=True)
@slo_option()
@request_options
@output_option
@click.option("--resume", is_flag=True, help="Continue this variant's unfinished soak with the same settings (finished windows are kept).")
@telemetry_options
@cards_option
def soak_cmd(base_url: str, model: str, tokenizer: str | None, label: str, api_key: ApiKey | None, duration: str, window: str,
             concurrency: int | None, request_rate: float | None, input_len: int, output_len: int, slo: str | None,
             warmup: int, endpoint: str, no_ignore_eos: bool, seed: int | None, request_timeout: float,
             stall_timeout: float, output: str | None, resume: bool, telemetry: bool, telemetry_interval: float,
             cards: int | None) -> None:
    """Hold one load for --duration and judge its stability window by window.

    Every window records the requests that finished in it (throughput, TTFT/TPOT,
    failures), the card's power, temperature and clock, and the server's process
    start time from /metrics. The document's 稳定性测试 section gives the drift of
    TPOT and throughput (slope with its 95 % interval: 无显著漂移 when it holds 0),
    the error rate and its bursts, throttling, and any server restart. The results
    file is saved after every window: after Ctrl-C, --resume continues the run.

    Without --concurrency or --request-rate the load is the variant's recommended
    operating point in the results file (-o): its capacity search's answer, else
    its largest valid batch size.

    \b
    Examples:
      reportgen soak --base-url http://127.0.0.1:8000 --model qwen2 --precision FP16 \\
          --concurrency 8 --duration 2h --window 60s -o results.json
      reportgen soak --base-url http://127.0.0.1:8000 --model qwen2 --precision FP16 -o results.json --resume
    """
    if concurrency is not None and request_rate is not None:
        raise InputFormatError("give --concurrency or --request-rate, not both")
    duration_s, window_s = parse_duration(duration, "--duration"), parse_duration(window, "--window")
    if window_s > duration_s:
        raise InputFormatError(f"--window {window} is longer than --duration {duration}")
    limits = slo_spec(slo, model, tokenizer) if slo else {}
    serving = ServingPlan(
        input_len=input_len, output_len=output_len, warmup_requests=warmup, endpoint=endpoint,  # type: ignore[arg-type]
        ignore_eos=not no_ignore_eos, min_tokens=not no_ignore_eos, seed=seed,
        request_timeout_s=request_timeout, stall_timeout_s=stall_timeout,
    )
    # the operating point comes from an earlier run: without -o, this host's newest results file
    with attached_run(base_url, model, label, output, resume=resume or (concurrency is None and request_rate is None),
                      telemetry=telemetry,
                      telemetry_interval=telemetry_interval, cards=cards, api_key=api_key) as run:
        origin = "given"
        if concurrency is None and request_rate is None:
            from reportgen.soak import recommended_load

            rec = recommended_load(run.store.results, run.variant)
            if rec is None:
                raise InputFormatError(
                    f"no --concurrency or --request-rate, and {run.store.path} has no capacity answer or valid batch-size "
                    f"cell for {label!r} to take the operating point from")
            origin = rec.origin
            concurrency, request_rate = (int(rec.value), None) if rec.by == "concurrency" else (None, rec.value)
            if ctx_default(click.get_current_context(), "input_len"):
                input_len, output_len = rec.input_len, rec.output_len  # the lengths the load was found at
        resolved, preset = variant_slo(limits, run.variant)
        settings = SoakSettings(
            duration_s=duration_s, window_s=window_s, concurrency=concurrency, request_rate=request_rate,
            input_len=input_len, output_len=output_len, warmup_requests=warmup, endpoint=endpoint, slo=resolved,
            slo_preset=preset, load_origin=origin,
        )
        soak = measure_soak(base_url.rstrip("/"), run.variant, settings, serving, run.store, model=model,
                            tokenizer_dir=tokenizer, resume=resume, progress=ConsoleSoakProgress(), sampler=run.sampler,
                            command=" ".join(recorded_argv()), api_key=run.api_key)
    from reportgen.soak import analyze, temperature_limit

    a = analyze(soak, temperature_limit(run.store.results))
    click.echo(_line(label, a))
    click.echo(f"results: {run.store.path}", err=True)


def ctx_default(ctx: click.Context, name: str) -> bool:
    """Whether the option was left at its default (not given on the command line)."""
    return ctx.get_parameter_source(name) != click.core.ParameterSource.COMMANDLINE


def _line(label: str, a: SoakAnalysis) -> str:
    """The verdict in one English line."""
    parts = []
    for name, tr, unit in (("TPOT", a.tpot, "ms"), ("throughput", a.throughput, "tok/s")):
        if tr is None:
            parts.append(f"{name}: too few windows")
        else:
            lo, hi = tr.ci95
            what = "drift" if tr.significant else "no significant drift"
            parts.append(f"{name} {what} {signed(tr.slope_per_h)} {unit}/h (95 % {signed(lo)} to {signed(hi)})")
    parts.append(f"errors {a.errors.failed}/{a.errors.requests}")
    parts.append(f"throttling {a.throttling.state}")
    parts.append(f"restart {a.restart.state}")
    return f"{label}: soak {a.verdict}: " + "; ".join(parts)
