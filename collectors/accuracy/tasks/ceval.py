"""C-Eval, val split (1346 questions, 52 subjects), 0-shot, the standard Chinese prompt.

Both modes send llmuses' prompt; they differ in how the letter is read from the reply."""

from __future__ import annotations

from typing import Any

from collectors.accuracy.datasets import Item, load_ceval, load_ceval_mapping
from collectors.accuracy.tasks.base import ModeSpec, Task, exact


def _context(root: Any) -> dict[str, Any]:
    return {"mapping": load_ceval_mapping(root)}


def _prompt(item: Item, ctx: dict[str, Any]) -> str:
    f = item.fields
    name = ctx["mapping"].get(item.subset, (item.subset, item.subset, ""))[1]
    body = "问题：" + f["question"] + "".join(f"\n{c}. {f[c]}" for c in "ABCD") + "\n答案: "
    return f"以下是中国关于{name}考试的单项选择题，请选出其中的正确答案。\n" + body


def _describe(ctx: dict[str, Any], subset: str) -> tuple[str | None, str | None]:
    m = ctx["mapping"].get(subset)
    return (m[1], m[2]) if m else (None, None)


def _gold(item: Item) -> str:
    return item.fields["answer"]


CEVAL = Task(
    name="ceval",
    version="1",
    split="val",
    load=load_ceval,
    context=_context,
    describe=_describe,
    modes={
        "swift2024": ModeSpec(prompt=_prompt, extractor="llmuses_first_option", gold=_gold, match=exact),
        "corrected": ModeSpec(prompt=_prompt, extractor="choice_abcd", gold=_gold, match=exact),
    },
)
