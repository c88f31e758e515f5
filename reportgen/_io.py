"""Reading an input file with one clear error line per failure."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import InputFormatError


def read_text(path: Path) -> str:
    """The file as UTF-8 text; raises ``InputFormatError`` naming the file and the reason."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFormatError(f"{path}: is a directory") from None
    except UnicodeDecodeError as e:
        raise InputFormatError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise InputFormatError(f"{path}: cannot read: {e.strerror or e}") from None
