"""The message table's rows for the runs beyond the matrix: consistency with a reference card,
the frontier's power figures and soak runs (``message_table.MESSAGES`` holds them with the rest)."""

from __future__ import annotations

RUN_MESSAGES: dict[str, tuple[str, str]] = {
    # ---- consistency with a reference card
    "consistency_reference": ("not compared with the reference: {why}", "不与参考比较：{why}"),
    "consistency_reference.prompt_set": (
        "the prompts sent (set {sent}) are not the reference's (set {reference})",
        "发送的提示词集（{sent}）与参考的提示词集（{reference}）不同",
    ),
    "consistency_reference.model": (
        "the reference is of model {reference}, this variant of {card}",
        "参考的模型为 {reference}，本精度的模型为 {card}",
    ),
    "consistency_reference.tokenizer": (
        "the card's server tokenized every prompt differently from the reference's (another tokenizer)",
        "被测卡的服务端对全部提示词的分词结果都与参考不同（分词器不同）",
    ),
    "consistency_coverage": (
        "{what}: {failed} of {prompts} prompts failed ({share:.0%}; first: {first})",
        "{what}中 {prompts} 个提示词有 {failed} 个请求失败（{share:.0%}；首个：“{first}”）",
    ),
    "consistency_coverage.reference": ("the comparison with the reference", "与参考的比较"),
    "consistency_coverage.batch": ("the batch-invariance pass (batch size {batch_size})", "批次不变性测试（批大小 {batch_size}）"),
    "consistency_template": (
        "{bad} of {asked} prompts were templated into other tokens than the reference's (first: {first}): "
        "the chat template differs; the comparison used the reference's tokens",
        "{asked} 个提示词中有 {bad} 个经被测卡服务端的对话模板处理后与参考的词元不同（首个：{first}）："
        "对话模板不一致；比较使用的是参考的词元",
    ),
    "consistency_evidence": ("{why}", "{why}"),
    "consistency_evidence.stopped": ("the consistency run stopped early: {error}", "一致性测试提前停止：“{error}”"),
    "consistency_evidence.few": (
        "the verdict rests on {prompts} prompts (fewer than {minimum})", "判定只基于 {prompts} 个提示词（少于 {minimum} 个）"),
    "consistency_evidence.no_teacher_forcing": (
        "the server offered no teacher forcing (prompt_logprobs, echo): top-1 and KL cover the common prefix only",
        "服务端不支持教师强制（prompt_logprobs、echo）：top-1 一致率与 KL 只覆盖共同前缀",
    ),
    "consistency_evidence.bounded": (
        "{bounded} of {positions} KL positions ({share:.0%}) use an upper bound of the card's probability "
        "(a reference top-k token outside the card's list): the mean KL is an estimate",
        "{positions} 个位置中有 {bounded} 个（{share:.0%}）的 KL 使用了被测卡概率的上界"
        "（参考的前 k 个词元不在被测卡的列表中）：平均 KL 为估计值",
    ),
    "consistency_evidence.flat": (
        "the reference's top-{k} tokens hold {mass:.1%} of the probability on average (below {minimum:.0%}): the rest "
        "is one KL bin, so the mean KL is a loose lower bound; read top-1 agreement and |Δ logprob|",
        "参考前 {k} 个词元平均只占 {mass:.1%} 的概率（低于 {minimum:.0%}）：其余词元合为一项，平均 KL 是很松的下界，"
        "应以 top-1 一致率与对数概率差为准",
    ),
    # ---- the frontier's power, soak runs (reportgen/validity/frontier.py)
    "power_validity": (
        "power readings more than {intervals:g} sampling intervals apart in {n} cell(s) (sampling_gap_exceeded): {cells}; "
        "their power is left out of J/token",
        "{n} 个用例的功耗读数间隔超过 {intervals:g} 个采样周期（sampling_gap_exceeded）：{cells}；其功耗不用于每词元能耗",
    ),
    "power_validity.mismatch": (
        "power read from another number of devices than the {cards} card(s) the server used (expected_card_count_mismatch) "
        "in {n} cell(s): {cells}; their power is left out of J/token",
        "{n} 个用例的功耗来自的设备数与服务所用的 {cards} 张卡不符（expected_card_count_mismatch）：{cells}；其功耗不用于每词元能耗",
    ),
    "power_validity.closed": ("batch {batch}", "批大小 {batch}"),
    "power_validity.open": ("{rate:g} req/s", "{rate:g} 请求/秒"),
    "power_validity.probe": ("capacity probe {cell}", "容量探测 {cell}"),
    "power_validity.gap": ("{cell} ({gap:.1f} s)", "{cell}（{gap:.1f} s）"),
    "power_validity.devices": ("{cell} ({devices} devices)", "{cell}（{devices} 个设备）"),
    "soak_drift": (
        "soak run {run}: mean TPOT drifts {change:+.1%} over the run ({slope:+.6g} ms/h, 95% interval {low:+.6g} to "
        "{high:+.6g}; limit {limit:.0%})",
        "稳定性测试 {run}：平均 TPOT 在测试期间漂移 {change:+.1%}（每小时 {slope:+.6g} ms，95% 置信区间 {low:+.6g} 至 "
        "{high:+.6g}；上限 {limit:.0%}）",
    ),
    "soak_drift.throughput": (
        "soak run {run}: output throughput drifts {change:+.1%} over the run ({slope:+.6g} tok/s/h, 95% interval "
        "{low:+.6g} to {high:+.6g}; limit {limit:.0%})",
        "稳定性测试 {run}：输出吞吐在测试期间漂移 {change:+.1%}（每小时 {slope:+.6g} tok/s，95% 置信区间 {low:+.6g} 至 "
        "{high:+.6g}；上限 {limit:.0%}）",
    ),
    "soak_errors": (
        "soak run {run}: {failed} of {requests} requests failed ({rate:.2%}; in windows {windows}); first error: {error}",
        "稳定性测试 {run}：{requests} 个请求中 {failed} 个失败（{rate:.2%}；出现在第 {windows} 个窗口）；首个错误：{error}",
    ),
    "soak_errors.window": ("{first}", "{first}"),
    "soak_errors.windows": ("{first}–{last}", "{first}–{last}"),
    "soak_throttling": (
        "soak run {run}: the card throttled in {windows} window(s) (lowest clock {low:.0f} MHz of {high:.0f}; hottest "
        "{hottest:g} C), where mean TPOT was {ratio:.2f}x the other windows'",
        "稳定性测试 {run}：加速卡在 {windows} 个窗口中降频（最低频率 {low:.0f} MHz，最高 {high:.0f} MHz；最高温度 {hottest:g} °C），"
        "这些窗口的平均 TPOT 为其余窗口的 {ratio:.2f} 倍",
    ),
    "soak_restart": (
        "soak run {run}: the server process restarted (its start time changed before window(s) {windows})",
        "稳定性测试 {run}：服务进程曾重启（进程启动时间在第 {windows} 个窗口前发生变化）",
    ),
    "soak_incomplete": ("soak run {run}: measured {done:.0f} s of the planned {plan:.0f} s", "稳定性测试 {run}：计划 {plan:.0f} s，仅测得 {done:.0f} s"),
    "soak_incomplete.unfinished": (
        "soak run {run}: measured {done:.0f} s of the planned {plan:.0f} s (unfinished: continue it with --resume)",
        "稳定性测试 {run}：计划 {plan:.0f} s，仅测得 {done:.0f} s（未完成：可用 --resume 继续）",
    ),
    "soak_window_length": (
        "soak run {run}: the median request takes {median:.1f} s, more than a third of the {window:g} s window: a "
        "window's throughput moves with whole requests (use longer windows)",
        "稳定性测试 {run}：请求端到端延迟中位数 {median:.1f} s，超过 {window:g} s 窗口的三分之一：窗口吞吐随整请求跳动（应加长窗口）",
    ),
}
