"""Open-loop load, SLOs/goodput, capacity search, repeats, datasets and reasoning timing,
against the stub server (tests/serving_stub.py) where the truth is known: ``--slots K`` makes
a server whose capacity is exactly K concurrent requests."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from serving_helpers import Stub, make_tokenizer

from collectors.serving.arrivals import arrival_times
from collectors.serving.client import RequestParams, make_client
from collectors.serving.datasets import parse_dataset
from collectors.serving.prompts import LocalTokenizer, PromptFactory
from collectors.serving.runner import CellPlan, run_cell
from reportgen.cli import cli
from reportgen.errors import InputFormatError
from reportgen.metrics import serving_metrics
from reportgen.repeats import repeat_stat
from reportgen.results import ModelVariant, RequestRecord, Results, ServingCell, load_results
from reportgen.slo import parse_slo, slo_failures, slo_verdicts
from reportgen.validity import check_results


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def tok(tokdir):
    return LocalTokenizer(tokdir)


@pytest.fixture(scope="module")
def stub(tokdir):
    s = Stub(tokdir)
    yield s
    s.stop()


SLOTS = 5


@pytest.fixture(scope="module")
def slot_stub(tokdir):
    s = Stub(tokdir, slots=SLOTS, ttft=0.1)
    yield s
    s.stop()


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------- SLO keys and goodput


def test_slo_keys_parse_and_reject() -> None:
    assert parse_slo("ttft_p99_ms=2000, tpot_p99_ms=100,e2el_ms=30000,tpot_p50_ms=50") == {
        "ttft_p99_ms": 2000.0, "tpot_p99_ms": 100.0, "e2el_ms": 30000.0, "tpot_median_ms": 50.0,
    }
    for bad in ("ttft=2000", "ttft_p99_ms", "ttft_p99_ms=-1", "foo_p99_ms=1", "itl_ms=5", "ttft_p100_ms=1",
                "ttft_p99_ms=1,ttft_p99_ms=2", "ttft_p99_ms=abc", ""):
        with pytest.raises(InputFormatError):
            parse_slo(bad)


def _rec(i: int, ttft: float, tpot: float, n: int = 11, ok: bool = True) -> RequestRecord:
    times = [ttft + k * tpot for k in range(n)]
    return RequestRecord(index=i, start_s=0.0, first_token_s=times[0], end_s=times[-1], chunk_times_s=times,
                         completion_tokens=n, prompt_tokens=8, error=None if ok else "HTTP 500")


def test_goodput_counts_requests_meeting_every_per_request_limit() -> None:
    recs = [_rec(0, 0.1, 0.01), _rec(1, 0.3, 0.01), _rec(2, 0.1, 0.05), _rec(3, 0.1, 0.01)]
    m = serving_metrics(recs, 2.0, {"ttft_ms": 200, "tpot_ms": 20})
    assert m.goodput_rps == pytest.approx(2 / 2.0)  # requests 0 and 3
    m = serving_metrics(recs, 2.0, {"ttft_p99_ms": 200, "tpot_p95_ms": 60})
    assert m.goodput_rps is None  # no per-request limit
    assert m.tpot_ms.percentiles["p95"] == pytest.approx(float(np.percentile([10, 10, 50, 10], 95)))
    assert slo_verdicts(m, {"ttft_p99_ms": 200, "tpot_p95_ms": 60}) == {"ttft_p99_ms": False, "tpot_p95_ms": True}
    assert slo_failures(m, {"ttft_p99_ms": 400}) == []
    failed = serving_metrics([*recs, _rec(4, 0.1, 0.01, ok=False)], 2.0)
    assert slo_failures(failed, {"ttft_p99_ms": 400}) == ["failed_requests"]


# --------------------------------------------------------------------------- arrivals


def _cv(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.mean(x))


def test_arrival_schedule_is_gamma_with_the_target_mean() -> None:
    t = np.array(arrival_times(5000, 10.0, 1.0, seed=3))
    assert t[-1] == pytest.approx(500.0)  # rescaled: the N-th arrival at N / rate
    assert _cv(np.diff(t)) == pytest.approx(1.0, abs=0.06)
    t = np.array(arrival_times(5000, 10.0, 4.0, seed=3))
    assert _cv(np.diff(t)) == pytest.approx(0.5, abs=0.04)  # gamma shape 4: CV 1/sqrt(4)
    assert arrival_times(3, float("inf")) == [0.0, 0.0, 0.0]


def test_bench_request_rate_sends_a_poisson_process(stub, tokdir, tmp_path) -> None:
    """200 arrivals at 20/s: the send times' mean rate is within 5 % of the target and the
    gaps' coefficient of variation is that of a Poisson process (1 +- 0.25: the sampling
    spread of a CV over 200 exponential gaps is about 0.1); at burstiness 4 it is 0.5.

    The promise under CPU starvation (this machine is shared) is weaker but still checked: a
    run whose sends fell behind the schedule (lateness P99 > 10 ms) must carry the
    ``open_loop_lateness`` warning, and its schedule itself must still be right. Such a run is
    retried (at most 3 runs); the send-time assertions apply to the first punctual run."""
    for b, want_cv in (("1", 1.0), ("4", 0.5)):
        for attempt in range(3):
            out = tmp_path / f"r{b}-{attempt}.json"  # one file per burstiness and attempt
            r = _cli("bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
                     "--request-rate", "20", "--num-requests", "200", "--input-len", "16", "--output-len", "4",
                     "--seed", str(7 + attempt), "--no-telemetry", "--burstiness", b, "-o", str(out))
            assert r.exit_code == 0, r.output
            res = load_results(out)
            (c,) = res.variants[0].serving
            assert c.request_rate == 20 and c.batch_size == 0 and c.rounds is None and c.burstiness == float(b)  # 0: no cap
            sched = np.sort([q.scheduled_s for q in c.requests if not q.warmup])
            assert len(sched) == 200 and sched[-1] == pytest.approx(10.0)  # N / rate
            assert _cv(np.diff(sched)) == pytest.approx(want_cv, abs=0.25 * want_cv)
            m = c.metrics
            assert m is not None and m.lateness_ms is not None and m.lateness_ms.n == 200 and m.lateness_ms.p99 is not None
            late = m.lateness_ms.p99 > 10
            assert late == ("open_loop_lateness" in {f.check for f in check_results(res)})
            if not late:
                break
        if late:
            continue  # starved three times: flagged, as promised
        sends = np.sort([q.start_s for q in c.requests if not q.warmup])
        assert 200 / sends[-1] == pytest.approx(20, rel=0.05)
        assert m.achieved_rate == pytest.approx(200 / sends[-1])
        assert _cv(np.diff(sends)) == pytest.approx(want_cv, abs=0.25 * want_cv)
    rows = json.loads(_cli("summary", str(out), "--format", "json").output)
    assert rows[0]["request_rate"] == 20 and "goodput_rps" in rows[0]


def test_open_loop_keeps_absolute_times_when_the_server_is_slow(stub, tok) -> None:
    """Responses take 0.5 s while arrivals come every ~0.05 s: a closed loop or a relative sleep
    would stretch the schedule; absolute times do not."""
    plan = CellPlan(batch_size=1, input_len=16, output_len=10, request_rate=20.0, requests=40, warmup_requests=0)
    p = RequestParams(model="stub-model", max_tokens=10, extra_body={"stub_ttft": 0.4, "stub_tpot": 0.01})

    async def go() -> ServingCell:
        async with make_client(stub.base_url, 41) as c:
            return await run_cell(c, PromptFactory(tok, 2), plan, p, key="abs", scrape_metrics=False)

    cell = asyncio.run(go())
    assert cell.metrics is not None and cell.metrics.failed == 0
    assert cell.metrics.achieved_rate == pytest.approx(20, rel=0.05)
    assert cell.metrics.effective_concurrency is not None and cell.metrics.effective_concurrency > 5  # many in flight


def test_open_loop_interrupted_keeps_the_finished_requests_and_stops_the_rest(stub, tok) -> None:
    """Ctrl-C while arrivals are still due: the requests that finished are kept, the ones in
    flight and the ones not yet sent are not, and nothing is sent after the cancellation."""
    plan = CellPlan(batch_size=1, input_len=16, output_len=4, request_rate=20.0, requests=40, warmup_requests=0)
    p = RequestParams(model="stub-model", max_tokens=4, extra_body={"stub_ttft": 0.2, "stub_tpot": 0.0})
    saved: list[ServingCell] = []

    async def go() -> None:
        async with make_client(stub.base_url, 41) as c:
            task = asyncio.create_task(run_cell(c, PromptFactory(tok, 3), plan, p, key="stop", scrape_metrics=False,
                                                sink=saved.append))
            await asyncio.sleep(0.8)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]  # no request left running

    asyncio.run(go())
    (cell,) = saved
    assert cell.interrupted and 3 <= len(cell.requests) < 20 and all(r.ok for r in cell.requests)


def test_open_loop_checks_flag_a_late_client() -> None:
    recs = [RequestRecord(index=i, start_s=0.1 * i + 0.05 + (0.03 if i % 10 == 0 else 0), scheduled_s=0.1 * i + 0.05,
                          first_token_s=0.1 * i + 0.2, end_s=0.1 * i + 0.3, chunk_times_s=[0.1 * i + 0.2, 0.1 * i + 0.3],
                          completion_tokens=2, prompt_tokens=8) for i in range(100)]
    cell = ServingCell(batch_size=100, input_len=8, output_len=2, request_rate=12.0, num_requests=100, requests=recs)
    cell.metrics = serving_metrics(recs, 10.5)
    res = Results(variants=[ModelVariant(label="A", serving=[cell])])
    checks = {f.check for f in check_results(res)}
    assert {"open_loop_rate", "open_loop_lateness"} <= checks  # 10/s achieved vs 12 asked; 30 ms late
    assert "effective_concurrency" not in checks and "sample_count" not in checks
    cell.request_rate = 10.0
    for r in recs:
        r.start_s = r.scheduled_s or 0.0
    cell.metrics = serving_metrics(recs, 10.5)
    checks = {f.check for f in check_results(res)}
    assert not {"open_loop_rate", "open_loop_lateness"} & checks


# --------------------------------------------------------------------------- capacity


def _search(stub, tokdir, out, *args):
    r = _cli("capacity", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
             "--no-telemetry", "-o", str(out), *args)
    assert r.exit_code == 0, r.output
    return r, load_results(out)


def test_capacity_finds_the_slot_limit_exactly(slot_stub, tokdir, tmp_path) -> None:
    """The stub serves 5 requests at once (TTFT 0.1 s, 40 tokens: 0.3 s a request); a 6th waits
    up to a whole request for a slot, so P99 TTFT jumps from ~0.1 s to ~0.4 s: the capacity under
    ttft_p99_ms=250 is exactly 5. CPU starvation on a shared machine can only add latency, so a
    starved search answers less than 5, never more: it is retried (at most 3 runs), and every
    answer must be <= 5."""
    answers = []
    for attempt in range(3):
        out = tmp_path / f"cap{attempt}.json"
        r, res = _search(slot_stub, tokdir, out, "--input-len", "32", "--output-len", "40", "--max-concurrency", "16",
                         "--slo", "ttft_p99_ms=250", "--precision", "FP16")
        (s,) = res.variant("FP16").capacity
        answers.append(s.capacity)
        if s.capacity == SLOTS:
            break
    assert all(a is not None and a <= SLOTS for a in answers), answers
    assert answers[-1] == SLOTS, answers
    assert "FP16: capacity 5 concurrent requests within ttft_p99_ms=250 (6 probes)" in r.output
    v = res.variant("FP16")
    assert s.by == "concurrency" and s.slo == {"ttft_p99_ms": 250.0}
    assert [(p.value, p.met) for p in s.probes] == [(1, True), (2, True), (4, True), (8, False), (6, False), (5, True)]
    for p in s.probes:
        assert p.cell.metrics is not None and p.cell.metrics.completed == 5 * p.value  # enough for a P99
        assert p.cell.slo == {"ttft_p99_ms": 250.0}
    assert s.probes[3].failed_limits == ["ttft_p99_ms"]
    assert v.serving == []  # probes are not matrix cells
    rows = json.loads(_cli("summary", "--capacity", "--format", "json", str(out)).output)
    assert list(rows[0]) == ["precision", "input_len", "output_len", "slo", "by", "capacity", "probes"]
    assert rows[0]["capacity"] == 5 and rows[0]["probes"][3]["value"] == 8 and rows[0]["probes"][3]["met"] is False
    assert set(rows[0]["probes"][0]) == {"value", "met", "ttft_p99_ms", "tpot_p99_ms", "output_tps"}
    assert rows[0]["probes"][3]["ttft_p99_ms"] > 250 > rows[0]["probes"][2]["ttft_p99_ms"]
    csv = _cli("summary", "--capacity", "--format", "csv", str(out)).output
    assert "1:met 2:met 4:met 8:miss 6:miss 5:met" in csv


def test_capacity_by_rate_brackets_the_answer_to_5_percent(slot_stub, tokdir, tmp_path) -> None:
    """By rate against 5 slots of 0.145 s requests (~34 req/s sustained): 64 req/s piles up a
    backlog of ~45 requests (P99 TTFT > 1 s), so the answer lies between 16 and 64; it met the SLO
    and a rate at most 5 % higher did not. (A 100-request probe only sees the backlog it builds:
    a rate a little above the sustained throughput can pass; longer probes tell them apart.)"""
    for attempt in range(3):
        _, res = _search(slot_stub, tokdir, tmp_path / f"rate{attempt}.json", "--by", "rate", "--start", "16",
                         "--max-rate", "64", "--input-len", "16", "--output-len", "10", "--slo", "ttft_p99_ms=600",
                         "--warmup", "0")
        (s,) = res.variants[0].capacity
        if s.capacity is not None:
            break
    assert s.capacity is not None and 16 <= s.capacity < 64
    assert any(p.value == s.capacity and p.met for p in s.probes)
    above = [p.value for p in s.probes if not p.met]
    assert min(above) <= s.capacity * 1.05 + 1e-9
    assert all(p.cell.metrics and p.cell.metrics.completed == 100 and p.cell.request_rate == p.value for p in s.probes)


def test_capacity_rejects_bad_input(tmp_path) -> None:
    r = _cli("capacity", "--base-url", "http://127.0.0.1:9", "--model", "m", "--slo", "tpot_ms=100", "-o", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "percentile limit" in r.output
    assert not (tmp_path / "x.json").exists()


def test_plan_capacity_section() -> None:
    from reportgen.plan import default_plan_toml, parse_plan

    plan = parse_plan(default_plan_toml())
    assert plan.capacity.enabled is False and plan.capacity.slo == {"ttft_p99_ms": 2000.0, "tpot_p99_ms": 100.0}
    plan = parse_plan('[capacity]\nenabled = true\nslo = { ttft_p99_ms = 500 }\nby = "rate"\n')
    assert plan.capacity.by == "rate"
    with pytest.raises(InputFormatError, match="percentile"):
        parse_plan("[capacity]\nslo = { tpot_ms = 5 }\n")
    with pytest.raises(InputFormatError, match="SLO key"):
        parse_plan("[serving]\nslo = { ttft = 5 }\n")


# --------------------------------------------------------------------------- repeats


def test_repeats_are_fresh_cells_and_a_wide_spread_is_flagged(stub, tokdir, tmp_path) -> None:
    out = tmp_path / "rep.json"
    r = _cli("bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
             "--batch-sizes", "2", "--rounds", "3", "--repeats", "3", "--input-len", "16", "--output-len", "8",
             "--no-telemetry", "-o", str(out))
    assert r.exit_code == 0, r.output
    cells = load_results(out).variants[0].serving
    assert [c.repeat for c in cells] == [0, 1, 2]
    hashes = [{q.prompt_sha256 for q in c.requests} for c in cells]
    assert not (hashes[0] & hashes[1]) and not (hashes[1] & hashes[2])  # fresh prompts per repeat
    rows = json.loads(_cli("summary", "--repeats", "--format", "json", str(out)).output)
    assert len(rows) == 1 and rows[0]["repeats"] == 3 and rows[0]["output_tps_ci95"] is not None
    # the CV check: one repeat's throughput 30 % off
    res = load_results(out)
    m = res.variants[0].serving[2].metrics
    assert m is not None
    m.output_throughput *= 1.3
    found = [f for f in check_results(res) if f.check == "repeat_cv"]
    assert len(found) == 1 and "output throughput" in found[0].message


def test_repeat_stat_matches_student_t() -> None:
    st = repeat_stat([10.0, 12.0, 14.0])
    assert st is not None and st.mean == 12 and st.cv == pytest.approx(2 / 12)
    assert st.ci95 == pytest.approx(4.303 * 2 / 3**0.5)
    one = repeat_stat([5.0])
    assert one is not None and one.ci95 is None


# --------------------------------------------------------------------------- datasets


def test_prefix_dataset_shares_a_prefix_per_user_and_keeps_exact_lengths(tok) -> None:
    f = PromptFactory(tok, 4)
    users = parse_dataset("prefix:40").users(f, "k", 2, 3, 100, 8)
    for u in users:
        assert all(tok.count(s.text) == 100 == s.prompt_tokens for s in u)
        head = [s.text[:60] for s in u]
        assert len(set(head)) == 1  # one prefix per user
        assert len({s.text for s in u}) == 3
    assert users[0][0].text[:60] != users[1][0].text[:60]
    with pytest.raises(InputFormatError):
        parse_dataset("prefix:abc")


def test_file_datasets_keep_turn_order_and_output_lengths(tok, tmp_path) -> None:
    sg = tmp_path / "sg.json"
    sg.write_text(json.dumps([
        {"conversations": [{"from": "human", "value": "first question"}, {"from": "gpt", "value": "ka ri to mu se"},
                           {"from": "human", "value": "second question"}, {"from": "gpt", "value": "na lo"}]},
        {"conversations": [{"from": "human", "value": "other user"}, {"from": "gpt", "value": "pe vi da"}]},
    ]))
    ds = parse_dataset(f"sharegpt:{sg}")
    assert ds.name == "sharegpt:sg.json"  # no machine path in the results
    f = PromptFactory(tok, 1, chat=True)
    (user,) = ds.users(f, "x", 1, 3, 100, 8)
    texts = [s.messages[-1][1] for s in user if s.messages]
    i = texts.index("first question")
    assert texts[(i + 1) % 3] == "second question"  # turn 2 right after turn 1 of the same user
    second = user[(i + 1) % 3]
    assert second.messages is not None and [r for r, _ in second.messages] == ["user", "assistant", "user"]
    assert user[i].output_len == len(tok.encode("ka ri to mu se"))
    jl = tmp_path / "p.jsonl"
    jl.write_text('{"prompt": "hello there", "output_len": 7}\n{"prompt": "bye"}\n')
    (u,) = parse_dataset(f"jsonl:{jl}").users(PromptFactory(tok, 1), "y", 1, 2, 100, 8)
    assert sorted((s.text, s.output_len) for s in u) == [("bye", 8), ("hello there", 7)]
    jl.write_text('{"prompt": 3}\n')
    parse_dataset.cache_clear()
    with pytest.raises(InputFormatError, match="line 1"):
        parse_dataset(f"jsonl:{jl}").users(PromptFactory(tok, 1), "y", 1, 1, 100, 8)


def test_jsonl_cell_runs_with_per_request_output_lengths(stub, tokdir, tmp_path) -> None:
    jl = tmp_path / "w.jsonl"
    jl.write_text("".join(json.dumps({"prompt": f"question number {i}", "output_len": 3 + i}) + "\n" for i in range(4)))
    out = tmp_path / "j.json"
    r = _cli("bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
             "--batch-sizes", "2", "--rounds", "2", "--dataset", f"jsonl:{jl}", "--input-len", "16", "--output-len", "8",
             "--no-telemetry", "-o", str(out))
    assert r.exit_code == 0, r.output
    res = load_results(out)
    (c,) = res.variants[0].serving
    assert c.dataset == "jsonl:w.jsonl"
    timed = [q for q in c.requests if not q.warmup]
    assert sorted(q.completion_tokens or 0 for q in timed) == [3, 4, 5, 6]
    assert all(q.target_output_tokens == q.completion_tokens for q in timed)
    assert not {"output_tokens", "input_tokens"} & {f.check for f in check_results(res)}  # not exact-length


# --------------------------------------------------------------------------- reasoning


def test_reasoning_stream_records_the_first_answer_token(stub, tok) -> None:
    plan = CellPlan(batch_size=1, input_len=48, output_len=20, rounds=2, warmup_requests=0, endpoint="chat")
    p = RequestParams(model="stub-model", max_tokens=20, extra_body={"stub_reasoning": 10, "stub_ttft": 0.05, "stub_tpot": 0.01})

    async def go() -> ServingCell:
        async with make_client(stub.base_url, 2) as c:
            return await run_cell(c, PromptFactory(tok, 9, chat=True), plan, p, key="reason", scrape_metrics=False)

    cell = asyncio.run(go())
    m = cell.metrics
    assert m is not None and m.tfat_ms is not None and m.tfat_ms.n == 2
    # 10 reasoning tokens x 10 ms come before the first answer token: at least ~100 ms later; a
    # loaded machine only delays the stub's tokens further (the upper bound is loose on purpose)
    assert 70 <= m.tfat_ms.mean - m.ttft_ms.mean <= 1000
    plain = RequestParams(model="stub-model", max_tokens=20)

    async def go2() -> ServingCell:
        async with make_client(stub.base_url, 2) as c:
            return await run_cell(c, PromptFactory(tok, 10, chat=True), plan, plain, key="plain", scrape_metrics=False)

    assert asyncio.run(go2()).metrics.tfat_ms is None  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the document


def _probe_cell(conc: int, ttft: float, energy_j: float | None = None) -> ServingCell:
    from reportgen.energy import recompute
    from reportgen.results import TelemetrySample, TelemetrySeries

    recs = [_rec(i, ttft, 0.01) for i in range(5 * conc)]
    cell = ServingCell(batch_size=conc, input_len=8, output_len=11, num_requests=5 * conc, rounds=5, requests=recs,
                       duration_s=1.0, slo={"ttft_p99_ms": 200.0})
    cell.metrics = serving_metrics(recs, 1.0, cell.slo)
    if energy_j is not None:  # readings every 0.5 s at energy_j watts over the 1 s window: energy_j joules
        cell.telemetry = TelemetrySeries(stage="capacity", tool="nvidia-smi", interval_s=0.5, samples=[
            TelemetrySample(t_s=t, device=0, power_w=energy_j) for t in (0.0, 0.5, 1.0)])
        cell.energy = recompute(cell)
    return cell


def _results_with_search() -> Results:
    from reportgen.results import CapacityProbe, CapacitySearch

    probes = [CapacityProbe(value=c, met=t < 0.2, cell=_probe_cell(c, t, 100.0 if c == 2 else None),
                            failed_limits=[] if t < 0.2 else ["ttft_p99_ms"])
              for c, t in ((1, 0.05), (2, 0.08), (4, 0.5), (3, 0.3))]
    search = CapacitySearch(by="concurrency", slo={"ttft_p99_ms": 200.0}, input_len=8, output_len=11, max_value=8,
                            capacity=2, probes=probes)
    return Results(variants=[ModelVariant(label="FP16", capacity=[search])])


def test_document_section_3_5_shows_the_search_and_its_chart() -> None:
    from reportgen.report.charts import all_charts, chart_plan
    from reportgen.report.markdown import render_markdown

    res = _results_with_search()
    md = render_markdown(res)
    sec = md[md.index("### 3\\.5 容量"):md.index("## 4.")]
    assert "TTFT 的 P99 ≤ 200 ms" in sec
    assert "FP16 满足上述全部延迟要求的最大并发数为 2。" in sec
    rows = [ln for ln in sec.splitlines() if ln.startswith("| ") and "满足" in ln and "是否" not in ln]
    assert [r.split(" | ")[0] for r in rows] == ["| 1", "| 2", "| 3", "| 4"]  # sorted by value
    assert "| 不满足 |" in rows[2] and "| 满足 |" in rows[1]
    (name,) = [n for n, t in chart_plan(res) if t == "FP16 负载曲线（随并发数变化）"]
    assert re.fullmatch(r"capacity-[0-9a-f]{8}", name) and f"charts/{name}.png" in sec  # a digest, not the label
    chart = all_charts(res)[name]
    assert chart.png.startswith(b"\x89PNG") and b"<svg" in chart.svg
    tpj = 110 / 100.0  # 10 requests x 11 tokens over 100 J
    assert f"每焦耳 {tpj:.3g} 个输出词元" in sec


def test_capacity_points_for_the_conclusion() -> None:
    from reportgen.report.capacity_view import capacity_points

    (p,) = capacity_points(_results_with_search())
    assert (p.label, p.by, p.capacity) == ("FP16", "concurrency", 2)
    assert p.tokens_per_joule == pytest.approx(1.1)
    assert p.text == "并发数 2（TTFT 的 P99 ≤ 200 ms）"
    assert capacity_points(Results(variants=[ModelVariant(label="X")])) == []


def test_no_capacity_no_section() -> None:
    from reportgen.report.markdown import render_markdown

    assert "3\\.5 容量" not in render_markdown(Results(variants=[ModelVariant(label="X")]))


def test_collect_plan_runs_the_capacity_search_per_variant_while_the_server_is_up(tokdir, tmp_path) -> None:
    """A plan with ``[capacity]``: the serving stage launches the slot-limited stub, runs the
    matrix, then the search (while the server is up), and stops the server; --resume skips a
    variant whose matrix and search are both done."""
    import sys

    from serving_helpers import free_port

    from collectors.serving.stage import run_serving_stage
    from reportgen.plan import parse_plan
    from reportgen.results import ResultsStore

    port = free_port()
    stub_py = Path(__file__).parent / "serving_stub.py"
    cmd = f"exec {sys.executable} {stub_py} --port {port} --model tiny --tokenizer {tokdir} --slots 2 --ttft 0.1"
    plan = parse_plan(f"""
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 60
[serving]
batch_sizes = [1]
input_len = 24
output_len = 40
rounds = 2
[functional_check]
enabled = false
[capacity]
enabled = true
slo = {{ ttft_p99_ms = 250 }}
max_concurrency = 8
[[variants]]
label = "FP16"
served_model_name = "tiny"
launch_command = {json.dumps(cmd)}
""")
    store = ResultsStore.open(tmp_path / "r.json")
    run_serving_stage(plan, store)
    v = load_results(tmp_path / "r.json").variant("FP16")
    assert len(v.serving) == 1 and v.server.exit_code is not None  # launched, measured, stopped
    (s,) = v.capacity
    assert s.finished_at is not None and s.input_len == 24 and s.output_len == 40 and s.slo == {"ttft_p99_ms": 250.0}
    assert s.capacity is not None and s.capacity <= 2  # 2 slots: a 3rd request waits 0.3 s for one
    assert [p.value for p in s.probes][:2] == [1, 2]
    store = ResultsStore.open(tmp_path / "r.json")
    before = store.results.variant("FP16").capacity[0].started_at
    run_serving_stage(plan, store, resume=True)  # nothing left to do: the server is not even launched
    again = load_results(tmp_path / "r.json").variant("FP16")
    assert again.capacity[0].started_at == before


def test_section_7_lists_the_probe_cells_under_the_cell_checks() -> None:
    """A probe whose answers stopped short (5 of 11 tokens) is listed in section 7 with the check
    that found it, numbered after the other findings, and counted in the summary line."""
    from reportgen.report.capacity_view import probe_status
    from reportgen.report.markdown import render_markdown

    res = _results_with_search()
    short = res.variants[0].capacity[0].probes[1].cell  # concurrency 2
    for q in short.requests:
        q.completion_tokens = 5
    short.metrics = serving_metrics(short.requests, 1.0, short.slo)
    assert probe_status(short, res.variants[0]) == "INVALID"
    md = render_markdown(res)
    s7 = md[md.index("## 7."):]
    assert "### 7.1 容量搜索探测点" in s7
    rows = [ln for ln in s7.split("### 7.1 容量搜索探测点", 1)[1].split("\n### ", 1)[0].splitlines() if ln.startswith("| #")]
    mine = [r for r in rows if "| 并发数 2（输入 8 / 输出 11） |" in r]
    (short_row,) = [r for r in mine if "生成词元总数应等于输出长度 × 成功请求数" in r]
    assert "| 错误 | FP16 |" in short_row and "10 个请求中有 10 个生成 5" in short_row
    # every probe issue of 3.5's notes is a row here, with the same message
    sec35 = md[md.index("### 3\\.5 容量"):md.index("## 4.")]
    for r in rows:
        assert r.split(" | ")[-1].rstrip(" |") in sec35
    assert "4 个容量搜索探测点" in s7 and f"发现错误 {sum('| 错误 |' in r for r in rows)} 项" in s7
