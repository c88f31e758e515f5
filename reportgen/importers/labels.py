"""Precision labels and model names, from every naming scheme people use.

One table (``RULES``) is the whole vocabulary: each rule is a pattern looked for in a model
path or name (or a ``--quantization`` / ``--dtype`` value) and the variant label it means.
Rules are tried in order; the first match wins. A name that no rule matches keeps its own
text as the label (``precision_from_label``) -- never a guess. A model path with no precision
marker at all is the unquantised checkpoint, labelled FP16 (the baseline of the document),
unless a ``--dtype`` says otherwise.

``/models/Qwen2-7B-Instruct_GPTQ_Int4/`` -> label ``GPTQ-Int4``, precision ``int4``,
quantization ``gptq``, model ``Qwen2-7B-Instruct``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PrecisionInfo:
    label: str  # variant label: "FP16", "GPTQ-Int4", "AWQ-Int4", "W8A8", "FP8", "GGUF-Q4_K_M", ...
    precision: str  # weight precision: "fp16", "bf16", "int4", "int8", "fp8", "q4_k_m", ... or the literal
    quantization: str | None  # "gptq", "awq", "gguf", "w8a8", "fp8", ... None: not quantised


_S = r"(?:^|[-_./\s])"  # a name boundary before the marker
_E = r"(?=$|[-_./\s])"  # and after it

# (pattern, label, precision, quantization); "{0}" in label/precision: the matched group upper/lower-cased
RULES: tuple[tuple[str, str, str, str | None], ...] = (
    # GGUF quant types: Q8_0, Q4_K_M, IQ3_XXS, ... (the file or repo says gguf or the type is explicit)
    (_S + r"(i?q[1-8]_(?:[0k](?:_[sml])?|[01]|xxs|xs|s|m|l|nl))" + _E, "GGUF-{0}", "{0}", "gguf"),
    (_S + r"gguf" + _E, "GGUF", "gguf", "gguf"),
    # GPTQ / AWQ with their bit width
    (_S + r"gptq[-_.]?int8" + _E + r"|" + _S + r"gptq[-_.]?8bit", "GPTQ-Int8", "int8", "gptq"),
    (_S + r"gptq(?:[-_.]?int4|[-_.]?4bit)?" + _E, "GPTQ-Int4", "int4", "gptq"),
    (_S + r"awq(?:[-_.]?int4|[-_.]?4bit)?" + _E, "AWQ-Int4", "int4", "awq"),
    # weight/activation schemes (llm-compressor, vllm-ascend, ModelSlim ...)
    (_S + r"(w8a8)(?:[-_.]?(?:int8|dynamic|static))?" + _E, "W8A8", "int8", "w8a8"),
    (_S + r"(w8a16)" + _E, "W8A16", "int8", "w8a16"),
    (_S + r"(w4a16)" + _E, "W4A16", "int4", "w4a16"),
    (_S + r"(w4a8)" + _E, "W4A8", "int4", "w4a8"),
    (_S + r"nvfp4" + _E, "NVFP4", "fp4", "nvfp4"),
    (_S + r"mxfp4" + _E, "MXFP4", "fp4", "mxfp4"),
    (_S + r"fp4" + _E, "FP4", "fp4", "fp4"),
    (_S + r"fp8(?:[-_.]?(?:dynamic|static|e4m3|e5m2))?" + _E, "FP8", "fp8", "fp8"),
    # schemes this table does not describe: the name itself is the label, never a guess
    (_S + r"(exl2|exl3|bnb|bitsandbytes|nf4|hqq|eetq|aqlm|squeezellm|int2|int3|\d+(?:\.\d+)?bpw)" + _E, "{=}", "{=}", "{=}"),
    (_S + r"(?:int8|8bit)" + _E, "INT8", "int8", None),
    (_S + r"(?:int4|4bit)" + _E, "INT4", "int4", None),
    # unquantised dtypes
    (_S + r"(?:bf16|bfloat16)" + _E, "BF16", "bf16", None),
    (_S + r"(?:fp16|float16|half)" + _E, "FP16", "fp16", None),
    (_S + r"(?:fp32|float32|float)" + _E, "FP32", "fp32", None),
    # "quantized" with no scheme named: the word itself
    (_S + r"(quantized)" + _E, "{=}", "{=}", "{=}"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), lab, prec, q) for p, lab, prec, q in RULES)

# vLLM --quantization values -> label (the weights' scheme; their bit width is in the model)
QUANTIZATION_FLAGS = {
    "gptq": "GPTQ-Int4",
    "gptq_marlin": "GPTQ-Int4",
    "awq": "AWQ-Int4",
    "awq_marlin": "AWQ-Int4",
    "fp8": "FP8",
    "gguf": "GGUF",
    "compressed-tensors": None,  # the scheme is in the model's config: not knowable from the flag
    "ascend": None,
}


def _fill(template: str, group: str | None) -> str:
    if template == "{=}":
        return group or ""
    if "{0}" not in template:
        return template
    return template.replace("{0}", (group or "").upper() if template.startswith("GGUF") else (group or "").lower())


def match_precision(name: str | None) -> PrecisionInfo | None:
    """The precision a path, name or flag value names, by the first matching rule; None: none."""
    if not name:
        return None
    text = name.rstrip("/")
    for rx, label, prec, quant in _COMPILED:
        m = rx.search(text)
        if m:
            group = next((g for g in m.groups() if g), None)
            q = _fill(quant, group).lower() if quant else None
            return PrecisionInfo(_fill(label, group), _fill(prec, group).lower(), q)
    return None


def precision_from_path(model_path: str | None, *, quantization: str | None = None, dtype: str | None = None) -> PrecisionInfo:
    """The variant a model path (and the server's ``--quantization`` / ``--dtype``) names.

    The path's own marker wins; then ``--quantization``; then ``--dtype``; a path with no marker
    and no flags is the unquantised model, FP16."""
    found = match_precision(model_path)
    if found is not None:
        return found
    if quantization and quantization.lower() != "none":
        label = QUANTIZATION_FLAGS.get(quantization.lower(), quantization)
        if label is None:
            return PrecisionInfo(quantization, quantization.lower(), quantization.lower())
        return precision_from_label(label)
    if dtype and dtype.lower() not in ("auto", ""):
        return match_precision(dtype) or PrecisionInfo(dtype, dtype.lower(), None)
    return PrecisionInfo("FP16", "fp16", None)


def precision_from_label(label: str) -> PrecisionInfo:
    """A user-given label (``--precision``): a known scheme is normalised (``gptq-int4`` ->
    ``GPTQ-Int4``); anything else keeps its text as the label and as the precision."""
    found = match_precision(label)
    if found is not None and found.label.lower().replace("_", "-") == label.lower().replace("_", "-"):
        return found
    return PrecisionInfo(label, label.lower(), None)


_QUANT_SUFFIX = re.compile(
    r"[-_.](quantized|gptq|awq|int4|int8|w4a16|w8a8|w8a16|w4a8|fp8|nvfp4|mxfp4|gguf|i?q[1-8]_\w+|bf16|fp16)([-_.].*)?$", re.IGNORECASE
)


def model_name_from_path(model_path: str | None) -> str | None:
    """The model's name: the last path component without a quantisation suffix."""
    if not model_path:
        return None
    name = model_path.rstrip("/").rsplit("/", 1)[-1]
    if name.lower().endswith(".gguf"):
        name = name[:-5]
    return _QUANT_SUFFIX.sub("", name) or name
