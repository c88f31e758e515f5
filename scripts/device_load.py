"""Telemetry on a real GPU: reportgen's TelemetrySampler (nvidia-smi through a local shell, as
``collect`` runs it) while the GPU idles, then while torch keeps it busy with bf16 matrix
products. Writes both series as JSON and prints one line per series.

    python3 scripts/device_load.py OUT.json [--seconds 15]

Part of scripts/device-check.sh; needs torch with CUDA (the device machine's image has it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from collectors.execution import LocalHost
from collectors.hardware.telemetry import TelemetrySampler


def _line(name: str, series) -> str:  # noqa: ANN001 - TelemetrySeries
    s = series.samples
    power = [x.power_w for x in s if x.power_w is not None]
    util = [x.utilization_pct for x in s if x.utilization_pct is not None]
    mem = [x.memory_used_bytes for x in s if x.memory_used_bytes is not None]
    return (f"{name}: tool {series.tool}, {len(s)} samples, {series.errors} errors, "
            f"power {min(power, default=0):.0f}-{max(power, default=0):.0f} W, "
            f"utilization max {max(util, default=0):.0f} %, memory max {max(mem, default=0) / 2**30:.1f} GiB"
            + (f", reason {series.reason}: {series.detail}" if series.reason else ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--seconds", type=float, default=15.0)
    args = ap.parse_args()

    sampler = TelemetrySampler(LocalHost(), interval_s=1.0)
    sampler.start("gpu-idle")
    time.sleep(4)
    idle = sampler.stop()

    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    torch.cuda.synchronize()
    sampler.start("gpu-load")
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < args.seconds:
        for _ in range(20):
            a = (a @ a).clamp_(-1, 1)  # stays finite: every product is real work
        torch.cuda.synchronize()
        n += 20
    elapsed = time.perf_counter() - t0
    load = sampler.stop()

    args.out.write_text(json.dumps({
        "gpu": torch.cuda.get_device_name(0),
        "matmuls": n, "seconds": elapsed, "tflops": 2 * 8192**3 * n / elapsed / 1e12,
        "idle": idle.model_dump(mode="json"), "load": load.model_dump(mode="json"),
    }, indent=1), encoding="utf-8")
    print(f"{torch.cuda.get_device_name(0)}: {n} bf16 8192^3 products in {elapsed:.1f} s "
          f"({2 * 8192**3 * n / elapsed / 1e12:.0f} TFLOP/s)")
    print(_line("idle", idle))
    print(_line("load", load))


if __name__ == "__main__":
    main()
