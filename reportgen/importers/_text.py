"""Text clean-up shared by the importers of printed outputs (pure functions).

What people paste has been through terminals, log collectors and chat boxes: ANSI colour
codes, CRLF, progress bars redrawn with a bare CR, log prefixes, full-width punctuation from
Chinese input methods and notes typed after a value. These helpers undo that without touching
the figures themselves.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]")
_FULLWIDTH = str.maketrans({"：": ":", "（": "(", "）": ")", "，": ",", "\u3000": " ", "\u00a0": " "})

# a number as tools print it, optionally with thousands separators; or the words tools print instead
_NUMBER = re.compile(
    r"^(?P<value>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+|[-+]?inf(?:inity)?|nan|not set|none|n/a)"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)


def clean_lines(text: str) -> list[str]:
    """Lines without ANSI codes; CRLF and progress-bar CRs become line breaks."""
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def halfwidth(s: str) -> str:
    """Full-width colon, brackets, comma and spaces as their ASCII forms."""
    return s.translate(_FULLWIDTH)


def split_value(raw: str) -> tuple[str, str | None]:
    """``'21107.43  # 偏高'`` -> ``('21107.43', '# 偏高')``: the printed value and any note after it.

    A value that is not a number (``sglang``, ``vllm-chat``) is returned whole."""
    raw = raw.strip()
    m = _NUMBER.match(raw)
    if not m:
        return raw, None
    rest = m.group("rest")
    if rest and not rest[0].isspace() and rest[0] not in "#(<[%":
        return raw, None  # "24,37s", "1.0x": not a clean number
    note = rest.strip() or None
    return m.group("value"), note


def to_float(value: str) -> float | None:
    """The number a printed value stands for (``inf`` -> inf; ``not set``/``N/A``/``nan`` -> None)."""
    v = value.strip().lower()
    if v in ("not set", "none", "n/a", ""):
        return None
    try:
        f = float(v.replace(",", ""))
    except ValueError:
        return None
    return None if f != f else f  # "nan" printed where nothing was measured (TPOT of an unstreamed run): no value
