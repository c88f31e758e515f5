"""The seed document's figures, copied by hand from the seed document (hand-made evaluation 000_e65c4a25610312d1)
(section 3.3 blocks a-h and section 4), built into Results the way an importer would.

Kept independent of the importers on purpose: the validity tests assert what the checks find
in the figures exactly as printed.
"""

from __future__ import annotations

from reportgen.results import AccuracyResult, ImportInfo, Results, ServingCell, ServingMetrics, Stats

# label -> text exactly as the legacy benchmark_serving.py printed it, per block (a-h).
SEED_BLOCKS: list[tuple[str, int, dict[str, str]]] = [
    (
        "FP16",
        1,
        {
            "Successful requests": "1",
            "Benchmark duration (s)": "24.37",
            "Total input tokens": "8192",
            "Total generated tokens": "256",
            "Request throughput (req/s)": "0.04",
            "Input token throughput (tok/s)": "790.90",
            "Output token throughput (tok/s)": "24.70",
            "latency per token (ms)": "40.40",
            "Mean TTFT (ms)": "2243.94",
            "Median TTFT (ms)": "2243.94",
            "P99 TTFT (ms)": "2243.94",
            "Mean TPOT (ms)": "51.04",
            "Median TPOT (ms)": "51.04",
            "P99 TPOT (ms)": "51.04",
        },
    ),
    (
        "FP16",
        2,
        {
            "Successful requests": "2",
            "Benchmark duration (s)": "35.57",
            "Total input tokens": "16384",
            "Total generated tokens": "512",
            "Request throughput (req/s)": "0.06",
            "Input token throughput (tok/s)": "4050.04",
            "Output token throughput (tok/s)": "27.00",
            "latency per token (ms)": "100.00",
            "Mean TTFT (ms)": "1560.00",
            "Median TTFT (ms)": "1560.00",
            "P99 TTFT (ms)": "1560.00",
            "Mean TPOT (ms)": "13.17",
            "Median TPOT (ms)": "13.17",
            "P99 TPOT (ms)": "13.17",
        },
    ),
    (
        "FP16",
        4,
        {
            "Successful requests": "4",
            "Benchmark duration (s)": "22.12",
            "Total input tokens": "32768",
            "Total generated tokens": "1024",
            "Request throughput (req/s)": "0.18",
            "Input token throughput (tok/s)": "1464.17",
            "Output token throughput (tok/s)": "46.29",
            "latency per token (ms)": "66.42",
            "Mean TTFT (ms)": "74.77",
            "Median TTFT (ms)": "60.74",
            "P99 TTFT (ms)": "60.00",
            "Mean TPOT (ms)": "57.60",
            "Median TPOT (ms)": "59.79",
            "P99 TPOT (ms)": "59.70",
        },
    ),
    (
        "FP16",
        8,
        {
            "Successful requests": "8",
            "Benchmark duration (s)": "35.50",
            "Total input tokens": "65536",
            "Total generated tokens": "2048",
            "Request throughput (req/s)": "0.22",
            "Input token throughput (tok/s)": "1846.24",
            "Output token throughput (tok/s)": "57.70",
            "latency per token (ms)": "130.85",
            "Mean TTFT (ms)": "140.00",
            "Median TTFT (ms)": "100.00",
            "P99 TTFT (ms)": "100.00",
            "Mean TPOT (ms)": "64.65",
            "Median TPOT (ms)": "67.50",
            "P99 TPOT (ms)": "64.65",
        },
    ),
    (
        "INT4",
        1,
        {
            "Successful requests": "1",
            "Benchmark duration (s)": "2.69",
            "Total input tokens": "8192",
            "Total generated tokens": "16",
            "Request throughput (req/s)": "0.37",
            "Input token throughput (tok/s)": "3047.25",
            "Output token throughput (tok/s)": "5.95",
            "latency per token (ms)": "169.02",
            "Mean TTFT (ms)": "2006.15",
            "Median TTFT (ms)": "2006.15",
            "P99 TTFT (ms)": "2006.15",
            "Mean TPOT (ms)": "41.24",
            "Median TPOT (ms)": "41.24",
            "P99 TPOT (ms)": "41.24",
        },
    ),
    (
        "INT4",
        2,
        {
            "Successful requests": "2",
            "Benchmark duration (s)": "0.722",
            "Total input tokens": "16384",
            "Total generated tokens": "32",
            "Request throughput (req/s)": "0.30",
            "Input token throughput (tok/s)": "2237.99",
            "Output token throughput (tok/s)": "6.13",
            "latency per token (ms)": "226.26",
            "Mean TTFT (ms)": "4764.42",
            "Median TTFT (ms)": "4704.42",
            "P99 TTFT (ms)": "4764.42",
            "Mean TPOT (ms)": "30.33",
            "Median TPOT (ms)": "30.33",
            "P99 TPOT (ms)": "30.33",
        },
    ),
    (
        "INT4",
        4,
        {
            "Successful requests": "4",
            "Benchmark duration (s)": "16.20",
            "Total input tokens": "32768",
            "Total generated tokens": "544",
            "Request throughput (req/s)": "0.25",
            "Input token throughput (tok/s)": "2024.94",
            "Output token throughput (tok/s)": "33.63",
            "latency per token (ms)": "119.73",
            "Mean TTFT (ms)": "6542.50",
            "Median TTFT (ms)": "7073.03",
            "P99 TTFT (ms)": "6424.23",
            "Mean TPOT (ms)": "196.27",
            "Median TPOT (ms)": "122.02",
            "P99 TPOT (ms)": "311.46",
        },
    ),
    (
        "INT4",
        8,
        {
            "Successful requests": "8",
            "Benchmark duration (s)": "32.20",
            "Total input tokens": "65536",
            "Total generated tokens": "1568",
            "Request throughput (req/s)": "0.25",
            "Input token throughput (tok/s)": "2025.10",
            "Output token throughput (tok/s)": "48.60",
            "latency per token (ms)": "107.30",
            "Mean TTFT (ms)": "14546.78",
            "Median TTFT (ms)": "4094.08",
            "P99 TTFT (ms)": "48956.02",
            "Mean TPOT (ms)": "250.54",
            "Median TPOT (ms)": "92.99",
            "P99 TPOT (ms)": "633.32",
        },
    ),
]

# Section 4: swift eval results (fractions as printed).
SEED_ACCURACY: dict[str, dict[str, float]] = {
    "FP16": {"ceval": 0.6657, "gsm8k": 0.7915, "mmlu": 0.6846, "bbh": 0.2439},
    "GPTQ-Int4": {"ceval": 0.6738, "gsm8k": 0.7763, "mmlu": 0.6631, "bbh": 0.2338},
    "AWQ-Int4": {"ceval": 0.6501, "gsm8k": 0.768, "mmlu": 0.6529, "bbh": 0.2367},
}


def _cell(index: int, batch: int, p: dict[str, str]) -> ServingCell:
    f = {k: float(v) for k, v in p.items()}
    n = int(f["Successful requests"])
    dur = f["Benchmark duration (s)"]
    tin, tout = int(f["Total input tokens"]), int(f["Total generated tokens"])

    def st(name: str) -> Stats:
        return Stats(n=n, mean=f[f"Mean {name} (ms)"], median=f[f"Median {name} (ms)"], p99=f[f"P99 {name} (ms)"])

    return ServingCell(
        batch_size=batch,
        input_len=8192,
        output_len=256,
        num_requests=batch,
        source="imported",
        metrics=ServingMetrics(
            completed=n,
            failed=0,
            duration_s=dur,
            total_input_tokens=tin,
            total_output_tokens=tout,
            request_throughput=f["Request throughput (req/s)"],
            input_throughput=f["Input token throughput (tok/s)"],
            output_throughput=f["Output token throughput (tok/s)"],
            total_token_throughput=(tin + tout) / dur,  # not printed by the legacy script
            ttft_ms=st("TTFT"),
            tpot_ms=st("TPOT"),
            legacy_latency_per_token_ms=f["latency per token (ms)"],
        ),
        import_info=ImportInfo(file="seed.txt", block=index, format="vllm-legacy-text", printed=dict(p)),
    )


def seed_results(*, serving: bool = True, accuracy: bool = True) -> Results:
    r = Results()
    paths = {
        "FP16": "/home/r740/lsc/models/Qwen2-7B-Instruct/",
        "INT4": "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/",
        "GPTQ-Int4": "/home/aigc/lsc/vllm_test/Qwen2-7B-Instruct_GPTQ_Int4",
        "AWQ-Int4": "/home/aigc/lsc/vllm_test/Qwen2-7B-Instruct_AWQ_Int4",
    }
    precision = {"FP16": "fp16", "INT4": "int4", "GPTQ-Int4": "int4", "AWQ-Int4": "int4"}
    quant = {"FP16": None, "INT4": "gptq", "GPTQ-Int4": "gptq", "AWQ-Int4": "awq"}

    def variant(label: str):  # type: ignore[no-untyped-def]
        return r.variant(label, model="Qwen2-7B-Instruct", model_path=paths[label], precision=precision[label], quantization=quant[label])

    if serving:
        for i, (label, batch, printed) in enumerate(SEED_BLOCKS):
            variant(label).serving.append(_cell(i, batch, printed))
    if accuracy:
        for label, scores in SEED_ACCURACY.items():
            v = variant(label)
            for bench, score in scores.items():
                v.accuracy.append(AccuracyResult(benchmark=bench, mode="unknown", source="imported", score=score))
    return r
