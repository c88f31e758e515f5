"""The one redaction step: secrets become ``***`` before anything is stored or shown.

Secrets reach reportgen through command lines (``--api-key sk-…``, ``-H "Authorization: Bearer
…"``), a plan's environment (``HF_TOKEN``), URLs (``http://user:pass@host``) and whatever a
server echoes into its log. Three layers catch them:

* patterns over text (``redact_text``): a value after a secret flag, header, key name or
  ``*_TOKEN``/``*_KEY``/``*PASSWORD*``/``*SECRET*`` variable, and URL user-info;
* argv lists (``redact_argv``): the element after a secret flag;
* known values: every value a pattern masked, every value registered with ``register_secret``
  (an API key read from ``--api-key-env``, a plan's secret environment values through
  ``Results.add_secret``, every secret on the command line, found by the patterns before the
  command runs), is masked wherever it appears later, in the forms a server echoes it in: as
  given, base64 (an ``Authorization: Basic`` header's ``user:password``), URL-encoded and
  URL-decoded. So a 401 body quoting the key, a model answer quoting ``Bearer <key>``, or a
  server echoing the Basic credentials it received are caught too.

The same redactor guards what the CLI prints (``RedactingWriter`` over stdout and stderr while a
command runs, the one error line included), what ``import`` reads, and every document.

``redact_results`` applies all three to every string of a ``Results`` in place and records
each masked field in ``Results.redactions``; ``save_results`` calls it, so nothing reaches a
results file unredacted by construction. ``render`` calls it again on what it loads (files
written by other tools).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO, get_args
from urllib.parse import unquote

from pydantic import BaseModel

MASK = "***"
# Values shorter than this are masked only where a pattern points at them: masking "1" or
# "abc" everywhere would destroy the document.
MIN_KNOWN_LEN = 6

_NONE_VALUES = frozenset({"", "None", "none", "null", "NULL", MASK, "''", '""'})

# Option names whose value is a secret (argv elements and command-line text).
_SECRET_FLAG = r"(?:api[-_]?key|password|passwd|secret|token|hf[-_]token|auth[-_]token|access[-_]token)"
_FLAG_RE = re.compile(rf"--?{_SECRET_FLAG}", re.IGNORECASE)
# Environment-variable style names whose value is a secret: *_TOKEN, *_KEY, *PASSWORD*, *SECRET*.
_ENV_NAME_RE = re.compile(r"[A-Z0-9_]*(?:_TOKEN|_KEY)|[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET)[A-Z0-9_]*")
# Dictionary keys whose value is a secret (server args, request headers, namespace dicts).
_KEY_NAME_RE = re.compile(
    r"[\w-]*(?:api[-_]?key|password|passwd|secret|access[-_]token|hf[-_]token|auth[-_]token)[\w-]*"
    r"|authorization|token",
    re.IGNORECASE,
)

_VAL = r"""(?P<val>[^\s'",)}\]\\]+)"""
# (pattern, kind): each has a ``val`` group, the secret; everything else is kept.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer xxx / 'Authorization': 'Bearer xxx' / Authorization=xxx
    (re.compile(r"""(?P<pre>Authorization\\?['"]?\s*[:=]\s*\\?['"]?(?:Bearer\s+|Basic\s+|Token\s+)?)""" + _VAL,
                re.IGNORECASE), "authorization"),
    # --api-key xxx / --api_key=xxx / --password xxx / --token xxx
    (re.compile(rf"""(?P<pre>--{_SECRET_FLAG}(?:\s+|=)['"]?)""" + r"""(?P<val>[^\s'"\\]+)""", re.IGNORECASE), "api_key"),
    # HF_TOKEN=xxx / OPENAI_API_KEY=xxx / DB_PASSWORD: xxx (environment style, upper case)
    (re.compile(r"""(?P<pre>\b(?:[A-Z0-9_]*(?:_TOKEN|_KEY)|[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET)[A-Z0-9_]*)\\?['"]?\s*[:=]\s*\\?['"]?)""" + _VAL),
     "secret_env"),
    # api_key='xxx' / password="xxx" / "api_key": "xxx" / hf_token=xxx
    (re.compile(
        r"""(?P<pre>\b[\w-]*(?:api[-_]?key|password|passwd|secret|access[-_]token|hf[-_]token)\\?['"]?\s*[:=]\s*\\?['"]?)"""
        + _VAL, re.IGNORECASE), "api_key"),
    # scheme://user:pass@host
    (re.compile(r"""(?P<pre>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<val>[^/\s@'"<>]+)(?=@)"""), "url_userinfo"),
    # a credential quoted without its header name: "Bearer sk-…", "Basic dXNlcjpwYXNz" (echoed by a server)
    (re.compile(r"""(?P<pre>\b(?:Bearer|Basic)\s+)(?P<val>(?=[A-Za-z0-9._~+/=-]*[0-9_~+/=-])[A-Za-z0-9._~+/=-]{8,})"""),
     "authorization"),
    # curl -u user:password / --user=user:password (a uid:gid of digits, docker's -u 1000:1000, is kept)
    (re.compile(r"""(?P<pre>(?<![^\s'"])(?:-u\s*|--user[\s=]+)['"]?[^\s:'"@]+:)(?P<val>(?!\d+(?:[\s'"]|$))[^\s'"]+)"""),
     "password"),
    # well-known key formats, wherever they stand (OpenAI, Hugging Face, GitHub)
    (re.compile(r"""(?P<pre>)(?P<val>\b(?:sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}))"""),
     "api_key"),
]
# Cheap pre-check: a string none of these words occur in needs no pattern.
_MAYBE = re.compile(r"(?i)key|token|passw|secret|authorization|://|bearer|basic|-u|--user|sk-|hf_|gh[pousr]_")


def is_secret_name(name: str) -> bool:
    """True for an environment variable or key whose value is a secret (``HF_TOKEN``, ``api_key``)."""
    return bool(_KEY_NAME_RE.fullmatch(name) or _ENV_NAME_RE.fullmatch(name))


def echoed_forms(value: str) -> set[str]:
    """``value`` and the forms a server may echo it in: URL-decoded, URL-encoded, and base64
    (standard and URL-safe, with and without padding: an ``Authorization: Basic`` header)."""
    from urllib.parse import quote, quote_plus

    forms: set[str] = set()
    for base in {value, unquote(value)}:
        forms |= {base, quote(base, safe=""), quote_plus(base)}
        raw = base.encode("utf-8", "surrogatepass")
        for b in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            t = b.decode("ascii")
            forms |= {t, t.rstrip("=")}
    return {f for f in forms if len(f) >= MIN_KNOWN_LEN and f not in _NONE_VALUES}


# Secrets this process was given or read (``register_secret``): every Redactor masks them.
_REGISTERED: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and its echoed forms) in everything this process writes or prints from now
    on: results files, documents, kept logs, imported text, stdout, stderr and error lines. For a
    secret read at run time (``--api-key-env``, a plan's ``HF_TOKEN``); values on the command line
    are registered by the CLI itself."""
    if value and len(value) >= MIN_KNOWN_LEN and value not in _NONE_VALUES:
        _REGISTERED.update(echoed_forms(value))


def registered_secrets() -> frozenset[str]:
    return frozenset(_REGISTERED)


def learn_argv(argv: Iterable[str]) -> None:
    """Register every secret the patterns find on a command line (``--api-key X``, URL
    credentials, ``-u user:pass``), before the command runs and can print or echo them."""
    r = Redactor()
    r.argv(list(argv))
    for v in r.values:
        register_secret(v)


class Redactor:
    """Masks secrets in strings, remembering what kind was masked and which values it saw."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.values: set[str] = set()  # the secrets given or learned, as they were met
        self.known: set[str] = set(_REGISTERED)  # those and their echoed forms: what is masked
        for v in known:
            self.learn(v)
        self.found: list[tuple[str, str]] = []  # (where, kind) of each masked field
        self._known_re: re.Pattern[str] | None = None

    def _known_pattern(self) -> re.Pattern[str] | None:
        if self._known_re is None and self.known:
            alts = sorted(self.known, key=len, reverse=True)
            self._known_re = re.compile("|".join(re.escape(v) for v in alts))
        return self._known_re

    def learn(self, value: str) -> None:
        if len(value) >= MIN_KNOWN_LEN and value not in self.values and value not in _NONE_VALUES:
            self.values.add(value)
            self.known |= echoed_forms(value)
            self._known_re = None

    def text(self, text: str, where: str = "") -> str:
        kinds: list[str] = []
        if _MAYBE.search(text):
            for pat, kind in _PATTERNS:
                hits: list[str] = []

                def sub(m: re.Match[str], hits: list[str] = hits) -> str:
                    val = m.group("val")
                    if val in _NONE_VALUES:
                        return m.group(0)
                    hits.append(val)
                    return m.group("pre") + MASK

                text = pat.sub(sub, text)
                if hits:
                    kinds.append(kind)
                    for v in hits:
                        self.learn(v)
                        if kind == "url_userinfo" and ":" in v:
                            self.learn(v.split(":", 1)[1])  # the password alone
        known = self._known_pattern()
        if known is not None and known.search(text):
            text = known.sub(MASK, text)
            kinds.append("secret_value")
        for kind in dict.fromkeys(kinds):
            self.found.append((where, kind))
        return text

    def value(self, value: str, where: str, kind: str) -> str:
        """A value known to be a secret (its key or flag says so)."""
        if value in _NONE_VALUES:
            return value
        self.learn(value)
        self.found.append((where, kind))
        return MASK

    def argv(self, argv: list[str], where: str = "") -> list[str]:
        out: list[str] = []
        for i, a in enumerate(argv):
            if i > 0 and _FLAG_RE.fullmatch(argv[i - 1]) and a not in _NONE_VALUES:
                out.append(self.value(a, f"{where}[{i}]", "api_key"))
            else:
                out.append(self.text(a, f"{where}[{i}]"))
        return out

    def env(self, env: dict[str, str], where: str = "env") -> dict[str, str]:
        return {k: self.value(v, f"{where}:{k}", "secret_env") if is_secret_name(k) else self.text(v, f"{where}:{k}")
                for k, v in env.items()}


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with secret values replaced by ``***``: patterns, the registered secrets and ``known``."""
    return Redactor(known).text(text)


def env_secrets(env: dict[str, str]) -> set[str]:
    """The values of an environment that are secrets by their names (``HF_TOKEN``, ``*_KEY``, ...)."""
    return {v for k, v in env.items() if is_secret_name(k)}


class RedactingWriter:
    """A text stream that masks secrets in everything written through it (the CLI wraps stdout
    and stderr in one while a command runs). Writes are redacted whole: reportgen prints lines,
    and a secret is never split across two writes of one line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno, buffer, ...
        return getattr(self._stream, name)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


def secret_values_in(text: str) -> set[str]:
    """The values the patterns would mask in ``text`` (to mask them elsewhere too)."""
    r = Redactor()
    r.text(text)
    return r.values


# --------------------------------------------------------------------------- whole documents


def _label(item: Any, i: int) -> str:
    label = getattr(item, "label", None) if isinstance(item, BaseModel) else None
    return f"[{label}]" if isinstance(label, str) else f"[{i}]"


_SCALARS = (int, float, bool, type(None), datetime)
_TEXT_FIELDS: dict[type, tuple[str, ...]] = {}


def _text_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Fields of ``cls`` that can hold text (numbers, flags and dates cannot hide a secret)."""
    names = _TEXT_FIELDS.get(cls)
    if names is None:
        keep = []
        for name, f in cls.model_fields.items():
            args = get_args(f.annotation) or (f.annotation,)
            if not all(isinstance(a, type) and issubclass(a, _SCALARS) for a in args):
                keep.append(name)
        names = _TEXT_FIELDS[cls] = tuple(keep)
    return names


def _walk(obj: Any, where: str, r: Redactor) -> Any:
    """``obj`` with every string redacted; models are changed in place, containers rebuilt only
    when something changed (so an unchanged document costs one read of its strings)."""
    if isinstance(obj, str):
        return r.text(obj, where)
    if isinstance(obj, BaseModel):
        frozen = obj.model_config.get("frozen", False)
        for name in _text_fields(type(obj)):
            v = getattr(obj, name)
            if isinstance(v, (str, list, dict, BaseModel)):
                nv = _walk(v, f"{where}.{name}" if where else name, r)
                if nv is not v and not frozen and nv != v:
                    setattr(obj, name, nv)
        return obj
    if isinstance(obj, list):
        if not obj or isinstance(obj[0], (int, float)):
            return obj
        if all(isinstance(a, str) for a in obj):
            new = r.argv(obj, where)
        else:
            new = [_walk(v, where + _label(v, i), r) for i, v in enumerate(obj)]
        return obj if all(a is b for a, b in zip(new, obj)) or new == obj else new
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            w = f"{where}.{k}"
            if isinstance(k, str) and isinstance(v, str) and is_secret_name(k):
                out[k] = r.value(v, w, "secret_env" if k.upper() == k else "api_key")
            else:
                out[k] = _walk(v, w, r)
        return obj if out == obj else out
    return obj


def redact_model(obj: BaseModel, known: Iterable[str] = ()) -> Redactor:
    """Redact every string of ``obj`` in place (two passes when the first one learns values
    that occur in fields it had already passed). Returns the redactor (``found``, ``values``)."""
    r = Redactor(known)
    before = set(r.known)
    _walk(obj, "", r)
    if r.known - before:
        second = Redactor(r.values)
        _walk(obj, "", second)
        r.found.extend(second.found)
    return r


def redact_file(path: Any, known: Iterable[str]) -> bool:
    """Rewrite a kept log file with secrets masked, line by line (a server's log may be gigabytes);
    True when something was masked. Lines are masked one by one: a secret never spans lines."""
    import os
    import tempfile
    from pathlib import Path

    p = Path(path)
    r = Redactor(known)
    changed = False
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError:
        return False
    try:
        with open(p, "rb") as src, os.fdopen(fd, "wb") as dst:
            for raw in src:
                line = raw.decode("utf-8", "replace")
                new = r.text(line)
                changed = changed or new != line
                dst.write(new.encode("utf-8") if new != line else raw)
        if changed:
            os.chmod(tmp, p.stat().st_mode & 0o777)
            os.replace(tmp, p)
    except OSError:
        changed = False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return changed
