"""A clean measured run built from raw records, consistent in every respect (the validity
checks must find nothing in it), and small helpers to spoil it one way at a time."""

from __future__ import annotations

from reportgen.metrics import serving_metrics
from reportgen.results import (
    AccuracyResult,
    RequestRecord,
    Results,
    SampleRecord,
    ServerMetricsDelta,
    ServingCell,
    SubsetScore,
)

TTFT_S = 0.5
TPOT_S = 0.02
GAP_S = 0.001  # client turnaround between a request's end and the next dispatch


def clean_records(batch: int, n: int = 8, input_len: int = 8192, output_len: int = 256) -> list[RequestRecord]:
    """n requests in a closed loop of ``batch``: waves of ``batch`` requests, each generating
    exactly ``output_len`` tokens with TTFT 0.5 s and 20 ms between tokens; plus one warm-up."""
    e2el = TTFT_S + (output_len - 1) * TPOT_S
    records = [
        RequestRecord(
            index=-1,
            warmup=True,
            start_s=-e2el - 1.0,
            first_token_s=-e2el - 1.0 + TTFT_S,
            end_s=-1.0,
            chunk_times_s=[-e2el - 1.0 + TTFT_S + k * TPOT_S for k in range(output_len)],
            prompt_tokens=input_len,
            completion_tokens=output_len,
        )
    ]
    for i in range(n):
        wave = i // batch
        start = wave * (e2el + GAP_S)
        first = start + TTFT_S
        chunks = [first + k * TPOT_S for k in range(output_len)]
        records.append(
            RequestRecord(
                index=i,
                start_s=start,
                first_token_s=first,
                end_s=chunks[-1],
                chunk_times_s=chunks,
                prompt_tokens=input_len,
                completion_tokens=output_len,
                expected_prompt_tokens=input_len,
                finish_reason="length",
                http_status=200,
            )
        )
    return records


def clean_cell(batch: int, n: int = 8, input_len: int = 8192, output_len: int = 256) -> ServingCell:
    records = clean_records(batch, n, input_len, output_len)
    timed = [r for r in records if not r.warmup]
    duration = max(r.end_s for r in timed if r.end_s is not None) - min(r.start_s for r in timed)
    cell = ServingCell(
        batch_size=batch,
        input_len=input_len,
        output_len=output_len,
        num_requests=n,
        source="measured",
        duration_s=duration,
        requests=records,
    )
    return refresh(cell)


def refresh(cell: ServingCell) -> ServingCell:
    """Recompute the cell's metrics and the matching server-side deltas from its records."""
    m = serving_metrics(cell.requests, cell.duration_s)
    cell.metrics = m
    cell.server_metrics = ServerMetricsDelta(
        prefix_cache_hits=0.0,
        prefix_cache_queries=float(m.total_input_tokens),
        prompt_tokens=float(m.total_input_tokens),
        generation_tokens=float(m.total_output_tokens),
        ttft_mean_ms=(m.ttft_ms.mean or 0) * 0.97,  # the server starts its clock a little later
        tpot_mean_ms=m.tpot_ms.mean,
        e2el_mean_ms=(m.e2el_ms.mean or 0) * 0.99 if m.e2el_ms else None,
    )
    return cell


def _accuracy(benchmark: str, n: int, correct: int, subsets: list[tuple[str, int, int]]) -> AccuracyResult:
    samples = []
    k = 0
    for name, sn, sc in subsets:
        for j in range(sn):
            samples.append(SampleRecord(id=f"{name}-{j}", subset=name, correct=j < sc))
            k += 1
    return AccuracyResult(
        benchmark=benchmark,
        mode="corrected",
        n=n,
        n_planned=n,
        correct=correct,
        score=correct / n,
        macro=sum(sc / sn for _, sn, sc in subsets) / len(subsets),
        subsets=[SubsetScore(name=name, n=sn, correct=sc, score=sc / sn) for name, sn, sc in subsets],
        samples=samples,
    )


def clean_results() -> Results:
    """Batch sizes 1, 2, 4 with 8, 8 and 16 requests: at least 4 waves each, so the slowest request
    stays under a third of the cell (steady_window)."""
    r = Results()
    fp16 = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    for b in (1, 2, 4):
        fp16.serving.append(clean_cell(b, n=max(8, 4 * b)))
    fp16.accuracy.append(_accuracy("mmlu", 100, 70, [("abstract_algebra", 40, 27), ("anatomy", 60, 43)]))
    fp16.accuracy.append(_accuracy("gsm8k", 50, 41, [("main", 50, 41)]))
    gptq = r.variant("GPTQ-Int4", model="Qwen2-7B-Instruct", precision="int4", quantization="gptq")
    for b in (1, 2, 4):
        gptq.serving.append(clean_cell(b, n=max(8, 4 * b)))
    gptq.accuracy.append(_accuracy("mmlu", 100, 68, [("abstract_algebra", 40, 26), ("anatomy", 60, 42)]))
    return r


# --------------------------------------------------------------------------- spoilers (one fault each)


def fail_one_cut_one(cell: ServingCell) -> ServingCell:
    """Request 3 fails with HTTP 500 and request 5 stops after 16 tokens; metrics refreshed."""
    cell.requests[3] = cell.requests[3].model_copy(update={"error": "HTTP 500: engine dead", "http_status": 500})
    short = cell.requests[5]
    cell.requests[5] = short.model_copy(
        update={"completion_tokens": 16, "chunk_times_s": short.chunk_times_s[:16], "end_s": short.chunk_times_s[15]}
    )
    return refresh(cell)


def set_prompt_tokens(cell: ServingCell, index: int, tokens: int) -> ServingCell:
    """The server reports ``tokens`` prompt tokens for request ``index``; metrics refreshed."""
    cell.requests[index] = cell.requests[index].model_copy(update={"prompt_tokens": tokens})
    return refresh(cell)


def run_one_at_a_time(cell: ServingCell) -> ServingCell:
    """The cell's requests replaced by a batch-1 closed loop (a client that ignored the batch size)."""
    sequential = clean_cell(1, n=len([r for r in cell.requests if not r.warmup]))
    cell.requests = sequential.requests
    cell.duration_s = sequential.duration_s
    return refresh(cell)
