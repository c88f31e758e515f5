"""HTML -> PDF with WeasyPrint (fonts through fontconfig: Noto Sans CJK, see report.css).

Only ``data:`` URLs are fetched (the HTML from ``markdown_to_html`` is self-contained),
plus ``file:`` URLs under ``base_url`` when one is given: a document that quotes
server-returned text never makes the renderer reach out to the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reportgen._atomic import write_atomic
from reportgen.errors import RenderError
from reportgen.report.fonts import find_cjk_fonts


def _fetcher(base_dir: Path | None) -> Any:
    from weasyprint.urls import URLFetcher

    class _LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if base_dir is not None and url.startswith("file:"):
                target = Path(unquote(urlparse(url).path)).resolve()
                if target.is_relative_to(base_dir):
                    return super().fetch(url, headers)
            raise ValueError(f"reportgen does not fetch {url[:80]!r} while rendering")

    return _LocalOnly(allowed_protocols={"data", "file"})


def html_to_pdf(html: str, path: str | os.PathLike[str], *, base_url: str | os.PathLike[str] | None = None) -> Path:
    """Write ``html`` as a PDF to ``path`` and return the path.

    ``base_url``: a folder that relative links resolve against (only needed when the HTML
    was made with ``self_contained=False``).
    """
    try:
        import weasyprint
    except OSError as e:  # pango missing
        raise RenderError(f"WeasyPrint cannot load its system libraries ({e}); run scripts/setup.sh") from None
    find_cjk_fonts()  # a PDF without the document font would fall back to whatever is installed
    out = Path(path)
    base_dir = Path(base_url).resolve() if base_url is not None else None
    doc = weasyprint.HTML(
        string=html,
        base_url=(base_dir.as_uri() + "/") if base_dir is not None else None,
        url_fetcher=_fetcher(base_dir),
    )
    pdf = doc.write_pdf()
    try:
        write_atomic(out, pdf)
    except OSError as e:
        raise RenderError(f"{out}: cannot write the PDF: {e.strerror or e}") from None
    return out
