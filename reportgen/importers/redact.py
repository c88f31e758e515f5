"""Remove secrets (API keys, passwords, bearer tokens) from imported text.

Imported blocks, Namespace lines, launch and curl commands are stored verbatim, so a key
passed on a command line (``--api-key sk-...``, ``-H "Authorization: Bearer ..."``,
``header={'Authorization': '...'}``, ``api_key='...'``) would reach the results file and the
report. Each value is replaced by ``***``; everything else is left as printed.
"""

from __future__ import annotations

import re

MASK = "***"

_PATTERNS = [
    # Authorization: Bearer xxx / 'Authorization': 'Bearer xxx' / Authorization=xxx
    re.compile(r"""(?P<pre>Authorization['"]?\s*[:=]\s*['"]?(?:Bearer\s+|Basic\s+|Token\s+)?)(?P<val>[^\s'",)}\]]+)""", re.IGNORECASE),
    # --api-key xxx / --api_key=xxx / --password xxx / --token xxx
    re.compile(r"""(?P<pre>--(?:api[-_]?key|password|passwd|secret|token|hf[-_]token)(?:\s+|=)['"]?)(?P<val>[^\s'"]+)""", re.IGNORECASE),
    # api_key='xxx' / password="xxx" / OPENAI_API_KEY=xxx / "api_key": "xxx"
    re.compile(
        r"""(?P<pre>\b[\w-]*(?:api[-_]?key|password|passwd|secret|access[-_]token|hf[-_]token)['"]?\s*[:=]\s*['"]?)(?P<val>[^\s'",)}\]]+)""",
        re.IGNORECASE,
    ),
]


def redact(text: str) -> str:
    """``text`` with secret values replaced by ``***`` (``None``/empty values are kept)."""

    def sub(m: re.Match[str]) -> str:
        if m.group("val") in ("None", "null", MASK):
            return m.group(0)
        return m.group("pre") + MASK

    for pat in _PATTERNS:
        text = pat.sub(sub, text)
    return text


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)
