"""The reference file: what a reference card computed for the prompt set (``reportgen reference record``).

One JSON document: who computed it (model, dtype/quantisation, engine and version, card, when,
with which command), the prompt set and its hash, and per prompt the messages, the tokens the
reference server's chat template made of them, the greedy continuation with the log-probability
and top-k of every generated token, and, where the server offered teacher forcing (vLLM's
``prompt_logprobs``, the legacy ``echo``), the same figures for that continuation fed back as
input. ``save_reference`` never replaces a file; ``load_reference`` checks every hash, so an
edited reference is refused with one line instead of being compared.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportgen import __version__
from reportgen._io import parse_json, read_text
from reportgen.consistency.prompts import Prompt, messages_sha256, set_sha256
from reportgen.errors import InputFormatError

FORMAT: Literal["reportgen-consistency-reference"] = "reportgen-consistency-reference"

#: (token id, log-probability), most likely first
TopK = list[tuple[int, float]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferencePrompt(_Model):
    id: str
    sha256: str  # of the messages (``prompts.messages_sha256``)
    lang: str = ""
    length: str = ""
    messages: list[dict[str, str]]
    prompt_tokens: list[int] = Field(default_factory=list)  # the reference server's chat template, tokenized
    tokens: list[int] = Field(default_factory=list)  # the greedy continuation
    text: str = ""
    finish_reason: str | None = None
    logprobs: list[float] = Field(default_factory=list)  # of each generated token, as generated
    top: list[TopK] = Field(default_factory=list)  # top-k at each generated position, as generated
    tf_logprobs: list[float] | None = None  # the continuation fed back as input (teacher forcing)
    tf_top: list[TopK] | None = None
    error: str | None = None  # why this prompt has no recording

    def prompt(self) -> Prompt:
        return Prompt(id=self.id, lang=self.lang, length=self.length, messages=self.messages)


class ReferenceFile(_Model):
    format: Literal["reportgen-consistency-reference"] = FORMAT
    version: Literal[1] = 1
    tool_version: str = __version__
    recorded_at: datetime
    command: str | None = None
    base_url: str | None = None  # scheme://host:port only
    model: str  # the name the server served
    model_root: str | None = None  # what it loaded (/v1/models "root")
    model_name: str | None = None  # the display name given when recording ("Qwen2-7B-Instruct")
    max_model_len: int | None = None
    dtype: str | None = None  # "fp16", "bf16", "fp32"
    quantization: str | None = None  # "gptq", "awq", None
    engine: str | None = None
    engine_version: str | None = None
    card: str | None = None  # "NVIDIA A100-SXM4-80GB"
    prompt_set: str  # the shipped set's name
    prompt_set_sha256: str  # of the prompts this file holds (``prompts.set_sha256``)
    max_tokens: int
    top_k: int
    teacher_forcing: Literal["prompt_logprobs", "echo"] | None = None
    prompts: list[ReferencePrompt]

    def computed_set_sha256(self) -> str:
        return set_sha256([(p.id, messages_sha256(p.messages)) for p in self.prompts])


def reference_json(ref: ReferenceFile) -> bytes:
    return (ref.model_dump_json(indent=None) + "\n").encode("utf-8")


def save_reference(ref: ReferenceFile, path: Path) -> Path:
    """Write ``ref`` to ``path``, which must not exist: a reference is never rewritten. Atomic
    (a temporary file, fsync, then a hard link, which fails if the name was taken meanwhile)."""
    if path.exists():
        raise InputFormatError(f"{path}: exists; a reference is never rewritten (choose another file name)")
    if not path.parent.is_dir():
        raise InputFormatError(f"{path.parent}: no such folder")
    data = reference_json(ref)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise InputFormatError(f"{path}: exists; a reference is never rewritten (choose another file name)") from None
        except OSError as e:
            raise InputFormatError(f"{path}: cannot write: {e.strerror or e}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return path


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_reference(path: Path) -> ReferenceFile:
    """The reference file, validated; ``InputFormatError`` (one line) when it is not one, or when a
    prompt or the set no longer matches its recorded hash."""
    if not path.exists():
        raise InputFormatError(f"{path}: no such reference file (record one with 'reportgen reference record')")
    doc = parse_json(read_text(path), str(path))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputFormatError(f"{path}: not a reportgen consistency reference (no \"format\": \"{FORMAT}\")")
    try:
        ref = ReferenceFile.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise InputFormatError(f"{path}: field {loc}: {err['msg']}") from None
    for p in ref.prompts:
        if messages_sha256(p.messages) != p.sha256:
            raise InputFormatError(f"{path}: prompt {p.id!r} does not match its recorded sha256 (the file was edited)")
        if p.error is None and (len(p.logprobs) != len(p.tokens) or len(p.top) != len(p.tokens)
                                or (p.tf_top is not None and len(p.tf_top) != len(p.tokens))
                                or (p.tf_logprobs is not None and len(p.tf_logprobs) != len(p.tokens))):
            raise InputFormatError(f"{path}: prompt {p.id!r}: the log-probability lists do not match its tokens")
    if ref.computed_set_sha256() != ref.prompt_set_sha256:
        raise InputFormatError(f"{path}: the prompts do not match the recorded prompt-set sha256 (the file was edited)")
    return ref
