"""Consistency with a reference card, side by side (part of ``reportgen.compare``).

One row per variant kind (``variant_roles.variant_kind``) that at least two files compared with a
reference: each file's verdict and its figures (top-1 agreement, mean KL, exact match, first-token
agreement, batch invariance). Figures are side by side only when the files used the same
reference (the same reference file, or failing that the same prompt set, card and precision);
otherwise the row says the references differ and no file's figure is set against another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.compare.base import Source
from reportgen.consistency.verdict import ConsistencyVerdict, variant_verdict
from reportgen.results import ConsistencyCheck, Results
from reportgen.variant_roles import variant_kind


@dataclass
class ConsistencyPoint:
    label: str  # the variant's label in its file
    verdict: ConsistencyVerdict
    reference: str  # what identifies the reference it was compared with


@dataclass
class ConsistencyRow:
    kind: str
    points: list[ConsistencyPoint | None]  # per source

    @property
    def same_reference(self) -> bool:
        return len({p.reference for p in self.points if p is not None}) == 1


def reference_key(check: ConsistencyCheck) -> str:
    r = check.reference
    return r.file_sha256 or "|".join(str(x) for x in (r.prompt_set_sha256, r.card, r.dtype, r.quantization, r.model_name or r.model))


def has_consistency(results: Results) -> bool:
    return any(v.consistency is not None for v in results.variants)


def consistency_rows(sources: list[Source]) -> list[ConsistencyRow]:
    """Rows for the variant kinds compared with a reference in at least two files (none when fewer
    than two files hold a consistency check)."""
    per: list[dict[str, ConsistencyPoint]] = []
    kinds: list[str] = []
    for s in sources:
        mine: dict[str, ConsistencyPoint] = {}
        for v in s.results.variants:
            cv = variant_verdict(v)
            if cv is None or v.consistency is None:
                continue
            kind = variant_kind(v)
            mine.setdefault(kind, ConsistencyPoint(v.label, cv, reference_key(v.consistency)))
            if kind not in kinds:
                kinds.append(kind)
        per.append(mine)
    rows = [ConsistencyRow(kind, [m.get(kind) for m in per]) for kind in kinds]
    return [r for r in rows if sum(p is not None for p in r.points) >= 2]
