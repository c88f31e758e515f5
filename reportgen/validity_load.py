"""Validity checks for open-loop load and repeated runs (registered into ``reportgen.validity``).

* ``open_loop_rate``: an open-loop cell whose achieved arrival rate is more than 5 % below
  its target: the client could not send as fast as asked, so the cell measured a lighter load.
* ``open_loop_lateness``: sends more than 10 ms (P99) after their scheduled times: the arrival
  process the cell claims is not the one the server saw.
* ``repeat_cv``: repeats of one case whose output throughput, mean TTFT or mean TPOT vary with a
  coefficient of variation above 5 %: the figure is not reproducible to the precision shown.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.repeats import cases, repeat_stat
from reportgen.results import ModelVariant, ServingCell
from reportgen.validity import CHECK_TITLES_ZH, Issue, Msg, _check

RATE_SHORTFALL = 0.05
LATENESS_P99_MS = 10.0
REPEAT_CV_MAX = 0.05


@_check("open_loop_rate", "cell", "open loop: achieved arrival rate more than 5 % below the target -> warning")
def _open_loop_rate(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.request_rate is None or m.achieved_rate is None:
        return
    target, got = cell.request_rate, m.achieved_rate
    if got < target * (1 - RATE_SHORTFALL):
        short = 1 - got / target
        yield Issue(
            "warning",
            Msg(
                f"achieved arrival rate {got:.3g} req/s is {short:.1%} below the target {target:g} req/s "
                "(the client could not keep the schedule: the server saw a lighter load)",
                f"实际到达率 {got:.3g} 请求/秒，比目标 {target:g} 请求/秒低 {short:.1%}"
                "（客户端未能按计划发送，服务端承受的负载低于设定）",
            ),
        )


@_check("open_loop_lateness", "cell", "open loop: send time minus scheduled arrival, P99 above 10 ms -> warning")
def _open_loop_lateness(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.request_rate is None or m.lateness_ms is None or m.lateness_ms.p99 is None:
        return
    p99 = m.lateness_ms.p99
    if p99 > LATENESS_P99_MS:
        yield Issue(
            "warning",
            Msg(
                f"requests left up to {p99:.1f} ms (P99) after their scheduled arrival times (limit {LATENESS_P99_MS:g} ms): "
                "the client was too busy to keep the arrival process",
                f"请求实际发出时间比计划到达时间晚 {p99:.1f} ms（P99，上限 {LATENESS_P99_MS:g} ms）：客户端过忙，未能保持到达过程",
            ),
        )


_REPEAT_METRICS = (
    ("output_throughput", Msg("output throughput", "输出吞吐")),
    ("ttft_ms.mean", Msg("mean TTFT", "平均 TTFT")),
    ("tpot_ms.mean", Msg("mean TPOT", "平均 TPOT")),
)


def _metric(c: ServingCell, path: str) -> float | None:
    obj: object = c.metrics
    for part in path.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj if isinstance(obj, (int, float)) else None


@_check("repeat_cv", "variant", "repeats of one case: coefficient of variation of output throughput, mean TTFT or mean TPOT above 5 % -> warning")
def _repeat_cv(v: ModelVariant) -> Iterator[Issue]:
    for cells in cases(v).values():
        measured = [c for c in cells if c.metrics is not None]
        if len(measured) < 2:
            continue
        bad: list[Msg] = []
        for path, name in _REPEAT_METRICS:
            values = [x for c in measured if (x := _metric(c, path)) is not None]
            st = repeat_stat(values)
            if st is not None and st.cv is not None and st.cv > REPEAT_CV_MAX:
                bad.append(name + Msg(f" CV {st.cv:.1%}", f" 变异系数 {st.cv:.1%}"))
        if bad:
            n = len(measured)
            yield Issue(
                "warning",
                Msg(f"{n} repeats disagree: ", f"{n} 次重复测试结果不一致：")
                + Msg("; ".join(b.en for b in bad), "；".join(b.zh for b in bad))
                + Msg(f" (above {REPEAT_CV_MAX:.0%})", f"（超过 {REPEAT_CV_MAX:.0%}）"),
                cell=measured[0],
            )


CHECK_TITLES_ZH.update(
    {
        "open_loop_rate": "开环负载的实际到达率不应低于目标到达率 5% 以上",
        "open_loop_lateness": "开环负载中请求发出时间与计划到达时间之差（P99）不应超过 10 ms",
        "repeat_cv": "同一用例多次重复测试的变异系数不应超过 5%",
    }
)
