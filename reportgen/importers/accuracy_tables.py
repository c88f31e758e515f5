"""What the accuracy-table importers share (pure functions over text).

The tables themselves are read by ``evalscope_table`` (evalscope report tables), ``lm_eval``
(lm-evaluation-harness JSON and printed tables) and ``opencompass`` (OpenCompass / AISBench
summaries). Here: table rows, the variant a model name or column gives, and the scale.

Scores are kept as fractions (0-1). Whether a table printed fractions or percentages is read
from the table, never from the tool's version: a header that says ``%``, cells printed with a
``%`` sign, or any accuracy value above 1 mean percent; a column of 0.42 ... 0.88 is a fraction.
Only a table whose every value is at most 1 falls back to the tool's convention, and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportgen.importers._text import split_value, to_float
from reportgen.importers.labels import PrecisionInfo, model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.swift_eval import ImportedAccuracy

_SEP = re.compile(r"[│|┃]")
_RULE = re.compile(r"^[\s+\-=|│┃─━┼┤├┬┴╋┣┫┏┓┗┛╭╮╰╯╇╈┡┩┌┐└┘╞╡╪═:]*$")


def table_rows(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(line index, cells) of every table row among ``lines``; rulers skipped."""
    rows = []
    for k, line in enumerate(lines):
        if not _SEP.search(line) or _RULE.match(line):
            continue
        cells = [c.strip().strip("`").strip() for c in _SEP.split(line.strip())]  # markdown code spans: `gsm8k`
        if cells and cells[0] == "":
            cells = cells[1:]
        if cells and cells[-1] == "":
            cells = cells[:-1]
        rows.append((k, cells))
    return rows


def group_for(
    groups: dict[str, ImportedAccuracy], model: str | None, precision: str | None, name: str | None, *, label: str | None = None
) -> ImportedAccuracy:
    """The variant group of a model (name or path): its precision label, or ``label`` when given
    (a column of a several-model table is its own variant, named as printed)."""
    if precision:
        prec = precision_from_label(precision)
    elif model:
        prec = precision_from_path(model)
    else:
        prec = precision_from_label("unknown")
    if label is not None and not precision:
        prec = PrecisionInfo(label, prec.precision, prec.quantization)
    g = groups.get(prec.label)
    if g is None:
        path = model if model and "/" in model else None
        g = groups[prec.label] = ImportedAccuracy(precision=prec, model_path=path, model=name or (model if label else model_name_from_path(model)))
    return g


def column_labels(models: list[str]) -> dict[str, str | None]:
    """Per model column: None when its precision label is its own among the columns, else the
    column name as printed (three FP16 models are three variants, never one)."""
    labels = [precision_from_path(m).label for m in models]
    return {m: (m if labels.count(lab) > 1 else None) for m, lab in zip(models, labels, strict=True)}


# --------------------------------------------------------------------------- scale

# metrics whose values are proportions (printed as a fraction or a percentage)
_PROPORTION = re.compile(
    r"^(acc|acc_norm|accuracy|exact_match|em|f1|mc1|mc2|score|mean_acc|averageaccuracy|weightedaverageaccuracy|pass@\d+|"
    r"mean_\w+|prompt_level_\w+|inst_level_\w+|naive_average|weighted_average|correct|ifeval\w*|strict\w*|loose\w*)(,.*)?$",
    re.IGNORECASE,
)


def is_proportion(metric: str) -> bool:
    """Whether a metric is a proportion (accuracy, exact match, pass@1 ...) rather than a
    perplexity, a BLEU score or a count."""
    return bool(_PROPORTION.match(metric.strip()))


def number_of(cell: str) -> float | None:
    """The number a table cell prints (``0.7325``, ``72%``, ``↑ 0.73``, ``63.31 *``)."""
    value = split_value(cell.strip().lstrip("↑↓ ").rstrip("%").strip())[0]
    return to_float(value)


_SCORE_CELL = re.compile(r"^[↑↓]?\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*%?\s*\*?$")


def is_score_cell(cell: str) -> bool:
    """Whether a cell prints a score alone (``72.5``, ``72%``, ``↑ 0.73``) or nothing (``-``):
    ``1 Atlas 800 A3 (64GB × 16)`` in a note column is not a score of 1."""
    c = cell.strip()
    return c in ("", "-", "--", "N/A", "n/a") or bool(_SCORE_CELL.match(c))


@dataclass(frozen=True)
class Scale:
    percent: bool
    why: str  # "header", "cells", "values", or "convention" (every value at most 1)

    def fraction(self, cell: str) -> float | None:
        v = number_of(cell)
        return None if v is None else (round(v / 100.0, 12) if self.percent else v)  # 77.71 -> 0.7771, not 0.77709999...

    def settings(self) -> dict[str, Any]:
        return {"printed_scale": "percent" if self.percent else "fraction", "scale_from": self.why}


def decide_scale(cells: list[str], *, header: str = "", convention_percent: bool = False) -> Scale:
    """Percent or fraction for a table's proportion cells (see the module docstring)."""
    if "%" in header:
        return Scale(True, "header")
    if any(c.strip().endswith("%") for c in cells):
        return Scale(True, "cells")
    values = [v for v in (number_of(c) for c in cells) if v is not None]
    if any(abs(v) > 1.0 + 1e-9 for v in values):
        return Scale(True, "values")
    if values and convention_percent:
        return Scale(True, "convention")
    return Scale(False, "values" if values else "convention")


def scale_warning(scale: Scale, source: str, what: str, line: int) -> str | None:
    """A warning when the scale could not be read from the table itself."""
    if scale.why != "convention" or not scale.percent:
        return None
    return (f"{source}:{line}: every {what} value is at most 1: read as percentages (the tool's convention); "
            "if they are fractions, the scores are 100 times too small")
