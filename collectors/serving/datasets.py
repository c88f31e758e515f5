"""Workloads: which prompts a cell sends (sampling only; the request functions are in ``client``).

``--dataset`` names one (``parse_dataset(spec)``):

* ``random`` (default): exact-length random prompts (``prompts.PromptFactory``), all distinct.
* ``prefix:LEN``: every prompt of a user starts with the same LEN-token prefix (one prefix per
  user, distinct between users and cells), then a distinct random part up to the exact input
  length: the prefix cache is hit on purpose (the prefix-cache check knows it).
* ``sharegpt:FILE``: a local ShareGPT JSON (a list of ``{"conversations": [{"from": "human"|"gpt",
  "value": …}, …]}``). Each human turn is one request whose history is the conversation so far
  (as recorded, not the live answers) and whose output length is the recorded reply's token count
  (vLLM's rule). A user's requests are whole conversations, turns in order.
* ``jsonl:FILE``: one ``{"prompt": …, "output_len": N}`` per line (``output_len`` optional:
  the cell's).

``Dataset.users(factory, key, users, per_user, input_len, output_len)`` gives ``users`` lists of
``per_user`` samples each; a closed loop gives list ``w`` to worker ``w``, an open loop asks
for one user and sends its list in order. File datasets are read once and cycled through;
every (cell, repeat) starts at a different offset so repeats send fresh prompts.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from collectors.serving.prompts import PromptFactory, PromptSample
from reportgen._io import read_limited
from reportgen.errors import InputFormatError
from reportgen.ranges import MAX_DATASET_BYTES, Tokens, bounds

__all__ = ["Dataset", "FileDataset", "PrefixDataset", "RandomDataset", "parse_dataset"]


_Request = tuple[list[tuple[str, str]], str, str | None, int | None]  # history, prompt, recorded reply, output_len


class Dataset(Protocol):
    @property
    def name(self) -> str:
        """What the cell records (CellKey.dataset): "random", "prefix:64", "sharegpt:FILE_NAME"."""

    def users(
        self, factory: PromptFactory, key: str, users: int, per_user: int, input_len: int, output_len: int
    ) -> list[list[PromptSample]]: ...


@dataclass(frozen=True)
class RandomDataset:
    name: str = "random"

    def users(self, factory: PromptFactory, key: str, users: int, per_user: int, input_len: int, output_len: int) -> list[list[PromptSample]]:
        return [[factory.make(f"{key}:w{w}:r{r}", input_len) for r in range(per_user)] for w in range(users)]


@dataclass(frozen=True)
class PrefixDataset:
    prefix_len: int

    @property
    def name(self) -> str:
        return f"prefix:{self.prefix_len}"

    def users(self, factory: PromptFactory, key: str, users: int, per_user: int, input_len: int, output_len: int) -> list[list[PromptSample]]:
        if self.prefix_len >= input_len:
            raise InputFormatError(f"--dataset prefix:{self.prefix_len}: the prefix must be shorter than --input-len {input_len}")
        out = []
        for w in range(users):
            prefix = factory.make(f"{key}:w{w}:prefix", self.prefix_len).text + " "
            out.append([factory.make(f"{key}:w{w}:r{r}", input_len, prefix=prefix) for r in range(per_user)])
        return out


@dataclass
class FileDataset:
    kind: str  # "sharegpt" | "jsonl"
    path: Path
    _convs: list[list[_Request]] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.path.name}"  # the file's name only: no machine path in results

    def _load(self) -> list[list[_Request]]:
        """Conversations; each a list of requests (history, prompt, recorded reply, output_len)."""
        if self._convs is None:
            try:
                text = read_limited(self.path, MAX_DATASET_BYTES, what="a workload file", text_only=True)
            except InputFormatError as e:
                raise InputFormatError(f"--dataset {self.kind}:{e}") from None
            self._convs = _sharegpt(text, self.path) if self.kind == "sharegpt" else _jsonl(text, self.path)
            if not self._convs:
                raise InputFormatError(f"--dataset {self.kind}:{self.path}: no usable prompt in the file")
        return self._convs

    def users(self, factory: PromptFactory, key: str, users: int, per_user: int, input_len: int, output_len: int) -> list[list[PromptSample]]:
        convs = self._load()
        start = int(hashlib.sha256(f"{factory.seed}:{key}".encode()).hexdigest()[:8], 16) % len(convs)
        tok = factory.tokenizer
        out: list[list[PromptSample]] = []
        ci = start
        for w in range(users):
            mine: list[PromptSample] = []
            while len(mine) < per_user:
                for t, (history, prompt, reply, olen) in enumerate(convs[ci % len(convs)]):
                    if len(mine) == per_user:
                        break
                    if olen is None and reply is not None:
                        olen = max(1, len(tok.encode(reply)))
                    msgs = tuple(history) + (("user", prompt),)
                    full = "".join(f"{c}\n" for _, c in history) + prompt
                    n = _chat_count(tok, msgs) if factory.chat else tok.count(full)
                    digest = hashlib.sha256(f"{key}:w{w}:{ci}:{t}:{full}".encode()).hexdigest()
                    mine.append(
                        PromptSample(
                            key=f"{key}:w{w}:c{ci % len(convs)}:t{t}", text=full, prompt_tokens=n, sha256=digest,
                            chat=factory.chat, output_len=olen or output_len, messages=msgs if factory.chat else None,
                        )
                    )
                ci += 1
            out.append(mine)
        return out


def _chat_count(tok: Any, msgs: tuple[tuple[str, str], ...]) -> int:
    # The Tokenizer protocol counts one user message; a history is counted as its concatenation
    # (the server's usage.prompt_tokens is what the metrics use).
    return int(tok.count("\n".join(c for _, c in msgs), chat=True))


def _sharegpt(text: str, path: Path) -> list[list[_Request]]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InputFormatError(f"--dataset sharegpt:{path}: not JSON: {e}") from None
    if not isinstance(doc, list):
        raise InputFormatError(f"--dataset sharegpt:{path}: expected a list of conversations")
    roles = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant"}
    convs: list[list[_Request]] = []
    for item in doc:
        turns = item.get("conversations") if isinstance(item, dict) else None
        if not isinstance(turns, list):
            continue
        history: list[tuple[str, str]] = []
        reqs: list[_Request] = []
        for i, turn in enumerate(turns):
            if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
                break
            role = roles.get(str(turn.get("from")).lower())
            if role is None:
                break
            if role == "user":
                nxt = turns[i + 1] if i + 1 < len(turns) else None
                reply = nxt.get("value") if isinstance(nxt, dict) and roles.get(str(nxt.get("from")).lower()) == "assistant" else None
                if reply:  # vLLM keeps only turns with a recorded reply (its length is the output length)
                    reqs.append((list(history), turn["value"], str(reply), None))
            history.append((role, turn["value"]))
        if reqs:
            convs.append(reqs)
    return convs


def _jsonl(text: str, path: Path) -> list[list[_Request]]:
    convs: list[list[_Request]] = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError:
            raise InputFormatError(f"--dataset jsonl:{path}: line {no} is not JSON") from None
        if not isinstance(d, dict) or not isinstance(d.get("prompt"), str):
            raise InputFormatError(f"--dataset jsonl:{path}: line {no} has no \"prompt\" string")
        olen = d.get("output_len")
        if olen is not None and (not isinstance(olen, int) or isinstance(olen, bool) or olen < 1):
            raise InputFormatError(f"--dataset jsonl:{path}: line {no}: output_len must be a positive integer")
        convs.append([([], d["prompt"], None, olen)])
    return convs


@functools.lru_cache(maxsize=16)
def parse_dataset(spec: str) -> Dataset:
    """``random``, ``prefix:LEN``, ``sharegpt:FILE`` or ``jsonl:FILE`` -> a Dataset."""
    kind, _, arg = spec.partition(":")
    if kind == "random" and not arg:
        return RandomDataset()
    if kind == "prefix":
        try:
            n = int(arg) if len(arg) <= 16 else 0
        except ValueError:
            n = 0
        if not bounds(Tokens).contains(n):
            raise InputFormatError(f"--dataset {spec[:40]!r}: expected prefix:LEN with LEN {bounds(Tokens).describe()} tokens")
        return PrefixDataset(n)
    if kind in ("sharegpt", "jsonl") and arg:
        p = Path(arg)
        if not p.is_file():
            raise InputFormatError(f"--dataset {spec!r}: no such file")
        return FileDataset(kind, p)
    raise InputFormatError(f"--dataset {spec!r}: expected random, prefix:LEN, sharegpt:FILE or jsonl:FILE")
