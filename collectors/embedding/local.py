"""Local mode: a model directory run with transformers + torch on a chosen device.

torch is an optional extra (``pip install 'reportgen[local-models]'``); without it every
entry point raises ``LocalModelError`` saying so in one line. Pooling follows the model's
sentence-transformers config (``1_Pooling/config.json``) and defaults to the CLS token, as
bge and vLLM's BERT/XLM-R poolers do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.errors import ReportgenError

INSTALL_HINT = "pip install 'reportgen[local-models]'"

# precision label (case-insensitive, '-'/'_' ignored) -> torch dtype name
PRECISION_DTYPES = {
    "fp32": "float32", "float32": "float32", "float": "float32",
    "fp16": "float16", "float16": "float16", "half": "float16",
    "bf16": "bfloat16", "bfloat16": "bfloat16",
}


class LocalModelError(ReportgenError):
    """A local model cannot be loaded or run (torch missing, no such model, bad device)."""


def import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise LocalModelError(f"local mode needs torch, which is not installed: {INSTALL_HINT}") from None
    return torch


def torch_dtype_name(precision: str | None, device: str) -> str:
    """The dtype a precision label means; no label: float32 on CPU, float16 elsewhere (the seed's use_fp16)."""
    if precision is None:
        return "float32" if device.split(":")[0] == "cpu" else "float16"
    key = precision.lower().replace("-", "").replace("_", "")
    if key not in PRECISION_DTYPES:
        raise LocalModelError(f"--precision {precision}: local mode runs fp32, fp16 or bf16 (quantized models need a serving engine: use --base-url)")
    return PRECISION_DTYPES[key]


def resolve_model_dir(model: str) -> Path:
    """A model directory, or a name found in the Hugging Face cache (never downloaded)."""
    p = Path(model).expanduser()
    if p.is_dir():
        if not (p / "config.json").is_file():
            raise LocalModelError(f"{p}: not a model directory (no config.json)")
        return Path(os.path.abspath(p))
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # noqa: BLE001 -- any miss means "not available offline"
        raise LocalModelError(f"{model}: no such model directory, and not in the Hugging Face cache (local mode downloads nothing)") from None


def pooling_of(model_dir: Path) -> str:
    """'cls' or 'mean', from the sentence-transformers module config; 'cls' without one."""
    modules = model_dir / "modules.json"
    candidates = [model_dir / "1_Pooling" / "config.json"]
    if modules.is_file():
        try:
            for m in json.loads(modules.read_text(encoding="utf-8")):
                if str(m.get("type", "")).endswith("Pooling"):
                    candidates.insert(0, model_dir / m.get("path", "") / "config.json")
        except (ValueError, AttributeError):
            pass
    for c in candidates:
        if c.is_file():
            cfg = json.loads(c.read_text(encoding="utf-8"))
            if cfg.get("pooling_mode_cls_token"):
                return "cls"
            if cfg.get("pooling_mode_mean_tokens"):
                return "mean"
    return "cls"


def _max_length(model_dir: Path, tokenizer: Any, config: Any) -> int:
    st = model_dir / "sentence_bert_config.json"
    if st.is_file():
        n = json.loads(st.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(n, int) and n > 0:
            return n
    limits = []
    tml = getattr(tokenizer, "model_max_length", None)
    if isinstance(tml, int) and 0 < tml < 1_000_000:
        limits.append(tml)
    mpe = getattr(config, "max_position_embeddings", None)
    if isinstance(mpe, int) and mpe > 0:
        # RoBERTa/XLM-R offset positions by pad_token_id + 1
        offset = (getattr(config, "pad_token_id", 0) or 0) + 1 if config.model_type in ("roberta", "xlm-roberta") else 0
        limits.append(mpe - offset)
    return min(limits) if limits else 512


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class _LocalModel:
    auto_class = "AutoModel"

    def __init__(self, model: str, *, device: str = "cpu", precision: str | None = None) -> None:
        torch = import_torch()
        import transformers

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # "longer than max length" while counting
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self.torch = torch
        self.model_dir = resolve_model_dir(model)
        try:
            self.device = torch.device(device)
            torch.empty(1, device=self.device)
        except (RuntimeError, AssertionError) as e:
            raise LocalModelError(f"--device {device}: not usable here ({_first_line(e)})") from None
        self.dtype_name = torch_dtype_name(precision, device)
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(self.model_dir))
            net = getattr(transformers, self.auto_class).from_pretrained(str(self.model_dir))
        except Exception as e:  # noqa: BLE001 -- the library boundary: any failure to load is the model's
            raise LocalModelError(f"{self.model_dir}: cannot load with transformers: {_first_line(e)}") from None
        self.net = net.to(device=self.device, dtype=getattr(torch, self.dtype_name)).eval()
        self.max_length = _max_length(self.model_dir, self.tokenizer, net.config)

    def count_tokens(self, text: str) -> int | None:
        return len(self.tokenizer(text, truncation=False)["input_ids"])

    def _run(self, fn: Any, n: int) -> Any:
        """Run ``fn`` (a forward pass over ``n`` items); device errors (out of memory, ...) become one line."""
        try:
            with self.torch.inference_mode():
                return fn()
        except RuntimeError as e:
            raise LocalModelError(f"{self.device} ({self.dtype_name}), batch of {n}: {_first_line(e)}") from None

    def _inputs(self, a: list[str], b: list[str] | None = None) -> Any:
        enc = self.tokenizer(a, b, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}


class LocalEmbedder(_LocalModel):
    """``embed(texts)``: pooled last hidden states as float64 (normalization is the caller's)."""

    auto_class = "AutoModel"

    def __init__(self, model: str, *, device: str = "cpu", precision: str | None = None) -> None:
        super().__init__(model, device=device, precision=precision)
        self.pooling = pooling_of(self.model_dir)
        hidden = getattr(self.net.config, "hidden_size", None)
        self.dimensions: int | None = hidden if isinstance(hidden, int) else None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        inputs = self._inputs(list(texts))

        def forward() -> np.ndarray:
            hidden = self.net(**inputs).last_hidden_state
            if self.pooling == "mean":
                mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            else:
                pooled = hidden[:, 0]
            out: np.ndarray = pooled.float().cpu().numpy().astype(np.float64)
            return out

        result: np.ndarray = self._run(forward, len(texts))
        return result


class LocalReranker(_LocalModel):
    """``score(pairs)``: the sequence-classification logit of each (query, passage) pair."""

    auto_class = "AutoModelForSequenceClassification"

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        inputs = self._inputs([q for q, _ in pairs], [p for _, p in pairs])

        def forward() -> np.ndarray:
            logits = self.net(**inputs, return_dict=True).logits
            out: np.ndarray = logits.view(-1).float().cpu().numpy().astype(np.float64)
            return out

        result: np.ndarray = self._run(forward, len(pairs))
        return result
