"""Repeated runs of one case (``--repeats``): mean, 95 % confidence interval and CV.

Repeats of a case share ``CellKey.case()`` (the key without the repeat number). The interval is
Student's t: mean ± t(0.975, n-1) · s / sqrt(n), s the sample standard deviation (n - 1), as
AIPerf's multi-run confidence does; CV = s / mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportgen.results import CellKey, ModelVariant, ServingCell

__all__ = ["RepeatStat", "cases", "ratio_interval", "repeat_stat", "t975"]

# t(0.975, df) for df = 1..30; beyond, the normal 1.96 is within 2 %.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)


@dataclass(frozen=True)
class RepeatStat:
    n: int
    mean: float
    ci95: float | None  # half width; None for a single run
    cv: float | None  # sample std / mean; None for a single run or a zero mean


def repeat_stat(values: Sequence[float]) -> RepeatStat | None:
    xs = [float(x) for x in values]
    if not xs:
        return None
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return RepeatStat(n, mean, None, None)
    s = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    t = _T975[n - 2] if n - 2 < len(_T975) else 1.96
    return RepeatStat(n, mean, t * s / math.sqrt(n), s / mean if mean else None)


def _t975(df: float) -> float:
    return _T975[max(1, math.floor(df)) - 1] if df < len(_T975) + 1 else 1.96


def t975(df: float) -> float:
    """Student's t(0.975, df): the 95 % two-sided quantile (the normal 1.96 beyond 30 degrees of freedom)."""
    return _t975(df)


def ratio_interval(base: Sequence[float], other: Sequence[float]) -> tuple[float, float] | None:
    """95 % interval of mean(other) ÷ mean(base) from the repeats of both: on the log scale,
    se² = s_o² / (n_o·m_o²) + s_b² / (n_b·m_b²) (the delta method), Student's t with the
    Welch–Satterthwaite degrees of freedom; None unless both sides have 2 repeats or more and
    positive means."""
    if len(base) < 2 or len(other) < 2:
        return None
    parts = []
    for xs in (other, base):
        n, m = len(xs), math.fsum(xs) / len(xs)
        if m <= 0:
            return None
        var = math.fsum((x - m) ** 2 for x in xs) / (n - 1)
        parts.append((var / (n * m * m), n, m))
    (vo, no, mo), (vb, nb, mb) = parts
    r = mo / mb
    if vo + vb == 0:
        return (r, r)
    df = (vo + vb) ** 2 / (vo**2 / (no - 1) + vb**2 / (nb - 1))
    half = _t975(df) * math.sqrt(vo + vb)
    return (r * math.exp(-half), r * math.exp(half))


def cases(v: ModelVariant) -> dict[CellKey, list[ServingCell]]:
    """The variant's cells grouped by case, in file order; each list sorted by repeat."""
    out: dict[CellKey, list[ServingCell]] = {}
    for c in v.serving:
        out.setdefault(c.key.case(), []).append(c)
    for cells in out.values():
        cells.sort(key=lambda c: c.repeat)
    return out
