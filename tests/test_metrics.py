import numpy as np
import pytest

from reportgen.metrics import prefill_tps, serving_metrics, speedup, stats
from reportgen.results import RequestRecord


def rec(i, start, chunks, out=None, prompt=100, error=None, warmup=False):
    return RequestRecord(
        index=i,
        warmup=warmup,
        start_s=start,
        first_token_s=chunks[0] if chunks else None,
        end_s=chunks[-1] if chunks else None,
        chunk_times_s=chunks,
        prompt_tokens=prompt if error is None else None,
        completion_tokens=(len(chunks) if out is None else out) if error is None else None,
        error=error,
    )


def test_hand_computed_two_requests():
    # r0: start 0, tokens at 0.5, 0.6, 0.8 -> TTFT 500 ms, E2EL 800, TPOT (800-500)/2 = 150, ITLs 100, 200
    # r1: start 0.1, tokens at 1.1, 1.5 -> TTFT 1000 ms, E2EL 1400, TPOT 400/1 = 400, ITL 400
    recs = [rec(0, 0.0, [0.5, 0.6, 0.8], prompt=100), rec(1, 0.1, [1.1, 1.5], prompt=120)]
    m = serving_metrics(recs, duration_s=2.0)
    assert m.completed == 2 and m.failed == 0
    assert m.total_input_tokens == 220 and m.total_output_tokens == 5
    assert m.request_throughput == pytest.approx(1.0)
    assert m.output_throughput == pytest.approx(2.5)
    assert m.input_throughput == pytest.approx(110.0)
    assert m.total_token_throughput == pytest.approx(112.5)
    assert m.ttft_ms.mean == pytest.approx(750.0)
    assert m.ttft_ms.median == pytest.approx(750.0)
    assert m.ttft_ms.p99 == pytest.approx(500 + 0.99 * 500)  # linear interpolation
    assert m.ttft_ms.std == pytest.approx(250.0)
    assert m.tpot_ms.mean == pytest.approx(275.0)
    assert m.itl_ms.n == 3
    assert sorted(np.round([m.itl_ms.min, m.itl_ms.median, m.itl_ms.max], 6)) == [100.0, 200.0, 400.0]
    assert m.e2el_ms.mean == pytest.approx(1100.0)
    assert m.effective_concurrency == pytest.approx(2.2 / 2.0)
    assert m.prefill_tps == pytest.approx(110 / 0.75)


def test_one_token_output_has_no_tpot_but_counts():
    m = serving_metrics([rec(0, 0.0, [0.3], out=1)], duration_s=0.3)
    assert m.completed == 1
    assert m.total_output_tokens == 1
    assert m.tpot_ms.n == 0 and m.tpot_ms.mean is None
    assert m.ttft_ms.mean == pytest.approx(300.0)


def test_failed_and_warmup_requests():
    recs = [
        rec(0, 0.0, [1.0, 2.0], warmup=True),
        rec(1, 0.0, [0.2, 0.4]),
        rec(2, 0.0, [], error="HTTP 500"),
    ]
    m = serving_metrics(recs, duration_s=1.0)
    assert m.completed == 1 and m.failed == 1
    assert m.ttft_ms.n == 1 and m.ttft_ms.mean == pytest.approx(200.0)
    assert m.total_output_tokens == 2


def test_usage_overrides_chunk_count():
    # A server may pack several tokens in a chunk: usage is the truth for TPOT.
    m = serving_metrics([rec(0, 0.0, [0.1, 1.1], out=11)], duration_s=1.1)
    assert m.total_output_tokens == 11
    assert m.tpot_ms.mean == pytest.approx(100.0)


def test_duration_defaults_to_span():
    m = serving_metrics([rec(0, 1.0, [1.5, 2.0]), rec(1, 1.2, [1.7, 3.0])])
    assert m.duration_s == pytest.approx(2.0)


def test_stats_empty_and_percentiles():
    assert stats([]).n == 0 and stats([]).mean is None
    s = stats(list(range(1, 101)))
    assert s.p90 == pytest.approx(90.1)
    assert s.p99 == pytest.approx(99.01)


def test_prefill_and_speedup():
    assert prefill_tps(8192, 2000.0) == pytest.approx(4096.0)
    assert prefill_tps(8192, None) is None
    assert speedup(24.7, 49.4, higher_is_better=True) == pytest.approx(2.0)
    assert speedup(50.0, 25.0, higher_is_better=False) == pytest.approx(2.0)
    assert speedup(None, 1.0, True) is None
