"""``reportgen init``: write a plan with the seed's defaults."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.errors import InputFormatError
from reportgen.plan import default_plan_toml


@click.command("init")
@click.option("-o", "--output", default="plan.toml", show_default=True, type=click.Path(dir_okay=False), help="Plan file to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_cmd(output: str, force: bool) -> None:
    """Write a TOML plan: model variants, batch sizes, lengths, rounds, endpoint, timeouts.

    \b
    Example:
      reportgen init -o plan.toml && $EDITOR plan.toml && reportgen collect --plan plan.toml
    """
    p = Path(output)
    if p.exists() and not force:
        raise InputFormatError(f"{p}: already exists (use --force to overwrite)")
    try:
        p.write_text(default_plan_toml(), encoding="utf-8")
    except OSError as e:
        raise InputFormatError(f"{p}: cannot write: {e}") from None
    click.echo(f"wrote {p}")
