"""Serving-cell rules about the load as applied and as the server saw it: enough requests,
the concurrency achieved, the prefix cache, the server's own counters."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import Say, Term, items, say
from reportgen.validity.registry import Issue, Severity, Source, rule
from reportgen.validity.serving_bounds import PREFILL_REMEDY

#: Measured cells: fewer successful requests than max(MIN_SAMPLES, MIN_ROUNDS x batch) -> warning.
MIN_SAMPLES = 5
MIN_ROUNDS = 2
#: Effective concurrency (sum E2EL / duration) below this fraction of the batch: warning;
#: above batch x CONCURRENCY_OVER (+0.05): error (a closed loop cannot exceed its batch).
CONCURRENCY_UNDER = 0.7
CONCURRENCY_OVER = 1.05
#: Prefix-cache hit rate (hits / queried tokens) above this: error; any hit: warning.
PREFIX_CACHE_ERROR_RATE = 0.05
#: Client vs server mean latency: a gap above both limits -> warning.
CLIENT_SERVER_GAP_REL = 0.25
CLIENT_SERVER_GAP_MS = 20.0
#: Server-counted tokens vs the client's totals: relative gap above this -> warning.
SERVER_TOKENS_REL = 0.05


@rule(
    "sample_count", family="serving", scope="cell", severity="warning",
    description="measured closed-loop cells: fewer successful requests than max(5, 2 x batch size) -> warning "
                "(the P99 of one wave)",
    source=Source("ours", "MLPerf sets a minimum query count for its percentiles; below two waves a P99 is "
                          "an interpolation of the two slowest requests"),
    remedy=("run more rounds per cell (--rounds, or rounds in the plan), then re-run", "增加每个用例的轮数后重测"),
    title_zh="请求数应足以计算 P99（至少 max(5, 2 × 批大小)）",
)
def _sample_count(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.completed == 0:
        return
    if cell.request_rate is not None:
        return  # open loop: batch_size is the number of requests, not a concurrency
    need = max(MIN_SAMPLES, MIN_ROUNDS * cell.batch_size)
    if m.completed < need:
        yield Issue("warning", say("sample_count", completed=m.completed, batch=cell.batch_size,
                                   min_samples=MIN_SAMPLES, rounds=MIN_ROUNDS, need=need))


@rule(
    "effective_concurrency", family="serving", scope="cell", severity="error or warning",
    description="measured closed-loop cells: sum(E2EL) / duration below 0.7 x batch -> warning; above 1.05 x batch -> error",
    source=Source("ours", "0.7 leaves room for the gaps between waves; a closed loop cannot hold more requests "
                          "than its batch (1.05 allows for timing noise)"),
    remedy=("check the client's concurrency setting, then re-run", "核对测试程序的并发设置后重测"),
    title_zh="有效并发（Σ端到端延迟 ÷ 测试时长）应接近批大小",
)
def _effective_concurrency(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or cell.source != "measured" or m.effective_concurrency is None or cell.request_rate is not None:
        return  # open loop: the concurrency is whatever the arrivals and the server make it
    c, b = m.effective_concurrency, cell.batch_size
    if c > b * CONCURRENCY_OVER + 0.05:
        yield Issue("error", say("effective_concurrency.over", concurrency=c, batch=b))
    elif c < b * CONCURRENCY_UNDER:
        yield Issue("warning", say("effective_concurrency", concurrency=c, batch=b, under=CONCURRENCY_UNDER))


@rule(
    "prefix_cache", family="serving", scope="cell", severity="error or warning",
    description="server prefix-cache hits during the cell (not for prefix:LEN datasets, which hit it on purpose): "
                "any -> warning; hit rate above 5 % -> error",
    source=Source("MLPerf", "its rules forbid caching queries or responses; above 5 % of the prompt tokens the "
                            "TTFT no longer measures a full prefill"),
    remedy=PREFILL_REMEDY,
    title_zh="测试期间不应命中服务端前缀缓存",
)
def _prefix_cache(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm = cell.server_metrics
    if sm is None or not sm.prefix_cache_hits or sm.prefix_cache_hits <= 0:
        return
    if cell.dataset.startswith("prefix:"):
        return  # the shared-prefix workload hits the cache on purpose
    hits = sm.prefix_cache_hits
    severity: Severity
    if sm.prefix_cache_queries:
        rate = hits / sm.prefix_cache_queries
        severity = "error" if rate > PREFIX_CACHE_ERROR_RATE else "warning"
        detail = say("prefix_cache.rate", hits=hits, queries=sm.prefix_cache_queries, rate=rate)
    else:
        severity, detail = "warning", say("prefix_cache.tokens", hits=hits)
    yield Issue(severity, say("prefix_cache", detail=detail))


@rule(
    "client_server_gap", family="serving", scope="cell", severity="warning",
    description="client vs server (Prometheus) mean TTFT/TPOT/E2EL differ by more than 25 % and 20 ms -> warning",
    source=Source("ours", "the client adds network and its own overhead; beyond 25 % and 20 ms the client, "
                          "not the server, is being measured"),
    remedy=("re-run on an idle client machine, or accept once the gap is shown to be the network",
            "在空闲的测试机上重测，或确认差距来自网络后接受"),
    title_zh="客户端与服务端统计的平均延迟应一致",
)
def _client_server_gap(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps: list[Say] = []
    for name, server, stats in (("TTFT", sm.ttft_mean_ms, m.ttft_ms), ("TPOT", sm.tpot_mean_ms, m.tpot_ms), ("E2EL", sm.e2el_mean_ms, m.e2el_ms)):
        client = stats.mean if stats is not None else None
        if server is None or client is None:
            continue
        gap = abs(client - server)
        if gap > CLIENT_SERVER_GAP_MS and gap > CLIENT_SERVER_GAP_REL * max(client, server):
            gaps.append(say("client_server_gap.gap", metric=name, client=client, server=server))
    if gaps:
        yield Issue("warning", say("client_server_gap", gaps=items(gaps)))


@rule(
    "server_token_counts", family="serving", scope="cell", severity="warning",
    description="server-counted prompt/generation tokens vs the client's totals differ by more than 5 % -> warning",
    source=Source("MLPerf", "TEST06 asks that reported token counts equal the actual ones; 5 % allows for "
                            "requests outside the timed window (warm-up) in the server's counters"),
    remedy=("make sure nothing else sends requests to the server during the run, then re-run",
            "确认测试期间没有其他请求发往该服务端后重测"),
    title_zh="服务端统计的词元数应与客户端一致",
)
def _server_token_counts(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    sm, m = cell.server_metrics, cell.metrics
    if sm is None or m is None:
        return
    gaps: list[Say] = []
    for kind, server, client in (
        (Term("prompt", "输入"), sm.prompt_tokens, m.total_input_tokens),
        (Term("generation", "生成"), sm.generation_tokens, m.total_output_tokens),
    ):
        if server is None or not client:
            continue
        if abs(server - client) > SERVER_TOKENS_REL * client:
            gaps.append(say("server_token_counts.gap", kind=kind, server=server, client=client))
    if gaps:
        yield Issue("warning", say("server_token_counts", gaps=items(gaps)))
