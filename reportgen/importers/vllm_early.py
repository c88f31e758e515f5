"""What vLLM's first ``benchmarks/benchmark_serving.py`` printed (2023 - early 2024), and the
copies other projects kept of it (pure functions over text)::

    Namespace(backend='vllm', ..., num_prompts=1000, request_rate=200.0, ...)
    Total time: 166.88 s
    Throughput: 5.99 requests/s
    Average latency: 67.59 s
    Average latency per token: 0.21 s
    Average latency per output token: 1.10 s

(also pasted with every line run together). It counts no tokens and no failures: the requests
are the Namespace's ``num_prompts`` (every one assumed to have finished: the script stopped on
an error), the token totals are known only when the requests had fixed lengths given with
``--input-len/--output-len`` (or an output throughput printed beside). Otherwise the block is
recognised, accounted for and refused with one line: a cell without token counts would put a
throughput of nothing in the document.
"""

from __future__ import annotations

import re

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, to_float
from reportgen.importers.cells import ImportedCell, RunParams, summary_metrics
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import NUMBER, Reading
from reportgen.importers.run_settings import command_args, find_namespaces
from reportgen.results import ServingCell

_FIELDS = (
    ("Total time", "duration_s", 1.0),
    ("Throughput", "request_throughput", 1.0),
    ("Average latency", "e2el", 1000.0),
    ("Average latency per token", "latency_per_token", 1.0),
    ("Average latency per output token", "latency_per_output_token", 1.0),
)
_ITEM = re.compile(r"(Total time|Throughput|Average latency per output token|Average latency per token|Average latency)\s*:\s*(" + NUMBER + r")\s*(ms|s|requests/s)?")
_OUT_TPUT = re.compile(r"(输出的 token 总数 / 总时间|Output token throughput)\s*[:：]\s*(" + NUMBER + r")\s*tokens/s", re.IGNORECASE)


def find_early_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """``Total time:`` with ``Throughput: ... requests/s`` close by, from the Namespace or command
    before it to the last ``Average latency ...`` (and a printed output throughput after it)."""
    out: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if "Total time:" not in line or (out and k <= out[-1][1]):
            continue
        window = "\n".join(lines[k : k + 8])
        if not re.search(r"Throughput:\s*" + NUMBER + r"\s*requests/s", window) or "Average latency" not in window:
            continue
        last = max(j for j in range(k, min(k + 8, len(lines))) if "Average latency" in lines[j] or "Total time:" in lines[j])
        while last + 1 < len(lines) and _OUT_TPUT.search(lines[last + 1]):
            last += 1
        first = k
        for j in range(k - 1, max(k - 12, -1), -1):
            if "Namespace(" in lines[j] or re.search(r"benchmark_serving\w*\.py", lines[j]):
                first = j
                break
        out.append((first, last))
    return out


def parse_early(text: str, source: str, opts: RunParams | None = None) -> list[ImportedCell]:
    opts = opts or RunParams()
    lines = clean_lines(text)
    spans = find_early_blocks(lines)
    if not spans:
        raise InputFormatError(f"{source}: no early benchmark_serving.py result (Total time / Throughput ... requests/s)")
    return [_cell(lines, first, last, source, n, opts) for n, (first, last) in enumerate(spans)]


def _cell(lines: list[str], first: int, last: int, source: str, block: int, opts: RunParams) -> ImportedCell:
    rd = Reading(source, "vllm-early-text", block)
    got: dict[str, float] = {}
    lab: dict[str, str] = {}
    out_tput: tuple[float, str] | None = None
    for k in range(first, last + 1):
        for m in _ITEM.finditer(lines[k]):
            v = to_float(m.group(2))
            if v is None:
                continue
            key = next(f for label, f, _ in _FIELDS if label == m.group(1))
            got[key] = v * (1000.0 if key == "e2el" and m.group(3) != "ms" else 1.0)
            lab[key] = rd.saw(m.group(1), m.group(2) + (f" {m.group(3)}" if m.group(3) else ""), k)
        if m2 := _OUT_TPUT.search(lines[k]):
            out_tput = (to_float(m2.group(2)) or 0.0, rd.saw(m2.group(1), m2.group(2), k))
    where = f"{source}:{first + 1}"
    namespaces = find_namespaces(lines, source, strict=False)
    ns = namespaces[-1].args if namespaces else command_args(lines[first : last + 1])
    ns_line = namespaces[-1].first_line if namespaces else first
    for need in ("duration_s", "request_throughput"):
        if need not in got:
            raise InputFormatError(f"{where}: early benchmark_serving.py result without '{need}'")
    num = ns.get("num_prompts") if isinstance(ns.get("num_prompts"), int) else None
    if num is None:
        raise InputFormatError(f"{where}: early benchmark_serving.py prints no request count and no Namespace num_prompts is above it")
    n_label = rd.saw("Namespace.num_prompts", str(num), ns_line)
    completed = num
    duration = got["duration_s"]
    tin = tout = None
    notes = ["早期 benchmark_serving.py 不统计失败请求与词元数：成功请求数取 Namespace 的 num_prompts"]
    if opts.input_len is not None and opts.output_len is not None:
        tin, tout = opts.input_len * completed, opts.output_len * completed
        rd.derive("metrics.total_input_tokens", "--input-len", n_label)
        rd.derive("metrics.total_output_tokens", "--output-len", n_label)
        notes.append("词元总数 = 给定的固定长度 × 请求数")
    elif out_tput is not None and opts.input_len is not None:
        tin, tout = opts.input_len * completed, round(out_tput[0] * duration)
        rd.derive("metrics.total_input_tokens", "--input-len", n_label)
        rd.derive("metrics.total_output_tokens", out_tput[1], lab["duration_s"])
    if tin is None or tout is None:
        raise InputFormatError(
            f"{where}: early benchmark_serving.py prints no token counts; if every request had fixed lengths pass "
            "--input-len and --output-len, otherwise this run cannot become a cell"
        )
    values = {"completed": completed, "duration_s": duration, "total_input_tokens": tin, "total_output_tokens": tout,
              "request_throughput": got["request_throughput"]}
    labels = {"completed": n_label, "duration_s": lab["duration_s"], "request_throughput": lab["request_throughput"]}
    stats = {"e2el": {"mean": round(got["e2el"], 9)}} if "e2el" in got else {}
    if "e2el" in got:
        labels["e2el.mean"] = lab["e2el"]
    extra = {}
    for key in ("latency_per_token", "latency_per_output_token"):
        if key in got:
            extra[f"average {key.replace('_', ' ')} (s)"] = got[key]
            rd.read(f"metrics.extra.average {key.replace('_', ' ')} (s)", lab[key])
    rd.read("metrics.completed", n_label)
    rd.derive("metrics.failed", n_label, name="failed")
    metrics = summary_metrics(values, stats, failed=0, derived=rd.derived, reading=rd, labels=labels, extra=extra)
    rd.read("duration_s", lab["duration_s"])
    rate = ns.get("request_rate")
    request_rate = float(rate) if isinstance(rate, (int, float)) and 0 < rate < float("inf") else None
    if isinstance(rate, (int, float)):
        rd.read("request_rate", rd.saw("Namespace.request_rate", repr(rate), ns_line))
    if opts.batch_size is not None:
        rd.rests_on["batch_size"] = ["--batch-size"]
    else:
        rd.read("batch_size", n_label)  # no cap in the early script: every request may be in flight
    rd.read("num_requests", n_label)
    for path in ("input_len", "output_len"):
        rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
    model_path = ns.get("model") if isinstance(ns.get("model"), str) else (ns.get("tokenizer") if isinstance(ns.get("tokenizer"), str) else None)
    dataset = "sharegpt" if "sharegpt" in str(ns.get("dataset", "")).lower() else (opts.dataset or "unknown")
    cell = ServingCell(
        batch_size=opts.batch_size or completed, input_len=opts.input_len or 0, output_len=opts.output_len or 0,
        request_rate=request_rate, dataset=opts.dataset or dataset, input_len_exact=None, output_len_exact=None,
        num_requests=num, source="imported", duration_s=duration, metrics=metrics,
        import_info=rd.info(text="\n".join(lines[first : last + 1])), command=opts.command, notes=notes,
    )
    prec = precision_from_label(opts.precision) if opts.precision else precision_from_path(model_path)
    return ImportedCell(cell=cell, precision=prec, model_path=model_path, model=opts.model or model_name_from_path(model_path))
