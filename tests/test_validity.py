import re

import pytest
from _clean_run import clean_cell, clean_results, fail_one_cut_one, run_one_at_a_time, set_prompt_tokens
from _seed_figures import seed_results
from conftest import FIXTURES

from reportgen.results import (
    AccuracyResult,
    CellKey,
    Finding,
    ImportInfo,
    RequestRecord,
    Results,
    ServerMetricsDelta,
    ServingCell,
    ServingMetrics,
    Stats,
)
from reportgen.validity import CHECK_TITLES_ZH, CHECKS, cell_status, check_results

# The seed's 8 printed cases and section 4: every finding, in order: (severity, precision, batch, check).
SEED_EXPECTED = [
    ("error", "FP16", 1, "throughput_consistency"),  # input 790.90 vs 8192 / 24.37 = 336.15
    ("error", "FP16", 1, "throughput_consistency"),  # output 24.70 vs 256 / 24.37 = 10.50
    ("warning", "FP16", 1, "single_request_duration"),  # 2243.94 + 255 x 51.04 = 15.26 s vs 24.37 s
    ("note", "FP16", 1, "percentile_samples"),  # the P99 of 1 request
    ("error", "FP16", 2, "throughput_consistency"),  # input 4050.04 vs 460.61
    ("error", "FP16", 2, "throughput_consistency"),  # output 27.00 vs 14.39
    ("error", "FP16", 2, "tpot_batch_scaling"),  # 13.17 vs 51.04 at batch 1
    ("note", "FP16", 2, "percentile_samples"),
    ("error", "FP16", 4, "throughput_consistency"),  # input 1464.17 vs 1481.37
    ("error", "FP16", 4, "percentile_order"),  # TTFT P99 60.00 < median 60.74
    ("error", "FP16", 4, "percentile_order"),  # TPOT P99 59.70 < median 59.79
    ("error", "FP16", 4, "mean_consistency"),  # TTFT mean 74.77 > P99 60.00 with 4 requests
    ("warning", "FP16", 4, "prefill_rate"),  # 273,907 tokens/s
    ("error", "FP16", 4, "ttft_batch_scaling"),  # 74.77 vs 2243.94 at batch 1
    ("note", "FP16", 4, "percentile_samples"),
    ("warning", "FP16", 8, "throughput_consistency"),  # request 0.22 vs 0.225 (one digit off)
    ("error", "FP16", 8, "percentile_order"),  # TPOT P99 64.65 < median 67.50
    ("error", "FP16", 8, "mean_consistency"),  # TTFT mean 140 > P99 100 with 8 requests
    ("warning", "FP16", 8, "prefill_rate"),  # 263,314 tokens/s
    ("error", "FP16", 8, "ttft_batch_scaling"),  # 140 vs 2243.94
    ("note", "FP16", 8, "percentile_samples"),
    ("warning", "FP16", None, "accuracy_reference_gap"),  # ceval 66.57 vs 77.2
    ("warning", "FP16", None, "bbh_bracket_bug"),
    ("note", "FP16", None, "accuracy_sample_count"),  # imported scores without n
    ("error", "INT4", 1, "output_tokens"),  # 16 instead of 256
    ("note", "INT4", 1, "percentile_samples"),
    ("error", "INT4", 2, "output_tokens"),  # 32 instead of 512
    ("error", "INT4", 2, "throughput_consistency"),  # request 0.30 vs 2 / 0.722
    ("error", "INT4", 2, "throughput_consistency"),  # input
    ("error", "INT4", 2, "throughput_consistency"),  # output
    ("error", "INT4", 2, "mean_consistency"),  # 2 requests: median 4704.42 != mean 4764.42
    ("error", "INT4", 2, "latency_exceeds_duration"),  # TTFT 4764 ms > 0.722 s
    ("note", "INT4", 2, "percentile_samples"),
    ("error", "INT4", 4, "output_tokens"),  # 544 instead of 1024
    ("warning", "INT4", 4, "throughput_consistency"),  # input 2024.94 vs 2022.72 (0.1 %)
    ("warning", "INT4", 4, "throughput_consistency"),  # output 33.63 vs 33.58
    ("error", "INT4", 4, "percentile_order"),  # TTFT P99 6424.23 < median 7073.03
    ("error", "INT4", 4, "mean_consistency"),  # TTFT mean 6542.50 > P99 6424.23
    ("note", "INT4", 4, "percentile_samples"),
    ("error", "INT4", 8, "output_tokens"),  # 1568 instead of 2048
    ("warning", "INT4", 8, "throughput_consistency"),  # input 2025.10 vs 2035.28
    ("warning", "INT4", 8, "throughput_consistency"),  # output 48.60 vs 48.70
    ("error", "INT4", 8, "latency_exceeds_duration"),  # TTFT P99 48956.02 ms > 32.20 s
    ("note", "INT4", 8, "percentile_samples"),
    ("warning", "GPTQ-Int4", None, "accuracy_reference_gap"),  # ceval 67.38 vs 75.2
    ("warning", "GPTQ-Int4", None, "bbh_bracket_bug"),
    ("note", "GPTQ-Int4", None, "accuracy_sample_count"),
    ("warning", "AWQ-Int4", None, "accuracy_reference_gap"),  # ceval 65.01 vs 73.6
    ("warning", "AWQ-Int4", None, "bbh_bracket_bug"),
    ("note", "AWQ-Int4", None, "accuracy_sample_count"),
]


def issues(results: Results) -> list[Finding]:
    """The errors and warnings (a note marks a figure, it is no problem: these tests are about problems)."""
    return [f for f in check_results(results) if f.severity != "note"]


def _msg(findings: list[Finding], precision: str, batch: int | None, check: str) -> str:
    return " || ".join(f.message for f in findings if f.precision == precision and f.batch_size == batch and f.check == check)


def test_seed_findings_exactly() -> None:
    findings = check_results(seed_results())
    assert [(f.severity, f.precision, f.batch_size, f.check) for f in findings] == SEED_EXPECTED
    assert all("\n" not in f.message for f in findings)


def test_seed_every_cell_invalid_with_reasons() -> None:
    findings = check_results(seed_results())
    for label in ("FP16", "INT4"):
        for b in (1, 2, 4, 8):
            key = CellKey(batch_size=b, input_len=8192, output_len=256)
            assert cell_status(findings, label, key) == "INVALID", (label, b)
    # the numbers behind the verdicts
    m = _msg(findings, "FP16", 1, "throughput_consistency")
    assert "printed 790.90 tok/s but 8192 / 24.37 s = 336.15 tok/s" in m
    assert "printed 24.70 tok/s but 256 / 24.37 s = 10.50 tok/s" in m
    assert "implies a duration of 10.36 s" in m
    assert "request throughput" not in m  # 0.04 for 1 / 24.37 = 0.041 is fine
    assert "15.26 s" in _msg(findings, "FP16", 1, "single_request_duration")
    assert "13.17 ms at batch 2 is 3.9x lower than 51.04 ms at batch 1" in _msg(findings, "FP16", 2, "tpot_batch_scaling")
    assert "74.77 ms at batch 4 is 30.0x lower than 2243.94 ms at batch 1" in _msg(findings, "FP16", 4, "ttft_batch_scaling")
    assert "273,907 prompt tokens/s" in _msg(findings, "FP16", 4, "prefill_rate")
    assert "TTFT: P99 60.00 ms is below the median 60.74 ms" in _msg(findings, "FP16", 4, "percentile_order")
    assert "mean 74.77 ms is above P99 60.00 ms, impossible with 4 requests" in _msg(findings, "FP16", 4, "mean_consistency")
    assert "generated 16 tokens, expected 256 x 1 successful requests = 256" in _msg(findings, "INT4", 1, "output_tokens")
    assert "TTFT mean 4764.42 ms, median 4704.42 ms, P99 4764.42 ms longer than the benchmark duration 0.722 s" in _msg(
        findings, "INT4", 2, "latency_exceeds_duration"
    )
    assert "median is 4704.42 ms and mean 4764.42 ms" in _msg(findings, "INT4", 2, "mean_consistency")
    assert "P99 48956.02 ms longer than the benchmark duration 32.20 s" in _msg(findings, "INT4", 8, "latency_exceeds_duration")
    bbh = _msg(findings, "FP16", None, "bbh_bracket_bug")
    # one ceiling (2439/6511, as section 4 states it) and one percent format in every bbh finding
    assert "bbh 24.39% " in bbh and "caps the score at 37.46% (2439/6511)" in bbh and "'(A)'" in bbh
    assert "bbh 23.38% " in _msg(findings, "GPTQ-Int4", None, "bbh_bracket_bug")
    assert "bbh 23.67% " in _msg(findings, "AWQ-Int4", None, "bbh_bracket_bug")
    assert not any("2437" in f.message or "2437" in (f.message_zh or "") for f in findings)
    assert "ceval 66.57% is 10.63 points below the published 77.20%" in _msg(findings, "FP16", None, "accuracy_reference_gap")


def test_findings_are_deterministic_and_grouped_by_cell() -> None:
    r = seed_results(accuracy=False)
    # cells appended out of order still come out by batch size
    r.variants[0].serving.reverse()
    findings = issues(r)
    assert findings == issues(r)
    batches = [f.batch_size for f in findings if f.precision == "FP16"]
    assert batches == sorted(batches)


def test_clean_measured_run_has_no_findings() -> None:
    r = clean_results()
    assert issues(r) == []
    for v in r.variants:
        for c in v.serving:
            assert cell_status([], v.label, c.key) == "VALID"
            m = c.metrics
            assert m is not None and m.completed == c.num_requests and m.total_output_tokens == m.completed * 256
            assert m.effective_concurrency == pytest.approx(c.batch_size, rel=0.01)


def _one(r: Results) -> list[tuple[str, int | None, str]]:
    return [(f.severity, f.batch_size, f.check) for f in issues(r)]


def test_failed_request_and_short_output_are_errors() -> None:
    r = clean_results()
    fail_one_cut_one(r.variants[0].serving[1])
    findings = issues(r)
    checks = [(f.severity, f.precision, f.batch_size, f.check) for f in findings]
    assert ("error", "FP16", 2, "failed_requests") in checks
    assert ("error", "FP16", 2, "output_tokens") in checks
    assert "1 of 8 requests failed; only 7 succeeded (first error: HTTP 500: engine dead)" in _msg(findings, "FP16", 2, "failed_requests")
    assert "1 of 7 requests generated 16 tokens instead of 256" in _msg(findings, "FP16", 2, "output_tokens")
    assert cell_status(findings, "FP16", r.variants[0].serving[1].key) == "INVALID"
    assert cell_status(findings, "FP16", r.variants[0].serving[0].key) == "VALID"


def test_server_prompt_tokens_drift() -> None:
    r = clean_results()
    cell = set_prompt_tokens(r.variants[0].serving[0], 2, 8179)
    findings = issues(r)
    assert [(f.severity, f.check) for f in findings] == [("warning", "input_tokens")]
    assert "1 of 8 requests had 8179 prompt tokens (server usage) instead of 8192" in findings[0].message
    set_prompt_tokens(cell, 2, 4096)
    assert [(f.severity, f.check) for f in issues(r)] == [("error", "input_tokens")]


def test_tampered_metrics_are_caught() -> None:
    r = clean_results()
    cell = r.variants[0].serving[0]
    assert cell.metrics is not None
    cell.metrics = cell.metrics.model_copy(update={"output_throughput": cell.metrics.output_throughput * 1.5})
    findings = issues(r)
    assert {f.check for f in findings} == {"throughput_consistency", "metrics_recomputed", "throughput_sum"}
    assert all(f.severity == "error" and f.batch_size == 1 for f in findings)


def test_measured_cell_server_side_checks() -> None:
    r = clean_results()
    cell = r.variants[0].serving[2]
    assert cell.server_metrics is not None and cell.metrics is not None
    cell.server_metrics.prefix_cache_hits = 32768.0  # 25 % of 131072
    cell.server_metrics.ttft_mean_ms = 100.0  # client says 500
    findings = issues(r)
    got = {(f.severity, f.check): f.message for f in findings}
    assert "the server's prefix cache hit 32768 of 131072 queried prompt tokens (25.0%)" in got[("error", "prefix_cache")]
    assert "TTFT client 500.00 ms vs server 100.00 ms" in got[("warning", "client_server_gap")]
    cell.server_metrics.prefix_cache_hits = 64.0
    assert ("warning", 4, "prefix_cache") in _one(r)


def test_too_few_requests_and_low_concurrency() -> None:
    r = Results()
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    v.serving.append(clean_cell(1))
    v.serving.append(clean_cell(8, n=8))  # one wave: too few for a P99
    # one wave: the slowest request is the whole cell (steady_window) too
    assert _one(r) == [("warning", 8, "sample_count"), ("warning", 8, "steady_window")]
    assert "only 8 successful requests at batch size 8 (want at least max(5, 2 x 8) = 16)" in issues(r)[0].message
    # a client that ran the requests one after another while claiming batch 4
    v.serving[1] = run_one_at_a_time(clean_cell(4, n=8))
    findings = issues(r)
    assert [(f.severity, f.batch_size, f.check) for f in findings] == [("warning", 4, "effective_concurrency")]
    assert "effective concurrency 1.00" in findings[0].message


# --------------------------------------------------------------------------- rounding edge cases


def _imported(printed: dict[str, str], n: int = 1, batch: int = 1, tokens_in: int = 8192, tokens_out: int = 256) -> Results:
    f = {k: float(v) for k, v in printed.items()}
    dur = f["Benchmark duration (s)"]

    def per_s(x: float) -> float:
        return x / dur if dur else 0.0

    cell = ServingCell(
        batch_size=batch,
        input_len=8192,
        output_len=256,
        num_requests=n,
        source="imported",
        metrics=ServingMetrics(
            completed=n,
            duration_s=dur,
            total_input_tokens=tokens_in,
            total_output_tokens=tokens_out,
            request_throughput=f.get("Request throughput (req/s)", per_s(n)),
            input_throughput=f.get("Input token throughput (tok/s)", per_s(tokens_in)),
            output_throughput=f.get("Output token throughput (tok/s)", per_s(tokens_out)),
            total_token_throughput=per_s(tokens_in + tokens_out),
            ttft_ms=Stats(n=n, mean=f.get("Mean TTFT (ms)"), median=f.get("Median TTFT (ms)"), p99=f.get("P99 TTFT (ms)")),
            tpot_ms=Stats(n=n),
        ),
        import_info=ImportInfo(file="x.log", format="vllm-text", printed=printed),
    )
    r = Results()
    r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16").serving.append(cell)
    return r


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("0.04", []),  # 1 / 24.37 = 0.041: rounds to 0.04
        ("0.05", [("warning", 1, "throughput_consistency")]),  # one unit of the last digit off
        ("0.10", [("error", 1, "throughput_consistency")]),
    ],
)
def test_request_throughput_rounding(printed: str, expected: list[tuple[str, int, str]]) -> None:
    r = _imported({"Benchmark duration (s)": "24.37", "Request throughput (req/s)": printed, "Mean TTFT (ms)": "2000.00"})
    assert _one(r) == expected


def test_throughput_allows_for_a_rounded_duration() -> None:
    # 8192 tokens in a duration printed "2.69" (2.685..2.695 s) allow 3039.7..3051.0 tok/s
    ok = _imported({"Benchmark duration (s)": "2.69", "Input token throughput (tok/s)": "3047.25", "Mean TTFT (ms)": "2000.00"})
    assert _one(ok) == []
    off = _imported({"Benchmark duration (s)": "2.69", "Input token throughput (tok/s)": "3060.00", "Mean TTFT (ms)": "2000.00"})
    assert _one(off) == [("warning", 1, "throughput_consistency")]  # 0.5 % above 8192 / 2.69
    # a throughput the importer filled in (not printed) is not checked against the text
    r = _imported({"Benchmark duration (s)": "2.69", "Mean TTFT (ms)": "2000.00"})
    r.variants[0].serving[0].metrics.output_throughput = 1e6  # type: ignore[union-attr]
    assert _one(r) == []


@pytest.mark.parametrize(
    ("median", "p99", "expected"),
    [
        ("60.74", "60.73", []),  # both may be 60.735
        ("60.74", "60.72", [("error", 4, "percentile_order")]),
        ("60.74", "60.74", []),
    ],
)
def test_percentile_order_allows_for_rounding(median: str, p99: str, expected: list[tuple[str, int, str]]) -> None:
    r = _imported(
        {"Benchmark duration (s)": "20.00", "Mean TTFT (ms)": "60.00", "Median TTFT (ms)": median, "P99 TTFT (ms)": p99},
        n=4,
        batch=4,
        tokens_in=4 * 8192,
        tokens_out=4 * 256,
    )
    # 4 prompts of 8192 tokens in a mean TTFT of 60 ms: also an implausible prefill rate
    assert [x for x in _one(r) if x[2] != "prefill_rate"] == expected


def test_measured_values_compare_exactly_without_float_noise() -> None:
    r = clean_results()
    cell = r.variants[0].serving[0]
    m = cell.metrics
    assert m is not None
    # identical requests: median == P99 == mean, up to float noise
    assert m.ttft_ms.p99 == pytest.approx(m.ttft_ms.median)
    assert issues(r) == []


def test_mean_above_p99_is_impossible_for_few_samples_only() -> None:
    def stats_cell(n: int) -> Results:
        r = _imported({"Benchmark duration (s)": "1000.00", "Mean TTFT (ms)": "900.00", "Median TTFT (ms)": "100.00", "P99 TTFT (ms)": "800.00"}, n=n, batch=n, tokens_in=n * 8192, tokens_out=n * 256)
        return r

    assert _one(stats_cell(8)) == [("error", 8, "mean_consistency")]
    assert [x for x in _one(stats_cell(200)) if x[2] == "mean_consistency"] == [("warning", 200, "mean_consistency")]


# --------------------------------------------------------------------------- matrix


def test_batch_scaling_thresholds() -> None:
    r = clean_results()
    v = r.variants[0]
    cell = v.serving[1]  # batch 2
    assert cell.metrics is not None
    cell.metrics.tpot_ms.mean = 20.0 / 1.6  # 1.6x lower than batch 1: warning
    got = [x for x in _one(r) if x[2] == "tpot_batch_scaling"]
    assert got == [("warning", 2, "tpot_batch_scaling")]
    cell.metrics.tpot_ms.mean = 20.0 / 2.5
    assert [x for x in _one(r) if x[2] == "tpot_batch_scaling"] == [("error", 2, "tpot_batch_scaling")]


def test_separate_input_lengths_are_separate_matrices() -> None:
    r = clean_results()
    v = r.variants[0]
    v.serving.append(clean_cell(2, input_len=1024))  # TTFT 500 ms: same as 8192's batch 1 -> no cross-length comparison
    assert issues(r) == []
    f = Finding(severity="error", precision="FP16", cell=CellKey(batch_size=2, input_len=1024, output_len=256),
                check="x", message="m")
    assert cell_status([f], "FP16", CellKey(batch_size=2, input_len=1024, output_len=256)) == "INVALID"
    assert cell_status([f], "FP16", CellKey(batch_size=2, input_len=8192, output_len=256)) == "VALID"


def test_cell_status() -> None:
    def key(b: int, out: int = 256) -> CellKey:
        return CellKey(batch_size=b, input_len=8192, output_len=out)

    w = Finding(severity="warning", precision="FP16", cell=key(4), check="prefill_rate", message="m")
    e = Finding(severity="error", precision="FP16", cell=key(4), check="percentile_order", message="m")
    acc = Finding(severity="error", precision="FP16", check="accuracy_consistency", message="m")
    assert cell_status([w], "FP16", key(4)) == "WARNING"
    assert cell_status([w, e], "FP16", key(4)) == "INVALID"
    assert cell_status([w, e, acc], "FP16", key(8)) == "VALID"
    assert cell_status([w], "INT4", key(4)) == "VALID"
    # a clean cell beside a spoiled one that differs only in output length stays VALID
    assert cell_status([e], "FP16", key(4, out=128)) == "VALID"


# --------------------------------------------------------------------------- accuracy


def test_bbh_swift2024_and_corrected() -> None:
    r = Results()
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    v.accuracy.append(AccuracyResult(benchmark="bbh", mode="swift2024", n=6511, correct=1588, score=1588 / 6511))
    findings = issues(r)
    assert [(f.severity, f.check, f.benchmark) for f in findings] == [("warning", "bbh_bracket_bug", "bbh")]
    assert "caps the score at 37.46% (2439/6511)" in findings[0].message and "swift2024 mode" in findings[0].message
    v.accuracy[0] = AccuracyResult(benchmark="bbh", mode="corrected", n=6511, correct=4000, score=4000 / 6511)
    assert issues(r) == []


def test_precision_gap_and_reference_gap() -> None:
    r = Results()
    fp16 = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    awq = r.variant("AWQ-Int4", model_path="/models/Qwen2-7B-Instruct_AWQ_Int4", precision="int4", quantization="awq")
    fp16.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", score=0.70))
    awq.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", score=0.60))
    findings = issues(r)
    assert [(f.severity, f.precision, f.check) for f in findings] == [
        ("warning", "AWQ-Int4", "accuracy_reference_gap"),  # 60.0 vs Qwen's AWQ 67.4
        ("warning", "AWQ-Int4", "accuracy_precision_gap"),
    ]
    assert "mmlu 60.00% is 10.00 points below FP16's 70.00%" in findings[1].message
    awq.accuracy[0] = AccuracyResult(benchmark="mmlu", mode="swift2024", score=0.66)
    fp16.accuracy.append(AccuracyResult(benchmark="bbh", mode="corrected", score=0.62))
    awq.accuracy.append(AccuracyResult(benchmark="bbh", mode="swift2024", score=0.24))
    msgs = [f.message for f in issues(r) if f.check == "accuracy_precision_gap"]
    assert msgs == ["bbh 24.00% is 38.00 points below FP16's 62.00%; the runs used different scoring modes (swift2024 vs corrected)"]


def test_accuracy_consistency() -> None:
    r = Results()
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    v.accuracy.append(AccuracyResult(benchmark="gsm8k", mode="corrected", n=1319, correct=1044, score=0.7915))  # 1044/1319 = 0.79151
    v.accuracy.append(AccuracyResult(benchmark="ceval", mode="corrected", n=1346, correct=1000, score=0.8000, n_planned=1400))
    findings = issues(r)
    assert [(f.severity, f.check, f.benchmark) for f in findings] == [
        ("error", "accuracy_consistency", "ceval"),
        ("warning", "accuracy_incomplete", "ceval"),
    ]
    assert "ceval: score 0.8000 but correct / n = 1000 / 1346 = 0.7429" in findings[0].message


# --------------------------------------------------------------------------- registry


def test_registry_names_and_titles() -> None:
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    assert set(names) == set(CHECK_TITLES_ZH)
    for c in CHECKS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.name)
        assert c.scope in ("cell", "variant", "results")
        assert c.description and "\n" not in c.description
        assert re.search(r"[\u4e00-\u9fff]", CHECK_TITLES_ZH[c.name])


def test_missing_metrics_is_a_warning() -> None:
    r = Results()
    r.variant("FP16").serving.append(ServingCell(batch_size=1, input_len=8192, output_len=256, requests=[RequestRecord(index=0, start_s=0.0)]))
    findings = issues(r)
    assert [(f.severity, f.check) for f in findings] == [("warning", "missing_metrics")]
    assert "1 raw records but no computed metrics" in findings[0].message
    r.variants[0].serving[0].server_metrics = ServerMetricsDelta()
    assert len(issues(r)) == 1


def test_zero_duration_is_an_error() -> None:
    r = _imported({"Benchmark duration (s)": "0.00", "Mean TTFT (ms)": "100.00"})
    assert _one(r) == [("error", 1, "throughput_consistency")]
    assert "benchmark duration 0 s for 1 successful requests" in issues(r)[0].message


def test_docs_list_every_check(repo) -> None:  # type: ignore[no-untyped-def]
    text = (repo / "docs" / "validity.md").read_text(encoding="utf-8")
    for c in CHECKS:
        assert f"`{c.name}`" in text, c.name


def test_real_vllm_bench_serve_output_is_clean() -> None:  # type: ignore[no-untyped-def]
    """The real `vllm bench serve` run in tests/fixtures (new text format) passes every check."""
    text = (FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt").read_text(encoding="utf-8")
    block = text.split("Serving Benchmark Result")[1]
    printed = {}
    for line in block.splitlines():
        m = re.match(r"^(.+?):\s+(\S+)\s*$", line)
        if m:
            printed[m.group(1).strip()] = m.group(2)
    f = {k: float(v) for k, v in printed.items()}
    assert f["Successful requests"] == 8 and printed["Benchmark duration (s)"] == "2.87"

    def st(name: str) -> Stats:
        return Stats(n=8, mean=f[f"Mean {name} (ms)"], median=f[f"Median {name} (ms)"], p99=f[f"P99 {name} (ms)"])

    cell = ServingCell(
        batch_size=8,
        input_len=8192,
        output_len=256,
        num_requests=8,
        source="imported",
        metrics=ServingMetrics(
            completed=8,
            failed=0,
            duration_s=f["Benchmark duration (s)"],
            total_input_tokens=int(f["Total input tokens"]),
            total_output_tokens=int(f["Total generated tokens"]),
            request_throughput=f["Request throughput (req/s)"],
            input_throughput=int(f["Total input tokens"]) / f["Benchmark duration (s)"],  # not printed
            output_throughput=f["Output token throughput (tok/s)"],
            total_token_throughput=f["Total token throughput (tok/s)"],
            ttft_ms=st("TTFT"),
            tpot_ms=st("TPOT"),
            itl_ms=Stats(n=2040, mean=f["Mean ITL (ms)"], median=f["Median ITL (ms)"], p99=f["P99 ITL (ms)"]),
        ),
        import_info=ImportInfo(file="vllm-0.32-cpu-bench-serve-c8.txt", format="vllm-text", printed=printed),
    )
    r = Results()
    r.variant("FP16", model="tiny-qwen2", precision="fp16").serving.append(cell)
    assert issues(r) == []
    # and the same figures with one throughput misprinted are caught
    cell.import_info.printed["Total token throughput (tok/s)"] = "23639.91"  # type: ignore[union-attr]
    cell.metrics.total_token_throughput = 23639.91  # type: ignore[union-attr]
    assert _one(r) == [("warning", 8, "throughput_consistency")]


def test_sample_built_by_the_importers_gives_the_same_findings(repo) -> None:  # type: ignore[no-untyped-def]
    """samples/seed-bi150.json (built by `reportgen import` from the seed's text) is flagged exactly
    like the hand-copied figures; there the INT4 serving runs belong to the GPTQ-Int4 variant."""
    from reportgen.results import load_results

    sample = load_results(repo / "samples" / "seed-bi150.json")
    got = [(f.severity, f.precision, f.batch_size, f.check) for f in issues(sample)]
    # The sample carries the card's spec sheet (192 TFLOPS FP16): an impossible prefill rate is
    # then an error against the card's own bound, not a warning against a generic constant.
    want = [("error" if c == "prefill_rate" else s, "GPTQ-Int4" if p == "INT4" else p, b, c) for s, p, b, c in SEED_EXPECTED
            if s != "note"]
    bound = next(f for f in issues(sample) if f.check == "prefill_rate" and f.batch_size == 4)
    assert "above this card's physical bound 13,714 tokens/s (peak 192 TFLOPS / (2 x 7 x 10^9 parameters))" in bound.message
    assert "超过该卡的物理上限 13,714 tok/s（峰值算力 192 TFLOPS ÷ (2 × 7 × 10^9 个参数)）" in (bound.message_zh or "")
    assert sorted(got, key=str) == sorted(want, key=str)
    for v in sample.variants:
        for c in v.serving:
            assert cell_status(issues(sample), v.label, c.key) == "INVALID"


def test_two_labels_evaluated_on_one_server_are_one_deployment() -> None:
    """`eval` twice against one server under two labels: the accuracy runs name the same URL and model,
    and nothing (no /metrics start time) tells the two runs apart."""
    r = Results()
    for label in ("FP16", "GPTQ-Int4"):
        r.variant(label).accuracy.append(AccuracyResult(benchmark="gsm8k", mode="corrected", n=10, correct=6, score=0.6,
                                                        base_url="http://127.0.0.1:8000/", model="qwen2"))
    found = [(f.precision, f.check) for f in issues(r) if f.check == "same_deployment"]
    assert found == [("GPTQ-Int4", "same_deployment")]
    r.variants[1].accuracy[0].base_url = "http://127.0.0.1:8001"  # another server
    assert not [f for f in issues(r) if f.check == "same_deployment"]
