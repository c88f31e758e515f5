"""Small helpers that several sections of the document view share."""

from __future__ import annotations

import os

from reportgen.results import Results
from reportgen.variant_roles import card_name

__all__ = ["UNRECORDED", "basename", "card_name", "join_distinct", "model_name"]

UNRECORDED = "未记录"


def basename(path: str | None) -> str | None:
    if not path:
        return None
    return os.path.basename(path.rstrip("/")) or path


def model_name(results: Results) -> str | None:
    if results.subject.model:
        return results.subject.model
    for v in results.variants:
        if v.model:
            return v.model
        name = basename(v.model_path) or basename(v.served_model_name)
        if name:
            return name
    return None


def join_distinct(texts: list[str], joiner: str) -> str:
    """Join, dropping a part a later one already contains ("Iluvatar" + "Iluvatar BI-V150")."""
    kept = [t for i, t in enumerate(texts) if not any(t.lower() in later.lower() for later in texts[i + 1:])]
    return joiner.join(kept)
