"""``reportgen collect``: run the collection stages against a machine, into one results file.

A stage is a function ``(CollectContext) -> None`` registered by name in ``STAGES``; it writes
into ``ctx.store.results`` and calls ``ctx.store.save()`` when it has something worth keeping.
Only ``hardware`` exists so far; serving, accuracy and embedding stages plug in the same way.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click

from reportgen.commands._options import DEFAULT_RESULTS_DIR
from reportgen.errors import HostError, ReportgenError
from reportgen.results import Invocation, ResultsStore, utc_now

PASSWORD_ENV = "REPORTGEN_SSH_PASSWORD"


@dataclass
class CollectContext:
    host: object  # collectors.execution.Host
    host_label: str
    store: ResultsStore
    container: str | None = None
    timeout_s: float = 20.0
    echo: Callable[[str], None] = field(default=lambda s: click.echo(s, err=True))


def stage_hardware(ctx: CollectContext) -> None:
    from collectors.hardware.collect import collect_environment

    env = collect_environment(ctx.host, container=ctx.container, host_label=ctx.host_label,  # type: ignore[arg-type]
                              timeout_s=ctx.timeout_s)
    old = ctx.store.results.environment
    env.telemetry = old.telemetry  # series recorded by earlier stages stay
    ctx.store.results.environment = env
    ctx.store.save()
    f = env.facts
    count = f.get("accelerator.count")
    model = f.get("accelerator.model")
    if count is not None and count.value == 0:
        ctx.echo("hardware: no accelerator found (" + (count.detail or "") + ")")
    elif count is not None and count.present:
        chips = f.get("accelerator.chips")
        ctx.echo(f"hardware: {count.value} x {model.value if model and model.present else 'unknown model'}"
                 f" ({chips.value if chips else '?'} chips)")
    missing = [k for k, v in f.items() if not v.present]
    ctx.echo(f"hardware: {len(f) - len(missing)} facts, {len(missing)} missing with a reason")


STAGES: dict[str, Callable[[CollectContext], None]] = {
    "hardware": stage_hardware,
}


def _default_output(host_label: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", host_label) or "host"
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    return DEFAULT_RESULTS_DIR / f"{safe}-{stamp}.json"


def parse_stages(only: str | None) -> list[str]:
    if not only:
        return list(STAGES)
    names = [s.strip() for s in only.split(",") if s.strip()]
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ReportgenError(f"unknown stage {unknown[0]!r} in --only (known: {', '.join(STAGES)})")
    return names


@click.command("collect")
@click.option("--host", default=None, help="Machine to evaluate (default: this one). localhost/127.0.0.1 "
              "run locally unless an SSH user, port or key is given.")
@click.option("--ssh-user", default=None, help="SSH user (default: the local user name; ~/.ssh/config is not read).")
@click.option("--ssh-port", default=22, show_default=True, type=int)
@click.option("--ssh-key", default=None, type=click.Path(dir_okay=False), help="Private key file.")
@click.option("--ask-pass", is_flag=True, help=f"Prompt for the SSH password (or set {PASSWORD_ENV}).")
@click.option("--known-hosts", default=None, type=click.Path(dir_okay=False),
              help="Known-hosts file (default ~/.ssh/known_hosts). A listed host must present its key.")
@click.option("--container", default=None, help="Docker container whose python/vllm/torch versions to record.")
@click.option("--only", default=None, help=f"Comma list of stages to run (known: {', '.join(STAGES)}).")
@click.option("--timeout", "timeout_s", default=20.0, show_default=True, type=float,
              help="Seconds each command may run.")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Results JSON (default ./reportgen-results/<host>-<timestamp>.json); an existing file is added to.")
def collect_cmd(host: str | None, ssh_user: str | None, ssh_port: int, ssh_key: str | None, ask_pass: bool,
                known_hosts: str | None, container: str | None, only: str | None, timeout_s: float,
                output: str | None) -> None:
    """Collect facts and measurements from a machine into one results file.

    \b
    Examples:
      reportgen collect --only hardware
      reportgen collect --host 10.0.0.5 --ssh-user root --ssh-key ~/.ssh/id_ed25519 \\
          --container BI150_test --only hardware -o results.json
    """
    from collectors.execution import open_host

    stages = parse_stages(only)
    password = None
    if ask_pass:
        password = click.prompt("SSH password", hide_input=True, err=True)
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    label = host or "localhost"
    path = Path(output) if output else _default_output(label)
    store = ResultsStore.open(path)
    inv = Invocation(argv=_argv(click.get_current_context().params), started_at=utc_now(), host=label)
    store.results.invocations.append(inv)
    try:
        h = open_host(host, user=ssh_user, port=ssh_port, key_file=ssh_key, password=password,
                      known_hosts=known_hosts, connect_timeout_s=min(timeout_s, 15.0))
    except HostError as e:
        # Keep the reason in the results file too, then fail with one line.
        from reportgen.results import Fact

        store.results.environment.host = label
        store.results.environment.facts["host"] = Fact.missing("unreachable", str(e))
        inv.finished_at = utc_now()
        store.save()
        raise
    ctx = CollectContext(host=h, host_label=label, store=store, container=container, timeout_s=timeout_s)
    try:
        for name in stages:
            STAGES[name](ctx)
    finally:
        h.close()
        inv.finished_at = utc_now()
        store.results.finished_at = inv.finished_at
        store.save()
    click.echo(str(path))


def _argv(params: dict[str, object]) -> list[str]:
    """The command line as recorded, rebuilt from the parsed options (no password is an option)."""
    argv = ["reportgen", "collect"]
    for name, value in params.items():
        if value is None or value is False or (name == "ssh_port" and value == 22) or (
                name == "timeout_s" and value == 20.0):
            continue
        flag = "--timeout" if name == "timeout_s" else "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv
