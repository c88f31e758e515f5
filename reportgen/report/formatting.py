"""Number and text formatting for the Chinese document.

Pure functions from raw values (SI units, fractions) to the strings the document
shows. Nothing here computes a metric; the view decides *what* to show, these
functions decide *how it reads*.
"""

from __future__ import annotations

import re

from reportgen.messages import note_text
from reportgen.report.safe_text import document_text
from reportgen.results import CellKey, Fact

NOT_TESTED = "未测试"

# Fact.reason -> Chinese. Closed list: see reportgen.results.MissingReason.
REASON_ZH: dict[str, str] = {
    "not_installed": "未安装",
    "needs_root": "需要 root 权限",
    "timed_out": "超时",
    "unparsable": "无法解析",
    "not_found": "未发现",
    "failed": "执行失败",
    "unreachable": "无法连接",
    "not_collected": "未采集",
    "not_applicable": "不适用",
}

ORIGIN_ZH: dict[str, str] = {
    "measured": "实测",
    "spec_sheet": "规格书",
    "imported": "导入",
    "user": "用户提供",
}

NOT_APPLICABLE = "—"


def missing(reason: str | None = "not_collected", detail: str | None = None) -> str:
    """``未测试（<reason>：<detail>）``: what a missing value reads as, never an empty cell."""
    why = REASON_ZH.get(reason or "not_collected", reason or REASON_ZH["not_collected"])
    detail = " ".join(detail.split()) if detail else ""
    return f"{NOT_TESTED}（{why}：{detail}）" if detail else f"{NOT_TESTED}（{why}）"


def number(value: float | int | None, digits: int = 2, *, reason: str = "not_collected") -> str:
    """A number with a fixed number of decimals, or the missing text."""
    if value is None:
        return missing(reason)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def compact(value: float | int) -> str:
    """An int as is; a float with at most 2 decimals and no trailing zeros."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text or "0"


def ms(value: float | None, *, reason: str = "not_collected") -> str:
    return number(value, 2, reason=reason)


def tok_s(value: float | None, *, reason: str = "not_collected") -> str:
    return number(value, 2, reason=reason)


def seconds(value: float | None, *, reason: str = "not_collected") -> str:
    return number(value, 2, reason=reason)


def score(value: float | None, *, reason: str = "not_collected") -> str:
    """An accuracy fraction as printed by the eval tools: 4 decimals."""
    return number(value, 4, reason=reason)


def percent(value: float | None, *, reason: str = "not_collected") -> str:
    """An accuracy fraction (0-1) as a percentage with 2 decimals."""
    if value is None:
        return missing(reason)
    return f"{value * 100:.2f}%"


def points(delta_fraction: float) -> str:
    """A difference of two fractions, in percentage points with a sign: ``+0.81``."""
    return f"{delta_fraction * 100:+.2f}"


def ratio(value: float | None, *, reason: str = "not_collected") -> str:
    if value is None:
        return missing(reason)
    return f"{value:.2f}×"


def byte_size(value: float) -> str:
    """Memory sizes: binary GiB when the value is a whole number of GiB or not decimal."""
    gib = value / 2**30
    if gib < 1:
        return f"{compact(value / 2**20)} MiB"
    if value % 2**30 == 0:
        return f"{int(gib)} GiB"
    if value % 10**9 == 0:
        return f"{int(value // 10**9)} GB"
    return f"{gib:.1f} GiB"


def cell_name(key: CellKey, *, lengths: bool = False, dataset: bool = False) -> str:
    """What the document calls a serving cell, from its key (the one naming of a cell): 「批大小 8」
    for a closed loop, 「2 请求/秒」 (「（突发度 0.5）」 when not Poisson) for an open loop, then the
    repeat; ``dataset`` adds the dataset (where the cells named side by side differ in it),
    ``lengths`` 「输入 8192 / 输出 256 词元」."""
    if key.request_rate is None:
        name = f"批大小 {key.batch_size}"
    else:
        name = f"{key.request_rate:g} 请求/秒"
        if key.burstiness is not None:
            name += f"（突发度 {key.burstiness:g}）"
    if dataset:
        name += f" · {key.dataset}"
    if key.repeat:
        name += f" · 第 {key.repeat + 1} 次"
    if lengths:
        name += f" · 输入 {key.input_len} / 输出 {key.output_len} 词元"
    return name


def fact_value(fact: Fact) -> str:
    """A present fact's value with its unit, in the document's units."""
    v = fact.value
    unit = fact.unit
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)):
        if unit == "B":
            return byte_size(v)
        if unit == "B/s":
            return f"{compact(v / 1e9)} GB/s"
        if unit == "Hz":
            return f"{compact(v / 1e9)} GHz" if v >= 1e9 else f"{compact(v / 1e6)} MHz"
        if unit in ("C", "°C"):
            return f"{compact(v)} °C"
        if unit in ("FLOPS", "FLOP/s"):
            return f"{compact(v / 1e12)} TFLOPS"
        return f"{compact(v)} {unit}" if unit else compact(v)
    text = str(v)
    return f"{text} {unit}" if unit else text


def fact_text(fact: Fact | None) -> str:
    """A fact's value, or ``未测试（reason：note）``; an absent fact was never collected."""
    if fact is None:
        return missing("not_collected")
    if fact.present:
        return fact_value(fact)
    if fact.note:  # the collector's note, in Chinese from the same table as its English detail
        return missing(fact.reason, note_text(fact.note, fact.note_args, "zh"))
    if fact.origin in ("imported", "user"):  # the document's or the user's own words
        return missing(fact.reason, fact.detail)
    return missing(fact.reason)  # an English detail of an older file stays in the JSON, not the text


def fact_origin(fact: Fact) -> str:
    """Where a present fact came from: 实测（lscpu）, 规格书（source）, ..."""
    label = ORIGIN_ZH.get(fact.origin, fact.origin)
    where = fact.detail if fact.origin == "spec_sheet" and fact.detail else fact.source
    return f"{label}（{where}）" if where else label


# --------------------------------------------------------------------------- Markdown escaping

_CELL_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&])")
_LIST_MARKER = re.compile(r"^(\d+)([.)])")


def _escape_block_start(line: str) -> str:
    """Keep a line of prose from starting a heading, quote, list or setext underline."""
    if line[:1] in ("#", ">", "+", "-", "="):
        return "\\" + line
    return _LIST_MARKER.sub(r"\1\\\2", line)


def md_cell(text: object) -> str:
    """Escape text for one GFM table cell: Markdown specials backslashed (``|`` -> ``\\|``),
    newlines -> ``<br>``. The result never breaks the row it is in. Like every filter, it takes
    the text through ``safe_text.document_text`` first (control characters, length)."""
    s = document_text(text, "cell").replace("\r\n", "\n").replace("\r", "\n").strip()
    lines = [_CELL_SPECIALS.sub(r"\\\1", line.strip()) for line in s.split("\n")]
    return "<br>".join(lines) if s else NOT_APPLICABLE


def _inline(text: str) -> str:
    s = " ".join(text.split())
    return _escape_block_start(_CELL_SPECIALS.sub(r"\\\1", s))


def md_inline(text: object) -> str:
    """Escape text for a heading or one line of prose (newlines become spaces)."""
    return _inline(document_text(text, "inline"))


def md_text(text: object) -> str:
    """Escape free text for a paragraph, keeping its line breaks as hard breaks."""
    lines = [_inline(line) for line in document_text(text, "text").replace("\r\n", "\n").split("\n")]
    return "\\\n".join(line for line in lines if line)


def md_fence(text: object, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run in ``text``."""
    body = document_text(text, "block").replace("\r\n", "\n").rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"
