"""Chinese finding messages (``Finding.message_zh``): every check's wording, the same numbers as
the English ``message``, the document's section 7 in Chinese, ``validate --json`` unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from _clean_run import clean_cell, clean_results, fail_one_cut_one, run_one_at_a_time, set_prompt_tokens
from _seed_figures import seed_results
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.reference_scores import REFERENCE_SCORES
from reportgen.report.markdown import render_markdown
from reportgen.results import (
    AccuracyResult,
    EmbeddingRun,
    Finding,
    ImportInfo,
    Note,
    ReferenceCheck,
    ReferenceItem,
    RequestRecord,
    Results,
    ServingCell,
    load_results,
)
from reportgen.validity import CHECKS, check_results

SAMPLE = "samples/seed-bi150.json"


def _zh(findings: list[Finding], check: str, precision: str | None = None, batch: int | None = None) -> list[str]:
    return [
        f.message_zh or ""
        for f in findings
        if f.check == check and (precision is None or f.precision == precision) and (batch is None or f.batch_size == batch)
    ]


# --------------------------------------------------------------------------- one spoiled run per check


def _failed_and_short() -> Results:
    r = clean_results()
    fail_one_cut_one(r.variants[0].serving[1])
    return r


def _lengths_unknown() -> Results:
    r = clean_results()
    r.variants[0].serving[0].import_info = ImportInfo(file="bench.txt", format="vllm-text", derived=["input_len", "output_len"])
    return r


def _block_cut() -> Results:
    r = clean_results()
    r.variants[0].serving[0].import_info = ImportInfo(
        file="bench.txt", format="vllm-text", printed={"Mean TTFT (ms)": "1"}, complete=False
    )
    return r


def _prompt_drift() -> Results:
    r = clean_results()
    set_prompt_tokens(r.variants[0].serving[0], 2, 8179)
    return r


def _tampered() -> Results:
    r = clean_results()
    cell = r.variants[0].serving[0]
    assert cell.metrics is not None
    cell.metrics = cell.metrics.model_copy(update={"output_throughput": cell.metrics.output_throughput * 1.5})
    return r


def _server_side() -> Results:
    r = clean_results()
    cell = r.variants[0].serving[2]
    assert cell.server_metrics is not None
    cell.server_metrics.prefix_cache_hits = 32768.0
    cell.server_metrics.ttft_mean_ms = 100.0
    cell.server_metrics.generation_tokens = 1000.0  # client: 16 x 256 = 4096
    return r


def _two_cells(second: ServingCell) -> Results:
    r = Results()
    r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16").serving.extend([clean_cell(1), second])
    return r


def _few_requests() -> Results:
    return _two_cells(clean_cell(8, n=8))  # one wave: too few for a P99


def _sequential() -> Results:
    return _two_cells(run_one_at_a_time(clean_cell(4, n=8)))


def _duplicate_and_missing() -> Results:
    r = clean_results()
    v = r.variants[0]
    v.serving.append(clean_cell(1))
    v.serving.append(ServingCell(batch_size=16, input_len=8192, output_len=256, requests=[RequestRecord(index=0, start_s=0.0)]))
    return r


def _accuracy() -> Results:
    r = Results()
    fp16 = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    awq = r.variant("AWQ-Int4", model_path="/models/Qwen2-7B-Instruct_AWQ_Int4", precision="int4", quantization="awq")
    fp16.accuracy.append(AccuracyResult(benchmark="ceval", mode="corrected", n=1346, correct=1000, score=0.8000, n_planned=1400))
    fp16.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", score=0.70))
    fp16.accuracy.append(AccuracyResult(benchmark="bbh", mode="corrected", score=0.62))
    awq.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", score=0.60))
    awq.accuracy.append(AccuracyResult(benchmark="bbh", mode="swift2024", score=0.24))
    return r


def _degenerate() -> Results:
    """One fault per rule of the evidence the verdicts rest on (issue 18): a server that streams more
    than it reports and than max_tokens, a cell of one wave, an overloaded open loop, one deployment
    under two labels (the second claiming GPTQ-Int4), empty answers, scores at zero and on other
    questions, a functional check answered with nothing, power read from one of two cards with a gap."""
    from _clean_run import refresh

    from reportgen.energy import recompute
    from reportgen.results import Fact, FunctionalCheck, SampleRecord, TelemetrySample, TelemetrySeries

    r = Results()
    r.environment.facts["accelerator.chips"] = Fact.of(2)
    command = "vllm serve /models/demo-7b --port 8000 --dtype float16"
    fp16 = r.variant("FP16", model="demo-7b", precision="fp16")
    int4 = r.variant("GPTQ-Int4", model="demo-7b", precision="int4", quantization="gptq")
    for v in (fp16, int4):
        v.server.launch_command, v.server.launched = command, True
    fp16.functional_check = FunctionalCheck(response_text="", completion_tokens=256, finish_reason="length")
    # bs1: power from device 0 only (of 2 cards), with no reading between 10 s and 20 s
    c1 = clean_cell(1)
    c1.telemetry = TelemetrySeries(stage="s", tool="ixsmi", interval_s=1.0, samples=[
        TelemetrySample(t_s=float(t), device=0, power_w=100.0) for t in range(46) if not 10 < t < 20])
    c1.energy = recompute(c1)
    # bs2: request 3 streamed 300 token chunks, its usage says 256 (max_tokens 256)
    c2 = clean_cell(2)
    c2.request_params = {"max_tokens": 256}
    q = c2.requests[4]
    more = [q.chunk_times_s[-1] + 0.02 * k for k in range(1, 45)]
    c2.requests[4] = q.model_copy(update={"chunk_times_s": q.chunk_times_s + more, "end_s": more[-1]})
    # and request 5 was answered by another model, request 6 went on after [DONE] (issue 20)
    c2.request_params["model"] = "demo-7b"
    for i, rec in enumerate(c2.requests):
        rec.model = "other-7b" if i == 5 else "demo-7b"
    c2.requests[6].events_after_done = 5
    refresh(c2)
    # bs8: one wave of 8 (steady_window); a stored total throughput that is not input + output
    c8 = clean_cell(8, n=8)
    assert c8.metrics is not None
    c8.metrics.total_token_throughput = c8.metrics.input_throughput  # output left out
    # 40 req/s offered; the server completes one request every 0.25 s, one at a time
    recs = []
    for i in range(40):
        at, end = 0.025 * i, 0.25 * (i + 1)
        recs.append(RequestRecord(index=i, start_s=at, scheduled_s=at, first_token_s=end - 0.2, end_s=end,
                                  chunk_times_s=[end - 0.2, end], prompt_tokens=8, completion_tokens=2))
    overload = refresh(ServingCell(batch_size=0, input_len=8, output_len=2, request_rate=40.0, num_requests=40,
                                   duration_s=10.0, requests=recs))
    fp16.serving.extend([c1, c2, c8, overload])
    int4.serving.append(clean_cell(1))
    ids = [f"q{i}" for i in range(10)]
    fp16.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", n=10, correct=6, score=0.6, samples=[
        SampleRecord(id=i, extracted="A", correct=k < 6) for k, i in enumerate(ids)]))
    int4.accuracy.append(AccuracyResult(benchmark="mmlu", mode="corrected", n=10, correct=2, score=0.2, samples=[
        SampleRecord(id=f"other{k}", extracted="A", correct=k < 2) for k in range(10)]))
    int4.accuracy.append(AccuracyResult(benchmark="gsm8k", mode="corrected", n=10, correct=0, score=0.0, unparsed=3))
    int4.accuracy.append(AccuracyResult(benchmark="ceval", mode="corrected", n=20, correct=8, score=0.4, unparsed=2))
    return r


def _embedding() -> Results:
    r = Results()
    r.embeddings.append(EmbeddingRun(
        model="/models/bge-reranker-v2-m3", kind="reranker", mode="http", endpoint="/v1/rerank", device="cuda", precision="fp16",
        reference_check=ReferenceCheck(
            status="fail", source="recorded", reference="seed 6.1", metric="max |diff|", value=0.3, threshold=0.05,
            items=[ReferenceItem(label="what is panda? | hi", value=-7.8875, expected=-8.1875, delta=0.3, ok=False),
                   ReferenceItem(label="what is panda? | The giant panda", value=5.25, expected=5.2617, delta=0.0117, ok=True)],
        ),
        warnings=[Note.of("throughput_failed", kind="512-token", kind_zh="512 词元文本", batch=32, error="HTTP 500: out of memory")],
    ))
    r.embeddings.append(EmbeddingRun(model="bge-large-zh-v1.5", kind="embedding", mode="local", device="cuda", error="CUDA out of memory"))
    return r


def _telemetry() -> Results:
    """bs1: power read from 10 s to 30 s of a 44.81 s window, 95 C at a 90 C card; bs2: one tick only;
    bs4: a stored energy figure that the samples do not give."""
    from reportgen.energy import recompute
    from reportgen.results import Fact, TelemetrySample, TelemetrySeries

    r = clean_results()
    r.environment.facts["accelerator.max_temperature_c"] = Fact.of(90, unit="C")
    c1, c2, c4 = r.variants[0].serving
    c1.telemetry = TelemetrySeries(stage="s", tool="ixsmi", interval_s=1.0, samples=[
        TelemetrySample(t_s=t, device=0, power_w=150.0, temperature_c=temp) for t, temp in ((10.0, 70), (30.0, 95))])
    c2.telemetry = TelemetrySeries(stage="s", tool="ixsmi", interval_s=1.0, samples=[TelemetrySample(t_s=0.0, device=0, power_w=150.0)])
    c4.telemetry = TelemetrySeries(stage="s", tool="ixsmi", interval_s=1.0, samples=[
        TelemetrySample(t_s=float(t), device=0, power_w=100.0) for t in range(24)])
    for c in (c1, c2, c4):
        c.energy = recompute(c)
    c4.energy.energy_j = 1000.0  # the samples give 100 W x 22.403 s = 2240.3 J
    return r


def _telemetry_range() -> Results:
    """bs1: two impossible readings left out as recorded (700 W ceiling: TDP 350 W)."""
    from reportgen.energy import recompute
    from reportgen.results import ExcludedReading, TelemetrySample, TelemetrySeries

    r = clean_results()
    c1 = r.variants[0].serving[0]
    c1.telemetry = TelemetrySeries(
        stage="s", tool="nvidia-smi", interval_s=1.0, power_ceiling_w=700.0, excluded_count=2,
        excluded=[ExcludedReading(t_s=1.0, device=0, field="power_w", value="1e+308"),
                  ExcludedReading(t_s=1.0, device=1, field="temperature_c", value="-300")],
        samples=[TelemetrySample(t_s=float(t), device=0, power_w=300.0) for t in range(45)])
    c1.energy = recompute(c1)
    return r


def _open_loop_and_repeats() -> Results:
    from _clean_run import refresh

    r = Results()
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    # achieved: 100 requests / last send 9.95 s = 10.05 req/s; repeats: output tok/s x, x, x / 1.3 -> CV 14.4 %
    recs = [RequestRecord(index=i, start_s=0.1 * i + 0.05 + (0.03 if i % 10 == 0 else 0.0), scheduled_s=0.1 * i + 0.05,
                          first_token_s=0.1 * i + 0.2, end_s=0.1 * i + 0.3, chunk_times_s=[0.1 * i + 0.2, 0.1 * i + 0.3],
                          completion_tokens=2, prompt_tokens=8) for i in range(100)]
    v.serving.append(refresh(ServingCell(batch_size=100, input_len=8, output_len=2, request_rate=12.0, num_requests=100,
                                         duration_s=10.5, requests=recs)))
    for rep in range(3):
        c = clean_cell(2)
        c.repeat = rep
        if rep == 2:  # one repeat 30 % slower throughout
            for q in c.requests:
                q.start_s, q.first_token_s, q.end_s = q.start_s * 1.3, (q.first_token_s or 0) * 1.3, (q.end_s or 0) * 1.3
                q.chunk_times_s = [t * 1.3 for t in q.chunk_times_s]
            c.duration_s = (c.duration_s or 0) * 1.3
            refresh(c)
        v.serving.append(c)
    return r


def _spec_bounds() -> Results:
    """A clean run on a card whose spec sheet says 100 TFLOPS and 300 GB/s: 8192 tokens in 0.5 s
    (16,384 tok/s) beats 100e12 / (2 x 7e9) = 7,143 tok/s; 20 ms per token (50 tok/s) beats
    300e9 / (7e9 x 2 bytes) = 21.4 tok/s."""
    from reportgen.results import Fact

    r = clean_results()
    r.environment.facts["accelerator.peak_compute"] = Fact.of("FP16: 100 TFLOPS; INT8: 200 TOPS", origin="spec_sheet")
    r.environment.facts["accelerator.memory_bandwidth"] = Fact.of(300e9, unit="B/s", origin="spec_sheet")
    return r


def _consistency() -> Results:
    """A check against a reference of another model, with failed prompts, a differing chat template, no
    teacher forcing, bounded KL terms and flat distributions, cut short."""
    from reportgen.consistency.verdict import thresholds
    from reportgen.results import ConsistencyCheck, ConsistencyPass, ConsistencyPrompt, ConsistencyReference

    r = Results()
    v = r.variant("INT4", model="Qwen2-1.5B-Instruct-GPTQ-Int4", precision="int4")
    prompts = [ConsistencyPrompt(id=f"ceval/0shot/law/{i}", sha256="x", template_match=i != 3, baseline_tokens=[1, 2],
                                 tokens=[1, 2], top1=[True, True], kl=[0.0, 0.0], abs_dlogprob=[0.0, 0.0], bounded=1,
                                 topk_mass=0.25) for i in range(8)]
    prompts += [ConsistencyPrompt(id=f"mmlu/0shot/law/{i}", sha256="x", error="HTTP 400: too long") for i in range(2)]
    ref = ConsistencyReference(model="qwen2-7b", model_name="Qwen2-7B-Instruct", dtype="fp16", prompt_set="reportgen-consistency-v1",
                               prompt_set_sha256="a" * 64, prompts=200, max_tokens=64, top_k=5)
    v.consistency = ConsistencyCheck(reference=ref, model_names=["Qwen2-1.5B-Instruct-GPTQ-Int4"], prompt_set_sha256="b" * 64,
                                     thresholds=thresholds("int4"), batch_thresholds=thresholds("same"),
                                     passes=[ConsistencyPass(batch_size=1, baseline="reference", method="common_prefix",
                                                             prompts=prompts)],
                                     error="HTTP 503 from the server")
    return r


def _soak() -> Results:
    """A soak run of 5 windows of 10 s (of 100 s planned): TPOT 400 -> 560 ms (+160 ms over a mean of 480: +33.3 %), failures in windows
    2, 3 and 5, the clock down to 1400 MHz from window 3 (TPOT higher there), a new process start
    time from window 4; and a cell whose power came from 1 device of the 2 cards the server used."""
    from reportgen.energy import recompute
    from reportgen.metrics import serving_metrics
    from reportgen.results import SoakRun, SoakWindow, TelemetrySample, TelemetrySeries

    r = clean_results()
    v = r.variants[0]
    v.cards = 2
    c4 = v.serving[2]
    c4.telemetry = TelemetrySeries(stage="s", tool="nvidia-smi", interval_s=1.0, samples=[
        TelemetrySample(t_s=float(t), device=0, power_w=100.0) for t in range(12)])
    c4.energy = recompute(c4)
    windows = []
    for i, (tpot, failed, clock, start) in enumerate(((400, 0, 1980, 1000.0), (440, 2, 1980, 1000.0), (480, 1, 1400, 1000.0),
                                                      (520, 0, 1400, 1300.0), (560, 3, 1400, 1300.0))):
        recs = [RequestRecord(index=k, start_s=k * 0.5, first_token_s=k * 0.5 + 0.05, end_s=k * 0.5 + 0.05 + tpot / 1000 * 9,
                              prompt_tokens=8, completion_tokens=10) for k in range(6)]
        recs += [RequestRecord(index=6 + k, start_s=0.1, error="HTTP 500: injected failure") for k in range(failed)]
        tel = TelemetrySeries(stage="soak", interval_s=1.0, samples=[
            TelemetrySample(t_s=float(t), device=0, clock_mhz=clock, temperature_c=70.0) for t in range(11)])
        windows.append(SoakWindow(index=i, start_s=i * 10.0, duration_s=10.0, requests=recs,
                                  metrics=serving_metrics(recs, 10.0), telemetry=tel, server_start_time_s=start))
    v.soak = [SoakRun(by="concurrency", concurrency=4, input_len=8, output_len=10, duration_s=100.0, window_s=10.0,
                      windows=windows)]
    return r


CASES: dict[str, Callable[[], Results]] = {
    "consistency": _consistency,
    "soak": _soak,
    "open_loop_and_repeats": _open_loop_and_repeats,
    "spec_bounds": _spec_bounds,
    "telemetry": _telemetry,
    "degenerate": _degenerate,
    "telemetry_range": _telemetry_range,
    "embedding": _embedding,
    "seed": seed_results,
    "failed_and_short": _failed_and_short,
    "lengths_unknown": _lengths_unknown,
    "block_cut": _block_cut,
    "prompt_drift": _prompt_drift,
    "tampered": _tampered,
    "server_side": _server_side,
    "few_requests": _few_requests,
    "sequential": _sequential,
    "duplicate_and_missing": _duplicate_and_missing,
    "accuracy": _accuracy,
}


@pytest.fixture(scope="module")
def found() -> dict[str, list[Finding]]:
    return {name: check_results(build()) for name, build in CASES.items()}


_EARLY_STOP = "：生成提前结束（未设 ignore_eos 而遇到 EOS？），TPOT 与 TPS 并非所要求输出长度下的数值"

# (case, check, precision, batch) -> the whole Chinese message, exactly.
EXPECTED_ZH: list[tuple[str, str, str | None, int | None, str]] = [
    ("seed", "throughput_consistency", "FP16", 1,
     "打印的输入吞吐 790.90 tok/s 与 8192 ÷ 24.37 s = 336.15 tok/s 不符（该值对应的时长为 10.36 s）"),
    ("seed", "throughput_consistency", "INT4", 2, "打印的请求吞吐 0.30 req/s 与 2 ÷ 0.722 s = 2.77 req/s 不符"),
    ("seed", "single_request_duration", "FP16", 1,
     "唯一的请求耗时 15.26 s（TTFT 2243.94 + 255 × TPOT 51.04），而测试时长为 24.37 s：有 9.11 s 无从解释"),
    ("seed", "tpot_batch_scaling", "FP16", 2,
     "批大小 1 的平均 TPOT 51.04 ms 是批大小 2 的 13.17 ms 的 3.9 倍（输入同为 8192 词元）："
     "多个序列的一步解码读取同样的权重，每个词元的时间不可能低于批大小 1"),
    ("seed", "ttft_batch_scaling", "FP16", 4,
     "批大小 1 的平均 TTFT 2243.94 ms 是批大小 4 的 74.77 ms 的 30.0 倍（输入同为 8192 词元）：多个并发输入的预填充不可能比单个输入更快"),
    ("seed", "percentile_order", "INT4", 4, "TTFT：P99 6424.23 ms 低于中位数 7073.03 ms（高分位数不可能更小）"),
    ("seed", "mean_consistency", "FP16", 4,
     "TTFT：均值 74.77 ms 高于 P99 60.00 ms，4 个请求时不可能出现（n ≤ 100 时 P99 位于最大的两个值之间）"),
    ("seed", "mean_consistency", "INT4", 2, "TTFT：2 个请求时中位数应等于均值，但中位数为 4704.42 ms，均值为 4764.42 ms"),
    ("seed", "prefill_rate", "FP16", 4,
     "平均 TTFT 74.77 ms 意味着 4 个并发的 8192 词元输入至少需要 273,907 tok/s 的预填充速率"
     "（(4 + 1) ÷ 2 × 8192 ÷ 0.07477 s），超过单卡可能达到的 100,000 tok/s"),
    ("spec_bounds", "prefill_rate", "FP16", 1,
     "平均 TTFT 500.00 ms 意味着 8192 词元输入的预填充速率为 16,384 tok/s（8192 ÷ 0.5 s），"
     "超过该卡的物理上限 7,143 tok/s（峰值算力 100 TFLOPS ÷ (2 × 7 × 10^9 个参数)）"),
    ("spec_bounds", "decode_rate", "FP16", 1,
     "平均 TPOT 20.00 ms 意味着每个序列 50.0 tok/s，超过该卡的物理上限 21.4 tok/s（显存带宽 300 GB/s ÷ (7 × 10^9 个参数 × 2 字节)）"),
    ("seed", "output_tokens", "INT4", 1,
     "生成词元 16 个，应为 256 × 1 个成功请求 = 256（平均每个请求 16.0 个）" + _EARLY_STOP),
    ("seed", "latency_exceeds_duration", "INT4", 2, "TTFT 均值 4764.42 ms、中位数 4704.42 ms、P99 4764.42 ms 超过测试时长 0.722 s"),
    ("seed", "accuracy_reference_gap", "FP16", None,
     "ceval 66.57% 比官方公布的 77.20%（HF 模型卡 / Qwen 文档）低 10.63 个百分点；"
     "不同评测框架的提示词、shot 数与答案抽取方式不同（本次评分口径：未注明）"),
    # one percent format and the one bbh ceiling of section 4 (2439/6511), in the scoring modes' one names
    ("seed", "bbh_bracket_bug", "FP16", None,
     "bbh 24.39% 未注明评分口径，且不高于 swift 原版口径的得分上限：该评测程序（llmuses 0.4）将 6511 题中 4074 道多选题的"
     "标准答案保留为“(A)”，永远无法匹配，得分上限为 37.46%（2439/6511）：不代表模型能力，须以修正版口径重新评测"),
    ("open_loop_and_repeats", "open_loop_rate", "FP16", 100,
     "实际到达率 10.1 请求/秒，比目标 12 请求/秒低 16.2%（客户端未能按计划发送，服务端承受的负载低于设定）"),
    ("open_loop_and_repeats", "open_loop_lateness", "FP16", 100,
     "请求实际发出时间比计划到达时间晚 30.0 ms（P99，上限 10 ms）：客户端过忙，未能保持到达过程"),
    ("open_loop_and_repeats", "repeat_cv", "FP16", 2,
     "3 次重复测试结果不一致：输出吞吐 变异系数 14.4%；平均 TTFT 变异系数 15.7%；平均 TPOT 变异系数 15.7%（超过 5%）"),
    ("lengths_unknown", "requested_length_unknown", "FP16", 1,
     "bench.txt 未记录所要求的输入与输出长度：本用例显示的是每个请求的平均值（输入 8192 / 输出 256）；如已知，请用 --input-len/--output-len 重新导入"),
    ("block_cut", "imported_block_cut", "FP16", 1,
     "从 bench.txt 导入的结果块缺少结尾分隔线：文本被截断（最后一行：Mean TTFT (ms)）；截断之后的数值缺失，最后一个数值可能不完整"),
    ("failed_and_short", "failed_requests", "FP16", 2, "8 个请求中 1 个失败，仅 7 个成功（首个错误：HTTP 500: engine dead）"),
    ("failed_and_short", "output_tokens", "FP16", 2,
     "生成词元 1552 个，应为 256 × 7 个成功请求 = 1792；7 个请求中有 1 个生成 16 个词元而非 256 个" + _EARLY_STOP),
    ("prompt_drift", "input_tokens", "FP16", 1,
     "8 个请求中有 1 个的输入词元数为 8179（服务端 usage）而非 8192；合计 65523，应为 8192 × 8 = 65536"),
    ("few_requests", "sample_count", "FP16", 8,
     "批大小 = 8 时仅有 8 个成功请求（至少应为 max(5, 2 × 8) = 16）：P99 只是最慢两个请求之间的插值"),
    ("sequential", "effective_concurrency", "FP16", 4,
     "有效并发 1.00（ΣE2EL ÷ 测试时长）远低于批大小 4（< 0.7 × 4）：客户端同时处理中的请求少于设定"),
    ("degenerate", "open_loop_overload", "FP16", 0,
     "过载：服务端每秒只完成 4.00 个请求（目标到达率 40 请求/秒，实际到达率 41.03 请求/秒）；运行期间 TTFT 从 1062 ms 升至 "
     "7813 ms，处理中的请求从 4.5 个增至 31.5 个：延迟随运行时长增长，并非 40 请求/秒负载下的数值"),
    ("degenerate", "percentile_samples", "FP16", 0,
     "TTFT、TPOT 的 P99 只基于 40 个请求（至少应为 100 个）：接近最慢请求的值，并非可靠的第 99 百分位"),
    ("degenerate", "steady_window", "FP16", 8,
     "最慢的请求耗时 5.60 s，占用例时长 5.60 s 的 100%（应少于三分之一；只有 8 个请求）：吞吐包含了启动与收尾阶段，并非稳态数值"),
    ("degenerate", "stream_tokens", "FP16", 2,
     "流式输出与词元计数不符（MLPerf TEST06）：8 个请求中有 1 个收到的词元块多于服务端报告的词元数（300 个块，usage 为 256）；"
     "8 个请求中有 1 个生成了 300 个词元，超过 max_tokens = 256：服务端没有遵守输出上限"),
    ("degenerate", "answer_model", "FP16", 2, "8 个有应答的请求中有 1 个由 other-7b 应答，而非所请求的 demo-7b"),
    ("degenerate", "stream_after_done", "FP16", 2, "8 个流式应答中有 1 个在 [DONE] 之后仍有数据（最多 5 个事件，未计入）"),
    ("degenerate", "throughput_sum", "FP16", 8,
     "总吞吐 11702.86 tok/s 不等于输入吞吐 11702.86 + 输出吞吐 365.71 = 12068.57 tok/s"),
    ("degenerate", "functional_failed", "FP16", None, "功能测试未通过：返回内容为空（生成了 256 个词元，解码后没有文字）"),
    ("degenerate", "accuracy_chance", "GPTQ-Int4", None, "gsm8k：10 题全部答错（得分 0）：模型未给出可判分的回答"),
    ("degenerate", "accuracy_chance", "GPTQ-Int4", None, "mmlu：得分 20.00% 不高于在 4 个选项中随机作答的 25%：模型未给出可判分的回答"),
    ("degenerate", "accuracy_unparsed", "GPTQ-Int4", None,
     "gsm8k：10 个回答中 3 个（30.0%）无法解析出答案：得分反映的是回答的格式而非模型能力（超过 20%，无法判定）"),
    ("degenerate", "accuracy_unparsed", "GPTQ-Int4", None, "ceval：20 个回答中 2 个（10.0%）无法解析出答案"),
    ("degenerate", "accuracy_same_questions", "GPTQ-Int4", None,
     "mmlu：GPTQ-Int4 与 FP16 回答的题目不同（分别评分 10 题与 10 题，题目集合不同）：两者的比较不是同题对比"),
    ("degenerate", "same_deployment", "GPTQ-Int4", None,
     "GPTQ-Int4 与 FP16 是同一个部署：启动命令相同（模型 /models/demo-7b，dtype float16，量化方式 无）；"
     "两者之间的加速比与精度差异都不是测试结果"),
    ("degenerate", "quantization_label", "GPTQ-Int4", None,
     "标签 GPTQ-Int4 声称 GPTQ，但启动命令没有 --quantization，以 --dtype float16 运行，模型 demo-7b 的名称中也没有"
     "量化标记：部署中看不到这种量化"),
    ("seed", "accuracy_sample_count", "AWQ-Int4", None, "ceval、gsm8k、mmlu、bbh：未记录样本数，得分无法给出置信区间"),
    ("server_side", "prefix_cache", "FP16", 4,
     "测试期间服务端前缀缓存命中查询的 131072 个输入词元中的 32768 个（25.0%）：TTFT 与吞吐结果偏乐观"),
    ("server_side", "client_server_gap", "FP16", 4, "客户端与服务端统计的平均延迟不一致：TTFT 客户端 500.00 ms，服务端 100.00 ms"),
    ("server_side", "server_token_counts", "FP16", 4, "测试期间服务端统计的词元总数与客户端不同：生成词元：服务端 1000，客户端 4096"),
    ("telemetry", "telemetry_coverage", "FP16", 1,
     "加速卡功耗读数仅覆盖 44.81 s 计时窗口的 45%（至少应为 80%）：其余时间按首个/最后一个读数估算平均功耗与能耗"),
    ("telemetry", "telemetry_coverage", "FP16", 2,
     "计时窗口 22.40 s 内加速卡遥测仅采样 1 次：每个设备的功耗读数少于 2 个，无法给出功耗与能耗"),
    ("telemetry", "peak_temperature", "FP16", 1, "峰值温度 95 °C 达到加速卡最大操作温度（90 °C）：测试期间加速卡可能降频"),
    ("telemetry", "power_validity", "FP16", None,
     "1 个用例的功耗读数间隔超过 3 个采样周期（sampling_gap_exceeded）：批大小 1（20.0 s）；其功耗不用于每词元能耗"),
    ("soak", "power_validity", "FP16", None,
     "1 个用例的功耗来自的设备数与服务所用的 2 张卡不符（expected_card_count_mismatch）：批大小 4（1 个设备）；其功耗不用于每词元能耗"),
    ("soak", "soak_drift", "FP16", None,
     "稳定性测试 1：平均 TPOT 在测试期间漂移 +33.3%（每小时 +14400 ms，95% 置信区间 +14400 至 +14400；上限 5%）"),
    ("soak", "soak_errors", "FP16", None,
     "稳定性测试 1：36 个请求中 6 个失败（16.67%；出现在第 2–3、5 个窗口）；首个错误：HTTP 500: injected failure"),
    ("soak", "soak_throttling", "FP16", None,
     "稳定性测试 1：加速卡在 3 个窗口中降频（最低频率 1400 MHz，最高 1980 MHz；最高温度 70 °C），这些窗口的平均 TPOT 为其余窗口的 1.24 倍"),
    ("soak", "soak_restart", "FP16", None, "稳定性测试 1：服务进程曾重启（进程启动时间在第 4 个窗口前发生变化）"),
    ("soak", "soak_incomplete", "FP16", None, "稳定性测试 1：计划 100 s，仅测得 50 s（未完成：可用 --resume 继续）"),
    ("soak", "soak_window_length", "FP16", None,
     "稳定性测试 1：请求端到端延迟中位数 4.4 s，超过 10 s 窗口的三分之一：窗口吞吐随整请求跳动（应加长窗口）"),
    ("telemetry", "energy_recomputed", "FP16", 4, "功耗与能耗数值与遥测采样不符：energy_j 保存值 1000，重新计算 2240.3"),
    ("telemetry_range", "telemetry_out_of_range", "FP16", 1,
     "2 个超出物理范围的遥测读数已从功耗与能耗数值中排除：设备 0 的功耗 1e+308 W（超出 0～700 W）；"
     "设备 1 的温度 -300 °C（超出 -40～150 °C）（功耗上限 700 W，即 TDP 的 2 倍）"),
    ("duplicate_and_missing", "duplicate_cell", "FP16", 1, "批大小 1、输入 8192 / 输出 256 出现第二个用例：汇总表无法区分两者"),
    ("duplicate_and_missing", "missing_metrics", "FP16", 16, "有 1 条原始请求记录但没有计算出的指标：该用例未测试或未完成"),
    ("accuracy", "accuracy_consistency", "FP16", None, "ceval：得分 0.8000 与答对数 ÷ 样本数 = 1000 ÷ 1346 = 0.7429 不符"),
    ("accuracy", "accuracy_incomplete", "FP16", None, "ceval：计划 1400 个样本，仅 1346 个完成评分"),
    ("accuracy", "accuracy_precision_gap", "AWQ-Int4", None,
     "mmlu 60.00% 比 FP16 的 70.00% 低 10.00 个百分点"),
    ("embedding", "embedding_reference", "fp16", None,
     "bge-reranker-v2-m3（重排序模型，HTTP 服务 /v1/rerank，cuda，fp16）：对照检查未通过：最大绝对差 0.300000 > 0.05；"
     "2 项中 1 项超出阈值，最差为“what is panda? | hi”得分 -7.8875，参照 -8.1875（参照：seed 6.1）"),
    ("embedding", "embedding_warning", "fp16", None,
     "bge-reranker-v2-m3（重排序模型，HTTP 服务 /v1/rerank，cuda，fp16）：吞吐测试（512 词元文本，批大小 32）失败：“HTTP 500: out of memory”"),
    ("embedding", "embedding_error", None, None, "bge-large-zh-v1.5（向量模型，本地推理，cuda）：测试未完成：“CUDA out of memory”"),
    ("consistency", "consistency_reference", "INT4", None,
     "不与参考比较：发送的提示词集（bbbbbbbbbbbb）与参考的提示词集（aaaaaaaaaaaa）不同"),
    ("consistency", "consistency_coverage", "INT4", None,
     "与参考的比较中 10 个提示词有 2 个请求失败（20%；首个：“HTTP 400: too long”）"),
    ("consistency", "consistency_template", "INT4", None,
     "8 个提示词中有 1 个经被测卡服务端的对话模板处理后与参考的词元不同（首个：ceval/0shot/law/3）：对话模板不一致；比较使用的是参考的词元"),
    ("consistency", "consistency_evidence", "INT4", None, "一致性测试提前停止：“HTTP 503 from the server”"),
]


@pytest.mark.parametrize(("case", "check", "precision", "batch", "want"), EXPECTED_ZH, ids=[f"{c[0]}-{c[1]}" for c in EXPECTED_ZH])
def test_chinese_message(found: dict[str, list[Finding]], case: str, check: str, precision: str | None, batch: int | None, want: str) -> None:
    assert want in _zh(found[case], check, precision, batch)


def test_metrics_recomputed_in_chinese(found: dict[str, list[Finding]]) -> None:
    (zh,) = _zh(found["tampered"], "metrics_recomputed")
    assert re.fullmatch(r"保存的指标与由 9 条原始记录重新计算的结果不符（保存值 vs 重算值）：output_throughput \S+ vs \S+", zh), zh


def test_precision_gap_with_different_modes_in_chinese(found: dict[str, list[Finding]]) -> None:
    assert _zh(found["accuracy"], "accuracy_precision_gap", "AWQ-Int4") == [
        "mmlu 60.00% 比 FP16 的 70.00% 低 10.00 个百分点",
        "bbh 24.00% 比 FP16 的 62.00% 低 38.00 个百分点；两次评测的评分口径不同（swift 原版口径 vs 修正版口径）",
    ]


def test_embedding_findings_in_english_with_the_same_numbers(found: dict[str, list[Finding]]) -> None:
    fs = found["embedding"]
    assert [(f.severity, f.precision, f.batch_size, f.check) for f in fs] == [
        ("error", "fp16", None, "embedding_reference"), ("warning", "fp16", None, "embedding_warning"), ("error", None, None, "embedding_error"),
    ]
    assert fs[0].message == (
        "bge-reranker-v2-m3 (reranker, http /v1/rerank, cuda, fp16): reference check failed: max |diff| 0.300000 > 0.05; "
        "1 of 2 items out of tolerance, worst 'what is panda? | hi' scored -7.8875, reference -8.1875 (reference: seed 6.1)"
    )
    assert fs[2].message == "bge-large-zh-v1.5 (embedding, local, cuda): the check did not complete: CUDA out of memory"


def test_every_check_has_an_asserted_chinese_message() -> None:
    asserted = {c[1] for c in EXPECTED_ZH} | {"metrics_recomputed"}
    assert asserted == {c.name for c in CHECKS}


# --------------------------------------------------------------------------- the same numbers, in Chinese

_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?%?")


def _numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(text))


def _all_findings(found: dict[str, list[Finding]]) -> list[Finding]:
    return [f for fs in found.values() for f in fs]


def test_every_finding_has_chinese_with_the_same_numbers(found: dict[str, list[Finding]]) -> None:
    findings = _all_findings(found)
    assert {f.check for f in findings} == {c.name for c in CHECKS}
    for f in findings:
        assert f.message_zh and re.search(r"[\u4e00-\u9fff]", f.message_zh), f
        assert "\n" not in f.message_zh
        en = f.message
        for ref in REFERENCE_SCORES:  # the English cites the source in full (arXiv number, table)
            en = en.replace(ref.source, "")
        assert _numbers(f.message_zh) == _numbers(en), (f.message, f.message_zh)


def _long_ascii_runs(text: str, most_words: int = 6) -> list[str]:
    """ASCII stretches between non-ASCII characters holding more than ``most_words`` plain words
    (code spans, identifiers, numbers and units do not count)."""
    text = re.sub(r"`[^`]*`", " ", text)
    bad = []
    for run in re.split(r"[^\x00-\x7f]+", text):
        words = [w for w in re.findall(r"\S+", run) if re.fullmatch(r"[(\"']?[A-Za-z][a-z']*[)\"',.;:?!]*", w)]
        if len(words) > most_words:
            bad.append(run.strip())
    return bad


def test_chinese_messages_have_no_english_sentences(found: dict[str, list[Finding]]) -> None:
    assert _long_ascii_runs("the printed figure implies a duration of 10.36 s") != []  # the guard works
    for f in _all_findings(found):
        assert _long_ascii_runs(f.message_zh or "") == [], f.message_zh


def test_sample_document_section_7_is_chinese(repo: Path) -> None:
    doc = render_markdown(load_results(repo / SAMPLE))
    section = doc.split("## 7. 数据有效性检查", 1)[1].split("\n## ", 1)[0]
    assert "打印的输入吞吐 790.90 tok/s 与 8192 ÷ 24.37 s = 336.15 tok/s 不符（该值对应的时长为 10.36 s）" in section
    assert "printed" not in section and " but " not in section
    assert _long_ascii_runs(section) == []


# --------------------------------------------------------------------------- validate keeps English


def test_validate_json_keys_unchanged_and_english(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_bytes((repo / SAMPLE).read_bytes())
    out = CliRunner().invoke(cli, ["validate", str(path), "--json"])
    assert out.exit_code == 1
    items = json.loads(out.stdout)
    keys = ["severity", "precision", "cell", "benchmark", "check", "message", "args", "remedy"]
    assert items and all(list(item) == keys for item in items)
    assert items[0]["args"]["value"] == "790.90" and items[0]["remedy"].startswith("re-run and keep the raw output")
    assert "message_zh" not in out.stdout
    assert "input token throughput printed 790.90 tok/s but 8192 / 24.37 s = 336.15 tok/s" in items[0]["message"]
    table = CliRunner().invoke(cli, ["validate", str(path)])
    assert not re.search(r"[\u4e00-\u9fff]", table.stdout)
    # --write stores both languages
    CliRunner().invoke(cli, ["validate", str(path), "--write"])
    stored = load_results(path).findings
    assert stored and all(f.message_zh for f in stored)
    assert stored == check_results(load_results(path))
