"""Validity check for telemetry that cannot be true (registered into ``reportgen.validity``).

* ``telemetry_out_of_range``: a cell whose card telemetry held readings outside physical
  ranges (power below 0 W or above ``TDP_MULTIPLE`` x the card's TDP, else above
  ``MAX_DEVICE_POWER_W``; temperature outside -40..150 °C; utilisation outside 0..100 %).
  The sampler leaves them out as it records (``reportgen.energy.screen_samples``), so the
  figures rest on plausible readings only: a warning that says how many and which. A file
  recorded before that screening may still hold them in its samples, and then its power and
  energy figures include them: an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.energy import MAX_DEVICE_POWER_W, TDP_MULTIPLE, TEMPERATURE_RANGE_C, screen_samples
from reportgen.results import ExcludedReading, ModelVariant, ServingCell
from reportgen.validity import CHECK_TITLES_ZH, Issue, Msg, _check

_UNIT = {"power_w": ("W", "W"), "temperature_c": ("C", "°C"), "utilization_pct": ("%", "%")}
_NAME = {"power_w": ("power", "功耗"), "temperature_c": ("temperature", "温度"), "utilization_pct": ("utilisation", "利用率")}


def _examples(readings: list[ExcludedReading], ceiling: float) -> Msg:
    """One example per kind of reading: ``power 1e+308 W`` ..."""
    seen: dict[str, ExcludedReading] = {}
    for r in readings:
        seen.setdefault(r.field, r)
    en, zh = [], []
    lo, hi = TEMPERATURE_RANGE_C
    bounds = {
        "power_w": (f"0 to {ceiling:g} W", f"0～{ceiling:g} W"),
        "temperature_c": (f"{lo:g} to {hi:g} C", f"{lo:g}～{hi:g} °C"),
        "utilization_pct": ("0 to 100 %", "0～100%"),
    }
    for field, r in seen.items():
        (n_en, n_zh), (u_en, u_zh), (b_en, b_zh) = _NAME[field], _UNIT[field], bounds[field]
        en.append(f"{n_en} {r.value} {u_en} on device {r.device} (outside {b_en})")
        zh.append(f"设备 {r.device} 的{n_zh} {r.value} {u_zh}（超出 {b_zh}）")
    return Msg("; ".join(en), "；".join(zh))


@_check(
    "telemetry_out_of_range",
    "cell",
    f"card telemetry readings outside physical ranges (power < 0 W or > {TDP_MULTIPLE:g} x TDP, else "
    f"> {MAX_DEVICE_POWER_W:g} W; temperature outside -40..150 C): left out when recorded -> warning; "
    "still inside the samples -> error",
)
def _telemetry_out_of_range(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    series = cell.telemetry
    if series is None:
        return
    ceiling = series.power_ceiling_w or MAX_DEVICE_POWER_W
    ceiling_why = Msg(
        f" (power ceiling {ceiling:g} W = {TDP_MULTIPLE:g} x the card's TDP)" if series.power_ceiling_w and
        series.power_ceiling_w != MAX_DEVICE_POWER_W else f" (power ceiling {ceiling:g} W)",
        f"（功耗上限 {ceiling:g} W，即 TDP 的 {TDP_MULTIPLE:g} 倍）" if series.power_ceiling_w and
        series.power_ceiling_w != MAX_DEVICE_POWER_W else f"（功耗上限 {ceiling:g} W）",
    )
    _, inside = screen_samples(series.samples, ceiling)
    if inside:
        yield Issue(
            "error",
            Msg(f"{len(inside)} telemetry reading(s) outside physical ranges are inside the cell's power and energy "
                "figures: ", f"{len(inside)} 个超出物理范围的遥测读数计入了本用例的功耗与能耗数值：")
            + _examples(inside, ceiling) + ceiling_why,
        )
    if series.excluded_count:
        yield Issue(
            "warning",
            Msg(f"{series.excluded_count} telemetry reading(s) outside physical ranges were left out of the power and "
                "energy figures: ", f"{series.excluded_count} 个超出物理范围的遥测读数已从功耗与能耗数值中排除：")
            + _examples(series.excluded, ceiling) + ceiling_why,
        )


CHECK_TITLES_ZH.update(
    {
        "telemetry_out_of_range": "加速卡遥测读数应在物理范围内（功耗 0～TDP 的 2 倍，温度 -40～150 °C）",
    }
)
