"""Parse what vLLM's serving benchmark prints.

Two printed formats, any number of blocks per text:

* the legacy ``benchmarks/benchmark_serving.py`` output as in the seed document: an
  ``args`` ``Namespace(...)`` line (which PDF extraction may have wrapped over several
  lines and mangled, e.g. ``dataset name=`` or ``sharegpt ou`` / ``tput_len``), a
  ``===== Serving Benchmark Result =====`` block with short rulers and the extra
  ``latency per token (ms)`` line;
* the current ``vllm bench serve`` block ``============ Serving Benchmark Result ============``
  (Failed requests, Peak ..., Inter-token Latency, optional E2EL and other percentiles).

Every ``label: value`` line is kept exactly as printed (``ImportInfo.printed``), the block
text in ``ImportInfo.text``. Metrics the block does not print but that follow exactly from
what it prints (e.g. total-token throughput = tokens / duration) are computed and named in
``ImportInfo.derived``; statistics that were not printed (std, P90, min, max) stay None.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers.labels import PrecisionInfo, model_name_from_path, precision_from_label, precision_from_path
from reportgen.metrics import prefill_tps
from reportgen.redact import redact, redact_optional
from reportgen.results import ImportInfo, ServingCell, ServingMetrics, Stats

_START = re.compile(r"^\s*=+\s*Serving Benchmark Result\s*=+\s*$")
_END = re.compile(r"^\s*=+\s*$")
_LABEL = re.compile(r"^\s*(?P<label>[A-Za-z][^:]*?)\s*:\s+(?P<value>\S+)\s*$")
_STAT = re.compile(r"^(mean|median|std|p(\d+(?:\.\d+)?))\s+(ttft|tpot|itl|e2el)\s*\(ms\)$")

# normalised printed label -> ServingMetrics field
_FIELDS = {
    "successful requests": "completed",
    "failed requests": "failed",
    "benchmark duration (s)": "duration_s",
    "total input tokens": "total_input_tokens",
    "total generated tokens": "total_output_tokens",
    "request throughput (req/s)": "request_throughput",
    "input token throughput (tok/s)": "input_throughput",
    "output token throughput (tok/s)": "output_throughput",
    "total token throughput (tok/s)": "total_token_throughput",
    "latency per token (ms)": "legacy_latency_per_token_ms",
}
_INT_FIELDS = {"completed", "failed", "total_input_tokens", "total_output_tokens"}


# throughput field -> its count from (completed, input tokens, output tokens)
_RATES: tuple[tuple[str, Callable[[int, int, int], int]], ...] = (
    ("request_throughput", lambda n, tin, tout: n),
    ("input_throughput", lambda n, tin, tout: tin),
    ("output_throughput", lambda n, tin, tout: tout),
    ("total_token_throughput", lambda n, tin, tout: tin + tout),
)


def summary_metrics(
    values: Mapping[str, float],
    stats: Mapping[str, Mapping[str, float]],
    *,
    failed: int,
    derived: list[str],
    **extra: Any,
) -> ServingMetrics:
    """``ServingMetrics`` from a printed (or saved) summary, shared by the text and JSON importers.

    ``values`` holds ``completed``, ``duration_s``, ``total_input_tokens``, ``total_output_tokens``
    and whichever throughputs were given (by field name); a throughput not given is count /
    duration and its name is appended to ``derived``. ``stats``: metric ("ttft", "tpot", "itl",
    "e2el") -> the statistics given (n = completed). ``extra``: further ``ServingMetrics`` fields."""
    completed = int(values["completed"])
    duration = values["duration_s"]
    tin, tout = int(values["total_input_tokens"]), int(values["total_output_tokens"])
    rates: dict[str, float] = {}
    for name, count in _RATES:
        if name in values:
            rates[name] = float(values[name])
        else:
            derived.append(name)
            rates[name] = count(completed, tin, tout) / duration if duration > 0 else 0.0

    def mk_stats(name: str) -> Stats | None:
        got = stats.get(name)
        return Stats(n=completed, **got) if got else None

    return ServingMetrics(
        completed=completed,
        failed=failed,
        duration_s=duration,
        total_input_tokens=tin,
        total_output_tokens=tout,
        **rates,
        ttft_ms=mk_stats("ttft") or Stats(n=completed),
        tpot_ms=mk_stats("tpot") or Stats(n=completed),
        itl_ms=mk_stats("itl"),
        e2el_ms=mk_stats("e2el"),
        **extra,
    )


@dataclass
class ImportedCell:
    """One serving cell read from a file, with the variant it belongs to."""

    cell: ServingCell
    precision: PrecisionInfo
    model_path: str | None = None
    model: str | None = None
    namespace: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.precision.label


# --------------------------------------------------------------------------- Namespace(...)


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
class _Namespace:
    first_line: int
    last_line: int
    args: dict[str, Any]


def _find_namespaces(lines: list[str], source: str) -> list[_Namespace]:
    found: list[_Namespace] = []
    i = 0
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
            raise InputFormatError(f"{source}:{i + 1}: Namespace(...) is not closed")
        found.append(_Namespace(i, j, parse_namespace(joined)))
        i = j + 1
    return found


# --------------------------------------------------------------------------- result blocks


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", label.strip().lower())


def _number(value: str, label: str, source: str, line: int) -> float:
    try:
        return float(value)
    except ValueError:
        raise InputFormatError(f"{source}:{line}: {label!r} is not a number: {value!r}") from None


def _pick(ns: dict[str, Any], keys: list[str]) -> Any:
    for k in keys:
        if ns.get(k) is not None:
            return ns[k]
    return None


def _requested_lengths(ns: dict[str, Any]) -> tuple[Any, Any]:
    ds = str(ns.get("dataset_name") or "").strip().lower()
    ins = ([f"{ds}_input_len"] if ds else []) + ["input_len"]
    outs = ([f"{ds}_output_len"] if ds else []) + ["output_len"]
    return _pick(ns, ins), _pick(ns, outs)


def parse_vllm_text(
    text: str,
    source: str,
    *,
    batch_size: int | None = None,
    precision: str | None = None,
    model: str | None = None,
    input_len: int | None = None,
    output_len: int | None = None,
    command: str | None = None,
) -> list[ImportedCell]:
    """Every result block in ``text`` as an imported serving cell.

    Options override what the Namespace says. Secret values (API keys,
    bearer tokens) in the text are replaced by ``***``. Raises ``InputFormatError`` (naming
    ``source`` and the line) when no block is found or a block is unusable.
    """
    lines = redact(text).splitlines()  # secrets on the command line never reach the results
    command = redact_optional(command)
    namespaces = _find_namespaces(lines, source)
    starts = [i for i, line in enumerate(lines) if _START.match(line)]
    if not starts:
        raise InputFormatError(f"{source}: no vLLM 'Serving Benchmark Result' block found")
    cells: list[ImportedCell] = []
    prev_end = -1
    for block_no, s in enumerate(starts):
        nxt = starts[block_no + 1] if block_no + 1 < len(starts) else len(lines)
        e = next((k for k in range(s + 1, nxt) if _END.match(lines[k])), None)
        label_lines = [k for k in range(s + 1, e if e is not None else nxt) if _LABEL.match(lines[k])]
        if e is None:
            e = label_lines[-1] if label_lines else s
        ns = next((n for n in reversed(namespaces) if prev_end < n.first_line and n.last_line < s), None)
        first = ns.first_line if ns else s
        cells.append(
            _cell_from_block(
                lines, first, s, e, label_lines, ns.args if ns else {}, source, block_no,
                batch_size=batch_size, precision=precision, model=model,
                input_len=input_len, output_len=output_len, command=command,
            )
        )
        prev_end = e
    return cells


def _cell_from_block(
    lines: list[str],
    first: int,
    start: int,
    end: int,
    label_lines: list[int],
    ns: dict[str, Any],
    source: str,
    block_no: int,
    *,
    batch_size: int | None,
    precision: str | None,
    model: str | None,
    input_len: int | None,
    output_len: int | None,
    command: str | None,
) -> ImportedCell:
    where = f"{source}:{start + 1}"
    printed: dict[str, str] = {}
    values: dict[str, float] = {}
    stats: dict[str, dict[str, float]] = {}
    legacy = len(lines[start].strip().split(" ")[0]) < 10  # "=====" vs "============"
    for k in label_lines:
        m = _LABEL.match(lines[k])
        assert m
        label, value = m.group("label"), m.group("value")
        printed[label] = value
        key = _norm(label)
        if key in _FIELDS:
            values[_FIELDS[key]] = _number(value, label, source, k + 1)
            if key == "latency per token (ms)":
                legacy = True
        elif sm := _STAT.match(key):
            stat = sm.group(1)
            stat = {"mean": "mean", "median": "median", "std": "std"}.get(stat, stat)
            if stat in ("mean", "median", "std", "p90", "p99"):
                stats.setdefault(sm.group(3), {})[stat] = _number(value, label, source, k + 1)

    for need, label in (
        ("completed", "Successful requests"),
        ("duration_s", "Benchmark duration (s)"),
        ("total_input_tokens", "Total input tokens"),
        ("total_output_tokens", "Total generated tokens"),
    ):
        if need not in values:
            raise InputFormatError(f"{where}: result block has no '{label}' line")

    # ------------------------------------------------------------ what the cell is
    model_path = ns.get("model") if isinstance(ns.get("model"), str) else None
    prec = precision_from_label(precision) if precision else precision_from_path(model_path)
    bs = batch_size
    if bs is None:
        bs = _pick(ns, ["max_concurrency", "num_prompts"])
    if bs is None:
        printed_mc = next((v for k, v in printed.items() if _norm(k) == "maximum request concurrency"), None)
        if printed_mc is not None:
            bs = int(_number(printed_mc, "Maximum request concurrency", source, start + 1))
    if bs is None:
        raise InputFormatError(f"{where}: cannot tell the batch size (no Namespace num_prompts/max_concurrency); pass --batch-size")
    ns_in, ns_out = _requested_lengths(ns)
    il = input_len if input_len is not None else ns_in
    ol = output_len if output_len is not None else ns_out
    if il is None or ol is None:
        raise InputFormatError(f"{where}: cannot tell the requested input/output length; pass --input-len and --output-len")

    # ------------------------------------------------------------ metrics
    derived: list[str] = []
    completed = int(values["completed"])
    duration = values["duration_s"]
    tin = int(values["total_input_tokens"])
    num_prompts = ns.get("num_prompts") if isinstance(ns.get("num_prompts"), int) else None
    if "failed" in values:
        failed = int(values["failed"])
    elif num_prompts is not None:
        failed = max(num_prompts - completed, 0)
        derived.append("failed")
    else:
        failed = 0
        derived.append("failed")

    e2el_mean = stats.get("e2el", {}).get("mean")
    eff = None
    if e2el_mean is not None and duration > 0:
        eff = e2el_mean / 1000.0 * completed / duration  # mean x n = sum of E2EL
        derived.append("effective_concurrency")
    pf = prefill_tps(tin / completed if completed else None, stats.get("ttft", {}).get("mean"))
    if pf is not None:
        derived.append("prefill_tps")
    metrics = summary_metrics(
        values,
        stats,
        failed=failed,
        derived=derived,
        effective_concurrency=eff,
        prefill_tps=pf,
        legacy_latency_per_token_ms=values.get("legacy_latency_per_token_ms"),
    )
    info = ImportInfo(
        file=source,
        block=block_no,
        format="vllm-legacy-text" if legacy else "vllm-text",
        printed=printed,
        text="\n".join(lines[first : end + 1]),
        derived=derived,
    )
    notes = []
    computed = [d for d in derived if d != "prefill_tps"]
    if computed:
        notes.append("原文未打印、由导入程序根据所印数值计算：" + "、".join(computed))
    cell = ServingCell(
        batch_size=int(bs),
        input_len=int(il),
        output_len=int(ol),
        num_requests=num_prompts,
        endpoint=ns.get("endpoint") if isinstance(ns.get("endpoint"), str) else None,
        source="imported",
        duration_s=duration,
        metrics=metrics,
        import_info=info,
        command=command,
        notes=notes,
    )
    return ImportedCell(
        cell=cell,
        precision=prec,
        model_path=model_path,
        model=model or model_name_from_path(model_path),
        namespace=ns,
    )
