"""``reportgen schema``: print the JSON Schema of results files."""

from __future__ import annotations

import json

import click

from reportgen.results import json_schema


@click.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema that results files validate against.

    \b
    Example:
      reportgen schema > results.schema.json
    """
    click.echo(json.dumps(json_schema(), indent=1, ensure_ascii=False))
