"""Add imported items to a results document.

A serving cell replaces an existing cell of the same variant, batch size, input and
output length; an accuracy result replaces one of the same variant, benchmark and mode.
Each function returns the one line the CLI prints for the item.
"""

from __future__ import annotations

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


def add_cell(results: Results, item: ImportedCell) -> str:
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    c = item.cell
    key = (c.batch_size, c.input_len, c.output_len)
    old = [i for i, x in enumerate(v.serving) if (x.batch_size, x.input_len, x.output_len) == key]
    if old:
        v.serving[old[0]] = c
        for i in reversed(old[1:]):
            del v.serving[i]
        action = "replaced the existing cell"
    else:
        v.serving.append(c)
        action = "added"
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
        old = [i for i, x in enumerate(v.accuracy) if x.benchmark == r.benchmark and x.mode == r.mode]
        if old:
            v.accuracy[old[0]] = r
            for i in reversed(old[1:]):
                del v.accuracy[i]
            action = "replaced the existing score"
        else:
            v.accuracy.append(r)
            action = "added"
        info = r.import_info
        where = f"{info.file} block {info.block}" if info else "?"
        printed = info.printed.get(r.benchmark) if info else None
        lines.append(f"{where}: {v.label} {r.benchmark} = {printed if printed is not None else r.score} ({r.mode}): {action}")
    return lines
