"""Which cells of several results files are the same operating point.

A serving case is identified across files by ``CaseKey``: the model, the variant's kind
(``reportgen.variant_roles.variant_kind``: FP16, GPTQ-Int4, ...) and the cell's own identity
(``reportgen.results.CellKey``) without its repeat number. Repeats of one case in one file are
gathered under the same key; the comparison pools them (``reportgen.compare.model``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from reportgen.results import CellKey, ModelVariant, Results, ServingCell
from reportgen.variant_roles import variant_kind


def model_name(results: Results, variant: ModelVariant | None = None) -> str | None:
    """The model a variant (or, without one, the file) measured, as the file names it."""
    if variant is not None:
        for name in (variant.model, results.subject.model, variant.model_path, variant.served_model_name):
            if name:
                return os.path.basename(name.rstrip("/")) or name
        return None
    if results.subject.model:
        return results.subject.model
    for v in results.variants:
        name = model_name(results, v)
        if name:
            return name
    return None


def model_id(name: str | None) -> str:
    """The model's identity for matching: case and an "org/" prefix do not matter."""
    if not name:
        return ""
    return name.rstrip("/").rsplit("/", 1)[-1].strip().lower()


@dataclass(frozen=True, order=True)
class CaseKey:
    """One operating point, comparable across files."""

    model: str  # model_id(...)
    kind: str  # variant_kind(...)
    cell: tuple[int, int, int, float, str]  # input_len, output_len, batch_size, request_rate (-1: closed loop), dataset

    @property
    def input_len(self) -> int:
        return self.cell[0]

    @property
    def output_len(self) -> int:
        return self.cell[1]

    @property
    def batch_size(self) -> int:
        return self.cell[2]

    @property
    def request_rate(self) -> float | None:
        return None if self.cell[3] < 0 else self.cell[3]

    @property
    def dataset(self) -> str:
        return self.cell[4]


def case_key(results: Results, variant: ModelVariant, cell: ServingCell | CellKey) -> CaseKey:
    key = cell.key if isinstance(cell, ServingCell) else cell
    rate = -1.0 if key.request_rate is None else float(key.request_rate)
    return CaseKey(
        model=model_id(model_name(results, variant)),
        kind=variant_kind(variant),
        cell=(key.input_len, key.output_len, key.batch_size, rate, key.dataset),
    )


def cases(results: Results) -> dict[CaseKey, list[tuple[ModelVariant, ServingCell]]]:
    """Every serving case of a file with the cells (repeats) that measured it, in file order."""
    out: dict[CaseKey, list[tuple[ModelVariant, ServingCell]]] = {}
    for v in results.variants:
        for c in v.serving:
            out.setdefault(case_key(results, v, c), []).append((v, c))
    return out


def match_cases(files: list[Results]) -> list[CaseKey]:
    """The union of every file's cases, sorted (model, kind, lengths, load): one row each."""
    keys: set[CaseKey] = set()
    for r in files:
        keys.update(cases(r))
    return sorted(keys)
