"""The document's terms: one Chinese term per metric, its abbreviation, what it means and how it
is computed. The glossary appendix lists only the terms the rest of the document uses
(``used_terms``); templates, charts and messages use the same words (``FORBIDDEN`` lists the
variants a test keeps out of every rendered text).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    key: str  # how the text writes it (an abbreviation or the term); the row is kept when this occurs
    name: str  # 指标 column: abbreviation (unit) or the Chinese term
    meaning: str  # the Chinese term (with the abbreviation's expansion once)
    how: str  # how it is computed


TERMS: tuple[Term, ...] = (
    Term("批大小", "批大小", "同时发出的请求数（并发数）", "闭环测试中任一时刻在处理中的请求数上限"),
    Term("TTFT", "TTFT (ms)", "首词元延迟（Time To First Token）",
         "第一个携带生成词元的数据块到达时间 − 请求发出时间"),
    Term("TPOT", "TPOT (ms)", "每输出词元时间（Time Per Output Token，不含首词元）",
         "(E2EL − TTFT) ÷ (输出词元数 − 1)，逐请求计算，仅统计输出词元数大于 1 的请求"),
    Term("ITL", "ITL (ms)", "词元间隔时间（Inter-Token Latency）", "相邻两个数据块到达时间之差，汇总所有请求的全部间隔后统计"),
    Term("E2EL", "E2EL (ms)", "端到端延迟（End-to-End Latency）", "最后一个携带生成词元的数据块到达时间 − 请求发出时间"),
    Term("测试时长", "测试时长 (s)", "计时窗口", "第一个请求发出到最后一个请求结束"),
    Term("请求吞吐", "请求吞吐 (req/s)", "每秒完成的请求数", "成功请求数 ÷ 测试时长"),
    Term("输入吞吐", "输入吞吐 (tok/s)", "每秒处理的输入词元数", "输入词元总数 ÷ 测试时长"),
    Term("TPS", "TPS (tok/s)", "输出吞吐（Tokens Per Second）",
         "输出词元总数 ÷ 测试时长，输出词元数取服务端报告的生成词元数"),
    Term("总吞吐", "总吞吐 (tok/s)", "每秒处理的输入与输出词元数", "(输入词元总数 + 输出词元总数) ÷ 测试时长"),
    Term("有效并发", "有效并发", "测试期间平均同时在处理的请求数", "各请求 E2EL 之和 ÷ 测试时长"),
    Term("预填充吞吐", "预填充吞吐 (tok/s)", "处理输入（预填充）的速率", "平均输入词元数 ÷ 平均 TTFT（批大小为 1 时即输入长度 ÷ TTFT）"),
    Term("P99", "均值、中位数、P90、P99", "统计量", "对逐请求数值计算；百分位采用线性插值，标准差为总体标准差"),
    Term("加速比", "加速比", "量化版本相对 FP16 的输出吞吐之比", "量化版本 TPS ÷ 同一批大小与输入、输出长度下 FP16（或 BF16）版本的 TPS"),
    Term("平均功耗", "平均功耗 (W)", "用例期间加速卡的平均总功耗", "能耗 ÷ 测试时长：各设备功耗之和的时间加权平均"),
    Term("峰值功耗", "峰值功耗 (W)", "用例期间加速卡的最大总功耗", "各设备功耗曲线之和在计时窗口内的最大值"),
    Term("峰值温度", "峰值温度 (°C)", "用例期间最高的设备温度", "所有设备全部温度读数的最大值"),
    Term("能耗", "能耗 (J)", "用例期间加速卡消耗的电能",
         "每个设备的功耗读数按时间线性插值（梯形法），在计时窗口上积分，再对设备求和；功耗读数少于 2 个的设备不计入并注明"),
    Term("J/token", "每输出词元能耗 (J/token)", "生成一个输出词元的能耗", "能耗 ÷ 输出词元总数"),
    Term("交互性", "交互性 (tok/s/用户)", "每个用户看到的输出速度", "1000 ÷ 用例的 TPOT 中位数（ms）"),
    Term("每卡输出吞吐", "每卡输出吞吐 (tok/s)", "一张卡承担的输出吞吐",
         "TPS ÷ 服务所用卡数（每卡总吞吐：输入与输出词元总数 ÷ 测试时长 ÷ 卡数）"),
    Term("性能前沿", "性能前沿", "同一精度、同一输入/输出长度下，没有其他有效用例在交互性与每卡吞吐上同时更好的用例",
         "帕累托最优点；点间用 Steffen 单调三次样条插值，只在测得的交互性范围内读取，范围外为「不可达」"),
    Term("漂移", "漂移", "稳定性测试中指标随时间的变化",
         "各窗口数值对时间的最小二乘斜率及其 95% 置信区间（按残差自相关折算有效窗口数），区间含 0 为「无显著漂移」"),
    Term("得分", "精度得分", "答对题数占评测题数的百分比", "所有题目的平均（micro 平均），以百分比表示、保留两位小数"),
    Term("降幅", "降幅（百分点）", "量化版本得分比 FP16 低多少", "FP16 得分 − 量化版本得分"),
    Term("95% 区间", "95% 区间", "随机误差", "两次得分之差的 95% 置信区间半宽：1.96 × √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)"),
    Term("有效", "有效 / 存疑 / 无效", "每个性能用例的判定",
         "无效：有错误级别的检查结果，数值不能使用；存疑：只有警告；有效：没有检查结果。同一判定用于表格、图表与结论"),
)

#: Variants of the document's terms that must not occur in any rendered text.
FORBIDDEN: tuple[str, ...] = ("首词元时延", "每输出词元时延", "端到端时延", "batch size", "tokens/s", "首词元时间")


def used_terms(text: str) -> list[Term]:
    """The terms whose key occurs in ``text`` (the document without its glossary)."""
    return [t for t in TERMS if t.key in text]
