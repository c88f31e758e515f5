"""``reportgen embed``: the embedding / reranker check of sections 5 and 6, one model per call."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

import click

from collectors.auth import ApiKey
from reportgen._io import parse_json, read_text
from reportgen.commands._options import NumberList, api_key_option, host_of_url, number, results_path
from reportgen.errors import InputFormatError, ReportgenError
from reportgen.ranges import Concurrency, Count
from reportgen.redact import redact
from reportgen.results import Invocation, ResultsStore, utc_now


def _argv(ctx: click.Context) -> list[str]:
    """The command line as given (options that differ from their defaults), for the record."""
    argv = ["reportgen", "embed"]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or ctx.get_parameter_source(param.name or "") != click.core.ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name or ""]
        flag = max(param.opts, key=len)
        if param.is_flag:
            argv.append(flag)
        elif isinstance(value, tuple):
            argv += [flag, ",".join(map(str, value))]
        else:
            argv += [flag, str(value)]
    return argv


@click.command("embed")
@click.option("--model", required=True, metavar="DIR_OR_NAME", help="Local model directory, or the served model's name (HTTP mode).")
@click.option("--kind", required=True, type=click.Choice(["embedding", "reranker"]), help="What the model is.")
@click.option("--base-url", metavar="http://HOST:PORT", help="Serving engine to query (HTTP mode); without it the model runs locally.")
@click.option("--device", metavar="DEVICE", help="Local mode: torch device (cpu, cuda, cuda:1, ...; default cpu). HTTP mode: a label.")
@click.option("--precision", metavar="LABEL", help="fp32, fp16 or bf16 in local mode (default fp32 on CPU, fp16 elsewhere); a label in HTTP mode.")
@click.option("--endpoint", type=click.Choice(["/v1/rerank", "/rerank", "/score", "/v1/score"]), help="Reranker endpoint (default: the first of /v1/rerank, /rerank, /score that exists).")
@api_key_option
@click.option("--inputs", "inputs_path", type=click.Path(exists=True, dir_okay=False), help="JSON object replacing the seed's texts (keys: sentences_1, sentences_2, queries, passages, instruction, single_pair, batch_pairs).")
@click.option("--batch-sizes", type=NumberList(Concurrency), default="1,8,32", show_default=True, help="Throughput batch sizes.")
@click.option("--rounds", default=5, show_default=True, type=number(Count), help="Timed calls per throughput point (after one warm-up call).")
@click.option("--no-throughput", is_flag=True, help="Skip the throughput measurement.")
@click.option("--no-reference", is_flag=True, help="Skip the reference check.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Results file to add the run to (created if absent; default ./reportgen-results/<host>-<timestamp>.json).")
def embed_cmd(
    model: str, kind: str, base_url: str | None, device: str | None, precision: str | None, endpoint: str | None, api_key: ApiKey | None,
    inputs_path: str | None, batch_sizes: tuple[int, ...], rounds: int, no_throughput: bool, no_reference: bool, output: str | None,
) -> None:
    """Check an embedding model or a reranker as the seed's sections 5 and 6 did, and time it.

    Runs the seed's script (normalized embeddings with bge's query instruction, similarity
    and query->passage matrices; or raw and sigmoid reranker scores for a single pair and
    a batch), compares with a float32 CPU run of the local model (or the seed's recorded
    values), and measures texts/s or pairs/s at each batch size for short and 512-token
    texts. Exit status 1 when the reference check fails, 2 when the check could not run.

    \b
    Examples:
      reportgen embed --model /models/bge-large-zh-v1.5 --kind embedding --device cuda -o results.json
      reportgen embed --model bge-reranker-v2-m3 --kind reranker --base-url http://127.0.0.1:8000 -o results.json
    """
    from collectors.embedding.data import DEFAULT_INPUTS, EmbeddingInputs
    from collectors.embedding.stage import run_embedding_stage

    inputs = DEFAULT_INPUTS
    if inputs_path:
        try:
            inputs = EmbeddingInputs.from_dict(parse_json(read_text(Path(inputs_path)), inputs_path))
        except (ValueError, AttributeError, TypeError) as e:
            raise InputFormatError(f"{inputs_path}: {e}") from None
    path = results_path(output, host_of_url(base_url))
    store = ResultsStore.open(path)
    with store:  # the file's writer lock, held until the run is saved
        argv = _argv(click.get_current_context())
        inv = Invocation(argv=argv, started_at=utc_now(), host=socket.gethostname())
        store.results.invocations.append(inv)
        run = run_embedding_stage(
            store, model=model, kind=kind, base_url=base_url, device=device, precision=precision,  # type: ignore[arg-type]
            inputs=inputs, endpoint=endpoint, reference=not no_reference, throughput=not no_throughput,
            batch_sizes=batch_sizes, rounds=rounds, api_key=api_key.value if api_key is not None else None, command=shlex.join(argv), progress=lambda m: click.echo(m, err=True),
        )
        inv.finished_at = utc_now()
        store.save()
    if run.output:
        click.echo(run.output)
    ref = run.reference_check
    verdict = {"pass": "PASS", "fail": "FAIL", "none": "none"}[ref.status]
    numbers = f" ({ref.metric} {ref.value:.6g}, threshold {ref.threshold:g})" if ref.value is not None and ref.threshold is not None else ""
    click.echo(f"reference check: {verdict}{numbers}" + (": " + "; ".join(map(str, ref.detail)) if ref.detail else ""))
    for p in run.throughput:
        unit = "texts/s" if kind == "embedding" else "pairs/s"
        click.echo(f"throughput {p.text_kind:>9} batch {p.batch_size:>3}: {p.items_per_s:10.1f} {unit}, mean {p.mean_latency_ms:.1f} ms, P99 {p.p99_latency_ms:.1f} ms")
    for w in run.warnings:
        click.echo(f"warning: {redact(str(w))}", err=True)  # a server's words may echo the key
    click.echo(f"saved to {path}", err=True)
    if run.error:
        raise ReportgenError(f"{run.error} (recorded in {path})")
    if ref.status == "fail":
        sys.exit(1)
