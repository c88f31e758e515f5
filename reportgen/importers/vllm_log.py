"""Parse the serving-benchmark result blocks that vLLM and SGLang print.

Formats, any number of blocks per text, each a ``Serving Benchmark Result`` block:

* ``benchmarks/benchmark_serving.py`` of vLLM 0.4 onwards, with its ``Namespace(...)`` args
  line (which PDF extraction may have wrapped and mangled, e.g. ``dataset name=``), short
  ``=====`` rulers and the old ``latency per token (ms)`` line;
* ``vllm bench serve`` (Failed requests, Peak ..., E2EL, any ``--metric-percentiles``);
* SGLang ``python -m sglang.bench_serving`` (Backend, Traffic request rate, Max request
  concurrency, Concurrency, ``E2E Latency``, P95 ITL, retokenized counts).

What is pasted around a block is tolerated: ANSI colours, CRLF, progress bars (even on the
header's line), a prefix on every line (``# ``, ``nid005113 out: ``), a suffix on the header
(``Serving Benchmark Result (xyz)``), indentation, full-width colons and notes after a value
(``P99 TTFT (ms): 21107.43  # 偏高``). Nothing printed is dropped: every ``label: value`` is kept
as printed (``ImportInfo.printed``), every percentile in ``Stats.percentiles``, every other
number in ``ServingMetrics.extra`` and every note in the cell's notes.

The cell key: concurrency is ``min(num_prompts, max_concurrency)`` where both are known (the
number of requests sent stands for ``num_prompts`` when no Namespace says it), the request rate
(``inf`` = closed loop), the lengths and the dataset. When the requested lengths are not
recorded anywhere, the mean lengths (tokens / successful requests) are used, named in
``ImportInfo.derived`` and flagged by the ``requested_length_unknown`` check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, halfwidth, split_value, to_float
from reportgen.importers.cells import ImportedCell, RunParams, summary_metrics
from reportgen.importers.labels import (
    match_precision,
    model_name_from_path,
    precision_from_label,
    precision_from_path,
)
from reportgen.importers.ledger import Reading
from reportgen.importers.run_settings import (
    BENCH_CMD,
    RunNamespace,
    command_args,
    dataset_of,
    find_namespaces,
    length_keys,
    requested_lengths,
)
from reportgen.metrics import prefill_tps
from reportgen.redact import redact, redact_optional
from reportgen.results import ServingCell, is_exact_length

_HEADER = re.compile(r"^(?P<pre>.*?)=+\s*Serving Benchmark Result\b[^=]*=+\s*$")
_RULER = re.compile(r"^\s*[-=]{3,}.*[-=]{3,}\s*$|^\s*={3,}\s*$")
_CLOSE = re.compile(r"^\s*={3,}\s*$")
_LABEL = re.compile(r"^\s*(?P<label>[A-Za-z][^:]*?)\s*:(?:\s+(?P<value>.*?))?\s*$")
_STAT = re.compile(r"^(mean|median|std|min|max|p\d+(?:\.\d+)?)\s+(ttft|tpot|itl|e2el|e2e latency)\s*\(ms\)$")

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
    "total throughput (tok/s)": "total_token_throughput",  # SGLang 2024
    "latency per token (ms)": "legacy_latency_per_token_ms",
    "request goodput (req/s)": "goodput_rps",
    "concurrency": "effective_concurrency",  # SGLang: sum of E2E latency / duration
}
_INT_FIELDS = {"completed", "failed", "total_input_tokens", "total_output_tokens"}
# labels that say how the run was driven, printed before or inside the block
_RATE = ("traffic request rate", "request rate configured (rps)")
_MAX_CONC = ("maximum request concurrency", "max request concurrency", "max reqeuest concurrency")
_BURST = ("burstiness factor",)
_PARAMS = set(_RATE + _MAX_CONC + _BURST + ("backend",))
_STAT_NAME = {"e2e latency": "e2el"}


# --------------------------------------------------------------------------- result blocks


def _norm(label: str) -> str:
    return re.sub(r"\s+", " ", halfwidth(label).strip().lower())


def _number(value: str, label: str, source: str, line: int) -> float:
    v = to_float(value)
    if v is None:
        raise InputFormatError(f"{source}:{line}: {label!r} is not a number: {value!r}")
    return v


@dataclass
class _Line:
    no: int  # index in the cleaned lines
    label: str
    value: str
    note: str | None


_QPS = re.compile(r"^\s*qps\s+(inf|\d+(?:\.\d+)?)\s*:\s*$", re.IGNORECASE)  # vllm-ascend's sweep script: "qps 4:"


def _labels(lines: list[str], first: int, last: int, prefix: str) -> list[_Line]:
    out: list[_Line] = []
    for k in range(first, last):
        line = _strip_prefix(lines[k], prefix)
        if q := _QPS.match(line):
            out.append(_Line(k, "Traffic request rate", q.group(1), "qps"))
            continue
        m = _LABEL.match(halfwidth(line))
        if m:
            value, note = split_value(m.group("value") or "")
            out.append(_Line(k, m.group("label").strip(), value, note))
    return out


def _strip_prefix(line: str, prefix: str) -> str:
    if prefix and line.startswith(prefix):
        return line[len(prefix) :]
    if prefix.strip() and line.startswith(prefix.rstrip()):
        return line[len(prefix.rstrip()) :]
    return line


def _block_end(lines: list[str], start: int, stop: int, prefix: str) -> tuple[int, bool]:
    """Index of the block's last line, and whether it was closed by a ``====`` ruler."""
    last = start
    for k in range(start + 1, stop):
        line = _strip_prefix(lines[k], prefix)
        if _CLOSE.match(line):
            return k, True
        if _RULER.match(line):
            last = k
            continue
        if _LABEL.match(halfwidth(line)):
            last = k
            continue
        if not line.strip() and last == start:
            continue
        break
    return last, False


_PROGRESS = re.compile(r"\d+%\s*\||(?:it/s|s/it)\]")


def _context_start(lines: list[str], header: int, floor: int, prefix: str) -> int:
    """The first line of what set up the run printed at ``header``: the nearest ``Namespace(``
    or benchmark command before it (not before ``floor``), else the settings lines printed just
    before it (``Traffic request rate``, ``Maximum request concurrency``, ...)."""
    for k in range(header - 1, max(floor, header - 200) - 1, -1):
        if "Namespace(" in lines[k] or BENCH_CMD.search(lines[k]):
            return k
    first = header
    for k in range(header - 1, floor - 1, -1):
        line = _strip_prefix(lines[k], prefix)
        if not line.strip() or _PROGRESS.search(line):
            continue
        m = _LABEL.match(halfwidth(line))
        if _QPS.match(line) or m and _norm(m.group("label")) in _PARAMS | {"starting initial single prompt test run...", "initial test run completed. starting main benchmark run..."}:
            first = k
            continue
        break
    return first


def _is_sglang(inside: list[_Line]) -> bool:
    return any(_norm(x.label) in ("backend", "traffic request rate") or "e2e latency" in _norm(x.label) for x in inside)


def find_blocks(lines: list[str], *, sglang: bool) -> list[tuple[int, int]]:
    """The spans of the ``Serving Benchmark Result`` blocks printed by SGLang (``sglang``) or by
    vLLM: from the run's command, Namespace or settings lines to the closing ruler."""
    headers = [(i, m.group("pre")) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    out: list[tuple[int, int]] = []
    prev_end = -1
    for n, (s, pre) in enumerate(headers):
        nxt = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
        prefix = pre if pre.strip() and not re.search(r"it/s\]|s/it\]|\|", pre) else ""
        e, _ = _block_end(lines, s, nxt, prefix)
        if _is_sglang(_labels(lines, s + 1, e + 1, prefix)) == sglang:
            out.append((_context_start(lines, s, prev_end + 1, prefix), e))
        prev_end = e
    return out


def parse_vllm_text(
    text: str,
    source: str,
    *,
    batch_size: int | None = None,
    precision: str | None = None,
    model: str | None = None,
    input_len: int | None = None,
    output_len: int | None = None,
    dataset: str | None = None,
    command: str | None = None,
    strict_namespace: bool = True,
) -> list[ImportedCell]:
    """Every result block in ``text`` as an imported serving cell.

    Options override what the text says. Secret values (API keys, bearer tokens) in the text
    are replaced by ``***``. Raises ``InputFormatError`` (naming ``source`` and the line) when
    no block is found or a block is unusable."""
    opts = RunParams(batch_size, precision, model, input_len, output_len, dataset, redact_optional(command))
    # a block's view (importers.blocks.block_view) starts with the blank lines of the text before its
    # context: skipped at C speed, so that a paste of thousands of blocks is read in linear time
    body = text.lstrip("\n")
    lo = len(text) - len(body)
    lines = [""] * lo + clean_lines(redact(body))
    cut_at = len(lines) - 1 if text and not text.endswith(("\n", "\r")) else None  # the text stops mid-line
    namespaces = find_namespaces(lines, source, strict=strict_namespace, start=lo)
    headers = [(i, m.group("pre")) for i, line in enumerate(lines[lo:], lo) if (m := _HEADER.match(line))]
    if not headers:
        raise InputFormatError(f"{source}: no vLLM 'Serving Benchmark Result' block found")
    cells: list[ImportedCell] = []
    prev_end = lo - 1
    for block_no, (s, pre) in enumerate(headers):
        nxt = headers[block_no + 1][0] if block_no + 1 < len(headers) else len(lines)
        prefix = pre if pre.strip() and not re.search(r"it/s\]|s/it\]|\|", pre) else ""
        e, closed = _block_end(lines, s, nxt, prefix)
        ns = next((n for n in reversed(namespaces) if prev_end < n.first_line and n.last_line < s), None)
        if ns is None:
            args = command_args(lines[prev_end + 1 : s])
            ns = RunNamespace(s, s, args) if args else None
        before = _labels(lines, prev_end + 1, s, prefix)
        inside = _labels(lines, s + 1, e + 1, prefix)
        first = ns.first_line if ns else s
        ctx = _context_start(lines, s, prev_end + 1, prefix)
        cells.append(
            _cell_from_block(
                lines, first, s, e, closed, [x for x in before if x.no >= ctx or _norm(x.label) in _PARAMS], inside,
                ns.args if ns else {}, source, block_no, opts, sglang=_is_sglang(inside), ns_line=ns.first_line if ns else None,
                cut_line=cut_at if not closed and e == cut_at else None,
            )
        )
        prev_end = e
    return cells


def _not_this_run(ns: dict[str, Any], values: dict[str, float], params: dict[str, tuple[str, str]]) -> list[str]:
    """What a block printed that the command or Namespace before it contradicts."""
    out: list[str] = []
    sent = values.get("completed", 0) + values.get("failed", 0)
    if isinstance(ns.get("num_prompts"), int) and sent > ns["num_prompts"]:
        out.append(f"num_prompts {ns['num_prompts']}, {int(sent)} requests printed")
    printed_conc = next((to_float(params[n][0]) for n in _MAX_CONC if n in params), None)
    if isinstance(ns.get("max_concurrency"), int) and printed_conc is not None and printed_conc != ns["max_concurrency"]:
        out.append(f"max_concurrency {ns['max_concurrency']}, {printed_conc:g} printed")
    printed_rate = next((to_float(params[n][0]) for n in _RATE if n in params), None)
    if isinstance(ns.get("request_rate"), (int, float)) and printed_rate is not None and float(ns["request_rate"]) != printed_rate:
        out.append(f"request_rate {ns['request_rate']}, {printed_rate:g} printed")
    return out


def _cell_from_block(
    lines: list[str],
    first: int,
    start: int,
    end: int,
    closed: bool,
    before: list[_Line],
    inside: list[_Line],
    ns: dict[str, Any],
    source: str,
    block_no: int,
    opts: RunParams,
    *,
    sglang: bool,
    ns_line: int | None = None,
    cut_line: int | None = None,
) -> ImportedCell:
    where = f"{source}:{start + 1}"
    rd = Reading(source, "vllm-text", block_no)
    early: list[str] = []  # warnings found before the cell is made
    values: dict[str, float] = {}
    labels: dict[str, str] = {}  # field / "metric.stat" -> printed label
    stats: dict[str, dict[str, float]] = {}
    extra: dict[str, float] = {}
    params: dict[str, tuple[str, str]] = {}  # normalised label -> (value, label kept)
    notes: list[str] = []
    run = re.search(r"=+", lines[start])
    legacy = run is not None and len(run.group(0)) < 10 and not sglang  # "=====" vs "============"
    for x in before:
        label = rd.saw(x.label, x.value, x.no) if x.value else x.label
        if _norm(x.label) in _PARAMS:
            params[_norm(x.label)] = (x.value, label)
    for x in inside:
        label = rd.saw(x.label, x.value, x.no)
        key = _norm(x.label)
        if x.no == cut_line and x.value:  # "Median TTFT (ms): 3147" where the paste stops: 3147 may be 31474.20
            notes.append(f"文本在“{x.label}”一行中断，其数值可能不完整，未导入")
            early.append(f"{source}:{x.no + 1}: the text stops on '{x.label}: {x.value}' without a line end: the value may be "
                         "cut short and is not read")
            continue
        if x.note:
            notes.append(f"原文在“{x.label}”的数值后附注：{x.note}")
        if key in _PARAMS:
            params[key] = (x.value, label)
        elif key in _FIELDS:
            if not x.value:
                continue
            values[_FIELDS[key]] = _number(x.value, x.label, source, x.no + 1)
            labels[_FIELDS[key]] = label
            if key == "latency per token (ms)":
                legacy = True
        elif sm := _STAT.match(key):
            if x.value:
                metric = _STAT_NAME.get(sm.group(2), sm.group(2))
                stats.setdefault(metric, {})[sm.group(1)] = _number(x.value, x.label, source, x.no + 1)
                labels[f"{metric}.{sm.group(1)}"] = label
        elif (v := to_float(x.value)) is not None:
            extra[x.label] = v
            rd.read(f"metrics.extra.{x.label}", label)
    for need, label in (
        ("completed", "Successful requests"),
        ("duration_s", "Benchmark duration (s)"),
        ("total_input_tokens", "Total input tokens"),
        ("total_output_tokens", "Total generated tokens"),
    ):
        if need not in values:
            raise InputFormatError(f"{where}: result block has no '{label}' line")
    if not closed:
        notes.append("结果块没有结尾分隔线（粘贴的文本可能不完整）：只导入了所印的各行")
    if ns and (conflicts := _not_this_run(ns, values, params)):
        # a page that lists its commands first and its results after: the nearest command is another run's
        early.append(f"{where}: the {'Namespace' if ns_line is not None and ns_line < start else 'command'} printed before this block "
                     f"is not this run's ({'; '.join(conflicts)}): its settings are not used")
        notes.append("结果块前的命令与所印结果不符（" + "；".join(conflicts) + "），未采用其参数")
        ns, ns_line = {}, None

    def ns_label(key: str) -> str:
        """A Namespace/command value a field rests on, kept as printed."""
        return rd.saw(f"Namespace.{key}", repr(ns[key]), ns_line)

    # ------------------------------------------------------------ what the cell is
    derived: list[str] = []
    rd.derived = derived
    completed = int(values["completed"])
    num_prompts = ns.get("num_prompts") if isinstance(ns.get("num_prompts"), int) else None
    if num_prompts is not None:
        rd.read("num_requests", ns_label("num_prompts"))
    if "failed" in values:
        failed = int(values["failed"])
        rd.read("metrics.failed", labels["failed"])
    elif num_prompts is not None:
        failed = max(num_prompts - completed, 0)
        rd.derive("metrics.failed", "Namespace.num_prompts", labels["completed"], name="failed")
    else:
        failed = 0
        rd.derive("metrics.failed", labels["completed"], name="failed")  # nothing says any failed
    sent = completed + failed

    def param(names: tuple[str, ...], path: str) -> float | None:
        for n in names:
            if n in params:
                v = to_float(params[n][0])
                if v is not None:
                    rd.read(path, params[n][1])
                return v
        return None

    rate = param(_RATE, "request_rate")
    if rate is None and isinstance(ns.get("request_rate"), (int, float)):
        rate = float(ns["request_rate"])
        rd.read("request_rate", ns_label("request_rate"))
    request_rate = rate if rate is not None and rate != float("inf") and rate > 0 else None  # else a closed loop
    max_conc = param(_MAX_CONC, "batch_size")
    if max_conc is None and isinstance(ns.get("max_concurrency"), int):
        max_conc = float(ns["max_concurrency"])
        rd.read("batch_size", ns_label("max_concurrency"))
    burst = param(_BURST, "burstiness")
    if burst is None and isinstance(ns.get("burstiness"), (int, float)):
        burst = float(ns["burstiness"])
        rd.read("burstiness", ns_label("burstiness"))
    if request_rate is None:
        rd.rests_on.pop("burstiness", None)
    planned = num_prompts if num_prompts is not None else sent
    if opts.batch_size is not None:
        bs = opts.batch_size
        rd.rests_on["batch_size"] = ["--batch-size"]
    elif max_conc is not None:
        bs = int(min(max_conc, planned)) if planned else int(max_conc)
        if planned and planned < max_conc:  # capped by the requests sent
            rd.rests_on["batch_size"] = [*rd.rests_on.get("batch_size", []), "Namespace.num_prompts" if num_prompts is not None else labels["completed"]]
    elif num_prompts is not None or ns or any(_norm(x.label) in _RATE + _MAX_CONC for x in before + inside):
        bs = planned  # no cap: every request may be in flight at once
        if num_prompts is None:
            rd.derive("batch_size", labels["completed"], labels.get("failed", labels["completed"]))
        else:
            rd.read("batch_size", "Namespace.num_prompts")
    else:
        raise InputFormatError(f"{where}: cannot tell the batch size (no Namespace num_prompts/max_concurrency); pass --batch-size")

    model_path = ns.get("model") if isinstance(ns.get("model"), str) else None
    tokenizer = ns.get("tokenizer") if isinstance(ns.get("tokenizer"), str) else None
    if tokenizer and match_precision(model_path) is None and match_precision(tokenizer) is not None:
        # a served name ("--model auto") says nothing; the tokenizer's path is the checkpoint's (/DeepSeek-R1-W8A8)
        model_path = tokenizer
        notes.append(f"模型名 {ns.get('model')!r} 不含精度信息：精度取自 --tokenizer 路径 {tokenizer}")
    prec = precision_from_label(opts.precision) if opts.precision else precision_from_path(model_path)
    ns_in, ns_out = requested_lengths(ns)
    il = opts.input_len if opts.input_len is not None else ns_in
    ol = opts.output_len if opts.output_len is not None else ns_out
    for path, given, from_ns in (("input_len", opts.input_len, ns_in), ("output_len", opts.output_len, ns_out)):
        if given is not None:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
        elif from_ns is not None:
            key = next(k for k in length_keys(ns, path) if ns.get(k) is not None)
            rd.read(path, ns_label(key))
    ds = opts.dataset or dataset_of(ns) or ("random" if il is not None and ol is not None else "unknown")
    warnings: list[str] = early
    if il is None:
        il = round(values["total_input_tokens"] / completed) if completed else 0
        rd.derive("input_len", labels["total_input_tokens"], labels["completed"])
    if ol is None:
        ol = round(values["total_output_tokens"] / completed) if completed else 0
        rd.derive("output_len", labels["total_output_tokens"], labels["completed"])
    if "input_len" in derived or "output_len" in derived:
        which = "/".join(n for n in ("input_len", "output_len") if n in derived)
        notes.append(f"原文未记录所要求的长度（{which}）：取每个成功请求的平均词元数")
        warnings.append(
            f"{where}: requested {which.replace('_len', ' length').replace('/', ' and ')} not recorded; "
            f"using the mean per successful request ({il} in / {ol} out); pass --input-len/--output-len if known"
        )
    exact_in = is_exact_length(ds) or (ns_in is not None and opts.input_len is None and ds not in ("unknown",))
    exact_out = is_exact_length(ds) or (ns_out is not None and opts.output_len is None and ds not in ("unknown",))
    if "input_len" in derived:
        exact_in = False
    if "output_len" in derived:
        exact_out = False

    # ------------------------------------------------------------ metrics
    duration = values["duration_s"]
    rd.read("duration_s", labels["duration_s"])
    tin = int(values["total_input_tokens"])
    eff = values.get("effective_concurrency")
    e2el_mean = stats.get("e2el", {}).get("mean")
    if eff is None and e2el_mean is not None and duration > 0:
        eff = e2el_mean / 1000.0 * completed / duration  # mean x n = sum of E2EL
        rd.derive("metrics.effective_concurrency", labels["e2el.mean"], labels["completed"], labels["duration_s"])
    pf = prefill_tps(tin / completed if completed else None, stats.get("ttft", {}).get("mean"))
    if pf is not None:
        rd.derive("metrics.prefill_tps", labels["total_input_tokens"], labels["completed"], labels["ttft.mean"])
    metrics = summary_metrics(
        values,
        stats,
        failed=failed,
        derived=derived,
        reading=rd,
        labels=labels,
        effective_concurrency=eff,
        prefill_tps=pf,
        legacy_latency_per_token_ms=values.get("legacy_latency_per_token_ms"),
        goodput_rps=values.get("goodput_rps"),
        extra=extra,
    )
    rd.format = "sglang-text" if sglang else ("vllm-legacy-text" if legacy else "vllm-text")
    info = rd.info(text="\n".join(lines[first : end + 1]), complete=closed)
    computed = [d for d in derived if d not in ("prefill_tps", "input_len", "output_len")]
    if computed:
        notes.insert(0, "原文未打印、由导入程序根据所印数值计算：" + "、".join(computed))
    cell = ServingCell(
        batch_size=int(bs),
        input_len=int(il),
        output_len=int(ol),
        request_rate=request_rate,
        burstiness=burst if request_rate is not None else None,
        dataset=ds,
        input_len_exact=exact_in,
        output_len_exact=exact_out,
        num_requests=num_prompts,
        endpoint=ns.get("endpoint") if isinstance(ns.get("endpoint"), str) else None,
        source="imported",
        duration_s=duration,
        metrics=metrics,
        import_info=info,
        command=opts.command,
        notes=notes,
    )
    return ImportedCell(
        cell=cell,
        precision=prec,
        model_path=model_path,
        model=opts.model or model_name_from_path(model_path),
        namespace=ns,
        warnings=warnings,
    )
