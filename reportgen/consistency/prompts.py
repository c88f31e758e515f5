"""A prompt of the consistency set and the set itself, with the hashes that identify them.

A prompt's ``sha256`` covers its messages (canonical JSON: sorted keys, no spaces, UTF-8), so
two files agree on a question exactly when they hold the same messages; the set's ``sha256``
covers every prompt's id and hash in order. The reference file records both, and a comparison
is made only where they match (``reportgen.validity.consistency``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reportgen.errors import InputFormatError

ROLES = ("system", "user", "assistant")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def messages_sha256(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(canonical_json(messages).encode("utf-8")).hexdigest()


def set_sha256(pairs: list[tuple[str, str]]) -> str:
    """The set's hash from its (id, prompt sha256) pairs, in order."""
    return hashlib.sha256(canonical_json([list(p) for p in pairs]).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Prompt:
    id: str  # "ceval/0shot/accountant/12": source, shots, the data set's own id
    lang: str  # "zh", "en"
    length: str  # "short" (0-shot), "long" (few-shot)
    messages: list[dict[str, str]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return messages_sha256(self.messages)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "lang": self.lang, "length": self.length, "messages": self.messages}


@dataclass(frozen=True)
class PromptSet:
    name: str
    prompts: list[Prompt]

    @property
    def sha256(self) -> str:
        return set_sha256([(p.id, p.sha256) for p in self.prompts])


def parse_messages(value: Any, where: str) -> list[dict[str, str]]:
    """A chat conversation: a non-empty list of {role, content} ending with the user's turn."""
    if not isinstance(value, list) or not value:
        raise InputFormatError(f"{where}: messages: expected a non-empty list")
    out = []
    for i, m in enumerate(value):
        if not (isinstance(m, dict) and set(m) == {"role", "content"} and m["role"] in ROLES
                and isinstance(m["content"], str)):
            raise InputFormatError(f"{where}: messages[{i}]: expected {{role: system|user|assistant, content: text}}")
        out.append({"role": m["role"], "content": m["content"]})
    if out[-1]["role"] != "user":
        raise InputFormatError(f"{where}: the last message must be the user's")
    return out


def prompt_set_from_doc(doc: Any, *, source: str) -> PromptSet:
    """The prompt set of a shipped file ``{name, sha256, prompts: [{id, lang, length, messages}]}``;
    ``InputFormatError`` when it is malformed or its hash does not match its prompts (edited)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not isinstance(doc.get("prompts"), list):
        raise InputFormatError(f"{source}: expected {{name, sha256, prompts: [...]}}")
    prompts = []
    seen: set[str] = set()
    for i, p in enumerate(doc["prompts"]):
        where = f"{source}: prompts[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise InputFormatError(f"{where}: expected an object with an id")
        if p["id"] in seen:
            raise InputFormatError(f"{where}: id {p['id']!r} appears twice")
        seen.add(p["id"])
        prompts.append(Prompt(id=p["id"], lang=str(p.get("lang") or ""), length=str(p.get("length") or ""),
                              messages=parse_messages(p.get("messages"), where)))
    ps = PromptSet(name=doc["name"], prompts=prompts)
    if doc.get("sha256") != ps.sha256:
        raise InputFormatError(f"{source}: the prompts do not match the recorded sha256 (the file was edited)")
    return ps
