"""Power, temperature, utilisation and memory per device at about 1 Hz while a stage runs.

    sampler = TelemetrySampler(host, tool="nvidia-smi")   # or tool=None: look it up
    sampler.start("serving:FP16:bs8")
    ...                                                    # the stage
    series = sampler.stop()                                # TelemetrySeries

Each tick runs one query command on the host (over the same SSH connection) and parses it
with the tool's parser; a tick that fails is counted in ``errors``. Without a supported tool
the series has no samples and says why (``reason``/``detail``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from collectors.execution import Host
from collectors.hardware.parsers import SmiReport, ascend, nvidia, rocm, vendors
from collectors.hardware.sources import SMI_ENV
from reportgen.energy import power_ceiling, record_excluded, screen_samples
from reportgen.results import TelemetrySample, TelemetrySeries, utc_now

# tool -> (command sampled each tick, parser of its output)
QUERIES: dict[str, tuple[str, Callable[[str], SmiReport]]] = {
    "nvidia-smi": (
        f"nvidia-smi --query-gpu={','.join(nvidia.NVIDIA_TELEMETRY_FIELDS)} --format=csv,noheader,nounits",
        lambda t: nvidia.parse_csv(t, nvidia.NVIDIA_TELEMETRY_FIELDS),
    ),
    "ixsmi": (
        f"ixsmi --query-gpu={','.join(nvidia.TELEMETRY_FIELDS)} --format=csv,noheader,nounits",
        lambda t: nvidia.parse_csv(t, nvidia.TELEMETRY_FIELDS),
    ),
    "npu-smi": ("npu-smi info", ascend.parse_info),
    "cnmon": ("cnmon", vendors.parse_cnmon),
    "mx-smi": ("mx-smi", vendors.parse_mx_smi),
    "mthreads-gmi": ("mthreads-gmi", vendors.parse_mthreads_gmi),
    "efsmi": ("efsmi -q -d TEMP,MEMORY,USAGE,POWER", vendors.parse_efsmi_query),
    "hy-smi": ("hy-smi", rocm.parse_hy_smi),
    "rocm-smi": ("rocm-smi --showpower --showtemp --showuse --showmeminfo vram --json", rocm.parse_rocm_smi_json),
    "xpu_smi": ("xpu_smi -m", vendors.parse_xpu_smi_m),
    "xpu-smi": ("xpu-smi -m", vendors.parse_xpu_smi_m),
}


def samples_from(report: SmiReport, t_s: float) -> list[TelemetrySample]:
    return [
        TelemetrySample(
            t_s=round(t_s, 3), device=d.index, power_w=d.power_w, temperature_c=d.temperature_c,
            utilization_pct=d.utilization_pct, memory_used_bytes=d.memory_used_bytes,
            clock_mhz=d.extra.get("clock_sm_mhz"),
        )
        for d in report.devices
    ]


class TelemetrySampler:
    """Samples in a daemon thread between ``start`` and ``stop``."""

    def __init__(self, host: Host, tool: str | None = None, interval_s: float = 1.0,
                 timeout_s: float = 5.0, tdp_w: float | None = None) -> None:
        self.host = host
        self.tool = tool
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        # readings above it (or below 0 W, or temperatures outside -40..150 °C) are impossible:
        # left out of the samples and counted (reportgen.energy.screen_samples)
        self.power_ceiling_w = power_ceiling(tdp_w)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._series: TelemetrySeries | None = None

    def _find_tool(self) -> str | None:
        names = " ".join(QUERIES)
        r = self.host.run([SMI_ENV + f'for t in {names}; do command -v "$t" >/dev/null 2>&1 && '
                           'echo "$t" && break; done; true'], timeout_s=self.timeout_s)[0]
        found = r.stdout.strip().splitlines()
        return found[0] if found else None

    def start(self, stage: str) -> None:
        if self._thread is not None:
            raise RuntimeError("telemetry sampler already running")
        tool = self.tool or self._find_tool()
        self._series = TelemetrySeries(stage=stage, tool=tool, started_at=utc_now(), interval_s=self.interval_s,
                                       power_ceiling_w=self.power_ceiling_w)
        if tool is None or tool not in QUERIES:
            self._series.reason = "not_installed"
            self._series.detail = (f"no telemetry for tool {tool!r}" if tool
                                   else "no SMI tool found (searched PATH and vendor folders): no power/temperature samples")
            return
        command, parser = QUERIES[tool]
        self._series.command = command
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(SMI_ENV + command, parser), daemon=True,
                                        name=f"telemetry-{stage}")
        self._thread.start()

    def _loop(self, command: str, parser: Callable[[str], SmiReport]) -> None:
        assert self._series is not None
        t0 = time.perf_counter()
        last_error = None
        while not self._stop.is_set():
            tick = time.perf_counter()
            try:
                r = self.host.run([command], timeout_s=self.timeout_s)[0]
                if r.ok:
                    kept, bad = screen_samples(samples_from(parser(r.stdout), tick - t0), self.power_ceiling_w)
                    self._series.samples.extend(kept)
                    if bad:
                        record_excluded(self._series, bad)
                else:
                    self._series.errors += 1
                    last_error = (r.stderr or r.stdout).strip()[:200] or f"exit {r.exit_code}"
            except Exception as e:  # a sampler must never take the stage down
                self._series.errors += 1
                last_error = f"{type(e).__name__}: {e}"[:200]
            if last_error and not self._series.samples:
                self._series.detail = last_error
            self._stop.wait(max(0.0, self.interval_s - (time.perf_counter() - tick)))

    def stop(self) -> TelemetrySeries:
        if self._series is None:
            raise RuntimeError("telemetry sampler was not started")
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=self.timeout_s + 5)
            self._thread = None
        series = self._series
        series.finished_at = utc_now()
        if not series.samples and series.reason is None:
            series.reason = "failed"
            series.detail = series.detail or "the query command gave no samples"
        self._series = None
        return series
