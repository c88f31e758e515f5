"""Shared fixtures and the repository's data folders: the test suite needs nothing outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

# The DOCX writer lays each file out with LibreOffice, when installed, for the 目录's page numbers
# (reportgen.report.docx_toc): seconds per document. Tests that check those numbers turn it on.
os.environ.setdefault("REPORTGEN_DOCX_TOC_PAGES", "0")

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"  # the accuracy data sets with their licences (datasets/README.md)
FIXTURES = REPO / "tests" / "fixtures"  # real tool outputs with their sources (tests/fixtures/README.md)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def libreoffice_pdf(tmp_path: Path) -> Callable[[Path], Path]:
    """Convert a DOCX to PDF with LibreOffice headless (a fresh profile) into ``tmp_path``; fails
    the test when LibreOffice is missing or writes no PDF."""

    def convert(docx: Path) -> Path:
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice is None:
            pytest.fail("LibreOffice (soffice) is not installed: scripts/setup.sh --test installs libreoffice-writer-nogui")
        profile = tmp_path / "lo-profile"
        proc = subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf",
             "--outdir", str(tmp_path), str(docx)],
            capture_output=True, text=True, timeout=180,
        )
        out = tmp_path / f"{docx.stem}.pdf"
        assert out.is_file(), f"LibreOffice wrote no PDF (exit {proc.returncode}): {proc.stderr[-500:]}"
        return out

    return convert
