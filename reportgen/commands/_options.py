"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reportgen.errors import ResultsError
from reportgen.results import RESULTS_DIR_NAME

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_RESULTS_DIR = Path(RESULTS_DIR_NAME)


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
