"""Parse ms-swift ``swift eval`` logs.

Two printed forms of the scores:

* ``[INFO:swift] result: {'ceval': 0.6657, 'gsm8k': 0.7915}`` -- a Python dict repr;
* the llmuses / evalscope ``** Report table:`` table, either as ``tabulate`` printed it
  (``| Model | ceval | ... |`` rows with ``(ceval/acc) 0.6501`` cells) or as PDF
  extraction left it (tab-separated ``Model	ceval	gsm8k`` / ``	(ceval/acc) 0.6501	...``).

Scores are attributed to the model of the closest preceding ``swift eval`` command
(``--model_id_or_path``), unless a precision label is given. Several result lines for the
same variant merge into one set of benchmarks (a later score for the same benchmark wins).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from reportgen.errors import InputFormatError
from reportgen.importers.labels import PrecisionInfo, model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import Reading
from reportgen.redact import redact
from reportgen.results import AccuracyResult, ImportInfo

_RESULT = re.compile(r"\[INFO:swift\]\s*result:\s*(\{.*\})\s*$")
_SWIFT_INFO = re.compile(r"^\s*\[INFO:swift\]")
_DICT_ITEM = re.compile(r"""['"]([^'"]+)['"]\s*:\s*([-+0-9.eE]+|None|nan)""")
_TABLE_START = re.compile(r"(?:\*\*\s*)?Report table\s*:")
_CELL = re.compile(r"\(([^()/\s]+)/([^()\s]+)\)\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_END_TIME = re.compile(r"End time of running main:\s*(.+?)\s*$")
_LINE_NO = re.compile(r"^\s*\d+\s+")


@dataclass
class ImportedAccuracy:
    """The scores a log gives for one model variant."""

    precision: PrecisionInfo
    model_path: str | None = None
    model: str | None = None
    command: str | None = None
    results: list[AccuracyResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, printed by ``reportgen import``

    @property
    def label(self) -> str:
        return self.precision.label


def _command_at(lines: list[str], i: int) -> tuple[str, int]:
    """The ``swift eval`` command starting at line ``i`` with its ``\\`` continuations.

    A leading document line number (``1 CUDA_VISIBLE_DEVICES=0 swift eval \\``) is removed
    from every line when the first line has one."""
    numbered = bool(_LINE_NO.match(lines[i])) and not lines[i].lstrip().startswith(("swift", "CUDA"))
    out: list[str] = []
    j = i
    while j < len(lines):
        line = lines[j].rstrip()
        if numbered:
            line = _LINE_NO.sub("", line, count=1)
        out.append(line)
        if not line.endswith("\\"):
            break
        j += 1
    return "\n".join(out), j


def _option(command: str, name: str) -> str | None:
    m = re.search(rf"--{name}(?:\s+|=)(\S+)", command)
    return m.group(1) if m else None


def find_swift_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Each ``[INFO:swift] result:`` line (with the ``[INFO:swift]`` lines after it) and each
    ``Report table:`` with its table."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _RESULT.search(line):
            last = i
            while last + 1 < len(lines) and _SWIFT_INFO.match(lines[last + 1]) and not _RESULT.search(lines[last + 1]):
                last += 1
        elif _TABLE_START.search(line):
            last = i
            for j in range(i + 1, len(lines)):
                row = lines[j]
                if not row.strip():
                    if last > i:
                        break
                    continue
                if not (row.lstrip().startswith(("|", "+")) or "\t" in row or _CELL.search(row) or row.strip().startswith("Model")):
                    break
                last = j
        else:
            i += 1
            continue
        out.append((i, last))
        i = last + 1
    return out


def parse_swift_eval(
    text: str,
    source: str,
    *,
    precision: str | None = None,
    model: str | None = None,
) -> list[ImportedAccuracy]:
    """Scores in ``text`` grouped by variant, in order of appearance. Raises
    ``InputFormatError`` when no result line or report table is found, or when the
    variant cannot be told (no ``swift eval`` command before it and no ``precision``)."""
    lines = redact(text).splitlines()
    groups: dict[str, ImportedAccuracy] = {}
    command: str | None = None
    block = 0
    found = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if "swift eval" in line and not _RESULT.search(line):
            command, i = _command_at(lines, i)
            i += 1
            continue
        scores: list[tuple[str, str, str | None, int]] = []  # benchmark, printed value, metric, line
        fmt = ""
        if m := _RESULT.search(line):
            fmt = "swift-log"
            try:
                parsed = ast.literal_eval(m.group(1))
            except (ValueError, SyntaxError):
                raise InputFormatError(f"{source}:{i + 1}: result line is not a Python dict: {m.group(1)!r}") from None
            if not isinstance(parsed, dict):
                raise InputFormatError(f"{source}:{i + 1}: result line is not a Python dict")
            scores = [(k, v, None, i) for k, v in _DICT_ITEM.findall(m.group(1))]
            first, last = i, i
            while last + 1 < len(lines) and _SWIFT_INFO.match(lines[last + 1]) and not _RESULT.search(lines[last + 1]):
                last += 1
        elif _TABLE_START.search(line):
            fmt = "llmuses-table"
            first, last = i, i
            j = i + 1
            while j < len(lines):
                row = lines[j]
                if not row.strip():
                    if last > i:  # blank line after the table: its end
                        break
                    j += 1
                    continue
                if not (row.lstrip().startswith(("|", "+")) or "\t" in row or _CELL.search(row) or row.strip().startswith("Model")):
                    break
                scores.extend((b, v, metric, j) for b, metric, v in _CELL.findall(row))
                last = j
                j += 1
            if not scores:
                raise InputFormatError(f"{source}:{i + 1}: report table has no '(benchmark/metric) score' cells")
        else:
            i += 1
            continue

        found = True
        model_path = _option(command, "model_id_or_path") if command else None
        if precision:
            prec = precision_from_label(precision)
        elif model_path:
            prec = precision_from_path(model_path)
        else:
            raise InputFormatError(
                f"{source}:{i + 1}: no 'swift eval --model_id_or_path' command before these scores; pass --precision"
            )
        group = groups.get(prec.label)
        if group is None:
            group = groups[prec.label] = ImportedAccuracy(
                precision=prec, model_path=model_path, model=model or model_name_from_path(model_path), command=command
            )
        block_text = "\n".join(lines[first : last + 1])
        end_time = next((em.group(1) for k in range(first, last + 1) if (em := _END_TIME.search(lines[k]))), None)
        for bench, value, metric, at in scores:
            settings: dict[str, object] = {}
            if model_path:
                settings["model_id_or_path"] = model_path
            if metric:
                settings["metric"] = metric
            if end_time:
                settings["finished_at"] = end_time
            result = AccuracyResult(
                benchmark=bench,
                mode="swift2024",
                source="imported",
                score=None if value in ("None", "nan") else float(value),
                settings=settings,
                command=command,
                import_info=_info(source, block, fmt, bench, value, at, block_text),
            )
            group.results = [r for r in group.results if r.benchmark != bench] + [result]
        block += 1
        i = last + 1
    if not found:
        raise InputFormatError(f"{source}: no '[INFO:swift] result:' line or 'Report table:' found")
    return list(groups.values())


def _info(source: str, block: int, fmt: str, bench: str, value: str, line: int, text: str) -> ImportInfo:
    """The score's printed value, its line, and the score resting on it."""
    rd = Reading(source, fmt, block)
    label = rd.saw(bench, value, line)
    if value not in ("None", "nan"):
        rd.read("score", label)
    return rd.info(text=text)
