"""The comparison of several results files, as typed data (no formatting).

``compare(sources, baseline=0)`` matches every file's serving cases, accuracy results,
embedding/reranker checks and capacity searches with the baseline file's and computes:

* **ratios** ``other ÷ baseline`` for every metric, whatever its direction: output
  throughput 2.00 means twice the tokens/s (> 1 better); TTFT 0.50 means half the latency
  (< 1 better). A ratio is computed only from two usable points: an INVALID cell on either
  side gives no ratio (``Ratio.reason``), a WARNING (存疑) one gives a ratio marked doubtful;
* **the winner** of each operating point: the highest output throughput among the usable
  points (a tie when the best two are within ``TIE_REL``);
* **headline** figures per file: the geometric mean, minimum and maximum of each ratio over
  the cases both files measured usably;
* accuracy and embedding/reranker results side by side (``reportgen.compare.side_by_side``), and
  consistency with a reference card where both files have it (``reportgen.compare.consistency``).

Repeats of one case in one file are pooled: the mean of each metric over the repeats that are
not INVALID. Environment rows and the comparability notes are in ``reportgen.compare.notes``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from reportgen.compare.base import Ratio, Source, card_name, make_sources
from reportgen.compare.consistency import ConsistencyRow, consistency_rows, has_consistency
from reportgen.compare.matching import CaseKey, cases, match_cases, model_id, model_name
from reportgen.compare.messages import say
from reportgen.compare.side_by_side import (
    AccDelta,
    AccPoint,
    AccRow,
    EmbeddingPoint,
    EmbeddingRow,
    EmbeddingThroughputRow,
    accuracy_rows,
    embedding_rows,
    newcombe,
    wilson,
)
from reportgen.energy import cell_energy
from reportgen.errors import CompareError
from reportgen.messages import Msg
from reportgen.repeats import ratio_interval
from reportgen.results import Finding, ModelVariant, Results, ServingCell, ServingMetrics
from reportgen.validity import CellStatus, cell_findings, cell_status
from reportgen.variant_roles import variant_kind

__all__ = [
    "AccDelta", "AccPoint", "AccRow", "CaseRow", "Comparison", "EmbeddingPoint", "EmbeddingRow",
    "EmbeddingThroughputRow", "Headline", "Point", "Ratio", "Source", "Summary", "card_name", "compare",
    "make_sources", "newcombe", "wilson",
]

TIE_REL = 0.01  # output throughputs within 1 % of each other: no winner


# --------------------------------------------------------------------------- metrics and ratios


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    value: Callable[[ServingMetrics], float | None]


# The serving metrics compared, in document order.
METRICS: tuple[Metric, ...] = (
    Metric("output_tps", True, lambda m: m.output_throughput if m.completed else None),
    Metric("ttft_mean_ms", False, lambda m: m.ttft_ms.mean),
    Metric("tpot_mean_ms", False, lambda m: m.tpot_ms.mean),
    Metric("ttft_p99_ms", False, lambda m: m.ttft_ms.p99),
    Metric("tpot_p99_ms", False, lambda m: m.tpot_ms.p99),
)
ENERGY_METRICS: tuple[str, ...] = ("tokens_per_joule", "tps_per_tdp_w")  # both: higher is better
HIGHER_IS_BETTER: dict[str, bool] = {m.name: m.higher_is_better for m in METRICS} | {n: True for n in ENERGY_METRICS}


@dataclass
class Point:
    """One file's measurement of one case (its repeats pooled)."""

    variant: str  # the file's variant label
    status: CellStatus  # VALID, WARNING (some repeat doubtful or invalid), INVALID (no usable repeat)
    repeats: int
    used: int  # repeats that entered the values (not INVALID)
    values: dict[str, float | None]  # METRICS and ENERGY_METRICS names -> pooled value
    findings: list[Finding]
    imported: bool
    samples: dict[str, list[float]] = field(default_factory=dict)  # per metric, the value of each repeat used

    @property
    def usable(self) -> bool:
        return self.status != "INVALID"


def ratio(base: Point | None, other: Point | None, metric: str) -> Ratio:
    if base is None or other is None:
        return Ratio(None, "no_partner")
    if not base.usable:
        return Ratio(None, "invalid_base")
    if not other.usable:
        return Ratio(None, "invalid_other")
    b, o = base.values.get(metric), other.values.get(metric)
    if b is None or o is None or b <= 0 or o <= 0:
        return Ratio(None, "missing")
    return Ratio(o / b, doubtful=base.status == "WARNING" or other.status == "WARNING",
                 interval=ratio_interval(base.samples.get(metric, []), other.samples.get(metric, [])))


def _tdp_total(results: Results) -> float | None:
    facts = results.environment.facts
    tdp, count = facts.get("accelerator.tdp_w"), facts.get("accelerator.count")
    if tdp is None or count is None or not tdp.present or not count.present:
        return None
    if not isinstance(tdp.value, (int, float)) or not isinstance(count.value, (int, float)) or count.value <= 0:
        return None
    return float(tdp.value) * float(count.value)


def _cell_values(cell: ServingCell, tdp_total: float | None) -> dict[str, float | None]:
    m = cell.metrics
    values: dict[str, float | None] = {metric.name: (metric.value(m) if m is not None else None) for metric in METRICS}
    e = cell_energy(cell)
    jpt = e.joules_per_output_token if e is not None else None
    values["tokens_per_joule"] = 1.0 / jpt if jpt else None
    tps = values["output_tps"]
    values["tps_per_tdp_w"] = tps / tdp_total if tps is not None and tdp_total else None
    return values


def _point(source: Source, members: list[tuple[ModelVariant, ServingCell]]) -> Point:
    tdp_total = _tdp_total(source.results)
    statuses = [cell_status(source.findings, v.label, c.key) for v, c in members]
    usable = [(v, c) for (v, c), s in zip(members, statuses) if s != "INVALID"]
    if not usable:
        status: CellStatus = "INVALID"
    elif all(s == "VALID" for s in statuses):
        status = "VALID"
    else:
        status = "WARNING"  # a doubtful repeat, or some repeats invalid and left out
    # a cell without metrics (not measured) has no values; it is not INVALID for that
    used = [(v, c) for v, c in usable if c.metrics is not None]
    pooled: dict[str, float | None] = {}
    per_cell = [_cell_values(c, tdp_total) for _, c in (used or (members if not usable else []))]
    for name in HIGHER_IS_BETTER:
        xs = [vals[name] for vals in per_cell]
        pooled[name] = None if any(x is None for x in xs) or not xs else math.fsum(x for x in xs if x is not None) / len(xs)
    findings = [f for v, c in members for f in cell_findings(source.findings, v.label, c.key)]
    samples = {name: [x for x in (vals[name] for vals in per_cell) if x is not None] for name in HIGHER_IS_BETTER
               if pooled[name] is not None}
    return Point(
        variant=members[0][0].label, status=status, repeats=len(members), used=len(used), values=pooled,
        findings=findings, imported=any(c.source == "imported" for _, c in members), samples=samples,
    )


@dataclass
class CaseRow:
    """One operating point across the files."""

    key: CaseKey
    model: str  # the model as the (first) file names it
    points: list[Point | None]  # per source, None: not measured there
    ratios: list[dict[str, Ratio]]  # per source: metric -> ratio to the baseline (the baseline's own: {})
    winner: int | None  # source index with the highest usable output throughput
    tie: bool  # the best two are within TIE_REL
    winner_doubtful: bool  # the winner's or runner-up's point is WARNING

    def matched(self, baseline: int, other: int) -> bool:
        return self.points[baseline] is not None and self.points[other] is not None


def _winner(points: list[Point | None]) -> tuple[int | None, bool, bool]:
    scored = [(p.values["output_tps"], i, p) for i, p in enumerate(points)
              if p is not None and p.usable and p.values.get("output_tps")]
    if len(scored) < 2:
        return None, False, False
    scored.sort(key=lambda t: -(t[0] or 0.0))
    (best, i, p), (second, _, q) = scored[0], scored[1]
    tie = best is not None and second is not None and (best - second) <= TIE_REL * best
    return (None if tie else i), tie, p.status == "WARNING" or q.status == "WARNING"


# --------------------------------------------------------------------------- headline


@dataclass
class Summary:
    """A ratio over the cases two files measured usably: geometric mean, min, max."""

    n: int
    geomean: float | None
    low: float | None
    high: float | None
    doubtful: int  # ratios marked doubtful among them


def summarize(ratios: list[Ratio]) -> Summary:
    xs = [r.value for r in ratios if r.value is not None]
    if not xs:
        return Summary(0, None, None, None, 0)
    g = math.exp(math.fsum(math.log(x) for x in xs) / len(xs))
    return Summary(len(xs), g, min(xs), max(xs), sum(1 for r in ratios if r.value is not None and r.doubtful))


@dataclass
class Headline:
    source: int
    matched: int  # cases measured by both this file and the baseline
    usable: int  # of them, with a ratio (both not INVALID)
    unmatched: int  # cases of this file without a partner in the baseline
    wins: int  # operating points this file wins (among those both measured)
    losses: int
    ties: int
    metrics: dict[str, Summary]


# --------------------------------------------------------------------------- capacity


@dataclass
class CapacityRow:
    model: str
    kind: str
    by: str  # "concurrency" | "rate"
    slo: tuple[tuple[str, float], ...]
    input_len: int
    output_len: int
    dataset: str
    values: list[float | None | Literal["absent"]]  # per source: capacity; None: no value met the SLO
    ratios: list[Ratio]  # per source vs the baseline (baseline's own: Ratio(1.0))


# model id, kind, by, SLO items, input length, output length, dataset
_CapKey = tuple[str, str, str, tuple[tuple[str, float], ...], int, int, str]


def _capacity(sources: list[Source], baseline: int) -> list[CapacityRow]:
    table: dict[_CapKey, dict[int, float | None]] = {}
    names: dict[_CapKey, str] = {}
    for s in sources:
        for variant in s.results.variants:
            for search in variant.capacity:
                name = model_name(s.results, variant) or ""
                key: _CapKey = (model_id(name), variant_kind(variant), search.by, tuple(sorted(search.slo.items())),
                       search.input_len, search.output_len, search.dataset)
                names.setdefault(key, name)
                table.setdefault(key, {})[s.index] = search.capacity
    rows = []
    for key in sorted(table, key=repr):
        got = table[key]
        values: list[float | None | Literal["absent"]] = [got[i] if i in got else "absent" for i in range(len(sources))]
        base = values[baseline]
        ratios = []
        for x in values:
            if isinstance(base, float | int) and base > 0 and isinstance(x, float | int) and x > 0:
                ratios.append(Ratio(float(x) / float(base)))
            else:
                ratios.append(Ratio(None, "no_partner" if base == "absent" or x == "absent" else "missing"))
        model, kind, by, slo, il, ol, ds = key
        rows.append(CapacityRow(names[key], kind, by, slo, il, ol, ds, values, ratios))
    return rows


# --------------------------------------------------------------------------- the comparison


@dataclass
class Comparison:
    sources: list[Source]
    baseline: int
    cases: list[CaseRow]
    headlines: list[Headline]  # one per non-baseline source
    capacity: list[CapacityRow]
    accuracy: list[AccRow]
    embeddings: list[EmbeddingRow]
    embedding_throughput: list[EmbeddingThroughputRow]
    notes: list[Msg] = field(default_factory=list)  # 可比性说明 (reportgen.compare.notes)
    consistency: list[ConsistencyRow] = field(default_factory=list)  # reportgen.compare.consistency

    @property
    def base(self) -> Source:
        return self.sources[self.baseline]

    def others(self) -> list[Source]:
        return [s for s in self.sources if s.index != self.baseline]


def _has_common(a: Results, b: Results) -> bool:
    def serving(r: Results) -> bool:
        return any(v.serving or v.capacity for v in r.variants)

    def accuracy(r: Results) -> bool:
        return any(v.accuracy for v in r.variants)

    return (
        (serving(a) and serving(b))
        or (accuracy(a) and accuracy(b))
        or (has_consistency(a) and has_consistency(b))
        or bool({e.kind for e in a.embeddings} & {e.kind for e in b.embeddings})
    )


def compare(files: list[tuple[str, Results]], baseline: int = 0) -> Comparison:
    """Compare ``files`` ((path, results) in order) with ``files[baseline]``.

    Raises ``CompareError`` for fewer than two files, or a file that shares nothing with the
    baseline (no serving, accuracy or embedding/reranker data on both sides)."""
    from reportgen.compare.notes import comparability_notes

    if len(files) < 2:
        raise CompareError(say("one_file", n=len(files)).en)
    sources = make_sources(files)
    base = sources[baseline]
    for s in sources:
        if s.index != baseline and not _has_common(base.results, s.results):
            raise CompareError(say("nothing_in_common", other=s.path, base=base.path).en)

    per_file = [cases(s.results) for s in sources]
    rows: list[CaseRow] = []
    for key in match_cases([s.results for s in sources]):
        points = [_point(s, per_file[s.index][key]) if key in per_file[s.index] else None for s in sources]
        first = next(per_file[i][key][0] for i, p in enumerate(points) if p is not None)
        model = model_name(sources[points.index(next(p for p in points if p is not None))].results, first[0]) or ""
        ratios = [{} if i == baseline else {name: ratio(points[baseline], p, name) for name in HIGHER_IS_BETTER}
                  for i, p in enumerate(points)]
        winner, tie, doubtful = _winner(points)
        rows.append(CaseRow(key, model, points, ratios, winner, tie, doubtful))

    headlines = []
    for s in sources:
        if s.index == baseline:
            continue
        mine = [r for r in rows if r.matched(baseline, s.index)]
        usable = [r for r in mine if r.ratios[s.index]["output_tps"].value is not None]
        wins = losses = ties = 0
        for r in mine:
            pair = [r.points[baseline], r.points[s.index]]
            w, tie, _ = _winner(pair)
            ties += tie
            wins += w == 1
            losses += w == 0
        headlines.append(Headline(
            source=s.index,
            matched=len(mine),
            usable=len(usable),
            unmatched=sum(1 for r in rows if r.points[s.index] is not None and r.points[baseline] is None),
            wins=wins, losses=losses, ties=ties,
            metrics={name: summarize([r.ratios[s.index][name] for r in mine]) for name in HIGHER_IS_BETTER},
        ))
    emb_rows, emb_tput = embedding_rows(sources, baseline)
    comparison = Comparison(
        sources=sources, baseline=baseline, cases=rows, headlines=headlines,
        capacity=_capacity(sources, baseline), accuracy=accuracy_rows(sources, baseline),
        embeddings=emb_rows, embedding_throughput=emb_tput, consistency=consistency_rows(sources),
    )
    comparison.notes = comparability_notes(comparison)
    return comparison
