"""The comparison library on hand-made pairs of results files (reportgen.compare)."""

from __future__ import annotations

import pytest
from _clean_run import clean_results, fail_one_cut_one, refresh
from _compare_pairs import halved, pair, with_env

from reportgen.compare import compare, newcombe, wilson
from reportgen.errors import CompareError
from reportgen.results import Results, ServingCell
from reportgen.validity import check_results
from reportgen.variant_roles import variant_kind


def test_halved_run_is_clean_and_twice_as_fast() -> None:
    a, b = pair()
    assert [f for f in check_results(a) + check_results(b) if f.severity != "note"] == []  # notes: P99 of a few requests
    c = compare([("a.json", a), ("b.json", b)])
    assert len(c.cases) == 6 and all(r.matched(0, 1) for r in c.cases)
    for row in c.cases:
        ratios = row.ratios[1]
        assert ratios["output_tps"].value == 2.0  # exactly: halving is exact in binary floating point
        assert ratios["ttft_mean_ms"].value == 0.5
        assert ratios["tpot_mean_ms"].value == 0.5
        assert ratios["ttft_p99_ms"].value == 0.5
        assert not ratios["output_tps"].doubtful
        assert row.winner == 1 and not row.tie
    h = c.headlines[0]
    assert (h.matched, h.usable, h.unmatched, h.wins, h.losses) == (6, 6, 0, 6, 0)
    assert h.metrics["output_tps"].geomean == pytest.approx(2.0, abs=1e-12)
    assert h.metrics["tpot_mean_ms"].low == 0.5 == h.metrics["tpot_mean_ms"].high
    assert c.notes == []  # same model, lengths, versions, all cells valid


def test_baseline_choice_inverts_the_ratios() -> None:
    a, b = pair()
    c = compare([("a.json", a), ("b.json", b)], baseline=1)
    assert {r.ratios[0]["output_tps"].value for r in c.cases} == {0.5}
    assert {r.ratios[0]["ttft_mean_ms"].value for r in c.cases} == {2.0}


def test_invalid_cell_is_kept_marked_and_out_of_every_ratio() -> None:
    a, b = pair()
    fail_one_cut_one(b.variants[0].serving[1])  # FP16 batch 2 of card B: a failed and a cut request
    c = compare([("a.json", a), ("b.json", b)])
    row = next(r for r in c.cases if r.key.kind == "FP16" and r.key.batch_size == 2)
    point = row.points[1]
    assert point is not None and point.status == "INVALID" and point.findings
    assert all(r.value is None and r.reason == "invalid_other" for r in row.ratios[1].values())
    assert row.winner is None  # one usable point: nobody wins
    h = c.headlines[0]
    assert (h.matched, h.usable) == (6, 5)
    assert h.metrics["output_tps"].n == 5 and h.metrics["output_tps"].geomean == pytest.approx(2.0)
    assert any("Card B 的 6 个性能用例中有 1 个无效" in n.zh for n in c.notes)  # named by the card, not the file
    # the same cell invalid on the baseline's side
    c2 = compare([("b.json", b), ("a.json", a)])
    row2 = next(r for r in c2.cases if r.key.kind == "FP16" and r.key.batch_size == 2)
    assert {r.reason for r in row2.ratios[1].values()} == {"invalid_base"}


def test_different_models_compare_what_matches_and_say_what_does_not() -> None:
    a, _ = pair()
    b = halved(clean_results())
    b.variants[1].model = "Llama-3-8B-Instruct"  # the INT4 variant measured another model
    b.variants[0].serving = [c for c in b.variants[0].serving if c.batch_size != 4]
    c = compare([("a.json", a), ("b.json", b)])
    matched = [r for r in c.cases if r.matched(0, 1)]
    assert [(r.key.kind, r.key.batch_size) for r in matched] == [("FP16", 1), ("FP16", 2)]
    assert all(r.ratios[1]["output_tps"].value == 2.0 for r in matched)
    only_a = [r for r in c.cases if r.points[1] is None]
    only_b = [r for r in c.cases if r.points[0] is None]
    assert len(only_a) == 4 and len(only_b) == 3  # every cell listed, none dropped
    assert all(r.ratios[1]["output_tps"].reason == "no_partner" for r in only_a)
    zh = "\n".join(n.zh for n in c.notes)
    en = "\n".join(n.en for n in c.notes)
    # b has no card name: named by its file's stem
    assert "模型不同：Card A 为 Qwen2-7B-Instruct，b 为 Qwen2-7B-Instruct、Llama-3-8B-Instruct" in zh
    assert "b 有 3 个性能用例在 Card A 中没有同条件用例" in zh
    assert "Card A 有 4 个性能用例在 b 中没有同条件用例" in zh
    assert "the files measured different models" in en
    # accuracy of the other model: shown, not compared
    mmlu = next(r for r in c.accuracy if r.kind == "GPTQ-Int4" and r.benchmark == "mmlu")
    assert mmlu.deltas[1] is not None and mmlu.deltas[1].reason == "model"


def test_lengths_versions_and_settings_are_named() -> None:
    a, b = pair()
    for v in b.variants:
        for cell in v.serving:
            cell.input_len = 1024
    with_env(b, "Card B", **{"software.vllm": "0.8.5", "driver.version": "4.1.0", "accelerator.count": 2})
    for r, cmd in ((a, "vllm serve /models/Qwen2-7B-Instruct -tp 1"),
                   (b, "vllm serve /models/Qwen2-7B-Instruct --tensor-parallel-size 2")):
        for v in r.variants:
            v.server.args.clear()
            v.server.launch_command = cmd
    c = compare([("a.json", a), ("b.json", b)])
    zh = [n.zh for n in c.notes]
    assert "输入/输出长度不同：Card A 为 8192/256，Card B 为 1024/256" in zh
    assert "vLLM 版本不同：Card A 为 0.6.3，Card B 为 0.8.5" in zh
    assert "驱动版本不同：Card A 为 550.54，Card B 为 4.1.0" in zh
    assert "加速卡数量不同：Card A 为 1，Card B 为 2" in zh
    assert "张量并行数不同：Card A 为 1，Card B 为 2" in zh
    assert not any(r.matched(0, 1) for r in c.cases)


def test_accuracy_intervals_and_differences() -> None:
    a, b = pair()
    b.variants[0].accuracy[0].correct = 80  # mmlu FP16: 80/100 against 70/100
    b.variants[0].accuracy[0].score = 0.8
    gsm8k = b.variants[0].accuracy[1]
    gsm8k.n, gsm8k.correct, gsm8k.score = 40, 30, 0.75  # another sample count
    c = compare([("a.json", a), ("b.json", b)])
    mmlu = next(r for r in c.accuracy if r.kind == "FP16" and r.benchmark == "mmlu")
    d = mmlu.deltas[1]
    assert d is not None and d.value == pytest.approx(0.1) and d.interval is not None
    lo, hi = d.interval
    assert lo < 0 < 0.1 < hi and (lo, hi) == pytest.approx(newcombe(80, 100, 70, 100))
    p = mmlu.points[0]
    assert p is not None and p.interval == pytest.approx(wilson(70, 100))
    gsm = next(r for r in c.accuracy if r.kind == "FP16" and r.benchmark == "gsm8k")
    assert gsm.deltas[1] is not None and gsm.deltas[1].reason == "samples" and gsm.deltas[1].value is None
    assert any(n.zh.startswith("gsm8k（FP16）的评测样本数不同") for n in c.notes)


def test_wilson_and_newcombe_reference_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857, table II example: 56/70 vs 48/80
    lo, hi = newcombe(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    lo, hi = wilson(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_capacity_and_energy_ratios() -> None:
    from reportgen.results import CapacitySearch, TelemetrySample, TelemetrySeries

    a, b = pair()
    for r, cap in ((a, 4.0), (b, 8.0)):
        r.variants[0].capacity.append(CapacitySearch(by="concurrency", slo={"ttft_p99_ms": 2000.0}, input_len=8192,
                                                     output_len=256, capacity=cap))
        for k, v in {"accelerator.tdp_w": 300}.items():
            with_env(r, r.subject.card or "", **{k: v})
    for r, watts in ((a, 200.0), (b, 100.0)):  # B: half the time at half the power = a quarter of the energy
        cell = r.variants[0].serving[0]
        assert cell.duration_s is not None
        # sampled at the window's two ends (the interval says so: no reading was dropped in between)
        cell.telemetry = TelemetrySeries(stage="serving", tool="nvidia-smi", interval_s=cell.duration_s, samples=[
            TelemetrySample(t_s=t, device=0, power_w=watts) for t in (0.0, cell.duration_s)])
    c = compare([("a.json", a), ("b.json", b)])
    assert [r.ratios[1].value for r in c.capacity] == [2.0]
    row = next(r for r in c.cases if r.key.kind == "FP16" and r.key.batch_size == 1)
    assert [f for f in check_results(a) + check_results(b) if f.severity != "note"] == []  # notes: P99 of a few requests
    assert row.ratios[1]["tokens_per_joule"].value == pytest.approx(4.0)
    assert row.ratios[1]["tps_per_tdp_w"].value == 2.0


def test_repeats_are_pooled() -> None:
    a, b = pair()
    extra = a.variants[0].serving[0].model_copy(deep=True)
    extra.repeat = 1
    a.variants[0].serving.append(extra)
    c = compare([("a.json", a), ("b.json", b)])
    row = next(r for r in c.cases if r.key.kind == "FP16" and r.key.batch_size == 1)
    assert row.points[0] is not None and row.points[0].repeats == 2
    assert row.ratios[1]["output_tps"].value == pytest.approx(2.0)


def test_single_file_and_nothing_in_common_are_errors() -> None:
    a, _ = pair()
    with pytest.raises(CompareError, match=r"at least two results files \(got 1\)"):
        compare([("a.json", a)])
    with pytest.raises(CompareError, match="nothing in common"):
        compare([("a.json", a), ("empty.json", Results())])


def test_variant_kind_names_the_variant_not_its_label() -> None:
    r = clean_results()
    assert [variant_kind(v) for v in r.variants] == ["FP16", "GPTQ-Int4"]
    v = r.variant("int4-run", precision="int4", quantization="awq")
    assert variant_kind(v) == "AWQ-Int4"
    assert variant_kind(r.variant("q8", precision="int8")) == "INT8"
    assert variant_kind(r.variant("bf", precision="bf16")) == "BF16"


def test_cell_without_metrics_is_not_measured_rather_than_invalid() -> None:
    a, b = pair()
    b.variants[0].serving[0].metrics = None
    b.variants[0].serving[0].requests = []
    c = compare([("a.json", a), ("b.json", b)])
    row = next(r for r in c.cases if r.key.kind == "FP16" and r.key.batch_size == 1)
    p = row.points[1]
    assert p is not None and p.status == "WARNING" and p.values["output_tps"] is None
    assert row.ratios[1]["output_tps"].reason == "missing"


def test_same_card_and_file_name_get_distinct_labels() -> None:
    a, _ = pair()
    c = compare([("x/run.json", a), ("y/run.json", a.model_copy(deep=True))])
    assert [s.label for s in c.sources] == ["Card A（run）", "Card A（run）（第 2 个文件）"]


def _scaled(cell: ServingCell, factor: float, repeat: int) -> ServingCell:
    """The cell with every time multiplied by ``factor`` (same tokens), as repeat ``repeat``."""
    out = cell.model_copy(deep=True)
    out.repeat = repeat
    out.requests = [q.model_copy(update={
        "start_s": q.start_s * factor,
        "first_token_s": None if q.first_token_s is None else q.first_token_s * factor,
        "end_s": None if q.end_s is None else q.end_s * factor,
        "chunk_times_s": [t * factor for t in q.chunk_times_s],
    }) for q in cell.requests]
    if out.duration_s is not None:
        out.duration_s *= factor
    refresh(out)
    return out


def test_repeats_on_both_sides_give_the_ratio_an_interval() -> None:
    """Three repeats a side: the ratio's 95 % interval (log-scale delta method, Welch's t); a card
    within its own run-to-run spread of the baseline is said to be no different."""
    import math

    from reportgen.compare.texts import ratio_text
    from reportgen.repeats import ratio_interval

    a, _ = pair()
    base_cell = a.variants[0].serving[0]
    spreads = {"faster": (0.50, 0.51, 0.49), "same": (1.0, 1.01, 0.99)}
    rows = {}
    for name, factors in spreads.items():
        x, y = pair()
        x.variants[0].serving[0:1] = [_scaled(base_cell, f, i) for i, f in enumerate((1.0, 1.02, 0.98))]
        y.variants[0].serving[0:1] = [_scaled(base_cell, f, i) for i, f in enumerate(factors)]
        c = compare([("a.json", x), ("b.json", y)])
        rows[name] = next(r for r in c.cases if r.key.kind == "FP16" and r.key.batch_size == 1).ratios[1]["output_tps"]
        tps_a = [cc.metrics.output_throughput for cc in x.variants[0].serving[:3]]  # type: ignore[union-attr]
        tps_b = [cc.metrics.output_throughput for cc in y.variants[0].serving[:3]]  # type: ignore[union-attr]
        # the interval, computed here from the repeats' TPS by the formula in the docstring
        ma, mb = sum(tps_a) / 3, sum(tps_b) / 3
        va = sum((t - ma) ** 2 for t in tps_a) / 2 / (3 * ma * ma)
        vb = sum((t - mb) ** 2 for t in tps_b) / 2 / (3 * mb * mb)
        df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 2)
        t = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}[math.floor(df)]
        want = (mb / ma * math.exp(-t * math.sqrt(va + vb)), mb / ma * math.exp(t * math.sqrt(va + vb)))
        assert rows[name].interval == pytest.approx(want)
        assert ratio_interval(tps_a, tps_b) == pytest.approx(want)
    assert rows["faster"].value == pytest.approx(2.0, rel=0.02) and not rows["faster"].within_noise
    assert rows["faster"].interval[0] > 1.5  # type: ignore[index]
    assert rows["same"].within_noise and "差异不显著" in ratio_text(rows["same"])
    assert "95% 区间" in ratio_text(rows["faster"]) and "差异不显著" not in ratio_text(rows["faster"])
    # one run on a side: no interval, the text as before
    single = compare(list(zip(("a.json", "b.json"), pair())))
    r1 = next(r for r in single.cases if r.key.kind == "FP16" and r.key.batch_size == 1).ratios[1]["output_tps"]
    assert r1.interval is None and ratio_text(r1) == "2.00×"
