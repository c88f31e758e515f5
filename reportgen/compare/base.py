"""What every part of the comparison shares: the compared files (``Source``) and a ratio
to the baseline (``Ratio``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reportgen.results import Finding, Results
from reportgen.validity import check_results
from reportgen.variant_roles import card_name

# --------------------------------------------------------------------------- sources


__all__ = ["Ratio", "ReasonCode", "Source", "card_name", "make_sources"]


@dataclass
class Source:
    """One compared results file."""

    index: int
    path: str  # as given on the command line
    label: str  # the card, unique among the sources ("Iluvatar BI-V150", "BI-V150（run2）")
    results: Results
    findings: list[Finding]

    @property
    def name(self) -> str:
        return Path(self.path).name


def make_sources(files: list[tuple[str, Results]]) -> list[Source]:
    """Label each file by its card; files of the same card (or none) add their file name."""
    cards = [card_name(r) for _, r in files]
    out: list[Source] = []
    for i, ((path, results), card) in enumerate(zip(files, cards)):
        stem = Path(path).stem
        label = card if card and cards.count(card) == 1 else (f"{card}（{stem}）" if card else stem)
        if any(s.label == label for s in out):  # same card and file name in two folders
            label = f"{label}（第 {i + 1} 个文件）"
        out.append(Source(index=i, path=path, label=label, results=results, findings=check_results(results)))
    return out


ReasonCode = Literal["no_partner", "invalid_base", "invalid_other", "missing"]


@dataclass
class Ratio:
    """other ÷ baseline, or why there is none."""

    value: float | None
    reason: ReasonCode | None = None
    doubtful: bool = False  # an input is WARNING (存疑)
    interval: tuple[float, float] | None = None  # 95 %, where both cells have repeats (repeats.ratio_interval)

    @property
    def within_noise(self) -> bool:
        """The interval holds 1: the repeats do not show a difference."""
        return self.interval is not None and self.interval[0] <= 1.0 <= self.interval[1]
