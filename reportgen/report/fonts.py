"""The document's fonts on this machine: Noto Sans CJK (Debian: fonts-noto-cjk), found
through fontconfig like WeasyPrint finds it, with a search of the usual font folders
when ``fc-match`` is absent."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from reportgen.errors import RenderError

CJK_FAMILY = "Noto Sans CJK SC"
_FALLBACK_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".local/share/fonts"))


def _fc_match(pattern: str) -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}", pattern], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    family, _, file = out.partition("\t")
    return Path(file) if "Noto Sans CJK" in family and file else None


@lru_cache(maxsize=1)
def find_cjk_fonts() -> tuple[Path, ...]:
    """The Noto Sans CJK font files (regular, and bold when installed)."""
    found = [p for p in (_fc_match(f"{CJK_FAMILY}:style=Regular"), _fc_match(f"{CJK_FAMILY}:style=Bold")) if p]
    if not found:
        for d in _FALLBACK_DIRS:
            found += sorted(Path(d).rglob("NotoSansCJK*.tt[cf]")) if Path(d).is_dir() else []
    found = list(dict.fromkeys(p for p in found if p.is_file()))
    if not found:
        raise RenderError("the Noto Sans CJK font is not installed (apt-get install fonts-noto-cjk, or scripts/setup.sh)")
    return tuple(found)


