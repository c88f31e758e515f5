"""The command reference is generated from --help and kept in sync; every command documents itself."""

import importlib.util
from pathlib import Path

import click

from reportgen.cli import cli


def _load(repo: Path):
    spec = importlib.util.spec_from_file_location("cli_reference", repo / "scripts" / "cli_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_cli_reference_is_current(repo: Path) -> None:
    mod = _load(repo)
    assert (repo / "docs" / "cli.md").read_text(encoding="utf-8") == mod.reference(), "run: python scripts/cli_reference.py"


def test_every_command_has_help_and_is_in_readme(repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    for name, cmd in cli.commands.items():
        assert (cmd.help or "").strip(), f"{name} has no help text"
        assert f"reportgen {name}" in readme, f"README does not mention 'reportgen {name}'"
        if isinstance(cmd, click.Group):
            for sub, subcmd in cmd.commands.items():
                assert (subcmd.help or "").strip(), f"{name} {sub} has no help text"
