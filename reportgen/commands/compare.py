"""``reportgen compare``: one Chinese comparison document from several results files."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.commands._options import make_output_dir
from reportgen.compare.document import FORMATS, write_comparison
from reportgen.compare.messages import say
from reportgen.compare.model import compare
from reportgen.errors import CompareError
from reportgen.report.formats import rendering
from reportgen.results import Results, load_results


def load_all(paths: tuple[str, ...], baseline: str | None) -> tuple[list[tuple[str, Results]], int]:
    """The files in order and the baseline's index (--baseline, else the first file)."""
    if len(paths) < 2:
        raise CompareError(say("one_file", n=len(paths)).en)
    resolved = [Path(p).resolve() for p in paths]
    for i, r in enumerate(resolved):
        if r in resolved[:i]:
            raise CompareError(say("twice", file=paths[i]).en)
    index = 0
    if baseline is not None:
        target = Path(baseline).resolve()
        if target not in resolved:
            raise CompareError(say("baseline_not_compared", file=baseline).en)
        index = resolved.index(target)
    return [(p, _redacted(load_results(p))) for p in paths], index


def _redacted(results: Results) -> Results:
    """A file written elsewhere may hold secrets: none reaches the comparison (as in ``render``)."""
    results.redact()
    return results


@click.command("compare")
@click.argument("results_files", nargs=-1, required=True, metavar="A.json B.json [C.json ...]")
@click.option("--baseline", metavar="FILE", help="The file the others are compared with (default: the first).")
@click.option(
    "--format", "fmt", type=click.Choice([*FORMATS, "all"]), default="md", show_default=True,
    help="Document format; 'all' writes every one.",
)
@click.option(
    "-o", "--output-dir", "out_dir", type=click.Path(path_type=Path), default=Path("."), show_default=True,
    help="Folder to write compare-<baseline>-vs-<others>.<format> into.",
)
def compare_cmd(results_files: tuple[str, ...], baseline: str | None, fmt: str, out_dir: Path) -> None:
    """Write one Chinese document comparing cards (or runs) from several results files.

    Serving cells are matched by model, variant kind (FP16, GPTQ-Int4, ...), batch size or
    request rate, input and output length and dataset. Every ratio is other ÷ baseline:
    above 1 is better for throughput, below 1 is better for latency. Invalid cells are shown
    and marked but never enter a ratio; cells without a partner are listed. The section
    可比性说明 names everything that makes the comparison unequal.

    \b
    Examples:
      reportgen compare nvidia-a100.json bi150.json --format pdf -o compare/
      reportgen compare a.json b.json c.json --baseline b.json --format all -o compare/
    """
    files, index = load_all(results_files, baseline)
    comparison = compare(files, baseline=index)
    make_output_dir(out_dir)
    with rendering():
        written = write_comparison(comparison, fmt, out_dir)
    for path in written:
        if path.suffix in (".md", ".html", ".docx", ".pdf"):
            click.echo(str(path))
