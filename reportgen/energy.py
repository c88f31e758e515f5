"""Power and energy of a serving cell, from the raw telemetry samples taken during it.

Definitions (README "Metric glossary"; ``D`` is the cell's timed window in seconds, and a
sample's ``t_s`` counts from the sampler's start, which is the window's start):

* power curve of device d: ``P_d(t)``, linear between consecutive power readings of d
  (trapezoid rule) and held at the first/last reading before/after them;
* energy ``E = sum over devices of the integral of P_d from 0 to D`` (J), exact for the
  piecewise-linear curve: the curve is evaluated at 0, D and every reading inside (0, D);
* average power = ``E / D`` (W): the time-weighted mean of the summed power;
* peak power = the largest value of ``sum_d P_d(t)`` over the window; the sum is linear between
  readings, so this is its largest value at 0, D or a reading time (with aligned ticks:
  the largest per-tick sum);
* peak temperature = the hottest reading of any device in the series (C);
* joules per output token = ``E`` / the cell's output tokens (successful requests);
* coverage = (last - first power reading inside the window) / D, for the least-covered device.

Devices with fewer than 2 power readings (a tool that reports no power for them) are left out
of every power figure and listed in ``devices_without_power``. Without a series there is
nothing (None); a series without usable power readings gives figures of None and a reason.

Readings that cannot be true never enter a figure: ``screen_samples`` (run by the sampler as it
records, and by the validity check on older files) leaves out power below 0 W or above
``power_ceiling(tdp)`` (``TDP_MULTIPLE`` x the card's TDP, else ``MAX_DEVICE_POWER_W``),
temperatures outside ``TEMPERATURE_RANGE_C`` and utilisation outside 0..100 %, and counts them
(``TelemetrySeries.excluded_count``), so the console, the results file and the document show
the same figure, computed from plausible readings only.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from reportgen.results import EnergyMetrics, ExcludedReading, Results, ServingCell, TelemetrySample, TelemetrySeries

__all__ = [
    "MAX_DEVICE_POWER_W", "TDP_MULTIPLE", "TEMPERATURE_RANGE_C", "cell_energy", "energy_metrics", "power_ceiling",
    "record_excluded", "recompute", "screen_samples", "tdp_of",
]

#: A device's power reading above this multiple of its card's TDP is impossible (boost and
#: transients stay well inside it; a tool printing 1e308 W or 1e29 W is not measuring).
TDP_MULTIPLE = 2.0
#: Without a known TDP: no accelerator device draws this much (the largest TDPs are ~1.4 kW).
MAX_DEVICE_POWER_W = 3000.0
#: Temperatures a working device can report, °C.
TEMPERATURE_RANGE_C = (-40.0, 150.0)
_KEPT_EXAMPLES = 20


def tdp_of(results: Results) -> float | None:
    """The card's TDP (``accelerator.tdp_w``: the tool's power cap, else the spec sheet's), W."""
    f = results.environment.facts.get("accelerator.tdp_w")
    v = f.value if f is not None and f.present else None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1e5 else None


def power_ceiling(tdp_w: float | None) -> float:
    """The largest power reading a device can really report (W)."""
    return TDP_MULTIPLE * tdp_w if tdp_w else MAX_DEVICE_POWER_W


def _plausible(field: str, v: float, ceiling: float) -> bool:
    if not math.isfinite(v):
        return False
    if field == "power_w":
        return 0.0 <= v <= ceiling
    if field == "temperature_c":
        return TEMPERATURE_RANGE_C[0] <= v <= TEMPERATURE_RANGE_C[1]
    return 0.0 <= v <= 100.0  # utilization_pct


def screen_samples(samples: list[TelemetrySample], ceiling: float) -> tuple[list[TelemetrySample], list[ExcludedReading]]:
    """The samples with every impossible reading set to None, and those readings."""
    out: list[TelemetrySample] = []
    bad: list[ExcludedReading] = []
    for s in samples:
        drop: dict[str, None] = {}
        for field in ("power_w", "temperature_c", "utilization_pct"):
            v = getattr(s, field)
            if v is not None and not _plausible(field, v, ceiling):
                drop[field] = None
                bad.append(ExcludedReading(t_s=s.t_s, device=s.device, field=field, value=f"{v:g}"))  # type: ignore[arg-type]
        out.append(s.model_copy(update=drop) if drop else s)
    return out, bad


def record_excluded(series: TelemetrySeries, bad: list[ExcludedReading]) -> None:
    """Count ``bad`` in ``series`` and keep the first few as examples."""
    series.excluded_count += len(bad)
    room = _KEPT_EXAMPLES - len(series.excluded)
    if room > 0:
        series.excluded.extend(bad[:room])


def _readings(series: TelemetrySeries) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """device -> (times, watts) of its power readings, sorted by time."""
    by_dev: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for s in series.samples:
        if s.power_w is not None:
            by_dev[s.device].append((s.t_s, s.power_w))
    out = {}
    for d, pts in by_dev.items():
        pts.sort(key=lambda p: p[0])
        out[d] = (np.array([p[0] for p in pts], dtype=float), np.array([p[1] for p in pts], dtype=float))
    return out


def energy_metrics(series: TelemetrySeries | None, output_tokens: int | None, duration_s: float | None) -> EnergyMetrics | None:
    """The cell's power and energy figures (see the module doc); None without a series."""
    if series is None:
        return None
    temps = [s.temperature_c for s in series.samples if s.temperature_c is not None]
    base = EnergyMetrics(
        window_s=duration_s,
        samples=len(series.samples),
        peak_temperature_c=max(temps) if temps else None,
        output_tokens=output_tokens,
    )
    if series.reason is not None or not series.samples:
        base.reason = series.reason or "not_found"
        base.detail = series.detail or "the telemetry series has no samples"
        return base

    readings = _readings(series)
    sampled = sorted({s.device for s in series.samples})
    used = [d for d in sampled if d in readings and len(readings[d][0]) >= 2 and readings[d][0][-1] > readings[d][0][0]]
    base.devices = used
    base.devices_without_power = [d for d in sampled if d not in used]
    if not readings:
        base.reason, base.detail = "not_found", f"{series.tool or 'the tool'} reported no power readings"
        return base
    if not used:
        ticks = len({s.t_s for s in series.samples})
        every = f" (one every {series.interval_s:g} s)" if series.interval_s else ""
        base.reason = "not_found"
        base.detail = f"fewer than 2 power readings per device: {ticks} telemetry tick(s){every} during the cell"
        return base
    if duration_s is None or duration_s <= 0:
        base.reason, base.detail = "not_collected", "the cell has no timed window to integrate over"
        return base

    d_s = float(duration_s)
    inside = [t for d in used for t in readings[d][0] if 0.0 < t < d_s]
    knots = np.unique(np.array([0.0, d_s, *inside], dtype=float))
    total = np.zeros_like(knots)
    energy = 0.0
    coverage = 1.0
    for d in used:
        ts, ps = readings[d]
        curve = np.interp(knots, ts, ps)  # linear between readings, held outside them
        total += curve
        energy += float(np.sum((curve[1:] + curve[:-1]) * np.diff(knots) / 2.0))
        coverage = min(coverage, max(0.0, min(ts[-1], d_s) - max(ts[0], 0.0)) / d_s)
    base.energy_j = energy
    base.avg_power_w = energy / d_s
    base.peak_power_w = float(total.max())
    base.coverage = coverage
    if output_tokens:
        base.joules_per_output_token = energy / output_tokens
    return base


def recompute(cell: ServingCell) -> EnergyMetrics | None:
    """The cell's figures computed afresh from its telemetry, its output tokens and its window."""
    out = cell.metrics.total_output_tokens if cell.metrics is not None else None
    window = cell.duration_s if cell.duration_s is not None else (cell.metrics.duration_s if cell.metrics else None)
    return energy_metrics(cell.telemetry, out, window)


def cell_energy(cell: ServingCell) -> EnergyMetrics | None:
    """The stored figures, else (a file written before they were stored) computed from the telemetry."""
    return cell.energy if cell.energy is not None else recompute(cell)
