"""Reading an input file with one clear error line per failure.

Every input is read with a size limit (``read_limited``): a results file, a plan, a log or a
table larger than its kind may be, or a device that never ends (``validate /dev/zero``), is one
line, never a ``MemoryError``. JSON is parsed by one function (``parse_json``) that refuses what
would break the tool later: NaN/Infinity, nesting past ``MAX_DEPTH``, over-long integers, and
duplicate keys (which ``json`` silently resolves to the last one), named with their line.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from reportgen.errors import InputFormatError, ReportgenError
from reportgen.ranges import MAX_INPUT_BYTES

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


class _DuplicateKey(ValueError):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _DuplicateKey(next(k for i, (k, _) in enumerate(pairs) if any(k == k2 for k2, _ in pairs[:i])))
    return d


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]')


def duplicate_key_lines(text: str, key: str) -> tuple[int, int] | None:
    """(line of the first, line of the second) occurrence of ``key`` twice in one object of the
    JSON ``text`` (only called once ``json`` found such a key: a linear scan of its tokens)."""
    stack: list[dict[str, int] | None] = []  # per open container: the keys seen (None: an array)
    prev_string: tuple[str, int] | None = None
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "{":
            stack.append({})
        elif tok == "[":
            stack.append(None)
        elif tok in "}]":
            if stack:
                stack.pop()
        elif tok == ":":
            keys = stack[-1] if stack else None
            if prev_string is not None and keys is not None:
                name, pos = prev_string
                if name == key and name in keys:
                    return text.count("\n", 0, keys[name]) + 1, text.count("\n", 0, pos) + 1
                keys.setdefault(name, pos)
        if tok.startswith('"'):
            try:
                prev_string = (json.loads(tok), m.start())
            except ValueError:
                prev_string = None
        else:
            prev_string = None
    return None


def parse_json(text: str | bytes, source: str, error: type[ReportgenError] = InputFormatError) -> Any:
    """``json.loads`` with one ``error`` line for everything a file can hold that breaks the tool
    later: NaN/Infinity (JSON has no such numbers; saved, they would make the file unloadable),
    nesting deeper than ``MAX_DEPTH``, integers too long to convert, a key twice in one object
    (named with its lines), invalid JSON."""
    try:
        doc = json.loads(text, parse_constant=_constant, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as e:
        key = str(e)
        s = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        lines = duplicate_key_lines(s, key)
        where = f" at line {lines[1]} (first at line {lines[0]})" if lines else ""
        raise error(f"{source}: duplicate key {json.dumps(key, ensure_ascii=False)}{where}: "
                    "each key may appear once in an object") from None
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


def _size(n: int) -> str:
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def read_limited(path: str | os.PathLike[str], limit: int, *, what: str = "an input file",
                 error: type[ReportgenError] = InputFormatError, text_only: bool = False) -> str:
    """The file as UTF-8 text, read in pieces and never more than ``limit`` bytes: a larger file,
    or a device or pipe that keeps sending, is one ``error`` line naming the file (``what``: the
    kind, for the message). ``text_only``: a NUL byte (never in JSON or TOML) stops the read at
    once, so ``/dev/zero`` is refused before a byte is kept."""
    p = Path(path)
    try:
        f = open(p, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a directory") from None
    except OSError as e:
        raise error(f"{p}: cannot read: {e.strerror or e}") from None
    too_big = f"{p}: larger than the {_size(limit)} {what} may have; nothing was read"
    with f:
        st = os.fstat(f.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{p}: is a directory")
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise error(f"{p}: {st.st_size} bytes, larger than the {_size(limit)} {what} may have; nothing was read")
        # UTF-8, and newlines as Path.read_text gives them (universal: \r\n and \r read as \n)
        decoder = io.IncrementalNewlineDecoder(codecs.getincrementaldecoder("utf-8")("strict"), translate=True)
        parts: list[str] = []
        got = 0
        while True:
            try:
                chunk = f.read(min(1 << 20, limit + 1 - got))
            except OSError as e:
                raise error(f"{p}: cannot read: {e.strerror or e}") from None
            try:
                parts.append(decoder.decode(chunk, final=not chunk))
            except UnicodeDecodeError as e:
                raise error(f"{p}: not UTF-8 text ({e.reason} at byte {got + e.start})") from None
            nul = chunk.find(b"\0") if text_only else -1
            if nul >= 0:
                raise error(f"{p}: holds a NUL byte (at byte {got + nul}): not a text file")
            got += len(chunk)
            if got > limit:
                raise error(too_big)
            if not chunk:
                return "".join(parts)


def read_text(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """The file as UTF-8 text (at most ``limit`` bytes, no NUL byte); raises ``InputFormatError``
    naming the file and the reason."""
    return read_limited(path, limit, text_only=True)
