"""Findings' messages: one table, rendered in English (``Finding.message``) and Chinese
(``Finding.message_zh``) from the same arguments, the evidence values a rule used.

A rule words what it found as ``say(row, **args)``: a row of ``MESSAGES`` (the table is in
``reportgen.validity.message_table``) keyed by the rule's code (``"output_tokens"``) or by the
code and one of its variants (``"output_tokens.average"``), formatted with ``format_row``,
the one way this project words a message in both languages. An argument is:

* a number or a string (formatted by the row: ``{ttft_ms:.2f}``), the same in both languages;
* a ``Term``: a word that differs by language ("below" / "低");
* a ``Say``: a nested row (an optional clause, a part of a list);
* ``Items``: several arguments joined (``"clauses"``: "; " / "；", ``"list"``: ", " / "、",
  ``"comma"``: ", " / "，").

``Finding.args`` keeps the arguments as JSON (``evidence``); ``render`` words a stored finding
again from them, so the message is provably a function of the row and its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reportgen.messages import format_row
from reportgen.validity.message_table import MESSAGES

Join = Literal["clauses", "list", "comma"]
JOINS: dict[str, tuple[str, str]] = {"clauses": ("; ", "；"), "list": (", ", "、"), "comma": (", ", "，")}

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Term:
    """A word or phrase that differs by language."""

    en: str
    zh: str


@dataclass(frozen=True)
class Items:
    """Several arguments shown as one, joined the way ``join`` names."""

    parts: tuple[Arg, ...]
    join: Join = "clauses"


@dataclass(frozen=True)
class Say:
    """One row of the message table with its arguments."""

    row: str
    args: Mapping[str, Arg] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return format_row(MESSAGES[self.row], {k: _text(v, lang) for k, v in self.args.items()}, lang)

    @property
    def en(self) -> str:
        return self.text("en")

    @property
    def zh(self) -> str:
        return self.text("zh")

    def evidence(self) -> dict[str, Any]:
        """The arguments as JSON values (``Finding.args``)."""
        return {k: _evidence(v) for k, v in self.args.items()}


Arg = Scalar | Term | Say | Items


def say(row: str, /, **args: Arg) -> Say:
    if row not in MESSAGES:
        raise KeyError(f"no message row {row!r}")
    return Say(row, args)


def items(parts: Iterable[Arg], join: Join = "clauses") -> Items:
    return Items(tuple(parts), join)


def _text(v: Arg, lang: str) -> Scalar:
    if isinstance(v, Say):
        return v.text(lang)
    if isinstance(v, Term):
        return v.en if lang == "en" else v.zh
    if isinstance(v, Items):
        sep = JOINS[v.join][0 if lang == "en" else 1]
        return sep.join(str(_text(p, lang)) for p in v.parts)
    return v


def _evidence(v: Arg) -> Any:
    if isinstance(v, Say):
        return {"row": v.row, "args": v.evidence()}
    if isinstance(v, Term):
        return {"en": v.en, "zh": v.zh}
    if isinstance(v, Items):
        return {"join": v.join, "items": [_evidence(p) for p in v.parts]}
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # JSON has no NaN or infinity
    return v


def _arg(value: Any) -> Arg:
    """The inverse of ``_evidence``."""
    if isinstance(value, dict):
        if set(value) == {"row", "args"}:
            return Say(value["row"], {k: _arg(x) for k, x in value["args"].items()})
        if set(value) == {"en", "zh"}:
            return Term(value["en"], value["zh"])
        if set(value) == {"join", "items"}:
            return Items(tuple(_arg(x) for x in value["items"]), value["join"])
        raise ValueError(f"not a message argument: {value!r}")
    return value  # type: ignore[no-any-return]


def render(row: str, args: Mapping[str, Any], lang: str) -> str:
    """A stored finding's message again, from its row (``Finding.message_row``) and ``Finding.args``."""
    return Say(row, {k: _arg(v) for k, v in args.items()}).text(lang)
