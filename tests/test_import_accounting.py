"""Accounting over the whole real corpus: an import is never silently wrong.

For every recognised block of every file in tests/fixtures/real:

1. every number the format-blind scan finds in the block (after ``label:``, in a table cell, as
   a JSON leaf) was seen by the importer -- used by a field or listed as not used;
2. every field the importer set rests on printed values: read from one (or several that agree),
   or derived from others and then named in ``derived``;
3. a field read from a printed value equals it (in the printed unit, or converted s -> ms,
   percent -> fraction), to the printed rounding;
4. the numbers not used are exactly those listed by eye in the file's ``.expected.json``
   (``not_used``: labels), so a number that goes unused is a decision someone read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reportgen.importers.blocks import Block, infos_of, read_blocks
from reportgen.importers.cells import RunParams
from reportgen.importers.formats import FORMATS
from reportgen.importers.ledger import NUMBER
from reportgen.results import AccuracyResult, ServingCell, ServingMetrics, Stats

CORPUS = Path(__file__).resolve().parent / "fixtures" / "real"
FILES = sorted(
    p for p in CORPUS.rglob("*")
    if p.is_file() and p.name != "SOURCES.md" and not p.name.endswith(".expected.json") and p.parent.name not in ("smi", "lspci")
)


def _expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    return data


def _options(exp: dict[str, Any]) -> dict[str, Any]:
    """The options a user passes for a file that needs them (its first ``then``)."""
    if "error" in exp:
        return dict(exp["then"][0]["options"]) if exp.get("then") else {}
    return dict(exp.get("options", {}))


def _blocks(path: Path) -> list[Block]:
    exp = _expected(path)
    if "error" in exp and not exp.get("then"):
        pytest.skip("refused with one line (test_real_corpus): nothing imported to account for")
    _, blocks = read_blocks(path.read_text(encoding="utf-8"), str(path.relative_to(CORPUS)), RunParams(**_options(exp)), FORMATS)
    return blocks


# --------------------------------------------------------------------------- the fields an item sets


def _stats_fields(prefix: str, s: Stats | None) -> dict[str, float]:
    if s is None:
        return {}
    out = {f"{prefix}.{k}": v for k in ("mean", "median", "std", "p90", "p99", "min", "max") if (v := getattr(s, k)) is not None}
    out.update({f"{prefix}.percentiles.{k}": v for k, v in s.percentiles.items()})
    return out


def serving_fields(cell: ServingCell) -> dict[str, float]:
    out: dict[str, float] = {"batch_size": cell.batch_size, "input_len": cell.input_len, "output_len": cell.output_len}
    for k in ("request_rate", "burstiness", "num_requests", "duration_s"):
        if (v := getattr(cell, k)) is not None:
            out[k] = v
    m: ServingMetrics | None = cell.metrics
    if m is None or cell.requests:  # metrics recomputed from request records: they rest on the records
        return out
    for k in ("completed", "failed", "duration_s", "total_input_tokens", "total_output_tokens", "request_throughput",
              "input_throughput", "output_throughput", "total_token_throughput", "effective_concurrency", "prefill_tps",
              "legacy_latency_per_token_ms", "goodput_rps", "achieved_rate"):
        if (v := getattr(m, k)) is not None:
            out[f"metrics.{k}"] = v
    for k in ("ttft_ms", "tpot_ms", "itl_ms", "e2el_ms", "tfat_ms", "lateness_ms"):
        out.update(_stats_fields(f"metrics.{k}", getattr(m, k)))
    out.update({f"metrics.extra.{k}": v for k, v in m.extra.items()})
    return out


def _leaves(prefix: str, obj: Any) -> dict[str, float]:
    if isinstance(obj, dict):
        out: dict[str, float] = {}
        for k, v in obj.items():
            out.update(_leaves(f"{prefix}.{k}", v))
        return out
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return {prefix: obj}
    return {}


def accuracy_fields(r: AccuracyResult) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in ("score", "n", "n_total", "shots", "correct"):
        if (v := getattr(r, k)) is not None:
            out[k] = v
    out.update(_leaves("settings", r.settings))
    return out


def _pairs(items: list[Any]) -> list[tuple[Any, dict[str, float]]]:
    out: list[tuple[Any, dict[str, float]]] = []
    for it in items:
        cell = getattr(it, "cell", None)
        if cell is not None:
            out.append((cell.import_info, serving_fields(cell)))
        for r in getattr(it, "results", []) or []:
            out.append((r.import_info, accuracy_fields(r)))
    return out


# --------------------------------------------------------------------------- checks

_SCALES = (1.0, 1000.0, 0.001, 0.01, 100.0)


def _printed_number(text: str) -> tuple[float, int] | None:
    m = re.search(NUMBER, text.replace(",", "") if re.fullmatch(r"[\d,]+(\.\d+)?", text.strip()) else text)
    if not m:
        return None
    digits = len(m.group(0).split(".", 1)[1]) if "." in m.group(0) and "e" not in m.group(0).lower() else 0
    return float(m.group(0).replace(",", "")), digits


def _agrees(value: float, text: str) -> bool:
    got = _printed_number(text)
    if got is None:
        return False
    p, digits = got
    tol = 0.5 * 10.0**-digits if digits else 0.5
    return any(abs(value - p * f) <= tol * f * 1.000001 + 1e-9 * max(abs(value), 1.0) for f in _SCALES)


def _problems(path: Path) -> list[str]:
    name = str(path.relative_to(CORPUS)) if path.is_relative_to(CORPUS) else path.name
    out: list[str] = []
    blocks = _blocks(path) if path.is_relative_to(CORPUS) else read_blocks(path.read_text(encoding="utf-8"), name, RunParams(), FORMATS)[1]
    for b in blocks:
        if not b.items:
            continue
        assert b.account is not None
        where = f"{name} block {b.index} (lines {b.lines}, {b.fmt.name if b.fmt else '?'})"
        out += [f"{where}: line {u.line} {u.label!r} = {u.text!r} was never seen by the importer" for u in b.account.unused if not u.seen]
        for info, fields in _pairs(b.items):
            assert info is not None and info.first_line == b.first + 1 and info.last_line == b.last + 1, where
            for path_, value in fields.items():
                labels = info.rests_on.get(path_)
                if labels is None:
                    out.append(f"{where}: {path_} = {value!r} rests on nothing printed")
                    continue
                if not labels:
                    out.append(f"{where}: {path_}: empty rests_on")
                leaf = path_.rsplit(".", 1)[-1]  # derived: "input_len", or "input_len from input_lens" (how)
                derived = any(d in (leaf, path_) or d.startswith((f"{leaf} ", f"{path_} ")) for d in info.derived)
                if derived:
                    continue
                texts = []
                for label in labels:
                    text = info.printed.get(label)
                    if text is None and not label.startswith("--"):  # "--batch-size": given to reportgen import
                        out.append(f"{where}: {path_} rests on {label!r}, which was not printed")
                    elif text is not None:
                        texts.append(text)
                # read: equal to what it rests on (several labels: the same count printed twice, or
                # the smaller of concurrency and requests sent -- one of them)
                if texts and not any(_agrees(float(value), t) for t in texts):
                    out.append(f"{where}: {path_} = {value!r} but {labels!r} printed {texts!r}")
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_printed_number_is_accounted_for(path: Path) -> None:
    problems = _problems(path)
    assert not problems, "\n".join(problems)


SEED = sorted((CORPUS.parents[2] / "samples" / "seed").glob("*/*.log"))


@pytest.mark.parametrize("path", SEED, ids=lambda p: p.name)
def test_the_seed_documents_logs_are_accounted_for(path: Path) -> None:
    """The seed document's own logs (the formats the corpus has few of: swift eval)."""
    problems = _problems(path)
    assert not problems, "\n".join(problems)
    _, blocks = read_blocks(path.read_text(encoding="utf-8"), path.name, RunParams(), FORMATS)
    assert blocks and all(b.items for b in blocks)
    assert all(b.account is not None and b.account.used for b in blocks)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_numbers_not_used_are_the_ones_read_by_eye(path: Path) -> None:
    want = sorted(_expected(path).get("not_used", []))
    got = sorted({u.label for b in _blocks(path) if b.account for u in b.account.unused})
    assert got == want, f"not used: {got}"


def test_every_block_is_listed() -> None:
    """Every block of every file is in the listing: imported, refused with a reason, or claimed by
    no format (and then shown by its lines)."""
    for path in FILES:
        for b in _blocks(path) if "error" not in _expected(path) or _expected(path).get("then") else []:
            assert b.items or b.note or b.fmt is None, f"{path.name}: block {b.index} neither imported nor explained"
            if b.items:
                assert infos_of(b.items)
