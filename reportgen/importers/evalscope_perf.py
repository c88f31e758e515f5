"""Parse the summary ``evalscope perf`` prints (pure functions over text).

Four layouts seen in the wild, all read here:

* 0.4 (2024, as ``llmuses``/early evalscope): ``Benchmarking summary:`` then ``Key: value``
  lines in seconds and ``Percentile of time to first token:`` / ``p50: 2.7137`` lines;
* 0.12: the summary as a JSON object on a log line (``... - evalscope - INFO - {``);
* 0.13 - 0.17: ``tabulate`` grid tables ``| Time taken for tests (s) | 32.078 |`` and a
  ``Percentile results:`` table with one row per percentile (``| 50% | ...``);
* 1.x: box-drawing tables (``│ Test Duration (s) │ 38.31 │``, ``Total / Success / Failed``) and a
  percentile table with one row per metric and one column per percentile.

evalscope reports averages per request and no requested lengths: the cell's lengths are the
mean tokens per request (said so, with a warning), its concurrency ``min(requests, parallel)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, halfwidth, split_value, to_float
from reportgen.importers.cells import RATE_FIELDS, ImportedCell, RunParams, summary_metrics
from reportgen.importers.finders import extent, structured
from reportgen.importers.labels import model_name_from_path, precision_from_label
from reportgen.importers.ledger import Reading
from reportgen.results import ServingCell

_SUMMARY = re.compile(r"Benchmarking summary\s*:?", re.IGNORECASE)
_CELLS = re.compile(r"[│|┃]")
_KV = re.compile(r'^\s*"?(?P<k>[A-Za-z][^":]*?)"?\s*:\s*(?P<v>.+?)\s*,?\s*$')

# normalised key -> (field, unit of the printed value); unit "s" values are turned into ms
_KEYS: dict[str, tuple[str, str]] = {
    "time taken for tests (s)": ("duration_s", ""),
    "time taken for tests": ("duration_s", ""),
    "time taken for tests (senconds)": ("duration_s", ""),  # evalscope 0.7's spelling
    "test duration (s)": ("duration_s", ""),
    "number of concurrency": ("concurrency", ""),
    "concurrency": ("concurrency", ""),
    "request rate (req/s)": ("rate", ""),
    "total requests": ("total", ""),
    "expected number of requests": ("expected", ""),
    "succeed requests": ("completed", ""),
    "success requests": ("completed", ""),
    "failed requests": ("failed", ""),
    "average qps": ("request_throughput", ""),
    "request throughput (req/s)": ("request_throughput", ""),
    "req throughput (req/s)": ("request_throughput", ""),
    "throughput(average output tokens per second)": ("output_throughput", ""),
    "throughput(average tokens/s)": ("output_throughput", ""),
    "output token throughput (tok/s)": ("output_throughput", ""),
    "output throughput (tok/s)": ("output_throughput", ""),
    "total token throughput (tok/s)": ("total_token_throughput", ""),
    "total throughput (tok/s)": ("total_token_throughput", ""),
    "average latency (s)": ("e2el", "s"),
    "average latency": ("e2el", "s"),
    "avg latency (s)": ("e2el", "s"),
    "average time to first token (s)": ("ttft", "s"),
    "average time to first token": ("ttft", "s"),
    "ttft (ms)": ("ttft", "ms"),
    "average time per output token (s)": ("tpot", "s"),
    "average time per output token": ("tpot", "s"),
    "tpot (ms)": ("tpot", "ms"),
    "average inter-token latency (s)": ("itl", "s"),
    "itl (ms)": ("itl", "ms"),
    "average input tokens per request": ("avg_in", ""),
    "avg input tokens": ("avg_in", ""),
    "average output tokens per request": ("avg_out", ""),
    "avg output tokens": ("avg_out", ""),
}
# percentile-table metric name -> (stat, unit)
_PCT_METRICS = {
    "ttft": "ttft",
    "time to first token": "ttft",
    "first chunk latency": "ttft",  # evalscope 0.7
    "itl": "itl",
    "tpot": "tpot",
    "latency": "e2el",
    "request latency": "e2el",
}


_JSON_LOG = re.compile(r"evalscope.*\{\s*$")


def find_summaries(lines: list[str]) -> list[tuple[int, int]]:
    """Each ``Benchmarking summary`` (or 0.12's JSON log line) to the end of its percentile table;
    each 1.x multi-run report (``Performance Test Summary Report`` / ``Performance Overview``),
    which is recognised so that it can be refused with its reason."""
    heads = [i for i, line in enumerate(lines) if _SUMMARY.search(line)] or [i for i, line in enumerate(lines) if _JSON_LOG.search(line)]
    reports = [i for i, line in enumerate(lines) if _REPORT.search(line)]
    reports = [i for n, i in enumerate(reports) if not (n and i - reports[n - 1] < 40 and _OVERVIEW_ONLY.search(lines[i]))]
    reports = [i - 1 if i and lines[i - 1].strip().startswith("╭") else i for i in reports]
    starts = sorted(heads + reports)
    out: list[tuple[int, int]] = []
    for n, s in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else None
        if s in reports:  # the report's tables, two blank lines apart, each under a centred title
            out.append((s, extent(lines, s, stop, blank_run=4, keep=lambda ln: structured(ln) or bool(_REPORT_TITLE.match(ln)))))
        else:
            out.append((s, extent(lines, s, stop, blank_run=3)))
    return out


# evalscope 1.x, several --parallel values: one report over all runs, then nothing per run on the console
_REPORT = re.compile(r"Performance Test Summary Report|^\s*Performance Overview\s*$")
_OVERVIEW_ONLY = re.compile(r"^\s*Performance Overview\s*$")
_REPORT_TITLE = re.compile(r"^\s*(Performance Overview|Per-Request Metrics|Per-Trace Metrics|Workload Throughput)\s*$")


def looks_like_evalscope_perf(text: str) -> bool:
    return bool(_SUMMARY.search(text)) or ('"Time taken for tests' in text and "Succeed requests" in text)


@dataclass
class _Summary:
    first: int
    last: int
    rd: Reading
    values: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # value key / "stat.pNN" -> printed label
    pct: dict[str, dict[str, float]] = field(default_factory=dict)  # stat -> {"p50": ms}
    extra: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def put_extra(self, name: str, value: float, label: str) -> None:
        self.extra[name] = value
        self.rd.read(f"metrics.extra.{name}", label)


def _ms(seconds: float) -> float:
    """Seconds as printed -> milliseconds, without binary noise (2.9847 s -> 2984.7 ms)."""
    return round(seconds * 1000.0, 9)


def _norm(key: str) -> str:
    return re.sub(r"\s+", " ", halfwidth(key).strip().strip('"').lower())


def _pct_key(label: str) -> str | None:
    m = re.fullmatch(r"p?(\d+(?:\.\d+)?)%?", label.strip().lower())
    return f"p{m.group(1)}" if m else None


def _metric_unit(name: str) -> tuple[str, str]:
    """``'TTFT (s)'`` -> (``'ttft'``, ``'s'``); unknown units -> ``''``."""
    m = re.match(r"^(?P<n>.*?)\s*(?:\((?P<u>[^)]*)\))?\s*$", name.strip())
    assert m
    return m.group("n").strip().lower(), (m.group("u") or "").strip().lower()


def _put(s: _Summary, key: str, raw: str, line: int, label: str) -> None:
    k = _norm(key)
    if k == "total / success / failed":
        parts = [p.strip() for p in raw.split("/")]
        if len(parts) == 3 and all(to_float(p) is not None for p in parts):
            for name, part in zip(("total", "completed", "failed"), parts, strict=True):
                s.values[name] = to_float(part)  # type: ignore[assignment]
                s.labels[name] = s.rd.saw(f"{label} ({name})", part, line)
        else:
            s.rd.saw(label, raw, line)
        return
    kept = s.rd.saw(label, raw, line)
    value, note = split_value(raw)
    if note and note.lower() not in ("seconds", "s"):
        s.notes.append(f"原文在“{label}”的数值后附注：{note}")
    v = to_float(value)
    if v is None:
        return
    if k in _KEYS:
        name, unit = _KEYS[k]
        s.values[name] = _ms(v) if unit == "s" else v
        s.labels[name] = kept
    else:
        s.put_extra(label, v, kept)


def _table_rows(lines: list[str], first: int, last: int) -> list[tuple[int, list[str]]]:
    rows = []
    for k in range(first, last):
        line = lines[k]
        if not _CELLS.search(line):
            continue
        cells = [c.strip() for c in _CELLS.split(line)]
        if cells and not cells[0]:
            cells = cells[1:]
        if cells and not cells[-1]:
            cells = cells[:-1]
        if cells and not all(re.fullmatch(r"[-=─━┄╌ ]*", c) for c in cells):
            rows.append((k, cells))
    return rows


def _percentile_table(s: _Summary, rows: list[tuple[int, list[str]]]) -> None:
    """A percentile table either way round (percentiles as rows or as columns)."""
    if not rows:
        return
    header = rows[0][1]
    body = rows[1:]
    pct_cols = [_pct_key(h) for h in header[1:]]
    if pct_cols and all(pct_cols):  # 1.x: one row per metric
        for k, cells in body:
            name, unit = _metric_unit(cells[0])
            for h, cell in zip(pct_cols, cells[1:], strict=False):
                _pct_value(s, name, unit, h or "", cell, cells[0], k)
    elif header and _norm(header[0]) in ("percentiles", "percentile"):  # 0.13-0.17: one row per percentile
        for k, cells in body:
            h = _pct_key(cells[0])
            if not h:
                continue
            for col, cell in zip(header[1:], cells[1:], strict=False):
                name, unit = _metric_unit(col)
                _pct_value(s, name, unit, h, cell, col, k)


def _pct_value(s: _Summary, name: str, unit: str, h: str, cell: str, label: str, line: int) -> None:
    v = to_float(split_value(cell)[0])
    if v is None:
        return
    kept = s.rd.saw(f"{label} {h}", cell.strip(), line)
    stat = _PCT_METRICS.get(name)
    if stat is not None:
        s.pct.setdefault(stat, {})[h] = _ms(v) if unit in ("s", "") else v
        s.labels[f"{stat}.{h}"] = kept
    else:
        s.put_extra(f"{label} {h}", v, kept)


def _summaries(lines: list[str], source: str) -> list[_Summary]:
    starts = [i for i, line in enumerate(lines) if _SUMMARY.search(line)]
    if not starts:  # 0.12: a bare JSON summary on a log line
        starts = [i for i, line in enumerate(lines) if line.rstrip().endswith("{") and "evalscope" in line]
    out: list[_Summary] = []
    for n, st in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        s = _Summary(st, end - 1, Reading(source, "evalscope-perf", n))
        pct_at = next((k for k in range(st, end) if re.search(r"Percentile (results|of)", lines[k], re.I)), end)
        summary_rows = _table_rows(lines, st, pct_at)
        for k, cells in summary_rows:
            if len(cells) == 2 and _norm(cells[0]) not in ("key", "metric") and not cells[0].startswith("──"):
                _put(s, cells[0], cells[1], k, cells[0])
        if not summary_rows:  # plain "Key: value" or JSON lines
            for k in range(st + 1, pct_at):
                line = lines[k].split(" - INFO - ", 1)[-1]
                m = _KV.match(halfwidth(line))
                if m and not line.strip().endswith(":"):
                    _put(s, m.group("k"), m.group("v").rstrip(",").strip('"'), k, m.group("k"))
        # percentiles: a table, or 0.4's "Percentile of time to first token:" sections
        rows = _table_rows(lines, pct_at, end)
        if rows:
            _percentile_table(s, rows)
        else:
            stat, name = None, ""
            for k in range(pct_at, end):
                line = lines[k].strip()
                if m := re.match(r"Percentile of (.+?)\s*:\s*$", line, re.I):
                    stat = _PCT_METRICS.get(m.group(1).strip().lower())
                    name = m.group(1).strip()
                    continue
                if (m := re.match(r"^(p\d+(?:\.\d+)?)\s*:\s*(\S+)", line, re.I)) and (v := to_float(m.group(2))) is not None:
                    h = m.group(1).lower()
                    kept = s.rd.saw(f"{name} {h}", m.group(2), k)
                    if stat:
                        s.pct.setdefault(stat, {})[h] = _ms(v)
                        s.labels[f"{stat}.{h}"] = kept
                    elif name:
                        s.put_extra(f"{name} {h}", v, kept)
        out.append(s)
    return out


def parse_evalscope_perf(text: str, source: str, opts: RunParams | None = None) -> list[ImportedCell]:
    """Every ``evalscope perf`` summary in ``text`` as a serving cell. Raises ``InputFormatError``."""
    opts = opts or RunParams()
    lines = clean_lines(text)
    found = _summaries(lines, source)
    if not found:
        report = next((k for k, line in enumerate(lines) if _REPORT.search(line)), None)
        if report is not None:
            raise InputFormatError(
                f"{source}:{report + 1}: an evalscope perf report over several runs (Performance Overview): it prints each run's "
                "rate rounded and no run's duration, token totals or latency spread; import the 'Benchmarking summary' "
                "evalscope prints for each run (also in its benchmark.log)"
            )
        raise InputFormatError(f"{source}: not an evalscope perf summary (no 'Benchmarking summary')")
    cells = []
    for block, s in enumerate(found):
        cells.append(_cell(s, lines, source, block, opts))
    return cells


def _cell(s: _Summary, lines: list[str], source: str, block: int, opts: RunParams) -> ImportedCell:
    where = f"{source}:{s.first + 1}"
    v, lab, rd = s.values, s.labels, s.rd
    for need, label in (("completed", "Succeed requests"), ("duration_s", "Time taken for tests (s)")):
        if need not in v:
            raise InputFormatError(f"{where}: evalscope perf summary has no '{label}' line (text cut short?)")
    completed = int(v["completed"])
    failed = int(v.get("failed", 0))
    duration = v["duration_s"]
    derived = rd.derived
    notes = list(s.notes)
    warnings: list[str] = []
    if "failed" in v:
        rd.read("metrics.failed", lab["failed"])
    else:
        rd.derive("metrics.failed", lab["completed"], name="failed")
    for key, flag, label in (("avg_in", opts.input_len, "Average input tokens per request"), ("avg_out", opts.output_len, "Average output tokens per request")):
        if key not in v and flag is None:  # never a silent zero: the token totals would be wrong
            unknown = ", ".join(repr(x) for x in s.extra if "token" in x.lower() and "per request" in x.lower())
            raise InputFormatError(
                f"{where}: evalscope perf summary prints no '{label}'" + (f" (unknown rows: {unknown})" if unknown else "")
                + f"; pass --{'input' if key == 'avg_in' else 'output'}-len"
            )
    tin = round(v["avg_in"] * completed) if "avg_in" in v else int(opts.input_len or 0) * completed
    tout = round(v["avg_out"] * completed) if "avg_out" in v else int(opts.output_len or 0) * completed
    rd.derive("metrics.total_input_tokens", *[lab[k] for k in ("avg_in", "completed") if k in lab], *(["--input-len"] if "avg_in" not in v else []))
    rd.derive("metrics.total_output_tokens", *[lab[k] for k in ("avg_out", "completed") if k in lab], *(["--output-len"] if "avg_out" not in v else []))
    given: dict[str, dict[str, float]] = {}
    for name in ("ttft", "tpot", "itl", "e2el"):
        g = dict(s.pct.get(name, {}))
        if name in v:
            g["mean"] = v[name]
            lab[f"{name}.mean"] = lab[name]
        if "p50" in g:
            g.setdefault("median", g["p50"])
            lab.setdefault(f"{name}.median", lab[f"{name}.p50"])
        if g:
            given[name] = g
    values = {"completed": completed, "duration_s": duration, "total_input_tokens": tin, "total_output_tokens": tout}
    values.update({k: v[k] for k in RATE_FIELDS if k in v})
    metric_labels = {k: x for k, x in lab.items() if k not in ("total_input_tokens", "total_output_tokens")}
    metrics = summary_metrics(values, given, failed=failed, derived=derived, reading=rd, labels=metric_labels, extra=s.extra)
    for k in ("total_input_tokens", "total_output_tokens"):
        avg = "avg_in" if "input" in k else "avg_out"
        rd.rests_on[f"metrics.{k}"] = [lab[x] for x in (avg, "completed") if x in lab] + ([] if avg in lab else [f"--{k.split('_')[1]}-len"])
    rd.read("duration_s", lab["duration_s"])
    total = int(v.get("total", completed + failed))
    conc = v.get("concurrency")
    if opts.batch_size is not None:
        bs = opts.batch_size
        rd.rests_on["batch_size"] = ["--batch-size"]
    elif conc is not None:
        bs = int(min(conc, total)) if total else int(conc)
        rd.read("batch_size", lab["concurrency"], *([lab.get("total", lab["completed"])] if total < conc else []))
    else:
        raise InputFormatError(f"{where}: evalscope perf summary has no 'Number of concurrency'; pass --batch-size")
    rate = v.get("rate")
    if rate is not None:
        rd.read("request_rate", lab["rate"])  # -1: no rate limit (a closed loop)
    il = opts.input_len if opts.input_len is not None else round(v.get("avg_in", 0))
    ol = opts.output_len if opts.output_len is not None else round(v.get("avg_out", 0))
    missing = [n for n, given_len in (("input_len", opts.input_len), ("output_len", opts.output_len)) if given_len is None]
    for path, key in (("input_len", "avg_in"), ("output_len", "avg_out")):
        if path in missing:
            rd.derive(path, *([lab[key]] if key in lab else [lab["completed"]]))
        else:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
    if missing:
        notes.append("evalscope 只打印每请求平均词元数，未记录所要求的长度：取平均值")
        warnings.append(
            f"{where}: requested lengths not recorded (evalscope perf prints averages); using the mean per request "
            f"({il} in / {ol} out); pass --input-len/--output-len if known"
        )
    notes.insert(0, "原文未打印、由导入程序根据所印数值计算：" + "、".join(d for d in derived if d not in ("input_len", "output_len")))
    if "ttft" in v and "e2el" in v and v["ttft"] == v["e2el"] and v["e2el"] > 0:
        # evalscope perf without --stream: the "first token" arrives with the whole answer
        notes.append("首词元时间等于请求延迟：压测未使用流式输出（--stream），TTFT/TPOT/ITL 不是逐词元的测量值")
        warnings.append(
            f"{where}: the average time to first token equals the average latency ({v['e2el'] / 1000:g} s): the run was not "
            "streamed, so TTFT is the whole request and TPOT/ITL measure nothing per token"
        )
    num_requests = int(v["expected"]) if "expected" in v else total
    rd.read("num_requests", lab["expected"] if "expected" in v else lab.get("total", lab["completed"]))
    if "expected" not in v and "total" not in v:
        rd.derive("num_requests", lab["completed"], *([lab["failed"]] if "failed" in lab else []))
    prec = precision_from_label(opts.precision or "unknown")  # the summary names no model
    cell = ServingCell(
        batch_size=bs,
        input_len=il,
        output_len=ol,
        request_rate=rate if rate is not None and rate > 0 else None,
        dataset=opts.dataset or "unknown",
        input_len_exact=False if "input_len" in missing else None,
        output_len_exact=False if "output_len" in missing else None,
        num_requests=num_requests,
        source="imported",
        duration_s=duration,
        metrics=metrics,
        import_info=rd.info(text="\n".join(lines[s.first : s.last + 1]).strip("\n")),
        command=opts.command,
        notes=notes,
    )
    return ImportedCell(cell=cell, precision=prec, model=opts.model or model_name_from_path(None), warnings=warnings)


def summary_json_ok(text: str) -> bool:
    """Whether an evalscope 0.12 JSON summary parses as JSON (it is also read line by line)."""
    try:
        json.loads(text[text.index("{") :])
        return True
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as is a too-long integer
        return False
