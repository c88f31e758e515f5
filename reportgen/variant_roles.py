"""Shared vocabulary of the document's comparisons: which variant is the FP16/BF16 baseline,
which are quantised, which published variant a variant is (``model_key``, ``variant_key``), in
which order benchmarks are listed, and the scoring modes' Chinese names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from reportgen.results import ModelVariant, Results

BENCHMARK_ORDER = ("ceval", "gsm8k", "mmlu", "bbh")
# The scoring modes' one Chinese name each, in every table, note and finding of both documents.
MODE_ZH: dict[str, str] = {"corrected": "修正版口径", "swift2024": "swift 原版口径", "unknown": "未注明"}


def bench_key(name: str) -> tuple[int, str]:
    """Sort key: the seed's order first, other benchmarks after, by name."""
    return (BENCHMARK_ORDER.index(name) if name in BENCHMARK_ORDER else len(BENCHMARK_ORDER), name)


def is_baseline(v: ModelVariant) -> bool:
    return (v.precision or "").lower() in ("fp16", "bf16") or v.label.upper() in ("FP16", "BF16")


def is_quantized(v: ModelVariant) -> bool:
    return bool(v.quantization) or (v.precision or "").lower().startswith("int") or "INT" in v.label.upper()


def baseline(variants: Iterable[ModelVariant]) -> ModelVariant | None:
    """The first FP16/BF16 variant among ``variants``."""
    return next((v for v in variants if is_baseline(v)), None)


def variant_kind(v: ModelVariant) -> str:
    """What a variant *is*, independent of how a file labels it: "FP16", "BF16", "GPTQ-Int4",
    "AWQ-Int4", "INT8", ... Two files' variants of the same kind are compared with each other
    (``reportgen.compare``); a label that says nothing more stays as it is."""
    precision = (v.precision or "").lower()
    if is_baseline(v):
        return precision.upper() if precision in ("fp16", "bf16") else v.label.upper()
    if v.quantization:
        bits = precision.replace("int", "Int") if precision.startswith("int") else None
        return f"{v.quantization.upper()}-{bits}" if bits else v.quantization.upper()
    if precision.startswith("int"):
        return precision.upper()
    return v.label


def model_key(v: ModelVariant) -> str:
    """The model's name without quantization suffixes, lower-case ("qwen2-7b-instruct")."""
    name = v.model or (PurePosixPath(v.model_path.rstrip("/")).name if v.model_path else None) or v.label
    key = name.strip().lower()
    key = re.sub(r"[-_.](gptq|awq)([-_.]?int[48])?$", "", key)
    key = re.sub(r"[-_.]int[48]$", "", key)
    return key


def variant_key(v: ModelVariant) -> str | None:
    """Which published variant to compare with: "bf16", "gptq-int8", "gptq-int4", "awq" or None."""
    text = " ".join(x for x in (v.quantization, v.precision, v.label, v.model_path) if x).lower()
    if "awq" in text:
        return "awq"
    if "gptq" in text:
        return "gptq-int8" if "int8" in text else "gptq-int4"
    if v.quantization or re.search(r"int[48]", text):
        return None
    if re.search(r"fp16|bf16|fp32|float16|bfloat16|float32", text) or not v.precision:
        return "bf16"
    return None


def card_name(results: Results) -> str | None:
    """The card a results file evaluated, as every document names it: the plan's or TOML's name, else the
    accelerator's vendor and model ("Iluvatar" + "Iluvatar BI-V150": the longer), else, on a machine
    where none was found, 「无（本机未发现加速卡）」."""
    if results.subject.card:
        return results.subject.card
    facts = results.environment.facts
    parts = [str(facts[k].value) for k in ("accelerator.vendor", "accelerator.model") if k in facts and facts[k].present]
    count = facts.get("accelerator.count")
    if not parts and count is not None and count.present and count.value == 0:
        return "无（本机未发现加速卡）"
    kept = [p for i, p in enumerate(parts) if not any(p.lower() in q.lower() for q in parts[i + 1:])]
    return " ".join(kept) or None
