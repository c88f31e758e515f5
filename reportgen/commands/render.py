"""``reportgen render``: write the Chinese evaluation document from a results file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from reportgen._atomic import write_atomic as _write_atomic
from reportgen.commands._options import make_output_dir, resolve_results_path
from reportgen.errors import RenderError
from reportgen.report.formats import WRITERS as FORMAT_WRITERS
from reportgen.report.formats import rendering, write_charts
from reportgen.report.markdown import render_markdown
from reportgen.results import Results, load_results
from reportgen.validity import check_results

# A writer renders one format into DIR and returns the path it wrote.
Writer = Callable[[Results, str, Path], Path]


def write_atomic(path: Path, data: bytes) -> Path:
    try:
        return _write_atomic(path, data)
    except OSError as e:
        raise RenderError(f"{path}: cannot write: {e.strerror or e}") from None


def write_markdown(results: Results, source: str, out_dir: Path) -> Path:
    """DIR/<stem>.md and the chart files it links (DIR/charts/*.png, *.svg)."""
    findings = check_results(results)
    text = render_markdown(results, source=source, findings=findings)
    write_charts(results, out_dir, findings)
    return write_atomic(out_dir / f"{Path(source).stem}.md", text.encode("utf-8"))


# format -> writer; all of them start from the same Markdown text.
WRITERS: dict[str, Writer] = {"md": write_markdown, **FORMAT_WRITERS}


@click.command("render")
@click.argument("results_file", required=False, metavar="[RESULTS.json]")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(WRITERS)), default="md", show_default=True,
    help="Document format.",
)
@click.option(
    "-o", "--output-dir", "out_dir", type=click.Path(path_type=Path), default=Path("."),
    show_default=True, help="Folder to write <results-stem>.<format> into.",
)
def render_cmd(results_file: str | None, fmt: str, out_dir: Path) -> None:
    """Write the Chinese evaluation document from RESULTS.json.

    Without a file, the newest ./reportgen-results/*.json is used. Validity findings
    are recomputed from the data, not taken from the file.

    \b
    Example:
      reportgen render samples/seed-bi150.json --format md -o report/
    """
    path = resolve_results_path(results_file)
    results = load_results(path)
    results.redact()  # a file written elsewhere may hold secrets: none reaches the document
    make_output_dir(out_dir)
    with rendering():
        written = WRITERS[fmt](results, str(path), out_dir)
    click.echo(str(written))
