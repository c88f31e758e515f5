#!/usr/bin/env python3
"""Fidelity: reportgen's serving client vs `vllm bench serve` on the same server and workload.

Alternating runs (reportgen, vllm, reportgen, vllm, ...) per concurrency, each with fresh
prompts (distinct seeds: the prefix cache cannot flatter either), closed loop at
concurrency N with N x rounds requests, random prompts of --input-len tokens, --output-len
tokens out with ignore_eos. Compares mean TTFT, mean TPOT and output tokens/s.

Usage (a running vLLM server; the vLLM venv provides `vllm bench serve`):
  .venv/bin/python benchmarks/fidelity_vllm.py --base-url http://127.0.0.1:8000 \
      --model /models/tiny-qwen2 --vllm .cache/vllm-venv/bin/vllm --concurrency 1,4,8 --runs 3
Writes benchmarks/results/fidelity-<date>.json and a figure fidelity-<date>.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from client_overhead import _portable, commit  # noqa: E402  (this folder: the script's own)

from collectors.serving import prometheus  # noqa: E402
from collectors.serving.client import RequestParams, make_client  # noqa: E402
from collectors.serving.prompts import LocalTokenizer, PromptFactory  # noqa: E402
from collectors.serving.runner import CellPlan, run_cell  # noqa: E402


def server_view(base_url: str, fn, *args) -> dict:
    """Run fn(*args) between two /metrics scrapes; add the server's own means and cache hits."""
    import httpx

    before = prometheus.parse(httpx.get(base_url + "/metrics").text)
    r = fn(*args)
    d = prometheus.delta(before, prometheus.parse(httpx.get(base_url + "/metrics").text))
    r.update(server_ttft_ms=d.ttft_mean_ms, server_tpot_ms=d.tpot_mean_ms, prefix_cache_hits=d.prefix_cache_hits)
    return r


def run_reportgen(base_url: str, model: str, tok: LocalTokenizer, c: int, rounds: int, inp: int, out: int, seed: int) -> dict:
    plan = CellPlan(batch_size=c, input_len=inp, output_len=out, rounds=rounds, warmup_requests=0)
    params = RequestParams(model=model, max_tokens=out, min_tokens=False)  # vllm bench sends no min_tokens

    async def go():
        async with make_client(base_url, c) as client:
            return await run_cell(client, PromptFactory(tok, seed), plan, params, key=f"fid{seed}", scrape_metrics=False)

    cell = asyncio.run(go())
    m = cell.metrics
    assert m.failed == 0, [r.error for r in cell.requests if r.error]
    return {"ttft_ms": m.ttft_ms.mean, "tpot_ms": m.tpot_ms.mean, "output_tps": m.output_throughput,
            "duration_s": m.duration_s}


def run_vllm(vllm: str, base_url: str, model: str, c: int, rounds: int, inp: int, out: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        cmd = [vllm, "bench", "serve", "--backend", "vllm", "--base-url", base_url, "--model", model,
               "--tokenizer", model, "--dataset-name", "random", "--random-input-len", str(inp),
               "--random-output-len", str(out), "--ignore-eos", "--num-prompts", str(c * rounds),
               "--max-concurrency", str(c), "--seed", str(seed), "--disable-tqdm", "--save-result",
               "--result-dir", d, "--result-filename", "r.json", "--percentile-metrics", "ttft,tpot,itl,e2el"]
        p = subprocess.run(cmd, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        if p.returncode != 0:
            raise SystemExit(f"vllm bench serve failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        doc = json.loads((Path(d) / "r.json").read_text())
    assert doc["failed"] == 0
    return {"ttft_ms": doc["mean_ttft_ms"], "tpot_ms": doc["mean_tpot_ms"], "output_tps": doc["output_throughput"],
            "duration_s": doc["duration"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", required=True, help="served name = tokenizer dir (vllm serve DIR)")
    ap.add_argument("--vllm", required=True, help="the vllm executable (its own venv)")
    ap.add_argument("--concurrency", default="1,4,8")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--input-len", type=int, default=8192)
    ap.add_argument("--output-len", type=int, default=256)
    ap.add_argument("-o", "--out-dir", default=str(HERE / "results"))
    a = ap.parse_args()
    load_start = os.getloadavg()[0]
    tok = LocalTokenizer(a.model)
    rows = []
    seed = int(time.time()) % 100000 * 100
    # one throwaway run of each client first: the server's first requests are slow (vLLM #16858)
    run_reportgen(a.base_url, a.model, tok, 1, 1, a.input_len, a.output_len, seed - 1)
    run_vllm(a.vllm, a.base_url, a.model, 1, 1, a.input_len, a.output_len, seed - 2)
    for c in [int(x) for x in a.concurrency.split(",")]:
        for run in range(a.runs):
            for client in ("reportgen", "vllm"):
                seed += 1
                if client == "reportgen":
                    r = server_view(a.base_url, run_reportgen, a.base_url, a.model, tok, c, a.rounds, a.input_len, a.output_len, seed)
                else:
                    r = server_view(a.base_url, run_vllm, a.vllm, a.base_url, a.model, c, a.rounds, a.input_len, a.output_len, seed)
                rows.append({"client": client, "concurrency": c, "run": run, **r})
                print(json.dumps(rows[-1]), flush=True)
    summary = []
    print(f"\n{'c':>3} {'metric':<10} {'reportgen':>10} {'vllm':>10} {'diff %':>7}")
    for c in sorted({r["concurrency"] for r in rows}):
        for r in rows:
            r["ttft_gap_ms"] = r["ttft_ms"] - r["server_ttft_ms"]  # client minus the server's own histogram
        for k in ("ttft_ms", "tpot_ms", "output_tps", "server_ttft_ms", "server_tpot_ms", "ttft_gap_ms"):
            ours = statistics.mean(r[k] for r in rows if r["client"] == "reportgen" and r["concurrency"] == c)
            theirs = statistics.mean(r[k] for r in rows if r["client"] == "vllm" and r["concurrency"] == c)
            diff = (ours - theirs) / theirs * 100
            summary.append({"concurrency": c, "metric": k, "reportgen": ours, "vllm": theirs, "diff_pct": diff})
            print(f"{c:>3} {k:<10} {ours:>10.2f} {theirs:>10.2f} {diff:>+7.1f}")
    out = Path(a.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M")
    (out / f"fidelity-{stamp}.json").write_text(json.dumps({
        "args": _portable(vars(a)), "commit": commit(), "date": time.strftime("%Y-%m-%d %H:%M"),
        "loadavg_1min": [load_start, os.getloadavg()[0]], "runs": rows, "summary": summary}, indent=1))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
        for ax, k, title in zip(axes, ("ttft_ms", "tpot_ms", "output_tps"), ("mean TTFT (ms)", "mean TPOT (ms)", "output tok/s")):
            for client, marker in (("reportgen", "o"), ("vllm", "x")):
                pts = [(r["concurrency"], r[k]) for r in rows if r["client"] == client]
                ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, label=client)
            ax.set_title(title)
            ax.set_xlabel("concurrency")
            ax.set_xscale("log", base=2)
        axes[0].legend()
        fig.suptitle(f"reportgen vs vllm bench serve, same vLLM server ({a.input_len} in / {a.output_len} out)")
        fig.tight_layout()
        fig.savefig(out / f"fidelity-{stamp}.png", dpi=110)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
