"""``vllm bench sweep serve`` output folders (pure functions over paths and parsed items).

The sweep writes, under ``OUTPUT_DIR/<experiment>/``, one folder per parameter combination,
named ``SERVE-<serve params>-BENCH-<bench params>`` (either part may be missing; a parameter set
is ``key=value`` pairs joined by ``-`` or its ``_benchmark_name``), holding ``run=N.json`` -- the
``vllm bench serve --save-result`` file of run N with the combination's parameters and
``run_number`` merged in -- and ``summary.json`` (the same runs as a list), ``warmup.json`` (a
warm-up, excluded by the sweep itself), ``run=N.failure.json`` (a run that failed); the
experiment folder ends with ``summary.csv`` (every run again, one row each).

Each ``run=N.json`` is read as a vllm-json file; the rest are listed, not read (they repeat the
runs, or are no measurement). A combination's server parameters (``max_num_seqs=64``) make its
own variant: one server configuration is one deployment, never a repeat of another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.importers.labels import PrecisionInfo

_RUN = re.compile(r"^run=(\d+)\.json$")
_PAIR = re.compile(r"-?([A-Za-z_][\w.]*)=(.*?)(?=-[A-Za-z_][\w.]*=|$)")


@dataclass
class SweepRun:
    path: Path
    run_number: int
    serve: dict[str, str] = field(default_factory=dict)  # the combination's server parameters, as named
    bench: dict[str, str] = field(default_factory=dict)


def _params(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in _PAIR.finditer(text)} if text else {}


def combination(folder_name: str) -> tuple[dict[str, str], dict[str, str]]:
    """The server and benchmark parameters a combination folder is named by."""
    serve, bench = "", ""
    rest = folder_name
    if rest.startswith("SERVE-"):
        rest = rest[len("SERVE-"):]
        serve, _, bench = rest.partition("-BENCH-")
    elif rest.startswith("BENCH-"):
        bench = rest[len("BENCH-"):]
    return _params(serve), _params(bench)


def sweep_runs(folder: Path) -> tuple[list[SweepRun], list[str]]:
    """Every run of a sweep folder (sorted by combination and run number) and one line for each
    file listed but not read."""
    runs: list[SweepRun] = []
    skipped: list[str] = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        if m := _RUN.match(p.name):
            serve, bench = combination(p.parent.name)
            runs.append(SweepRun(p, int(m.group(1)), serve, bench))
        elif p.name.endswith(".failure.json"):
            skipped.append(f"{p}: a failed run of the sweep ({_failure(p)}): nothing measured")
        elif p.name == "warmup.json":
            skipped.append(f"{p}: the sweep's warm-up run: not a measurement (the sweep excludes it too)")
        elif p.name in ("summary.json", "summary.csv"):
            skipped.append(f"{p}: the sweep's summary of the runs beside it: the runs are read instead")
        else:
            skipped.append(f"{p}: not a file of a vllm bench sweep: not read")
    runs.sort(key=lambda r: (str(r.path.parent), r.run_number))
    return runs, skipped


def _failure(path: Path) -> str:
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return "unreadable"
    if isinstance(doc, dict):
        return f"{doc.get('error_type', '?')}: {str(doc.get('error', ''))[:80]}"
    return "?"


def apply_sweep(item: Any, run: SweepRun) -> None:
    """A run's cell, placed in its sweep: the server parameters name its variant and are taken out
    of the metrics (the sweep merged them into the result file as if they were figures)."""
    cell = item.cell
    info = cell.import_info
    for key in run.serve:
        cell.metrics.extra.pop(key, None)
        if info is not None:
            info.rests_on.pop(f"metrics.extra.{key}", None)
            if key in info.printed:
                info.rests_on.setdefault("variant", []).append(key)
    if run.serve:
        p = item.precision
        text = ", ".join(f"{k}={v}" for k, v in run.serve.items())
        item.precision = PrecisionInfo(f"{p.label} ({text})", p.precision, p.quantization)
        cell.notes.append(f"vllm bench sweep：服务参数 {text}")
    if run.bench:
        cell.notes.append("vllm bench sweep：压测参数 " + ", ".join(f"{k}={v}" for k, v in run.bench.items()))
    cell.notes.append(f"vllm bench sweep：第 {run.run_number} 次运行（{run.path.parent.name}/{run.path.name}）")
