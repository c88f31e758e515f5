"""The one redaction step: secrets become ``***`` before anything is stored or shown.

Secrets reach reportgen through command lines (``--api-key sk-…``, ``-H "Authorization: Bearer
…"``), a plan's environment (``HF_TOKEN``), URLs (``http://user:pass@host``) and whatever a
server echoes into its log. Three layers catch them:

* patterns over text (``redact_text``): a value after a secret flag, header, key name or
  ``*_TOKEN``/``*_KEY``/``*PASSWORD*``/``*SECRET*`` variable, and URL user-info;
* argv lists (``redact_argv``): the element after a secret flag;
* known values: every value a pattern masked, and every value registered with
  ``Results.add_secret`` (a plan's secret environment values), is masked wherever it appears
  later, so a server echoing its token in another form of words is caught too.

``redact_results`` applies all three to every string of a ``Results`` in place and records
each masked field in ``Results.redactions``; ``save_results`` calls it, so nothing reaches a
results file unredacted by construction. ``render`` calls it again on what it loads (files
written by other tools).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, get_args

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
]
# Cheap pre-check: a string none of these words occur in needs no pattern.
_MAYBE = re.compile(r"(?i)key|token|passw|secret|authorization|://")


def is_secret_name(name: str) -> bool:
    """True for an environment variable or key whose value is a secret (``HF_TOKEN``, ``api_key``)."""
    return bool(_KEY_NAME_RE.fullmatch(name) or _ENV_NAME_RE.fullmatch(name))


class Redactor:
    """Masks secrets in strings, remembering what kind was masked and which values it saw."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.known: set[str] = {v for v in known if len(v) >= MIN_KNOWN_LEN}
        self.found: list[tuple[str, str]] = []  # (where, kind) of each masked field
        self._known_re: re.Pattern[str] | None = None

    def _known_pattern(self) -> re.Pattern[str] | None:
        if self._known_re is None and self.known:
            alts = sorted(self.known, key=len, reverse=True)
            self._known_re = re.compile("|".join(re.escape(v) for v in alts))
        return self._known_re

    def learn(self, value: str) -> None:
        if len(value) >= MIN_KNOWN_LEN and value not in self.known and value not in _NONE_VALUES:
            self.known.add(value)
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


# Secrets this process was given (an API key read from the environment): masked by ``redact``,
# ``redact_model`` and ``redact_file`` from the moment they are registered.
_REGISTERED: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every line ``redact`` cleans and every document or log redacted from now
    on (an API key: no output line or saved file may hold it, whatever echoes it)."""
    if value and value.strip():
        _REGISTERED.add(value)


def registered_secrets() -> frozenset[str]:
    return frozenset(_REGISTERED)


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with secret values replaced by ``***``: patterns, the registered secrets and ``known``."""
    return Redactor({*known, *_REGISTERED}).text(text)


def env_secrets(env: dict[str, str]) -> set[str]:
    """The values of an environment that are secrets by their names (``HF_TOKEN``, ``*_KEY``, ...)."""
    return {v for k, v in env.items() if is_secret_name(k)}


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


def secret_values_in(text: str) -> set[str]:
    """The values the patterns would mask in ``text`` (to mask them elsewhere too)."""
    r = Redactor()
    r.text(text)
    return r.known


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
    that occur in fields it had already passed). Returns the redactor (``found``, ``known``)."""
    r = Redactor({*known, *_REGISTERED})
    before = set(r.known)
    _walk(obj, "", r)
    if r.known - before:
        second = Redactor(r.known)
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
    r = Redactor({*known, *_REGISTERED})
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
