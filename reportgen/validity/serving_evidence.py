"""Serving-cell rules on the evidence behind the figures: enough requests for the percentiles
shown, the stream itself (MLPerf TEST06; the model its chunks named, events after ``[DONE]``), a
steady window (AISBench).

* ``response_model``: the chunks named a model other than the one the requests asked for
  (``ServingCell.response_models`` against ``request_params["model"]``): the figures may belong to
  another model than the variant says (a proxy routing elsewhere). A warning: some servers name a
  fixed alias or a path in every chunk. (``ServerSettings.served_models`` is what ``/v1/models``
  listed before the run; this is what answered.)
* ``chunks_after_done``: a server sent events after ``[DONE]``. The client counts them
  (``RequestRecord.chunks_after_done``) and keeps them out of TPOT, ITL and E2EL, and out of the
  chunk count ``stream_tokens`` compares with the usage; the server's stream is still wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.metrics import output_tokens, timed_requests
from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import Arg, Say, items, say
from reportgen.validity.numbers import duration, span
from reportgen.validity.registry import Issue, Source, rule

#: A P99 resting on fewer successful requests than this is marked (a note): at n <= 100 numpy's
#: linear interpolation puts it between the two slowest requests.
P99_MIN_REQUESTS = 100
#: AISBench trusts a steady-state throughput only when the slowest request is shorter than this
#: share of the run.
STEADY_SHARE = 1 / 3


@rule(
    "percentile_samples", family="serving", scope="cell", severity="note",
    description="a P99 shown for a cell resting on fewer than 100 successful requests -> note: the P99 is marked "
                "and says on how many requests it rests (the cell's status does not change)",
    source=Source("MLPerf", "LoadGen sets a minimum query count so that its latency percentiles rest on enough "
                            "queries; with n <= 100 a P99 lies between the two slowest requests"),
    remedy=("run at least 100 requests per cell (rounds x batch size >= 100; --num-requests for an open loop)",
            "每个用例至少运行 100 个请求（轮数 × 批大小 ≥ 100；开环用 --num-requests）后重测"),
    title_zh="P99 应基于至少 100 个请求",
)
def _percentile_samples(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or m.completed == 0:
        return
    shown = [(name, s.n or m.completed) for name, s in (("TTFT", m.ttft_ms), ("TPOT", m.tpot_ms))
             if s is not None and s.p99 is not None]
    if not shown:
        return
    n = min(k for _, k in shown)
    if n < P99_MIN_REQUESTS:
        yield Issue("note", say("percentile_samples", n=n, want=P99_MIN_REQUESTS,
                                metrics=items((name for name, _ in shown), "list")))


@rule(
    "stream_tokens", family="serving", scope="cell", severity="error",
    description="measured cells, every answered request (MLPerf TEST06): it streamed a first token; it did not stream "
                "more token chunks than the completion tokens the server reported; it did not generate more than "
                "max_tokens -> error",
    source=Source("MLPerf", "TEST06 checks that the first token is present and that the reported token count "
                            "equals the tokens actually generated; a server that exceeds max_tokens ignored the request"),
    remedy=("check the server's streaming and usage reporting (and its max_tokens handling), then re-run the cell",
            "核对服务端的流式输出、usage 统计与 max_tokens 处理后重测"),
    title_zh="流式输出应与词元计数一致（有首个词元、词元块数不多于报告的词元数、不超过 max_tokens）",
)
def _stream_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.source != "measured" or not cell.requests or cell.metrics is None:
        return  # no metrics: missing_metrics says so
    answered = [r for r in timed_requests(cell.requests) if r.error is None]
    if not answered:
        return
    problems: list[Say] = []
    no_first = [r for r in answered if r.first_token_s is None]
    if no_first:
        problems.append(say("stream_tokens.no_first", off=len(no_first), ok=len(answered)))
    streamed = [r for r in answered if r.first_token_s is not None]
    under = [r for r in streamed if r.completion_tokens is not None and len(r.chunk_times_s) > r.completion_tokens]
    if under:
        worst = max(under, key=lambda r: len(r.chunk_times_s) - (r.completion_tokens or 0))
        problems.append(say("stream_tokens.chunks", off=len(under), ok=len(streamed), chunks=len(worst.chunk_times_s),
                            usage=worst.completion_tokens))
    cap = cell.request_params.get("max_tokens")
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0:
        over = [n for r in streamed if (n := max(output_tokens(r), len(r.chunk_times_s))) > cap]
        if over:
            problems.append(say("stream_tokens.over_max", off=len(over), ok=len(streamed), span=span(over), max_tokens=cap))
    if problems:
        yield Issue("error", say("stream_tokens", problems=items(problems)))


@rule(
    "response_model", family="serving", scope="cell", severity="warning",
    description="streamed chunks name a model other than the requested one -> warning",
    source=Source("ours", "a figure is the variant's only if the variant's model answered; some servers name a "
                          "fixed alias in every chunk, so it warns rather than invalidates"),
    remedy=("check that the base URL reaches the intended server and that it serves the requested model "
            "(not a proxy, a load balancer or another server at that address), then re-run",
            "确认 base URL 指向预期的服务端且其服务的正是所请求的模型（而非代理、负载均衡或同一地址下的其他服务端），然后重测"),
    title_zh="流式数据块标注的模型应与请求的模型一致",
)
def _response_model(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    asked = cell.request_params.get("model")
    if not isinstance(asked, str):
        return
    other = [m for m in cell.response_models if m != asked]
    if other:
        names = ", ".join(repr(m[:80]) for m in other[:3]) + (" …" if len(other) > 3 else "")
        yield Issue("warning", say("response_model", named=names, asked=repr(asked)))


@rule(
    "chunks_after_done", family="serving", scope="cell", severity="warning",
    description="events after [DONE] in some streams (not timed, not counted) -> warning",
    source=Source("ours", "[DONE] ends an OpenAI-compatible stream; what follows it is not part of the answer"),
    remedy=("report the server's stream to its maintainers; the timings leave those events out, the token "
            "counts are the server's usage",
            "向服务端维护者报告该流式输出问题；计时已排除这些事件，词元数取自服务端的 usage"),
    title_zh="流式输出在 [DONE] 之后不应再有事件",
)
def _chunks_after_done(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    hit = [r.chunks_after_done for r in cell.requests if r.chunks_after_done]
    if hit:
        yield Issue("warning", say("chunks_after_done", requests=len(hit), events=sum(x for x in hit if x is not None)))


@rule(
    "steady_window", family="serving", scope="cell", severity="warning",
    description="the slowest request (max E2EL) must be shorter than a third of the cell's duration, and a measured "
                "cell needs a warm-up request before its timed window -> warning (the message says why not: one "
                "request per worker, too few requests)",
    source=Source("AISBench", "its stable-stage rule trusts a steady-state throughput only when the longest "
                              "request is shorter than a third of the run (issue #455)"),
    remedy=("run more rounds per cell (each worker several requests) with a warm-up, then re-run",
            "增加每个用例的轮数（每个并发发送多个请求）并设置预热请求后重测"),
    title_zh="用例应有稳态窗口（最慢请求短于用例时长的三分之一，且有预热）",
)
def _steady_window(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    d = duration(cell)
    if m is None or d is None or d.value <= 0 or m.completed == 0:
        return
    problems: list[Say] = []
    slowest = m.e2el_ms.max if m.e2el_ms is not None and m.e2el_ms.max is not None else None
    if slowest is not None and slowest / 1000 >= STEADY_SHARE * d.value:
        why: Arg = ""
        if cell.request_rate is None and cell.rounds == 1 and cell.batch_size > 0:
            why = say("steady_window.one_round", batch=cell.batch_size)
        elif m.completed < 10:
            why = say("steady_window.few", n=m.completed)
        problems.append(say("steady_window.slowest", slowest=slowest / 1000, share=slowest / 1000 / d.value,
                            duration=d.value, why=why))
    if cell.source == "measured" and cell.requests and cell.warmup_requests == 0:
        problems.append(say("steady_window.no_warmup"))
    if problems:
        yield Issue("warning", say("steady_window", problems=items(problems)))
