"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reportgen.errors import ResultsError

DEFAULT_RESULTS_DIR = Path("reportgen-results")


def newest_results(directory: Path = DEFAULT_RESULTS_DIR) -> Path:
    """The newest ``*.json`` in ./reportgen-results (what ``collect`` writes by default)."""
    files = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime) if directory.is_dir() else []
    if not files:
        raise ResultsError(
            f"no results file given and none found in ./{directory}/ (run 'reportgen collect' or name a file)"
        )
    return files[-1]


def resolve_results_path(path: str | None) -> Path:
    return Path(path) if path else newest_results()


# --------------------------------------------------------------------------- serving options
# The options ``bench`` and ``capacity`` share: one definition each.

_F = TypeVar("_F", bound=Callable[..., Any])


def _apply(*options: Callable[[_F], _F]) -> Callable[[_F], _F]:
    def deco(f: _F) -> _F:
        for o in reversed(options):
            f = o(f)
        return f

    return deco


#: --base-url, --model, --tokenizer, --precision
server_options = _apply(
    click.option("--base-url", required=True, help="Server root, e.g. http://127.0.0.1:8000 (the tool adds /v1/completions, /tokenize, /metrics)."),
    click.option("--model", required=True, help="Model name as the server knows it (the request's \"model\")."),
    click.option("--tokenizer", type=click.Path(exists=True, file_okay=False), help="Local tokenizer dir for exact-length prompts (default: the server's /tokenize)."),
    click.option("--precision", "label", default="default", show_default=True, help="Variant label in the results (FP16, INT4, ...)."),
)

#: --warmup, --endpoint, --no-ignore-eos, --seed, --request-timeout, --stall-timeout
request_options = _apply(
    click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True, help="Warm-up requests per cell (excluded)."),
    click.option("--endpoint", type=click.Choice(["completions", "chat"]), default="completions", show_default=True),
    click.option("--no-ignore-eos", is_flag=True, help="Do not send vLLM's ignore_eos / min_tokens (servers that reject them)."),
    click.option("--seed", type=int, help="Prompt seed (default: a fresh one, recorded per cell)."),
    click.option("--request-timeout", type=float, default=1800.0, show_default=True, help="Seconds per request."),
    click.option("--stall-timeout", type=float, default=300.0, show_default=True, help="Longest silence inside a stream, seconds."),
)

#: --dataset
dataset_option = click.option(
    "--dataset", default="random", show_default=True,
    help="Workload: random (exact-length random prompts), prefix:LEN (a shared LEN-token prefix per user), "
    "sharegpt:FILE (local ShareGPT JSON, turns in order) or jsonl:FILE ({\"prompt\": ..., \"output_len\": ...} per line).",
)


def slo_option(required: bool = False) -> Callable[[_F], _F]:
    """--slo KEY=MS,...: percentile limits (ttft_p99_ms) and per-request limits (tpot_ms, for goodput)."""
    return click.option(
        "--slo", required=required,
        help="Latency limits in ms, e.g. ttft_p99_ms=2000,tpot_p99_ms=100 (cell statistics: met / not met) "
        "or ttft_ms=2000,tpot_ms=100 (per request: goodput, as vllm bench serve --goodput). "
        "Metrics: ttft, tpot, e2el, itl, tfat; statistics: mean, median, pNN.",
    )
