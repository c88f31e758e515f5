"""Loaders of the four benchmarks' original file formats (as laid out in ``datasets/``).

Each loader returns plain ``Item``s in file order; it knows nothing about prompts or
scoring. Anything unexpected (a missing folder or split, a malformed row) raises
``InputFormatError`` with one line naming the file and the row.

* ceval: ``ceval/{dev,val}/<subject>_<split>.csv`` with a header, UTF-8, CRLF, fields may hold
  embedded newlines; ``ceval/subject_mapping.json`` gives the Chinese name and category.
* gsm8k: ``gsm8k/<split>.jsonl``, one ``{"question", "answer"}`` object per line.
* mmlu: ``mmlu/<split>/<subject>_<split>.csv`` without header: question, A, B, C, D, answer.
* bbh: ``bbh/bbh/<task>.json`` ``{"examples": [{"input", "target"}]}`` and
  ``bbh/cot-prompts/<task>.txt`` whose first two lines (canary, ``-----``) are dropped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen._io import read_text
from reportgen.errors import InputFormatError

LETTERS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Item:
    """One question of a benchmark, as read from its file."""

    id: str  # "<subset>/<key>": unique within the benchmark
    subset: str
    fields: dict[str, Any] = field(default_factory=dict)  # the row: question, A..D, answer / input, target


def _need_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise InputFormatError(f"{path}: no such directory ({what})")
    return path


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Rows with the line number each starts on (CSV records may span several lines)."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as e:
        raise InputFormatError(f"{path}: line {reader.line_num}: malformed CSV: {e}") from None
    return rows


def _split_files(directory: Path, split: str, what: str) -> list[tuple[str, Path]]:
    """``(subject, file)`` for every ``<subject>_<split>.csv`` in ``directory``, sorted."""
    _need_dir(directory, what)
    suffix = f"_{split}.csv"
    files = sorted(p for p in directory.iterdir() if p.name.endswith(suffix))
    if not files:
        raise InputFormatError(f"{directory}: no *{suffix} files ({what})")
    return [(p.name[: -len(suffix)], p) for p in files]


def _check_letter(path: Path, line: int, answer: str) -> str:
    if answer not in LETTERS:
        raise InputFormatError(f"{path}: row at line {line}: answer {answer!r} is not one of A, B, C, D")
    return answer


# --------------------------------------------------------------------------- ceval


def load_ceval_mapping(root: Path) -> dict[str, tuple[str, str, str]]:
    """subject -> (English name, Chinese name, category)."""
    path = root / "ceval" / "subject_mapping.json"
    try:
        raw = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}") from None
    out: dict[str, tuple[str, str, str]] = {}
    for subject, value in raw.items() if isinstance(raw, dict) else []:
        if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
            raise InputFormatError(f"{path}: entry {subject!r}: expected [English, Chinese, category]")
        out[subject] = (value[0], value[1], value[2])
    if not out:
        raise InputFormatError(f"{path}: expected an object of subject -> [English, Chinese, category]")
    return out


def load_ceval(root: Path, split: str = "val") -> list[Item]:
    directory = root / "ceval" / split
    items: list[Item] = []
    for subject, path in _split_files(directory, split, f"ceval {split} split"):
        rows = _csv_rows(path)
        if not rows:
            raise InputFormatError(f"{path}: empty file (expected a header row)")
        header = [h.strip().lstrip("\ufeff") for h in rows[0][1]]
        need = ["id", "question", *LETTERS, "answer"]
        missing = [h for h in need if h not in header]
        if missing:
            raise InputFormatError(f"{path}: header lacks column(s) {', '.join(missing)}")
        seen: set[str] = set()
        for line, row in rows[1:]:
            if len(row) != len(header):
                raise InputFormatError(
                    f"{path}: row at line {line}: {len(row)} fields, the header has {len(header)}"
                )
            rec = dict(zip(header, row))
            _check_letter(path, line, rec["answer"].strip())
            rec["answer"] = rec["answer"].strip()
            key = rec["id"].strip()
            if key in seen:
                raise InputFormatError(f"{path}: row at line {line}: id {key!r} appears twice")
            seen.add(key)
            items.append(Item(id=f"{subject}/{key}", subset=subject, fields=rec))
    return items


# --------------------------------------------------------------------------- mmlu


def load_mmlu(root: Path, split: str = "test") -> list[Item]:
    directory = root / "mmlu" / split
    items: list[Item] = []
    for subject, path in _split_files(directory, split, f"mmlu {split} split"):
        for index, (line, row) in enumerate(_csv_rows(path)):
            if len(row) != 6:
                raise InputFormatError(
                    f"{path}: row {index + 1} (line {line}): {len(row)} fields, expected 6 "
                    "(question, A, B, C, D, answer)"
                )
            answer = _check_letter(path, line, row[5].strip())
            rec = {"question": row[0], "A": row[1], "B": row[2], "C": row[3], "D": row[4], "answer": answer}
            items.append(Item(id=f"{subject}/{index}", subset=subject, fields=rec))
    return items


# --------------------------------------------------------------------------- gsm8k


def load_gsm8k(root: Path, split: str = "test") -> list[Item]:
    path = _need_dir(root / "gsm8k", "gsm8k") / f"{split}.jsonl"
    items: list[Item] = []
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputFormatError(f"{path}: line {lineno}: not valid JSON: {e.msg}") from None
        if not (isinstance(rec, dict) and isinstance(rec.get("question"), str) and isinstance(rec.get("answer"), str)):
            raise InputFormatError(f"{path}: line {lineno}: expected an object with string 'question' and 'answer'")
        if "####" not in rec["answer"]:
            raise InputFormatError(f"{path}: line {lineno}: answer has no '#### <number>' line")
        items.append(Item(id=f"main/{lineno - 1}", subset="main", fields=rec))
    if not items:
        raise InputFormatError(f"{path}: no questions")
    return items


# --------------------------------------------------------------------------- bbh


def load_bbh(root: Path, split: str = "test") -> list[Item]:
    """BBH has one split (``test``): every example of every task file."""
    if split != "test":
        raise InputFormatError(f"bbh has only the 'test' split, not {split!r}")
    directory = _need_dir(root / "bbh" / "bbh", "bbh task files")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise InputFormatError(f"{directory}: no *.json task files")
    items: list[Item] = []
    for path in files:
        task = path.stem
        try:
            doc = json.loads(read_text(path))
        except json.JSONDecodeError as e:
            raise InputFormatError(f"{path}: not valid JSON: {e.msg} at line {e.lineno}") from None
        examples = doc.get("examples") if isinstance(doc, dict) else None
        if not isinstance(examples, list):
            raise InputFormatError(f"{path}: expected an object with an 'examples' list")
        for index, ex in enumerate(examples):
            if not (isinstance(ex, dict) and isinstance(ex.get("input"), str) and isinstance(ex.get("target"), str)):
                raise InputFormatError(f"{path}: example {index}: expected string 'input' and 'target'")
            items.append(Item(id=f"{task}/{index}", subset=task, fields=dict(ex)))
    return items


def load_bbh_cot_prompt(root: Path, task: str) -> str:
    """The 3-shot CoT exemplars of a task, without the two canary lines."""
    path = root / "bbh" / "cot-prompts" / f"{task}.txt"
    lines = read_text(path).split("\n")
    if len(lines) < 3 or "canary" not in lines[0].lower() or not lines[1].startswith("-----"):
        raise InputFormatError(f"{path}: line 1-2: expected the canary line and '-----'")
    return "\n".join(lines[2:])
