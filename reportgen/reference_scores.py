"""Published accuracy figures the validity checks compare against, each with its source.

Scores are percentages (0-100) as the sources print them. Variant keys: ``bf16`` (the
full-precision release; FP16 runs compare against it), ``gptq-int8``, ``gptq-int4``, ``awq``.
Sources are transcribed in ``../shared/notes/accuracy-evals.md`` section 6; check the PDFs
before quoting them formally.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceScore:
    model: str  # normalised model name, e.g. "qwen2-7b-instruct"
    variant: str  # "bf16", "gptq-int8", "gptq-int4", "awq"
    benchmark: str  # "mmlu", "gsm8k", "ceval", "bbh"
    score_pct: float
    source: str


_CARD = "Qwen2-7B-Instruct model card (Hugging Face)"
_QUANT = "Qwen docs, Performance of Quantized Models (qwen.readthedocs.io)"

REFERENCE_SCORES: tuple[ReferenceScore, ...] = (
    ReferenceScore("qwen2-7b-instruct", "bf16", "mmlu", 70.5, _CARD + "; Qwen2 technical report arXiv:2407.10671 Table 8"),
    ReferenceScore("qwen2-7b-instruct", "bf16", "gsm8k", 82.3, _CARD),
    ReferenceScore("qwen2-7b-instruct", "bf16", "ceval", 77.2, _CARD),
    ReferenceScore("qwen2-7b-instruct", "gptq-int8", "mmlu", 69.1, _QUANT),
    ReferenceScore("qwen2-7b-instruct", "gptq-int8", "ceval", 76.7, _QUANT),
    ReferenceScore("qwen2-7b-instruct", "gptq-int4", "mmlu", 67.8, _QUANT),
    ReferenceScore("qwen2-7b-instruct", "gptq-int4", "ceval", 75.2, _QUANT),
    ReferenceScore("qwen2-7b-instruct", "awq", "mmlu", 67.4, _QUANT),
    ReferenceScore("qwen2-7b-instruct", "awq", "ceval", 73.6, _QUANT),
)


def reference_score(model: str, variant: str, benchmark: str) -> ReferenceScore | None:
    for ref in REFERENCE_SCORES:
        if ref.model == model and ref.variant == variant and ref.benchmark == benchmark:
            return ref
    return None


# BBH under llmuses 0.4.x / ms-swift 2.x ("swift2024" mode): the 17 multiple-choice tasks keep
# the gold label as "(A)" while the extracted answer is "A", so they never match. Counts from
# BIG-Bench-Hard @ 9ee07bd4 (../shared/datasets/bbh); fix: modelscope/evalscope PR #306.
BBH_ITEMS = 6511
BBH_MULTIPLE_CHOICE_ITEMS = 4074  # 17 tasks
BBH_FREE_FORM_ITEMS = BBH_ITEMS - BBH_MULTIPLE_CHOICE_ITEMS  # 2437, 10 tasks
BBH_SWIFT2024_CEILING = BBH_FREE_FORM_ITEMS / BBH_ITEMS  # 0.3743
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
