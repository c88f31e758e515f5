"""A results document with every field of the results model filled: every model class appears
(a variant with a functional check, serving cells with requests, metrics, server metrics,
telemetry and energy, accuracy with subsets and samples, a capacity search with probes, an
embedding run with pairs, matrices, reference check and throughput, facts, accelerators, raw
outputs, deployment steps, findings, invocations, redactions), and every text field, dict key
and list of text holds a string from ``text()``. Numbers are fixed and plausible, so what varies
is the text: the property tests pass arbitrary Unicode, control characters, very long strings and
markup of every format through every writer.

Built from the model classes themselves (``typing`` introspection), so a field added to the
results model is filled (and tested) without touching this file.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from reportgen.results import Fact, ModelVariant, Results

Text = Callable[[], str]
WHEN = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)

# numbers a real file would hold, by field name (others: 2 / 1.5)
_INTS = {"batch_size": 2, "input_len": 8, "output_len": 4, "n": 4, "correct": 3, "completed": 2, "index": 0,
         "repeat": 0, "round": 0, "worker": 0, "total_input_tokens": 16, "total_output_tokens": 8,
         "prompt_tokens": 8, "completion_tokens": 4, "http_status": 200, "exit_code": 0, "errors": 0,
         "failed": 0, "unparsed": 0, "samples": 4, "device": 0, "board": 0, "chip": 0, "schema_version": 3}
_FLOATS = {"score": 0.75, "macro": 0.75, "start_s": 0.0, "first_token_s": 0.1, "end_s": 0.4, "value": 2.0,
           "expected": 1.0, "delta": 0.0, "capacity": 2.0, "duration_s": 1.0}


def _optional(ann: Any) -> Any:
    if get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        return args[0] if args else ann
    return ann


# Fields that hold structured data rather than text (a key the code parses): valid values, as a
# results file that loads must hold (the loader or the command says so in one line otherwise).
_STRUCTURED: dict[str, Any] = {
    "slo": {"ttft_p99_ms": 2000.0},
}


# left None: a closed-loop cell (an open-loop one is added by ``complete_results``)
_NONE = {"request_rate", "burstiness"}


def value(ann: Any, name: str, text: Text) -> Any:
    if name in _STRUCTURED:
        return _STRUCTURED[name]
    if name in _NONE:
        return None
    ann = _optional(ann)
    origin = get_origin(ann)
    if origin is typing.Annotated:
        return value(get_args(ann)[0], name, text)
    if origin is Literal:
        return get_args(ann)[0]
    if origin is list:
        (item,) = get_args(ann) or (Any,)
        return [value(item, name, text)]
    if origin is dict:
        _, item = get_args(ann) or (str, Any)
        return {text(): value(item, name, text)}
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return build(ann, text)
    if ann is bool:
        return True
    if ann is int:
        return _INTS.get(name, 2)
    if ann is float:
        return _FLOATS.get(name, 1.5)
    if ann is datetime:
        return WHEN
    return text()  # str, Any


def build(cls: type[BaseModel], text: Text) -> Any:
    fields = {name: value(f.annotation, name, text) for name, f in cls.model_fields.items()}
    if cls is Fact:
        fields["reason"] = None  # exactly one of value and reason
    if cls is ModelVariant:
        fields["label"] = text()
    return cls.model_validate(fields)


def complete_results(text: Text) -> Results:
    """Every field filled; two variants (a baseline and a quantized one, labels from ``text``),
    one of its facts missing with a reason (both kinds of fact)."""
    res: Results = build(Results, text)
    second = build(ModelVariant, text)
    if second.label == res.variants[0].label:
        second.label += "-2"
    second.precision, second.quantization = "int4", "gptq"
    open_loop = second.serving[0].model_copy(deep=True)
    open_loop.request_rate, open_loop.burstiness = 2.0, 0.5
    second.serving.append(open_loop)
    res.variants.append(second)
    res.environment.facts[text()] = Fact.missing("not_installed", text(), origin="imported")
    res.schema_version = 3
    return res
