"""Telemetry that cannot be true: power below 0 W or above a multiple of the card's TDP (else an
absolute ceiling), temperature outside -40..150 °C. Such readings are left out as they are
recorded and counted, with a finding; the console and the results show the same figure.
(A card tool printing 1e308 W: the console printed 1e308 W, the results stored 1.0 W.)"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, make_tokenizer

from collectors.hardware.parsers._common import num
from reportgen.cli import cli
from reportgen.energy import MAX_DEVICE_POWER_W, energy_metrics, power_ceiling, screen_samples
from reportgen.results import Fact, ModelVariant, Results, ServingCell, TelemetrySample, TelemetrySeries, load_results
from reportgen.validity import check_results

# device 0: 1e308 W; device 1: -400 W and -300 °C; device 2: 1e29 W; device 3: a true 250.5 W, 60 °C
FAKE_SMI = """#!/bin/sh
case "$*" in
  *--query-gpu=index,power.draw,temperature.gpu,utilization.gpu,memory.used,clocks.sm*)
    printf '0, 1e308, 61, 98, 70000, 1980\\n1, -400, -300, 97, 69000, 1980\\n2, 1e29, 59, 97, 69000, 1980\\n3, 250.5, 60, 50, 1000, 1980\\n' ;;
  *) echo "fake nvidia-smi: unsupported arguments: $*" >&2; exit 2 ;;
esac
"""


def test_numbers_with_an_exponent_are_read_whole() -> None:
    assert num("1e308") == 1e308 and num("-4.5E+2 W") == -450.0 and num("250.5 W") == 250.5
    assert num("1e400") is None and num("N/A") is None  # no float holds 1e400: not a reading


def test_screening_keeps_true_readings_and_counts_the_rest() -> None:
    S = TelemetrySample
    samples = [S(t_s=0, device=0, power_w=1e308, temperature_c=61), S(t_s=0, device=1, power_w=-400, temperature_c=-300),
               S(t_s=0, device=2, power_w=699.0, temperature_c=150.0, utilization_pct=101)]
    kept, bad = screen_samples(samples, power_ceiling(350))
    assert power_ceiling(350) == 700 and power_ceiling(None) == MAX_DEVICE_POWER_W
    assert [(s.power_w, s.temperature_c, s.utilization_pct) for s in kept] == [(None, 61, None), (None, None, None),
                                                                               (699.0, 150.0, None)]
    assert [(b.device, b.field, b.value) for b in bad] == [
        (0, "power_w", "1e+308"), (1, "power_w", "-400"), (1, "temperature_c", "-300"), (2, "utilization_pct", "101")]


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def test_bench_leaves_impossible_readings_out_and_says_so(tokdir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "nvidia-smi").write_text(FAKE_SMI)
    (bindir / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "r.json"
    stub = Stub(tokdir)
    try:
        r = CliRunner().invoke(cli, [
            "bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir), "--precision", "FP16",
            "--batch-sizes", "1", "--input-len", "40", "--output-len", "40", "--rounds", "3", "--warmup", "0",
            "--telemetry-interval", "0.05", "-o", str(out)], catch_exceptions=False)
    finally:
        stub.stop()
    assert r.exit_code == 0, r.output
    (cell,) = load_results(out).variant("FP16").serving
    t, e = cell.telemetry, cell.energy
    assert t is not None and e is not None and t.power_ceiling_w == MAX_DEVICE_POWER_W  # bench knows no TDP
    assert all(s.power_w in (None, 250.5) for s in t.samples) and all(s.temperature_c != -300 for s in t.samples)
    ticks = len({s.t_s for s in t.samples})
    assert t.excluded_count == 4 * ticks  # 3 powers and 1 temperature per tick
    assert e.avg_power_w == pytest.approx(250.5) and e.devices == [3] and e.peak_temperature_c == 61
    # the console shows the figure the file holds
    lines = r.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("variant ") and "avg W" in line)
    cols, row = re.split(r"\s{2,}", lines[head]), re.split(r"\s{2,}", lines[head + 2])
    assert row[cols.index("avg W")] == "250.5"  # the summary's avg W column: the file's figure
    # 1e308 appears only as the finding's example of what was left out, never as a figure
    assert all("left out" in line for line in lines if "1e+308" in line or "1e308" in line)
    assert "1e+308" not in json.dumps([s.model_dump() for s in t.samples])
    (f,) = [f for f in check_results(load_results(out)) if f.check == "telemetry_out_of_range"]
    assert f.severity == "warning" and f.message.startswith(f"{4 * ticks} telemetry reading(s) outside physical ranges")
    assert "power 1e+308 W on device 0" in f.message and "temperature -300 C on device 1" in f.message
    assert f.message_zh and "已从功耗与能耗数值中排除" in f.message_zh and "设备 0 的功耗 1e+308 W" in f.message_zh


def test_an_older_file_with_impossible_samples_is_an_error() -> None:
    S = TelemetrySample
    series = TelemetrySeries(stage="s", tool="nvidia-smi", interval_s=1.0, samples=[
        S(t_s=0.0, device=0, power_w=-400.0), S(t_s=1.0, device=0, power_w=300.0), S(t_s=2.0, device=0, power_w=310.0)])
    cell = ServingCell(batch_size=1, input_len=8, output_len=8, telemetry=series, duration_s=2.0,
                       energy=energy_metrics(series, 10, 2.0))
    res = Results(variants=[ModelVariant(label="FP16", serving=[cell])])
    res.environment.facts["accelerator.tdp_w"] = Fact.of(150.0, unit="W", origin="spec_sheet")
    (f,) = [f for f in check_results(res) if f.check == "telemetry_out_of_range"]
    assert f.severity == "error" and "1 telemetry reading(s) outside physical ranges are inside" in f.message
    assert "power -400 W on device 0" in f.message


def test_collect_judges_power_by_the_cards_tdp() -> None:
    from collectors.execution import ReplayHost
    from collectors.hardware.telemetry import TelemetrySampler

    sampler = TelemetrySampler(ReplayHost(), tool="nvidia-smi", tdp_w=350.0)
    assert sampler.power_ceiling_w == 700.0
