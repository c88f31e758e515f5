"""Named SLO presets: MLPerf Inference's latency limits per model class, with their source.

``--slo mlperf-server`` (or ``mlperf-interactive``, in a plan ``slo = "mlperf-server"``) resolves,
for the model being measured, to the published P99 limits of its class, as SLO keys of
``reportgen.slo`` (the one definition of SLO keys):

* ``ttft_p99_ms`` / ``tpot_p99_ms`` — the cell statistics MLPerf checks (99th percentile over the
  run's requests; MLPerf's TPOT is a request's mean gap between tokens, reportgen's per-request TPOT);
  the capacity search and the met / not met verdicts use these;
* ``ttft_ms`` / ``tpot_ms`` — the same limits per request, so that goodput counts the requests within them.

The class is named (``mlperf-server:llama2-70b``) or read from the model: a name that says it
(``DeepSeek-R1``, ``gpt-oss-120b``), else the parameter count in the name (``Qwen2-7B`` -> the 8B
class; up to 20 B, up to 100 B, above). The limits are MLPerf Inference's Datacenter rules
(``inference_rules.adoc`` in ``mlcommons/inference_policies``); ``since`` is the round that
introduced each pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportgen.errors import InputFormatError

__all__ = ["MLPERF_SOURCE", "PRESETS", "ModelClass", "Preset", "class_for", "find_class", "is_preset",
           "model_classes", "preset", "preset_text_zh"]

MLPERF_SOURCE = "MLPerf Inference Datacenter rules (mlcommons/inference_policies, inference_rules.adoc)"
MLPERF_SOURCE_ZH = "MLPerf Inference 数据中心规则（mlcommons/inference_policies，inference_rules.adoc）"

#: preset name -> the scenario it names, in MLPerf's words and in Chinese
PRESETS: dict[str, tuple[str, str]] = {
    "mlperf-server": ("Server", "Server 场景"),
    "mlperf-interactive": ("Interactive", "Interactive 场景"),
}


@dataclass(frozen=True)
class ModelClass:
    name: str  # "llama3.1-8b": what a preset names after the colon
    display: str  # "Llama3.1-8B": MLPerf's benchmark
    server: tuple[float, float]  # (TTFT, TPOT) P99 limits, ms
    server_since: str  # MLPerf Inference round that introduced them
    interactive: tuple[float, float]
    interactive_since: str
    max_params: float | None = None  # dense models up to this many parameters fall in this class


# In size order (the first whose max_params holds is the class of a model known by its size).
CLASSES: tuple[ModelClass, ...] = (
    ModelClass("llama3.1-8b", "Llama3.1-8B", (2000.0, 100.0), "v5.1", (500.0, 30.0), "v5.1", 20e9),
    ModelClass("llama2-70b", "Llama2-70B", (2000.0, 200.0), "v4.0", (450.0, 40.0), "v5.0", 100e9),
    ModelClass("llama3.1-405b", "Llama3.1-405B", (6000.0, 175.0), "v5.0", (4500.0, 80.0), "v6.0", float("inf")),
    ModelClass("deepseek-r1", "DeepSeek-R1", (2000.0, 80.0), "v5.1", (1500.0, 15.0), "v6.0"),
    ModelClass("gpt-oss-120b", "GPT-OSS-120B", (3000.0, 80.0), "v6.0", (2000.0, 20.0), "v6.0"),
)
_BY_NAME = {c.name: c for c in CLASSES}
# model names that say their class outright (checked before the size)
_NAMED = ((re.compile(r"deepseek[-_ ]?(r1|v3)", re.IGNORECASE), "deepseek-r1"),
          (re.compile(r"gpt[-_ ]?oss[-_ ]?120b", re.IGNORECASE), "gpt-oss-120b"))
_PARAMS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*[Bb](?![a-zA-Z])")


def model_classes() -> tuple[ModelClass, ...]:
    return CLASSES


def find_class(name: str) -> ModelClass:
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise InputFormatError(
            f"unknown MLPerf model class {name!r} (known: {', '.join(_BY_NAME)})") from None


def class_for(*names: str | None) -> ModelClass | None:
    """The class of a model from its names (display name, served name, path), or None when
    neither a known name nor a parameter count appears in them."""
    leaves = [n.rstrip("/").rsplit("/", 1)[-1] for n in names if n]
    for leaf in leaves:
        for pattern, cls in _NAMED:
            if pattern.search(leaf):
                return _BY_NAME[cls]
    for leaf in leaves:
        m = _PARAMS.search(leaf)
        if m:
            params = float(m.group(1)) * 1e9
            return next(c for c in CLASSES if c.max_params is not None and params <= c.max_params)
    return None


@dataclass(frozen=True)
class Preset:
    """A preset resolved for one model class: the limits as SLO keys, and where they come from."""

    name: str  # "mlperf-server"
    model_class: ModelClass

    @property
    def id(self) -> str:
        """What results files record (``ServingCell.slo_preset``): "mlperf-server/llama3.1-8b"."""
        return f"{self.name}/{self.model_class.name}"

    @property
    def limits(self) -> tuple[float, float]:
        c = self.model_class
        return c.server if self.name == "mlperf-server" else c.interactive

    @property
    def since(self) -> str:
        c = self.model_class
        return c.server_since if self.name == "mlperf-server" else c.interactive_since

    def slo(self) -> dict[str, float]:
        ttft, tpot = self.limits
        return {"ttft_p99_ms": ttft, "tpot_p99_ms": tpot, "ttft_ms": ttft, "tpot_ms": tpot}

    def source(self) -> str:
        ttft, tpot = self.limits
        return (f"MLPerf Inference {self.since} {self.model_class.display} {PRESETS[self.name][0]}: "
                f"TTFT P99 <= {ttft:g} ms, TPOT P99 <= {tpot:g} ms ({MLPERF_SOURCE})")

    def source_zh(self) -> str:
        ttft, tpot = self.limits
        return (f"MLPerf Inference {self.since} {self.model_class.display} {PRESETS[self.name][1]}限值："
                f"TTFT P99 ≤ {ttft:g} ms，TPOT P99 ≤ {tpot:g} ms（{MLPERF_SOURCE_ZH}）")


def is_preset(text: str) -> bool:
    """Whether an --slo value names a preset ("mlperf-server", "mlperf-interactive:llama2-70b")."""
    return text.strip().split(":", 1)[0].lower() in PRESETS


def preset(text: str, *model_names: str | None) -> Preset:
    """Resolve ``mlperf-server`` / ``mlperf-interactive`` (optionally ``:CLASS``) for a model.
    ``InputFormatError`` when the class is neither named nor readable from ``model_names``."""
    name, _, cls = text.strip().partition(":")
    name = name.lower()
    if name not in PRESETS:
        raise InputFormatError(f"unknown SLO preset {text!r} (known: {', '.join(PRESETS)})")
    if cls:
        return Preset(name, find_class(cls))
    found = class_for(*model_names)
    if found is None:
        shown = next((n for n in model_names if n), None)
        raise InputFormatError(
            f"--slo {name}: cannot tell the MLPerf model class of {shown!r} from its name; "
            f"name it, e.g. {name}:llama3.1-8b (known: {', '.join(_BY_NAME)})")
    return Preset(name, found)


def from_id(preset_id: str | None) -> Preset | None:
    """The preset a results file recorded (``"mlperf-server/llama3.1-8b"``); None if unknown."""
    if not preset_id:
        return None
    name, _, cls = preset_id.partition("/")
    if name not in PRESETS or cls not in _BY_NAME:
        return None
    return Preset(name, _BY_NAME[cls])


def preset_text_zh(preset_id: str | None) -> str | None:
    """The document's sentence naming a recorded preset's limits and source."""
    p = from_id(preset_id)
    return p.source_zh() if p is not None else None
