"""BIG-Bench Hard, 27 tasks (6511 examples), 3-shot chain of thought (the paper's exemplars).

swift2024 keeps llmuses' gold-bracket bug: the 17 multiple-choice tasks compare the extracted
letter ``A`` with the gold ``(A)`` and score 0 (except the two all-lower-case ruin_names targets,
which a reply without a capital letter can match as leftover text), so bbh cannot exceed 2439/6511 = 0.3746;
free-form answers keep only the first word. corrected strips the gold brackets (evalscope PR
#306), reads the last "answer is" and keeps the whole free-form answer."""

from __future__ import annotations

import re
from typing import Any

from collectors.accuracy.datasets import Item, load_bbh, load_bbh_cot_prompt
from collectors.accuracy.tasks.base import ModeSpec, Task, exact
from reportgen.reference_scores import BBH_MULTIPLE_CHOICE_TASKS

# The 17 multiple-choice tasks (gold "(A)"); one list shared with the document and validity.
MULTIPLE_CHOICE = BBH_MULTIPLE_CHOICE_TASKS
FREE_FORM = frozenset(
    {
        "boolean_expressions",
        "causal_judgement",
        "dyck_languages",
        "formal_fallacies",
        "multistep_arithmetic_two",
        "navigate",
        "object_counting",
        "sports_understanding",
        "web_of_lies",
        "word_sorting",
    }
)


class _CotPrompts(dict):  # task -> exemplars, read on first use
    def __init__(self, root: Any) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, task: str) -> str:
        self[task] = load_bbh_cot_prompt(self.root, task)
        return self[task]


def _context(root: Any) -> dict[str, Any]:
    return {"cot": _CotPrompts(root)}


def _prompt(item: Item, ctx: dict[str, Any]) -> str:
    cot = ctx["cot"][item.subset]
    return f"Follow the given examples and answer the question.\n{cot}\n\nQ: {item.fields['input']}\nA: Let's think step by step."


def _describe(ctx: dict[str, Any], subset: str) -> tuple[str | None, str | None]:
    return subset, "multiple_choice" if subset in MULTIPLE_CHOICE else "free_form"


def _is_mc(item: Item) -> bool:
    return item.subset in MULTIPLE_CHOICE


def _gold_swift2024(item: Item) -> str:
    return item.fields["target"]


def _gold_corrected(item: Item) -> str:
    """Multiple choice: the bare letter ('(B)' -> 'B', evalscope PR #306). Three targets in the
    source are not a letter (movie_recommendation 163, ruin_names 99 and 144: their options
    were split at commas, so no option holds the target); they stay as they are and no option
    letter can match them, in either mode."""
    target = item.fields["target"].strip()
    m = re.fullmatch(r"\(([A-Z])\)", target)
    return m.group(1) if (m and _is_mc(item)) else target


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _match_corrected(extracted: str | None, gold: str) -> bool:
    return extracted is not None and _norm(extracted) == _norm(gold)


def _pick(mc: str, ff: str):
    return lambda subset: mc if subset in MULTIPLE_CHOICE else ff


BBH = Task(
    name="bbh",
    version="1",
    split="test",
    load=load_bbh,
    context=_context,
    describe=_describe,
    modes={
        "swift2024": ModeSpec(
            prompt=_prompt, extractor="llmuses_bbh_mc+llmuses_bbh_ff",
            extractor_for=_pick("llmuses_bbh_mc", "llmuses_bbh_ff"),
            gold=_gold_swift2024,
            match=exact,
            shots=3,
        ),
        "corrected": ModeSpec(
            prompt=_prompt, extractor="bbh_choice+bbh_freeform",
            extractor_for=_pick("bbh_choice", "bbh_freeform"),
            gold=_gold_corrected,
            match=_match_corrected,
            shots=3,
        ),
    },
)
