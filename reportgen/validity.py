"""Validity checks over a results document (placeholder for the render branch).

The real module (another branch) recomputes every finding from the data. This stand-in
keeps the same three names so the document view can be developed against them:
``check_results`` returns the findings stored in the file, ``cell_status`` grades one
serving cell from a list of findings, ``CHECK_TITLES_ZH`` maps check names to Chinese titles.
"""

from __future__ import annotations

from typing import Literal

from reportgen.results import Finding, Results

CHECK_TITLES_ZH: dict[str, str] = {}


def check_results(results: Results) -> list[Finding]:
    """All findings about ``results`` (placeholder: those stored in the file)."""
    return list(results.findings)


def cell_status(findings: list[Finding], label: str, batch_size: int) -> Literal["VALID", "INVALID", "WARNING"]:
    """INVALID if an error concerns the cell, WARNING if only warnings do, else VALID."""
    mine = [f for f in findings if f.precision == label and f.batch_size == batch_size]
    if any(f.severity == "error" for f in mine):
        return "INVALID"
    if mine:
        return "WARNING"
    return "VALID"
