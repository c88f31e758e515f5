"""Open-loop rules: did the client keep the arrival process the cell claims?

* ``open_loop_rate``: the achieved arrival rate more than 5 % below its target: the client
  could not send as fast as asked, so the cell measured a lighter load.
* ``open_loop_lateness``: sends more than 10 ms (P99) after their scheduled times: the arrival
  process the cell claims is not the one the server saw.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import say
from reportgen.validity.registry import Issue, Source, rule

RATE_SHORTFALL = 0.05
LATENESS_P99_MS = 10.0

_CLIENT_REMEDY = ("run the client on a less busy machine (or with fewer requests in flight), then re-run",
                  "在负载较低的测试机上运行客户端（或减少同时发出的请求）后重测")


@rule(
    "open_loop_rate", family="open_loop", scope="cell", severity="warning",
    description="open loop: achieved arrival rate more than 5 % below the target -> warning",
    source=Source("ours", "evalscope users report achieved QPS below --rate (issues #1101, #1366); 5 % is "
                          "more than a Poisson schedule of a hundred requests drifts"),
    remedy=_CLIENT_REMEDY,
    title_zh="开环负载的实际到达率不应低于目标到达率 5% 以上",
)
def _open_loop_rate(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.request_rate is None or m.achieved_rate is None:
        return
    target, got = cell.request_rate, m.achieved_rate
    if got < target * (1 - RATE_SHORTFALL):
        yield Issue("warning", say("open_loop_rate", achieved=got, shortfall=1 - got / target, target=target))


@rule(
    "open_loop_lateness", family="open_loop", scope="cell", severity="warning",
    description="open loop: send time minus scheduled arrival, P99 above 10 ms -> warning",
    source=Source("ours", "a client that sends late is the bottleneck it measures; 10 ms is small against "
                          "any TTFT worth measuring"),
    remedy=_CLIENT_REMEDY,
    title_zh="开环负载中请求发出时间与计划到达时间之差（P99）不应超过 10 ms",
)
def _open_loop_lateness(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.request_rate is None or m.lateness_ms is None or m.lateness_ms.p99 is None:
        return
    p99 = m.lateness_ms.p99
    if p99 > LATENESS_P99_MS:
        yield Issue("warning", say("open_loop_lateness", p99=p99, limit=LATENESS_P99_MS))
