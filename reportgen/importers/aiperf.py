"""Parse NVIDIA AIPerf's ``profile_export_aiperf.json`` (pure function over text).

Every metric is an object ``{"unit": ..., "avg": ..., "p50": ..., "p99": ...}``. AIPerf's names
differ from vLLM's: its ``inter_token_latency`` is (latency - TTFT) / (output tokens - 1), i.e.
vLLM's TPOT; its ``inter_chunk_latency`` is the gap between streamed chunks, vLLM's ITL. The
requested lengths are not saved (only the lengths measured): the cell takes the means, said so.
"""

from __future__ import annotations

import json
from typing import Any

from reportgen._io import parse_json
from reportgen.errors import InputFormatError
from reportgen.importers.cells import ImportedCell, RunParams, stat_path, stats_from
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.ledger import Reading
from reportgen.redact import redact_optional
from reportgen.results import ServingCell, ServingMetrics, Stats

_STATS = {"time_to_first_token": "ttft", "inter_token_latency": "tpot", "inter_chunk_latency": "itl", "request_latency": "e2el"}
_SCALE_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "ns": 1e-6, "us": 1e-3}


def looks_like_aiperf(text: str) -> bool:
    head = text[:4000]
    return '"aiperf_version"' in head or ('"request_throughput"' in head and '"unit"' in head and '"avg"' in head)


def json_scope(doc: Any) -> Any:
    """What the accounting counts: every metric object and the load settings."""
    if not isinstance(doc, dict):
        return {}
    out: dict[str, Any] = {k: v for k, v in doc.items() if isinstance(v, dict) and "unit" in v}
    cfg = doc.get("input_config")
    loadgen = cfg.get("loadgen") if isinstance(cfg, dict) else None
    if isinstance(loadgen, dict):
        out["input_config"] = {"loadgen": {k: v for k, v in loadgen.items() if k in _LOADGEN}}
    return out


_LOADGEN = ("concurrency", "request_count", "request_rate")


def _avg(doc: dict[str, Any], key: str) -> float | None:
    v = doc.get(key)
    if isinstance(v, dict) and isinstance(v.get("avg"), (int, float)):
        return float(v["avg"])
    return None


def _stats(doc: dict[str, Any], key: str, n: int, rd: Reading, metric: str) -> Stats | None:
    v = doc.get(key)
    if not isinstance(v, dict):
        return None
    scale = _SCALE_MS.get(str(v.get("unit", "ms")).lower(), 1.0)
    given: dict[str, float] = {}
    for k, x in v.items():
        if k == "unit" or isinstance(x, bool) or not isinstance(x, (int, float)):
            continue
        name = "mean" if k == "avg" else k
        given[name] = float(x) * scale
        rd.read(stat_path(metric, name), f"{key}.{k}")
    if "p50" in given:
        given.setdefault("median", given["p50"])
        rd.read(stat_path(metric, "median"), f"{key}.p50")
    return stats_from(given, n) if given else None


def parse_aiperf(text: str, source: str, opts: RunParams | None = None) -> ImportedCell:
    """The cell of one AIPerf profile export. Raises ``InputFormatError``."""
    opts = opts or RunParams()
    try:
        doc = parse_json(text, source)  # NaN/Infinity, depth, long integers: one line
    except InputFormatError as e:
        raise InputFormatError(f"{e}: looked for an AIPerf profile_export_aiperf.json") from None
    if not isinstance(doc, dict):
        raise InputFormatError(f"{source}: not an AIPerf profile export (not a JSON object)")
    rd = Reading(source, "aiperf-json")
    for k, v in json_scope(doc).items():
        if k == "input_config":
            for lk, lv in v["loadgen"].items():
                if isinstance(lv, (int, float)) and not isinstance(lv, bool):
                    rd.saw(f"input_config.loadgen.{lk}", json.dumps(lv))
            continue
        for stat, x in v.items():
            if stat != "unit" and isinstance(x, (int, float)) and not isinstance(x, bool):
                rd.saw(f"{k}.{stat}", json.dumps(x))
    completed_f = _avg(doc, "request_count")
    duration = _avg(doc, "benchmark_duration")
    if completed_f is None or duration is None:
        raise InputFormatError(f"{source}: AIPerf profile export without request_count/benchmark_duration")
    unit = str((doc.get("benchmark_duration") or {}).get("unit", "sec")).lower()
    duration = duration * _SCALE_MS.get(unit, 1000.0) / 1000.0
    completed = int(completed_f)
    rd.read("metrics.completed", "request_count.avg")
    rd.read("metrics.duration_s", "benchmark_duration.avg")
    rd.read("duration_s", "benchmark_duration.avg")
    failed = int(_avg(doc, "error_request_count") or 0)
    if _avg(doc, "error_request_count") is not None:
        rd.read("metrics.failed", "error_request_count.avg")
    else:
        rd.derive("metrics.failed", "request_count.avg", name="failed")  # no error count exported: none failed
    tin = int(_avg(doc, "total_isl") or 0)
    rd.read("metrics.total_input_tokens", "total_isl.avg")
    out_key = "total_osl" if _avg(doc, "total_osl") else "total_output_tokens"
    tout = int(_avg(doc, out_key) or 0)
    rd.read("metrics.total_output_tokens", f"{out_key}.avg")
    rates = {
        "request_throughput": _avg(doc, "request_throughput"),
        "output_throughput": _avg(doc, "output_token_throughput"),
        "total_token_throughput": _avg(doc, "total_token_throughput"),
        "input_throughput": None,
    }
    sources = {"request_throughput": "request_throughput", "output_throughput": "output_token_throughput",
               "total_token_throughput": "total_token_throughput"}
    counts = {"request_throughput": completed, "output_throughput": tout, "total_token_throughput": tin + tout, "input_throughput": tin}
    count_labels = {"request_throughput": ["request_count.avg"], "output_throughput": [f"{out_key}.avg"],
                    "total_token_throughput": ["total_isl.avg", f"{out_key}.avg"], "input_throughput": ["total_isl.avg"]}
    for k, v in list(rates.items()):
        if v is None:
            rates[k] = counts[k] / duration if duration > 0 else 0.0
            rd.derive(f"metrics.{k}", *count_labels[k], "benchmark_duration.avg")
        else:
            rd.read(f"metrics.{k}", f"{sources[k]}.avg")
    used = set(_STATS) | {"request_count", "benchmark_duration", "error_request_count", "total_isl", "total_osl",
                          "request_throughput", "output_token_throughput", "total_token_throughput"}
    extra: dict[str, float] = {}
    for k, v in doc.items():
        if k in used or not isinstance(v, dict) or "unit" not in v or str(v.get("unit")).startswith("ns"):
            continue
        for stat, x in v.items():
            if stat == "unit" or isinstance(x, bool) or not isinstance(x, (int, float)):
                continue
            name = k if stat == "avg" else f"{k}.{stat}"
            extra[name] = float(x)
            rd.read(f"metrics.extra.{name}", f"{k}.{stat}")
    goodput = _avg(doc, "goodput")
    if goodput is not None:
        rd.read("metrics.goodput_rps", "goodput.avg")
    metrics = ServingMetrics(
        completed=completed,
        failed=failed,
        duration_s=duration,
        total_input_tokens=tin,
        total_output_tokens=tout,
        ttft_ms=_stats(doc, "time_to_first_token", completed, rd, "ttft") or Stats(n=completed),
        tpot_ms=_stats(doc, "inter_token_latency", completed, rd, "tpot") or Stats(n=completed),
        itl_ms=_stats(doc, "inter_chunk_latency", completed, rd, "itl"),
        e2el_ms=_stats(doc, "request_latency", completed, rd, "e2el"),
        goodput_rps=goodput,
        extra=extra,
        **{k: float(v) for k, v in rates.items() if v is not None},
    )
    cfg: dict[str, Any] = doc["input_config"] if isinstance(doc.get("input_config"), dict) else {}
    loadgen: dict[str, Any] = cfg["loadgen"] if isinstance(cfg.get("loadgen"), dict) else {}
    endpoint: dict[str, Any] = cfg["endpoint"] if isinstance(cfg.get("endpoint"), dict) else {}
    names = endpoint.get("model_names") if isinstance(endpoint.get("model_names"), list) else []
    model_name = str(names[0]) if names else None
    conc = loadgen.get("concurrency")
    planned = loadgen.get("request_count") if isinstance(loadgen.get("request_count"), int) else completed + failed
    if isinstance(loadgen.get("request_count"), int):
        rd.read("num_requests", "input_config.loadgen.request_count")
    else:
        rd.derive("num_requests", "request_count.avg")
    if opts.batch_size is not None:
        bs = opts.batch_size
        rd.rests_on["batch_size"] = ["--batch-size"]
    elif isinstance(conc, int):
        bs = min(conc, planned) if planned else conc
        rd.read("batch_size", "input_config.loadgen.concurrency", *(["input_config.loadgen.request_count"] if planned is not None and planned < conc else []))
    else:
        raise InputFormatError(f"{source}: AIPerf export without input_config.loadgen.concurrency; pass --batch-size")
    rate = loadgen.get("request_rate")
    if isinstance(rate, (int, float)) and rate > 0:
        rd.read("request_rate", "input_config.loadgen.request_rate")
    notes = []
    warnings = []
    il = opts.input_len if opts.input_len is not None else round(_avg(doc, "input_sequence_length") or (tin / completed if completed else 0))
    ol = opts.output_len if opts.output_len is not None else round(_avg(doc, "output_sequence_length") or (tout / completed if completed else 0))
    missing = [n for n, given in (("input_len", opts.input_len), ("output_len", opts.output_len)) if given is None]
    for path, key in (("input_len", "input_sequence_length"), ("output_len", "output_sequence_length")):
        if path in missing:
            rd.derive(path, f"{key}.avg" if _avg(doc, key) is not None else "request_count.avg")
        else:
            rd.rests_on[path] = [f"--{path.replace('_', '-')}"]
    if missing:
        notes.append("AIPerf 导出文件只记录实际长度：取每请求平均输入/输出词元数")
        warnings.append(
            f"{source}: requested lengths not recorded in the AIPerf export; using the mean per request ({il} in / {ol} out); "
            "pass --input-len/--output-len if known"
        )
    if opts.precision:
        prec = precision_from_label(opts.precision)
    elif model_name:
        prec = precision_from_path(model_name)
    else:
        prec = precision_from_label("unknown")
    for k, v in doc.items():  # the scalars (version, ids, times) as printed too
        if not isinstance(v, (dict, list)):
            rd.saw(k, json.dumps(v))
    cell = ServingCell(
        batch_size=bs,
        input_len=il,
        output_len=ol,
        request_rate=float(rate) if isinstance(rate, (int, float)) and rate > 0 else None,
        dataset=opts.dataset or "unknown",
        input_len_exact=False if "input_len" in missing else None,
        output_len_exact=False if "output_len" in missing else None,
        num_requests=planned,
        source="imported",
        duration_s=duration,
        metrics=metrics,
        import_info=rd.info(),
        command=opts.command or redact_optional(cfg.get("cli_command") if isinstance(cfg.get("cli_command"), str) else None),
        notes=notes,
    )
    return ImportedCell(cell=cell, precision=prec, model=opts.model or model_name_from_path(model_name), model_path=None, warnings=warnings)
