"""What a benchmark is: data plus a few named hooks (lm-evaluation-harness style).

A ``Task`` names its loader, split and shots, and for each scoring mode a ``ModeSpec``:
the prompt builder, the extractor (by name, from ``collectors.accuracy.extract``), the gold
normaliser and the matcher. The runner knows no task by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.accuracy.datasets import Item

MODES = ("corrected", "swift2024")


@dataclass(frozen=True)
class ModeSpec:
    prompt: Callable[[Item, dict[str, Any]], str]  # (item, context) -> the user message
    extractor: str  # key into extract.EXTRACTORS (recorded in the results)
    gold: Callable[[Item], str]  # the gold label as this mode compares it
    match: Callable[[str | None, str], bool]  # (extracted, gold) -> correct
    shots: int = 0
    # subset -> extractor name, where the subsets need different ones (bbh: choice / free form)
    extractor_for: Callable[[str], str] | None = None

    def extractor_name(self, subset: str) -> str:
        return self.extractor_for(subset) if self.extractor_for else self.extractor


@dataclass(frozen=True)
class Task:
    name: str
    version: str  # bump on any change to prompts, extraction or scoring
    split: str
    load: Callable[[Path, str], list[Item]]
    modes: dict[str, ModeSpec]
    # (data root) -> context shared by every prompt (ceval subject names, bbh CoT exemplars)
    context: Callable[[Path], dict[str, Any]] = field(default=lambda root: {})
    # (context, subset) -> (display label, category) for the per-subject tables
    describe: Callable[[dict[str, Any], str], tuple[str | None, str | None]] = field(
        default=lambda ctx, subset: (None, None)
    )

    def mode(self, mode: str) -> ModeSpec:
        from reportgen.errors import ReportgenError

        try:
            return self.modes[mode]
        except KeyError:
            raise ReportgenError(
                f"task {self.name!r} has no mode {mode!r}; known: {', '.join(sorted(self.modes))}"
            ) from None


def exact(extracted: str | None, gold: str) -> bool:
    """llmuses' exact_match: an empty prediction is wrong, otherwise compare stripped strings."""
    if not extracted:
        return False
    return extracted.strip() == gold.strip()
