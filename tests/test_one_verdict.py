"""One verdict per cell: collect's table, validate, summary, the 3.4 table, the charts and the
conclusion read one list of findings through ``cell_status``; a clean cell beside a spoiled
one stays VALID."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _clean_run import clean_cell, fail_one_cut_one, refresh, run_one_at_a_time
from click.testing import CliRunner

from collectors.serving.progress import summary_table
from reportgen.cli import cli
from reportgen.report.charts import SERVING_SERIES, serving_lines
from reportgen.report.view import STATUS_ZH, build_view
from reportgen.results import Results, ServingCell, load_results, save_results
from reportgen.validity import cell_status, check_results
from reportgen.verdicts.conclusion import conclusion_verdicts

REPO = Path(__file__).resolve().parent.parent
Cell = tuple[str, int, int, int, float | None]  # variant, batch size, input, output, request rate
SEED = REPO / "samples" / "seed-bi150.json"


def _load(c: ServingCell) -> str:
    """How 3.4 names a cell's load: 「批大小 8」, an open loop 「2 请求/秒」."""
    return f"批大小 {c.batch_size}" if c.request_rate is None else f"{c.request_rate:g} 请求/秒"


def _table_status(results: Results) -> dict[Cell, str]:
    """(label, batch, input, output, rate) -> the status word in 3.4's 有效性 column."""
    view = build_view(results, findings=check_results(results))
    table = view.serving.summary
    assert table is not None
    col = table.headers.index("有效性")
    cells = [(v, c) for v in results.variants for c in sorted(v.serving, key=lambda c: (c.input_len, c.output_len, c.batch_size))]
    assert len(cells) == len(table.rows)
    out = {}
    for (v, c), row in zip(cells, table.rows, strict=True):
        assert row[0].startswith(f"{v.label} · {_load(c)}")
        out[(v.label, c.batch_size, c.input_len, c.output_len, c.request_rate)] = row[col][:2]
    return out


def _chart_status(results: Results) -> dict[Cell, set[str]]:
    findings = check_results(results)
    seen: dict[Cell, set[str]] = {}
    for _, _, value in SERVING_SERIES.values():
        for _, marks in serving_lines(results, value, findings):
            for m in marks:
                k = m.key
                seen.setdefault((m.label, k.batch_size, k.input_len, k.output_len, k.request_rate), set()).add(STATUS_ZH[m.status])
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
    assert table[("FP16", 2, 8192, 256, None)] == "有效" and table[("FP16", 2, 8192, 128, None)] == "无效"
    charts = _chart_status(results)
    assert charts[("FP16", 2, 8192, 256, None)] == {"有效"} and charts[("FP16", 2, 8192, 128, None)] == {"无效"}


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


# --------------------------------------------------------------------------- one answer everywhere

def _faster_decode(cell: ServingCell, factor: float) -> ServingCell:
    """Every timed request decodes ``factor`` x faster than the clean run (a genuine, recomputed
    TPOT below batch 1's: tpot_batch_scaling)."""
    for i, r in enumerate(cell.requests):
        if r.warmup or r.first_token_s is None:
            continue
        chunks = [r.first_token_s + (t - r.first_token_s) / factor for t in r.chunk_times_s]
        cell.requests[i] = r.model_copy(update={"chunk_times_s": chunks, "end_s": chunks[-1]})
    return refresh(cell)


def _every_kind_of_cell() -> Results:
    """Cells that are clean, doubtful for each of the reasons collect's old table missed
    (sample_count, effective_concurrency, client_server_gap, tpot_batch_scaling) and invalid."""
    results = Results()
    fp16 = results.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    gap = clean_cell(1, n=8)
    assert gap.server_metrics is not None
    gap.server_metrics.ttft_mean_ms = 100.0  # the client saw 500 ms
    fp16.serving = [gap, _faster_decode(clean_cell(2), 1.6), run_one_at_a_time(clean_cell(4, n=8)), clean_cell(8, n=8)]
    int4 = results.variant("GPTQ-Int4", model="Qwen2-7B-Instruct", precision="int4", quantization="gptq")
    int4.serving = [clean_cell(1), fail_one_cut_one(clean_cell(2))]
    return results


_WORD = {"有效": "VALID", "存疑": "WARNING", "无效": "INVALID"}


def _collect_table(results: Results) -> dict[Cell, str]:
    """collect's (and bench's) final table: the status its check column gives each measured cell."""
    lines = summary_table(results.variants, check_results(results)).splitlines()
    head = re.split(r"\s{2,}", lines[0])
    out = {}
    for line in lines[2:]:
        row = dict(zip(head, re.split(r"\s{2,}", line), strict=True))
        check = row["check"]
        rate = float(row["rate/s"]) if row.get("rate/s", "-") != "-" else None
        batch = int(row["bs"]) if row["bs"] != "-" else 0  # an open loop: no cap on requests in flight
        out[(row["variant"], batch, int(row["in"]), int(row["out"]), rate)] = "VALID" if check == "ok" else check.split(":")[0]
    return out


def _validate(path: Path) -> dict[Cell, str]:
    """validate --json: the worst severity among each cell's findings."""
    out = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert out.exit_code in (0, 1), out.output
    worst: dict[Cell, str] = {}
    for f in json.loads(out.stdout):
        if f["cell"] is None or f["severity"] == "note":  # a note marks a figure, the cell stays VALID
            continue
        c = (f["precision"], f["cell"]["batch_size"], f["cell"]["input_len"], f["cell"]["output_len"], f["cell"]["request_rate"])
        worst[c] = "INVALID" if f["severity"] == "error" or worst.get(c) == "INVALID" else "WARNING"
    return worst


def _summary(path: Path) -> dict[Cell, str]:
    out = CliRunner().invoke(cli, ["summary", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    return {(r["precision"], r["batch_size"], r["input_len"], r["output_len"], r["request_rate"]): r["valid"]
            for r in json.loads(out.stdout)}


def _conclusion(results: Results) -> dict[Cell, str]:
    """The 结论's performance verdict: which cells it counts as valid, doubtful, invalid."""
    out = {}
    for vv in conclusion_verdicts(results, check_results(results)).variants:
        for status, cells in (("VALID", vv.performance.valid), ("WARNING", vv.performance.doubtful),
                              ("INVALID", vv.performance.invalid)):
            for c in cells:
                out[(vv.variant.label, c.batch_size, c.input_len, c.output_len, c.request_rate)] = status
    return out


def agree(results: Results, tmp_path: Path) -> dict[Cell, str]:
    """Saved and read back: collect's (and bench's) table, validate, summary, 3.4, the charts and
    the 结论 give every cell one status; returns it (summary's)."""
    path = save_results(results, tmp_path / "agree.json")
    results = load_results(path)
    summary = _summary(path)
    cells = set(summary)
    validate = {c: _validate(path).get(c, "VALID") for c in cells}
    document = {c: _WORD[w] for c, w in _table_status(results).items()}
    charts = {c: {_WORD[w] for w in ws} for c, ws in _chart_status(results).items()}
    assert document == summary == validate == _conclusion(results)
    assert all(ws == {summary[c]} for c, ws in charts.items())
    measured = {(v.label, c.batch_size, c.input_len, c.output_len, c.request_rate) for v in results.variants for c in v.serving
                if c.source == "measured"}
    table = _collect_table(results)
    assert set(table) == measured and table == {c: summary[c] for c in measured}
    no_pass_on_failed_evidence(results)
    return summary


def no_pass_on_failed_evidence(results: Results) -> None:
    """The 结论 never says 可用 or 通过 on evidence a rule failed: a usable verdict has no error or
    warning under it (a note marks a figure, it fails nothing)."""
    findings = [f for f in check_results(results) if f.severity != "note"]
    c = conclusion_verdicts(results, check_results(results))
    for vv in c.variants:
        label = vv.variant.label
        if vv.performance.outcome.state == "usable":
            assert not [f for f in findings if f.precision == label and f.cell is not None], label
            assert not [f for f in findings if f.precision == label and f.check in ("functional_failed", "same_deployment")]
        if vv.accuracy.outcome.state == "usable" and vv.accuracy.rows:
            for row in vv.accuracy.rows:
                if row.verdict == "通过":
                    assert not [f for f in findings if f.benchmark == row.benchmark and f.check.startswith("accuracy_")
                                and f.check != "accuracy_precision_gap" or f.benchmark == row.benchmark
                                and f.check == "accuracy_precision_gap" and f.precision == label], (label, row.benchmark)
        if vv.functional.outcome.state == "usable":
            assert not [f for f in findings if f.precision == label and f.check == "functional_failed"]


@pytest.mark.parametrize("name", ["every_kind", "seed", "live", "degenerate"])
def test_collect_validate_summary_and_the_document_give_every_cell_one_status(name: str, tmp_path: Path) -> None:
    if name == "degenerate":  # every rule of issue 18 on one file (tests/test_findings_zh.py)
        from test_findings_zh import _degenerate

        results = _degenerate()
    elif name == "every_kind":
        results = _every_kind_of_cell()
    else:
        results = load_results(SEED if name == "seed" else REPO / "samples" / "live-cpu.json")
    summary = agree(results, tmp_path)
    table = _collect_table(load_results(save_results(results, tmp_path / "r.json")))
    if name == "every_kind":
        codes = {f.check for f in check_results(results)}
        assert {"sample_count", "effective_concurrency", "client_server_gap", "tpot_batch_scaling"} <= codes
        assert set(summary.values()) == {"VALID", "WARNING", "INVALID"}
        assert table[("FP16", 8, 8192, 256, None)] == "WARNING"  # sample_count: the old table said "ok"
        assert "WARNING: sample_count" in summary_table(results.variants, check_results(results))
    if name == "seed":
        assert not table  # imported cells: collect measured none of them
    if name == "degenerate":
        codes = {f.check for f in check_results(results) if f.cell is not None}
        assert {"open_loop_overload", "stream_tokens", "steady_window", "throughput_sum", "percentile_samples"} <= codes
        assert summary[("FP16", 0, 8, 2, 40.0)] == "INVALID"  # overloaded
        # power read with a gap: power_validity (a variant's finding) keeps it out of J/token, not the cell
        assert summary[("FP16", 1, 8192, 256, None)] == "VALID"
        assert "power_validity" in {f.check for f in check_results(results)}
        assert summary[("GPTQ-Int4", 1, 8192, 256, None)] == "VALID"  # only a note: a P99 of 8 requests
