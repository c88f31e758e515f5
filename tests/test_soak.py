"""Soak / stability (collectors/serving/soak.py, reportgen/soak.py): windows, drift with its 95 %
interval, errors in bursts, throttling, restarts, resume after an interrupt, telemetry that drops
samples, the plan's collect step and the document's 稳定性测试 — against the stub, which slows down
on a schedule (--tpot-drift), errors in bursts (--error-burst) and reports its process start time.

Windows here are seconds long (CI); the 10-minute soaks the issue asks for are
benchmarks/soak_drift.py (README)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from serving_helpers import Stub, free_port, make_tokenizer

from collectors.execution import ReplayHost
from collectors.hardware.telemetry import TelemetrySampler
from collectors.serving.client import RequestParams, make_client
from collectors.serving.prompts import LocalTokenizer, PromptFactory
from collectors.serving.soak import SoakSettings, run_soak
from reportgen.cli import cli
from reportgen.metrics import serving_metrics
from reportgen.report.markdown import render_markdown
from reportgen.results import (
    ModelVariant,
    RequestRecord,
    SoakRun,
    SoakWindow,
    TelemetrySample,
    TelemetrySeries,
    load_results,
)
from reportgen.soak import RecommendedLoad, analyze, linear_trend, recommended_load, soak_verdict
from reportgen.validity import check_results

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- the statistics, by hand


def test_trend_slope_and_interval_by_hand() -> None:
    ts = [0.0, 1.0, 2.0, 3.0, 4.0]
    ys = [10.0, 12.5, 13.5, 16.5, 17.5]  # residuals around slope 1.9 alternate in sign (r1 < 0: no correction)
    tr = linear_trend(ts, ys)
    assert tr is not None
    slope, icpt = np.polyfit(ts, ys, 1)
    assert tr.slope_per_h == pytest.approx(slope)
    res = np.array(ys) - (icpt + slope * np.array(ts))
    se = np.sqrt(res @ res / 3 / 10.0)  # Sxx = 10
    assert tr.ci95 == pytest.approx((slope - 3.182 * se, slope + 3.182 * se))  # t(0.975, 3)
    assert tr.significant and tr.n_eff == 5
    assert tr.rel_change == pytest.approx(slope * 4 / np.mean(ys))


def test_autocorrelated_residuals_widen_the_interval() -> None:
    ts = [float(i) for i in range(12)]
    wave = [0.0, 0.3, 0.5, 0.6, 0.5, 0.3, 0.0, -0.3, -0.5, -0.6, -0.5, -0.3]  # a slow oscillation, no trend
    tr = linear_trend(ts, [20.0 + w + 0.01 * t for t, w in zip(ts, wave)])
    assert tr is not None and tr.n_eff is not None and tr.n_eff < 12
    assert not tr.significant  # independent windows would call this small slope significant
    assert linear_trend([0.0, 1.0], [1.0, 2.0]) is None  # fewer than 3 windows: no trend


def _window(i: int, tpot_ms: float, *, n: int = 6, failed: int = 0, clock: float | None = None,
            temp: float | None = None, start_time: float | None = 1000.0, length: float = 10.0) -> SoakWindow:
    recs = []
    for k in range(n):
        s = k * 0.5
        recs.append(RequestRecord(index=k, start_s=s, first_token_s=s + 0.05, end_s=s + 0.05 + tpot_ms / 1000 * 9,
                                  prompt_tokens=8, completion_tokens=10))
    recs += [RequestRecord(index=n + k, start_s=0.1, error="HTTP 500: injected failure") for k in range(failed)]
    tel = None
    if clock is not None or temp is not None:
        tel = TelemetrySeries(stage="soak", interval_s=1.0, samples=[
            TelemetrySample(t_s=float(t), device=0, clock_mhz=clock, temperature_c=temp) for t in range(0, int(length) + 1)])
    return SoakWindow(index=i, start_s=i * length, duration_s=length, requests=recs,
                      metrics=serving_metrics(recs, length), telemetry=tel, server_start_time_s=start_time)


def _run(windows: list[SoakWindow]) -> SoakRun:
    return SoakRun(by="concurrency", concurrency=4, input_len=8, output_len=10, duration_s=10.0 * len(windows),
                   window_s=10.0, windows=windows, finished_at=windows[-1].started_at or None)


def test_errors_throttling_and_restart_from_windows() -> None:
    ws = [_window(0, 10, clock=1980, temp=60), _window(1, 10, failed=2, clock=1980, temp=61),
          _window(2, 14, failed=1, clock=1500, temp=85, start_time=1300.0), _window(3, 14, clock=1450, temp=86, start_time=1300.0),
          _window(4, 10, failed=3, clock=1975, temp=62, start_time=1300.0)]
    a = analyze(_run(ws), temp_limit=85.0)
    assert (a.errors.failed, a.errors.requests) == (6, 36)
    assert a.errors.bursts == [(1, 2), (4, 4)]
    assert a.throttling.state == "throttled_latency" and a.throttling.windows == [2, 3]
    assert a.throttling.tpot_ratio == pytest.approx(1.4, rel=1e-3)
    assert a.restart.state == "restarted" and a.restart.at_windows == [2]
    assert a.verdict == "unstable" and {"errors", "throttling", "restart"} <= set(a.reasons)
    quiet = analyze(_run([_window(i, 10, clock=1980) for i in range(4)]))
    assert quiet.verdict == "stable" and quiet.throttling.state == "none" and quiet.restart.state == "none"
    assert analyze(_run([_window(0, 10), _window(1, 10)])).verdict == "unknown"  # too few windows


def test_recommended_load_is_the_capacity_else_the_operating_point() -> None:
    r = load_results(REPO / "samples" / "live-cpu.json")
    v = r.variant("BF16")
    (search,) = v.capacity
    assert search.capacity is not None
    assert recommended_load(r, v) == RecommendedLoad("concurrency", search.capacity, "capacity", search.input_len,
                                                     search.output_len)
    v.capacity = []
    from reportgen.verdicts.performance import operating_point

    op = operating_point(v, check_results(r))  # the document's recommended operating point
    assert op is not None
    assert recommended_load(r, v) == RecommendedLoad("concurrency", float(op.batch_size), "operating_point", 8192, 256)


# --------------------------------------------------------------------------- against the stub


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _soak_cli(stub: Stub, tokdir: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, [
        "soak", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir), "--precision", "FP16",
        "--input-len", "32", "--output-len", "16", "--no-telemetry", "-o", str(out), *extra])


def test_a_server_that_slows_down_is_found_with_its_sign_and_size(tokdir: Path, tmp_path: Path) -> None:
    drift = 120.0  # ms of TPOT per minute: 7200 ms/h
    stub = Stub(tokdir, ttft=0.02, extra=["--tpot", "0.01", "--tpot-drift", str(drift)])
    try:
        out = tmp_path / "slow.json"
        r = _soak_cli(stub, tokdir, out, "--concurrency", "4", "--duration", "12s", "--window", "2s")
    finally:
        stub.stop()
    assert r.exit_code == 0, r.output
    assert "FP16: soak unstable: TPOT drift +" in r.output
    res = load_results(out)
    (run,) = res.variant("FP16").soak
    assert run.finished_at is not None and len(run.windows) == 6 and run.measured_s == pytest.approx(12.0, abs=0.3)
    assert all(not q.chunk_times_s for w in run.windows for q in w.requests)  # chunk times are not kept
    a = analyze(run)
    assert a.tpot is not None and a.tpot.significant and a.tpot.slope_per_h > 0
    # CI-sized windows (10 % over 10 min: README). Under CPU starvation the client reads tokens late and
    # the windows scatter: then the built drift must lie inside the slope's own 95 % interval instead.
    built = drift * 60
    lo, hi = a.tpot.ci95
    assert a.tpot.slope_per_h == pytest.approx(built, rel=0.15) or lo <= built <= hi, (a.tpot, built)
    assert a.throughput is not None and a.throughput.slope_per_h < 0  # slower tokens, fewer per second
    assert "drift_tpot" in a.reasons
    assert a.restart.state == "none"  # the stub's process_start_time_seconds did not change
    findings = [f for f in check_results(res) if f.check == "soak_drift"]
    assert findings and "平均 TPOT 在测试期间漂移 +" in (findings[0].message_zh or "")
    md = render_markdown(res)
    assert "### 3\\.5 稳定性测试" in md and "判定：不稳定（TPOT 漂移" in md and "](charts/soak-" in md
    (st,) = soak_verdict(res)
    assert st.verdict == "unstable" and st.text.startswith("FP16 稳定性测试（并发数 4，12 s）：不稳定（TPOT 测试期间上升")


def test_errors_in_bursts_are_counted_and_placed(tokdir: Path, tmp_path: Path) -> None:
    stub = Stub(tokdir, ttft=0.02, extra=["--tpot", "0.005", "--error-burst", "6:1"])
    try:
        out = tmp_path / "burst.json"
        r = _soak_cli(stub, tokdir, out, "--concurrency", "2", "--duration", "9s", "--window", "1s")
    finally:
        stub.stop()
    assert r.exit_code == 0, r.output
    (run,) = load_results(out).variant("FP16").soak
    a = analyze(run)
    failed = [(w.index, q) for w in run.windows for q in w.requests if not q.ok] + [(-1, q) for q in run.tail_requests if not q.ok]
    assert a.errors.failed == len(failed) > 0
    assert all("HTTP 500" in (q.error or "") for _, q in failed)
    bad = sorted({i for i, _ in failed if i >= 0})
    assert [i for b in a.errors.bursts for i in range(b[0], b[1] + 1)] == bad
    assert len(a.errors.bursts) < len(run.windows) and any(w.metrics and w.metrics.failed == 0 for w in run.windows)
    (f,) = [f for f in check_results(load_results(out)) if f.check == "soak_errors"]
    assert f.severity == "error"  # far above 1 % of the requests


def _dropping_clock_host(t0: float) -> ReplayHost:
    """nvidia-smi whose card throttles (1400 MHz, 92 C) from the 4th second on and drops every 3rd tick."""
    calls = {"n": 0}

    def answer(c: str) -> tuple[int, str]:
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            return (9, "NVML: Unknown Error")
        hot = time.monotonic() - t0 > 4.0
        return (0, f"0, {250 if hot else 300}.0, {92 if hot else 60}, 99, 1000, {1400 if hot else 1980}\n")

    return ReplayHost(fallback=answer)


def test_resume_after_an_interrupt_keeps_every_window_and_telemetry_drops_are_survived(tokdir: Path) -> None:
    stub = Stub(tokdir, ttft=0.02, extra=["--tpot", "0.005", "--tpot-drift", "60"])
    v = ModelVariant(label="FP16")
    saves = []
    s = SoakSettings(duration_s=8.0, window_s=1.0, concurrency=2, input_len=32, output_len=16)
    params = RequestParams(model="stub-model", max_tokens=16)
    factory = PromptFactory(LocalTokenizer(tokdir), 7)
    sampler = TelemetrySampler(_dropping_clock_host(time.monotonic()), tool="nvidia-smi", interval_s=0.2)

    async def go(cancel_after: float | None) -> SoakRun | None:
        async with make_client(stub.base_url, 8) as client:
            task = asyncio.ensure_future(run_soak(client, factory, v, s, params, save=lambda: saves.append(1),
                                                  sampler=sampler, resume=True))
            if cancel_after is None:
                return await task
            await asyncio.sleep(cancel_after)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return None

    try:
        asyncio.run(go(3.5))
        (run,) = v.soak
        assert run.finished_at is None and run.windows[-1].interrupted
        kept = [w.index for w in run.windows if not w.interrupted]
        assert kept == list(range(len(kept))) and len(kept) >= 2
        done_before = run.measured_s
        asyncio.run(go(None))
    finally:
        stub.stop()
    (run,) = v.soak  # continued, not started again
    assert run.finished_at is not None and len(run.resumed_at) == 1
    assert [w.index for w in run.windows] == list(range(len(run.windows)))  # numbered on, nothing lost
    assert run.measured_s == pytest.approx(8.0, abs=0.3) and run.measured_s > done_before
    assert sum(1 for w in run.windows if w.interrupted) == 1
    tel = [w.telemetry for w in run.windows if w.telemetry is not None]
    assert tel and sum(t.errors for t in tel) > 0  # every third tick dropped: counted, the windows still have samples
    assert all(w.energy is not None for w in run.windows if not w.interrupted)
    a = analyze(run, temp_limit=90.0)
    assert a.throttling.state in ("throttled", "throttled_latency") and a.throttling.windows
    assert a.throttling.lowest_clock_mhz == pytest.approx(1400.0)


def _windows_saved(out: Path) -> int:
    try:
        return len(json.loads(out.read_text(encoding="utf-8"))["variants"][0]["soak"][0]["windows"])
    except (OSError, ValueError, KeyError, IndexError):
        return 0


def test_a_server_restart_is_seen_in_its_start_time(tokdir: Path, tmp_path: Path) -> None:
    port = free_port()
    # no tokenizer in the stub (it counts words): it starts in a second, so the restart is short
    stub = Stub(None, port=port, ttft=0.02, extra=["--tpot", "0.005"])
    out = tmp_path / "restart.json"
    result: dict[str, object] = {}

    def soak() -> None:
        result["r"] = CliRunner().invoke(cli, [
            "soak", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir), "--precision", "FP16",
            "--input-len", "32", "--output-len", "8", "--no-telemetry", "--concurrency", "2", "--duration", "12s",
            "--window", "1s", "--request-timeout", "5", "-o", str(out)])

    t = threading.Thread(target=soak)
    t.start()
    deadline = time.monotonic() + 60
    while _windows_saved(out) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    stub.stop()
    again = Stub(None, port=port, ttft=0.02, extra=["--tpot", "0.005"])
    try:
        t.join(90)
    finally:
        again.stop()
    r = result["r"]
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    (run,) = load_results(out).variant("FP16").soak
    a = analyze(run)
    assert a.restart.state == "restarted" and len(a.restart.at_windows) == 1 and a.restart.at_windows[0] >= 3
    starts = [w.server_start_time_s for w in run.windows if w.server_start_time_s is not None]
    assert len(set(starts)) == 2
    (f,) = [f for f in check_results(load_results(out)) if f.check == "soak_restart"]
    assert f.severity == "error"


def _collect_with_soak(tokdir: Path, tmp_path: Path, serving: str, more: str = "") -> tuple[Any, Path]:
    """``collect --only serving,soak`` against a stub with a plan of one variant and a 4 s soak at the
    recommended load; ``serving``: the [serving] table's lines, ``more``: further tables."""
    stub = Stub(tokdir, ttft=0.02, extra=["--tpot", "0.005"])
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
[serving]
input_len = 32
output_len = 8
{serving}
[functional_check]
enabled = false
[[variants]]
label = "FP16"
served_model_name = "stub-model"
tokenizer = "{tokdir}"
cards = 1
[soak]
enabled = true
duration = "4s"
window = "1s"
{more}
""", encoding="utf-8")
    out = tmp_path / "c.json"
    try:
        r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "serving,soak", "-o", str(out)])
    finally:
        stub.stop()
    return r, out


def test_collect_runs_the_plans_soak_and_records_the_frontier_settings(tokdir: Path, tmp_path: Path) -> None:
    serving = "batch_sizes = [1, 2]\nrounds = 10  # enough requests per cell for a steady window and a valid cell"
    frontier = '[frontier]\ninteractivity = [100, 150]\ncard_hour_price = 20\ncurrency = "元"'
    r, out = _collect_with_soak(tokdir, tmp_path, serving, frontier)
    assert r.exit_code == 0, r.output
    res = load_results(out)
    v = res.variant("FP16")
    assert len(v.soak) == 1, r.output
    (run,) = v.soak
    assert (run.concurrency, run.load_origin) == (2, "operating_point")  # the largest valid batch
    assert len(run.windows) == 4 and v.cards == 1
    assert res.frontier is not None and res.frontier.card_hour_price == 20 and res.frontier.interactivity == [100, 150]
    md = render_markdown(res)
    assert "稳定性测试" in md and "来源：推荐工作点（最大有效批大小）" in md and "性能前沿" in md
    assert json.loads(out.read_text())["schema_version"] == 3


def test_collect_skips_a_soak_with_no_load_and_keeps_the_run(tokdir: Path, tmp_path: Path) -> None:
    """A soak at the recommended load when the plan's limits rule out every cell: one line says the soak
    was skipped and why; the measured cells are kept and the variant's server is not marked failed."""
    r, out = _collect_with_soak(tokdir, tmp_path, "batch_sizes = [1]\nrounds = 3\nslo = { ttft_p99_ms = 0.001 }")
    assert r.exit_code == 0, r.output
    assert "soak: FP16: skipped: no load for the soak" in r.output
    v = load_results(out).variant("FP16")
    assert v.soak == [] and len(v.serving) == 1 and v.server.error is None
