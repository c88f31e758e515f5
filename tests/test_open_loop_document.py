"""Open-loop cells (a request-rate sweep, a gamma burstiness) beside closed-loop ones: each cell is
named by its load wherever the document names it, the gamma shape is part of the cell's key, the
batch-size charts and the operating point stay closed-loop."""

from __future__ import annotations

import re

from reportgen.metrics import serving_metrics
from reportgen.report.charts import serving_lines
from reportgen.report.markdown import render_markdown
from reportgen.results import CellKey, ModelVariant, RequestRecord, Results, ServingCell
from reportgen.validity import check_results


def _cell(batch: int, rate: float | None = None, burstiness: float | None = None, n: int = 8) -> ServingCell:
    recs = []
    for i in range(n):
        t0 = 0.1 * i
        times = [t0 + 0.05 + k * 0.01 for k in range(16)]
        recs.append(RequestRecord(index=i, start_s=t0, first_token_s=times[0], end_s=times[-1], chunk_times_s=times,
                                  completion_tokens=16, prompt_tokens=32))
    duration = max(r.end_s for r in recs)
    cell = ServingCell(batch_size=batch, input_len=32, output_len=16, request_rate=rate, burstiness=burstiness,
                       num_requests=n, rounds=1, requests=recs, duration_s=duration)
    cell.metrics = serving_metrics(recs, duration)
    return cell


def _results() -> Results:
    cells = [_cell(1), _cell(2), _cell(8, rate=1.0, burstiness=1.0), _cell(8, rate=2.0, burstiness=1.0),
             _cell(8, rate=2.0, burstiness=0.5)]
    return Results(variants=[ModelVariant(label="FP16", precision="FP16", serving=cells)])


def test_burstiness_other_than_poisson_is_another_cell() -> None:
    a, b, c = (x.key for x in _results().variants[0].serving[2:])
    assert a.burstiness is None and b.burstiness is None  # Poisson keeps the key it always had
    assert c.burstiness == 0.5 and c != b and c.case() != b.case()
    assert CellKey(batch_size=1, input_len=32, output_len=16, burstiness=None) == _results().variants[0].serving[0].key
    assert not [f for f in check_results(_results()) if f.check == "duplicate_cell"]


def test_every_cell_is_named_by_its_load() -> None:
    md = render_markdown(_results(), source="open-loop.json")
    s34 = md.split("### 3.4", 1)[1].split("\n### ", 1)[0]
    labels = [m.group(1) for m in re.finditer(r"^\| (FP16 · [^|]+?) \|", s34, flags=re.M)]
    # an open-loop row is named by the rate offered, then what was achieved (issue 18)
    achieved = "（实际完成 8.89 请求/秒，平均并发 1.78）"
    assert labels == ["FP16 · 批大小 1", "FP16 · 批大小 2", f"FP16 · 1 请求/秒{achieved}", f"FP16 · 2 请求/秒{achieved}",
                      f"FP16 · 2 请求/秒（突发度 0.5）{achieved}"], labels
    assert "批大小 8" not in md.split("## 附录", 1)[0]  # an open-loop cell's batch size is its request count
    conclusion = md.split("## 结论", 1)[1].split("\n## ", 1)[0]
    point = re.search(r"\| 推荐工作点 \| ([^|]+) \|", conclusion)
    assert point and point.group(1).startswith("批大小 2"), point  # the operating point is a closed-loop one


def test_batch_size_charts_draw_closed_loop_cells_only() -> None:
    lines = serving_lines(_results(), lambda m: m.output_throughput)
    assert [(label, [mark.key.batch_size for mark in marks]) for label, marks in lines] == [("FP16", [1, 2])]
