"""GSM8K, test split (1319 problems), 0-shot ``Question: {q}\\nAnswer:``.

swift2024: the last number of the reply against the last number of the reference solution,
compared as Python number literals with ``math.isclose(abs_tol=1e-4)`` (llmuses ``eval``s
them: '007' is not a literal and counts as wrong). corrected: '#### N', '\\boxed{N}' or the
number after the last 'The answer is' before falling back to the last number; compared as
decimals."""

from __future__ import annotations

import ast
import math
from decimal import Decimal
from typing import Any

from collectors.accuracy.datasets import Item, load_gsm8k
from collectors.accuracy.extract import canonical_number, llmuses_last_number
from collectors.accuracy.tasks.base import ModeSpec, Task


def _prompt(item: Item, ctx: dict[str, Any]) -> str:
    return "Question: " + item.fields["question"] + "\nAnswer:"


def _gold_swift2024(item: Item) -> str:
    return (llmuses_last_number(item.fields["answer"]) or "").strip()


def _literal(text: str) -> float | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _match_swift2024(extracted: str | None, gold: str) -> bool:
    if extracted is None:
        return False
    a, b = _literal(gold), _literal(extracted)
    return a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=1e-4)


def _gold_corrected(item: Item) -> str:
    tail = item.fields["answer"].rsplit("####", 1)[1].strip()
    return canonical_number(tail) or tail


def _match_corrected(extracted: str | None, gold: str) -> bool:
    if extracted is None:
        return False
    try:
        return abs(Decimal(extracted) - Decimal(gold)) <= Decimal("0.0001")
    except ArithmeticError:
        return False


GSM8K = Task(
    name="gsm8k",
    version="1",
    split="test",
    load=load_gsm8k,
    modes={
        "swift2024": ModeSpec(
            prompt=_prompt, extractor="llmuses_last_number", gold=_gold_swift2024, match=_match_swift2024
        ),
        "corrected": ModeSpec(prompt=_prompt, extractor="number", gold=_gold_corrected, match=_match_corrected),
    },
)
