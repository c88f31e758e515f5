"""The fixed prompt set of the consistency check: built once from the bundled data sets, shipped as a file.

``build_prompt_set(data_root)`` draws 200 prompts from ``datasets/`` with the accuracy tasks' own
prompt builders: 100 Chinese (C-Eval 0-shot, and 5-shot as a multi-turn conversation) and 100
English (MMLU 0- and 5-shot, GSM8K 0- and 4-shot, BBH 3-shot chain of thought), short to long.
``scripts/make_consistency_prompts.py`` writes it to ``PROMPT_SET_FILE``; ``load_prompt_set()``
reads that file. Every draw is seeded, so a build from the same data gives the same bytes (a test
rebuilds it). The set's identity is ``prompt_set_sha256``: a hash of every prompt's id and messages,
which a reference file records and every comparison checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reportgen.consistency.prompts import Prompt, PromptSet, prompt_set_from_doc

PROMPT_SET_NAME = "reportgen-consistency-v1"
PROMPT_SET_FILE = Path(__file__).resolve().parent / "prompts-v1.json"
SEED = "reportgen-consistency-v1"

# (source, shots, how many): 100 Chinese, 100 English; 0-shot prompts are "short", few-shot "long".
COMPOSITION: tuple[tuple[str, int, int], ...] = (
    ("ceval", 0, 70),
    ("ceval", 5, 30),
    ("mmlu", 0, 30),
    ("mmlu", 5, 15),
    ("gsm8k", 0, 20),
    ("gsm8k", 4, 10),
    ("bbh", 3, 25),
)


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def build_prompt_set(data_root: Path) -> PromptSet:
    """The prompt set drawn from ``data_root`` (laid out as the repository's ``datasets/``)."""
    from collectors.accuracy.datasets import load_ceval, load_gsm8k, load_mmlu
    from collectors.accuracy.runner import select_items
    from collectors.accuracy.tasks import get_task

    prompts: list[Prompt] = []
    used: dict[str, set[str]] = {}

    def draw(source: str, items: list[Any], n: int) -> list[Any]:
        """``n`` items spread over the subsets, none drawn twice for one source."""
        taken = used.setdefault(source, set())
        pool = [it for it in items if it.id not in taken]
        chosen = select_items(pool, n, seed=hash_seed(f"{SEED}:{source}:{len(taken)}"))
        taken.update(it.id for it in chosen)
        return chosen

    for source, shots, n in COMPOSITION:
        task = get_task(source)
        ctx = task.context(data_root)
        build = task.mode("corrected").prompt
        lang = "zh" if source == "ceval" else "en"
        if source == "bbh":
            items = task.load(data_root, task.split)
            by_task: dict[str, list[Any]] = {}
            for it in items:
                by_task.setdefault(it.subset, []).append(it)
            for name in sorted(by_task)[:n]:  # one question of each of the first n tasks
                it = draw(source, by_task[name], 1)[0]
                prompts.append(Prompt(id=f"bbh/3shot/{it.id}", lang=lang, length="long",
                                      messages=[_user(build(it, ctx))]))
            continue
        items = task.load(data_root, task.split)
        for it in draw(source, items, n):
            messages: list[dict[str, str]] = []
            if shots and source in ("ceval", "mmlu"):
                dev = (load_ceval if source == "ceval" else load_mmlu)(data_root, "dev")
                for ex in [d for d in dev if d.subset == it.subset][:shots]:
                    answer = ex.fields["answer"]
                    messages += [_user(build(ex, ctx)), _assistant(f"答案：{answer}" if source == "ceval" else f"Answer: {answer}")]
            elif shots and source == "gsm8k":
                train = load_gsm8k(data_root, "train")
                for ex in select_items(train, shots, seed=hash_seed(f"{SEED}:gsm8k-shots:{it.id}")):
                    messages += [_user(build(ex, ctx)), _assistant(ex.fields["answer"])]
            messages.append(_user(build(it, ctx)))
            prompts.append(Prompt(id=f"{source}/{shots}shot/{it.id}", lang=lang, length="long" if shots else "short",
                                  messages=messages))
    return PromptSet(name=PROMPT_SET_NAME, prompts=prompts)


def hash_seed(text: str) -> int:
    """A stable integer seed from a string (Python's ``hash`` of a str changes per process)."""
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


def prompt_set_json(ps: PromptSet) -> str:
    """The shipped file's text: the set's name, its hash (checked on load), where it came from,
    and the prompts."""
    doc = {
        "name": ps.name,
        "sha256": ps.sha256,
        "source": "drawn from the repository's datasets/ (sources and licences in datasets/README.md) "
                  "by scripts/make_consistency_prompts.py",
        "prompts": [p.as_dict() for p in ps.prompts],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def load_prompt_set(path: Path | None = None) -> PromptSet:
    """The shipped prompt set (``InputFormatError`` when the file is missing or was edited)."""
    from reportgen._io import parse_json, read_text
    from reportgen.errors import InputFormatError

    p = path or PROMPT_SET_FILE
    if not p.is_file():
        raise InputFormatError(f"{p}: the consistency prompt set is missing from this installation")
    return prompt_set_from_doc(parse_json(read_text(p), str(p), InputFormatError), source=str(p))
