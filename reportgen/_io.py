"""Reading an input file with one clear error line per failure."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from reportgen.errors import InputFormatError, ReportgenError

#: Deeper nesting than this is refused: no results file, log or plan nests more than ~10 levels,
#: and recursive code (validation, redaction, rendering) must not meet a stack limit.
MAX_DEPTH = 100


class _NonFinite(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _NonFinite(name)


def safe_file_name(name: str) -> str:
    """``name`` as one file name inside its folder: no separators, no ``..``, no leading dot
    (a variant label "../x" must not write outside the output folder)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")
    return out or "_"


def parse_json(text: str | bytes, source: str, error: type[ReportgenError] = InputFormatError) -> Any:
    """``json.loads`` with one ``error`` line for everything a file can hold that breaks the tool
    later: NaN/Infinity (JSON has no such numbers; saved, they would make the file unloadable),
    nesting deeper than ``MAX_DEPTH``, integers too long to convert, invalid JSON."""
    try:
        doc = json.loads(text, parse_constant=_constant)
    except _NonFinite as e:
        raise error(f"{source}: {e} is not a number JSON allows (NaN/Infinity are refused)") from None
    except json.JSONDecodeError as e:
        raise error(f"{source}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise error(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion"
        msg = str(e).split(";")[0]
        raise error(f"{source}: a number is too long ({msg})") from None
    check_tree(doc, source, error)
    return doc


def check_tree(doc: Any, source: str, error: type[ReportgenError] = InputFormatError) -> None:
    """``error`` when ``doc`` (parsed JSON or TOML) nests deeper than ``MAX_DEPTH`` or holds a
    NaN/infinite float (TOML allows ``nan`` and ``inf``). Iterative: no recursion limit to hit."""
    if type(doc) is float and not math.isfinite(doc):
        raise error(f"{source}: {doc} is not a number the results can hold (NaN/Infinity are refused)")
    if not isinstance(doc, (dict, list)):
        return
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise error(f"{source}: nested deeper than {MAX_DEPTH} levels")
        items = node.values() if isinstance(node, dict) else node
        for v in items:
            t = type(v)
            if t is float:
                if not math.isfinite(v):
                    raise error(f"{source}: {v} is not a number the results can hold (NaN/Infinity are refused)")
            elif t is dict or t is list:
                stack.append((v, depth + 1))


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
