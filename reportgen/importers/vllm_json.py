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
from typing import Any

from reportgen._io import parse_json
from reportgen.errors import InputFormatError
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.vllm_log import ImportedCell, summary_metrics
from reportgen.metrics import prefill_tps, serving_metrics
from reportgen.redact import redact, redact_optional
from reportgen.results import ImportInfo, RequestRecord, ServingCell, ServingMetrics

_ARRAYS = ("start_times", "ttfts", "itls", "latencies", "input_lens", "output_lens", "errors")


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def _num(doc: dict[str, Any], key: str, source: str) -> float:
    v = doc.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputFormatError(f"{source}: field {key}: missing or not a number")
    return float(v)


def _printed(doc: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in doc.items():
        if isinstance(v, (list, dict)):
            continue
        out[k] = redact(v) if isinstance(v, str) else json.dumps(v)
    return out


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


def _summary_metrics(doc: dict[str, Any], source: str, derived: list[str]) -> ServingMetrics:
    values = {
        "completed": _num(doc, "completed", source),
        "duration_s": _num(doc, "duration", source),
        "total_input_tokens": _num(doc, "total_input_tokens", source),
        "total_output_tokens": _num(doc, "total_output_tokens", source),
    }
    for key in ("request_throughput", "input_throughput", "output_throughput", "total_token_throughput"):
        if isinstance(doc.get(key), (int, float)):
            values[key] = float(doc[key])
    stats = {
        name: {s: float(doc[f"{s}_{name}_ms"]) for s in ("mean", "median", "std", "p90", "p99") if isinstance(doc.get(f"{s}_{name}_ms"), (int, float))}
        for name in ("ttft", "tpot", "itl", "e2el")
    }
    completed, tin = int(values["completed"]), int(values["total_input_tokens"])
    return summary_metrics(
        values,
        stats,
        failed=int(doc.get("failed") or 0),
        derived=derived,
        prefill_tps=prefill_tps(tin / completed if completed else None, stats["ttft"].get("mean")),
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
    command: str | None = None,
) -> ImportedCell:
    """One serving cell from a ``--save-result`` JSON text. Raises ``InputFormatError``."""
    doc = parse_json(text, source)  # NaN/Infinity, depth, long integers: one line
    if not isinstance(doc, dict) or "completed" not in doc or "duration" not in doc:
        raise InputFormatError(f"{source}: not a 'vllm bench serve --save-result' file (no 'completed'/'duration')")

    command = redact_optional(command)
    derived: list[str] = []
    notes: list[str] = []
    records: list[RequestRecord] = []
    if all(k in doc for k in _ARRAYS):
        records = rebuild_records(doc, source)
        metrics = serving_metrics(records, duration_s=_num(doc, "duration", source))
        notes.append("指标由保存的 JSON 中逐请求数据重新计算")
    else:
        metrics = _summary_metrics(doc, source, derived)

    model_path = doc.get("model_id") if isinstance(doc.get("model_id"), str) else None
    prec = precision_from_label(precision) if precision else precision_from_path(model_path)
    bs = batch_size
    if bs is None:
        bs = doc.get("max_concurrency") if doc.get("max_concurrency") is not None else doc.get("num_prompts")
    if not isinstance(bs, int):
        raise InputFormatError(f"{source}: cannot tell the batch size (no max_concurrency/num_prompts); pass --batch-size")
    il, ol = input_len, output_len
    if il is None:
        il = _one_length(doc.get("input_lens"), doc.get("errors"))
        if il is not None:
            notes.append("输入长度取自逐请求 input_lens（JSON 未保存请求的长度）")
    if ol is None:
        ol = _one_length(doc.get("output_lens"), doc.get("errors"))
        if ol is not None:
            notes.append("输出长度取自逐请求 output_lens（JSON 未保存请求的长度）")
    if il is None or ol is None:
        raise InputFormatError(f"{source}: cannot tell the requested input/output length; pass --input-len and --output-len")

    cell = ServingCell(
        batch_size=bs,
        input_len=il,
        output_len=ol,
        num_requests=doc.get("num_prompts") if isinstance(doc.get("num_prompts"), int) else None,
        source="imported",
        duration_s=metrics.duration_s,
        requests=records,
        metrics=metrics,
        import_info=ImportInfo(file=source, block=0, format="vllm-json", printed=_printed(doc), derived=derived),
        command=command,
        notes=notes,
    )
    return ImportedCell(cell=cell, precision=prec, model_path=model_path, model=model or model_name_from_path(model_path))
