"""Prompts of exactly the input length, in the served model's tokenizer.

Counting uses the model's tokenizer as the server counts (special tokens added; for
the chat endpoint, the chat template applied): either a local tokenizer directory
through transformers (``LocalTokenizer``) or the server's ``/tokenize`` and
``/detokenize`` (``ServerTokenizer``). The server's ``usage.prompt_tokens`` is later
checked against the count recorded here.

Every prompt is random text drawn from a RNG keyed by ``(seed, key)``, where the key
names the variant, cell and request, so every request of every cell has distinct
content: the server's prefix cache cannot flatter later cells (vLLM #54227). The seed
is recorded in each cell.

Length fixing (like vLLM's ``gen_prompt_decode_to_target_len``, but checked, never
only logged): take ``k`` tokens of the random text, decode, count what the server
would count, move ``k`` by the difference; repeat until the count is exact or fail.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from collectors import answers
from collectors.auth import bearer
from reportgen.errors import InputFormatError, ServerError

__all__ = [
    "LocalTokenizer",
    "PromptFactory",
    "PromptSample",
    "ServerTokenizer",
    "Tokenizer",
]


class Tokenizer(Protocol):
    """What prompt generation needs from a tokenizer."""

    def encode(self, text: str) -> list[int]:
        """Token ids without special tokens."""

    def decode(self, ids: Sequence[int]) -> str: ...

    def count(self, text: str, chat: bool = False) -> int:
        """Tokens the server would count for this prompt (specials added; chat template if ``chat``)."""

    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class PromptSample:
    """One request's prompt. ``prompt_tokens`` is the count in the model's tokenizer."""

    key: str
    text: str
    prompt_tokens: int
    sha256: str
    chat: bool = False
    output_len: int | None = None  # this request's max_tokens (datasets with their own lengths); None: the cell's
    messages: tuple[tuple[str, str], ...] | None = None  # chat history (role, content) ending in ``text``; None: one user turn


class LocalTokenizer:
    """A tokenizer directory loaded with transformers (no network)."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        if not p.is_dir():
            raise InputFormatError(f"tokenizer directory not found: {p}")
        try:
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no "PyTorch was not found" noise
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True, trust_remote_code=False)
        except Exception as e:  # transformers raises many kinds; one line for the user
            raise InputFormatError(f"cannot load a tokenizer from {p}: {type(e).__name__}: {e}") from None
        self._path = p

    @property
    def source(self) -> str:
        return f"tokenizer:{self._path}"

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tok.decode(list(ids), skip_special_tokens=True))

    def count(self, text: str, chat: bool = False) -> int:
        if chat:
            if not getattr(self._tok, "chat_template", None):
                raise InputFormatError(
                    f"the tokenizer in {self._path} has no chat template: use --endpoint completions "
                    "(or a tokenizer with a chat template)"
                )
            try:
                out: Any = self._tok.apply_chat_template(
                    [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True
                )
            except Exception as e:  # a broken template raises whatever jinja2 raises: one line
                raise InputFormatError(f"the chat template of {self._path} failed: {type(e).__name__}: {e}") from None
            if hasattr(out, "keys"):  # transformers 5 returns a BatchEncoding
                out = out["input_ids"]
            return len(out)
        return len(self._tok(text, add_special_tokens=True)["input_ids"])


class ServerTokenizer:
    """The server's own tokenizer through vLLM's ``/tokenize`` and ``/detokenize``."""

    def __init__(self, base_url: str, model: str, *, timeout_s: float = 60.0, client: httpx.Client | None = None,
                 api_key: str | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._model = model
        self._client = client or answers.sync_client(timeout_s, headers=bearer(api_key))

    @property
    def source(self) -> str:
        return "server:/tokenize"

    def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        url = self._base + path
        try:
            r = answers.request(self._client, "POST", url, json=body)
        except httpx.HTTPError as e:
            raise ServerError(f"{url}: {type(e).__name__}: {e}") from None
        if r.status_code == 404:
            raise ServerError(f"{url}: the server has no {path} (HTTP 404): give a local tokenizer "
                              "(--tokenizer DIR, or tokenizer = \"DIR\" in the plan's [[variants]])")
        if r.status_code != 200:
            raise ServerError(f"{url}: HTTP {r.status_code}: {r.text[:200]}")
        try:
            doc = answers.parse_answer(r.content, url)
        except ServerError:
            raise ServerError(f"{url}: answered non-JSON: {r.text[:200]!r}") from None
        if not isinstance(doc, dict):
            raise ServerError(f"{url}: answered {type(doc).__name__}, expected an object")
        return doc

    def encode(self, text: str) -> list[int]:
        doc = self._post("/tokenize", {"model": self._model, "prompt": text, "add_special_tokens": False})
        tokens = doc.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
            raise ServerError(f"{self._base}/tokenize: no 'tokens' list of integers in the answer")
        return list(tokens)

    def decode(self, ids: Sequence[int]) -> str:
        doc = self._post("/detokenize", {"model": self._model, "tokens": list(ids)})
        text = doc.get("prompt")
        if not isinstance(text, str):
            raise ServerError(f"{self._base}/detokenize: no 'prompt' string in the answer")
        return text

    def count(self, text: str, chat: bool = False) -> int:
        body: dict[str, object]
        if chat:
            body = {"model": self._model, "messages": [{"role": "user", "content": text}], "add_generation_prompt": True}
        else:
            body = {"model": self._model, "prompt": text, "add_special_tokens": True}
        doc = self._post("/tokenize", body)
        n = doc.get("count")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ServerError(f"{self._base}/tokenize: no integer 'count' in the answer")
        return n

    def close(self) -> None:
        self._client.close()


# Syllables for random pseudo-words: plain ASCII, so any byte-level BPE tokenizes them
# into ordinary tokens (no special or byte-fallback tokens).
_SYLLABLES = (
    "ka ri to mu se na lo pe vi da gu hen sor tal mik ber quo zan fel dri "
    "ost ple wan cor jun bis tey lum rax nod hup gre vel sim yor"
).split()


def _words(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.08:
            w += str(rng.randint(0, 999))
        out.append(w)
    return " ".join(out)


class PromptFactory:
    """Makes exact-length, distinct prompts. ``make(key, n_tokens)`` is deterministic in (seed, key)."""

    def __init__(self, tokenizer: Tokenizer, seed: int, *, chat: bool = False, max_tries: int = 30) -> None:
        self.tokenizer = tokenizer
        self.seed = seed
        self.chat = chat
        self.max_tries = max_tries
        self._seen: dict[str, str] = {}  # sha256 -> key, to prove distinctness

    def make(self, key: str, n_tokens: int, prefix: str = "") -> PromptSample:
        """A prompt of exactly ``n_tokens``; with ``prefix``, it starts with that text (shared-prefix
        workloads) and the random part after it is sized so the whole counts ``n_tokens``."""
        if n_tokens < 1:
            raise InputFormatError(f"input length must be at least 1 token, not {n_tokens}")
        tok = self.tokenizer
        rng = random.Random(f"{self.seed}:{key}")
        text = _words(rng, n_tokens // 2 + 8)
        ids = tok.encode(text)
        k = n_tokens - (tok.count(prefix, chat=self.chat) if prefix else 0)
        for _ in range(self.max_tries):
            while len(ids) < k + 8:  # room to grow k
                text += " " + _words(rng, max(16, (k - len(ids)) // 2 + 8))
                ids = tok.encode(text)
            if k < 1:
                break
            prompt = prefix + tok.decode(ids[:k])
            n = tok.count(prompt, chat=self.chat)
            if n == n_tokens:
                return self._sample(key, prompt, n)
            k += n_tokens - n
        raise InputFormatError(
            f"could not make a prompt of exactly {n_tokens} tokens with {tok.source} "
            f"(the template alone may be longer)"
        )

    def _sample(self, key: str, text: str, n: int) -> PromptSample:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in self._seen:
            raise InputFormatError(f"prompts {self._seen[digest]!r} and {key!r} are identical; use distinct keys")
        self._seen[digest] = key
        return PromptSample(key=key, text=text, prompt_tokens=n, sha256=digest, chat=self.chat)
