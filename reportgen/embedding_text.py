"""Chinese names of the embedding collector's text kinds ("short", "512-token").

Its warnings and reference notes are ``reportgen.results.Note``s, rendered from the one table
``reportgen.messages.NOTES``."""

from __future__ import annotations

import re

_TEXT_KIND = re.compile(r"^(\d+)-token$")


def text_kind_zh(kind: str) -> str:
    """"short" -> "短文本", "512-token" -> "512 词元文本"."""
    if kind == "short":
        return "短文本"
    m = _TEXT_KIND.match(kind)
    return f"{m.group(1)} 词元文本" if m else kind


__all__ = ["text_kind_zh"]


#: How an embedding or reranker run was served, in the document's words.
MODE_ZH = {"http": "HTTP 服务", "local": "本地推理"}


def mode_name(mode: str) -> str:
    return MODE_ZH.get(mode, mode)
