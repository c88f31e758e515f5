"""The /metrics parser and per-cell deltas on two real scrapes of vLLM 0.32 (CPU build),
taken around a cell of 2 requests x 8192 prompt tokens x 256 generated tokens."""

from pathlib import Path

import pytest

from collectors.serving.prometheus import delta, parse, total

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def scrapes():
    return (parse((DATA / "vllm-0.32-cpu-metrics-before.txt").read_text()),
            parse((DATA / "vllm-0.32-cpu-metrics-after.txt").read_text()))


def test_parse_real_exposition(scrapes):
    before, after = scrapes
    key = 'vllm:time_to_first_token_seconds_bucket{engine="0",le="0.5",model_name="/work/.tiny-models/tiny-qwen2"}'
    assert key in after
    assert total(after, "vllm:num_requests_running") == 0.0
    assert all(not k.startswith("#") for k in after)


def test_delta_of_one_cell(scrapes):
    d = delta(*scrapes)
    assert d.error is None
    assert d.prompt_tokens == 16384 and d.generation_tokens == 512 and d.requests == 2
    assert d.prefix_cache_hits == 0 and d.prefix_cache_queries == 16384
    # client measured 341.9 ms TTFT and 2.95 ms TPOT in the same cell
    assert d.ttft_mean_ms == pytest.approx(335.6, abs=0.1)
    assert d.tpot_mean_ms == pytest.approx(2.96, abs=0.01)
    assert d.e2el_mean_ms == pytest.approx(1090.6, abs=0.1)
    assert all(k.startswith("vllm:") and not k.split("{")[0].endswith("_bucket") for k in d.raw)


def test_parse_edge_cases_and_missing_scrape():
    text = '# TYPE x counter\nx_total 3\ny{a="b c",d="}"} 2.5 1700000000\nbad line\nz{broken 1\n'
    s = parse(text)
    assert s == {"x_total": 3.0, 'y{a="b c",d="}"}': 2.5}
    assert delta(None, s).error == "not scraped"
    assert delta("/metrics: HTTP 404", s).error == "/metrics: HTTP 404"
