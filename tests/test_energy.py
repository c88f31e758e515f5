"""Power and energy per serving cell: exact figures from a hand-built telemetry series, the
validity checks on them, and ``reportgen bench`` end to end against the stub server with a
fake ``nvidia-smi`` on PATH (and without any SMI tool)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, make_tokenizer

from collectors.hardware.sources import VENDOR_DIRS
from reportgen.cli import cli
from reportgen.energy import energy_metrics, recompute
from reportgen.metrics import serving_metrics
from reportgen.report.markdown import render_markdown
from reportgen.results import (
    Fact,
    RequestRecord,
    Results,
    ServingCell,
    TelemetrySample,
    TelemetrySeries,
    load_results,
)
from reportgen.validity import check_results


def S(t: float, device: int, power: float | None, temp: float | None = None) -> TelemetrySample:
    return TelemetrySample(t_s=t, device=device, power_w=power, temperature_c=temp)


def hand_series() -> TelemetrySeries:
    """Window D = 4 s. Device 0 read at 0.5/1.5/3.0 s; device 1 at 0/2/4.5 s (the last after the
    window); device 2 reports temperature only."""
    return TelemetrySeries(
        stage="serving:FP16:bs1", tool="nvidia-smi", interval_s=1.0,
        samples=[
            S(0.0, 1, 50.0, 40), S(0.5, 0, 100.0, 50), S(0.5, 2, None, 80), S(1.5, 0, 200.0, 60),
            S(1.5, 2, None, 79), S(2.0, 1, 150.0, 70), S(3.0, 0, 200.0, 65), S(4.5, 1, 150.0, 71),
        ],
    )


def test_exact_energy_figures_from_a_hand_built_series() -> None:
    e = energy_metrics(hand_series(), output_tokens=1000, duration_s=4.0)
    assert e is not None and e.reason is None
    # device 0: held 100 W on [0, 0.5] = 50 J; 100->200 W on [0.5, 1.5] = 150 J; 200 W on [1.5, 4] = 500 J -> 700 J
    # device 1: 50->150 W on [0, 2] = 200 J; 150 W on [2, 4] (interpolated to 4.5 s) = 300 J -> 500 J
    assert e.energy_j == pytest.approx(1200.0, abs=1e-9)
    assert e.avg_power_w == pytest.approx(300.0, abs=1e-9)
    assert e.joules_per_output_token == pytest.approx(1.2, abs=1e-12)
    # summed curve at 0, 0.5, 1.5, 2, 3, 4 s: 150, 175, 325, 350, 350, 350
    assert e.peak_power_w == pytest.approx(350.0, abs=1e-9)
    assert e.peak_temperature_c == 80  # from the device without power readings
    assert e.devices == [0, 1] and e.devices_without_power == [2]
    assert e.coverage == pytest.approx(2.5 / 4.0)  # device 0: readings from 0.5 s to 3.0 s
    assert (e.samples, e.window_s, e.output_tokens) == (8, 4.0, 1000)


def test_aligned_ticks_give_per_tick_sums() -> None:
    series = TelemetrySeries(stage="x", samples=[S(t, d, p) for t, ps in ((0.0, (10, 20)), (1.0, (30, 40)), (2.0, (30, 20))) for d, p in enumerate(ps)])
    e = energy_metrics(series, output_tokens=0, duration_s=2.0)
    assert e.energy_j == pytest.approx((30 + 70) / 2 + (70 + 50) / 2)  # 110 J
    assert e.peak_power_w == 70.0 and e.avg_power_w == pytest.approx(55.0)
    assert e.joules_per_output_token is None  # no output tokens: no J/token, energy still shown
    assert e.coverage == 1.0


@pytest.mark.parametrize(
    ("samples", "reason", "detail"),
    [
        ([S(0.0, 0, 300.0, 60), S(0.0, 1, 280.0, 62)], "not_found", "fewer than 2 power readings per device: 1 telemetry tick(s) (one every 1 s)"),
        ([S(0.0, 0, None, 60), S(1.0, 0, None, 61)], "not_found", "nvidia-smi reported no power readings"),
    ],
)
def test_too_few_or_no_power_readings_give_a_reason(samples, reason, detail) -> None:
    e = energy_metrics(TelemetrySeries(stage="x", tool="nvidia-smi", interval_s=1.0, samples=samples), 100, 3.0)
    assert (e.reason, e.avg_power_w, e.energy_j, e.joules_per_output_token, e.coverage) == (reason, None, None, None, None)
    assert detail in e.detail
    assert e.peak_temperature_c in (62, 61) and e.devices == []


def test_series_without_samples_and_no_series() -> None:
    s = TelemetrySeries(stage="x", reason="not_installed", detail="no SMI tool found")
    e = energy_metrics(s, 100, 3.0)
    assert (e.reason, e.detail, e.samples, e.avg_power_w) == ("not_installed", "no SMI tool found", 0, None)
    assert energy_metrics(None, 100, 3.0) is None


# --------------------------------------------------------------------------- validity


def measured_cell(series: TelemetrySeries, duration_s: float = 4.0) -> ServingCell:
    recs = [RequestRecord(index=0, start_s=0.0, first_token_s=0.5, end_s=3.9, chunk_times_s=[0.5 + i * 0.1 for i in range(10)],
                          prompt_tokens=100, completion_tokens=10)]
    c = ServingCell(batch_size=1, input_len=100, output_len=10, num_requests=1, duration_s=duration_s, requests=recs,
                    telemetry=series)
    c.metrics = serving_metrics(recs, duration_s)
    c.energy = recompute(c)
    return c


def results_with(cell: ServingCell) -> Results:
    r = Results()
    r.variant("FP16").serving.append(cell)
    return r


def findings(r: Results, check: str):
    return [f for f in check_results(r) if f.check == check]


def test_low_coverage_peak_temperature_and_tampering_are_found() -> None:
    r = results_with(measured_cell(hand_series()))
    (cov,) = findings(r, "telemetry_coverage")
    assert cov.severity == "warning" and cov.batch_size == 1
    assert "span only 62% of the 4.00 s timed window" in cov.message and "62%" in cov.message_zh
    assert findings(r, "peak_temperature") == []  # no max operating temperature known
    r.environment.facts["accelerator.max_temperature_c"] = Fact.of(80, unit="C")
    (hot,) = findings(r, "peak_temperature")
    assert hot.severity == "warning" and hot.precision == "FP16" and hot.batch_size == 1
    assert "80 C" in hot.message and "峰值温度 80 °C" in hot.message_zh
    r.environment.facts["accelerator.max_temperature_c"] = Fact.of(85, unit="C")
    assert findings(r, "peak_temperature") == []
    assert findings(r, "energy_recomputed") == []
    r.variants[0].serving[0].energy.energy_j = 1000.0
    (bad,) = findings(r, "energy_recomputed")
    assert bad.severity == "error" and "energy_j stored 1000, recomputed 1200" in bad.message


def test_full_coverage_and_no_tool_raise_nothing() -> None:
    series = TelemetrySeries(stage="x", samples=[S(t, 0, 100.0, 50) for t in (0.0, 1.0, 2.0, 3.0, 3.5)])
    assert findings(results_with(measured_cell(series)), "telemetry_coverage") == []
    none = TelemetrySeries(stage="x", reason="not_installed", detail="no SMI tool found")
    r = results_with(measured_cell(none))
    assert [f.check for f in check_results(r) if f.check in ("telemetry_coverage", "energy_recomputed", "peak_temperature")] == []
    one = TelemetrySeries(stage="x", interval_s=1.0, samples=[S(0.0, 0, 100.0)])
    (few,) = findings(results_with(measured_cell(one)), "telemetry_coverage")
    assert "sampled only 1 time(s)" in few.message


# --------------------------------------------------------------------------- bench end to end

FAKE_SMI = """#!/bin/sh
# fake nvidia-smi: answers the telemetry query with two cards, like the real CSV (noheader, nounits)
case "$*" in
  *--query-gpu=index,power.draw,temperature.gpu,utilization.gpu,memory.used,clocks.sm*)
    printf '0, 312.50, 61, 98, 70000, 1980\\n1, 305.10, 59, 97, 69000, 1965\\n' ;;
  *) echo "fake nvidia-smi: unsupported arguments: $*" >&2; exit 2 ;;
esac
"""


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def stub(tokdir):
    s = Stub(tokdir)
    yield s
    s.stop()


def bench(stub, tokdir, out: Path, *extra: str):
    args = ["bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
            "--precision", "FP16", "--batch-sizes", "1,2", "--input-len", "40", "--output-len", "40",
            "--rounds", "2", "--warmup", "0", "-o", str(out), *extra]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r


def section(doc: str, start: str, end: str) -> str:
    return doc[doc.index(start):doc.index(end, doc.index(start))]


def test_bench_with_a_fake_nvidia_smi_reports_power_and_energy(stub, tokdir, tmp_path, monkeypatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    smi = bindir / "nvidia-smi"
    smi.write_text(FAKE_SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "r.json"
    r = bench(stub, tokdir, out, "--telemetry-interval", "0.05")
    assert "avg W" in r.output and "617.6" in r.output  # the console summary
    res = load_results(out)
    for c in res.variant("FP16").serving:
        t, e = c.telemetry, c.energy
        assert t.tool == "nvidia-smi" and t.reason is None and len(t.samples) >= 4
        assert {s.device for s in t.samples} == {0, 1}
        # constant readings: the summed power is 312.5 + 305.1 W whatever the timing
        assert e.avg_power_w == pytest.approx(617.6) and e.peak_power_w == pytest.approx(617.6)
        assert e.energy_j == pytest.approx(617.6 * c.duration_s)
        assert c.metrics.total_output_tokens == 40 * 2 * c.batch_size
        assert e.joules_per_output_token == pytest.approx(617.6 * c.duration_s / c.metrics.total_output_tokens)
        assert e.peak_temperature_c == 61 and e.devices == [0, 1] and e.devices_without_power == []
        assert 0 < e.coverage <= 1
    doc = render_markdown(res)
    cases = section(doc, "### 3.3", "### 3.4")
    assert cases.count("| 平均功耗 (W) | 617.60 |") == 2 and cases.count("| 峰值温度 (°C) | 61.0 |") == 2
    c1 = res.variant("FP16").serving[0]
    assert f"| 每输出词元能耗 (J/token) | {c1.energy.joules_per_output_token:.3f} |" in cases
    assert "nvidia-smi，每 0.05 s 采样一次" in cases
    summary = section(doc, "### 3.4", "\n##")  # 3.4 only (性能前沿 and the rest follow)
    header = next(line for line in summary.splitlines() if line.startswith("| 用例"))
    assert "| 预填充吞吐 (tok/s) | 平均功耗 (W) | 能耗 (J/token) |" in header
    assert summary.count(" 617.60 |") == 2
    # J/token is derived from the cell: a doubtful cell's figure carries the mark (these cells have few requests)
    assert re.search(rf"\| 617\.60 \| {c1.energy.joules_per_output_token:.3f}※? \|", summary)
    glossary = doc[doc.index("## 附录 A 术语与指标说明"):]
    assert "| 每输出词元能耗 (J/token) |" in glossary and "梯形法" in glossary


def test_bench_without_a_tool_says_why_and_no_telemetry_adds_no_columns(stub, tokdir, tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    if any(shutil.which(t, path=os.pathsep.join(VENDOR_DIRS)) for t in ("nvidia-smi", "ixsmi", "npu-smi", "rocm-smi", "hy-smi")):
        pytest.skip("this machine has an SMI tool in a vendor folder")
    (empty / "sh").symlink_to(shutil.which("sh"))  # LocalHost runs `sh -c`: sh is there, no SMI tool is
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "r.json"
    bench(stub, tokdir, out)
    res = load_results(out)
    for c in res.variant("FP16").serving:
        assert c.telemetry.reason == "not_installed" and c.telemetry.samples == []
        assert c.energy.reason == "not_installed" and c.energy.avg_power_w is None
    assert not [f for f in check_results(res) if f.check in ("telemetry_coverage", "energy_recomputed")]
    doc = render_markdown(res)
    cases = section(doc, "### 3.3", "### 3.4")
    assert cases.count("功耗与温度：未测试（未安装：本机未找到可读取加速卡功耗与温度的 SMI 工具）") == 2
    # no cell has a power reading: 3.4 has no power columns and no note about telemetry (3.3 says why per cell)
    summary = section(doc, "### 3.4", "\n##")  # 3.4 only (性能前沿 and the rest follow)
    assert "平均功耗" not in summary and "遥测" not in summary

    out2 = tmp_path / "r2.json"
    bench(stub, tokdir, out2, "--no-telemetry")
    res2 = load_results(out2)
    assert all(c.telemetry is None and c.energy is None for c in res2.variant("FP16").serving)
    doc2 = render_markdown(res2)
    assert "平均功耗" not in section(doc2, "### 3.3", "\n## 附录") and "功耗与温度：" not in doc2
    assert "未采集加速卡功耗与温度，能效未评价。" in section(doc2, "## 结论", "\n## 1.")  # said once, as a limit
    assert not re.search(r"能耗 \(J/token\) \|", section(doc2, "### 3.4", "\n## "))
