"""One module per command; COMMANDS is what ``reportgen.cli`` registers."""

from __future__ import annotations

import click

from reportgen.commands.eval import eval_cmd
from reportgen.commands.schema import schema_cmd

COMMANDS: list[click.Command] = [
    schema_cmd,
    eval_cmd,
]
