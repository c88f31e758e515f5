"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import ResultsError

DEFAULT_RESULTS_DIR = Path("reportgen-results")


def newest_results(directory: Path = DEFAULT_RESULTS_DIR) -> Path:
    """The newest ``*.json`` in ./reportgen-results (what ``collect`` writes by default)."""
    files = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime) if directory.is_dir() else []
    if not files:
        raise ResultsError(
            f"no results file given and none found in ./{directory}/ (run 'reportgen collect' or name a file)"
        )
    return files[-1]


def resolve_results_path(path: str | None) -> Path:
    return Path(path) if path else newest_results()
