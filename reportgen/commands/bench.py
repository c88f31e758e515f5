"""``reportgen bench``: the serving matrix against one running server."""

from __future__ import annotations

import sys

import click

from collectors.serving.progress import ConsoleProgress, summary_table
from collectors.serving.server import served_models
from collectors.serving.stage import check_alive, identify_server, measure_variant
from reportgen.commands._options import host_of_url, results_path
from reportgen.errors import InputFormatError, ServerError
from reportgen.plan import ServingPlan
from reportgen.results import Invocation, ResultsStore, utc_now


def _int_list(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise InputFormatError(f"--batch-sizes: expected integers separated by commas, got {text!r}") from None
    if not out or any(b < 1 for b in out):
        raise InputFormatError(f"--batch-sizes: expected positive integers, got {text!r}")
    return out


@click.command("bench")
@click.option("--base-url", required=True, help="Server root, e.g. http://127.0.0.1:8000 (the tool adds /v1/completions, /tokenize, /metrics).")
@click.option("--model", required=True, help="Model name as the server knows it (the request's \"model\").")
@click.option("--tokenizer", type=click.Path(exists=True, file_okay=False), help="Local tokenizer dir for exact-length prompts (default: the server's /tokenize).")
@click.option("--precision", "label", default="default", show_default=True, help="Variant label in the results (FP16, INT4, ...).")
@click.option("--batch-sizes", default="1,2,4,8", show_default=True, help="Concurrent requests per cell.")
@click.option("--input-len", type=click.IntRange(min=1), default=8192, show_default=True)
@click.option("--output-len", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--rounds", type=click.IntRange(min=1), default=5, show_default=True, help="Timed requests per cell = batch size x rounds.")
@click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True, help="Warm-up requests per cell (excluded).")
@click.option("--endpoint", type=click.Choice(["completions", "chat"]), default="completions", show_default=True)
@click.option("--no-ignore-eos", is_flag=True, help="Do not send vLLM's ignore_eos / min_tokens (servers that reject them).")
@click.option("--seed", type=int, help="Prompt seed (default: a fresh one, recorded per cell).")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=1800.0, show_default=True, help="Seconds per request.")
@click.option("--stall-timeout", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True, help="Longest silence inside a stream, seconds.")
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="Results file (created or added to; default ./reportgen-results/<host>-<timestamp>.json).")
@click.option("--resume", is_flag=True, help="Skip cells already measured in the results file.")
@click.option("--telemetry/--no-telemetry", default=True, show_default=True,
              help="Sample this machine's cards (power, temperature) during each cell with the vendor's SMI tool; without one, the results say why.")
@click.option("--telemetry-interval", type=click.FloatRange(min=0.01), default=1.0, show_default=True, help="Seconds between telemetry samples.")
def bench_cmd(base_url: str, model: str, tokenizer: str | None, label: str, batch_sizes: str, input_len: int, output_len: int,
              rounds: int, warmup: int, endpoint: str, no_ignore_eos: bool, seed: int | None, request_timeout: float,
              stall_timeout: float, output: str | None, resume: bool, telemetry: bool, telemetry_interval: float) -> None:
    """Measure TTFT, TPOT and throughput at each batch size against a running server.

    Every request streams, its prompt has exactly --input-len tokens and distinct
    content, and its raw timings are saved; the results file is written after
    every cell, so Ctrl-C keeps what finished and --resume continues. With
    --telemetry (the default) the local cards' power and temperature are sampled
    during each cell's timed window, giving average/peak power and joules per
    output token; this only means something when the server runs on this machine.

    \b
    Example:
      reportgen bench --base-url http://127.0.0.1:8000 --model /models/Qwen2-7B-Instruct \\
          --precision FP16 --batch-sizes 1,2,4,8 --input-len 8192 --output-len 256 -o results.json
    """
    settings = ServingPlan(
        batch_sizes=_int_list(batch_sizes), input_len=input_len, output_len=output_len, rounds=rounds,
        warmup_requests=warmup, endpoint=endpoint,  # type: ignore[arg-type]
        ignore_eos=not no_ignore_eos, min_tokens=not no_ignore_eos, seed=seed,
        request_timeout_s=request_timeout, stall_timeout_s=stall_timeout,
    )
    models = served_models(base_url)  # fail fast, before any file is written
    if models and model not in models:
        raise InputFormatError(f"--model {model!r}: the server serves {', '.join(models)}")
    store = ResultsStore.open(results_path(output, host_of_url(base_url), resume=resume))
    inv = Invocation(argv=["reportgen", *sys.argv[1:]], started_at=utc_now())
    store.results.invocations.append(inv)
    variant = store.results.variant(label)
    variant.served_model_name = model
    variant.server.base_url = base_url.rstrip("/")
    variant.server.launched = False
    variant.server.served_models = models
    identify_server(variant.server, base_url.rstrip("/"))
    sampler = None
    if telemetry:
        from collectors.execution import LocalHost
        from collectors.hardware.telemetry import TelemetrySampler

        sampler = TelemetrySampler(LocalHost(), interval_s=telemetry_interval)
    ok = False
    try:
        measure_variant(base_url.rstrip("/"), variant, settings, store, model=model, tokenizer_dir=tokenizer,
                        resume=resume, progress=ConsoleProgress(), sampler=sampler)
        ok = True
    finally:
        if ok or store.saves:  # failed before the first cell was saved: the file stays byte-identical
            inv.finished_at = utc_now()
            store.results.finished_at = inv.finished_at
            store.save()
    click.echo(summary_table([variant]), err=True)
    click.echo(f"results: {store.path}", err=True)
    try:
        check_alive(base_url)
    except ServerError as e:
        variant.server.error = str(e)
        store.save()
        raise
