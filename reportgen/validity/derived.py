"""Derived-value rules: a figure computed from others must agree with them. (The marks that
carry an input's doubt into every value computed from it are the views' part: a finding names
the columns it puts in doubt, ``reportgen.verdicts.causes.doubtful_columns``.)"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import say
from reportgen.validity.numbers import eps, num, was_printed
from reportgen.validity.registry import Issue, Source, rule

#: total = input + output throughput: off by more than this (beyond the printed rounding) -> error.
THROUGHPUT_SUM_REL = 0.01


@rule(
    "throughput_sum", family="derived", scope="cell", severity="error",
    description="total token throughput must equal input + output token throughput (within the printed rounding "
                "and 1 %) -> error",
    source=Source("vLLM", "vLLM's total token throughput is (input + output tokens) / duration: the sum of the "
                          "other two over the same duration"),
    remedy=("re-run and keep the raw output; compute the throughputs from the token counts and the duration",
            "重测并保存原始输出；吞吐由词元数与测试时长重新计算"),
    title_zh="总吞吐应等于输入吞吐与输出吞吐之和",
)
def _throughput_sum(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or m.completed == 0:
        return
    keys = ("total_token_throughput", "input_throughput", "output_throughput")
    if not all(was_printed(cell, k) for k in keys):
        return
    total, inp, out = (num(cell, k, getattr(m, k)) for k in keys)
    if total is None or inp is None or out is None or total.value <= 0:
        return
    expect = inp.value + out.value
    tol = total.half + inp.half + out.half + THROUGHPUT_SUM_REL * expect + eps(expect)
    if abs(total.value - expect) > tol:
        yield Issue("error", say("throughput_sum", total=total.text, input=inp.text, output=out.text, sum=f"{expect:.2f}"))
