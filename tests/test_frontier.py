"""The performance frontier (reportgen/frontier.py): Steffen's spline, the Pareto set, reading it at
an interactivity level (「不可达」 outside the measured range), J/token and cost as reciprocals of the
interpolated throughput, power validity with reason codes, per-card figures, the document section
and compare's overlay. Figures are checked against values computed by hand here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.execution import ReplayHost
from collectors.hardware.telemetry import TelemetrySampler
from reportgen.cli import cli
from reportgen.compare import compare
from reportgen.compare.frontier import compare_frontier_chart, compare_frontier_table, frontier_lines
from reportgen.energy import recompute
from reportgen.frontier import (
    CardCount,
    Frontier,
    FrontierPoint,
    frontier_levels,
    frontiers,
    pareto,
    read_at,
    steffen,
    variant_cards,
)
from reportgen.metrics import serving_metrics
from reportgen.report.markdown import render_markdown
from reportgen.results import (
    CellKey,
    FrontierSettings,
    ModelVariant,
    RequestRecord,
    Results,
    ServingCell,
    TelemetrySample,
    TelemetrySeries,
    load_results,
)
from reportgen.validity import check_results
from reportgen.validity.frontier import power_problems

REPO = Path(__file__).resolve().parent.parent
LIVE = REPO / "samples" / "live-cpu.json"


# --------------------------------------------------------------------------- Steffen's spline


def test_steffen_two_points_is_the_line_and_refuses_to_extrapolate() -> None:
    f = steffen([1.0, 3.0], [10.0, 4.0])
    assert f(1.0) == 10.0 and f(3.0) == 4.0
    assert f(2.0) == pytest.approx(7.0)
    with pytest.raises(ValueError, match="outside the measured range"):
        f(3.5)
    with pytest.raises(ValueError, match="strictly increasing"):
        steffen([1.0, 1.0], [1.0, 2.0])


def test_steffen_by_hand_on_three_points() -> None:
    # x = 0, 1, 3; y = 0, 2, 3: slopes s0 = 2, s1 = 0.5, h0 = 1, h1 = 2.
    # interior: p1 = (2·2 + 0.5·1) / 3 = 1.5; y1' = 2 · min(2, 0.5, 0.75) = 1.0
    # left end: p0 = 2 (1 + 1/3) − 0.5 · 1/3 = 2.5 (same sign as s0, |p0| <= 2|s0|): y0' = 2.5
    # on [0, 1]: a = (2.5 + 1 − 4) / 1 = −0.5, b = (6 − 5 − 1) / 1 = 0 -> y(0.5) = −0.0625 + 1.25 = 1.1875
    f = steffen([0.0, 1.0, 3.0], [0.0, 2.0, 3.0])
    assert f(0.5) == pytest.approx(1.1875)
    for x, y in ((0.0, 0.0), (1.0, 2.0), (3.0, 3.0)):
        assert f(x) == pytest.approx(y)


def test_steffen_is_monotone_and_never_overshoots() -> None:
    xs = [90.0, 110.0, 150.0, 160.0, 170.0, 240.0, 340.0, 410.0, 430.0]
    ys = [2510.0, 2400.0, 2390.0, 2350.0, 2200.0, 1600.0, 1150.0, 725.0, 390.0]  # a real frontier's shape
    f = steffen(xs, ys)
    grid = [xs[0] + (xs[-1] - xs[0]) * i / 2000 for i in range(2001)]
    vals = [f(x) for x in grid]
    assert all(b <= a + 1e-9 for a, b in zip(vals, vals[1:])), "the curve must fall where the points fall"
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        inside = [v for x, v in zip(grid, vals) if x0 <= x <= x1]
        assert min(inside) >= min(y0, y1) - 1e-9 and max(inside) <= max(y0, y1) + 1e-9


# --------------------------------------------------------------------------- Pareto set and reading


def _pt(x: float, y: float, status: str = "VALID", power: float | None = None, problems: tuple[str, ...] = ()) -> FrontierPoint:
    return FrontierPoint(label="FP16", key=CellKey(batch_size=int(x), input_len=1, output_len=1), origin="matrix",
                         interactivity=x, output_per_card=y, total_per_card=2 * y, status=status,  # type: ignore[arg-type]
                         power_per_card_w=power, power_problems=problems)


def test_pareto_keeps_the_points_nothing_beats_on_both_axes() -> None:
    pts = [_pt(10, 100), _pt(20, 90), _pt(15, 80), _pt(20, 50), _pt(30, 40), _pt(5, 95)]
    hull = pareto(pts, "output")
    assert [(p.interactivity, p.output_per_card) for p in hull] == [(10, 100), (20, 90), (30, 40)]


def _frontier(points: list[FrontierPoint]) -> Frontier:
    return Frontier("FP16", "m", (1, 1, "random"), CardCount(1, "recorded"), "output", points,
                    pareto([p for p in points if p.status == "VALID"], "output"))


def test_read_at_gives_the_spline_inside_and_unreachable_outside() -> None:
    fr = _frontier([_pt(100, 600.0, power=300.0), _pt(200, 500.0, power=250.0), _pt(300, 300.0, power=200.0),
                    _pt(250, 700.0, status="INVALID")])
    assert [p.interactivity for p in fr.hull] == [100, 200, 300]  # the invalid point never enters
    above, below = read_at(fr, 301.0), read_at(fr, 99.0)
    assert (above.throughput, above.reason) == (None, "above_range")
    assert (below.throughput, below.reason) == (None, "below_range")
    at = read_at(fr, 200.0, price=10.0)  # a measured point: its own values
    assert at.throughput == pytest.approx(500.0)
    assert at.joules_per_token == pytest.approx(250.0 / 500.0)
    assert at.cost_per_mtok == pytest.approx(10.0 / (3600 * 500.0) * 1e6)
    mid = read_at(fr, 150.0, price=10.0)
    y = steffen([100, 200, 300], [600.0, 500.0, 300.0])(150.0)
    assert mid.throughput == pytest.approx(y)
    # J/token: the power joined linearly between the neighbours, divided by the interpolated throughput
    assert mid.power_per_card_w == pytest.approx(275.0)
    assert mid.joules_per_token == pytest.approx(275.0 / y)
    assert mid.cost_per_mtok == pytest.approx(10.0 / (3600 * y) * 1e6)


def test_energy_needs_valid_power_on_both_neighbours() -> None:
    fr = _frontier([_pt(100, 600.0, power=300.0), _pt(200, 500.0, problems=("sampling_gap_exceeded",))])
    iso = read_at(fr, 150.0)
    assert iso.throughput is not None and iso.joules_per_token is None
    assert iso.energy_problems == ("sampling_gap_exceeded",)


# --------------------------------------------------------------------------- cells -> frontiers


def _cell(batch: int, tpot_s: float, *, n: int = 4, in_len: int = 100, out_len: int = 11) -> ServingCell:
    recs = []
    for i in range(n):
        s = i * 0.01
        recs.append(RequestRecord(index=i, start_s=s, first_token_s=s + 0.1, end_s=s + 0.1 + tpot_s * (out_len - 1),
                                  prompt_tokens=in_len, completion_tokens=out_len, expected_prompt_tokens=in_len))
    dur = max(r.end_s for r in recs if r.end_s)  # type: ignore[type-var]
    c = ServingCell(batch_size=batch, input_len=in_len, output_len=out_len, requests=recs, duration_s=dur)
    c.metrics = serving_metrics(recs, dur)
    return c


def test_frontier_of_a_results_file_per_card_and_by_status() -> None:
    v = ModelVariant(label="FP16", model="Qwen2-7B-Instruct", cards=2)
    v.serving = [_cell(1, 0.010), _cell(2, 0.020), _cell(4, 0.040)]
    r = Results(variants=[v])
    (fr,) = frontiers(r)
    assert fr.cards == CardCount(2, "recorded")
    for p, c in zip(sorted(fr.points, key=lambda p: p.key.batch_size), v.serving):
        assert c.metrics is not None
        assert p.interactivity == pytest.approx(1000.0 / c.metrics.tpot_ms.median)
        assert p.output_per_card == pytest.approx(c.metrics.output_throughput / 2)
        assert p.total_per_card == pytest.approx(c.metrics.total_token_throughput / 2)
    # the defaults: 1000 / MLPerf's Llama3.1-8B TPOT limits (100 and 30 ms) for a 7B model
    lv = frontier_levels(r)
    assert lv.values == pytest.approx([10.0, 1000 / 30]) and "Llama3.1-8B" in lv.source_zh


def test_cards_from_a_vllm_launch_command() -> None:
    v = ModelVariant(label="A")
    v.server.launch_command = "vllm serve /m --tensor-parallel-size 2 -pp=2 --port 8000"
    c = variant_cards(v)
    assert (c.n, c.source) == (4, "launch_command") and "张量并行 2" in c.detail
    assert variant_cards(ModelVariant(label="B")).source == "unknown"


# --------------------------------------------------------------------------- power validity


def _dropping_host(drop: range) -> ReplayHost:
    """nvidia-smi answering every tick except a run of dropped ones (exit 9, as NVML errors do)."""
    calls = {"n": 0}

    def answer(c: str) -> tuple[int, str]:
        calls["n"] += 1
        if calls["n"] - 1 in drop:
            return (9, "NVML: Unknown Error")
        return (0, "0, 200.00, 60, 90, 1000, 1980\n")

    return ReplayHost(fallback=answer)


def _sampled_cell(drop: range, seconds: float = 1.2, interval: float = 0.1) -> ServingCell:
    import time

    sampler = TelemetrySampler(_dropping_host(drop), tool="nvidia-smi", interval_s=interval)
    sampler.start("serving:test")
    time.sleep(seconds)
    series = sampler.stop()
    c = _cell(1, 0.01)
    c.duration_s = seconds
    c.telemetry = series
    c.energy = recompute(c)
    return c


def _gap(c: ServingCell) -> float:
    """The largest distance between readings (and the window's ends), read off the samples."""
    ts = sorted(s.t_s for s in c.telemetry.samples if s.power_w is not None)  # type: ignore[union-attr]
    edges = [0.0, *[t for t in ts if t <= (c.duration_s or 0.0)], c.duration_s or 0.0]
    return max(b - a for a, b in zip(edges, edges[1:]))


def test_a_telemetry_source_that_drops_samples_makes_the_power_invalid() -> None:
    gap = _sampled_cell(range(2, 9))  # 7 ticks of 0.1 s lost in the middle
    assert gap.telemetry is not None and gap.telemetry.errors == 7
    assert _gap(gap) >= 0.7 and "sampling_gap_exceeded" in power_problems(gap, 1)
    whole = _sampled_cell(range(0))
    assert whole.telemetry is not None and whole.telemetry.errors == 0
    # nothing dropped: valid unless this machine starved the sampler thread for 3 intervals (then it is right to say so)
    assert ("sampling_gap_exceeded" in power_problems(whole, 1)) == (_gap(whole) > 3 * 0.1)
    assert "expected_card_count_mismatch" in power_problems(whole, 2)  # one device sampled, two cards used
    assert "expected_card_count_mismatch" not in power_problems(whole, 1)
    assert all(s.clock_mhz == 1980.0 for s in whole.telemetry.samples)


def test_power_validity_finding_names_cells_and_keeps_their_status() -> None:
    v = ModelVariant(label="FP16", cards=1)
    c = _cell(1, 0.01)
    c.duration_s = 10.0
    c.telemetry = TelemetrySeries(stage="s", tool="nvidia-smi", interval_s=1.0, samples=[
        TelemetrySample(t_s=t, device=0, power_w=200.0) for t in (0.0, 1.0, 2.0, 8.0, 9.0, 10.0)])
    c.energy = recompute(c)
    v.serving = [c]
    findings = check_results(Results(variants=[v]))
    mine = [f for f in findings if f.check == "power_validity"]
    assert len(mine) == 1 and mine[0].cell is None and "sampling_gap_exceeded" in mine[0].message
    assert "批大小 1（6.0 s）" in (mine[0].message_zh or "")


# --------------------------------------------------------------------------- the document and compare


def test_the_live_sample_renders_its_frontier(tmp_path: Path) -> None:
    r = load_results(LIVE)
    md = render_markdown(r)
    assert "### 3\\.6 性能前沿" in md
    assert "](charts/frontier-" in md
    # the plan's levels (150, 250, 350 tok/s/user) and illustrative price; the capacity probes (2048 / 128)
    # reach a narrower range than the matrix
    assert all(f"| {label} | 8192 / 256 | {level} |" in md for label in ("BF16", "FP32") for level in (150, 250, 350))
    assert "每卡输出吞吐" in md and "1 张卡（由评测计划或 --cards 指定）" in md
    assert "用例期间未采集加速卡遥测，不计算每词元能耗。" in md and "卡时价格：2 元/卡·小时（示意价格" in md
    # the plan's levels and price: values inside the range, cost = price / (3600 × throughput) × 10⁶
    r.frontier = FrontierSettings(interactivity=[200.0], card_hour_price=9.0, currency="元")
    md = render_markdown(r)
    fr = next(f for f in frontiers(r) if f.label == "BF16" and f.shape[0] == 8192)
    iso = read_at(fr, 200.0, 9.0)
    assert iso.throughput is not None and iso.cost_per_mtok is not None
    row = f"| BF16 | 8192 / 256 | 200 | {iso.throughput:.2f} | {iso.cost_per_mtok:.4g} 元 |"  # no J/token column: no telemetry
    assert row in md
    assert math.isclose(iso.cost_per_mtok, 9.0 / (3600 * iso.throughput) * 1e6)


def test_render_writes_the_frontier_chart(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["render", str(LIVE), "--format", "md", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    charts = list((tmp_path / "charts").glob("frontier-*.png"))
    assert len(charts) == 1 and charts[0].stat().st_size > 10_000


def test_compare_overlays_two_frontiers(tmp_path: Path) -> None:
    doc = json.loads(LIVE.read_text(encoding="utf-8"))
    doc["frontier"] = {"interactivity": [200.0]}  # the baseline's levels are the comparison's
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    doc["subject"]["card"] = "另一张卡"
    doc["frontier"] = None
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    c = compare([(str(base), load_results(base)), (str(other), load_results(other))])
    lines = frontier_lines(c)
    labels = {ln.label for ln in lines}
    assert {"本机 CPU（无加速卡） · BF16 · tiny-qwen2", "另一张卡 · FP32 · tiny-qwen2"} <= labels  # the model in the legend
    assert len(lines) == 8  # 2 files × 2 variants × 2 shapes (the matrix, the capacity probes)
    chart = compare_frontier_chart(c)
    assert chart is not None and b"tiny-qwen2" in chart.svg
    table, notes = compare_frontier_table(c)
    assert table is not None and any("Steffen" in n for n in notes)
    same = [row for row in table.rows if row[1] == "另一张卡"]
    values = [row for row in same if not row[3].startswith("不可达")]
    assert values and all(row[4] == "1.00×" for row in values)  # the same data: the same frontier
    assert all(row[4] == "无（一方不可达）" for row in same if row not in values)
    r = CliRunner().invoke(cli, ["compare", str(base), str(other), "--format", "md", "-o", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    md = next((tmp_path / "cmp").glob("*.md")).read_text(encoding="utf-8")
    assert "性能前沿对比" in md and "](charts/compare_frontier-" in md


def test_the_live_sample_plan_prices_the_frontier_and_runs_a_soak() -> None:
    from reportgen.plan import parse_plan

    text = (REPO / "samples" / "live-cpu.plan.toml").read_text(encoding="utf-8")
    for key, value in (("@PORT@", "8000"), ("@MODELS@", "/m"), ("@DATASETS@", "/d"), ("@SERVE@", "vllm serve /m"),
                       ("@ENV@", 'A = "1"')):
        text = text.replace(key, value)
    plan = parse_plan(text)
    assert plan.frontier.card_hour_price == 2.0 and plan.frontier.currency == "元"
    assert plan.frontier.interactivity == [150, 250, 350]
    assert plan.soak.enabled and plan.soak.duration_s == 120 and plan.soak.window_s == 15
    assert all(v.cards == 1 for v in plan.variants)
    # the levels lie inside the batch sweep's measured ranges: the rebuilt document gives values, not 不可达
    r = load_results(LIVE)
    r.frontier = plan.frontier
    matrix = [fr for fr in frontiers(r) if fr.shape[:2] == (8192, 256)]
    assert matrix
    for fr in matrix:
        for x in plan.frontier.interactivity:
            iso = read_at(fr, x, 2.0)
            assert iso.throughput is not None and iso.cost_per_mtok is not None, (fr.label, fr.shape, x)


def test_the_document_gives_j_per_token_where_telemetry_allows() -> None:
    r = load_results(LIVE)
    v = r.variant("BF16")
    v.cards = 1
    for c in v.serving:  # 1 Hz power readings over each cell's window: 300 W at batch 1 … 450 W at batch 8
        assert c.duration_s is not None
        watts = 300.0 + 50.0 * (c.batch_size.bit_length() - 1)
        c.telemetry = TelemetrySeries(stage="s", tool="nvidia-smi", interval_s=1.0, samples=[
            TelemetrySample(t_s=float(t), device=0, power_w=watts) for t in range(int(c.duration_s) + 2)])
        c.energy = recompute(c)
    r.frontier = FrontierSettings(interactivity=[150.0, 250.0])
    fr = next(f for f in frontiers(r) if f.label == "BF16" and f.shape[0] == 8192)
    batches = {p.interactivity: p.key.batch_size for p in fr.hull}
    iso = read_at(fr, 150.0)
    lo, hi = max(x for x in batches if x <= 150), min(x for x in batches if x >= 150)  # the neighbours on the frontier
    w_lo, w_hi = (300.0 + 50.0 * (batches[x].bit_length() - 1) for x in (lo, hi))
    power = w_lo + (150.0 - lo) / (hi - lo) * (w_hi - w_lo)
    assert iso.power_per_card_w == pytest.approx(power)
    assert iso.joules_per_token == pytest.approx(power / iso.throughput)  # type: ignore[operator]
    md = render_markdown(r)
    assert f"| BF16 | 8192 / 256 | 150 | {iso.throughput:.2f} | {iso.joules_per_token:.3g} |" in md
    assert "| FP32 | 8192 / 256 | 150 |" in md and "无（无遥测） |" in md  # FP32 has no telemetry: said per row


def test_every_section_reference_finds_its_heading() -> None:
    """The 结论's 「见 3.5」「见 3.6」 lead to 容量 and 性能前沿, whose headings the template writes as 「3\\.5 …」."""
    import re

    from reportgen.report.mdparse import parse_markdown

    md = render_markdown(load_results(LIVE))
    ids = {t.attrGet("id") for t in parse_markdown(md).body if t.type == "heading_open"}
    targets = set(re.findall(r"\]\(#([^)]+)\)", md))
    assert {"s3.5", "s3.6"} <= targets and targets <= ids


def test_the_seed_has_no_frontier_and_says_so() -> None:
    from reportgen.frontier import frontier_summary

    r = load_results(REPO / "samples" / "seed-bi150.json")  # every performance cell of the seed is 无效
    assert [s.text for s in frontier_summary(r)] == [
        "FP16（输入 8192 / 输出 256）性能前沿：没有有效用例，无前沿可读",
        "GPTQ-Int4（输入 8192 / 输出 256）性能前沿：没有有效用例，无前沿可读",
    ]
    assert all(not f.hull and f.points for f in frontiers(r))  # drawn, never used


def test_the_drawn_curve_ends_on_the_last_measured_point() -> None:
    """a + (b - a) * n / n is one ulp above b for these two ends: the chart's grid must not leave the range."""
    from reportgen.frontier import steffen

    a, b = 110.08600379466893, 408.40524255230554
    assert a + (b - a) * 60 / 60 > b  # the float trap the chart once fell into
    f = steffen([a, b], [10.0, 5.0])
    with pytest.raises(ValueError):
        f(a + (b - a) * 60 / 60)
    assert f(b) == pytest.approx(5.0)
