"""Variant-identity rules: are two variants two deployments, and is a variant what its label says?

* ``same_deployment``: two variants that cannot be told apart -- the same launch command (so the
  same model path, dtype and quantisation; where it listens aside); or, attached to a running
  server, the same base URL serving the same model id and root, with the same process start time
  where /metrics gives one (none given: nothing tells two runs apart). Their
  speedup and accuracy difference are noise, not results (the verdicts print neither).
* ``quantization_label``: a label that claims a quantisation (INT4, INT8, GPTQ, AWQ, FP8, W8A8,
  W4A16) while the launch command, the served model's config.json and the model's name show none
  (or another one).

``deployment(v)`` is the one reading of what a variant's server ran, used by both rules.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath

from reportgen.results import ModelVariant, Results
from reportgen.validity.messages import Arg, Say, Term, items, say
from reportgen.validity.registry import Issue, Source, rule

_CLAIM = re.compile(r"(gptq|awq|fp8|w8a8|w4a16|int4|int8)", re.I)
#: What vLLM's --quantization / a config's quant_method may say for each claim (others: not checked).
COMPATIBLE: dict[str, frozenset[str]] = {
    "gptq": frozenset({"gptq", "gptq_marlin", "gptq_bitblas", "marlin"}),
    "awq": frozenset({"awq", "awq_marlin"}),
    "fp8": frozenset({"fp8", "fbgemm_fp8", "modelopt", "compressed-tensors", "ptpc_fp8"}),
    "w8a8": frozenset({"compressed-tensors", "w8a8_int8", "smoothquant", "fp8", "ascend"}),
    "w4a16": frozenset({"compressed-tensors", "gptq", "gptq_marlin", "awq", "awq_marlin", "marlin"}),
    "int4": frozenset({"gptq", "gptq_marlin", "awq", "awq_marlin", "marlin", "bitsandbytes", "compressed-tensors",
                       "gguf", "gptq_bitblas", "w4a16", "ascend"}),
    "int8": frozenset({"gptq", "gptq_marlin", "bitsandbytes", "compressed-tensors", "smoothquant", "w8a8_int8",
                       "experts_int8", "ascend"}),
}
_BITS = {"int4": 4, "w4a16": 4, "int8": 8, "w8a8": 8}


@dataclass(frozen=True)
class Deployment:
    """What a variant's server ran, as far as the record says (None: not recorded)."""

    argv: tuple[str, ...] | None  # the launch command, split
    model: str | None  # the model path or id it served
    dtype: str | None  # --dtype, "auto" when the command gives none; else the config's torch_dtype
    quantization: str | None  # --quantization, else the config's quant_method ("" when the config has none)
    launched: bool


def _flag(argv: list[str], *names: str) -> str | None:
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


def _served_path(argv: list[str]) -> str | None:
    """``vllm serve MODEL`` or ``--model MODEL``."""
    if "serve" in argv:
        i = argv.index("serve")
        if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            return argv[i + 1]
    return _flag(argv, "--model")


def deployment(v: ModelVariant) -> Deployment:
    s = v.server
    argv: list[str] | None = None
    if s.launch_command:
        try:
            argv = shlex.split(s.launch_command)
        except ValueError:
            argv = s.launch_command.split()
    model = s.model_root or (_served_path(argv) if argv else None) or v.model_path
    config = s.served_config
    dtype = _flag(argv, "--dtype") if argv else None
    if dtype is None:
        dtype = "auto" if argv else (config.get("torch_dtype") if config else None)
    quant = _flag(argv, "--quantization", "-q") if argv else None
    if quant is None and config:
        quant = config.get("quant_method") or ""
    elif quant is None and argv:
        quant = ""  # none asked: vLLM reads the checkpoint's own config
    return Deployment(tuple(argv) if argv else None, model, dtype, quant, s.launched or bool(argv))


def _start(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


#: Options that do not change what a server computes (where it listens, what it calls the model).
_NEUTRAL = ("--port", "--host", "--served-model-name", "--api-key", "--uvicorn-log-level")


def _normalised(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The command without ``exec``, leading VAR=value words and the options of ``_NEUTRAL``."""
    out: list[str] = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if not out and (a == "exec" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", a)):
            continue
        name = a.split("=", 1)[0]
        if name in _NEUTRAL:
            skip = "=" not in a and i + 1 < len(argv)
            continue
        out.append(a)
    return tuple(out)


def _same(a: ModelVariant, b: ModelVariant) -> Say | None:
    """Why ``a`` and ``b`` cannot be told apart (None: they can)."""
    da, db = deployment(a), deployment(b)
    if da.argv is not None and db.argv is not None:
        if _normalised(da.argv) != _normalised(db.argv) or da.model != db.model:
            return None
        quant: Arg = da.quantization or Term("none", "无")
        return say("same_deployment.command", path=da.model or "?", dtype=da.dtype or "auto", quant=quant)
    if da.argv is not None or db.argv is not None:
        return None  # one launched, one attached: their records say different things
    sa, sb = a.server, b.server
    url_a, url_b = _attached_url(a), _attached_url(b)
    if not url_a or url_a != url_b:
        return None
    ma, mb = _attached_model(a), _attached_model(b)
    if not ma or ma != mb or sa.model_root != sb.model_root:
        return None
    root: Arg = say("same_deployment.root", root=sa.model_root) if sa.model_root else ""
    if sa.process_start_time is not None and sb.process_start_time is not None:
        if abs(sa.process_start_time - sb.process_start_time) > 1.0:
            return None  # the server was restarted between them: it may have been redeployed
        start: Arg = say("same_deployment.start", start=_start(sa.process_start_time))
    else:
        start = say("same_deployment.start_unknown")
    return say("same_deployment.attached", url=url_a, model=ma, root=root, start=start)


def _attached_url(v: ModelVariant) -> str | None:
    """The server a variant was measured on: its server's, else its accuracy runs' (``eval``)."""
    url = v.server.base_url or next((a.base_url for a in v.accuracy if a.base_url), None)
    return url.rstrip("/") if url else None


def _attached_model(v: ModelVariant) -> str | None:
    return v.served_model_name or next((a.model for a in v.accuracy if a.model), None)


def same_deployment_pairs(results: Results) -> list[tuple[ModelVariant, ModelVariant, Say]]:
    """(later variant, earlier variant, why) for every pair of variants that are one deployment."""
    measured = [v for v in results.variants if v.serving or v.accuracy or v.functional_check]
    out = []
    for j, b in enumerate(measured):
        for a in measured[:j]:
            why = _same(a, b)
            if why is not None:
                out.append((b, a, why))
                break
    return out


@rule(
    "same_deployment", family="variant_identity", scope="results", severity="error",
    description="two variants that cannot be told apart: the same launch command (model path, dtype, quantisation; "
                "--port/--host/--served-model-name aside); or attached, the same base URL serving the same model id "
                "and root, with the same /metrics process start time (or none given) -> error: no speedup or "
                "accuracy difference between them is printed as a result",
    source=Source("InferenceX", "every InferenceX result is tagged with its image and recipe fingerprint: two "
                                "labels on one fingerprint are one measurement twice"),
    remedy=("deploy each variant as it is meant to be (its own model files, dtype or --quantization), then re-run "
            "both", "按各版本应有的方式分别部署（各自的模型文件、dtype 或 --quantization）后重测两者"),
    title_zh="不同标签的版本应是可区分的不同部署",
)
def _same_deployment(results: Results) -> Iterator[Issue]:
    for v, other, why in same_deployment_pairs(results):
        yield Issue("error", say("same_deployment", label=v.label, other=other.label, evidence=why), variant=v)


def claimed(v: ModelVariant) -> str | None:
    """The quantisation a variant's label, precision or quantization field claims ("int4", "gptq", ...)."""
    for text in (v.label, v.quantization or "", v.precision or ""):
        m = _CLAIM.search(text)
        if m:
            return m.group(1).lower()
    return None


def _names_quantisation(path: str | None) -> bool:
    return bool(path) and _CLAIM.search(PurePosixPath(str(path).rstrip("/")).name) is not None


def quantization_evidence(v: ModelVariant, claim: str) -> list[Say] | None:
    """What contradicts the claim (None: nothing does, or nothing recorded could)."""
    d = deployment(v)
    config = v.server.served_config
    bits = config.get("bits") if config else None
    method = d.quantization
    if method:  # a method named by the command or the config: check that it fits the claim
        if method.lower() in COMPATIBLE.get(claim, frozenset({method.lower()})) and (
                bits is None or _BITS.get(claim) in (None, bits)):
            return None
        if d.argv is not None and _flag(list(d.argv), "--quantization", "-q"):
            return [say("quantization_label.command_other", quant=method)]
        return [say("quantization_label.config_other", quant=f"{method}" + (f" {bits}-bit" if bits else ""))]
    if _names_quantisation(d.model) or _names_quantisation(v.model_path):
        return None  # a quantised checkpoint vLLM detects from its own config
    if d.argv is None and not config:
        return None  # attached, nothing read: nothing recorded says otherwise
    out: list[Say] = []
    if d.argv is not None:
        out.append(say("quantization_label.command_none"))
        dtype = _flag(list(d.argv), "--dtype")
        if dtype:
            out.append(say("quantization_label.dtype", dtype=dtype))
    if config:
        out.append(say("quantization_label.config_none"))
    out.append(say("quantization_label.path", path=PurePosixPath(str(d.model or v.model_path or "?").rstrip("/")).name))
    return out


@rule(
    "quantization_label", family="variant_identity", scope="variant", severity="error",
    description="a label (or precision) that claims a quantisation (INT4, INT8, GPTQ, AWQ, FP8, W8A8, W4A16) while the "
                "launch command's --quantization, the served config.json's quant_method and the model's name show "
                "none or an incompatible one -> error",
    source=Source("ours", "vLLM quantises only what --quantization or the checkpoint's own config asks for; "
                          "a label is not a deployment"),
    remedy=("serve the quantised checkpoint (or pass --quantization), or label the variant for what it runs",
            "部署量化后的模型（或指定 --quantization），或按实际运行的精度命名该版本"),
    title_zh="版本标签所声称的量化应与部署一致",
)
def _quantization_label(v: ModelVariant) -> Iterator[Issue]:
    claim = claimed(v)
    if claim is None or not (v.serving or v.accuracy or v.functional_check):
        return
    evidence = quantization_evidence(v, claim)
    if evidence:
        yield Issue("error", say("quantization_label", label=v.label, claim=claim.upper(), evidence=items(evidence, "comma")))
