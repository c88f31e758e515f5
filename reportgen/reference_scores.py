"""Published accuracy figures, each with its sources: the one table behind the validity checks
(``accuracy_reference_gap``, ``bbh_bracket_bug``) and the document's comparison (section 4).

Scores are percentages (0-100) as the sources print them. Variant keys: ``bf16`` (the
full-precision release; FP16 runs compare against it), ``gptq-int8``, ``gptq-int4``, ``awq``.
Sources (the project notes on accuracy conventions, section 6): the Qwen2 technical
report (arXiv 2407.10671, Table 8), the Qwen2-7B-Instruct model card, and the Qwen docs page
"Performance of Quantized Models" (greedy decoding). Check the PDFs before quoting them formally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    en: str  # full citation (validity messages)
    zh: str  # short name in the document


TECH_REPORT = Source("Qwen2 technical report arXiv:2407.10671 Table 8", "技术报告")
MODEL_CARD = Source("Qwen2-7B-Instruct model card (Hugging Face)", "HF 模型卡")
QWEN_DOCS = Source("Qwen docs, Performance of Quantized Models (qwen.readthedocs.io)", "Qwen 文档")


@dataclass(frozen=True)
class ReferenceScore:
    model: str  # normalised model name, e.g. "qwen2-7b-instruct"
    variant: str  # "bf16", "gptq-int8", "gptq-int4", "awq"
    benchmark: str  # "mmlu", "gsm8k", "ceval", "bbh"
    score_pct: float
    sources: tuple[Source, ...]
    note_zh: str | None = None  # what the document adds after the sources (another source's figure)

    @property
    def source(self) -> str:
        return "; ".join(s.en for s in self.sources)

    @property
    def source_zh(self) -> str:
        return " / ".join(s.zh for s in self.sources)


REFERENCE_SCORES: tuple[ReferenceScore, ...] = (
    ReferenceScore("qwen2-7b-instruct", "bf16", "ceval", 77.2, (MODEL_CARD, QWEN_DOCS)),
    ReferenceScore("qwen2-7b-instruct", "bf16", "gsm8k", 82.3, (MODEL_CARD,), note_zh="技术报告 85.70%"),
    ReferenceScore("qwen2-7b-instruct", "bf16", "mmlu", 70.5, (TECH_REPORT, MODEL_CARD, QWEN_DOCS)),
    ReferenceScore("qwen2-7b-instruct", "gptq-int8", "mmlu", 69.1, (QWEN_DOCS,)),
    ReferenceScore("qwen2-7b-instruct", "gptq-int8", "ceval", 76.7, (QWEN_DOCS,)),
    ReferenceScore("qwen2-7b-instruct", "gptq-int4", "mmlu", 67.8, (QWEN_DOCS,)),
    ReferenceScore("qwen2-7b-instruct", "gptq-int4", "ceval", 75.2, (QWEN_DOCS,)),
    ReferenceScore("qwen2-7b-instruct", "awq", "mmlu", 67.4, (QWEN_DOCS,)),
    ReferenceScore("qwen2-7b-instruct", "awq", "ceval", 73.6, (QWEN_DOCS,)),
)

#: Benchmarks without a published figure for the model, and what the document says instead.
UNPUBLISHED_ZH: dict[tuple[str, str], str] = {
    ("qwen2-7b-instruct", "bbh"): "仅基座模型 Qwen2-7B：62.60%，3-shot",
}

#: How the document names the variant keys.
VARIANT_LABELS: dict[str, str] = {"bf16": "BF16", "gptq-int8": "GPTQ-Int8", "gptq-int4": "GPTQ-Int4", "awq": "AWQ"}


def _model_key(name: str) -> str:
    """A model name as the table keys it: lower-case, spaces and underscores as hyphens."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def reference_score(model: str, variant: str, benchmark: str) -> ReferenceScore | None:
    for ref in REFERENCE_SCORES:
        if ref.model == model and ref.variant == variant and ref.benchmark == benchmark:
            return ref
    return None


@dataclass(frozen=True)
class Reference:
    """A benchmark's published figures as the document's comparison table shows them."""

    text: str  # the BF16 figure and where it is published, or why there is none
    quantized: str | None = None  # the quantized variants' figures, grouped by source


def published_references(model: str | None) -> dict[str, Reference]:
    """Benchmark -> published reference for ``model`` (empty when none is known)."""
    if not model:
        return {}
    key = _model_key(model)
    mine = [r for r in REFERENCE_SCORES if r.model == key]
    out: dict[str, Reference] = {}
    for bench in dict.fromkeys([r.benchmark for r in mine] + [b for m, b in UNPUBLISHED_ZH if m == key]):
        base = next((r for r in mine if r.benchmark == bench and r.variant == "bf16"), None)
        if base is not None:
            text = f"{base.score_pct:.2f}%（{base.source_zh}" + (f"；{base.note_zh}" if base.note_zh else "") + "）"
        else:
            text = f"未公布（{UNPUBLISHED_ZH[(key, bench)]}）" if (key, bench) in UNPUBLISHED_ZH else "未公布"
        by_source: dict[str, list[str]] = {}
        for r in mine:
            if r.benchmark == bench and r.variant != "bf16":
                by_source.setdefault(r.source_zh, []).append(f"{VARIANT_LABELS.get(r.variant, r.variant)} {r.score_pct:.2f}%")
        quantized = "；".join(f"{src}：{'，'.join(figs)}" for src, figs in by_source.items()) or None
        out[bench] = Reference(text, quantized)
    return out


# BBH under llmuses 0.4.x / ms-swift 2.x ("swift2024" mode): the 17 multiple-choice tasks keep
# the gold label as "(A)" while the extracted answer is "A", so they never match. Counts from
# BIG-Bench-Hard @ 9ee07bd4 (datasets/bbh); fix: modelscope/evalscope PR #306.
BBH_ITEMS = 6511
BBH_MULTIPLE_CHOICE_ITEMS = 4074  # 17 tasks
BBH_FREE_FORM_ITEMS = BBH_ITEMS - BBH_MULTIPLE_CHOICE_ITEMS  # 2437, 10 tasks
# llmuses' ``_extract_mc_answer`` returns the leftover text when a reply has no capital letter,
# so the two all-lower-case multiple-choice targets of ruin_names can still match: the ceiling
# is 2439/6511 (checked against llmuses 0.4.3 on the full test set), not 2437/6511.
BBH_LOWERCASE_MC_TARGETS = 2
BBH_SWIFT2024_CEILING_ITEMS = BBH_FREE_FORM_ITEMS + BBH_LOWERCASE_MC_TARGETS  # 2439
BBH_SWIFT2024_CEILING = BBH_SWIFT2024_CEILING_ITEMS / BBH_ITEMS  # 0.3746
BBH_BUG_SOURCE = "llmuses 0.4.x keeps BBH multiple-choice gold labels as '(A)'; fixed in modelscope/evalscope PR #306"
BBH_MULTIPLE_CHOICE_TASKS = frozenset(
    {
        "date_understanding",
        "disambiguation_qa",
        "geometric_shapes",
        "hyperbaton",
        "logical_deduction_five_objects",
        "logical_deduction_seven_objects",
        "logical_deduction_three_objects",
        "movie_recommendation",
        "penguins_in_a_table",
        "reasoning_about_colored_objects",
        "ruin_names",
        "salient_translation_error_detection",
        "snarks",
        "temporal_sequences",
        "tracking_shuffled_objects_five_objects",
        "tracking_shuffled_objects_seven_objects",
        "tracking_shuffled_objects_three_objects",
    }
)
