"""Serving-cell rules on the evidence behind the figures: enough requests for the percentiles
shown, the stream itself (MLPerf TEST06), a steady window (AISBench)."""

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
    "answer_model", family="serving", scope="cell", severity="error",
    description="measured cells: every answered timed request's stream names the model that was requested -> error "
                "(a gateway or a wrong deployment answered: the figures are another model's)",
    source=Source("ours", "each OpenAI-style completion chunk names the model that produced it; a figure "
                          "measures only the model it asked for"),
    remedy=("point --base-url and --model at the deployment under test (a gateway may route to another), then re-run",
            "确认 --base-url 与 --model 指向被测部署（网关可能转发到其他模型）后重测"),
    title_zh="应答应来自所请求的模型",
)
def _answer_model(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    requested = cell.request_params.get("model")
    if cell.source != "measured" or not isinstance(requested, str):
        return
    named = cell.answer_models()
    other = {m: n for m, n in named.items() if m != requested}
    if other:
        yield Issue("error", say("answer_model", off=sum(other.values()), ok=sum(named.values()),
                                 named=items(sorted(other), "list"), requested=requested))


@rule(
    "stream_after_done", family="serving", scope="cell", severity="warning",
    description="measured cells: a stream that goes on after its [DONE] event -> warning (what follows [DONE] is "
                "not counted into any figure; the server's streaming is not what the OpenAI protocol says)",
    source=Source("ours", "an OpenAI-style stream ends with data: [DONE]; nothing after it belongs to the answer"),
    remedy=("check the server's (or proxy's) streaming: nothing may follow [DONE]",
            "检查服务端（或代理）的流式输出：[DONE] 之后不应再有数据"),
    title_zh="流式输出应在 [DONE] 处结束",
)
def _stream_after_done(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.source != "measured":
        return
    timed = timed_requests(cell.requests)
    late = [r.events_after_done for r in timed if r.events_after_done]
    if late:
        yield Issue("warning", say("stream_after_done", off=len(late), ok=len(timed), events=max(late)))


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
