"""Open-loop rules: did the client keep the arrival process the cell claims?

* ``open_loop_rate``: the achieved arrival rate more than 5 % below its target: the client
  could not send as fast as asked, so the cell measured a lighter load.
* ``open_loop_lateness``: sends more than 10 ms (P99) after their scheduled times: the arrival
  process the cell claims is not the one the server saw.
* ``open_loop_overload``: the server completed requests markedly slower than they arrived while
  the TTFT or the queue grew through the run (guidellm's over-saturation test): the cell measured
  a backlog that grows with the run's length, not the offered load.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from reportgen.metrics import timed_requests
from reportgen.results import ModelVariant, RequestRecord, ServingCell
from reportgen.validity.messages import say
from reportgen.validity.registry import Issue, Source, rule

RATE_SHORTFALL = 0.05
LATENESS_P99_MS = 10.0
#: Overload: completions per second below this share of the arrivals achieved ...
OVERLOAD_COMPLETION_SHARE = 0.8
#: ... and, between the first and the last quarter of the arrivals, the median TTFT grew by this
#: factor (and by OVERLOAD_TTFT_MIN_MS), or the mean number of requests in flight at a send by
#: this factor (and by one request).
OVERLOAD_GROWTH = 2.0
OVERLOAD_TTFT_MIN_MS = 100.0
OVERLOAD_MIN_REQUESTS = 8

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


def _in_flight(at: float, records: list[RequestRecord]) -> int:
    """Requests sent before ``at`` and not finished by then (the queue a new arrival joins)."""
    return sum(1 for r in records if r.start_s < at and (r.end_s is None or r.end_s > at))


@rule(
    "open_loop_overload", family="open_loop", scope="cell", severity="error",
    description="open loop: successful requests / duration below 0.8 x the achieved arrival rate, while from the "
                "first to the last quarter of the arrivals the median TTFT grew 2x (and by 100 ms) or the requests in "
                "flight at a send grew 2x (and by one) -> error (overloaded: the row is labelled by what was achieved)",
    source=Source("guidellm", "its over_saturation constraint tests the slopes of TTFT and of concurrency through "
                              "the run; a backlog that grows with time means the latencies depend on the run's length"),
    remedy=("lower the request rate below what the server completes (see the capacity search), then re-run",
            "将请求速率降到服务端能够完成的水平以下（参考容量搜索）后重测"),
    title_zh="开环负载不应过载（完成速率不低于到达速率，TTFT 与排队请求数不随运行持续上升）",
)
def _open_loop_overload(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.request_rate is None or m.duration_s <= 0:
        return
    sent = sorted((r for r in timed_requests(cell.requests) if r.scheduled_s is not None), key=lambda r: r.start_s)
    ok = [r for r in sent if r.ok and r.first_token_s is not None]
    if len(ok) < OVERLOAD_MIN_REQUESTS:
        return
    arrivals = m.achieved_rate or cell.request_rate
    served = m.completed / m.duration_s
    if served >= OVERLOAD_COMPLETION_SHARE * min(arrivals, cell.request_rate):
        return
    q = max(2, len(ok) // 4)
    first, last = ok[:q], ok[-q:]
    ttft_first = statistics.median(((r.first_token_s or 0.0) - r.start_s) * 1000 for r in first)
    ttft_last = statistics.median(((r.first_token_s or 0.0) - r.start_s) * 1000 for r in last)
    queue_first = statistics.fmean(_in_flight(r.start_s, sent) for r in sent[:q])
    queue_last = statistics.fmean(_in_flight(r.start_s, sent) for r in sent[-q:])
    ttft_grew = ttft_last >= OVERLOAD_GROWTH * ttft_first and ttft_last - ttft_first >= OVERLOAD_TTFT_MIN_MS
    queue_grew = queue_last >= OVERLOAD_GROWTH * queue_first and queue_last - queue_first >= 1
    if ttft_grew or queue_grew:
        yield Issue("error", say("open_loop_overload", served=served, offered=cell.request_rate, achieved=arrivals,
                                 ttft_first=ttft_first, ttft_last=ttft_last, queue_first=queue_first,
                                 queue_last=queue_last))
