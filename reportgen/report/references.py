"""Published accuracy figures the document compares against (section 4).

Sources (see ../shared/notes/accuracy-evals.md, section 6): Qwen2 technical report
(arXiv 2407.10671, Table 8), the Qwen2-7B-Instruct model card, and the Qwen docs page
"Performance of Quantized Models" (greedy decoding). Percentages, as published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ms-swift 2.x / llmuses 0.4.x keep the brackets of bbh multiple-choice gold labels, so
# 4074 of 6511 items can never match: the best possible bbh score is 2437 / 6511.
BBH_SWIFT2024_CEILING = 0.374


@dataclass(frozen=True)
class Reference:
    text: str  # the BF16 figure and where it is published
    quantized: str | None = None  # the same source's figures for quantized variants


_REFERENCES: dict[str, dict[str, Reference]] = {
    "qwen2-7b-instruct": {
        "ceval": Reference("77.2%（HF 模型卡 / Qwen 文档）", "Qwen 文档：GPTQ-Int4 75.2%，AWQ 73.6%"),
        "gsm8k": Reference("82.3%（HF 模型卡；技术报告 85.7%）"),
        "mmlu": Reference("70.5%（技术报告 / HF 模型卡 / Qwen 文档）", "Qwen 文档：GPTQ-Int4 67.8%，AWQ 67.4%"),
        "bbh": Reference("未公布（仅基座模型 Qwen2-7B：62.6%，3-shot）"),
    },
}


def _key(model: str) -> str:
    return re.sub(r"[\s_]+", "-", model.strip().lower())


def published_references(model: str | None) -> dict[str, Reference]:
    """Benchmark -> published reference for ``model`` (empty when none is known)."""
    if not model:
        return {}
    return dict(_REFERENCES.get(_key(model), {}))
