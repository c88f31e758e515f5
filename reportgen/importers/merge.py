"""Add imported items to a results document.

A serving cell replaces an existing cell of the same variant, batch size, input and
output length; an accuracy result replaces one of the same variant, benchmark and mode.
Each function returns the one line the CLI prints for the item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reportgen.importers.labels import PrecisionInfo
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.importers.vllm_log import ImportedCell
from reportgen.results import ModelVariant, Results


def variant_for(
    results: Results, precision: PrecisionInfo, *, model: str | None = None, model_path: str | None = None
) -> ModelVariant:
    """The variant with this label (created if absent); empty descriptive fields are filled."""
    v = results.variant(precision.label)
    if v.model is None:
        v.model = model
    if v.model_path is None:
        v.model_path = model_path
    if v.precision is None:
        v.precision = precision.precision
    if v.quantization is None:
        v.quantization = precision.quantization
    return v


T = TypeVar("T")


def _put(items: list[T], new: T, same: Callable[[T], bool]) -> bool:
    """Put ``new`` in place of the first item ``same`` matches, dropping any later matches,
    or append it. Whether an item was replaced."""
    old = [i for i, x in enumerate(items) if same(x)]
    if not old:
        items.append(new)
        return False
    items[old[0]] = new
    for i in reversed(old[1:]):
        del items[i]
    return True


def add_cell(results: Results, item: ImportedCell) -> str:
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    c = item.cell
    replaced = _put(v.serving, c, lambda x: x.key == c.key)
    action = "replaced the existing cell" if replaced else "added"
    m = c.metrics
    info = c.import_info
    where = f"{info.file} block {info.block}" if info else "?"
    figures = f", {m.completed} ok, {m.total_output_tokens} tokens in {m.duration_s:g} s" if m else ""
    records = f", {len(c.requests)} request records" if c.requests else ""
    return (
        f"{where}: {v.label} batch {c.batch_size}, input {c.input_len}, output {c.output_len}"
        f"{figures}{records}: {action}"
    )


def add_accuracy(results: Results, item: ImportedAccuracy) -> list[str]:
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    lines: list[str] = []
    for r in item.results:
        same = (r.benchmark, r.mode)
        replaced = _put(v.accuracy, r, lambda x, same=same: (x.benchmark, x.mode) == same)  # type: ignore[misc]
        action = "replaced the existing score" if replaced else "added"
        info = r.import_info
        where = f"{info.file} block {info.block}" if info else "?"
        printed = info.printed.get(r.benchmark) if info else None
        lines.append(f"{where}: {v.label} {r.benchmark} = {printed if printed is not None else r.score} ({r.mode}): {action}")
    return lines
