"""One module per command; COMMANDS is what ``reportgen.cli`` registers."""

from __future__ import annotations

import click

from reportgen.commands.embed import embed_cmd
from reportgen.commands.schema import schema_cmd

COMMANDS: list[click.Command] = [
    schema_cmd,
    embed_cmd,
]
