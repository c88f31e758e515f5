"""Parse a ``vllm bench serve --save-result`` JSON file.

With the per-request arrays (``--save-detailed``: ``start_times``, ``ttfts``, ``itls``,
``latencies``, ``input_lens``, ``output_lens``, ``errors``) the raw request records are
rebuilt and the metrics recomputed with ``reportgen.metrics.serving_metrics`` over the
JSON's own ``duration``; without them the summary figures are taken as saved. Either way
every scalar the JSON holds is kept as text in ``ImportInfo.printed``.

Record rebuild (times in seconds since the earliest ``start_times`` entry)::

    start_s        = start_times[i] - min(start_times)
    first_token_s  = start_s + ttfts[i]
    chunk_times_s  = start_s + ttfts[i] + cumsum([0] + itls[i])
    end_s          = start_s + latencies[i]     (vLLM's E2EL, so TPOT matches its formula)
    completion_tokens = output_lens[i]; expected_prompt_tokens = input_lens[i]
    error          = errors[i] or None
"""

from __future__ import annotations

import json
import re
from typing import Any

from reportgen._io import parse_json
from reportgen.errors import InputFormatError
from reportgen.importers.cells import ImportedCell, summary_metrics
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import Reading
from reportgen.importers.run_settings import dataset_of, length_keys, requested_lengths
from reportgen.metrics import prefill_tps, serving_metrics
from reportgen.redact import redact, redact_optional
from reportgen.results import RequestRecord, ServingCell, ServingMetrics, is_exact_length

_ARRAYS = ("start_times", "ttfts", "itls", "latencies", "input_lens", "output_lens", "errors")


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def _num(doc: dict[str, Any], key: str, source: str) -> float:
    v = doc.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputFormatError(f"{source}: field {key}: missing or not a number")
    return float(v)


def rebuild_records(doc: dict[str, Any], source: str) -> list[RequestRecord]:
    """The per-request records of a detailed ``--save-result`` file."""
    arrays = {k: doc[k] for k in _ARRAYS}
    n = len(arrays["start_times"])
    for k, v in arrays.items():
        if not isinstance(v, list) or len(v) != n:
            raise InputFormatError(f"{source}: field {k}: expected a list of {n} entries")
    t0 = min(arrays["start_times"]) if n else 0.0
    records: list[RequestRecord] = []
    for i in range(n):
        start = float(arrays["start_times"][i]) - t0
        err = arrays["errors"][i] or None
        ttft = float(arrays["ttfts"][i] or 0.0)
        latency = float(arrays["latencies"][i] or 0.0)
        itls = [float(x) for x in (arrays["itls"][i] or [])]
        if err is None:
            chunks = [start + ttft]
            for gap in itls:
                chunks.append(chunks[-1] + gap)
            first, end = start + ttft, start + latency
        else:
            chunks, first, end = [], None, None
        records.append(
            RequestRecord(
                index=i,
                start_s=start,
                first_token_s=first,
                end_s=end,
                chunk_times_s=chunks,
                completion_tokens=int(arrays["output_lens"][i]) if err is None else None,
                expected_prompt_tokens=int(arrays["input_lens"][i]),
                error=str(err) if err is not None else None,
            )
        )
    return records


_STAT_KEY = re.compile(r"^(mean|median|std|min|max|p\d+(?:\.\d+)?)_(ttft|tpot|itl|e2el|e2e_latency)_ms$")


_EXTRA_SKIP = {"completed", "failed", "duration", "num_prompts", "max_concurrency", "request_rate", "burstiness",
               "random_input_len", "random_output_len", "random_range_ratio", "request_goodput", "concurrency",
               "input_throughput", "request_throughput", "output_throughput", "total_token_throughput",
               "total_input_tokens", "total_output_tokens", "run_number"}
_RECOMPUTED = ("completed", "total_input_tokens", "total_output_tokens", "request_throughput", "output_throughput",
               "total_token_throughput")


def _check_recomputed(doc: dict[str, Any], metrics: ServingMetrics, rd: Reading, source: str) -> list[str]:
    """The file's own summary figures against the ones recomputed from its request records: each
    that agrees is what the recomputed field is checked against (so it counts as used); one that
    does not is a warning line -- the records win, and the difference is said."""
    out: list[str] = []
    pairs: list[tuple[str, str, float | None]] = [(k, k, getattr(metrics, k)) for k in _RECOMPUTED]
    for k in doc:
        if (m := _STAT_KEY.match(k)) and not isinstance(doc[k], bool):
            stats = getattr(metrics, f"{'e2el' if m.group(2) == 'e2e_latency' else m.group(2)}_ms", None)
            pairs.append((f"{'e2el' if m.group(2) == 'e2e_latency' else m.group(2)}_ms.{m.group(1)}", k,
                          _stat(stats, m.group(1)) if stats is not None else None))
    for path, key, mine in pairs:
        printed = doc.get(key)
        if mine is None or isinstance(printed, bool) or not isinstance(printed, (int, float)):
            continue
        if abs(mine - printed) <= 1e-6 * max(abs(printed), 1.0):
            rd.read(f"metrics.{path}", "requests", key)
        else:
            out.append(f"{source}: {key} recomputed from the request records is {mine:.6g}, the file says {printed:.6g}: the records are kept")
    return out


def _stat(stats: Any, name: str) -> float | None:
    if name in ("mean", "median", "std", "min", "max", "p90", "p99"):
        v = getattr(stats, name, None)
    else:
        v = stats.percentiles.get(name[1:]) if name.startswith("p") else None
    return float(v) if isinstance(v, (int, float)) else None


def _summary_metrics(doc: dict[str, Any], source: str, derived: list[str], rd: Reading) -> ServingMetrics:
    values = {
        "completed": _num(doc, "completed", source),
        "duration_s": _num(doc, "duration", source),
        "total_input_tokens": _num(doc, "total_input_tokens", source),
        "total_output_tokens": _num(doc, "total_output_tokens", source),
    }
    labels = {"completed": "completed", "duration_s": "duration", "total_input_tokens": "total_input_tokens",
              "total_output_tokens": "total_output_tokens"}
    for key in ("request_throughput", "input_throughput", "output_throughput", "total_token_throughput"):
        if isinstance(doc.get(key), (int, float)) and not isinstance(doc.get(key), bool):
            values[key] = float(doc[key])
            labels[key] = key
    stats: dict[str, dict[str, float]] = {}
    extra: dict[str, float] = {}
    known = set(_ARRAYS) | set(values) | {"completed", "duration", "failed", "num_prompts", "max_concurrency", "request_rate",
                                         "burstiness", "random_input_len", "random_output_len", "random_range_ratio",
                                         "run_number"}  # run_number: added by vllm bench sweep
    for k, v in doc.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if m := _STAT_KEY.match(k):
            metric = "e2el" if m.group(2) == "e2e_latency" else m.group(2)
            stats.setdefault(metric, {})[m.group(1)] = float(v)
            labels[f"{metric}.{m.group(1)}"] = k
        elif k not in known and k not in ("input_throughput", "output_throughput", "total_token_throughput", "request_throughput"):
            extra[k] = float(v)
    completed, tin = int(values["completed"]), int(values["total_input_tokens"])
    goodput = doc.get("request_goodput")
    conc = doc.get("concurrency")  # SGLang: sum of E2E latency / duration
    extra = {k: v for k, v in extra.items() if k not in ("request_goodput", "concurrency")}
    for k in extra:
        rd.read(f"metrics.extra.{k}", k)
    pf = prefill_tps(tin / completed if completed else None, stats.get("ttft", {}).get("mean"))
    if pf is not None:
        rd.derive("metrics.prefill_tps", "total_input_tokens", "completed", labels["ttft.mean"])
    if isinstance(goodput, (int, float)) and not isinstance(goodput, bool):
        rd.read("metrics.goodput_rps", "request_goodput")
    eff = float(conc) if isinstance(conc, (int, float)) and not isinstance(conc, bool) else None
    if eff is not None:
        rd.read("metrics.effective_concurrency", "concurrency")
    return summary_metrics(
        values,
        stats,
        failed=int(doc.get("failed") or 0),
        derived=derived,
        reading=rd,
        labels=labels,
        prefill_tps=pf,
        goodput_rps=float(goodput) if isinstance(goodput, (int, float)) else None,
        effective_concurrency=eff,
        extra=extra,
    )


def _one_length(values: Any, errors: Any) -> int | None:
    """The common length of the successful requests, when they all have the same."""
    if not isinstance(values, list):
        return None
    ok = [v for i, v in enumerate(values) if not (isinstance(errors, list) and i < len(errors) and errors[i])]
    if ok and len(set(ok)) == 1 and isinstance(ok[0], int):
        return ok[0]
    return None


def parse_vllm_json(
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
) -> ImportedCell:
    """One serving cell from a ``--save-result`` JSON text. Raises ``InputFormatError``."""
    doc = parse_json(text, source)  # NaN/Infinity, depth, long integers: one line (the caller names the format)
    return cell_from_result(doc, source, batch_size=batch_size, precision=precision, model=model, input_len=input_len,
                            output_len=output_len, dataset=dataset, command=command)


def parse_result_lines(text: str, source: str, **opts: Any) -> list[ImportedCell]:
    """SGLang ``--output-file`` (and vLLM ``--append-result``): one result JSON object per line.

    Pasted copies break objects over lines and mix in label lines: every ``{`` that starts a
    line begins an object, read across line breaks; an object cut short is reported (a
    warning on the last cell), never silently dropped."""
    decoder = json.JSONDecoder()
    cells: list[ImportedCell] = []
    cut: list[int] = []
    pos = 0
    for no, line in enumerate(text.splitlines(keepends=True)):
        start = pos
        pos += len(line)
        if not line.lstrip().startswith("{"):
            continue
        begin = start + (len(line) - len(line.lstrip()))
        try:
            doc, _ = decoder.raw_decode(text, begin)
        except json.JSONDecodeError:
            cut.append(no + 1)
            continue
        cells.append(cell_from_result(doc, source, block=len(cells), **opts))
    if not cells:
        raise InputFormatError(f"{source}: no complete result JSON object found (looked for one per line)")
    if cut:
        cells[-1].warnings.append(f"{source}: result object at line(s) {', '.join(map(str, cut))} is cut short: not imported")
    return cells


def cell_from_result(
    doc: Any,
    source: str,
    *,
    block: int = 0,
    batch_size: int | None = None,
    precision: str | None = None,
    model: str | None = None,
    input_len: int | None = None,
    output_len: int | None = None,
    dataset: str | None = None,
    command: str | None = None,
) -> ImportedCell:
    """One serving cell from a saved result object (vLLM ``--save-result``, SGLang ``--output-file``)."""
    if not isinstance(doc, dict) or "completed" not in doc or "duration" not in doc:
        raise InputFormatError(f"{source}: not a 'vllm bench serve --save-result' file (no 'completed'/'duration')")

    command = redact_optional(command)
    fmt = "sglang-json" if "backend" in doc and ("accept_length" in doc or "total_output_tokens_retokenized" in doc) else "vllm-json"
    rd = Reading(source, fmt, block)
    for k, v in doc.items():
        if isinstance(v, list) and all(not isinstance(x, dict) for x in v):
            rd.saw(k, f"[{len(v)} values]")
        elif not isinstance(v, (list, dict)):
            rd.saw(k, redact(v) if isinstance(v, str) else json.dumps(v))
    derived = rd.derived
    notes: list[str] = []
    records: list[RequestRecord] = []
    if all(k in doc for k in _ARRAYS):
        records = rebuild_records(doc, source)
        metrics = serving_metrics(records, duration_s=_num(doc, "duration", source))
        notes.append("指标由保存的 JSON 中逐请求数据重新计算")
        rd.read("requests", *[k for k in _ARRAYS if k in rd.printed])
        rd.rests_on["metrics"] = ["requests", "duration"]  # every metric recomputed from the records (said in the notes)
        warnings_early = _check_recomputed(doc, metrics, rd, source)
        for k, v in doc.items():  # what the records do not give (peak throughput, peak concurrency ...): kept as saved
            if k in _EXTRA_SKIP or k in _ARRAYS or _STAT_KEY.match(k) or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            metrics.extra[k] = float(v)
            rd.read(f"metrics.extra.{k}", k)
    else:
        metrics = _summary_metrics(doc, source, derived, rd)
    if "failed" in doc:
        rd.read("metrics.failed", "failed")
    else:
        rd.derive("metrics.failed", "completed", name="failed")  # not saved: taken as none
    rd.read("duration_s", "duration")

    model_path = next((doc[k] for k in ("model_id", "model", "model_path") if isinstance(doc.get(k), str)), None)
    prec = precision_from_label(precision) if precision else precision_from_path(model_path)
    num_prompts = doc.get("num_prompts") if isinstance(doc.get("num_prompts"), int) else None
    sent = metrics.completed + metrics.failed
    planned = num_prompts if num_prompts is not None else sent
    mc = doc.get("max_concurrency")
    bs = batch_size
    if num_prompts is not None:
        rd.read("num_requests", "num_prompts")
    if bs is None:
        bs = min(mc, planned) if isinstance(mc, int) and planned else (mc if isinstance(mc, int) else planned)
        if isinstance(mc, int):
            rd.read("batch_size", "max_concurrency", *(["num_prompts" if num_prompts is not None else "completed"] if planned and planned < mc else []))
        elif num_prompts is not None:
            rd.read("batch_size", "num_prompts")
        else:
            rd.derive("batch_size", "completed", *(["failed"] if "failed" in doc else []))
    else:
        rd.rests_on["batch_size"] = ["--batch-size"]
    if not isinstance(bs, int) or bs < 1:
        raise InputFormatError(f"{source}: cannot tell the batch size (no max_concurrency/num_prompts); pass --batch-size")
    rate = doc.get("request_rate")
    request_rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 < rate < float("inf") else None
    burst = doc.get("burstiness")
    if request_rate is not None:
        rd.read("request_rate", "request_rate")
        if isinstance(burst, (int, float)):
            rd.read("burstiness", "burstiness")
    ns_in, ns_out = requested_lengths(doc)
    for path, given, found in (("input_len", input_len, ns_in), ("output_len", output_len, ns_out)):
        if given is not None:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
        elif isinstance(found, int):
            rd.read(path, next(k for k in length_keys(doc, path) if doc.get(k) is not None))
    il = input_len if input_len is not None else (ns_in if isinstance(ns_in, int) else None)
    ol = output_len if output_len is not None else (ns_out if isinstance(ns_out, int) else None)
    ds = dataset or dataset_of(doc) or ("random" if il is not None and ol is not None else "unknown")
    if il is None:
        il = _one_length(doc.get("input_lens"), doc.get("errors"))
        if il is not None:
            notes.append("输入长度取自逐请求 input_lens（JSON 未保存请求的长度）")
            rd.derive("input_len", "input_lens", name="input_len from input_lens")  # one length for every request: not the mean
    if ol is None:
        ol = _one_length(doc.get("output_lens"), doc.get("errors"))
        if ol is not None:
            notes.append("输出长度取自逐请求 output_lens（JSON 未保存请求的长度）")
            rd.derive("output_len", "output_lens", name="output_len from output_lens")  # one length for every request: not the mean
    warnings: list[str] = list(warnings_early) if records else []
    missing = []
    if il is None:
        il = round(metrics.total_input_tokens / metrics.completed) if metrics.completed else 0
        missing.append("input_len")
    if ol is None:
        ol = round(metrics.total_output_tokens / metrics.completed) if metrics.completed else 0
        missing.append("output_len")
    for m in missing:
        rd.derive(m, "total_input_tokens" if m == "input_len" else "total_output_tokens", "completed")
    if missing:
        which = "/".join(missing)
        notes.append(f"JSON 未记录所要求的长度（{which}）：取每个成功请求的平均词元数（total_*_tokens / completed）")
        warnings.append(
            f"{source}: requested {' and '.join(m.replace('_len', ' length') for m in missing)} not recorded; using the mean "
            f"per successful request ({il} in / {ol} out, total tokens / completed); pass --input-len/--output-len if known"
        )
    exact_in = "input_len" not in missing and (is_exact_length(ds) or ns_in is not None and input_len is None)
    exact_out = "output_len" not in missing and (is_exact_length(ds) or ns_out is not None and output_len is None)
    cell = ServingCell(
        batch_size=bs,
        input_len=il,
        output_len=ol,
        request_rate=request_rate,
        burstiness=float(burst) if request_rate is not None and isinstance(burst, (int, float)) else None,
        dataset=ds,
        input_len_exact=exact_in,
        output_len_exact=exact_out,
        num_requests=num_prompts,
        source="imported",
        duration_s=metrics.duration_s,
        requests=records,
        metrics=metrics,
        import_info=rd.info(),
        command=command,
        notes=notes,
    )
    return ImportedCell(
        cell=cell, precision=prec, model_path=model_path, model=model or model_name_from_path(model_path), warnings=warnings
    )
