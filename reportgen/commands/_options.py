"""Options and helpers shared by several commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import click

from reportgen.errors import ResultsError
from reportgen.ranges import Bounds, Concurrency, Interval, NonNegCount, Seconds, Seed, Tokens, bounds
from reportgen.results import RESULTS_DIR_NAME, utc_now

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_RESULTS_DIR = Path(RESULTS_DIR_NAME)
_LOOPBACK = {"", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


def host_of_url(url: str | None) -> str | None:
    """The machine a server URL points at, for naming its results file (None: this one)."""
    if not url:
        return None
    try:
        return urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None


def default_results_path(host: str | None, *, resume: bool = False) -> Path:
    """The one default results file of bench, eval, embed and collect:
    ./reportgen-results/<host or "local">-<UTC timestamp>.json (what render, validate and summary
    find without a file). With ``resume``: the newest file of that host, so a run continues."""
    name = "local" if (host or "").lower() in _LOOPBACK else re.sub(r"[^A-Za-z0-9._-]+", "_", host or "") or "host"
    if resume:
        mine = sorted(DEFAULT_RESULTS_DIR.glob(f"{name}-*.json"), key=lambda p: p.stat().st_mtime)
        if mine:
            return mine[-1]
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    path = DEFAULT_RESULTS_DIR / f"{name}-{stamp}.json"
    n = 2
    while path.exists():  # two runs in one second: never add to another run's file by accident
        path, n = DEFAULT_RESULTS_DIR / f"{name}-{stamp}-{n}.json", n + 1
    return path


def results_path(output: str | Path | None, host: str | None, *, resume: bool = False) -> Path:
    """``-o`` if given, else the default, which is named on stderr before the run starts (a file the
    user named is not repeated: an error stays the one line on stderr)."""
    if output:
        return Path(output)
    path = default_results_path(host, resume=resume)
    click.echo(f"results file: {path}", err=True)
    return path


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


def _host_key_value(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from collectors.execution import check_host_key_policy
    from reportgen.errors import HostError

    try:
        return check_host_key_policy(value)
    except HostError as e:
        raise click.BadParameter(str(e).split(": ", 1)[1]) from None


def ssh_host_key_option(f: F) -> F:
    """``--ssh-host-key accept-new|strict|SHA256:...`` (how an SSH host's key is trusted) and
    ``--known-hosts FILE`` (reportgen's own file by default), for every command that uses SSH."""
    f = click.option(
        "--known-hosts", default=None, type=click.Path(dir_okay=False),
        help="Known-hosts file, entries per host and port (default: $REPORTGEN_KNOWN_HOSTS, else "
             "~/.config/reportgen/known_hosts). A listed host must present its key.",
    )(f)
    return click.option(
        "--ssh-host-key", "ssh_host_key", default="accept-new", show_default=True, callback=_host_key_value,
        metavar="accept-new|strict|SHA256:…",
        help="An unknown host's key: accept and store it (printed once with its SHA256 fingerprint), "
             "refuse it (strict), or accept only the key with this fingerprint.",
    )(f)


def make_output_dir(out_dir: Path) -> None:
    """The documents' folder (render, compare): created one level deep; its parent must exist,
    so a mistyped path never creates folders above it."""
    from reportgen.errors import RenderError

    if out_dir.exists() and not out_dir.is_dir():
        raise RenderError(f"{out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(exist_ok=True)
    except FileNotFoundError:
        raise RenderError(f"{out_dir}: cannot create the folder: {out_dir.parent} does not exist") from None
    except OSError as e:
        raise RenderError(f"{out_dir}: cannot create the folder: {e.strerror or e}") from None


# --------------------------------------------------------------------------- numbers at the door
# Every number option takes its range from ``reportgen.ranges`` (the plan's fields use the same
# aliases): NaN, ±inf, out-of-range and over-long values are one line naming the option.

_MAX_NUMBER_TEXT = 32  # characters: no range of ours needs more; a 4000-digit "count" is refused unread


def _refuse(t: click.ParamType, b: Bounds, value: object, param: click.Parameter | None,
            ctx: click.Context | None) -> NoReturn:
    shown = str(value)
    shown = shown[:20] + "…" if len(shown) > _MAX_NUMBER_TEXT else shown
    t.fail(f"{shown!r} is not {b.describe()}", param, ctx)


def _parse_number(t: click.ParamType, b: Bounds, value: object, param: click.Parameter | None,
                  ctx: click.Context | None) -> int | float:
    if isinstance(value, bool):
        _refuse(t, b, value, param, ctx)
    if isinstance(value, (int, float)):
        v: int | float = value
    else:
        text = str(value).strip()
        if len(text) > _MAX_NUMBER_TEXT:
            _refuse(t, b, value, param, ctx)
        try:
            v = int(text) if b.kind is int else float(text)
        except ValueError:
            _refuse(t, b, value, param, ctx)
    if not b.contains(v):
        _refuse(t, b, value, param, ctx)
    return v


class _IntNumber(click.IntRange):
    def __init__(self, b: Bounds) -> None:
        super().__init__(min=None if b.lo is None else int(b.lo), max=None if b.hi is None else int(b.hi),
                         min_open=b.lo_open, max_open=b.hi_open)
        self.bounds = b

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return _parse_number(self, self.bounds, value, param, ctx)


class _FloatNumber(click.FloatRange):
    def __init__(self, b: Bounds) -> None:
        super().__init__(min=b.lo, max=b.hi, min_open=b.lo_open, max_open=b.hi_open)
        self.bounds = b

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return _parse_number(self, self.bounds, value, param, ctx)


def number(alias: Any, *, lo: float | None = None) -> click.ParamType:
    """The option type of a range of ``reportgen.ranges`` (``lo``: a stricter lower bound)."""
    b = bounds(alias)
    if lo is not None:
        b = Bounds(b.kind, lo, b.hi, False, b.hi_open)
    return _IntNumber(b) if b.kind is int else _FloatNumber(b)


class NumberList(click.ParamType):
    """``1,2,4,8``: a comma-separated list of numbers of one range, as a tuple (each checked)."""

    def __init__(self, alias: Any) -> None:
        self.bounds = bounds(alias)
        self.name = "list"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:  # type: ignore[override]
        return "N,N,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = [x.strip() for x in str(value).split(",") if x.strip()]
        if not parts:
            self.fail(f"{value!r}: expected {self.bounds.describe()} or several, separated by commas", param, ctx)
        return tuple(_parse_number(self, self.bounds, x, param, ctx) for x in parts)


# --------------------------------------------------------------------------- API key


def _api_key_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from collectors.auth import api_key_from_env

    return api_key_from_env(value)  # InputFormatError: "--api-key-env VAR: that environment variable is not set"


#: --api-key-env VAR: every command that talks to a server. The value is a
#: ``collectors.auth.ApiKey`` (its text is the variable's name: what the recorded command line shows).
api_key_option = click.option(
    "--api-key-env", "api_key", metavar="VAR", default=None, callback=_api_key_value,
    help="Name of an environment variable holding the server's API key (vLLM --api-key, a gateway's key): "
         "sent as 'Authorization: Bearer', never stored or printed.",
)


# --------------------------------------------------------------------------- serving options
# The options ``bench`` and ``capacity`` share: one definition each.


def _apply(*options: Callable[[F], F]) -> Callable[[F], F]:
    def deco(f: F) -> F:
        for o in reversed(options):
            f = o(f)
        return f

    return deco


base_url_option = click.option(
    "--base-url", required=True, help="Server root, e.g. http://127.0.0.1:8000 (the tool adds /v1/completions, /tokenize, /metrics).")
model_option = click.option("--model", required=True, help="Model name as the server knows it (the request's \"model\").")
precision_option = click.option(
    "--precision", "label", default="default", show_default=True, help="Variant label in the results (FP16, INT4, ...).")

#: --base-url, --model, --tokenizer, --precision, --api-key-env
server_options = _apply(
    base_url_option,
    model_option,
    click.option("--tokenizer", type=click.Path(exists=True, file_okay=False), help="Local tokenizer dir for exact-length prompts (default: the server's /tokenize)."),
    precision_option,
    api_key_option,
)

#: --warmup, --endpoint, --no-ignore-eos, --seed, --request-timeout, --stall-timeout
request_options = _apply(
    click.option("--warmup", type=number(NonNegCount), default=1, show_default=True, help="Warm-up requests per cell (excluded)."),
    click.option("--endpoint", type=click.Choice(["completions", "chat"]), default="completions", show_default=True),
    click.option("--no-ignore-eos", is_flag=True, help="Do not send vLLM's ignore_eos / min_tokens (servers that reject them)."),
    click.option("--seed", type=number(Seed), help="Prompt seed (default: a fresh one, recorded per cell)."),
    click.option("--request-timeout", type=number(Seconds), default=1800.0, show_default=True, help="Seconds per request."),
    click.option("--stall-timeout", type=number(Seconds), default=300.0, show_default=True, help="Longest silence inside a stream, seconds."),
)

#: --input-len, --output-len
length_options = _apply(
    click.option("--input-len", type=number(Tokens), default=8192, show_default=True, help="Prompt tokens per request."),
    click.option("--output-len", type=number(Tokens), default=256, show_default=True, help="Generated tokens per request."),
)


#: --dataset
dataset_option = click.option(
    "--dataset", default="random", show_default=True,
    help="Workload: random (exact-length random prompts), prefix:LEN (a shared LEN-token prefix per user), "
    "sharegpt:FILE (local ShareGPT JSON, turns in order) or jsonl:FILE ({\"prompt\": ..., \"output_len\": ...} per line).",
)


def slo_option(required: bool = False) -> Callable[[F], F]:
    """--slo KEY=MS,... or a preset: percentile limits (ttft_p99_ms) and per-request limits (tpot_ms, for goodput)."""
    return click.option(
        "--slo", required=required,
        help="Latency limits in ms, e.g. ttft_p99_ms=2000,tpot_p99_ms=100 (cell statistics: met / not met) "
        "or ttft_ms=2000,tpot_ms=100 (per request: goodput, as vllm bench serve --goodput). "
        "Metrics: ttft, tpot, e2el, itl, tfat; statistics: mean, median, pNN. Or a preset: mlperf-server, "
        "mlperf-interactive (MLPerf's P99 TTFT/TPOT limits for the model's class, read from --model; "
        "name the class with mlperf-server:llama2-70b).",
    )


#: --telemetry/--no-telemetry, --telemetry-interval (bench, capacity, soak)
telemetry_options = _apply(
    click.option("--telemetry/--no-telemetry", default=True, show_default=True,
                 help="Sample this machine's cards (power, temperature, clock) with the vendor's SMI tool during each "
                 "cell, probe or soak window; without one, the results say why. Only meaningful when the server runs "
                 "on this machine."),
    click.option("--telemetry-interval", type=number(Interval), default=1.0, show_default=True,
                 help="Seconds between telemetry samples."),
)

#: -o/--output of the measuring commands
output_option = click.option(
    "-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
    help="Results file (created or added to; default ./reportgen-results/<host>-<timestamp>.json).")

#: --cards
cards_option = click.option(
    "--cards", type=number(Concurrency), default=None,
    help="Cards the server uses (tensor x pipeline x data parallel), recorded so per-card figures are exact "
    "(default: read from the server's launch command where known).",
)


def recorded_argv(ctx: click.Context | None = None) -> list[str]:
    """The command line recorded in a results file (``Invocation.argv``, a cell's ``command``):
    ``reportgen <command>`` and every argument and option the user gave, rebuilt from click's
    parsed values, so it reads the same whatever launched the command (a shell, a test runner).
    Secret values are masked when the results are saved (``reportgen.redact``)."""
    ctx = ctx or click.get_current_context()
    argv = ["reportgen", *ctx.command_path.split()[1:]]
    for p in ctx.command.params:
        if ctx.get_parameter_source(p.name or "") != click.core.ParameterSource.COMMANDLINE:
            continue
        value = ctx.params.get(p.name or "")
        if isinstance(p, click.Argument):
            argv += [str(v) for v in value] if isinstance(value, (tuple, list)) else [str(value)]
            continue
        if not isinstance(p, click.Option):
            continue
        flag = max(p.opts, key=len)  # the long form
        if p.is_flag:
            if value == p.flag_value or value is True:
                argv.append(flag)
            elif p.secondary_opts:
                argv.append(max(p.secondary_opts, key=len))
        elif p.multiple:
            for v in value or ():
                argv += [flag, str(v)]
        elif isinstance(value, (tuple, list)):
            argv += [flag, ",".join(map(str, value))]
        else:
            argv += [flag, str(value)]
    return argv
