"""The settings a serving run was started with, as printed beside its result: vLLM's
``Namespace(...)`` line (also wrapped or mangled by PDF extraction) and the benchmark command
line (``vllm bench serve ...``, ``benchmark_serving.py ...``, ``sglang.bench_serving ...`` with
``\\`` continuations), as Namespace keys; and what they say about the lengths and the dataset."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportgen.errors import InputFormatError


def _split_top_level(s: str) -> list[str]:
    """Split ``a=1, b='x, y', c=(1, 2)`` at commas outside quotes and brackets."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    cur: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(s):
                cur.append(s[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch in "([{<":
            depth += 1
            cur.append(ch)
        elif ch in ")]}>":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def _balance(s: str) -> int:
    """Open minus closed parentheses outside quotes."""
    depth = 0
    quote: str | None = None
    escaped = False
    for ch in s:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return depth


def _value(raw: str) -> Any:
    raw = raw.strip()
    if raw == "inf":
        return float("inf")
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return raw  # <function ...>, LoggingConfig(...): kept as text


def parse_namespace(text: str) -> dict[str, Any]:
    """``Namespace(a=1, b='x')`` -> ``{'a': 1, 'b': 'x'}``.

    ``text`` is the Namespace with PDF line wraps already removed (lines joined with no
    separator). Keys mangled by extraction (``dataset name``) get their spaces turned
    into underscores; values that are not Python literals are kept as text.
    """
    start = text.index("Namespace(") + len("Namespace(")
    end = text.rstrip().rfind(")")
    body = text[start:end]
    out: dict[str, Any] = {}
    for part in _split_top_level(body):
        if "=" not in part:
            continue
        key, _, raw = part.partition("=")
        key = re.sub(r"\s+", "_", key.strip())
        out[key] = _value(raw)
    return out


@dataclass
class RunNamespace:
    first_line: int
    last_line: int
    args: dict[str, Any]


def find_namespaces(lines: list[str], source: str, *, strict: bool, start: int = 0) -> list[RunNamespace]:
    found: list[RunNamespace] = []
    i = start
    while i < len(lines):
        pos = lines[i].find("Namespace(")
        if pos < 0:
            i += 1
            continue
        joined = lines[i][pos:]
        j = i
        while _balance(joined) > 0 and j + 1 < len(lines) and j - i < 60:
            j += 1
            joined += lines[j]  # PDF wraps split words: join with no separator
        if _balance(joined) > 0:
            if strict:
                raise InputFormatError(f"{source}:{i + 1}: Namespace(...) is not closed")
            i += 1  # a pasted Namespace cut short: its values cannot be trusted, the block still can
            continue
        found.append(RunNamespace(i, j, parse_namespace(joined)))
        i = j + 1
    return found


def _pick(ns: Mapping[str, Any], keys: list[str]) -> Any:
    for k in keys:
        if ns.get(k) is not None:
            return ns[k]
    return None


def requested_lengths(ns: Mapping[str, Any]) -> tuple[Any, Any]:
    """The input/output length a Namespace (or a saved JSON) asked for, if any."""
    ds = str(ns.get("dataset_name") or "").strip().lower()
    ins = ([f"{ds}_input_len"] if ds else []) + ["input_len"]
    outs = ([f"{ds}_output_len"] if ds else []) + ["output_len"]
    return _pick(ns, ins), _pick(ns, outs)


def length_keys(ns: Mapping[str, Any], path: str) -> list[str]:
    """The Namespace keys ``requested_lengths`` looks at for ``input_len``/``output_len``."""
    ds = str(ns.get("dataset_name") or "").strip().lower()
    return ([f"{ds}_{path}"] if ds else []) + [path]


def dataset_of(ns: Mapping[str, Any]) -> str | None:
    """The dataset a Namespace (or saved JSON) names: ``dataset_name``, else (vLLM 0.4's
    ``dataset='ShareGPT_V3...json'``) the file's kind."""
    name = ns.get("dataset_name")
    if isinstance(name, str) and name.strip():
        name = name.strip().lower()
        if name == "random" and ns.get("random_prefix_len"):
            return f"prefix:{ns['random_prefix_len']}"
        return name
    path = ns.get("dataset") or ns.get("dataset_path")
    if isinstance(path, str) and path:
        low = path.lower()
        for known in ("sharegpt", "sonnet", "burstgpt"):
            if known in low:
                return known
        return "file"
    return None


BENCH_CMD = re.compile(r"(vllm\s+bench\s+serve|benchmark_serving\w*\.py|sglang\.bench_serving)\b")


def command_args(lines: list[str]) -> dict[str, Any]:
    """The flags of the last benchmark command line among ``lines`` (``\\`` continuations
    joined), as Namespace keys: ``--max-concurrency 4`` -> ``{"max_concurrency": 4}``."""
    found: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        if not BENCH_CMD.search(lines[i]):
            i += 1
            continue
        cmd = lines[i]
        while cmd.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd = cmd.rstrip()[:-1] + " " + lines[i]
        try:
            words = shlex.split(cmd, comments=False)
        except ValueError:
            words = cmd.split()
        args: dict[str, Any] = {}
        for k, w in enumerate(words):
            if not w.startswith("--") or len(w) < 3:
                continue
            name, eq, val = w[2:].partition("=")
            if not eq:
                nxt = words[k + 1] if k + 1 < len(words) else ""
                val = nxt if nxt and not nxt.startswith("--") else "true"
            key = name.replace("-", "_")
            key = {"num_prompt": "num_prompts", "random_input": "random_input_len", "random_output": "random_output_len"}.get(key, key)
            args[key] = _value(val) if re.fullmatch(r"[-+]?\d+(\.\d+)?|inf", val) else val
        if args:
            found = args
        i += 1
    return found
