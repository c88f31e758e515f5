"""One verdict per cell: the 3.4 table, the charts and the conclusion read one list of
findings through ``cell_status``; a clean cell beside a spoiled one stays VALID."""

from __future__ import annotations

from pathlib import Path

from _clean_run import clean_cell, fail_one_cut_one

from reportgen.report.charts import SERVING_SERIES, serving_lines
from reportgen.report.view import STATUS_ZH, build_view
from reportgen.results import Results, load_results
from reportgen.validity import cell_status, check_results

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed-bi150.json"


def _table_status(results: Results) -> dict[tuple[str, int, int, int], str]:
    """(label, batch, input, output) -> the status word in 3.4's 有效性 column."""
    view = build_view(results, findings=check_results(results))
    table = view.serving.summary
    assert table is not None
    col = table.headers.index("有效性")
    cells = [(v, c) for v in results.variants for c in sorted(v.serving, key=lambda c: (c.input_len, c.output_len, c.batch_size))]
    assert len(cells) == len(table.rows)
    out = {}
    for (v, c), row in zip(cells, table.rows, strict=True):
        assert row[0].startswith(f"{v.label} · 批大小 {c.batch_size}")
        out[(v.label, c.batch_size, c.input_len, c.output_len)] = row[col][:2]
    return out


def _chart_status(results: Results) -> dict[tuple[str, int, int, int], set[str]]:
    findings = check_results(results)
    seen: dict[tuple[str, int, int, int], set[str]] = {}
    for _, _, value in SERVING_SERIES.values():
        for _, marks in serving_lines(results, value, findings):
            for m in marks:
                seen.setdefault((m.label, m.key.batch_size, m.key.input_len, m.key.output_len), set()).add(STATUS_ZH[m.status])
    return seen


def test_every_chart_mark_of_the_seed_equals_its_table_status() -> None:
    results = load_results(SEED)
    table = _table_status(results)
    charts = _chart_status(results)
    assert set(charts) == set(table) and len(table) == 8
    for key, words in charts.items():
        assert words == {table[key]}, key
    assert set(table.values()) == {"无效"}  # every seed cell has an error finding


def test_every_chart_mark_of_the_live_sample_equals_its_table_status() -> None:
    results = load_results(REPO / "samples" / "live-cpu.json")
    table = _table_status(results)
    charts = _chart_status(results)
    assert set(charts) == set(table) and len(table) >= 6
    for key, words in charts.items():
        assert words == {table[key]}, key


def test_clean_cell_beside_a_spoiled_one_with_another_output_length_stays_valid() -> None:
    results = Results()
    v = results.variant("FP16")
    v.serving = [clean_cell(2, output_len=256), fail_one_cut_one(clean_cell(2, output_len=128))]
    findings = check_results(results)
    clean, spoiled = v.serving
    assert cell_status(findings, "FP16", clean.key) == "VALID"
    assert cell_status(findings, "FP16", spoiled.key) == "INVALID"
    table = _table_status(results)
    assert table[("FP16", 2, 8192, 256)] == "有效" and table[("FP16", 2, 8192, 128)] == "无效"
    charts = _chart_status(results)
    assert charts[("FP16", 2, 8192, 256)] == {"有效"} and charts[("FP16", 2, 8192, 128)] == {"无效"}


def test_derived_figures_from_an_invalid_cell_are_not_plain_numbers() -> None:
    results = load_results(SEED)
    table = build_view(results).serving.summary
    assert table is not None
    prefill = table.headers.index("预填充吞吐 (tok/s)")
    speed = next(i for i, h in enumerate(table.headers) if h.startswith("加速比"))
    for row in table.rows:
        assert row[prefill] == "—（无效）"
        assert row[speed] in ("基准", "—（无效）")
    assert "109562.66" not in build_view(results).serving.summary_notes[0]
