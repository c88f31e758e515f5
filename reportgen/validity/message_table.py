"""The findings' message table: row -> (English, Chinese) templates (``reportgen.validity.messages``).

A row is keyed by its rule's code, or by the code and a variant of the message (a second finding
the rule can give, an optional clause, a part of a list); ``_.`` rows are shared by several rules.
Placeholders are the evidence values (``str.format``: ``{ttft_ms:.2f}``); both templates of a row
use the same ones (a test checks it).
"""

from __future__ import annotations

from reportgen.validity.message_table_runs import RUN_MESSAGES

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- shared pieces
    "_.stat_ms": ("{stat} {value} ms", "{stat} {value} ms"),
    "_.e2el_ttft": ("TTFT {ttft} ms", "TTFT {ttft} ms"),
    "_.e2el_estimate": ("TTFT {ttft} + {steps} x TPOT {tpot}", "TTFT {ttft} + {steps} × TPOT {tpot}"),
    "_.embedding_who": ("{name} ({details})", "{name}（{details}）"),
    # ---- serving cell: requests, tokens, imported text
    "missing_metrics": ("{have}: the cell was not measured or did not finish", "{have}：该用例未测试或未完成"),
    "missing_metrics.records": ("{records} raw records but no computed metrics", "有 {records} 条原始请求记录但没有计算出的指标"),
    "missing_metrics.none": ("no metrics and no raw records", "既无指标也无原始请求记录"),
    "failed_requests": (
        "{failed} of {sent} requests failed; only {completed} succeeded{first_error}",
        "{sent} 个请求中 {failed} 个失败，仅 {completed} 个成功{first_error}",
    ),
    "failed_requests.first_error": (" (first error: {error})", "（首个错误：{error}）"),
    "failed_requests.not_sent": ("only {sent} of {planned} planned requests were sent", "计划 {planned} 个请求，仅发出 {sent} 个"),
    "requested_length_unknown": (
        "the requested {which} is not recorded in {file}: the cell shows the mean per request "
        "({input_len} in / {output_len} out); re-import with --input-len/--output-len if they are known",
        "{file} 未记录所要求的{which}：本用例显示的是每个请求的平均值（输入 {input_len} / 输出 {output_len}）；"
        "如已知，请用 --input-len/--output-len 重新导入",
    ),
    "imported_block_cut": (
        "the block imported from {file} ends without its closing ruler: the text was cut short{last_line}; "
        "figures after the cut are missing and the last one may be incomplete",
        "从 {file} 导入的结果块缺少结尾分隔线：文本被截断{last_line}；截断之后的数值缺失，最后一个数值可能不完整",
    ),
    "imported_block_cut.last_line": (" (last line: {last})", "（最后一行：{last}）"),
    "output_tokens": (
        "generated {total} tokens, expected {output_len} x {completed} successful requests = {expected}{detail}{early}",
        "生成词元 {total} 个，应为 {output_len} × {completed} 个成功请求 = {expected}{detail}{early}",
    ),
    "output_tokens.off": (
        "; {off} of {ok} requests generated {span} tokens instead of {output_len}",
        "；{ok} 个请求中有 {off} 个生成 {span} 个词元而非 {output_len} 个",
    ),
    "output_tokens.average": (" ({average:.1f} per request on average)", "（平均每个请求 {average:.1f} 个）"),
    "output_tokens.early": (
        ": generation stopped early (EOS reached without ignore_eos?), so TPOT and TPS are not for the requested length",
        "：生成提前结束（未设 ignore_eos 而遇到 EOS？），TPOT 与 TPS 并非所要求输出长度下的数值",
    ),
    "input_tokens": (
        "prompt tokens total {total}, expected {input_len} x {completed} successful requests = {expected}",
        "输入词元合计 {total}，应为 {input_len} × {completed} 个成功请求 = {expected}",
    ),
    "input_tokens.per_request": (
        "{off} of {requests} requests had {span} prompt tokens ({origin}) instead of {input_len}{totals}",
        "{requests} 个请求中有 {off} 个的输入词元数为 {span}（{origin}）而非 {input_len}{totals}",
    ),
    "input_tokens.total": (
        "; total {total}, expected {input_len} x {completed} = {expected}",
        "；合计 {total}，应为 {input_len} × {completed} = {expected}",
    ),
    # ---- serving cell: the arithmetic of the figures
    "throughput_consistency": (
        "{name} {what} {value} {unit} but {count} / {duration} s = {exact} {unit}{implied}",
        "{what}{name} {value} {unit} 与 {count} ÷ {duration} s = {exact} {unit} 不符{implied}",
    ),
    "throughput_consistency.implied": (
        " (the {what} figure implies a duration of {implied:.2f} s)",
        "（该值对应的时长为 {implied:.2f} s）",
    ),
    "throughput_consistency.no_duration": (
        "benchmark duration {duration:g} s for {completed} successful requests: no throughput can be computed",
        "{completed} 个成功请求的测试时长为 {duration:g} s：无法计算吞吐",
    ),
    "metrics_recomputed": (
        "stored metrics differ from those recomputed from the {records} raw records (stored vs recomputed): {diffs}{more}",
        "保存的指标与由 {records} 条原始记录重新计算的结果不符（保存值 vs 重算值）：{diffs}{more}",
    ),
    "metrics_recomputed.count": ("{field} {stored} vs {recomputed}", "{field} {stored} vs {recomputed}"),
    "metrics_recomputed.value": ("{field} {stored:.4g} vs {recomputed:.4g}", "{field} {stored:.4g} vs {recomputed:.4g}"),
    "metrics_recomputed.more": ("; and {more} more", "；另有 {more} 项"),
    "percentile_order": ("{metric}: {pairs} (a higher percentile cannot be smaller)", "{metric}：{pairs}（高分位数不可能更小）"),
    "percentile_order.pair": ("{high} is below the {low}", "{high} 低于{low}"),
    "mean_consistency": ("{metric}: {problems}", "{metric}：{problems}"),
    "mean_consistency.outside": ("mean {mean} ms lies outside [min, max]", "均值 {mean} ms 不在 [最小值, 最大值] 范围内"),
    "mean_consistency.one": (
        "with 1 request mean, median and P99 must be equal but mean is {mean} ms and {others}",
        "仅 1 个请求时均值、中位数与 P99 应相等，但均值为 {mean} ms，{others}",
    ),
    "mean_consistency.two": (
        "with 2 requests the median equals the mean, but median is {median} ms and mean {mean} ms",
        "2 个请求时中位数应等于均值，但中位数为 {median} ms，均值为 {mean} ms",
    ),
    "mean_consistency.above_p99": (
        "mean {mean} ms is above P99 {p99} ms, impossible with {n} requests "
        "(for n <= 100 the P99 lies between the two largest values)",
        "均值 {mean} ms 高于 P99 {p99} ms，{n} 个请求时不可能出现（n ≤ 100 时 P99 位于最大的两个值之间）",
    ),
    "mean_consistency.outliers": (
        "mean {mean} ms is above P99 {p99} ms over {n} values: a few outliers dominate the mean",
        "{n} 个值的均值 {mean} ms 高于 P99 {p99} ms：少数离群值主导了均值",
    ),
    "latency_exceeds_duration": ("{metric} {stats} longer than the benchmark duration {duration} s", "{metric} {stats} 超过测试时长 {duration} s"),
    "latency_exceeds_duration.estimated": (
        "mean E2EL {estimate} = {e2el_ms:.2f} ms is longer than the benchmark duration {duration} s",
        "平均 E2EL {estimate} = {e2el_ms:.2f} ms 超过测试时长 {duration} s",
    ),
    "single_request_duration": (
        "the only request took {took:.2f} s ({how}) but the benchmark duration is {duration} s: {gap:.2f} s unaccounted for",
        "唯一的请求耗时 {took:.2f} s（{how}），而测试时长为 {duration} s：有 {gap:.2f} s 无从解释",
    ),
    # ---- serving cell: physical bounds
    "prefill_rate": (
        "mean TTFT {ttft_ms:.2f} ms for a {tokens:.0f}-token prompt means {rate:,.0f} prompt tokens/s "
        "({tokens:.0f} / {ttft_s:.5g} s){bound}",
        "平均 TTFT {ttft_ms:.2f} ms 意味着 {tokens:.0f} 词元输入的预填充速率为 {rate:,.0f} tok/s"
        "（{tokens:.0f} ÷ {ttft_s:.5g} s）{bound}",
    ),
    "prefill_rate.wave": (
        "mean TTFT {ttft_ms:.2f} ms for {n} concurrent {tokens:.0f}-token prompts needs at least {rate:,.0f} prompt tokens/s "
        "(({n} + 1) / 2 x {tokens:.0f} / {ttft_s:.5g} s){bound}",
        "平均 TTFT {ttft_ms:.2f} ms 意味着 {n} 个并发的 {tokens:.0f} 词元输入至少需要 {rate:,.0f} tok/s 的预填充速率"
        "（({n} + 1) ÷ 2 × {tokens:.0f} ÷ {ttft_s:.5g} s）{bound}",
    ),
    "prefill_rate.card": (
        ", above this card's physical bound {cap:,.0f} tokens/s (peak {peak} / (2 x {params_b:g} x 10^9 parameters))",
        "，超过该卡的物理上限 {cap:,.0f} tok/s（峰值算力 {peak} ÷ (2 × {params_b:g} × 10^9 个参数)）",
    ),
    "prefill_rate.generic": (", above the {cap:,.0f} tokens/s plausible on one card", "，超过单卡可能达到的 {cap:,.0f} tok/s"),
    "decode_rate": (
        "mean TPOT {tpot_ms:.2f} ms means {rate:,.1f} tokens/s per sequence, above this card's physical bound "
        "{cap:,.1f} tokens/s (bandwidth {bandwidth_gb:g} GB/s / ({params_b:g} x 10^9 parameters x {bytes:g} bytes))",
        "平均 TPOT {tpot_ms:.2f} ms 意味着每个序列 {rate:,.1f} tok/s，超过该卡的物理上限 {cap:,.1f} tok/s"
        "（显存带宽 {bandwidth_gb:g} GB/s ÷ ({params_b:g} × 10^9 个参数 × {bytes:g} 字节)）",
    ),
    # ---- serving cell: the load as applied
    "sample_count": (
        "only {completed} successful requests at batch size {batch} (want at least max({min_samples}, {rounds} x {batch}) "
        "= {need}): the P99 is an interpolation of the two slowest requests",
        "批大小 = {batch} 时仅有 {completed} 个成功请求（至少应为 max({min_samples}, {rounds} × {batch}) = {need}）："
        "P99 只是最慢两个请求之间的插值",
    ),
    "effective_concurrency": (
        "effective concurrency {concurrency:.2f} (sum of E2EL / duration) is far below the batch size {batch} "
        "(< {under} x {batch}): the client kept fewer requests in flight than intended",
        "有效并发 {concurrency:.2f}（ΣE2EL ÷ 测试时长）远低于批大小 {batch}（< {under} × {batch}）：客户端同时处理中的请求少于设定",
    ),
    "effective_concurrency.over": (
        "effective concurrency {concurrency:.2f} (sum of E2EL / duration) exceeds the batch size {batch}: "
        "the client did not cap requests in flight",
        "有效并发 {concurrency:.2f}（ΣE2EL ÷ 测试时长）超过批大小 {batch}：客户端没有限制同时处理中的请求数",
    ),
    "prefix_cache": (
        "the server's prefix cache hit {detail} during the cell: TTFT and throughput are flattered",
        "测试期间服务端前缀缓存命中{detail}：TTFT 与吞吐结果偏乐观",
    ),
    "prefix_cache.rate": (
        "{hits:.0f} of {queries:.0f} queried prompt tokens ({rate:.1%})",
        "查询的 {queries:.0f} 个输入词元中的 {hits:.0f} 个（{rate:.1%}）",
    ),
    "prefix_cache.tokens": ("{hits:.0f} prompt tokens", "{hits:.0f} 个输入词元"),
    "client_server_gap": ("client and server disagree on mean latency: {gaps}", "客户端与服务端统计的平均延迟不一致：{gaps}"),
    "client_server_gap.gap": ("{metric} client {client:.2f} ms vs server {server:.2f} ms", "{metric} 客户端 {client:.2f} ms，服务端 {server:.2f} ms"),
    "server_token_counts": (
        "the server counted different token totals during the cell: {gaps}",
        "测试期间服务端统计的词元总数与客户端不同：{gaps}",
    ),
    "server_token_counts.gap": ("{kind} tokens: server {server:.0f}, client {client}", "{kind}词元：服务端 {server:.0f}，客户端 {client}"),
    # ---- serving cell: the evidence behind the figures
    "percentile_samples": (
        "the P99 of {metrics} rests on {n} requests (want at least {want}): it is about the slowest request, "
        "not a 99th percentile",
        "{metrics} 的 P99 只基于 {n} 个请求（至少应为 {want} 个）：接近最慢请求的值，并非可靠的第 99 百分位",
    ),
    "stream_tokens": ("the stream contradicts the token counts (MLPerf TEST06): {problems}", "流式输出与词元计数不符（MLPerf TEST06）：{problems}"),
    "stream_tokens.no_first": (
        "{off} of {ok} answered requests ended without streaming a token",
        "{ok} 个有应答的请求中有 {off} 个未流式返回任何词元即结束",
    ),
    "stream_tokens.chunks": (
        "{off} of {ok} requests streamed more token chunks than the tokens the server reported ({chunks} chunks, usage {usage})",
        "{ok} 个请求中有 {off} 个收到的词元块多于服务端报告的词元数（{chunks} 个块，usage 为 {usage}）",
    ),
    "stream_tokens.over_max": (
        "{off} of {ok} requests generated {span} tokens, more than max_tokens = {max_tokens}: the server ignored the limit",
        "{ok} 个请求中有 {off} 个生成了 {span} 个词元，超过 max_tokens = {max_tokens}：服务端没有遵守输出上限",
    ),
    "answer_model": (
        "{off} of {ok} answered requests were answered by {named}, not by the requested {requested}",
        "{ok} 个有应答的请求中有 {off} 个由 {named} 应答，而非所请求的 {requested}",
    ),
    "stream_after_done": (
        "{off} of {ok} streams went on after [DONE] (up to {events} events; not counted)",
        "{ok} 个流式应答中有 {off} 个在 [DONE] 之后仍有数据（最多 {events} 个事件，未计入）",
    ),
    "steady_window": ("{problems}", "{problems}"),
    "steady_window.slowest": (
        "the slowest request took {slowest:.2f} s, {share:.0%} of the cell's {duration:.2f} s (want under a third{why}): "
        "the throughput includes the ramp-up and the drain, not a steady state",
        "最慢的请求耗时 {slowest:.2f} s，占用例时长 {duration:.2f} s 的 {share:.0%}（应少于三分之一{why}）："
        "吞吐包含了启动与收尾阶段，并非稳态数值",
    ),
    "steady_window.one_round": ("; each of the {batch} workers sent one request: the cell has no steady window",
                                "；{batch} 个并发各只发送了 1 个请求，用例没有稳态窗口"),
    "steady_window.few": ("; only {n} requests", "；只有 {n} 个请求"),
    "steady_window.no_warmup": (
        "no warm-up request before the timed window: the first requests include the server's cold start",
        "计时窗口之前没有预热请求：最先的请求包含了服务端的冷启动",
    ),
    # ---- derived values
    "throughput_sum": (
        "total token throughput {total} tok/s is not input {input} + output {output} = {sum} tok/s",
        "总吞吐 {total} tok/s 不等于输入吞吐 {input} + 输出吞吐 {output} = {sum} tok/s",
    ),
    # ---- serving: across the cells of a variant
    "ttft_batch_scaling": (
        "mean {metric} {value_ms:.2f} ms at batch {batch} is {ratio:.1f}x lower than {base_ms:.2f} ms at batch {base_batch} "
        "for the same {input_len}-token prompts (more concurrent prompts cannot be prefilled faster than one)",
        "批大小 {base_batch} 的平均 {metric} {base_ms:.2f} ms 是批大小 {batch} 的 {value_ms:.2f} ms 的 {ratio:.1f} 倍"
        "（输入同为 {input_len} 词元）：多个并发输入的预填充不可能比单个输入更快",
    ),
    "tpot_batch_scaling": (
        "mean {metric} {value_ms:.2f} ms at batch {batch} is {ratio:.1f}x lower than {base_ms:.2f} ms at batch {base_batch} "
        "for the same {input_len}-token prompts (a decode step for more sequences reads the same weights, "
        "so the time per token cannot fall below batch 1's)",
        "批大小 {base_batch} 的平均 {metric} {base_ms:.2f} ms 是批大小 {batch} 的 {value_ms:.2f} ms 的 {ratio:.1f} 倍"
        "（输入同为 {input_len} 词元）：多个序列的一步解码读取同样的权重，每个词元的时间不可能低于批大小 1",
    ),
    "duplicate_cell": (
        "a second cell for batch {batch}, {input_len} in / {output_len} out: the summary cannot tell them apart",
        "批大小 {batch}、输入 {input_len} / 输出 {output_len} 出现第二个用例：汇总表无法区分两者",
    ),
    "repeat_cv": ("{repeats} repeats disagree: {metrics} (above {limit:.0%})", "{repeats} 次重复测试结果不一致：{metrics}（超过 {limit:.0%}）"),
    "repeat_cv.metric": ("{metric} CV {cv:.1%}", "{metric} 变异系数 {cv:.1%}"),
    # ---- open loop
    "open_loop_rate": (
        "achieved arrival rate {achieved:.3g} req/s is {shortfall:.1%} below the target {target:g} req/s "
        "(the client could not keep the schedule: the server saw a lighter load)",
        "实际到达率 {achieved:.3g} 请求/秒，比目标 {target:g} 请求/秒低 {shortfall:.1%}（客户端未能按计划发送，服务端承受的负载低于设定）",
    ),
    "open_loop_lateness": (
        "requests left up to {p99:.1f} ms (P99) after their scheduled arrival times (limit {limit:g} ms): "
        "the client was too busy to keep the arrival process",
        "请求实际发出时间比计划到达时间晚 {p99:.1f} ms（P99，上限 {limit:g} ms）：客户端过忙，未能保持到达过程",
    ),
    "open_loop_overload": (
        "overloaded: the server completed only {served:.2f} requests/s of the {offered:g} offered (arrivals achieved "
        "{achieved:.2f}/s); through the run TTFT rose from {ttft_first:.0f} ms to {ttft_last:.0f} ms and the requests in "
        "flight from {queue_first:.1f} to {queue_last:.1f}: the latencies grow with the run's length, they are not those "
        "of a load of {offered:g} requests/s",
        "过载：服务端每秒只完成 {served:.2f} 个请求（目标到达率 {offered:g} 请求/秒，实际到达率 {achieved:.2f} 请求/秒）；"
        "运行期间 TTFT 从 {ttft_first:.0f} ms 升至 {ttft_last:.0f} ms，处理中的请求从 {queue_first:.1f} 个增至 "
        "{queue_last:.1f} 个：延迟随运行时长增长，并非 {offered:g} 请求/秒负载下的数值",
    ),
    # ---- telemetry
    "telemetry_coverage": (
        "card power readings span only {coverage:.0%} of the {window} s timed window (want at least {want:.0%}): "
        "average power and energy hold the first/last reading over the rest",
        "加速卡功耗读数仅覆盖 {window} s 计时窗口的 {coverage:.0%}（至少应为 {want:.0%}）：其余时间按首个/最后一个读数估算平均功耗与能耗",
    ),
    "telemetry_coverage.ticks": (
        "card telemetry sampled only {ticks} time(s) during the {window} s timed window: "
        "fewer than 2 power readings per device, no power or energy figures",
        "计时窗口 {window} s 内加速卡遥测仅采样 {ticks} 次：每个设备的功耗读数少于 2 个，无法给出功耗与能耗",
    ),
    "telemetry_out_of_range": (
        "{count} telemetry reading(s) outside physical ranges were left out of the power and energy figures: "
        "{examples}{ceiling}",
        "{count} 个超出物理范围的遥测读数已从功耗与能耗数值中排除：{examples}{ceiling}",
    ),
    "telemetry_out_of_range.inside": (
        "{count} telemetry reading(s) outside physical ranges are inside the cell's power and energy figures: "
        "{examples}{ceiling}",
        "{count} 个超出物理范围的遥测读数计入了本用例的功耗与能耗数值：{examples}{ceiling}",
    ),
    "telemetry_out_of_range.example": (
        "{name} {value} {unit} on device {device} (outside {low:g} to {high:g} {unit})",
        "设备 {device} 的{name} {value} {unit}（超出 {low:g}～{high:g} {unit}）",
    ),
    "telemetry_out_of_range.ceiling_tdp": (
        " (power ceiling {ceiling:g} W = {multiple:g} x the card's TDP)", "（功耗上限 {ceiling:g} W，即 TDP 的 {multiple:g} 倍）",
    ),
    "telemetry_out_of_range.ceiling": (" (power ceiling {ceiling:g} W)", "（功耗上限 {ceiling:g} W）"),
    "energy_recomputed": ("power/energy figures differ from the telemetry samples: {diffs}", "功耗与能耗数值与遥测采样不符：{diffs}"),
    "energy_recomputed.diff": ("{field} stored {stored}, recomputed {recomputed}", "{field} 保存值 {stored}，重新计算 {recomputed}"),
    "energy_recomputed.no_telemetry": (
        "the cell has power/energy figures but no telemetry series they could come from",
        "该用例有功耗与能耗数值，却没有可供计算的遥测采样",
    ),
    "peak_temperature": (
        "peak card temperature {peak:g} C reached {what} ({limit:g} C): the card may have throttled during the cell",
        "峰值温度 {peak:g} °C 达到{what}（{limit:g} °C）：测试期间加速卡可能降频",
    ),
    # ---- accuracy
    "accuracy_consistency": ("{benchmark}: {problems}", "{benchmark}：{problems}"),
    "accuracy_consistency.range": ("{what} {value:g} is outside [0, 1]", "{what} {value:g} 不在 [0, 1] 范围内"),
    "accuracy_consistency.correct": ("correct {correct} is not within [0, n = {n}]", "答对数 {correct} 不在 [0, n = {n}] 范围内"),
    "accuracy_consistency.score": (
        "score {score:.4f} but correct / n = {correct} / {n} = {ratio:.4f}",
        "得分 {score:.4f} 与答对数 ÷ 样本数 = {correct} ÷ {n} = {ratio:.4f} 不符",
    ),
    "accuracy_consistency.samples": ("{scored} scored samples recorded but n = {n}", "记录了 {scored} 个已评分样本，但 n = {n}"),
    "accuracy_consistency.samples_correct": (
        "{right} samples marked correct but correct = {correct}",
        "{right} 个样本标为答对，但答对数 correct = {correct}",
    ),
    "accuracy_consistency.subsets": ("subsets hold {total} items but n = {n}", "各子集合计 {total} 题，但 n = {n}"),
    "accuracy_consistency.subsets_correct": ("subsets have {total} correct but correct = {correct}", "各子集答对合计 {total}，但 correct = {correct}"),
    "accuracy_incomplete": ("{benchmark}: only {n} of {planned} planned samples were scored", "{benchmark}：计划 {planned} 个样本，仅 {n} 个完成评分"),
    "accuracy_reference_gap": (
        "{benchmark} {score:.2f}% is {points:.2f} points {direction} the published {published:.2f}% ({source}); "
        "prompts, shots and answer extraction differ between harnesses (this run: {settings})",
        "{benchmark} {score:.2f}% 比官方公布的 {published:.2f}%（{source}）{direction} {points:.2f} 个百分点；"
        "不同评测框架的提示词、shot 数与答案抽取方式不同（本次{settings}）",
    ),
    "accuracy_reference_gap.mode": ("mode {mode}", "评分口径：{mode}"),
    "accuracy_reference_gap.shots": ("{shots}-shot", "{shots}-shot"),
    "accuracy_reference_gap.split": ("split {split}", "数据划分 {split}"),
    # the one bbh ceiling of the document (section 4 says the same: 37.46%, 2439/6511) and one percent format
    "bbh_bracket_bug": (
        "bbh {score:.2f}% {lead}: llmuses 0.4.x keeps the gold labels of the {mc} multiple-choice items (of {total}) "
        "as '(A)' so they never match, which caps the score at {ceiling:.2f}% ({ceiling_items}/{items}): "
        "not a model accuracy (rerun in corrected mode)",
        "bbh {score:.2f}% {lead}：该评测程序（llmuses 0.4）将 {total} 题中 {mc} 道多选题的标准答案保留为“(A)”，永远无法匹配，"
        "得分上限为 {ceiling:.2f}%（{ceiling_items}/{items}）：不代表模型能力，须以修正版口径重新评测",
    ),
    "bbh_bracket_bug.swift2024": ("was scored in swift2024 mode", "按 swift 原版口径评分"),
    "bbh_bracket_bug.ceiling": ("has no recorded scoring mode and is under the swift2024 ceiling",
                                "未注明评分口径，且不高于 swift 原版口径的得分上限"),
    "accuracy_precision_gap": (
        "{benchmark} {score:.2f}% is {points:.2f} points {direction} {base}'s {base_score:.2f}%{modes}",
        "{benchmark} {score:.2f}% 比 {base} 的 {base_score:.2f}% {direction} {points:.2f} 个百分点{modes}",
    ),
    "accuracy_precision_gap.modes": (
        "; the runs used different scoring modes ({mode} vs {base_mode})",
        "；两次评测的评分口径不同（{mode} vs {base_mode}）",
    ),
    "accuracy_unparsed": (
        "{benchmark}: {unparsed} of {n} answers ({share:.1%}) could not be parsed{consequence}",
        "{benchmark}：{n} 个回答中 {unparsed} 个（{share:.1%}）无法解析出答案{consequence}",
    ),
    "accuracy_unparsed.undecidable": (
        ": the score measures the answers' format, not the model (above {limit:.0%}: undecidable)",
        "：得分反映的是回答的格式而非模型能力（超过 {limit:.0%}，无法判定）",
    ),
    "accuracy_chance": ("{benchmark}: {why}: the model gave no answer that could be scored", "{benchmark}：{why}：模型未给出可判分的回答"),
    "accuracy_chance.zero": ("0 of {n} answers correct", "{n} 题全部答错（得分 0）"),
    "accuracy_chance.chance": (
        "{score:.2f}% is at or below the {chance:.0f}% of guessing among {options} options",
        "得分 {score:.2f}% 不高于在 {options} 个选项中随机作答的 {chance:.0f}%",
    ),
    "accuracy_same_questions": (
        "{benchmark}: {label} and {base} answered different questions ({n} and {base_n} scored; the question sets differ): "
        "the comparison is not like-for-like",
        "{benchmark}：{label} 与 {base} 回答的题目不同（分别评分 {n} 题与 {base_n} 题，题目集合不同）：两者的比较不是同题对比",
    ),
    "accuracy_sample_count": (
        "{benchmarks}: no sample count recorded: the scores carry no confidence interval",
        "{benchmarks}：未记录样本数，得分无法给出置信区间",
    ),
    # ---- functional check
    "functional_failed": ("functional check failed: {why}", "功能测试未通过：{why}"),
    "functional_failed.error": ("the request failed ({error})", "请求出错（{error}）"),
    "functional_failed.empty": ("the answer is empty", "返回内容为空"),
    "functional_failed.empty_tokens": (
        "the answer is empty (it generated {tokens} tokens that decode to no text)",
        "返回内容为空（生成了 {tokens} 个词元，解码后没有文字）",
    ),
    "functional_failed.finish": ("it ended with finish_reason {reason}", "结束原因为 {reason}"),
    # ---- variant identity
    "same_deployment": (
        "{label} and {other} are one deployment: {evidence}; no speedup or accuracy difference between them is a result",
        "{label} 与 {other} 是同一个部署：{evidence}；两者之间的加速比与精度差异都不是测试结果",
    ),
    "same_deployment.command": (
        "the same launch command (model {path}, dtype {dtype}, quantisation {quant})",
        "启动命令相同（模型 {path}，dtype {dtype}，量化方式 {quant}）",
    ),
    "same_deployment.attached": ("the same server {url} serving {model}{root}{start}", "同一服务端 {url} 上的同一模型 {model}{root}{start}"),
    "same_deployment.root": (" (root {root})", "（root 为 {root}）"),
    "same_deployment.start": (", its process started at the same time ({start})", "，服务进程的启动时间相同（{start}）"),
    "same_deployment.start_unknown": (
        ", and /metrics gives no process start time that could tell two runs apart",
        "，且 /metrics 未给出可区分两次运行的进程启动时间",
    ),
    "quantization_label": (
        "the label {label} claims {claim} but {evidence}: the deployment shows no such quantisation",
        "标签 {label} 声称 {claim}，但{evidence}：部署中看不到这种量化",
    ),
    "quantization_label.command_none": ("the launch command has no --quantization", "启动命令没有 --quantization"),
    "quantization_label.command_other": ("the launch command says --quantization {quant}", "启动命令为 --quantization {quant}"),
    "quantization_label.dtype": ("it runs --dtype {dtype}", "以 --dtype {dtype} 运行"),
    "quantization_label.config_none": ("the served model's config.json has no quantization_config",
                                       "所服务模型的 config.json 没有 quantization_config"),
    "quantization_label.config_other": ("the served model's config.json says {quant}", "所服务模型的 config.json 为 {quant}"),
    "quantization_label.path": ("the model {path} names none", "模型 {path} 的名称中也没有量化标记"),
    # ---- embedding and reranker
    "embedding_error": ("{who}: the check did not complete: {error}", "{who}：测试未完成：“{error}”"),
    "embedding_reference": (
        "{who}: reference check failed{metric}{worst}{reference}{detail}",
        "{who}：对照检查未通过{metric}{worst}{reference}{detail}",
    ),
    "embedding_reference.metric": (": {metric} {value:.6f}{threshold}", "：{metric} {value:.6f}{threshold}"),
    "embedding_reference.worst": (
        "; {bad} of {items} items out of tolerance, worst {item}",
        "；{items} 项中 {bad} 项超出阈值，最差为{item}",
    ),
    "embedding_reference.cosine": ("{label!r} cosine {value:.6f}", "“{label}”余弦相似度 {value:.6f}"),
    "embedding_reference.score": ("{label!r} scored {value:.4f}, reference {expected:.4f}", "“{label}”得分 {value:.4f}，参照 {expected:.4f}"),
    "embedding_reference.reference": (" (reference: {reference})", "（参照：{reference}）"),
    "embedding_reference.detail": ("; {notes}", "；{notes}"),
    "embedding_warning": ("{who}: {warning}", "{who}：{warning}"),
    **RUN_MESSAGES,
}
