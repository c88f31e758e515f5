"""Accuracy and embedding/reranker results side by side (part of ``reportgen.compare``).

Accuracy rows are (variant kind, benchmark): each file's score with its 95 % Wilson interval
and, where the model, scoring mode and sample count agree with the baseline's, the difference
with its Newcombe interval; otherwise the reason it is not compared. Embedding rows are
(model, kind): each file's run modes and reference check, and throughput ratios at the same
text kind and batch size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reportgen.compare.base import Ratio, Source
from reportgen.compare.matching import model_id, model_name
from reportgen.results import AccuracyResult
from reportgen.variant_roles import bench_key, variant_kind
from reportgen.verdicts.checks import run_verdict

Z95 = 1.959963984540054


# --------------------------------------------------------------------------- accuracy


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95 % by default)."""
    if n <= 0:
        return (0.0, 1.0)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(c1: int, n1: int, c2: int, n2: int) -> tuple[float, float]:
    """95 % interval of p1 - p2 for independent samples (Newcombe's hybrid score method)."""
    p1, p2 = c1 / n1, c2 / n2
    l1, u1 = wilson(c1, n1)
    l2, u2 = wilson(c2, n2)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


@dataclass
class AccPoint:
    model: str
    variant: str
    result: AccuracyResult
    interval: tuple[float, float] | None  # 95 % Wilson, where n and correct are known


AccReason = Literal["no_partner", "model", "mode", "samples", "missing"]


@dataclass
class AccDelta:
    value: float | None  # other - baseline, fraction
    interval: tuple[float, float] | None = None
    reason: AccReason | None = None


@dataclass
class AccRow:
    kind: str
    benchmark: str
    points: list[AccPoint | None]
    deltas: list[AccDelta | None]  # per source vs the baseline (the baseline's own: None)


def _acc_count(a: AccuracyResult) -> tuple[int, int] | None:
    if a.n and a.correct is not None and 0 <= a.correct <= a.n:  # a hand-edited file may not add up
        return a.correct, a.n
    return None


def accuracy_rows(sources: list[Source], baseline: int) -> list[AccRow]:
    found: dict[tuple[str, str], dict[int, AccPoint]] = {}
    for s in sources:
        for v in s.results.variants:
            for a in v.accuracy:
                count = _acc_count(a)
                point = AccPoint(model_name(s.results, v) or "", v.label, a, wilson(*count) if count else None)
                found.setdefault((variant_kind(v), a.benchmark), {}).setdefault(s.index, point)
    rows = []
    for (kind, bench) in sorted(found, key=lambda k: (k[0] not in ("FP16", "BF16"), k[0], bench_key(k[1]))):
        got = found[(kind, bench)]
        points: list[AccPoint | None] = [got.get(i) for i in range(len(sources))]
        base = points[baseline]
        deltas: list[AccDelta | None] = []
        for i, p in enumerate(points):
            if i == baseline:
                deltas.append(None)
            elif p is None or base is None:
                deltas.append(AccDelta(None, reason="no_partner"))
            elif model_id(p.model) != model_id(base.model):
                deltas.append(AccDelta(None, reason="model"))
            elif p.result.mode != base.result.mode:
                deltas.append(AccDelta(None, reason="mode"))
            elif p.result.n != base.result.n:
                deltas.append(AccDelta(None, reason="samples"))
            elif p.result.score is None or base.result.score is None:
                deltas.append(AccDelta(None, reason="missing"))
            else:
                pc, bc = _acc_count(p.result), _acc_count(base.result)
                interval = newcombe(pc[0], pc[1], bc[0], bc[1]) if pc and bc else None
                deltas.append(AccDelta(p.result.score - base.result.score, interval))
        rows.append(AccRow(kind, bench, points, deltas))
    return rows


# --------------------------------------------------------------------------- embeddings


@dataclass
class EmbeddingPoint:
    modes: list[str]
    verdicts: list[tuple[str, str]]  # per run, as the evaluation document words it: (通过 | 未通过 | 未判定, reason)
    errors: int  # runs that did not complete


@dataclass
class EmbeddingRow:
    model: str
    kind: str  # "embedding" | "reranker"
    points: list[EmbeddingPoint | None]


@dataclass
class EmbeddingThroughputRow:
    model: str
    kind: str
    text_kind: str
    batch_size: int
    values: list[float | None]  # items/s per source
    ratios: list[Ratio]


def embedding_rows(sources: list[Source], baseline: int) -> tuple[list[EmbeddingRow], list[EmbeddingThroughputRow]]:
    rows: dict[tuple[str, str], dict[int, EmbeddingPoint]] = {}
    names: dict[tuple[str, str], str] = {}
    tput: dict[tuple[str, str, str, int], dict[int, float]] = {}
    for s in sources:
        for r in s.results.embeddings:
            key = (model_id(r.model), r.kind)
            names.setdefault(key, Path(r.model.rstrip("/")).name or r.model)
            p = rows.setdefault(key, {}).setdefault(s.index, EmbeddingPoint([], [], 0))
            p.modes.append(r.mode)
            # the verdict of the evaluation document's sections 5/6 and 结论, from the same function
            rv = run_verdict(r, [x for x in s.results.embeddings if x.kind == r.kind])
            p.verdicts.append((rv.word, rv.text))
            p.errors += r.error is not None
            for t in r.throughput:
                tput.setdefault((*key, t.text_kind, t.batch_size), {}).setdefault(s.index, t.items_per_s)
    out_rows = [EmbeddingRow(names[k], k[1], [rows[k].get(i) for i in range(len(sources))])
                for k in sorted(rows, key=lambda k: (k[1], k[0]))]
    out_tput = []
    for (m, kind, text_kind, batch) in sorted(tput, key=lambda k: (k[1], k[0], k[2], k[3])):
        got = tput[(m, kind, text_kind, batch)]
        values = [got.get(i) for i in range(len(sources))]
        b = values[baseline]
        ratios = [Ratio(v / b) if v and b else Ratio(None, "no_partner" if v is None or b is None else "missing")
                  for v in values]
        out_tput.append(EmbeddingThroughputRow(names[(m, kind)], kind, text_kind, batch, values, ratios))
    return out_rows, out_tput
