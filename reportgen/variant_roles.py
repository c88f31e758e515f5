"""Shared vocabulary of the document's comparisons: which variant is the FP16/BF16 baseline,
which are quantised, in which order benchmarks are listed, and the scoring modes' Chinese names."""

from __future__ import annotations

from collections.abc import Iterable

from reportgen.results import ModelVariant

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
