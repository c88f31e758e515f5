"""Add imported items to a results document.

Within one import, blocks with the same cell key (variant, concurrency, lengths, request rate,
dataset) are different runs of one case: they are kept apart as repeats 0, 1, ... (``number_repeats``).
Against the results file, a cell with the same key is replaced -- and the line says so -- unless
it is the same block imported again (same printed text), which changes nothing. An accuracy
result replaces one of the same variant, benchmark and mode. Each function returns the one line
the CLI prints for the item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reportgen.importers.labels import PrecisionInfo
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.importers.vllm_log import ImportedCell
from reportgen.results import CellKey, ModelVariant, Results, ServingCell


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


def number_repeats(items: list[ImportedCell]) -> list[ImportedCell]:
    """Give blocks of one import that share a variant and cell key the repeat numbers 0, 1, ...
    (a second block of the same case is another run of it, never a replacement)."""
    seen: set[tuple[str, CellKey]] = set()
    for it in items:
        c = it.cell
        while (it.label, c.key) in seen:
            c.repeat += 1
        seen.add((it.label, c.key))
    return items


def _same_block(a: ServingCell, b: ServingCell) -> bool:
    ia, ib = a.import_info, b.import_info
    return ia is not None and ib is not None and ia.printed == ib.printed and ia.text == ib.text and ia.format == ib.format


def add_cell(results: Results, item: ImportedCell) -> str:
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    c = item.cell
    same = next((x for x in v.serving if x.key == c.key), None)
    unchanged = same is not None and _same_block(same, c)
    replaced = _put(v.serving, c, lambda x: x.key == c.key)
    action = "unchanged (the same block was imported before)" if unchanged else ("replaced the existing cell" if replaced else "added")
    m = c.metrics
    info = c.import_info
    where = f"{info.file} block {info.block}" if info else "?"
    figures = f", {m.completed} ok, {m.total_output_tokens} tokens in {m.duration_s:g} s" if m else ""
    records = f", {len(c.requests)} request records" if c.requests else ""
    rate = f", rate {c.request_rate:g}/s" if c.request_rate is not None else ""
    ds = f", dataset {c.dataset}" if c.dataset != "random" else ""
    rep = f", repeat {c.repeat}" if c.repeat else ""
    return (
        f"{where}: {v.label} batch {c.batch_size}, input {c.input_len}, output {c.output_len}{rate}{ds}{rep}"
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
