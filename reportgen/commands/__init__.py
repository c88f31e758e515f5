"""One module per command; COMMANDS is what ``reportgen.cli`` registers."""

from __future__ import annotations

import click

from reportgen.commands.import_ import import_group
from reportgen.commands.render import render_cmd
from reportgen.commands.schema import schema_cmd
from reportgen.commands.summary import summary_cmd
from reportgen.commands.validate import validate_cmd

COMMANDS: list[click.Command] = [
    import_group,
    render_cmd,
    schema_cmd,
    summary_cmd,
    validate_cmd,
]
