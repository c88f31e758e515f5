#!/usr/bin/env python3
"""How fast ``reportgen eval`` feeds a server: the full gsm8k test set (1319) against a stub.

The stub (tests/chat_stub.py) runs in its own process and answers after ``--delay-ms`` (a
stand-in for generation time). For each concurrency C it reports requests/s, the stub's
time-weighted mean number of requests in flight (C means the server was never short of
work) and the time the stub had none in flight (idle) between the first request and the
last answer. "client CPU" is the eval process's CPU time per request (HTTP, JSON, extraction,
scoring, saving): its inverse is the most requests/s this client can feed on one core.

    .venv/bin/python benchmarks/eval_throughput.py --delays 0,50 --concurrency 1,8,32,128
"""

from __future__ import annotations

import argparse
import io
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from collectors.accuracy.runner import EvalConfig, run_eval  # noqa: E402
from reportgen.results import ResultsStore  # noqa: E402


def start_stub(delay_ms: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "chat_stub.py"), "--reply", "The answer is 42.",
         "--delay-ms", str(delay_ms)],
        stdout=subprocess.PIPE, text=True,
    )
    url = proc.stdout.readline().strip()  # type: ignore[union-attr]
    return proc, url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO / "datasets"))
    ap.add_argument("--delays", default="0,50", help="stub answer delays in ms, comma-separated")
    ap.add_argument("--concurrency", default="1,8,32,128")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `timeout` still stops the stub
    print("| stub delay | concurrency | requests | wall s | req/s | ideal req/s | mean in flight | idle s | client CPU/request |")
    print("|---|---|---|---|---|---|---|---|---|")
    for delay in [float(x) for x in a.delays.split(",")]:
        proc, url = start_stub(delay)
        try:
            for c in [int(x) for x in a.concurrency.split(",")]:
                httpx.post(url + "/stub/reset")
                with tempfile.TemporaryDirectory() as tmp:
                    store = ResultsStore.open(Path(tmp) / "r.json")
                    cfg = EvalConfig(base_url=url, model="stub", data_dir=Path(a.data), tasks=("gsm8k",),
                                     concurrency=c, mode="corrected")
                    t0, c0 = time.perf_counter(), time.process_time()
                    (res,) = run_eval(store, cfg, stream=io.StringIO())
                    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                st = httpx.get(url + "/stub/stats").json()
                ideal = f"{c / (delay / 1000):.0f}" if delay else "-"
                print(f"| {delay:.0f} ms | {c} | {res.n} | {wall:.2f} | {res.n / wall:.0f} | {ideal} | "
                      f"{st['mean_in_flight']:.1f} | {st['idle_s']:.2f} | {cpu / res.n * 1e6:.0f} µs |", flush=True)
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
