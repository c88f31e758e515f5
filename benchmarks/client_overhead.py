#!/usr/bin/env python3
"""Client overhead: how fast reportgen's client consumes a token stream, vs `vllm bench serve`.

The fast stub (benchmarks/fast_sse_stub.py: pre-rendered vLLM-style SSE, answers in
microseconds) runs pinned to one core, the client pinned to another (taskset),
so every figure is the client's own cost: streamed chunks/s (one token per chunk) and
the client-only TTFT, at each concurrency, both clients in the same run, alternating.

Usage:
  .venv/bin/python benchmarks/client_overhead.py --vllm .cache/vllm-venv/bin/vllm \
      --tokenizer .cache/tiny-models/tiny-qwen2 --concurrency 1,8,64,256 --seconds 5 --runs 2
Writes benchmarks/results/client-overhead-<date>.json and .png.
(--worker is internal: one pinned reportgen run, printing one JSON line.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
STUB = HERE / "fast_sse_stub.py"


def worker(port: int, c: int, tokens: int, seconds: float) -> None:
    from collectors.serving.client import RequestParams, make_client, stream_completion
    from collectors.serving.prompts import PromptSample
    from reportgen.metrics import serving_metrics

    sample = PromptSample(key="k", text="hi", prompt_tokens=16, sha256="0" * 64)
    params = RequestParams(model="stub", max_tokens=tokens, request_timeout_s=None, stall_timeout_s=60)

    async def go():
        recs = []
        async with make_client(f"http://127.0.0.1:{port}", c) as client:
            t0 = time.perf_counter()
            end = t0 + seconds

            async def loop(w: int) -> None:
                i = 0
                # at least two requests per stream, as vLLM's run below (2 x concurrency at least):
                # the second wave's TTFT is the steady state's, the first one's is the herd's start
                while time.perf_counter() < end or i < 2:
                    recs.append(await stream_completion(client, sample, params, t0=t0, index=w * 100000 + i))
                    i += 1

            await asyncio.gather(*(loop(w) for w in range(c)))
            return recs, time.perf_counter() - t0

    c0 = time.process_time()
    recs, dur = asyncio.run(go())
    cpu = time.process_time() - c0
    errors = [r.error for r in recs if r.error]
    m = serving_metrics(recs, dur)
    chunks = sum(len(r.chunk_times_s) for r in recs if r.ok)
    print(json.dumps({"first_errors": sorted({e for e in errors})[:3], "chunks_per_s": chunks / dur, "ttft_ms": m.ttft_ms.mean, "requests": len(recs),
                      "errors": len(errors), "usage_tokens_per_s": m.output_throughput,
                      # the share of its core the client got: well below 1, other processes took the rest
                      "cpu_share": cpu / dur, "chunks_per_cpu_s": chunks / cpu}))


def commit() -> str:
    """The commit measured (``+`` when the checkout has uncommitted changes)."""
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *a], capture_output=True, text=True).stdout.strip()
    return git("rev-parse", "--short", "HEAD") + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_reportgen(core: str, port: int, c: int, tokens: int, seconds: float) -> dict:
    p = subprocess.run(["taskset", "-c", core, sys.executable, __file__, "--worker", "--port", str(port),
                        "--concurrency", str(c), "--tokens", str(tokens), "--seconds", str(seconds)],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_vllm(vllm: str, core: str, port: int, tokenizer: str, c: int, tokens: int, n: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        cmd = ["taskset", "-c", core, vllm, "bench", "serve", "--backend", "vllm", "--base-url", f"http://127.0.0.1:{port}",
               "--model", "stub", "--tokenizer", tokenizer, "--dataset-name", "random", "--random-input-len", "16",
               "--random-output-len", str(tokens), "--ignore-eos", "--num-prompts", str(n), "--max-concurrency", str(c),
               "--disable-tqdm", "--save-result", "--result-dir", d, "--result-filename", "r.json"]
        p = subprocess.run(cmd, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        if p.returncode != 0:
            raise SystemExit(f"vllm bench serve failed:\n{p.stdout[-1500:]}\n{p.stderr[-1500:]}")
        doc = json.loads((Path(d) / "r.json").read_text())
    return {"chunks_per_s": doc["output_throughput"], "ttft_ms": doc["mean_ttft_ms"], "requests": doc["completed"],
            "errors": doc["failed"]}



def _portable(args: dict) -> dict:
    """The recorded arguments without a path of the machine they were made on: a path inside this
    checkout relative to it, one inside some ``.cache/`` folder (the vLLM venv, the tiny models)
    as ``.cache/...``, as the README's usage names them."""
    repo = str(Path(__file__).resolve().parent.parent) + "/"

    def portable(v: object) -> object:
        if not isinstance(v, str):
            return v
        v = v.replace(repo, "")
        return v[v.index("/.cache/") + 1:] if v.startswith("/") and "/.cache/" in v else v

    return {k: portable(v) for k, v in args.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--port", type=int)
    ap.add_argument("--vllm")
    ap.add_argument("--tokenizer")
    ap.add_argument("--concurrency", default="1,8,64,256")
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--stub-core", default="0")
    ap.add_argument("--client-core", default="1")
    ap.add_argument("-o", "--out-dir", default=str(HERE / "results"))
    a = ap.parse_args()
    if a.worker:
        worker(a.port, int(a.concurrency), a.tokens, a.seconds)
        return
    load_start = os.getloadavg()[0]
    port = free_port()
    stub = subprocess.Popen(["taskset", "-c", a.stub_core, sys.executable, str(STUB), "--port", str(port), "--model", "stub"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        time.sleep(2)
        for c in [int(x) for x in a.concurrency.split(",")]:
            for run in range(a.runs):
                r = run_reportgen(a.client_core, port, c, a.tokens, a.seconds)
                rows.append({"client": "reportgen", "concurrency": c, "run": run, **r})
                print(json.dumps(rows[-1]), flush=True)
                # as many requests as reportgen finished, so both runs last about as long
                n = max(r["requests"], 2 * c)
                r = run_vllm(a.vllm, a.client_core, port, a.tokenizer, c, a.tokens, n)
                rows.append({"client": "vllm", "concurrency": c, "run": run, **r})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        stub.terminate()
        stub.wait()
    summary = []
    print(f"\n{'c':>4} {'reportgen k/s':>14} {'vllm k/s':>9} {'ratio':>6} {'rg TTFT ms':>11} {'vllm TTFT ms':>13}")
    for c in sorted({r["concurrency"] for r in rows}):
        def med(client: str, k: str, c: int = c) -> float:
            return statistics.median(r[k] for r in rows if r["client"] == client and r["concurrency"] == c)

        s = {"concurrency": c, "reportgen_chunks_per_s": med("reportgen", "chunks_per_s"), "vllm_chunks_per_s": med("vllm", "chunks_per_s"),
             "reportgen_ttft_ms": med("reportgen", "ttft_ms"), "vllm_ttft_ms": med("vllm", "ttft_ms")}
        summary.append(s)
        print(f"{c:>4} {s['reportgen_chunks_per_s'] / 1e3:>14.0f} {s['vllm_chunks_per_s'] / 1e3:>9.0f} "
              f"{s['reportgen_chunks_per_s'] / s['vllm_chunks_per_s']:>6.2f} {s['reportgen_ttft_ms']:>11.1f} {s['vllm_ttft_ms']:>13.1f}")
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M")
    (out / f"client-overhead-{stamp}.json").write_text(json.dumps({
        "args": _portable(vars(a)), "commit": commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "loadavg_1min": [load_start, os.getloadavg()[0]], "runs": rows, "summary": summary}, indent=1))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
        cs = [s["concurrency"] for s in summary]
        for key, label, marker in (("reportgen", "reportgen", "o"), ("vllm", "vllm bench serve", "x")):
            ax1.plot(cs, [s[f"{key}_chunks_per_s"] / 1e3 for s in summary], marker=marker, label=label)
            ax2.plot(cs, [s[f"{key}_ttft_ms"] for s in summary], marker=marker, label=label)
        ax1.set_title("chunks/s consumed (thousands), one core")
        ax2.set_title("client-only mean TTFT (ms)")
        ax2.set_yscale("log")
        for ax in (ax1, ax2):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("concurrent streams")
        ax1.legend()
        fig.tight_layout()
        fig.savefig(out / f"client-overhead-{stamp}.png", dpi=110)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
