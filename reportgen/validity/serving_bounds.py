"""Serving-cell rules about physical bounds: what one card can prefill and decode at most."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.card_bounds import CardBounds, card_bounds, model_params, weight_bytes_per_param
from reportgen.results import ModelVariant, Results, ServingCell
from reportgen.validity.messages import Say, say
from reportgen.validity.registry import Issue, Severity, Source, rule

#: Above this many prompt tokens/s, a TTFT is not plausible on one card (a 7B model needs
#: ~14 GFLOP per prompt token: 100k tokens/s is ~1.4 PFLOP/s).
PREFILL_TPS_MAX = 100_000.0

PREFILL_REMEDY = ("turn the prefix cache off, give every request a different random prompt, and re-run",
                   "关闭前缀缓存、每个请求使用不同的随机输入后重测")


@rule(
    "prefill_rate", family="serving", scope="results", severity="error or warning",
    description="TTFT implies the prefill rate (one wave of n requests sent together: rate >= (n + 1) / 2 x input_len / "
                "mean TTFT); above the card's peak FLOPs / (2 x parameters) from its spec sheet -> error (bound shown), "
                "else above 100,000 prompt tokens/s -> warning",
    source=Source("ours", "a prompt token costs 2 FLOPs per parameter; without a spec sheet, 100k tokens/s "
                          "(~1.4 PFLOP/s for 7B) is beyond any one card"),
    remedy=PREFILL_REMEDY,
    title_zh="TTFT 所隐含的预填充速率应在单卡物理可能范围内",
)
def _prefill_rate(results: Results) -> Iterator[Issue]:
    bounds = card_bounds(results.environment.facts)
    for v in results.variants:
        params = model_params(v)
        for cell in v.serving:
            yield from _prefill_rate_cell(cell, v, bounds, params)


def _prefill_rate_cell(cell: ServingCell, v: ModelVariant, bounds: CardBounds, params: float | None) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or m.completed < 1 or not m.ttft_ms.mean or m.ttft_ms.mean <= 0:
        return
    prompt = m.total_input_tokens / m.completed if m.total_input_tokens else cell.input_len
    ttft_s = m.ttft_ms.mean / 1000
    n = m.completed
    one_wave = n <= cell.batch_size
    factor = (n + 1) / 2 if one_wave else 1.0
    rate = factor * prompt / ttft_s
    severity: Severity
    bound: Say
    if bounds.peak_flops and params:
        cap_value = bounds.peak_flops / (2 * params)
        bound = say("prefill_rate.card", cap=cap_value, peak=bounds.peak_text, params_b=params / 1e9)
        severity = "error"
    else:
        cap_value = PREFILL_TPS_MAX
        bound = say("prefill_rate.generic", cap=PREFILL_TPS_MAX)
        severity = "warning"
    if rate <= cap_value:
        return
    args = {"ttft_ms": m.ttft_ms.mean, "tokens": prompt, "rate": rate, "ttft_s": ttft_s, "bound": bound}
    msg = say("prefill_rate.wave", n=n, **args) if one_wave and n > 1 else say("prefill_rate", **args)
    yield Issue(severity, msg, cell=cell, variant=v)


@rule(
    "decode_rate", family="serving", scope="results", severity="error",
    description="one sequence's decode rate 1000 / mean TPOT above the card's memory bandwidth / weight bytes "
                "(parameters from the model name x 2, 1 or 0.5 bytes; each decode step reads every weight once; "
                "only when the spec sheet gives the bandwidth) -> error",
    source=Source("ours", "the roofline of decoding: a step reads every weight once, so it takes at least "
                          "weight bytes / bandwidth"),
    remedy=("re-run, and check how the client computes TPOT", "重测，并核对 TPOT 的计算方法"),
    title_zh="TPOT 所隐含的单序列解码速率不得超过显存带宽 ÷ 权重字节数",
)
def _decode_rate(results: Results) -> Iterator[Issue]:
    bounds = card_bounds(results.environment.facts)
    if not bounds.bandwidth_bps:
        return
    for v in results.variants:
        params = model_params(v)
        if not params:
            continue
        per = weight_bytes_per_param(v)
        cap = bounds.bandwidth_bps / (params * per)
        for cell in v.serving:
            m = cell.metrics
            if m is None or not m.tpot_ms.mean or m.tpot_ms.mean <= 0:
                continue
            rate = 1000 / m.tpot_ms.mean
            if rate <= cap:
                continue
            yield Issue("error", say("decode_rate", tpot_ms=m.tpot_ms.mean, rate=rate, cap=cap,
                                     bandwidth_gb=bounds.bandwidth_bps / 1e9, params_b=params / 1e9, bytes=per),
                        cell=cell, variant=v)
