"""vllm_log: every benchmark block of the seed, the current format, and rejections."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from reportgen.errors import InputFormatError
from reportgen.importers.run_settings import parse_namespace
from reportgen.importers.vllm_log import parse_vllm_text

SERVING = Path(__file__).resolve().parent.parent / "samples" / "seed" / "serving"

# case: file, label, batch, duration, input tokens, output tokens,
#       TTFT mean/median/p99, TPOT mean/median/p99, latency per token, output tok/s
SEED_CASES = {
    "a": ("a-fp16-bs1.log", "FP16", 1, 24.37, 8192, 256, (2243.94, 2243.94, 2243.94), (51.04, 51.04, 51.04), 40.40, 24.70),
    "b": ("b-fp16-bs2.log", "FP16", 2, 35.57, 16384, 512, (1560.00, 1560.00, 1560.00), (13.17, 13.17, 13.17), 100.00, 27.00),
    "c": ("c-fp16-bs4.log", "FP16", 4, 22.12, 32768, 1024, (74.77, 60.74, 60.00), (57.60, 59.79, 59.70), 66.42, 46.29),
    "d": ("d-fp16-bs8.log", "FP16", 8, 35.50, 65536, 2048, (140.00, 100.00, 100.00), (64.65, 67.50, 64.65), 130.85, 57.70),
    "e": ("e-int4-bs1.log", "GPTQ-Int4", 1, 2.69, 8192, 16, (2006.15, 2006.15, 2006.15), (41.24, 41.24, 41.24), 169.02, 5.95),
    "f": ("f-int4-bs2.log", "GPTQ-Int4", 2, 0.722, 16384, 32, (4764.42, 4704.42, 4764.42), (30.33, 30.33, 30.33), 226.26, 6.13),
    "g": ("g-int4-bs4.log", "GPTQ-Int4", 4, 16.20, 32768, 544, (6542.50, 7073.03, 6424.23), (196.27, 122.02, 311.46), 119.73, 33.63),
    "h": ("h-int4-bs8.log", "GPTQ-Int4", 8, 32.20, 65536, 1568, (14546.78, 4094.08, 48956.02), (250.54, 92.99, 633.32), 107.30, 48.60),
}


@pytest.mark.parametrize("case", sorted(SEED_CASES))
def test_seed_block(case: str) -> None:
    name, label, bs, duration, tin, tout, ttft, tpot, lpt, out_tps = SEED_CASES[case]
    text = (SERVING / name).read_text(encoding="utf-8")
    [item] = parse_vllm_text(text, name)
    cell, m = item.cell, item.cell.metrics
    assert item.label == label
    assert item.model == "Qwen2-7B-Instruct"
    assert (cell.batch_size, cell.input_len, cell.output_len) == (bs, 8192, 256)
    assert cell.num_requests == bs and cell.source == "imported" and cell.requests == []
    assert cell.endpoint == "/v1/completions"
    assert m is not None
    assert m.completed == bs and m.failed == 0
    assert m.duration_s == duration and cell.duration_s == duration
    assert (m.total_input_tokens, m.total_output_tokens) == (tin, tout)
    assert (m.ttft_ms.mean, m.ttft_ms.median, m.ttft_ms.p99) == ttft
    assert (m.tpot_ms.mean, m.tpot_ms.median, m.tpot_ms.p99) == tpot
    assert m.ttft_ms.n == bs and m.ttft_ms.std is None and m.ttft_ms.p90 is None and m.ttft_ms.max is None
    assert m.legacy_latency_per_token_ms == lpt
    assert m.output_throughput == out_tps
    assert m.itl_ms is None and m.e2el_ms is None
    # not printed by the legacy script: computed and said so
    assert m.total_token_throughput == pytest.approx((tin + tout) / duration)
    assert m.prefill_tps == pytest.approx(tin / bs / (ttft[0] / 1000))
    info = cell.import_info
    assert info is not None and info.format == "vllm-legacy-text" and info.file == name
    assert "total_token_throughput" in info.derived and "failed" in info.derived
    assert cell.notes and "total_token_throughput" in cell.notes[0]
    # printed strings kept exactly; the block text from the Namespace to the closing ruler
    assert info.printed["Benchmark duration (s)"] == text.split("Benchmark duration (s): ")[1].split("\n")[0]
    assert info.printed["latency per token (ms)"] == f"{lpt:.2f}"
    assert info.text is not None and info.text.startswith("Namespace(") and info.text.endswith("=====")
    assert info.text in text and "kill: usage" not in info.text


def test_seed_case_e_and_c_details() -> None:
    [e] = parse_vllm_text((SERVING / "e-int4-bs1.log").read_text(), "e")
    assert e.cell.metrics.total_output_tokens == 16 and e.cell.metrics.duration_s == 2.69
    assert e.model_path == "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/"
    assert e.precision.precision == "int4" and e.precision.quantization == "gptq"
    [c] = parse_vllm_text((SERVING / "c-fp16-bs4.log").read_text(), "c")
    ttft = c.cell.metrics.ttft_ms
    assert ttft.p99 == 60.00 and ttft.median == 60.74 and ttft.p99 < ttft.median  # as printed, inconsistent


def test_wrapped_and_mangled_namespace() -> None:
    """Case g: the PDF wrapped the Namespace over 5 lines and turned dataset_name into 'dataset name'."""
    [g] = parse_vllm_text((SERVING / "g-int4-bs4.log").read_text(), "g")
    ns = g.namespace
    assert ns["dataset_name"] == "sharegpt"
    assert ns["dataset"] == "/home/r740/lsc/dataset/ShareGPT_V3_unfiltered_cleaned_split.json"
    assert ns["model"] == "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/"
    assert ns["sharegpt_input_len"] == 8192 and ns["sharegpt_output_len"] == 256
    assert ns["trust_remote_code"] is True and ns["request_rate"] == float("inf")
    [a] = parse_vllm_text((SERVING / "a-fp16-bs1.log").read_text(), "a")
    assert a.namespace["sharegpt_output_len"] == 256  # was 'sharegpt ou' / 'tput_len'
    assert a.namespace["disable_tqdm"] is False


def test_all_seed_blocks_in_one_file() -> None:
    text = "\n".join((SERVING / SEED_CASES[c][0]).read_text() for c in sorted(SEED_CASES))
    items = parse_vllm_text(text, "all.log")
    assert [(i.label, i.cell.batch_size) for i in items] == [(SEED_CASES[c][1], SEED_CASES[c][2]) for c in sorted(SEED_CASES)]
    assert [i.cell.import_info.block for i in items] == list(range(8))
    assert items[7].cell.metrics.ttft_ms.p99 == 48956.02
    assert items[4].cell.import_info.text.count("Namespace(") == 1


def test_current_format_fixture() -> None:
    path = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt"
    [item] = parse_vllm_text(path.read_text(), str(path))
    cell, m = item.cell, item.cell.metrics
    assert item.label == "FP16" and item.model == "tiny-qwen2"
    assert (cell.batch_size, cell.input_len, cell.output_len, cell.num_requests) == (8, 8192, 256, 8)
    assert (m.completed, m.failed, m.duration_s) == (8, 0, 2.87)
    assert (m.total_input_tokens, m.total_output_tokens) == (65536, 2048)
    assert (m.request_throughput, m.output_throughput, m.total_token_throughput) == (2.79, 713.33, 23539.91)
    assert (m.ttft_ms.mean, m.ttft_ms.median, m.ttft_ms.p99) == (614.72, 412.40, 1537.62)
    assert (m.tpot_ms.mean, m.tpot_ms.median, m.tpot_ms.p99) == (8.67, 9.46, 10.61)
    assert m.itl_ms is not None and (m.itl_ms.mean, m.itl_ms.median, m.itl_ms.p99) == (8.67, 4.86, 121.16)
    assert m.legacy_latency_per_token_ms is None
    info = cell.import_info
    assert info.format == "vllm-text"
    assert info.printed["Peak output token throughput (tok/s)"] == "1173.00"
    assert info.printed["Maximum request concurrency"] == "8"
    assert set(info.derived) == {"input_throughput", "prefill_tps"}
    assert m.input_throughput == pytest.approx(65536 / 2.87)
    assert info.text.startswith("Namespace(subparser='bench'") and info.text.rstrip().endswith("=" * 50)


def test_max_concurrency_wins_over_num_prompts() -> None:
    text = (
        "Namespace(num_prompts=32, max_concurrency=4, model='/m/Qwen2-7B-Instruct-AWQ', dataset_name='random', "
        "random_input_len=128, random_output_len=16, input_len=None, output_len=None, endpoint='/v1/completions')\n"
        "============ Serving Benchmark Result ============\n"
        "Successful requests:                     31\n"
        "Failed requests:                         1\n"
        "Benchmark duration (s):                  10.00\n"
        "Total input tokens:                      3968\n"
        "Total generated tokens:                  496\n"
        "Request throughput (req/s):              3.10\n"
        "Output token throughput (tok/s):         49.60\n"
        "Total token throughput (tok/s):         446.40\n"
        "---------------End-to-end Latency----------------\n"
        "Mean E2EL (ms):                          1200.00\n"
        "Median E2EL (ms):                        1100.00\n"
        "P90 E2EL (ms):                           1500.00\n"
        "P99 E2EL (ms):                           1900.00\n"
        "==================================================\n"
    )
    [item] = parse_vllm_text(text, "x.log")
    assert item.cell.batch_size == 4 and item.cell.num_requests == 32
    assert (item.cell.input_len, item.cell.output_len) == (128, 16)
    assert item.label == "AWQ-Int4"
    m = item.cell.metrics
    assert (m.completed, m.failed) == (31, 1)
    assert m.e2el_ms.p90 == 1500.0 and m.e2el_ms.n == 31
    assert m.effective_concurrency == pytest.approx(1.2 * 31 / 10.0)
    assert m.ttft_ms.mean is None  # not printed: unknown, not zero
    over = parse_vllm_text(text, "x.log", batch_size=16, precision="INT8", model="M", input_len=100, output_len=10)[0]
    assert (over.cell.batch_size, over.label, over.model, over.cell.input_len, over.cell.output_len) == (16, "INT8", "M", 100, 10)


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/models/Qwen2-7B-Instruct/", "FP16"),
        ("/models/Qwen2-7B-Instruct-GPTQ-Int4", "GPTQ-Int4"),
        ("/models/Qwen2-7B-Instruct-AWQ", "AWQ-Int4"),
        ("/models/Qwen2-7B-Instruct-W4A16", "W4A16"),
        ("/models/Qwen2-7B-Instruct-Int8", "INT8"),
    ],
)
def test_precision_from_model_path(path: str, expected: str) -> None:
    text = f"Namespace(num_prompts=1, max_concurrency=None, model='{path}', input_len=8, output_len=2)\n" + (
        SERVING / "a-fp16-bs1.log"
    ).read_text().split("first 8417\n", 1)[1]
    [item] = parse_vllm_text(text, "p")
    assert item.label == expected
    assert item.cell.batch_size == 1 and item.cell.input_len == 8


def test_parse_namespace_values() -> None:
    ns = parse_namespace("Namespace(a=1, b='x, y', c={(1, 2): 0.5}, d=<function f at 0x1>, e=None, f=LoggingConfig(level='INFO'))")
    assert ns == {"a": 1, "b": "x, y", "c": {(1, 2): 0.5}, "d": "<function f at 0x1>", "e": None, "f": "LoggingConfig(level='INFO')"}


def test_rejections() -> None:
    with pytest.raises(InputFormatError, match=r"^x\.log: no vLLM 'Serving Benchmark Result' block found$"):
        parse_vllm_text("hello\nworld\n", "x.log")
    block = (SERVING / "a-fp16-bs1.log").read_text()
    with pytest.raises(InputFormatError, match=r"^x\.log:\d+: result block has no 'Successful requests' line$"):
        parse_vllm_text(block.replace("Successful requests: 1\n", ""), "x.log")
    with pytest.raises(InputFormatError, match=r"'Benchmark duration \(s\)' is not a number"):
        parse_vllm_text(block.replace("duration (s): 24.37", "duration (s): 24,37s"), "x.log")
    bare = block.split("first 8417\n", 1)[1]
    # "Traffic request rate: inf" and 1 request sent: concurrency 1; lengths not recorded: the means, said so
    [guess] = parse_vllm_text(bare, "x.log")
    assert (guess.cell.batch_size, guess.cell.input_len, guess.cell.output_len) == (1, 8192, 256)
    assert {"batch_size", "input_len", "output_len"} <= set(guess.cell.import_info.derived)
    assert guess.cell.dataset == "unknown" and not guess.cell.exact_input() and not guess.cell.exact_output()
    assert guess.warnings and "pass --input-len/--output-len" in guess.warnings[0]
    naked = bare.split("256\n", 1)[1]  # the block alone: nothing says how the run was driven
    with pytest.raises(InputFormatError, match="pass --batch-size"):
        parse_vllm_text(naked, "x.log")
    [means] = parse_vllm_text(naked, "x.log", batch_size=1)  # concurrency given, lengths not: the means, said so
    assert (means.cell.input_len, means.cell.output_len) == (8192, 256) and means.warnings
    [ok] = parse_vllm_text(naked, "x.log", batch_size=1, input_len=8192, output_len=256)
    assert ok.label == "FP16" and ok.model is None and ok.cell.dataset == "random" and not ok.warnings
    with pytest.raises(InputFormatError, match=r"^x\.log:1: Namespace\(\.\.\.\) is not closed$"):
        parse_vllm_text("Namespace(a=1, b=2\n" + bare, "x.log")
