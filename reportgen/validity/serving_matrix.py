"""Serving rules across the cells of one variant: how latency scales with the batch size,
duplicate cells, repeats that disagree."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.repeats import cases, repeat_stat
from reportgen.results import CellKey, ModelVariant, ServingCell
from reportgen.validity.messages import Say, Term, items, say
from reportgen.validity.numbers import get
from reportgen.validity.registry import Issue, Source, rule
from reportgen.validity.serving_bounds import PREFILL_REMEDY

#: Batch-1 TTFT / larger-batch TTFT at or above: error; at or above the warning ratio: warning.
TTFT_BATCH_ERROR_RATIO = 3.0
TTFT_BATCH_WARN_RATIO = 1.5
#: Batch-1 TPOT / larger-batch TPOT at or above: error; at or above the warning ratio: warning.
TPOT_BATCH_ERROR_RATIO = 2.0
TPOT_BATCH_WARN_RATIO = 1.5
#: Repeats of one case: coefficient of variation above this -> warning.
REPEAT_CV_MAX = 0.05

_METRIC_NAMES = {"ttft": "TTFT", "tpot": "TPOT"}


def _with_metrics(v: ModelVariant) -> dict[int, list[ServingCell]]:
    """Cells with metrics, grouped by input length, each list sorted by batch size."""
    groups: dict[int, list[ServingCell]] = {}
    for c in v.serving:
        if c.metrics is not None:
            groups.setdefault(c.input_len, []).append(c)
    return {k: sorted(cs, key=lambda c: (c.batch_size, c.output_len)) for k, cs in groups.items()}


def _batch_scaling(v: ModelVariant, code: str, metric: str, error_ratio: float, warn_ratio: float) -> Iterator[Issue]:
    for input_len, cells in _with_metrics(v).items():
        base = cells[0]
        base_val = get(base.metrics, f"{metric}_ms.mean")
        if not base_val or base_val <= 0:
            continue
        for c in cells[1:]:
            val = get(c.metrics, f"{metric}_ms.mean")
            if c.batch_size <= base.batch_size or not val or val <= 0:
                continue
            ratio = base_val / val
            if ratio >= warn_ratio:
                yield Issue(
                    "error" if ratio >= error_ratio else "warning",
                    say(code, metric=_METRIC_NAMES[metric], value_ms=val, batch=c.batch_size, ratio=ratio,
                        base_ms=base_val, base_batch=base.batch_size, input_len=input_len),
                    cell=c,
                )


@rule(
    "ttft_batch_scaling", family="serving", scope="variant", severity="error or warning",
    description="same variant and input length: batch-1 TTFT / larger-batch TTFT >= 3 -> error, >= 1.5 -> warning",
    source=Source("ours", "more concurrent prompts cannot be prefilled faster than one; 1.5 allows for a "
                          "noisy machine, 3 does not"),
    remedy=PREFILL_REMEDY,
    title_zh="同一精度、同一输入长度下，批大小增大时 TTFT 不应成倍下降",
)
def _ttft_batch_scaling(v: ModelVariant) -> Iterator[Issue]:
    yield from _batch_scaling(v, "ttft_batch_scaling", "ttft", TTFT_BATCH_ERROR_RATIO, TTFT_BATCH_WARN_RATIO)


@rule(
    "tpot_batch_scaling", family="serving", scope="variant", severity="error or warning",
    description="same variant and input length: batch-1 TPOT / larger-batch TPOT >= 2 -> error, >= 1.5 -> warning "
                "(a bigger decode step reads the same weights)",
    source=Source("ours", "a decode step for more sequences reads the same weights, so its time per token "
                          "cannot fall below batch 1's; 1.5 allows for a noisy machine, 2 does not"),
    remedy=("re-run, and check each cell's concurrency setting", "重测，并核对每个用例的并发数设置"),
    title_zh="同一精度、同一输入长度下，批大小增大时 TPOT 不应成倍下降",
)
def _tpot_batch_scaling(v: ModelVariant) -> Iterator[Issue]:
    yield from _batch_scaling(v, "tpot_batch_scaling", "tpot", TPOT_BATCH_ERROR_RATIO, TPOT_BATCH_WARN_RATIO)


@rule(
    "duplicate_cell", family="serving", scope="variant", severity="error",
    description="two cells with the same key (batch size, lengths, request rate, dataset, repeat) in one variant -> error",
    source=Source("ours", "the summary, the charts and the comparisons name a cell by its key"),
    remedy=("remove one of the two cells, or give the repeat its own number (--repeats)",
            "删除其中一个用例，或为重复测试编号（--repeats）"),
    title_zh="同一精度下不应有重复的测试用例",
)
def _duplicate_cell(v: ModelVariant) -> Iterator[Issue]:
    seen: set[CellKey] = set()
    for c in v.serving:
        key = c.key  # a request-rate sweep or repeats are different cells, not duplicates
        if key in seen:
            yield Issue("error", say("duplicate_cell", batch=c.batch_size, input_len=c.input_len, output_len=c.output_len),
                        cell=c)
        seen.add(key)


_REPEAT_METRICS = (
    ("output_throughput", Term("output throughput", "输出吞吐")),
    ("ttft_ms.mean", Term("mean TTFT", "平均 TTFT")),
    ("tpot_ms.mean", Term("mean TPOT", "平均 TPOT")),
)


def _metric(c: ServingCell, path: str) -> float | None:
    obj: object = c.metrics
    for part in path.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj if isinstance(obj, (int, float)) else None


@rule(
    "repeat_cv", family="serving", scope="variant", severity="warning",
    description="repeats of one case: coefficient of variation of output throughput, mean TTFT or mean TPOT above 5 % -> warning",
    source=Source("ours", "a figure printed to two digits should not move by more than 5 % between runs of one case"),
    remedy=("re-run the repeats on an idle machine; report the mean with its interval",
            "在空闲的机器上重新进行重复测试，以均值及其置信区间为准"),
    title_zh="同一用例多次重复测试的变异系数不应超过 5%",
)
def _repeat_cv(v: ModelVariant) -> Iterator[Issue]:
    for group in cases(v).values():
        measured = [c for c in group if c.metrics is not None]
        if len(measured) < 2:
            continue
        bad: list[Say] = []
        for path, name in _REPEAT_METRICS:
            values = [x for c in measured if (x := _metric(c, path)) is not None]
            st = repeat_stat(values)
            if st is not None and st.cv is not None and st.cv > REPEAT_CV_MAX:
                bad.append(say("repeat_cv.metric", metric=name, cv=st.cv))
        if bad:
            yield Issue("warning", say("repeat_cv", repeats=len(measured), metrics=items(bad), limit=REPEAT_CV_MAX),
                        cell=measured[0])
