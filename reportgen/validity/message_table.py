"""The findings' message table: row -> (English, Chinese) templates (``reportgen.validity.messages``).

A row is keyed by its rule's code, or by the code and a variant of the message (a second finding
the rule can give, an optional clause, a part of a list); ``_.`` rows are shared by several rules.
Placeholders are the evidence values (``str.format``: ``{ttft_ms:.2f}``); both templates of a row
use the same ones (a test checks it).
"""

from __future__ import annotations

from reportgen.validity.message_table_serving import SERVING_MESSAGES

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- shared pieces
    "_.stat_ms": ("{stat} {value} ms", "{stat} {value} ms"),
    "_.e2el_ttft": ("TTFT {ttft} ms", "TTFT {ttft} ms"),
    "_.e2el_estimate": ("TTFT {ttft} + {steps} x TPOT {tpot}", "TTFT {ttft} + {steps} × TPOT {tpot}"),
    "_.embedding_who": ("{name} ({details})", "{name}（{details}）"),
    **SERVING_MESSAGES,  # serving cells, derived values, streams, open loops (message_table_serving)
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
        "应以 top-1 一致率与 |Δ logprob| 为准",
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
