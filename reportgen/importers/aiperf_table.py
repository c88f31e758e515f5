"""The ``LLM Metrics`` table NVIDIA AIPerf (and GenAI-Perf before it) prints (pure functions).

One row per metric (``Time to First Token (ms)``, ``Request Latency (ms)``, ``Inter Token
Latency (ms)``, sequence lengths, throughputs, ``Request Count``) and one column per statistic
(avg, min, max, p99, p90, p75 or p50, std); GenAI-Perf 2024 printed nanoseconds with thousands
separators and its two throughputs as lines under the table. As in AIPerf's JSON export, its
inter-token latency is vLLM's TPOT.

The table prints no duration and no token totals: duration is requests / request throughput,
the totals mean length x requests -- derived, and said so. It prints no concurrency either: it
is read from the ``aiperf profile`` / ``genai-perf`` command printed before the table only when
that command's ``--request-count`` agrees with the requests the table counted (a README's
"example output" is often another run than the command above it); otherwise ``--batch-size``.
GenAI-Perf's table has no request count at all: a cell cannot be made from it (its
``profile_export.json`` can).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, to_float
from reportgen.importers.cells import ImportedCell, RunParams, stat_path, summary_metrics
from reportgen.importers.finders import table_extent
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import Reading
from reportgen.results import ServingCell

_TITLE = re.compile(r"(?:NVIDIA (?:AIPerf|GenAI-Perf)\s*\|\s*)?LLM Metrics\s*$")
_COMMAND = re.compile(r"\b(aiperf\s+profile|genai-perf(?:\s+profile)?)\b")
_AFTER = re.compile(r"^\s*(Output token throughput|Request throughput) \(per sec\)\s*:\s*([\d.,]+)")
_SCALE_MS = {"ms": 1.0, "ns": 1e-6, "us": 1e-3, "s": 1000.0, "sec": 1000.0}
# metric name (lower case, without its unit) -> (where it goes, kind)
_ROWS: dict[str, tuple[str, str]] = {
    "time to first token": ("ttft", "stat"),
    "request latency": ("e2el", "stat"),
    "inter token latency": ("tpot", "stat"),
    "output sequence length": ("osl", "length"),
    "num output token": ("osl", "length"),
    "input sequence length": ("isl", "length"),
    "num input token": ("isl", "length"),
    "output token throughput": ("output_throughput", "value"),
    "request throughput": ("request_throughput", "value"),
    "request count": ("completed", "value"),
    "goodput": ("goodput_rps", "value"),
}


def find_aiperf_tables(lines: list[str]) -> list[tuple[int, int]]:
    """Each table under an ``LLM Metrics`` title, with the command printed before it and the
    throughput lines GenAI-Perf printed under it."""
    out: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if not _TITLE.search(line) or (out and k <= out[-1][1]):
            continue
        _, last = table_extent(lines, k + 1) if k + 1 < len(lines) else (k, k)
        while last + 1 < len(lines) and _AFTER.match(lines[last + 1]):
            last += 1
        first = k
        for j in range(k - 1, max(k - 40, -1), -1):
            if _COMMAND.search(lines[j]) and not lines[j].lstrip().startswith(("#", "-")):
                first = j
                break
        out.append((first, max(last, k)))
    return out


def _command(lines: list[str], first: int, title: int) -> dict[str, str]:
    """The flags of the command printed before the table (``\\`` continuations joined)."""
    at = next((j for j in range(first, title) if _COMMAND.search(lines[j])), None)
    if at is None:
        return {}
    cmd = lines[at]
    j = at
    while cmd.rstrip().endswith("\\") and j + 1 < title:
        j += 1
        cmd = cmd.rstrip()[:-1] + " " + lines[j]
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    flags: dict[str, str] = {}
    for i, w in enumerate(words):
        if w.startswith("--"):
            name, eq, val = w[2:].partition("=")
            flags[name] = val if eq else (words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("-") else "true")
        elif w in ("-m",) and i + 1 < len(words):
            flags["model"] = words[i + 1]
    return flags


def parse_aiperf_table(text: str, source: str, opts: RunParams | None = None) -> list[ImportedCell]:
    """One cell per ``LLM Metrics`` table. Raises ``InputFormatError``."""
    opts = opts or RunParams()
    lines = clean_lines(text)
    spans = find_aiperf_tables(lines)
    if not spans:
        raise InputFormatError(f"{source}: no 'LLM Metrics' table found")
    return [_cell(lines, first, last, source, n, opts) for n, (first, last) in enumerate(spans)]


def _rows(lines: list[str], title: int, last: int) -> tuple[list[str], list[tuple[int, str, list[str]]]]:
    header: list[str] = []
    rows: list[tuple[int, str, list[str]]] = []
    for k in range(title + 1, last + 1):
        line = lines[k]
        if "┃" in line:
            header = [c.strip().lower() for c in line.strip().strip("┃").split("┃")][1:]
            continue
        if "│" not in line:
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if not cells[0]:
            continue
        if rows and all(not c for c in cells[1:]):  # a name wrapped onto the next line
            k0, name, vals = rows[-1]
            rows[-1] = (k0, f"{name} {cells[0]}", vals)
            continue
        rows.append((k, cells[0], cells[1:]))
    return header, rows


def _cell(lines: list[str], first: int, last: int, source: str, block: int, opts: RunParams) -> ImportedCell:
    title = next(k for k in range(first, last + 1) if _TITLE.search(lines[k]))
    tool = "GenAI-Perf" if "GenAI" in lines[title] or not lines[title].strip().startswith("NVIDIA AIPerf") else "AIPerf"
    header, rows = _rows(lines, title, last)
    rd = Reading(source, "aiperf-table", block)
    stats: dict[str, dict[str, float]] = {}
    labels: dict[str, str] = {}
    values: dict[str, float] = {}
    extra: dict[str, float] = {}
    for k, name, cells in rows:
        m = re.match(r"^(?P<n>.*?)\s*(?:\((?P<u>[^)]*)\))?\s*$", name)
        base, unit = (m.group("n").strip().lower(), (m.group("u") or "").strip().lower()) if m else (name.lower(), "")
        where, kind = _ROWS.get(base, (base, "extra"))
        for stat, text in zip(header, cells, strict=False):
            v = to_float(text)
            if v is None:
                continue
            label = rd.saw(f"{name} {stat}", text, k)
            st = "mean" if stat == "avg" else stat
            if kind == "stat":
                stats.setdefault(where, {})[st] = round(v * _SCALE_MS.get(unit, 1.0), 9)
                labels[f"{where}.{st}"] = label
                if st == "p50":  # the median, as in the JSON export
                    stats[where]["median"] = stats[where]["p50"]
                    labels[f"{where}.median"] = label
            elif kind == "value" and st == "mean":
                values[where] = v
                labels[where] = label
            elif kind == "length" and st == "mean":
                values[where] = v
                labels[where] = label
            else:
                key = f"{base} {st}"
                extra[key] = v
                rd.read(f"metrics.extra.{key}", label)
    for k in range(title, last + 1):
        if m2 := _AFTER.match(lines[k]):
            key = "output_throughput" if m2.group(1).startswith("Output") else "request_throughput"
            values[key] = to_float(m2.group(2)) or 0.0
            labels[key] = rd.saw(f"{m2.group(1)} (per sec)", m2.group(2), k)
    where = f"{source}:{title + 1}"
    if "completed" not in values:
        raise InputFormatError(
            f"{where}: {tool}'s LLM Metrics table prints no request count (nor duration): a cell cannot be made from it; "
            "import its profile_export JSON instead"
        )
    if "request_throughput" not in values or not values["request_throughput"]:
        raise InputFormatError(f"{where}: {tool}'s LLM Metrics table prints no request throughput: the duration cannot be told")
    completed = int(values["completed"])
    duration = completed / values["request_throughput"]
    tin = round(values.get("isl", 0) * completed)
    tout = round(values.get("osl", 0) * completed)
    rd.derive("metrics.duration_s", labels["completed"], labels["request_throughput"], name="duration_s")
    rd.derive("duration_s", labels["completed"], labels["request_throughput"], name="duration_s")
    for key, length in (("total_input_tokens", "isl"), ("total_output_tokens", "osl")):
        rd.derive(f"metrics.{key}", *[labels[x] for x in (length, "completed") if x in labels])
    for stat_key in list(labels):
        if "." in stat_key and stat_key.split(".")[0] in ("ttft", "e2el", "tpot"):
            rd.read(stat_path(*stat_key.split(".", 1)), labels[stat_key])
    given = {"completed": completed, "duration_s": duration, "total_input_tokens": tin, "total_output_tokens": tout}
    given.update({k: values[k] for k in ("request_throughput", "output_throughput") if k in values})
    metric_labels = {k: v for k, v in labels.items() if k in ("completed", "request_throughput", "output_throughput")}
    derived = rd.derived
    rd.derive("metrics.failed", labels["completed"], name="failed")  # the table counts successes only
    metrics = summary_metrics(given, stats, failed=0, derived=derived, reading=rd, labels=metric_labels,
                              goodput_rps=values.get("goodput_rps"), extra=extra)
    if "goodput_rps" in values:
        rd.read("metrics.goodput_rps", labels["goodput_rps"])
    flags = _command(lines, first, title)
    notes = [f"{tool} 的表格不打印测试时长与词元总数：时长 = 请求数 ÷ 请求吞吐，词元总数 = 平均长度 × 请求数"]
    bs = _batch(flags, completed, opts, rd, where, labels, lines, first, title)
    il = opts.input_len if opts.input_len is not None else round(values.get("isl", 0))
    ol = opts.output_len if opts.output_len is not None else round(values.get("osl", 0))
    warnings = []
    for path, given_len, key in (("input_len", opts.input_len, "isl"), ("output_len", opts.output_len, "osl")):
        if given_len is not None:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
        else:
            rd.derive(path, labels.get(key, labels["completed"]))
    if opts.input_len is None or opts.output_len is None:
        warnings.append(f"{where}: requested lengths not printed ({tool} prints the measured means); using them "
                        f"({il} in / {ol} out); pass --input-len/--output-len if known")
    model_path = flags.get("model")
    cell = ServingCell(
        batch_size=bs, input_len=il, output_len=ol, dataset=opts.dataset or "unknown", input_len_exact=False if opts.input_len is None else None,
        output_len_exact=False if opts.output_len is None else None, num_requests=completed, source="imported", duration_s=duration,
        metrics=metrics, import_info=rd.info(text="\n".join(lines[first : last + 1])), command=opts.command, notes=notes,
    )
    rd.derive("num_requests", labels["completed"])
    cell.import_info = rd.info(text="\n".join(lines[first : last + 1]))
    prec = precision_from_label(opts.precision) if opts.precision else (precision_from_path(model_path) if model_path else precision_from_label("unknown"))
    return ImportedCell(cell=cell, precision=prec, model_path=model_path, model=opts.model or model_name_from_path(model_path), warnings=warnings)


def _batch(flags: dict[str, Any], completed: int, opts: RunParams, rd: Reading, where: str, labels: dict[str, str],
           lines: list[str], first: int, title: int) -> int:
    if opts.batch_size is not None:
        rd.rests_on["batch_size"] = ["--batch-size"]
        return opts.batch_size
    count = flags.get("request-count") or flags.get("num-prompts")
    if count is not None and to_float(count) is not None and int(to_float(count) or 0) != completed:
        raise InputFormatError(
            f"{where}: the command printed above asks for {count} requests but the table counts {completed}: it is not this "
            "run's command, so its settings are not taken; pass --batch-size"
        )
    conc = flags.get("concurrency")
    if conc is None or to_float(conc) is None:
        raise InputFormatError(f"{where}: the concurrency is not printed (no --concurrency in the command above the table); pass --batch-size")
    at = next(j for j in range(first, title) if _COMMAND.search(lines[j]))
    rd.read("batch_size", rd.saw("--concurrency", str(conc), at))
    return min(int(to_float(conc) or 1), completed)
