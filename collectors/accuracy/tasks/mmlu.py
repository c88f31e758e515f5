"""MMLU, test split (14042 questions, 57 subjects), 0-shot.

swift2024 sends llmuses' prompt, in which the question and its options appear twice
("...about  abstract algebra.\\n\\n\\n{Q}\\nA. …\\nAnswer:{Q}\\nA. …\\nAnswer:"); corrected sends
them once."""

from __future__ import annotations

from typing import Any

from collectors.accuracy.datasets import Item, load_mmlu
from collectors.accuracy.tasks.base import ModeSpec, Task, exact


def _question(item: Item) -> str:
    f = item.fields
    return f["question"] + "".join(f"\n{c}. {f[c]}" for c in "ABCD") + "\nAnswer:"


def _prompt_swift2024(item: Item, ctx: dict[str, Any]) -> str:
    subject = "".join(" " + w for w in item.subset.split("_"))  # llmuses' _format_subject: leading space
    head = f"The following are multiple choice questions (with answers) about {subject}.\n\n"
    context = head + "\n" + _question(item)  # '\n'.join([]) + '\n' for zero shots
    return context.strip() + _question(item)


def _prompt_corrected(item: Item, ctx: dict[str, Any]) -> str:
    subject = item.subset.replace("_", " ")
    return f"The following are multiple choice questions (with answers) about {subject}.\n\n" + _question(item)


def _describe(ctx: dict[str, Any], subset: str) -> tuple[str | None, str | None]:
    return subset.replace("_", " "), None


def _gold(item: Item) -> str:
    return item.fields["answer"]


MMLU = Task(
    name="mmlu",
    version="1",
    split="test",
    load=load_mmlu,
    describe=_describe,
    modes={
        "swift2024": ModeSpec(prompt=_prompt_swift2024, extractor="llmuses_first_option", gold=_gold, match=exact),
        "corrected": ModeSpec(prompt=_prompt_corrected, extractor="choice_abcd", gold=_gold, match=exact),
    },
)
