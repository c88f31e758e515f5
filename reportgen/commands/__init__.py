"""One module per command; COMMANDS is what ``reportgen.cli`` registers."""

from __future__ import annotations

import click

from reportgen.commands.bench import bench_cmd
from reportgen.commands.capacity import capacity_cmd
from reportgen.commands.collect import collect_cmd
from reportgen.commands.compare import compare_cmd
from reportgen.commands.consistency import consistency_cmd
from reportgen.commands.embed import embed_cmd
from reportgen.commands.eval import eval_cmd
from reportgen.commands.import_ import import_group
from reportgen.commands.init import init_cmd
from reportgen.commands.reference import reference_group
from reportgen.commands.render import render_cmd
from reportgen.commands.schema import schema_cmd
from reportgen.commands.soak import soak_cmd
from reportgen.commands.summary import summary_cmd
from reportgen.commands.validate import validate_cmd

COMMANDS: list[click.Command] = [
    init_cmd,
    collect_cmd,
    bench_cmd,
    capacity_cmd,
    soak_cmd,
    eval_cmd,
    reference_group,
    consistency_cmd,
    embed_cmd,
    import_group,
    validate_cmd,
    summary_cmd,
    render_cmd,
    compare_cmd,
    schema_cmd,
]
