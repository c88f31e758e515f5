"""OpenCompass (and AISBench, its fork) summaries (pure functions over text).

``dataset, version, metric, mode, <model>...`` as the summary CSV, the text table the run
prints (columns aligned by spaces, a ``---`` ruler), a markdown table, or any of them pasted as
``#`` comments into a config. One score per dataset row and model column: every column is its
own variant (named by its precision, or as printed when several columns share one). OpenCompass
prints percentages; a table whose every value is at most 1 cannot show it and is read by that
convention with a warning. AISBench's ``Task [abbr/dataset]: {'accuracy': 94.768...}`` log lines
above the table give the unrounded score of the same cell.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines
from reportgen.importers.accuracy_tables import (
    column_labels,
    decide_scale,
    group_for,
    is_score_cell,
    number_of,
    scale_warning,
)
from reportgen.importers.ledger import Reading
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.results import AccuracyResult

_HEADER = re.compile(
    r"^(?:model\s*[,|│\s]\s*)?dataset\s*[,|│\s]\s*(?:version|model)\s*[,|│\s]\s*(?:version\s*[,|│\s]\s*)?metric\s*[,|│\s]\s*mode\b",
    re.IGNORECASE,
)
_ROLES = ("dataset", "version", "metric", "mode", "model")
_PREFIX = re.compile(r"^\s*(?:#+\s?)?\s*(?:\*\*)?")
_RULER = re.compile(r"^[\s\-|:+=]+$")
_TASK = re.compile(r"Task \[(?P<abbr>[^\]/]+)/(?P<dataset>[^\]]+)\]\s*:\s*(?P<dict>\{.*\})\s*$")


def _body(line: str) -> tuple[str, str]:
    """(prefix, rest): the comment marker / indentation / bold markup before a row, and the row."""
    m = _PREFIX.match(line)
    prefix = m.group(0) if m else ""
    body = line[len(prefix):].strip().rstrip("*").strip()
    if body.startswith("|"):  # a markdown table: "| dataset | version | ..."
        body = body.strip("|").strip()
        return ("#" if "#" in prefix else "") + "|", body.replace(" | ", " | ")
    return ("#" if "#" in prefix else ""), body


def looks_like_opencompass(text: str) -> bool:
    return any(_HEADER.match(_body(line)[1]) for line in text.splitlines())


def find_opencompass_tables(lines: list[str]) -> list[tuple[int, int]]:
    """Each summary: its header and rows (same comment marker, no blank line), with AISBench's
    ``Task [...]: {...}`` lines just above it."""
    out: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        mark, body = _body(line)
        if not _HEADER.match(body) or (out and k <= out[-1][1]):
            continue
        last = k
        for j in range(k + 1, len(lines)):
            m2, b2 = _body(lines[j])
            if not b2 or m2 != mark:
                break
            last = j
        first = k
        for j in range(k - 1, max(k - 40, -1), -1):
            if _TASK.search(lines[j]):
                first = j
            elif " - INFO - " not in lines[j] and lines[j].strip():
                break
        out.append((first, last))
    return out


def _split(body: str, sep: str | None) -> list[str]:
    if sep == "|":
        return [c.strip() for c in body.strip().strip("|").split("|")]
    if sep == ",":
        return [c.strip() for c in body.split(",")]
    return body.split()


def parse_opencompass(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of every OpenCompass summary in ``text``; one variant per model column."""
    lines = clean_lines(text)
    precise: dict[tuple[str, str, str], tuple[int, float, str]] = {}  # (abbr, dataset, metric) -> line, value, text
    for k, line in enumerate(lines):
        if m := _TASK.search(line):
            try:
                d = ast.literal_eval(m.group("dict"))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(d, dict):
                for metric, v in d.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        precise[(m.group("abbr"), m.group("dataset"), str(metric))] = (k, float(v), repr(v))
    tables: list[tuple[int, list[str], str | None, list[tuple[int, list[str], str]]]] = []
    for k, raw in enumerate(lines):
        mark, body = _body(raw)
        if not body:
            continue
        if _HEADER.match(body):
            sep = "|" if mark.endswith("|") else ("," if "," in body else None)
            tables.append((k, _split(body, sep), sep, []))
            continue
        if not tables or _RULER.match(body):
            continue
        h_line, header, sep, rows = tables[-1]
        cells = _split(body, sep)
        if len(cells) == len(header) and not cells[0].startswith("-"):
            rows.append((k, cells, raw))
    groups: dict[str, ImportedAccuracy] = {}
    warnings: list[str] = []
    for h_line, header, _sep, rows in tables:
        role = {name.lower(): i for i, name in enumerate(header) if name.lower() in _ROLES}
        score_cols = [i for i in range(len(header)) if header[i].lower() not in _ROLES]
        for i in [i for i in score_cols if not all(is_score_cell(cells[i]) for _, cells, _ in rows)]:
            score_cols.remove(i)  # a note column after the model columns: text, never a score
            warnings.append(f"{source}:{h_line + 1}: column '{header[i]}' holds text, not scores: not read")
        scale = decide_scale([cells[i] for _, cells, _ in rows for i in score_cols], convention_percent=True)
        if (w := scale_warning(scale, source, "OpenCompass score", h_line + 1)) is not None:
            warnings.append(w)
        # the variants: a model column names one per row; otherwise each score column is one
        models = list(dict.fromkeys(cells[role["model"]] for _, cells, _ in rows)) if "model" in role else [header[i] for i in score_cols]
        labels = column_labels(models) if len(models) > 1 else {}
        for k, cells, raw in rows:
            dataset = cells[role["dataset"]]
            version = cells[role["version"]] if "version" in role else ""
            metric, mode = cells[role["metric"]], cells[role["mode"]]
            for i in score_cols:
                col, value = header[i], cells[i]
                name = cells[role["model"]] if "model" in role else col
                g = group_for(groups, name, precision, model, label=labels.get(name))
                rd = Reading(source, "opencompass-summary")
                label = rd.saw(f"{dataset}/{name}" + (f"/{col}" if "model" in role else ""), value, k)
                settings: dict[str, Any] = {"metric": metric, "version": version, "mode": mode, "model": name, **scale.settings()}
                if "model" in role:
                    settings["column"] = col  # the API / model abbreviation the score column is named by
                if raw.strip().lstrip("#").strip().startswith("**"):
                    settings["printed_markup"] = "bold"
                score = scale.fraction(value)
                if score is not None:
                    rd.read("score", label)
                    exact = precise.get((col, dataset, metric))
                    if exact is not None and _rounds_to(exact[1], value):
                        score = exact[1] / 100.0 if scale.percent else exact[1]
                        rd.read("score", rd.saw(f"Task [{col}/{dataset}] {metric}", exact[2], exact[0]), label)
                        settings["unrounded_from"] = "log"
                result = AccuracyResult(
                    benchmark=dataset, mode="unknown", source="imported", score=score, settings=settings,
                    import_info=rd.info(text=raw),
                )
                before = next((r for r in g.results if r.benchmark == dataset), None)
                if before is not None and before.score == score and before.import_info is not None:
                    for lab, val in before.import_info.printed.items():  # the same score printed twice: both rows kept
                        at = before.import_info.printed_at.get(lab)
                        rd.read("score", *rd.rests_on.get("score", []), rd.saw(lab, val, at - 1 if at else None))
                    result.import_info = rd.info(text=raw)
                elif before is not None and before.score != score:  # a dataset printed twice with two scores: never silently one
                    warnings.append(f"{source}:{k + 1}: {dataset} ({name}) printed again with {value}, earlier "
                                    f"{before.import_info.printed.get(next(iter(before.import_info.printed)), '?') if before.import_info else '?'}: the later row is kept")
                g.results = [r for r in g.results if r.benchmark != dataset] + [result]
    if not groups:
        raise InputFormatError(f"{source}: no OpenCompass summary (dataset,version,metric,mode,...) found")
    out = list(groups.values())
    if out:
        out[0].warnings += warnings
    return out


def _rounds_to(exact: float, printed: str) -> bool:
    m = re.search(r"\.(\d+)", printed)
    digits = len(m.group(1)) if m else 0
    v = number_of(printed)
    return v is not None and abs(round(exact, digits) - v) < 0.5 * 10 ** -digits + 1e-12
