"""The ``manual`` import: what was recorded by hand, as TOML.

The TOML mirrors the results model (``reportgen/results.py``); every table is validated
against its class with unknown keys forbidden. Top-level keys::

    title = "..."                      # document title
    notes = ["..."]                    # free notes (appended)
    [subject]                          # Subject: card, model, organization
    [environment]                      # Environment: host, facts, accelerators, raw_outputs
    [environment.facts]                # "cpu.model" = "..."  or  { value, unit, reason, detail, source }
    [[environment.accelerators]]       # Accelerator
    [[deployment]]                     # DeploymentStep: title, description, commands, screen, output
    [[variants]]                       # ModelVariant: label, model, model_path, precision, server, ...
    [variants.functional_check]        # FunctionalCheck; see below
    [[embeddings]]                     # EmbeddingRun; see below

Conveniences (the only keys that are not model fields):

* a fact given as a bare value means ``{ value = ... }``;
* ``origin`` defaults to ``"imported"`` for facts, steps, functional checks and embedding runs;
* ``functional_check``: ``request`` and ``endpoint`` are read from the curl ``command``
  (its URL and ``-d '{...}'`` body) when not given; ``response_text``, ``finish_reason``,
  ``prompt_tokens`` and ``completion_tokens`` are read from ``raw_response``: in full when it
  is complete JSON, otherwise whatever complete fields the cut-off text holds (PDF line
  wraps are joined first), and a note names what stayed unknown;
* ``[[embeddings.matrices]]`` may give ``printed = "[[0.855 0.8516] ...]"`` instead of
  ``values``; ``[[embeddings.scores]]`` = ``{ pairs = [[a, b], ...], printed = "[...]",
  normalized_printed = "[...]" }`` becomes ``ScoredPair``s. A ``printed`` text must occur
  verbatim in the run's ``output``, so the numbers provably come from what was printed.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reportgen._io import MAX_DEPTH, check_tree, parse_json
from reportgen.errors import InputFormatError
from reportgen.importers.labels import precision_from_label
from reportgen.importers.printed import PrintedValueError, as_matrix, as_vector, parse_printed
from reportgen.redact import redact
from reportgen.results import (
    DeploymentStep,
    EmbeddingRun,
    Environment,
    ModelVariant,
    Results,
    Subject,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOP_KEYS = {"title", "notes", "subject", "environment", "deployment", "variants", "embeddings"}


@dataclass
class ManualImport:
    """A parsed manual TOML file: the sections it gives, validated."""

    source: str
    title: str | None = None
    subject: Subject | None = None
    environment: Environment | None = None
    environment_keys: set[str] = field(default_factory=set)
    deployment: list[DeploymentStep] = field(default_factory=list)
    variants: list[ModelVariant] = field(default_factory=list)
    embeddings: list[EmbeddingRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _KeyError(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _line_of(text: str, key: str) -> int | None:
    """Best effort: the line of the last named segment of ``key`` when it occurs once."""
    names = [p for p in re.split(r"[.\[\]]", key) if p and not p.isdigit()]
    if not names:
        return None
    pat = re.compile(rf'^\s*"?{re.escape(names[-1])}"?\s*=|^\s*\[+[^\]]*\b{re.escape(names[-1])}\]+\s*$')
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if pat.search(line)]
    return hits[0] if len(hits) == 1 else None


_M = TypeVar("_M", bound=BaseModel)


def _validate(cls: type[_M], data: Any, key: str) -> _M:
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        raise _KeyError(_loc(key, err["loc"]), err["msg"]) from None


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _KeyError(key, "expected a table")
    return value


def _list_of_tables(value: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise _KeyError(key, "expected an array of tables ([[...]])")
    return value


# --------------------------------------------------------------------------- curl and responses

_URL = re.compile(r"https?://[^\s'\"\\]+")
_BODY = re.compile(r"(?:-d|--data(?:-raw|-binary)?)\s+'(.*?)'", re.DOTALL)


def parse_curl(command: str) -> tuple[str | None, dict[str, Any] | None]:
    """The endpoint path and the JSON body of a curl command (either may be None)."""
    endpoint = None
    if m := _URL.search(command):
        endpoint = "/" + m.group(0).split("://", 1)[1].split("/", 1)[1] if "/" in m.group(0).split("://", 1)[1] else "/"
    body = None
    if m := _BODY.search(command):
        text = re.sub(r"(?m)^>\s?", "", m.group(1))  # shell continuation prompts
        try:
            parsed = parse_json(text, "request body")
        except InputFormatError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else None
    return endpoint, body


_JSON_STRING = r'"((?:[^"\\]|\\.)*)"'
_FIELD_NAMES = {
    "response_text": "生成文本",
    "finish_reason": "finish_reason",
    "prompt_tokens": "usage.prompt_tokens",
    "completion_tokens": "usage.completion_tokens",
}


class ResponseTextError(ValueError):
    """A recorded response whose field cannot be decoded (raised by ``parse_completion_response``)."""


def parse_completion_response(raw: str) -> tuple[dict[str, Any], bool]:
    """Fields of an OpenAI completion/chat response as printed: ``(fields, complete)``.

    Lines are joined without separator (PDF extraction wraps long lines; a real newline
    cannot occur inside JSON strings). A complete JSON object gives every field; a cut-off
    one gives each field whose value is complete in the text. Raises ``ResponseTextError``
    when such a field is not a valid JSON string (an escape JSON does not have).
    """
    joined = "".join(raw.splitlines())
    start = joined.find("{")
    if start < 0:
        return {}, False
    body = joined[start:]
    fields: dict[str, Any] = {}
    try:
        doc = parse_json(body, "response")
    except InputFormatError:
        doc = None
    if isinstance(doc, dict):
        choices = doc.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        text = choice.get("text")
        if text is None and isinstance(choice.get("message"), dict):
            text = choice["message"].get("content")
        raw_usage = doc.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        fields = {
            "response_text": text if isinstance(text, str) else None,
            "finish_reason": choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None,
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
        }
        for k in ("prompt_tokens", "completion_tokens"):
            v = fields[k]
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                fields[k] = None
        return {k: v for k, v in fields.items() if v is not None}, True
    for name, key in (("text", "response_text"), ("content", "response_text"), ("finish_reason", "finish_reason")):
        if key in fields:
            continue
        if m := re.search(rf'"{name}"\s*:\s*{_JSON_STRING}', body):
            try:
                fields[key] = json.loads(f'"{m.group(1)}"')
            except ValueError as e:  # JSONDecodeError: an escape JSON does not have ("\7")
                msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
                raise ResponseTextError(f'the "{name}" string is not valid JSON ({msg} at character {getattr(e, "pos", 1) - 1} of the value)') from None
    for name in ("prompt_tokens", "completion_tokens"):
        if m := re.search(rf'"{name}"\s*:\s*(\d{{1,18}})\s*[,}}]', body):
            fields[name] = int(m.group(1))
    return fields, False


# --------------------------------------------------------------------------- sections


def _facts(raw: Any, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in _table(raw, key).items():
        fact = dict(value) if isinstance(value, dict) else {"value": value}
        fact.setdefault("origin", "imported")
        out[name] = fact
    return out


def _environment(raw: Any) -> tuple[Environment, set[str]]:
    env = dict(_table(raw, "environment"))
    if "facts" in env:
        env["facts"] = _facts(env["facts"], "environment.facts")
    return _validate(Environment, env, "environment"), set(env)


def _functional_check(raw: Any, key: str, label: str, notes: list[str]) -> dict[str, Any]:
    fc = dict(_table(raw, key))
    fc.setdefault("origin", "imported")
    if isinstance(fc.get("command"), str):
        endpoint, body = parse_curl(fc["command"])
        if "endpoint" not in fc and endpoint:
            fc["endpoint"] = endpoint
        if "request" not in fc:
            if body is None and ("-d" in fc["command"] or "--data" in fc["command"]):
                raise _KeyError(f"{key}.command", "its -d body is not a JSON object; give 'request' explicitly")
            if body is not None:
                fc["request"] = body
    if isinstance(fc.get("raw_response"), str):
        try:
            fields, complete = parse_completion_response(fc["raw_response"])
        except ResponseTextError as e:
            raise _KeyError(f"{key}.raw_response", str(e)) from None
        for name, value in fields.items():
            fc.setdefault(name, value)
        if not complete:
            unknown = [n for n in ("response_text", "finish_reason", "prompt_tokens", "completion_tokens") if fc.get(n) is None]
            note = f"{label} 功能测试：记录的响应不完整（JSON 被截断）"
            if unknown:
                note += "，未知：" + "、".join(_FIELD_NAMES[n] for n in unknown)
            notes.append(note)
    return fc


def _variant(raw: dict[str, Any], key: str, notes: list[str]) -> ModelVariant:
    v = dict(raw)
    label = v.get("label")
    if not isinstance(label, str) or not label:
        raise _KeyError(f"{key}.label", "missing: every variant needs a label (FP16, GPTQ-Int4, ...)")
    info = precision_from_label(label)
    v.setdefault("precision", info.precision)
    if info.quantization:
        v.setdefault("quantization", info.quantization)
    if "functional_check" in v:
        v["functional_check"] = _functional_check(v["functional_check"], f"{key}.functional_check", label, notes)
    return _validate(ModelVariant, v, key)  # model_fields_set: what the TOML gave


def _printed(value: Any, key: str, output: str | None) -> Any:
    if not isinstance(value, str):
        raise _KeyError(key, "expected the printed text as a string")
    if output is not None and value not in output:
        raise _KeyError(key, "this text does not occur in the run's 'output'")
    try:
        return parse_printed(value)
    except PrintedValueError as e:
        raise _KeyError(key, f"not a printed array/list/tensor: {e}") from None


def _embedding(raw: dict[str, Any], key: str) -> EmbeddingRun:
    run = dict(raw)
    run.setdefault("origin", "imported")
    output = run.get("output") if isinstance(run.get("output"), str) else None
    if "matrices" in run:
        mats = []
        for i, m in enumerate(_list_of_tables(run["matrices"], f"{key}.matrices")):
            m = dict(m)
            if "printed" in m:
                k = f"{key}.matrices[{i}].printed"
                try:
                    values = as_matrix(_printed(m.pop("printed"), k, output))
                except PrintedValueError as e:
                    raise _KeyError(k, str(e)) from None
                m.setdefault("values", values)
            mats.append(m)
        run["matrices"] = mats
    pairs = list(run.get("pairs", []))
    for i, group in enumerate(_list_of_tables(run.pop("scores", []), f"{key}.scores")):
        k = f"{key}.scores[{i}]"
        extra = set(group) - {"pairs", "printed", "normalized_printed"}
        if extra:
            raise _KeyError(f"{k}.{sorted(extra)[0]}", "unknown key (allowed: pairs, printed, normalized_printed)")
        texts = group.get("pairs")
        if not isinstance(texts, list) or not all(isinstance(p, list) and len(p) == 2 for p in texts):
            raise _KeyError(f"{k}.pairs", "expected a list of [a, b] pairs")
        try:
            scores = as_vector(_printed(group.get("printed"), f"{k}.printed", output))
            normalized = (
                as_vector(_printed(group["normalized_printed"], f"{k}.normalized_printed", output))
                if "normalized_printed" in group
                else None
            )
        except PrintedValueError as e:
            raise _KeyError(f"{k}.printed", str(e)) from None
        if len(scores) != len(texts) or (normalized is not None and len(normalized) != len(texts)):
            raise _KeyError(f"{k}.printed", f"{len(texts)} pairs but {len(scores)} printed scores")
        for j, (a, b) in enumerate(texts):
            pairs.append({"a": a, "b": b, "score": scores[j], "normalized": normalized[j] if normalized else None})
    if pairs:
        run["pairs"] = pairs
    return _validate(EmbeddingRun, run, key)


def parse_manual(text: str, source: str) -> ManualImport:
    """Parse and validate a manual TOML text. Raises ``InputFormatError`` naming
    ``source``, the TOML key (and its line when it can be found) and the reason."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputFormatError(f"{source}: invalid TOML: {e}") from None
    except RecursionError:
        raise InputFormatError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    check_tree(doc, source)
    try:
        return _parse(_redact_all(doc), source)
    except _KeyError as e:
        line = _line_of(text, e.key)
        where = f"{source}:{line}" if line else source
        raise InputFormatError(f"{where}: key {e.key}: {e.message}") from None


def _redact_all(value: Any) -> Any:
    """Every string in the document with secret values masked (see ``redact``)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_all(v) for v in value]
    return value


def _parse(doc: dict[str, Any], source: str) -> ManualImport:
    for k in doc:
        if k not in _TOP_KEYS:
            raise _KeyError(k, f"unknown top-level key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    out = ManualImport(source=source)
    if "title" in doc:
        if not isinstance(doc["title"], str):
            raise _KeyError("title", "expected a string")
        out.title = doc["title"]
    if "notes" in doc:
        if not isinstance(doc["notes"], list) or not all(isinstance(n, str) for n in doc["notes"]):
            raise _KeyError("notes", "expected a list of strings")
        out.notes.extend(doc["notes"])
    if "subject" in doc:
        out.subject = _validate(Subject, _table(doc["subject"], "subject"), "subject")
    if "environment" in doc:
        out.environment, out.environment_keys = _environment(doc["environment"])
    for i, step in enumerate(_list_of_tables(doc.get("deployment", []), "deployment")):
        step = dict(step)
        step.setdefault("origin", "imported")
        out.deployment.append(_validate(DeploymentStep, step, f"deployment[{i}]"))
    for i, v in enumerate(_list_of_tables(doc.get("variants", []), "variants")):
        out.variants.append(_variant(v, f"variants[{i}]", out.notes))
    for i, e in enumerate(_list_of_tables(doc.get("embeddings", []), "embeddings")):
        out.embeddings.append(_embedding(e, f"embeddings[{i}]"))
    return out


# --------------------------------------------------------------------------- applying


def apply_manual(results: Results, m: ManualImport) -> list[str]:
    """Merge a manual import into ``results``; one printed line per item.

    Facts replace facts of the same key; deployment steps replace steps of the same title;
    variants are updated field by field (their serving and accuracy data are kept);
    embedding runs replace runs of the same model, kind and mode; notes are appended once.
    """
    src = m.source
    lines: list[str] = []
    if m.title is not None:
        results.title = m.title
        lines.append(f"{src}: title: {m.title}")
    if m.subject is not None:
        for name in m.subject.model_fields_set:
            setattr(results.subject, name, getattr(m.subject, name))
        lines.append(f"{src}: subject: " + ", ".join(f"{k}={getattr(m.subject, k)}" for k in sorted(m.subject.model_fields_set)))
    if m.environment is not None:
        env, keys = m.environment, m.environment_keys
        if "host" in keys:
            results.environment.host = env.host
        if "collected_at" in keys:
            results.environment.collected_at = env.collected_at
        results.environment.facts.update(env.facts)
        if "accelerators" in keys:
            results.environment.accelerators = env.accelerators
        for out in env.raw_outputs:
            results.environment.raw_outputs = [o for o in results.environment.raw_outputs if o.command != out.command] + [out]
        results.environment.telemetry.extend(env.telemetry)
        missing = [k for k, f in env.facts.items() if not f.present]
        lines.append(
            f"{src}: environment: {len(env.facts)} facts ({len(missing)} with a reason instead of a value), "
            f"{len(env.accelerators)} accelerators, {len(env.raw_outputs)} raw outputs"
        )
    for step in m.deployment:
        same = [i for i, s in enumerate(results.deployment) if s.title == step.title]
        if same:
            results.deployment[same[0]] = step
            action = "replaced the existing step"
        else:
            results.deployment.append(step)
            action = "added"
        lines.append(f"{src}: deployment step {step.title!r} ({len(step.commands)} commands): {action}")
    for v in m.variants:
        existing = next((x for x in results.variants if x.label == v.label), None)
        given = sorted(v.model_fields_set - {"label"})
        if existing is None:
            results.variants.append(v)
            action = "added"
        else:
            for name in given:
                setattr(existing, name, getattr(v, name))
            action = "updated"
        parts = ", ".join(given)
        fc = v.functional_check
        if fc is not None:
            parts += f"; functional check finish_reason={fc.finish_reason}, completion_tokens={fc.completion_tokens}"
        lines.append(f"{src}: variant {v.label} ({parts}): {action}")
    for run in m.embeddings:
        same = [i for i, r in enumerate(results.embeddings) if (r.model, r.kind, r.mode) == (run.model, run.kind, run.mode)]
        if same:
            results.embeddings[same[0]] = run
            action = "replaced the existing run"
        else:
            results.embeddings.append(run)
            action = "added"
        lines.append(
            f"{src}: {run.kind} {run.model} ({run.mode}): {len(run.matrices)} matrices, {len(run.pairs)} pairs: {action}"
        )
    for note in m.notes:
        if note not in results.notes:
            results.notes.append(note)
            lines.append(f"{src}: note: {note}")
    return lines
