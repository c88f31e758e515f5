"""One module per command; COMMANDS is what ``reportgen.cli`` registers."""

from __future__ import annotations

import click

from reportgen.commands.bench import bench_cmd
from reportgen.commands.init import init_cmd
from reportgen.commands.schema import schema_cmd

COMMANDS: list[click.Command] = [
    schema_cmd,
    init_cmd,
    bench_cmd,
]
