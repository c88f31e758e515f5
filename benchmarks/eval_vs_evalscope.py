#!/usr/bin/env python3
"""Accuracy-evaluation throughput against a real server: ``reportgen eval`` vs ``evalscope eval``.

Both tools run the full gsm8k test set (1319 questions, 0-shot, temperature 0, the same
``max_tokens``) against one real vLLM CPU server (the tiny random-weight Qwen2 model, which
always generates ``max_tokens``), at the same concurrency, alternating, ``--runs`` times each.
The server is pinned to one core and the clients to another (taskset). A sampler polls the
server's ``/metrics`` ten times a second, so every figure is the server's view of the client:

* requests/s: successful requests (``vllm:request_success_total``) ÷ the window from the first
  sample with a request at the server to the last one;
* busy: the share of that window's samples with at least one request running;
* mean running: the requests running at the server, averaged over the window (a client that
  leaves gaps between one answer and its next request keeps fewer than the concurrency there).

evalscope runs from its own virtual environment (``--evalscope``, e.g. ``.cache/evalscope-venv``,
made with ``python -m venv .cache/evalscope-venv && .cache/evalscope-venv/bin/pip install evalscope``;
for the benchmark only). It reads gsm8k offline from ``.cache/evalscope-data/gsm8k`` (made here
from ``datasets/gsm8k``: the layout of the ``openai/gsm8k`` dataset repository).

Usage:
  .venv/bin/python benchmarks/eval_vs_evalscope.py --concurrency 32 --max-tokens 64 --runs 2
Writes benchmarks/results/eval-vs-evalscope-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from collectors.serving.prometheus import parse, total  # noqa: E402


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_vllm(venv: Path, model: Path, port: int, core: str, work: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "VLLM_AMX_PERM": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_CPU_OMP_THREADS_BIND": "auto",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1",
        "VLLM_CACHE_ROOT": str(work / "vllm"), "XDG_CACHE_HOME": str(work), "HF_HOME": str(work / "hf"), "TMPDIR": str(work),
    }
    argv = ["taskset", "-c", core, str(venv / "bin" / "vllm"), "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
            "--max-model-len", "4096", "--dtype", "bfloat16", "--enforce-eager", "--served-model-name", "tiny"]
    log = open(work / "server.log", "wb")  # noqa: SIM115 - kept open for the server's life
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"vllm serve exited with {proc.returncode}; see {work / 'server.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("vllm serve did not answer within 300 s")


class Sampler(threading.Thread):
    """``/metrics`` every ``interval_s``: (time, running, waiting, successes) per sample."""

    def __init__(self, base: str, interval_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.base, self.interval = base, interval_s
        self.samples: list[tuple[float, float, float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as c:
            while not self.stop.is_set():
                t = time.monotonic()
                try:
                    s = parse(c.get(self.base + "/metrics").text)
                    self.samples.append((t, total(s, "vllm:num_requests_running") or 0.0,
                                         total(s, "vllm:num_requests_waiting") or 0.0, total(s, "vllm:request_success_total") or 0.0))
                except httpx.HTTPError:
                    pass
                self.stop.wait(max(0.0, self.interval - (time.monotonic() - t)))

    def figures(self, success_before: float) -> dict[str, float]:
        active = [i for i, (_, run, wait, _) in enumerate(self.samples) if run + wait > 0]
        if not active:
            return {"requests": 0, "window_s": 0.0, "requests_per_s": 0.0, "busy": 0.0, "mean_running": 0.0}
        lo, hi = active[0], active[-1]
        window = self.samples[lo:hi + 1]
        span = window[-1][0] - window[0][0] + self.interval
        done = self.samples[-1][3] - success_before
        return {"requests": done, "window_s": span, "requests_per_s": done / span,
                "busy": sum(1 for s in window if s[1] > 0) / len(window),
                "mean_running": statistics.fmean(s[1] for s in window)}


def successes(base: str) -> float:
    return total(parse(httpx.get(base + "/metrics", timeout=5).text), "vllm:request_success_total") or 0.0


def evalscope_data(root: Path) -> Path:
    """gsm8k laid out as the ``openai/gsm8k`` dataset repository (config ``main``), offline."""
    d = root / "gsm8k"
    if not (d / "README.md").exists():
        (d / "main").mkdir(parents=True, exist_ok=True)
        for split in ("test", "train"):
            shutil.copyfile(REPO / "datasets" / "gsm8k" / f"{split}.jsonl", d / "main" / f"{split}.jsonl")
        (d / "README.md").write_text("---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n"
                                     "    path: main/test.jsonl\n  - split: train\n    path: main/train.jsonl\n---\n")
    return d


def run_tool(tool: str, base: str, a: argparse.Namespace, core: str, tmp: Path, run: int) -> dict[str, float]:
    if tool == "reportgen":
        argv = [sys.executable, "-m", "reportgen", "eval", "--base-url", base, "--model", "tiny", "--data", str(REPO / "datasets"),
                "--tasks", "gsm8k", "--concurrency", str(a.concurrency), "--max-tokens", str(a.max_tokens),
                "-o", str(tmp / f"reportgen-{run}.json")]
        if a.limit:
            argv += ["--limit", str(a.limit)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
    else:
        data = evalscope_data(Path(a.evalscope_data))
        argv = [str(Path(a.evalscope) / "bin" / "evalscope"), "eval", "--model", "tiny", "--api-url", base + "/v1",
                "--api-key", "EMPTY", "--eval-type", "openai_api", "--datasets", "gsm8k",
                "--dataset-args", json.dumps({"gsm8k": {"local_path": str(data), "few_shot_num": 0}}),
                "--eval-batch-size", str(a.concurrency),
                "--generation-config", json.dumps({"max_tokens": a.max_tokens, "temperature": 0}),
                "--work-dir", str(tmp / f"evalscope-{run}")]
        if a.limit:
            argv += ["--limit", str(a.limit)]
        env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    before = successes(base)
    sampler = Sampler(base)
    sampler.start()
    t0 = time.monotonic()
    p = subprocess.run(["taskset", "-c", core, *argv], capture_output=True, text=True, env=env, cwd=tmp)
    wall = time.monotonic() - t0
    time.sleep(0.3)
    sampler.stop.set()
    sampler.join()
    if p.returncode != 0:
        raise SystemExit(f"{tool} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return {**sampler.figures(before), "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vllm-venv", default=os.environ.get("REPORTGEN_VLLM_VENV") or str(REPO / ".cache" / "vllm-venv"))
    ap.add_argument("--model", default=str(Path(os.environ.get("REPORTGEN_TINY_MODELS") or REPO / ".cache" / "tiny-models") / "tiny-qwen2"))
    ap.add_argument("--evalscope", default=str(REPO / ".cache" / "evalscope-venv"), help="evalscope's virtual environment")
    ap.add_argument("--evalscope-data", default=str(REPO / ".cache" / "evalscope-data"))
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--limit", type=int, default=None, help="questions (default: all 1319)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--server-core", default="0")
    ap.add_argument("--client-core", default="1")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rg-evalbench-", dir="/tmp") as d:
        work = Path(d)
        port = free_port()
        server = start_vllm(Path(a.vllm_venv), Path(a.model), port, a.server_core, work)
        base = f"http://127.0.0.1:{port}"
        try:
            for run in range(a.runs):
                for tool in (("reportgen", "evalscope") if run % 2 == 0 else ("evalscope", "reportgen")):
                    r = {"tool": tool, "run": run, **run_tool(tool, base, a, a.client_core, work, run)}
                    rows.append(r)
                    print(json.dumps(r), flush=True)
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)
    print(f"\n{'tool':<10} {'req/s':>16} {'busy':>12} {'mean running':>14}   (concurrency {a.concurrency}, max_tokens {a.max_tokens})")
    summary = {}
    for tool in ("reportgen", "evalscope"):
        rs = [r for r in rows if r["tool"] == tool]
        def span(k: str, rs: list[dict] = rs) -> str:
            return "/".join(f"{r[k]:.2f}" for r in rs)
        summary[tool] = {k: statistics.median(r[k] for r in rs) for k in ("requests_per_s", "busy", "mean_running")}
        print(f"{tool:<10} {span('requests_per_s'):>16} {span('busy'):>12} {span('mean_running'):>14}")
    from client_overhead import commit

    doc = {"args": {k: v for k, v in vars(a).items() if k in ("concurrency", "max_tokens", "limit", "runs")},
           "loadavg_1min": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d %H:%M"), "commit": commit(), "runs": rows, "summary": summary}
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"eval-vs-evalscope-{time.strftime('%Y%m%d-%H%M')}.json"
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
