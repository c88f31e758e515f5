"""Physical upper bounds on what one card can do, from its own spec sheet.

* prefill: every prompt token costs at least 2 x parameters FLOPs (one multiply-add per
  weight), so prompt tokens/s <= peak FLOPs / (2 x parameters);
* decode: each step of one sequence reads every weight once, so output tokens/s per
  sequence <= memory bandwidth / weight bytes.

Both bounds ignore attention and overheads, so a real figure is always below them: a figure
above one cannot have been measured. Facts (``accelerator.peak_compute``, text such as
"FP16: 单芯 96 TFLOPS，双芯 192 TFLOPS"; ``accelerator.memory_bandwidth`` in B/s) are read as
the card's totals; parameters come from the model name ("Qwen2-7B-Instruct" -> 7e9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportgen.results import Fact, ModelVariant

_TFLOPS = re.compile(r"(\d+(?:\.\d+)?)\s*T(?:FLOPS|FLOP/s)", re.IGNORECASE)
_PARAMS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*[Bb](?![a-zA-Z])")


@dataclass(frozen=True)
class CardBounds:
    peak_flops: float | None  # FLOP/s, FP16/BF16 dense, whole card
    peak_text: str | None  # how the spec sheet states it
    bandwidth_bps: float | None  # memory bandwidth, bytes/s


def card_bounds(facts: dict[str, Fact]) -> CardBounds:
    peak = peak_text = None
    f = facts.get("accelerator.peak_compute")
    if f is not None and f.present:
        if isinstance(f.value, (int, float)) and not isinstance(f.value, bool):
            peak, peak_text = float(f.value), f"{f.value / 1e12:g} TFLOPS"
        else:
            text = str(f.value)
            # prefer the FP16/BF16 part of a list such as "FP32: …; FP16: 96 / 192 TFLOPS; INT8: …"
            part = next((p for p in re.split(r"[;；\n]", text) if re.search(r"[FB]F?16", p, re.IGNORECASE)), text)
            values = [float(x) for x in _TFLOPS.findall(part)]
            if values:
                peak, peak_text = max(values) * 1e12, f"{max(values):g} TFLOPS"
    bw = None
    b = facts.get("accelerator.memory_bandwidth")
    if b is not None and b.present and isinstance(b.value, (int, float)) and not isinstance(b.value, bool):
        bw = float(b.value) if b.unit in (None, "B/s") else None
    return CardBounds(peak, peak_text, bw)


def model_params(v: ModelVariant) -> float | None:
    """Parameters from the model's name ("Qwen2-7B-Instruct" -> 7e9, "Qwen2-0.5B" -> 5e8)."""
    for name in (v.model, v.served_model_name, v.model_path):
        if name:
            m = _PARAMS.search(name.rsplit("/", 1)[-1])
            if m:
                return float(m.group(1)) * 1e9
    return None


def weight_bytes_per_param(v: ModelVariant) -> float:
    """Bytes each weight takes: 0.5 for 4-bit, 1 for 8-bit, else 2 (FP16/BF16)."""
    text = " ".join(x for x in (v.quantization, v.precision, v.label) if x).lower()
    if re.search(r"int4|4bit|awq|gptq(?!.*int8)", text):
        return 0.5
    if re.search(r"int8|fp8|8bit", text):
        return 1.0
    return 2.0
