"""guidellm console reports (pure functions over text): one serving cell per benchmark row.

* 0.1 (2024): the boxed ``GuideLLM Benchmarks Report`` -- ``Requests Data by Benchmark``
  (completed/failed, duration), ``Tokens Data by Benchmark`` (mean prompt and output tokens),
  ``Performance Stats by Benchmark`` (latency percentiles, cells wrapped over lines) and
  ``Performance Summary by Benchmark`` (means), under ``Backend(...)``, ``Data(...)``, ``Rate(...)``;
* 0.2 - 0.3 (2025): ``Benchmarks Metadata`` (the data arguments), ``Benchmarks Info`` (duration,
  requests and tokens per benchmark) and ``Benchmarks Stats`` (throughputs, concurrency, mean,
  median and p99 of request latency, TTFT, ITL and TPOT), tables whose first header row groups
  columns with runs of ``|``.

A benchmark's kind gives the load: ``synchronous`` is one request at a time, ``concurrent@N`` N
at a time, ``throughput`` every request at once, ``constant@R`` / ``poisson@R`` /
``asynchronous@R`` an open loop at R requests/s. guidellm 0.2 labels the request latency
``(ms)`` but prints seconds (vllm-project/guidellm#245): a latency below the TTFT in ms can only
be seconds, and is read as such, said so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, to_float
from reportgen.importers.cells import ImportedCell, RunParams, summary_metrics
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import Reading
from reportgen.results import ServingCell

_V2_START = re.compile(r"^\s*Benchmarks (?:Metadata|Info|Stats)\s*:\s*$")
_V1_START = re.compile(r"GuideLLM Benchmarks Report")
_COMMAND = re.compile(r"\bguidellm\s+benchmark\b|guidellm/main\.py")


def _ruler(line: str) -> bool:
    return bool(re.fullmatch(r"\s*[=\-|]{10,}\s*", line))


def find_guidellm(lines: list[str]) -> list[tuple[int, int]]:
    """A 0.2 report from ``Benchmarks Metadata`` (or its command) to the ruler closing ``Benchmarks
    Stats``; a 0.1 report from the ``Benchmarks`` progress box to the end of its outer box."""
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        if _V2_START.match(line):
            first = k
            for j in range(k - 1, max(k - 150, -1), -1):
                if _COMMAND.search(lines[j]):
                    first = j
                    break
                if not lines[j].strip() and j < k - 60:
                    break
            stats = next((j for j in range(k, min(k + 400, len(lines))) if re.match(r"^\s*Benchmarks Stats\s*:", lines[j])), None)
            last = k
            if stats is not None:
                rulers = [j for j in range(stats + 1, min(stats + 200, len(lines))) if _ruler(lines[j]) and "=" in lines[j]]
                last = rulers[1] if len(rulers) > 1 else (rulers[0] if rulers else stats)
            out.append((first, last))
            k = last + 1
            continue
        if _V1_START.search(line):
            first = k
            for j in range(k - 1, max(k - 40, -1), -1):
                if "Benchmarks ─" in lines[j] or _COMMAND.search(lines[j]):
                    first = j
                    break
            last = k
            for j in range(k + 1, len(lines)):
                if not lines[j].strip():
                    break
                last = j
                if lines[j].strip().startswith("╰") and "│" not in lines[j]:  # the outer box closes
                    break
            out.append((first, last))
            k = last + 1
            continue
        k += 1
    return out


# --------------------------------------------------------------------------- 0.2 tables


def _grouped_header(top: str, sub: str) -> list[str]:
    """Column names ``group/sub`` from a header whose first row groups columns with runs of pipes."""
    groups: list[str] = []
    parts = re.findall(r"([^|]*)(\|+)", top)
    rest = top[sum(len(a) + len(b) for a, b in parts):]
    for text, pipes in parts:
        groups += [text.strip()] * len(pipes)
    subs = [s.strip() for s in sub.split("|")]
    if rest.strip() or len(groups) < len(subs):
        groups += [rest.strip() or (groups[-1] if groups else "")] * (len(subs) - len(groups))
    return [f"{g}/{s}" if g and s else (s or g) for g, s in zip(groups, subs, strict=False)]


@dataclass
class _Row:
    line: int
    cells: dict[str, str] = field(default_factory=dict)  # column -> text


def _v2_table(lines: list[str], title: str, first: int, last: int) -> dict[str, _Row]:
    at = next((k for k in range(first, last + 1) if re.match(rf"^\s*{title}\s*:", lines[k])), None)
    if at is None:
        return {}
    k = at + 1
    while k <= last and _ruler(lines[k]):
        k += 1
    if k + 1 > last:
        return {}
    cols = _grouped_header(lines[k], lines[k + 1])
    rows: dict[str, _Row] = {}
    for j in range(k + 2, last + 1):
        line = lines[j]
        if _ruler(line):
            if rows:
                break
            continue
        if "|" not in line:
            break
        cells = [c.strip() for c in line.split("|")]
        row = _Row(j, dict(zip(cols, cells, strict=False)))
        rows[cells[0]] = row
    return rows


# --------------------------------------------------------------------------- 0.1 tables


def _v1_tables(lines: list[str], first: int, last: int) -> dict[str, dict[str, _Row]]:
    """Title -> benchmark -> row, from the nested boxes of a 0.1 report (wrapped cells joined)."""
    tables: dict[str, dict[str, _Row]] = {}
    title: str | None = None
    header: list[str] = []
    outer = 0
    k = first
    while k <= last:
        line = lines[k]
        inner = line.replace("│", " ").strip()
        if "┃" in line:
            parts = line.split("┃")
            outer = parts[0].count("│")
            cells = [c.strip() for c in parts[1:-1]]
            header = [f"{h} {c}".strip() for h, c in zip(header, cells, strict=False)] if header and len(header) == len(cells) else cells
            k += 1
            continue
        if re.fullmatch(r"[A-Z][A-Za-z ]+ by Benchmark", inner):
            title, header = inner, []
            tables[title] = {}
        elif title and header and line.count("│") > 2 * outer + 1 and not re.search(r"[┏┡└┗]", line):
            parts = line.split("│")
            cells = [c.strip() for c in parts[outer + 1 : len(parts) - outer - 1]]
            if len(cells) == len(header):
                if cells[0]:
                    tables[title][cells[0]] = _Row(k, dict(zip(header, cells, strict=True)))
                elif tables[title]:  # a wrapped cell: the rest of the row above
                    prev = list(tables[title].values())[-1]
                    for h, c in zip(header, cells, strict=True):
                        if c:
                            prev.cells[h] = (prev.cells.get(h, "") + " " + c).strip()
        k += 1
    return tables


# --------------------------------------------------------------------------- cells

_KIND = re.compile(r"^(synchronous|throughput|concurrent|constant|poisson|asynchronous)(?:@\s*([\d.]+))?", re.IGNORECASE)


def _load(name: str) -> tuple[str, float | None]:
    m = _KIND.match(name.strip())
    if not m:
        return name, None
    return m.group(1).lower(), float(m.group(2)) if m.group(2) else None


def _data_lengths(text: str) -> tuple[int | None, int | None, str]:
    """Requested lengths from ``prompt_tokens=512,output_tokens=256`` (0.2) or
    ``prompt_tokens=15900,...,generated_tokens=450`` (0.1); the dataset kind."""
    pin = re.search(r"prompt_tokens=(\d+)", text)
    pout = re.search(r"(?:output_tokens|generated_tokens)=(\d+)", text)
    synthetic = bool(pin) or "emulated" in text
    return (int(pin.group(1)) if pin else None, int(pout.group(1)) if pout else None, "synthetic" if synthetic else "unknown")


def _data_labels(rd: Reading, lab: dict[str, str], lines: list[str], at: int | None) -> None:
    """The requested lengths as printed in the data arguments (``prompt_tokens=512``)."""
    if at is None:
        return
    for key, rx in (("data_in", r"prompt_tokens=(\d+)"), ("data_out", r"(?:output|generated)_tokens=(\d+)")):
        if m := re.search(rx, lines[at]):
            lab[key] = rd.saw(f"data {m.group(0).split('=')[0]}", m.group(1), at)


def _num(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.match(r"^\s*([-+]?[\d,]*\.?\d+)", text)
    return to_float(m.group(1)) if m else None


def parse_guidellm(text: str, source: str, opts: RunParams | None = None) -> list[ImportedCell]:
    """One cell per benchmark of every guidellm report in ``text``. Raises ``InputFormatError``."""
    opts = opts or RunParams()
    lines = clean_lines(text)
    spans = find_guidellm(lines)
    if not spans:
        raise InputFormatError(f"{source}: no guidellm report (Benchmarks Info/Stats, or GuideLLM Benchmarks Report) found")
    cells: list[ImportedCell] = []
    for first, last in spans:
        block = "\n".join(lines[first : last + 1])
        if _V1_START.search(block):
            cells += _v1_cells(lines, first, last, source, opts)
        else:
            cells += _v2_cells(lines, first, last, source, opts)
    if not cells:
        raise InputFormatError(f"{source}: guidellm report without benchmark rows (text cut short?)")
    return cells


def _model(block: str) -> str | None:
    m = re.search(r"model[=:]\s*'?([^',)\s]+)", block) or re.search(r"for model (\S+?)\.?\s*$", block, re.M)
    return m.group(1) if m else None


def _v2_cells(lines: list[str], first: int, last: int, source: str, opts: RunParams) -> list[ImportedCell]:
    block = "\n".join(lines[first : last + 1])
    info = _v2_table(lines, "Benchmarks Info", first, last)
    stats = _v2_table(lines, "Benchmarks Stats", first, last)
    il, ol, dataset = _data_lengths(block)
    data_line = next((k for k in range(first, last + 1) if re.search(r"data='?prompt_tokens=", lines[k])), None)
    max_conc = re.search(r"max_concurrency=(\d+)", block)
    model_path = _model(block)
    out = []
    for n, (name, srow) in enumerate(stats.items()):
        irow = info.get(name)
        if irow is None:
            raise InputFormatError(f"{source}:{srow.line + 1}: guidellm benchmark {name!r} has no row in Benchmarks Info (cut short?)")
        rd = Reading(source, "guidellm", n)
        lab: dict[str, str] = {}
        for row in (irow, srow):
            for col, txt in row.cells.items():
                if _num(txt) is not None and not re.match(r"^\d+:\d+", txt) and col != "Metadata/Benchmark":
                    lab[col] = rd.saw(f"{name} {col}", txt, row.line)
        lab["name"] = rd.saw(f"{name} Benchmark", name, srow.line)
        _data_labels(rd, lab, lines, data_line)
        if (dur := next((k for k in range(first, last + 1) if re.match(r"^\s*Duration:\s*[\d.]+", lines[k])), None)) is not None:
            rd.saw("Benchmarks Metadata Duration (all benchmarks)", lines[dur].split(":", 1)[1].strip(), dur)
        v = {c: _num(t) for c, t in {**irow.cells, **srow.cells}.items()}

        def get(col: str, v: dict[str, float | None] = v, srow: Any = srow, name: str = name) -> float:
            x = v.get(col)
            if x is None:
                raise InputFormatError(f"{source}:{srow.line + 1}: guidellm benchmark {name!r} has no '{col}' column")
            return x

        completed, failed, inc = int(get("Requests Made/Comp")), int(get("Requests Made/Err")), int(v.get("Requests Made/Inc") or 0)
        values: dict[str, float] = {
            "completed": completed, "duration_s": get("Metadata/Duration (s)"),
            "total_input_tokens": get("Prompt Tok Total/Comp"), "total_output_tokens": get("Output Tok Total/Comp"),
            "request_throughput": get("Request Stats/Per Second"), "output_throughput": get("Out Tok/sec/mean"),
            "total_token_throughput": get("Tot Tok/sec/mean"),
        }
        labels = {"completed": lab["Requests Made/Comp"], "duration_s": lab["Metadata/Duration (s)"],
                  "total_input_tokens": lab["Prompt Tok Total/Comp"], "total_output_tokens": lab["Output Tok Total/Comp"],
                  "request_throughput": lab["Request Stats/Per Second"], "output_throughput": lab["Out Tok/sec/mean"],
                  "total_token_throughput": lab["Tot Tok/sec/mean"]}
        stats_given: dict[str, dict[str, float]] = {}
        notes: list[str] = []
        ttft_mean = v.get("TTFT (ms)/mean")
        for group, metric in (("Req Latency (ms)", "e2el"), ("TTFT (ms)", "ttft"), ("ITL (ms)", "itl"), ("TPOT (ms)", "tpot")):
            scale = 1.0
            if metric == "e2el" and ttft_mean is not None and (v.get(f"{group}/mean") or 0) < ttft_mean:
                scale = 1000.0  # printed under "(ms)" but smaller than the TTFT: seconds (guidellm#245)
                notes.append("guidellm 0.2 的请求时延列标为 ms，数值实为秒（小于首词元时延），已按秒读取")
            for stat in ("mean", "median", "p99"):
                col = f"{group}/{stat}"
                if v.get(col) is not None:
                    stats_given.setdefault(metric, {})[stat] = round(v[col] * scale, 9)  # type: ignore[operator]
                    labels[f"{metric}.{stat}"] = lab[col]
        extra: dict[str, float] = {}
        used = {"Requests Made/Comp", "Requests Made/Err", "Metadata/Duration (s)", "Prompt Tok Total/Comp", "Output Tok Total/Comp",
                "Request Stats/Per Second", "Out Tok/sec/mean", "Tot Tok/sec/mean", "Request Stats/Concurrency"}
        for col, x in v.items():
            if x is not None and col in lab and col not in used and not col.startswith(("Req Latency", "TTFT", "ITL", "TPOT")):
                extra[col] = x
                rd.read(f"metrics.extra.{col}", lab[col])
        derived = rd.derived
        rd.read("metrics.failed", lab["Requests Made/Err"])
        metrics = summary_metrics(values, stats_given, failed=failed, derived=derived, reading=rd, labels=labels,
                                  effective_concurrency=v.get("Request Stats/Concurrency"), extra=extra)
        if v.get("Request Stats/Concurrency") is not None:
            rd.read("metrics.effective_concurrency", lab["Request Stats/Concurrency"])
        rd.read("duration_s", labels["duration_s"])
        cell_out = _cell(name, completed, failed, inc, il, ol, dataset, max_conc, rd, lab, opts, metrics, notes, source, srow.line)
        cell_out.cell.import_info = rd.info(text="\n".join(lines[first : last + 1]))
        cell_out.model_path = model_path
        cell_out.model = opts.model or model_name_from_path(model_path)
        cell_out.precision = precision_from_label(opts.precision) if opts.precision else precision_from_path(model_path)
        out.append(cell_out)
    return out


def _cell(name: str, completed: int, failed: int, inc: int, il: int | None, ol: int | None, dataset: str, max_conc: Any,
          rd: Reading, lab: dict[str, str], opts: RunParams, metrics: Any, notes: list[str], source: str, line: int) -> ImportedCell:
    kind, value = _load(name)
    planned = completed + failed + inc
    rate = None
    counts = [lab[k] for k in ("Requests Made/Comp", "Requests Made/Err", "Requests Made/Inc", "completed", "failed") if k in lab]
    if opts.batch_size is not None:
        bs = opts.batch_size
        rd.rests_on["batch_size"] = ["--batch-size"]
    elif kind == "synchronous":
        bs = 1
        rd.derive("batch_size", lab["name"])  # one request at a time, as the benchmark's name says
    elif kind == "concurrent" and value is not None:
        bs = int(value)
        rd.read("batch_size", lab["name"])  # concurrent@N
    else:  # throughput: everything at once; an open loop: no cap unless max_concurrency
        cap = int(max_conc.group(1)) if max_conc else None
        bs = min(cap, planned) if cap else planned
        rd.derive("batch_size", *counts)
        if kind in ("constant", "poisson", "asynchronous") and value is not None:
            rate = value
            rd.read("request_rate", lab["name"])  # constant@R
            if kind == "constant":
                notes.append("guidellm constant 负载：请求按固定间隔发出（非泊松）")
    if kind not in ("synchronous", "concurrent", "throughput", "constant", "poisson", "asynchronous"):
        raise InputFormatError(f"{source}:{line + 1}: guidellm benchmark {name!r}: unknown kind of load; pass --batch-size")
    warnings = []
    if opts.input_len is not None or il is None:
        il_v = opts.input_len if opts.input_len is not None else round(metrics.total_input_tokens / completed) if completed else 0
    else:
        il_v = il
    if opts.output_len is not None or ol is None:
        ol_v = opts.output_len if opts.output_len is not None else round(metrics.total_output_tokens / completed) if completed else 0
    else:
        ol_v = ol
    for path, given, printed, total in (("input_len", opts.input_len, il, "total_input_tokens"), ("output_len", opts.output_len, ol, "total_output_tokens")):
        if given is not None:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
        elif printed is not None and ("data_in" if path == "input_len" else "data_out") in lab:
            rd.read(path, lab["data_in" if path == "input_len" else "data_out"])
        else:
            rd.derive(path, *[x for x in (rd.rests_on.get(f"metrics.{total}", []) + counts[:1])])
            warnings.append(f"{source}:{line + 1}: requested {path.replace('_len', ' length')} not printed; using the mean per request")
    cell = ServingCell(
        batch_size=bs, input_len=il_v, output_len=ol_v, request_rate=rate, dataset=opts.dataset or dataset,
        input_len_exact=False, output_len_exact=False, num_requests=planned, source="imported", duration_s=metrics.duration_s,
        metrics=metrics, command=opts.command, notes=notes,
    )
    rd.derive("num_requests", *counts)
    if inc:
        notes.append(f"guidellm 报告 {inc} 个未完成请求（基准结束时仍在进行），不计入成功或失败")
    return ImportedCell(cell=cell, precision=precision_from_label("unknown"), warnings=warnings)


def _v1_cells(lines: list[str], first: int, last: int, source: str, opts: RunParams) -> list[ImportedCell]:
    tables = _v1_tables(lines, first, last)
    block = "\n".join(lines[first : last + 1])
    il, ol, dataset = _data_lengths(block)
    data_line = next((k for k in range(first, last + 1) if "Data(" in lines[k]), None)
    model_path = _model(block)
    req = tables.get("Requests Data by Benchmark", {})
    tok = tables.get("Tokens Data by Benchmark", {})
    perf = tables.get("Performance Stats by Benchmark", {})
    summ = tables.get("Performance Summary by Benchmark", {})
    out = []
    for n, (name, rrow) in enumerate(req.items()):
        rd = Reading(source, "guidellm", n)
        lab: dict[str, str] = {}
        for table, row in (("Requests", rrow), ("Tokens", tok.get(name)), ("Stats", perf.get(name)), ("Summary", summ.get(name))):
            if row is None:
                continue
            for col, txt in row.cells.items():
                if col != "Benchmark" and re.search(r"\d", txt) and not re.match(r"^\d+:\d+:\d+$", txt) and ", " not in txt:  # lists: per value below
                    lab[f"{table}/{col}"] = rd.saw(f"{name} {col}", txt, row.line)
        lab["name"] = rd.saw(f"{name} Benchmark", name, rrow.line)
        _data_labels(rd, lab, lines, data_line)
        done = re.match(r"(\d+)\s*/\s*(\d+)", rrow.cells.get("Requests Completed", ""))
        fail = re.match(r"(\d+)\s*/\s*(\d+)", rrow.cells.get("Request Failed", ""))
        dur = _num(rrow.cells.get("Duration"))
        if not done or dur is None:
            raise InputFormatError(f"{source}:{rrow.line + 1}: guidellm benchmark {name!r}: no 'Requests Completed'/'Duration'")
        completed, failed = int(done.group(1)), int(fail.group(1)) if fail else 0
        lab["completed"], lab["failed"] = lab["Requests/Requests Completed"], lab.get("Requests/Request Failed", lab["Requests/Requests Completed"])
        trow = tok.get(name)
        p_mean = _num(trow.cells.get("Prompt")) if trow else None
        o_mean = _num(trow.cells.get("Output")) if trow else None
        if p_mean is None or o_mean is None:
            raise InputFormatError(f"{source}:{rrow.line + 1}: guidellm benchmark {name!r} has no Tokens Data row")
        tin, tout = round(p_mean * completed), round(o_mean * completed)
        srow = summ.get(name)
        values: dict[str, float] = {"completed": completed, "duration_s": dur, "total_input_tokens": tin, "total_output_tokens": tout}
        labels = {"completed": lab["completed"], "duration_s": lab["Requests/Duration"]}
        if srow and _num(srow.cells.get("Requests per Second")) is not None:
            values["request_throughput"] = _num(srow.cells["Requests per Second"])  # type: ignore[assignment]
            labels["request_throughput"] = lab["Summary/Requests per Second"]
        if srow and _num(srow.cells.get("Output Token Throughput")) is not None:
            values["output_throughput"] = _num(srow.cells["Output Token Throughput"])  # type: ignore[assignment]
            labels["output_throughput"] = lab["Summary/Output Token Throughput"]
        stats_given: dict[str, dict[str, float]] = {}
        prow = perf.get(name)
        for col_start, metric, to_ms in (("Request Latency", "e2el", 1000.0), ("Time to First Token", "ttft", 1.0), ("Inter Token Latency", "itl", 1.0)):
            if srow:
                mcol = next((c for c in srow.cells if c.startswith(col_start)), None)
                if mcol and _num(srow.cells[mcol]) is not None:
                    scale = 1000.0 if srow.cells[mcol].strip().endswith("sec") else 1.0
                    stats_given.setdefault(metric, {})["mean"] = round(_num(srow.cells[mcol]) * scale, 9)  # type: ignore[operator]
                    labels[f"{metric}.mean"] = lab[f"Summary/{mcol}"]
            if prow:
                pcol = next((c for c in prow.cells if c.startswith(col_start)), None)
                if pcol:
                    names = re.findall(r"(\d+)%", pcol)
                    texts = re.findall(r"[\d.]+", prow.cells[pcol])
                    if len(names) == len(texts):
                        for p, t in zip(names, texts, strict=True):
                            x = to_float(t)
                            if x is not None:
                                stats_given.setdefault(metric, {})[f"p{p}"] = round(x * to_ms, 9)
                                labels[f"{metric}.p{p}"] = rd.saw(f"{name} {col_start} p{p}", t, prow.line)
        if "e2el" in stats_given and "p50" in stats_given["e2el"]:
            stats_given["e2el"]["median"] = stats_given["e2el"]["p50"]
            labels["e2el.median"] = labels["e2el.p50"]
        for m in ("ttft", "itl"):
            if "p50" in stats_given.get(m, {}):
                stats_given[m]["median"] = stats_given[m]["p50"]
                labels[f"{m}.median"] = labels[f"{m}.p50"]
        extra: dict[str, float] = {}
        if trow:
            for col in ("Prompt (1%, 5%, 50%, 95%, 99%)", "Output (1%, 5%, 50%, 95%, 99%)"):
                if col in trow.cells:
                    for p, t in zip(("p1", "p5", "p50", "p95", "p99"), re.findall(r"[\d.]+", trow.cells[col]), strict=False):
                        if (x := to_float(t)) is not None:
                            key = f"{col.split(' ')[0].lower()} tokens {p}"
                            extra[key] = x
                            rd.read(f"metrics.extra.{key}", rd.saw(f"{name} {key}", t, trow.line))
            for col, key in (("Prompt", "mean prompt tokens"), ("Output", "mean output tokens")):
                extra[key] = _num(trow.cells[col])  # type: ignore[assignment]
                rd.read(f"metrics.extra.{key}", lab[f"Tokens/{col}"])
        derived = rd.derived
        rd.read("metrics.failed", lab["failed"])
        metrics = summary_metrics(values, stats_given, failed=failed, derived=derived, reading=rd, labels=labels, extra=extra)
        for k, src in (("total_input_tokens", "Tokens/Prompt"), ("total_output_tokens", "Tokens/Output")):
            rd.derive(f"metrics.{k}", lab[src], lab["completed"])
        rd.read("duration_s", labels["duration_s"])
        notes = ["guidellm 0.1 只打印每请求平均词元数：输入/输出词元总数由平均值 × 成功请求数得出"]
        cell_out = _cell(name, completed, failed, 0, il, ol, dataset, None, rd, lab, opts, metrics, notes, source, rrow.line)
        cell_out.cell.import_info = rd.info(text="\n".join(lines[first : last + 1]))
        cell_out.model_path = model_path
        cell_out.model = opts.model or model_name_from_path(model_path)
        cell_out.precision = precision_from_label(opts.precision) if opts.precision else precision_from_path(model_path)
        out.append(cell_out)
    return out
