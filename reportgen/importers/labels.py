"""Precision labels and model names derived from a model path.

``/models/Qwen2-7B-Instruct_GPTQ_Int4/`` -> label ``GPTQ-Int4``, precision ``int4``,
quantization ``gptq``, model ``Qwen2-7B-Instruct``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PrecisionInfo:
    label: str  # variant label: "FP16", "GPTQ-Int4", "AWQ-Int4", "INT4", "INT8"
    precision: str  # "fp16", "int4", "int8"
    quantization: str | None  # "gptq", "awq", None


_KNOWN = {
    "FP16": PrecisionInfo("FP16", "fp16", None),
    "BF16": PrecisionInfo("BF16", "bf16", None),
    "GPTQ-Int4": PrecisionInfo("GPTQ-Int4", "int4", "gptq"),
    "AWQ-Int4": PrecisionInfo("AWQ-Int4", "int4", "awq"),
    "INT4": PrecisionInfo("INT4", "int4", None),
    "INT8": PrecisionInfo("INT8", "int8", None),
    "GPTQ-Int8": PrecisionInfo("GPTQ-Int8", "int8", "gptq"),
}


def precision_from_path(model_path: str | None) -> PrecisionInfo:
    """The precision a model path names: GPTQ -> GPTQ-Int4 (GPTQ-Int8 when it says Int8),
    AWQ -> AWQ-Int4, other Int4/W4A16 -> INT4, Int8/W8A8 -> INT8, anything else FP16."""
    p = (model_path or "").lower()
    int8 = bool(re.search(r"int8|w8a8|w8a16", p))
    if "gptq" in p:
        return _KNOWN["GPTQ-Int8" if int8 else "GPTQ-Int4"]
    if "awq" in p:
        return _KNOWN["AWQ-Int4"]
    if re.search(r"int4|w4a16|w4a8", p):
        return _KNOWN["INT4"]
    if int8:
        return _KNOWN["INT8"]
    return _KNOWN["FP16"]


def precision_from_label(label: str) -> PrecisionInfo:
    """A user-given label (``--precision``); unknown labels keep their text, precision guessed."""
    if label in _KNOWN:
        return _KNOWN[label]
    for known in _KNOWN.values():
        if known.label.lower() == label.lower():
            return PrecisionInfo(label, known.precision, known.quantization)
    guessed = precision_from_path(label)
    return PrecisionInfo(label, guessed.precision, guessed.quantization)


_QUANT_SUFFIX = re.compile(r"[-_.](gptq|awq|int4|int8|w4a16|w8a8|w8a16)([-_.].*)?$", re.IGNORECASE)


def model_name_from_path(model_path: str | None) -> str | None:
    """The model's name: the last path component without a quantisation suffix."""
    if not model_path:
        return None
    name = model_path.rstrip("/").rsplit("/", 1)[-1]
    return _QUANT_SUFFIX.sub("", name) or name
