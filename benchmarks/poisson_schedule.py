#!/usr/bin/env python3
"""Open-loop schedule accuracy: how late reportgen's client sends Poisson arrivals at a high rate.

The fast SSE stub (benchmarks/sse_stub.py, answers at once) runs pinned to one core and the
client (``runner.run_cell`` with ``request_rate``) to another (taskset, when there are two
cores), so the figures are the client's own: send lateness (send time - scheduled arrival
time) P50 / P99 / max and the achieved rate, per run.

Target: lateness P99 < 2 ms at 500 req/s (the validity check warns above 10 ms).

Usage:
  .venv/bin/python benchmarks/poisson_schedule.py --rate 500 --requests 2000 --runs 3
Writes benchmarks/results/poisson-schedule-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def _pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def one_run(port: int, rate: float, n: int, tokens: int, seed: int) -> dict[str, float]:
    from collectors.serving.client import RequestParams, make_client
    from collectors.serving.prompts import PromptSample
    from collectors.serving.runner import CellPlan, run_cell

    class Factory:  # the prompts do not matter here: skip tokenizing
        seed = 0

        class tokenizer:  # noqa: N801
            source = "none"

        def make(self, key: str, n_tokens: int, prefix: str = "") -> PromptSample:
            return PromptSample(key=key, text="hi", prompt_tokens=16, sha256=key)

    plan = CellPlan(batch_size=1, input_len=16, output_len=tokens, request_rate=rate, requests=n, warmup_requests=0)
    params = RequestParams(model="stub", max_tokens=tokens, ignore_eos=False, min_tokens=False)
    Factory.seed = seed

    async def go():  # noqa: ANN202
        async with make_client(f"http://127.0.0.1:{port}", n) as client:
            return await run_cell(client, Factory(), plan, params, key=f"bench{seed}", scrape_metrics=False)  # type: ignore[arg-type]

    cell = asyncio.run(go())
    m = cell.metrics
    assert m is not None and m.lateness_ms is not None
    return {
        "failed": m.failed,
        "achieved_rate": m.achieved_rate or 0.0,
        "lateness_p50_ms": m.lateness_ms.median or 0.0,
        "lateness_p99_ms": m.lateness_ms.p99 or 0.0,
        "lateness_max_ms": m.lateness_ms.max or 0.0,
        "duration_s": m.duration_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # internal: one pinned run against PORT
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(one_run(a.worker, a.rate, a.requests, a.tokens, a.seed)))
        return
    stub = subprocess.Popen([*_pin(0), sys.executable, str(HERE / "sse_stub.py"), "--tokens", str(a.tokens)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = stub.stdout.readline() if stub.stdout else ""
        port = int(line.split()[1])
        runs = []
        for i in range(a.runs):
            out = subprocess.run(
                [*_pin(1), sys.executable, __file__, "--worker", str(port), "--rate", str(a.rate), "--requests",
                 str(a.requests), "--tokens", str(a.tokens), "--seed", str(i + 1)],
                capture_output=True, text=True, check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            runs.append(r)
            print(f"run {i + 1}: achieved {r['achieved_rate']:.1f} req/s, lateness P50 {r['lateness_p50_ms']:.3f} ms, "
                  f"P99 {r['lateness_p99_ms']:.3f} ms, max {r['lateness_max_ms']:.2f} ms, failed {r['failed']}")
    finally:
        stub.terminate()
        try:
            stub.wait(10)
        except subprocess.TimeoutExpired:  # a starved stub still serving its backlog
            stub.kill()
            stub.wait()
    load = os.getloadavg()[0]
    from client_overhead import commit

    doc = {"rate": a.rate, "requests": a.requests, "tokens": a.tokens, "runs": runs, "loadavg_1min": load,
           "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M"), "commit": commit()}
    (HERE / "results").mkdir(exist_ok=True)
    path = HERE / "results" / f"poisson-schedule-{time.strftime('%Y%m%d-%H%M')}.json"
    if path.exists():  # two sessions in one minute: keep both
        path = path.with_name(f"poisson-schedule-{time.strftime('%Y%m%d-%H%M%S')}.json")
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"load average {load:.1f}; wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
