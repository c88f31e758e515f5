"""Summary rows: the serving matrix, accuracy and embedding results as plain rows.

``reportgen summary`` prints them (table, CSV, JSON) and the document view reuses
``serving_rows``. Values are raw numbers (None where missing); ``format_value`` gives the
text form with the precision each column keeps in tables and CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportgen.results import CellKey, Finding, Results, Stats
from reportgen.validity import cell_order, cell_status, check_results

SERVING_COLUMNS: tuple[str, ...] = (
    "precision",
    "batch_size",
    "request_rate",
    "burstiness",
    "concurrency",
    "input_len",
    "output_len",
    "dataset",
    "repeat",
    "requests",
    "failed",
    "input_tokens",
    "output_tokens",
    "duration_s",
    "ttft_mean_ms",
    "ttft_median_ms",
    "ttft_p99_ms",
    "tpot_mean_ms",
    "tpot_median_ms",
    "tpot_p99_ms",
    "itl_mean_ms",
    "e2el_mean_ms",
    "output_tps",
    "total_tps",
    "goodput_rps",
    "valid",
)

CAPACITY_COLUMNS: tuple[str, ...] = ("precision", "input_len", "output_len", "slo", "by", "capacity", "probes")
PROBE_KEYS: tuple[str, ...] = ("value", "met", "ttft_p99_ms", "tpot_p99_ms", "output_tps")

# Repeats of one case: the mean and the 95 % CI half width of these row values.
REPEAT_METRICS: tuple[str, ...] = ("ttft_mean_ms", "ttft_p99_ms", "tpot_mean_ms", "tpot_p99_ms", "output_tps", "goodput_rps")
REPEAT_COLUMNS: tuple[str, ...] = (
    "precision", "batch_size", "request_rate", "burstiness", "input_len", "output_len", "dataset", "repeats",
    *(f"{m}{suffix}" for m in REPEAT_METRICS for suffix in ("", "_ci95")),
)

ACCURACY_COLUMNS: tuple[str, ...] = ("precision", "benchmark", "mode", "n", "correct", "micro", "macro")

EMBEDDING_KEYS: tuple[str, ...] = ("model", "kind", "mode", "device", "pairs", "reference_check")

# Decimals kept in tables and CSV (JSON keeps full floats).
_DECIMALS: dict[str, int] = {
    "duration_s": 3,
    "micro": 4,
    "macro": 4,
    "score": 4,
}
_DEFAULT_DECIMALS = 2


def _stat(s: Stats | None, name: str) -> float | None:
    return getattr(s, name) if s is not None else None


def serving_rows(results: Results, findings: list[Finding] | None = None) -> list[dict[str, Any]]:
    """One row per serving cell (variants in file order, cells by input length, output length,
    batch size), keys ``SERVING_COLUMNS``. ``findings`` default to ``check_results(results)``."""
    if findings is None:
        findings = check_results(results)
    rows: list[dict[str, Any]] = []
    for v in results.variants:
        for c in sorted(v.serving, key=cell_order):
            m = c.metrics
            row: dict[str, Any] = {
                "precision": v.label,
                "batch_size": c.batch_size,
                "request_rate": c.request_rate,
                "burstiness": c.key.burstiness,  # only an open loop's non-Poisson gamma shape
                # the concurrency achieved (sum E2EL / duration): an open loop's only concurrency
                "concurrency": m.effective_concurrency if m else None,
                "input_len": c.input_len,
                "output_len": c.output_len,
                "dataset": c.dataset,
                "repeat": c.repeat,
                "requests": (m.completed + m.failed) if m else None,
                "failed": m.failed if m else None,
                "input_tokens": m.total_input_tokens if m else None,
                "output_tokens": m.total_output_tokens if m else None,
                "duration_s": m.duration_s if m else None,
                "ttft_mean_ms": _stat(m.ttft_ms, "mean") if m else None,
                "ttft_median_ms": _stat(m.ttft_ms, "median") if m else None,
                "ttft_p99_ms": _stat(m.ttft_ms, "p99") if m else None,
                "tpot_mean_ms": _stat(m.tpot_ms, "mean") if m else None,
                "tpot_median_ms": _stat(m.tpot_ms, "median") if m else None,
                "tpot_p99_ms": _stat(m.tpot_ms, "p99") if m else None,
                "itl_mean_ms": _stat(m.itl_ms, "mean") if m else None,
                "e2el_mean_ms": _stat(m.e2el_ms, "mean") if m else None,
                "output_tps": m.output_throughput if m else None,
                "total_tps": m.total_token_throughput if m else None,
                "goodput_rps": m.goodput_rps if m else None,
                "valid": cell_status(findings, v.label, c.key),
            }
            rows.append(row)
    return rows


def repeat_rows(results: Results, findings: list[Finding] | None = None) -> list[dict[str, Any]]:
    """One row per case (repeats of a cell together), keys ``REPEAT_COLUMNS``: for each of
    ``REPEAT_METRICS`` the mean over repeats and the 95 % CI half width (None for one run)."""
    from reportgen.repeats import repeat_stat

    rows = serving_rows(results, findings)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["precision"], r["batch_size"], r["request_rate"], r["burstiness"], r["input_len"],
                           r["output_len"], r["dataset"]), []).append(r)
    out: list[dict[str, Any]] = []
    for (label, b, rate, g, i, o, ds), rs in groups.items():
        row: dict[str, Any] = {"precision": label, "batch_size": b, "request_rate": rate, "burstiness": g,
                               "input_len": i, "output_len": o, "dataset": ds, "repeats": len(rs)}
        for name in REPEAT_METRICS:
            st = repeat_stat([r[name] for r in rs if r[name] is not None])
            row[name] = st.mean if st else None
            row[f"{name}_ci95"] = st.ci95 if st else None
        out.append(row)
    return out


def capacity_rows(results: Results) -> list[dict[str, Any]]:
    """One row per capacity search, keys ``CAPACITY_COLUMNS``; ``probes`` is a list of objects with
    ``PROBE_KEYS`` in the order probed; ``slo`` the limits as "key=ms,..." text."""
    from reportgen.slo import format_slo

    rows: list[dict[str, Any]] = []
    for v in results.variants:
        for s in v.capacity:
            def num(x: float | None, by: str = s.by) -> float | int | None:
                return int(x) if x is not None and by == "concurrency" else x  # concurrency is a whole number

            probes = []
            for p in s.probes:
                m = p.cell.metrics
                probes.append({
                    "value": num(p.value),
                    "met": p.met,
                    "ttft_p99_ms": _stat(m.ttft_ms, "p99") if m else None,
                    "tpot_p99_ms": _stat(m.tpot_ms, "p99") if m else None,
                    "output_tps": m.output_throughput if m else None,
                })
            rows.append({
                "precision": v.label, "input_len": s.input_len, "output_len": s.output_len,
                "slo": format_slo(s.slo), "by": s.by, "capacity": num(s.capacity), "probes": probes,
            })
    return rows


def format_probes(probes: list[dict[str, Any]]) -> str:
    """Probes in one cell of a table or CSV: ``1:met 2:met 4:miss``."""
    return " ".join(f"{p['value']:g}:{'met' if p['met'] else 'miss'}" for p in probes)


def accuracy_rows(results: Results) -> list[dict[str, Any]]:
    """One row per (variant, benchmark result), keys ``ACCURACY_COLUMNS``; scores are fractions 0-1."""
    rows: list[dict[str, Any]] = []
    for v in results.variants:
        for a in v.accuracy:
            rows.append(
                {
                    "precision": v.label,
                    "benchmark": a.benchmark,
                    "mode": a.mode,
                    "n": a.n,
                    "correct": a.correct,
                    "micro": a.score,
                    "macro": a.macro,
                }
            )
    return rows


def embedding_rows(results: Results) -> list[dict[str, Any]]:
    """One object per (model, kind, mode), keys ``EMBEDDING_KEYS``; runs sharing a key are merged
    (pairs concatenated; reference_check "fail" if any failed, else "pass" if any passed)."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in results.embeddings:
        key = (e.model, e.kind, e.mode)
        row = merged.setdefault(key, {"model": e.model, "kind": e.kind, "mode": e.mode, "device": None, "pairs": [], "reference_check": "none"})
        if row["device"] is None:
            row["device"] = e.device
        row["pairs"].extend({"a": p.a, "b": p.b, "score": p.score} for p in e.pairs)
        status = e.reference_check.status
        if status == "fail" or (status == "pass" and row["reference_check"] == "none"):
            row["reference_check"] = status
    return list(merged.values())


def embedding_pair_rows(results: Results) -> list[dict[str, Any]]:
    """The embedding results flattened to one row per scored pair (for tables and CSV)."""
    rows: list[dict[str, Any]] = []
    for obj in embedding_rows(results):
        pairs = obj["pairs"] or [{"a": None, "b": None, "score": None}]
        for p in pairs:
            rows.append(
                {
                    "model": obj["model"],
                    "kind": obj["kind"],
                    "mode": obj["mode"],
                    "device": obj["device"],
                    "a": p["a"],
                    "b": p["b"],
                    "score": p["score"],
                    "reference_check": obj["reference_check"],
                }
            )
    return rows


EMBEDDING_PAIR_COLUMNS: tuple[str, ...] = ("model", "kind", "mode", "device", "a", "b", "score", "reference_check")


def format_value(column: str, value: Any, missing: str = "") -> str:
    """Text form of one value: floats with the column's decimals, None as ``missing``."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if column == "duration_s" and abs(value * 100 - round(value * 100)) < 1e-6:
            return f"{value:.2f}"  # as vLLM prints it; 3 decimals only when they say something
        return f"{value:.{_DECIMALS.get(column, _DEFAULT_DECIMALS)}f}"
    return str(value)


# --------------------------------------------------------------------------- several files

SOURCE_COLUMN = "source"
# other ÷ baseline at the same case (reportgen.compare): > 1 better for output_tps, < 1 better for latencies
RATIO_COLUMNS: dict[str, str] = {
    "output_tps_ratio": "output_tps",
    "ttft_mean_ratio": "ttft_mean_ms",
    "tpot_mean_ratio": "tpot_mean_ms",
}


def source_name(results: Results, path: str) -> str:
    """``card (file name)``, or the file name when the file names no card."""
    from reportgen.compare.model import card_name

    name = Path(path).name
    card = card_name(results)
    return f"{card} ({name})" if card else name


def multi_serving_rows(files: list[tuple[str, Results]], baseline: int = 0) -> list[dict[str, Any]]:
    """``serving_rows`` of every file, each with a ``source`` and the ``RATIO_COLUMNS`` against the
    baseline file's matching case (None: the baseline file's own rows, no partner, or an invalid
    cell on either side)."""
    from reportgen.compare.matching import case_key
    from reportgen.compare.model import compare

    comparison = compare(files, baseline=baseline)
    by_key = {row.key: row for row in comparison.cases}
    rows: list[dict[str, Any]] = []
    for s in comparison.sources:
        left = {v.label: sorted(v.serving, key=cell_order) for v in s.results.variants}
        variants = {v.label: v for v in s.results.variants}
        for row in serving_rows(s.results, s.findings):
            # the row's cell: the next one of its variant that agrees on every key field the row has
            cells = left[row["precision"]]
            cell = next(c for c in cells if all(row[f] == getattr(c, f) for f in CellKey.model_fields if f in row))
            cells.remove(cell)
            case = by_key[case_key(s.results, variants[row["precision"]], cell)]
            out = {SOURCE_COLUMN: source_name(s.results, s.path), **row}
            for col, metric in RATIO_COLUMNS.items():
                out[col] = None if s.index == baseline else case.ratios[s.index][metric].value
            rows.append(out)
    return rows
