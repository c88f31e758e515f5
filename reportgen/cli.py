"""The ``reportgen`` command line: thin commands over the library.

Each command lives in ``reportgen/commands/<name>.py`` and is registered below. A
command parses options, calls library functions and lets ``ReportgenError`` escape;
``main`` turns that into one line on stderr and the error's exit status (2 for
unusable input), never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from reportgen import __version__
from reportgen.errors import ReportgenError
from reportgen.redact import RedactingWriter, learn_argv, redact


class _Group(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # every secret on the command line is known before the command can print or echo it
        learn_argv(args)
        return super().parse_args(ctx, args)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:  # Ctrl-C while the options are parsed: our line, not click's "Aborted!"
            click.echo("reportgen: interrupted", err=True)
            raise click.exceptions.Exit(130) from None

    def invoke(self, ctx: click.Context) -> Any:
        # whatever a command prints (progress, tables, a server's error text, the error line)
        # goes through the one redaction step
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = RedactingWriter(out), RedactingWriter(err)  # type: ignore[assignment]
        try:
            return super().invoke(ctx)
        except ReportgenError as e:
            # the one redaction step: a server's error may echo a key this run was given
            click.echo(f"reportgen: error: {redact(str(e))}", err=True)
            ctx.exit(e.exit_code)
        except click.UsageError as e:
            # a bad option value is one line too (click's default adds the usage and a hint)
            click.echo(f"reportgen: error: {redact(e.format_message())}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("reportgen: interrupted; finished results were saved", err=True)
            ctx.exit(130)
        finally:
            sys.stdout, sys.stderr = out, err


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def cli() -> None:
    """Evaluate an AI accelerator card for LLM inference and write the Chinese document.

    \b
    Typical flow:
      reportgen import vllm-log bench.log -o results.json
      reportgen validate results.json
      reportgen render results.json --format md -o report/
    """


def _register() -> None:
    from reportgen.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="reportgen")


if __name__ == "__main__":  # pragma: no cover
    from reportgen.__main__ import main as guarded_main

    guarded_main()
