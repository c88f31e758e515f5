"""The seed's embedding and reranker scripts, reference checks and throughput, over any backend.

A backend is anything with the methods of ``Embedder`` or ``Scorer`` (``http`` and ``local``
provide both kinds). Nothing here knows how texts reach a model; everything here validates
what comes back, so a server returning NaN or vectors of the wrong size is reported as
``EmbeddingOutputError`` with one clear line instead of producing numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from collectors.embedding.data import (
    LONG_TEXT_SOURCE,
    MAX_SCORE_DIFF,
    MIN_COSINE,
    EmbeddingInputs,
    RecordedModel,
)
from reportgen.errors import ServerError
from reportgen.metrics import stats
from reportgen.results import Note, ReferenceCheck, ReferenceItem, ScoredPair, ScoreMatrix, ThroughputPoint


class EmbeddingOutputError(ServerError):
    """A model or server returned unusable embeddings or scores (count, size, NaN)."""


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Any:
        """One row per text, pooled (not necessarily normalized)."""
        ...

    def count_tokens(self, text: str) -> int | None:
        """Tokens the model sees for ``text`` (special tokens included), None if unknown."""
        ...


class Scorer(Protocol):
    def score(self, pairs: Sequence[tuple[str, str]]) -> Any:
        """Raw relevance scores (logits), one per (query, passage) pair."""
        ...

    def count_tokens(self, text: str) -> int | None: ...


# --------------------------------------------------------------------------- validation


def validate_embeddings(values: object, n: int, *, expected_dim: int | None = None, what: str = "embeddings") -> np.ndarray:
    """``values`` as a float64 (n, d) array; raises ``EmbeddingOutputError`` on a wrong count,
    ragged or unexpected dimensions, non-numbers, NaN/inf or all-zero vectors."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise EmbeddingOutputError(f"{what}: expected a list of vectors, got {type(values).__name__}")
    rows: list[Any] | np.ndarray = list(values) if not isinstance(values, np.ndarray) else values
    if len(rows) != n:
        raise EmbeddingOutputError(f"{what}: got {len(rows)} vectors for {n} texts")
    if not isinstance(rows, np.ndarray):
        dims = sorted({len(r) if isinstance(r, (list, tuple, np.ndarray)) else -1 for r in rows})
        if -1 in dims:
            raise EmbeddingOutputError(f"{what}: a vector is not a list of numbers")
        if len(dims) > 1:
            raise EmbeddingOutputError(f"{what}: vectors of different sizes in one answer ({', '.join(map(str, dims))} dimensions)")
        try:
            arr = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            raise EmbeddingOutputError(f"{what}: a vector holds something that is not a number") from None
    else:
        arr = rows.astype(np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise EmbeddingOutputError(f"{what}: expected {n} vectors, got an array of shape {arr.shape}")
    if expected_dim is not None and arr.shape[1] != expected_dim:
        raise EmbeddingOutputError(f"{what}: vectors have {arr.shape[1]} dimensions, expected {expected_dim}")
    bad = np.where(~np.isfinite(arr).all(axis=1))[0]
    if bad.size:
        kind = "NaN" if np.isnan(arr[bad[0]]).any() else "infinity"
        raise EmbeddingOutputError(f"{what}: vector {int(bad[0])} contains {kind} ({bad.size} of {n} vectors affected)")
    zero = np.where(np.linalg.norm(arr, axis=1) == 0)[0]
    if zero.size:
        raise EmbeddingOutputError(f"{what}: vector {int(zero[0])} is all zeros")
    return arr


def validate_scores(values: object, n: int, *, what: str = "scores") -> np.ndarray:
    """``values`` as a float64 (n,) array; raises ``EmbeddingOutputError`` on a wrong count or NaN."""
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise EmbeddingOutputError(f"{what}: a score is not a number") from None
    if arr.size != n:
        raise EmbeddingOutputError(f"{what}: got {arr.size} scores for {n} pairs")
    bad = np.where(~np.isfinite(arr))[0]
    if bad.size:
        raise EmbeddingOutputError(f"{what}: score {int(bad[0])} is {arr[bad[0]]} ({bad.size} of {n} not finite)")
    return arr


def normalize(arr: np.ndarray) -> np.ndarray:
    out: np.ndarray = arr / np.linalg.norm(arr, axis=1, keepdims=True)
    return out


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _print_matrix(m: np.ndarray) -> str:
    # as the seed's scripts printed them: numpy's repr of a float32 array
    return np.array2string(np.asarray(m, dtype=np.float32))


# --------------------------------------------------------------------------- the seed's scripts


@dataclass
class EmbeddingScriptResult:
    pairs: list[ScoredPair]
    matrices: list[ScoreMatrix]
    texts: list[str]  # every text embedded, instruction included, in order
    vectors: np.ndarray  # normalized, one row per ``texts`` entry
    dimensions: int
    output: str


def run_embedding_script(embedder: Embedder, inputs: EmbeddingInputs, *, expected_dim: int | None = None) -> EmbeddingScriptResult:
    """The seed's 5.1/5.2 script: normalized embeddings, ``sentences_1 @ sentences_2.T`` and
    ``queries (with instruction) @ passages.T``."""
    groups = {
        "sentences_1": list(inputs.sentences_1),
        "sentences_2": list(inputs.sentences_2),
        "queries": [inputs.instruction + q for q in inputs.queries],
        "passages": list(inputs.passages),
    }
    emb: dict[str, np.ndarray] = {}
    dim = expected_dim
    for name, texts in groups.items():
        arr = validate_embeddings(embedder.embed(texts), len(texts), expected_dim=dim, what=f"embeddings of {name}")
        dim = arr.shape[1]
        emb[name] = normalize(arr)
    sim = emb["sentences_1"] @ emb["sentences_2"].T
    qp = emb["queries"] @ emb["passages"].T
    pairs = [
        ScoredPair(a=a, b=b, score=float(sim[i, j]), group="sentences")
        for i, a in enumerate(groups["sentences_1"])
        for j, b in enumerate(groups["sentences_2"])
    ] + [
        ScoredPair(a=a, b=b, score=float(qp[i, j]), group="query_passage")
        for i, a in enumerate(groups["queries"])
        for j, b in enumerate(groups["passages"])
    ]
    matrices = [
        ScoreMatrix(name="similarity", rows=groups["sentences_1"], cols=groups["sentences_2"], values=sim.tolist()),
        ScoreMatrix(name="query_passage", rows=groups["queries"], cols=groups["passages"], values=qp.tolist()),
    ]
    texts = [t for ts in groups.values() for t in ts]
    vectors = np.concatenate([emb[k] for k in groups])
    output = _print_matrix(sim) + "\n" + _print_matrix(qp)
    assert dim is not None
    return EmbeddingScriptResult(pairs, matrices, texts, vectors, int(dim), output)


@dataclass
class RerankerScriptResult:
    pairs: list[ScoredPair]
    output: str
    warnings: list[Note]


def run_reranker_script(scorer: Scorer, inputs: EmbeddingInputs) -> RerankerScriptResult:
    """The seed's 6.1/6.2 script: raw and sigmoid-normalized scores for a single pair and for
    a batch (the panda pairs). Each batch pair is also scored alone: a batch must give the
    same scores (padding bugs show up here)."""
    single = validate_scores(scorer.score([inputs.single_pair]), 1, what="score of the single pair")
    batch_pairs = list(inputs.batch_pairs)
    batch = validate_scores(scorer.score(batch_pairs), len(batch_pairs), what="scores of the batch")
    pairs = [ScoredPair(a=inputs.single_pair[0], b=inputs.single_pair[1], score=float(single[0]), normalized=sigmoid(float(single[0])), group="single")]
    pairs += [ScoredPair(a=q, b=p, score=float(s), normalized=sigmoid(float(s)), group="batch") for (q, p), s in zip(batch_pairs, batch)]
    warnings = []
    for (q, p), s in zip(batch_pairs, batch):
        alone = float(validate_scores(scorer.score([(q, p)]), 1, what="score of a batch pair alone")[0])
        if abs(alone - float(s)) > MAX_SCORE_DIFF:
            warnings.append(Note.of(
                "batch_pair_differs", query=q, passage=_short(p), batch_score=f"{float(s):.4f}", alone=f"{alone:.4f}",
                diff=f"{abs(alone - float(s)):.4f}", threshold=MAX_SCORE_DIFF))
    output = "\n".join(
        [
            repr([float(single[0])]),
            repr([sigmoid(float(single[0]))]),
            repr([float(s) for s in batch]),
            repr([sigmoid(float(s)) for s in batch]),
        ]
    )
    return RerankerScriptResult(pairs, output, warnings)


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- reference checks


def compare_embeddings(texts: Sequence[str], vectors: np.ndarray, reference: np.ndarray, *, reference_name: Note, min_cosine: float = MIN_COSINE) -> ReferenceCheck:
    """Per-embedding cosine between a run and its reference; pass when every one >= ``min_cosine``."""
    if reference.shape != vectors.shape:
        return ReferenceCheck(
            status="fail", source="float32-cpu", reference=reference_name, metric="min cosine", threshold=min_cosine,
            detail=[Note.of("shape_mismatch", reference=str(reference.shape), run=str(vectors.shape))],
        )
    cos = np.sum(normalize(vectors) * normalize(reference), axis=1)
    items = [ReferenceItem(label=t, value=float(c), expected=1.0, delta=float(1.0 - c), ok=bool(c >= min_cosine)) for t, c in zip(texts, cos)]
    worst = float(cos.min())
    return ReferenceCheck(
        status="pass" if all(i.ok for i in items) else "fail",
        source="float32-cpu", reference=reference_name, metric="min cosine", value=worst, threshold=min_cosine,
        detail=[] if worst >= min_cosine else [Note.of("embeddings_below", n=sum(not i.ok for i in items), m=len(items), threshold=min_cosine)],
        items=items,
    )


def compare_scores(pairs: Sequence[ScoredPair], reference: Sequence[float], *, reference_name: Note, max_diff: float = MAX_SCORE_DIFF) -> ReferenceCheck:
    """|score - reference| per pair; pass when every one <= ``max_diff``."""
    items = [
        ReferenceItem(label=f"{p.a} | {p.b}", value=p.score, expected=float(r), delta=abs(p.score - float(r)), ok=abs(p.score - float(r)) <= max_diff)
        for p, r in zip(pairs, reference)
    ]
    worst = max(i.delta for i in items)
    return ReferenceCheck(
        status="pass" if all(i.ok for i in items) else "fail",
        source="float32-cpu", reference=reference_name, metric="max |diff|", value=worst, threshold=max_diff,
        detail=[] if worst <= max_diff else [Note.of("scores_differ", n=sum(not i.ok for i in items), m=len(items), threshold=max_diff)],
        items=items,
    )


def check_recorded(pairs: Sequence[ScoredPair], recorded: RecordedModel) -> ReferenceCheck | None:
    """Compare with the values the seed recorded for the same texts; None when no pair matches."""
    by_texts = {(p.a, p.b): p for p in pairs}
    items = []
    sources = []
    tolerance = 0.0
    for exp in recorded.expected:
        p = by_texts.get((exp.a, exp.b))
        if p is None:
            continue
        delta = abs(p.score - exp.score)
        items.append(ReferenceItem(label=f"{exp.a} | {exp.b}", value=p.score, expected=exp.score, delta=delta, ok=delta <= exp.tolerance))
        tolerance = max(tolerance, exp.tolerance)
        if exp.source not in sources:
            sources.append(exp.source)
    if not items:
        return None
    worst = max(i.delta for i in items)
    return ReferenceCheck(
        status="pass" if all(i.ok for i in items) else "fail",
        source="recorded", reference=Note.of("recorded_values", sources="; ".join(sources)), metric="max |diff|",
        value=worst, threshold=tolerance, detail=[Note.of("recorded_apply", n=len(items), m=len(recorded.expected))],
        items=items,
    )


# --------------------------------------------------------------------------- throughput


def fit_to_tokens(count_tokens: Callable[[str], int | None], target: int, *, source: str = LONG_TEXT_SOURCE, offset: int = 0) -> tuple[str, int | None]:
    """The longest prefix of ``source`` (repeated, starting at ``offset``) with at most
    ``target`` tokens, and its token count (None when the backend cannot count)."""
    base = (source * (target // 8 + 2))[offset % len(source):]
    for _ in range(64):
        n = count_tokens(base)
        if n is None:
            # no tokenizer: about 1.5 characters per token for this mixed text
            return base[: int(target * 1.5)], None
        if n > target:
            break
        base += source * 4  # the source is too short for this tokenizer
    else:
        return base, count_tokens(base)
    lo, hi = 1, len(base)  # count(base[:lo]) <= target < count(base[:hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (count_tokens(base[:mid]) or 0) <= target:
            lo = mid
        else:
            hi = mid
    text = base[:lo]
    return text, count_tokens(text)


def time_calls(call: Callable[[], object], rounds: int, *, warmup: int = 1) -> list[float]:
    """Latency in seconds of ``rounds`` timed calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def throughput_point(batch_size: int, text_kind: str, latencies_s: Sequence[float], tokens_per_item: float | None) -> ThroughputPoint:
    """Items/s is every item over the summed call latencies (calls run one after another)."""
    st = stats(latencies_s, 1000.0)
    total = float(sum(latencies_s))
    return ThroughputPoint(
        batch_size=batch_size, text_kind=text_kind,
        items_per_s=batch_size * len(latencies_s) / total if total > 0 else 0.0,
        mean_latency_ms=st.mean, p99_latency_ms=st.p99, n=st.n,
        tokens_per_item=tokens_per_item, latencies_s=list(latencies_s),
    )
