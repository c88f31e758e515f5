"""Write docs/cli.md from the commands' --help texts (a test keeps it in sync).

Usage: python scripts/cli_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reportgen.cli import cli

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _walk(cmd: click.Command, name: str, parent: click.Context | None):
    # A real context chain, so settings such as help_option_names are inherited as at run time.
    ctx = click.Context(cmd, info_name=name, parent=parent, terminal_width=100, max_content_width=100, **cmd.context_settings)
    yield ctx, cmd
    if isinstance(cmd, click.Group):
        for sub in sorted(cmd.commands):
            yield from _walk(cmd.commands[sub], sub, ctx)


def reference() -> str:
    parts = ["# reportgen command reference\n", "Generated from `--help` by `scripts/cli_reference.py`; do not edit by hand.\n"]
    for ctx, cmd in _walk(cli, "reportgen", None):
        parts.append(f"## {ctx.command_path}\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> int:
    text = reference()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
