"""Telemetry rules: power, energy and temperature figures and the card readings they rest on."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.energy import MAX_DEVICE_POWER_W, TDP_MULTIPLE, TEMPERATURE_RANGE_C, cell_energy, screen_samples
from reportgen.energy import recompute as recompute_energy
from reportgen.results import ExcludedReading, ModelVariant, Results, ServingCell
from reportgen.validity.messages import Say, Term, items, say
from reportgen.validity.registry import Issue, Source, rule

#: Card telemetry: power readings spanning less than this fraction of a cell's timed window -> warning.
TELEMETRY_COVERAGE_MIN = 0.8
#: Stored power/energy figures vs those recomputed from the telemetry samples (relative) -> error.
ENERGY_RECOMPUTE_REL = 1e-6


@rule(
    "telemetry_coverage", family="telemetry", scope="cell", severity="warning",
    description="card telemetry whose power readings span less than 80 % of the cell's timed window, or fewer than "
                "2 readings per device (reportgen/energy.py) -> warning",
    source=Source("InferenceX", "its power_valid fails with sampling_gap_exceeded; below 80 % the average holds "
                                "the first/last reading over a fifth of the window"),
    remedy=("sample the card more often (a shorter --telemetry-interval) or run longer cells, then re-run",
            "提高加速卡遥测的采样频率或延长用例时长后重测"),
    title_zh="加速卡遥测应覆盖用例计时窗口的至少 80%",
)
def _telemetry_coverage(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    e = cell_energy(cell)
    if e is None or e.samples == 0 or cell.telemetry is None or cell.telemetry.reason is not None:
        return
    window = f"{e.window_s:.2f}" if e.window_s is not None else "?"
    if e.coverage is None:
        if e.devices or not any(s.power_w is not None for s in cell.telemetry.samples):
            return  # no window, or a tool without power readings: the document says so, nothing to warn about
        ticks = len({s.t_s for s in cell.telemetry.samples})
        yield Issue("warning", say("telemetry_coverage.ticks", ticks=ticks, window=window))
    elif e.coverage < TELEMETRY_COVERAGE_MIN:
        yield Issue("warning", say("telemetry_coverage", coverage=e.coverage, window=window, want=TELEMETRY_COVERAGE_MIN))


_READING: dict[str, tuple[Term, Term]] = {  # field -> (name, unit)
    "power_w": (Term("power", "功耗"), Term("W", "W")),
    "temperature_c": (Term("temperature", "温度"), Term("C", "°C")),
    "utilization_pct": (Term("utilisation", "利用率"), Term("%", "%")),
}


def _examples(readings: list[ExcludedReading], ceiling: float) -> list[Say]:
    """One example per kind of reading, with the range it lies outside."""
    seen: dict[str, ExcludedReading] = {}
    for r in readings:
        seen.setdefault(r.field, r)
    ranges = {"power_w": (0.0, ceiling), "temperature_c": TEMPERATURE_RANGE_C, "utilization_pct": (0.0, 100.0)}
    out = []
    for field, r in seen.items():
        name, unit = _READING[field]
        low, high = ranges[field]
        out.append(say("telemetry_out_of_range.example", name=name, value=r.value, unit=unit, device=r.device,
                       low=low, high=high))
    return out


@rule(
    "telemetry_out_of_range", family="telemetry", scope="cell", severity="error or warning",
    description=f"card telemetry readings outside physical ranges (power < 0 W or > {TDP_MULTIPLE:g} x the card's TDP, "
                f"else > {MAX_DEVICE_POWER_W:g} W; temperature outside -40..150 C; utilisation outside 0..100 %): "
                "left out as they were recorded (TelemetrySeries.excluded_count) -> warning; still inside an older "
                "file's samples, so inside its figures -> error",
    source=Source("ours", "no card draws negative power or more than twice its TDP, and none reports -300 C: "
                          "such a reading is the tool's error (a card tool printed 1e308 W), never a measurement"),
    remedy=("check the card's SMI tool (its version, its output format), then re-run with telemetry",
            "检查加速卡 SMI 工具（版本、输出格式）后带遥测重测"),
    title_zh="加速卡遥测读数应在物理范围内（功耗 0～TDP 的 2 倍，温度 -40～150 °C）",
)
def _telemetry_out_of_range(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    series = cell.telemetry
    if series is None:
        return
    ceiling = series.power_ceiling_w or MAX_DEVICE_POWER_W
    by_tdp = series.power_ceiling_w is not None and series.power_ceiling_w != MAX_DEVICE_POWER_W
    why = (say("telemetry_out_of_range.ceiling_tdp", ceiling=ceiling, multiple=TDP_MULTIPLE) if by_tdp
           else say("telemetry_out_of_range.ceiling", ceiling=ceiling))
    _, inside = screen_samples(series.samples, ceiling)
    if inside:
        yield Issue("error", say("telemetry_out_of_range.inside", count=len(inside),
                                 examples=items(_examples(inside, ceiling)), ceiling=why))
    if series.excluded_count:
        yield Issue("warning", say("telemetry_out_of_range", count=series.excluded_count,
                                   examples=items(_examples(series.excluded, ceiling)), ceiling=why))


_ENERGY_FIELDS = ("avg_power_w", "peak_power_w", "peak_temperature_c", "energy_j", "joules_per_output_token", "coverage")


@rule(
    "energy_recomputed", family="telemetry", scope="cell", severity="error",
    description="stored power/energy figures must equal those recomputed from the telemetry samples (relative 1e-6), "
                "and no energy without telemetry -> error",
    source=Source("InferenceX", "energy is integrated from the per-device samples (trapezoidal, as InferenceX's "
                                "aggregate_power does); 1e-6 allows for float noise"),
    remedy=("re-run the cell with telemetry (the stored figures were edited or written by another version)",
            "带遥测采样重测该用例（保存的数值被修改过，或由其他版本写入）"),
    title_zh="保存的功耗与能耗应与由遥测采样重新计算的结果一致",
)
def _energy_recomputed(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.energy is None:
        return
    if cell.telemetry is None:
        yield Issue("error", say("energy_recomputed.no_telemetry"))
        return
    fresh = recompute_energy(cell)
    assert fresh is not None
    diffs: list[Say] = []
    for name in _ENERGY_FIELDS:
        a, b = getattr(cell.energy, name), getattr(fresh, name)
        if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > ENERGY_RECOMPUTE_REL * max(abs(a), abs(b), 1e-12)):
            diffs.append(say("energy_recomputed.diff", field=name, stored="none" if a is None else f"{a:.6g}",
                             recomputed="none" if b is None else f"{b:.6g}"))
    if diffs:
        yield Issue("error", say("energy_recomputed", diffs=items(diffs)))


def _max_temperature(results: Results) -> tuple[float, Term] | None:
    """The card's max operating temperature (the fact, else the lowest any device reports)."""
    f = results.environment.facts.get("accelerator.max_temperature_c")
    if f is not None and f.present and isinstance(f.value, (int, float)) and not isinstance(f.value, bool):
        return float(f.value), Term("the card's max operating temperature", "加速卡最大操作温度")
    limits = [a.max_temperature_c for a in results.environment.accelerators if a.max_temperature_c is not None]
    if limits:
        return min(limits), Term("the devices' max operating temperature", "设备报告的最大操作温度")
    return None


@rule(
    "peak_temperature", family="telemetry", scope="results", severity="warning",
    description="a cell's peak card temperature at or above the card's max operating temperature "
                "(accelerator.max_temperature_c, else the lowest device max_temperature_c) -> warning",
    source=Source("ours", "at its maximum operating temperature a card throttles its clocks"),
    remedy=("improve the card's cooling (or let it cool between cells), then re-run", "改善散热（或在用例之间让加速卡降温）后重测"),
    title_zh="测试期间加速卡峰值温度应低于其最大操作温度",
)
def _peak_temperature(results: Results) -> Iterator[Issue]:
    limit = _max_temperature(results)
    if limit is None:
        return
    cap, what = limit
    for v in results.variants:
        for cell in v.serving:
            e = cell_energy(cell)
            if e is None or e.peak_temperature_c is None or e.peak_temperature_c < cap:
                continue
            yield Issue("warning", say("peak_temperature", peak=e.peak_temperature_c, what=what, limit=cap),
                        cell=cell, variant=v)
