"""The DOCX table of contents with its page numbers, from LibreOffice's own layout.

The 目录 is a TOC field: Word fills in the page numbers when the document opens (the file asks it
to, ``updateFields``), but LibreOffice, WPS and previewers show the field's cached text, which
python-docx cannot paginate. When LibreOffice is installed, ``toc_pages`` converts the written
DOCX to PDF in a private profile, finds the page each heading of the 目录 starts on, and the
writer writes the cached text again with those numbers: the pages LibreOffice itself will show.
Without LibreOffice (or poppler's ``pdftotext``) the cached text lists the headings without
numbers: a number is printed only when it was read off a real layout.

``REPORTGEN_DOCX_TOC_PAGES=0`` turns the LibreOffice pass off (it costs a few seconds per document).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ENV = "REPORTGEN_DOCX_TOC_PAGES"
TIMEOUT_S = 180


def _tools() -> tuple[str, str] | None:
    if os.environ.get(ENV, "1").strip().lower() in ("0", "no", "off", "false"):
        return None
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    return (soffice, pdftotext) if soffice and pdftotext else None


def _squeeze(text: str) -> str:
    """Text without white space: LibreOffice spaces CJK from Latin text ("基于 vLLM")."""
    return "".join(text.replace("\u2060", "").replace("\u200b", "").split())


def toc_pages(docx: Path, headings: list[str]) -> dict[str, int] | None:
    """Heading text -> the page LibreOffice lays it out on (1-based, the cover is page 1), for
    every heading found; None when LibreOffice or pdftotext is missing or the conversion fails.
    A heading's page is the last page its text is on (the 目录 lists every heading first)."""
    tools = _tools()
    if tools is None:
        return None
    soffice, pdftotext = tools
    with tempfile.TemporaryDirectory(prefix="reportgen-toc-") as tmp:
        work = Path(tmp)
        try:
            subprocess.run(
                [soffice, "--headless", f"-env:UserInstallation={(work / 'profile').as_uri()}", "--convert-to", "pdf",
                 "--outdir", str(work), str(docx)],
                capture_output=True, timeout=TIMEOUT_S, check=False,
            )
            pdf = work / f"{docx.stem}.pdf"
            if not pdf.is_file():
                return None
            text = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                                  timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    return heading_pages([_squeeze(p) for p in text.split("\f")], headings)


def heading_pages(pages: list[str], headings: list[str]) -> dict[str, int]:
    """Heading -> 1-based page, from each page's text (white space removed): the 目录 lists every
    heading on the pages from 「目录」 to the one with its last entry; after those, each heading is on
    the first page, not before the previous heading's, that holds its text."""
    keys = [_squeeze(h) for h in headings]
    start = next((i for i, p in enumerate(pages) if "目录" in p), None)
    if start is None or not keys:
        return {}
    end = next((i for i in range(start, len(pages)) if keys[-1] in pages[i]), None)
    if end is None:
        return {}
    out: dict[str, int] = {}
    at = end + 1
    for h, key in zip(headings, keys):
        page = next((i for i in range(at, len(pages)) if key in pages[i]), None)
        if page is None:
            continue  # not found as written: no number rather than a guess
        out[h] = page + 1
        at = page
    return out
