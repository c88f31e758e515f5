"""How the comparison document words one value: ratios, cells, operating points, scores.

Shared by the sections of ``reportgen.compare.view``; formats numbers with
``reportgen.report.formatting`` (the evaluation document's formats).
"""

from __future__ import annotations

from reportgen.compare.base import Ratio, Source
from reportgen.compare.matching import CaseKey
from reportgen.compare.model import Comparison, Point, Summary
from reportgen.compare.side_by_side import AccDelta, AccPoint
from reportgen.report import formatting as fmt
from reportgen.variant_roles import MODE_ZH
from reportgen.verdicts.states import STATUS_ZH

NO_PARTNER = "无对照用例"

REASON_ZH = {
    "no_partner": NO_PARTNER,
    "invalid_base": "无效（基准卡用例无效，不计算）",
    "invalid_other": "无效（本卡用例无效，不计算）",
    "missing": fmt.missing("not_collected"),
}
ACC_REASON_ZH = {
    "no_partner": "无对照结果",
    "model": "不可比（模型不同）",
    "mode": "不可比（评分口径不同）",
    "samples": "不可比（样本数不同）",
    "missing": fmt.missing("not_collected"),
}
METRIC_ZH = {
    "output_tps": "输出吞吐 TPS",
    "ttft_mean_ms": "TTFT 均值",
    "tpot_mean_ms": "TPOT 均值",
    "ttft_p99_ms": "TTFT P99",
    "tpot_p99_ms": "TPOT P99",
    "tokens_per_joule": "每焦耳输出词元数",
    "tps_per_tdp_w": "每瓦 TDP 输出吞吐",
}
BETTER = {True: "大于 1 更好", False: "小于 1 更好"}

def source_label(s: Source, c: Comparison) -> str:
    return f"{s.label}（基准）" if s.index == c.baseline else s.label


def ratio_text(r: Ratio) -> str:
    if r.value is None:
        return REASON_ZH.get(r.reason or "missing", fmt.missing("not_collected"))
    text = fmt.ratio(r.value)
    if r.interval is not None:  # repeats on both sides: how sure the ratio is
        low, high = r.interval
        text += f"（95% 区间 {fmt.ratio(low)}～{fmt.ratio(high)}" + ("，差异不显著）" if r.within_noise else "）")
    return text + ("（存疑）" if r.doubtful else "")


def summary_text(s: Summary) -> str:
    if s.geomean is None:
        return "无可比用例"
    text = fmt.ratio(s.geomean)
    if s.n > 1:
        text += f"（{s.n} 个用例，{fmt.ratio(s.low)}～{fmt.ratio(s.high)}）"
    else:
        text += "（1 个用例）"
    if s.doubtful:
        text += f"；其中 {s.doubtful} 个存疑"
    return text


def _load(k: CaseKey) -> str:
    """The load as the evaluation document names a cell (``formatting.cell_name``)."""
    return f"批大小 {k.batch_size}" if k.request_rate is None else f"{fmt.compact(k.request_rate)} 请求/秒"


def case_line(k: CaseKey) -> str:
    text = f"{_load(k)}；输入 {k.input_len} / 输出 {k.output_len} 词元"
    return text + (f"；数据集 {k.dataset}" if k.dataset != "random" else "")


def case_text(k: CaseKey) -> str:
    text = f"{_load(k)}\n输入 {k.input_len} / 输出 {k.output_len} 词元"
    if k.dataset != "random":
        text += f"\n数据集 {k.dataset}"
    return text


def status_text(p: Point) -> str:
    text = STATUS_ZH[p.status]
    if p.repeats > 1:
        text += f"（{p.repeats} 次重复，计入 {p.used} 次）"
    return text


def value_text(p: Point, name: str) -> str:
    value = p.values.get(name)
    if name == "output_tps":
        return fmt.tok_s(value)
    if name == "tokens_per_joule":
        return fmt.number(value, 3)
    if name == "tps_per_tdp_w":
        return fmt.number(value, 3)
    return fmt.ms(value)

def acc_point_text(p: AccPoint | None) -> str:
    if p is None:
        return "未评测"
    a = p.result
    text = fmt.percent(a.score)
    if p.interval is not None:
        text += f"\n95% 区间 {p.interval[0] * 100:.2f}～{p.interval[1] * 100:.2f}"
    n = f"{a.correct}/{a.n}" if a.n is not None and a.correct is not None else (f"n={a.n}" if a.n is not None else "样本数未记录")
    text += f"\n{n}；{MODE_ZH.get(a.mode, a.mode)}"
    return text


def acc_delta_text(d: AccDelta | None) -> str:
    if d is None:
        return "基准"
    if d.value is None:
        return ACC_REASON_ZH.get(d.reason or "missing", "—")
    text = f"{fmt.points(d.value)} 百分点"
    if d.interval is not None:
        text += f"\n95% 区间 {fmt.points(d.interval[0])}～{fmt.points(d.interval[1])}"
    else:
        text += "\n（样本数未记录，无区间）"
    return text
