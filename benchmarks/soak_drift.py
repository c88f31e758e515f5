#!/usr/bin/env python3
"""Soak drift detection, end to end: ``reportgen soak`` against a server that slows down on a
schedule, and against a steady one.

The repo's stub (``tests/serving_stub.py``) serves with a fixed TPOT; with ``--tpot-drift D`` every
request's TPOT grows by D ms per minute since the stub started, so the drift it was built with is
exactly D × 60 ms per hour. Each run is a real ``reportgen soak`` process (closed loop, card
telemetry off: there is no card here) for ``--minutes`` with ``--window`` windows; the script reads
its results file back with ``reportgen.soak.analyze`` and records the TPOT slope with its 95 %
interval, the relative error against the built drift, and the verdict.

Targets (issue 24): the slowing stub's drift is found with the right sign and within 10 % of the
built slope; the steady stub gives 「无显著漂移」 (the interval holds 0).

Usage:
  .venv/bin/python benchmarks/soak_drift.py --minutes 10 --window 60s --drift 1.0
Writes benchmarks/results/soak-drift-<date>.json (the summary; the results files stay in a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def soak(stub_args: list[str], minutes: float, window: str, concurrency: int, out: Path, tok: Path) -> dict[str, object]:
    from serving_helpers import Stub

    from reportgen.results import load_results
    from reportgen.soak import analyze

    stub = Stub(tok, extra=stub_args)
    try:
        t = time.monotonic()
        r = subprocess.run(
            [sys.executable, "-m", "reportgen", "soak", "--base-url", stub.base_url, "--model", "stub-model",
             "--tokenizer", str(tok), "--precision", "stub", "--concurrency", str(concurrency),
             "--duration", f"{minutes * 60:g}s", "--window", window, "--input-len", "256", "--output-len", "128",
             "--no-telemetry", "-o", str(out)],
            capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        wall = time.monotonic() - t
    finally:
        stub.stop()
    if r.returncode != 0:
        raise SystemExit(f"reportgen soak failed: {r.stderr[-2000:]}")
    run = load_results(out).variants[0].soak[-1]
    a = analyze(run)
    assert a.tpot is not None and a.throughput is not None
    return {
        "stub_args": stub_args, "wall_s": round(wall, 1), "windows": len(run.windows),
        "requests": a.errors.requests, "failed": a.errors.failed,
        "tpot_slope_ms_per_h": a.tpot.slope_per_h, "tpot_ci95_ms_per_h": list(a.tpot.ci95),
        "tpot_significant": a.tpot.significant, "tpot_change_over_run": a.tpot.rel_change,
        "throughput_slope_tok_s_per_h": a.throughput.slope_per_h, "throughput_ci95": list(a.throughput.ci95),
        "throughput_significant": a.throughput.significant, "verdict": a.verdict, "reasons": a.reasons,
        "line": r.stdout.strip(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--window", default="60s")
    ap.add_argument("--drift", type=float, default=1.0, help="ms of TPOT added per minute (the slowing stub)")
    ap.add_argument("--tpot", type=float, default=0.020, help="the stubs' base TPOT, seconds")
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    from serving_helpers import make_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        tok = make_tokenizer(Path(tmp) / "tok")
        base = ["--tpot", str(args.tpot), "--ttft", "0.05"]
        slowing = soak([*base, "--tpot-drift", str(args.drift)], args.minutes, args.window, args.concurrency,
                       Path(tmp) / "slowing.json", tok)
        steady = soak(base, args.minutes, args.window, args.concurrency, Path(tmp) / "steady.json", tok)
    built = args.drift * 60.0
    slowing["built_slope_ms_per_h"] = built
    slowing["relative_error"] = (slowing["tpot_slope_ms_per_h"] - built) / built  # type: ignore[operator]
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "minutes": args.minutes, "window": args.window,
        "concurrency": args.concurrency, "base_tpot_ms": args.tpot * 1000,
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip(),
        "load_average": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
        "slowing": slowing, "steady": steady,
        "slowing_found_within_10pct": bool(slowing["tpot_significant"]) and abs(slowing["relative_error"]) <= 0.10,  # type: ignore[arg-type]
        "steady_no_significant_drift": not steady["tpot_significant"],
    }
    dest = HERE / "results" / f"soak-drift-{time.strftime('%Y%m%d-%H%M')}.json"
    dest.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k not in ("slowing", "steady")}, indent=1))
    print("slowing:", slowing["line"])
    print("steady: ", steady["line"])
    print(dest)


if __name__ == "__main__":
    main()
