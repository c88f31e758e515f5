"""Write docs/cli.md from the commands' --help texts (a test keeps it in sync).

Usage: python scripts/cli_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reportgen.cli import cli

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _walk(cmd: click.Command, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from _walk(cmd.commands[name], path + [name])


def reference() -> str:
    parts = ["# reportgen command reference\n", "Generated from `--help` by `scripts/cli_reference.py`; do not edit by hand.\n"]
    for path, cmd in _walk(cli, ["reportgen"]):
        ctx = click.Context(cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100)
        parts.append(f"## {' '.join(path)}\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
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
