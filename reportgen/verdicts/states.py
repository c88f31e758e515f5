"""Verdict states: the closed set every claim of the 结论 and 3.4 is judged into, with its reasons.

* ``usable``      可用     -- the evidence was checked and holds;
* ``doubtful``    存疑     -- usable with reservations (warnings, part of the evidence spoiled);
* ``unusable``    不可用   -- a rule failed: the claim cannot be made;
* ``undecidable`` 无法判定 -- there is no evidence to decide on (not measured, nothing to compare with).

A ``Verdict`` carries its state and its reasons in plain words (``Reason``: a rule's code or the
verdict's own, and the Chinese text the document shows). Cells are graded by the findings
(``cell_verdict``): VALID -> usable, WARNING -> doubtful, INVALID -> unusable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reportgen.results import CellKey, Finding
from reportgen.validity import CellStatus, cell_findings, status_of

State = Literal["usable", "doubtful", "unusable", "undecidable"]
STATES: tuple[State, ...] = ("usable", "doubtful", "unusable", "undecidable")
STATE_ZH: dict[str, str] = {"usable": "可用", "doubtful": "存疑", "unusable": "不可用", "undecidable": "无法判定"}

#: A cell's status under the rules, and how the document names it (3.4's 有效性 column).
CELL_STATE: dict[str, State] = {"VALID": "usable", "WARNING": "doubtful", "INVALID": "unusable"}
STATUS_ZH: dict[str, str] = {"VALID": "有效", "INVALID": "无效", "WARNING": "存疑"}


@dataclass(frozen=True)
class Reason:
    """Why a verdict is what it is: ``code`` is a rule's reason code (``Finding.check``) or the
    verdict's own (``"cells"``, ``"published_drop"``, ...); ``text`` the plain Chinese words."""

    code: str
    text: str


@dataclass(frozen=True)
class Verdict:
    state: State
    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"not a verdict state: {self.state!r}")

    @property
    def zh(self) -> str:
        return STATE_ZH[self.state]


@dataclass(frozen=True)
class Statement:
    """One sentence of the conclusion and the section it rests on ("3.4"; None: none)."""

    text: str
    section: str | None = None


def finding_reasons(findings: Iterable[Finding]) -> tuple[Reason, ...]:
    return tuple(Reason(f.check, f.message_zh or f.message) for f in findings)


def cell_verdict(findings: Iterable[Finding], label: str, key: CellKey) -> tuple[CellStatus, Verdict]:
    """A serving cell's status under the rules and its verdict, the findings as its reasons."""
    mine = cell_findings(findings, label, key)
    status = status_of(mine)
    return status, Verdict(CELL_STATE[status], finding_reasons(mine))
