"""A real NVIDIA H200 machine, replayed: every command ``collect --only hardware`` ran there
(scripts/device-check.sh, recorded in tests/fixtures/device/h200-hardware-raw.json) answers
from its recorded output, and the facts and section 1 must read as that machine is."""

from __future__ import annotations

import json

from conftest import FIXTURES

from collectors.execution import CommandResult, ReplayHost
from collectors.hardware.collect import collect_environment
from reportgen.report.markdown import render_markdown
from reportgen.results import Results

RAW = json.loads((FIXTURES / "device" / "h200-hardware-raw.json").read_text(encoding="utf-8"))["raw_outputs"]
MIB = 2**20


def _host() -> ReplayHost:
    answers = {r["command"]: CommandResult(r["command"], r["exit_code"], r["stdout"], r["stderr"], 0.01,
                                           timed_out=r["timed_out"]) for r in RAW}
    return ReplayHost(answers, name="h200")


def test_h200_facts_as_the_machine_is() -> None:
    env = collect_environment(_host())
    f = env.facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (1, 1)
    assert f["accelerator.vendor"].value == "NVIDIA" and f["accelerator.model"].value == "NVIDIA H200"
    assert f["accelerator.memory_bytes"].value == 143771 * MIB and f["accelerator.memory_bytes"].origin == "measured"
    assert f["accelerator.tdp_w"].value == 700 and f["accelerator.tdp_w"].origin == "measured"
    assert f["accelerator.interface"].value == "PCIe Gen5 x16"
    assert (f["driver.version"].value, f["sdk.name"].value, f["sdk.version"].value) == ("580.159.04", "CUDA", "13.0")
    # the spec sheet knows the H200 (the first device run found no entry): bandwidth and peak compute
    bw = f["accelerator.memory_bandwidth"]
    assert bw.value == 4.8e12 and bw.origin == "spec_sheet" and bw.source == "spec:H200-SXM"
    assert "BF16 989.4 TFLOPS" in f["accelerator.peak_compute"].value
    assert f["accelerator.memory_type"].value == "HBM3e"
    (dev,) = env.accelerators
    assert (dev.pci_address, dev.vendor_id, dev.device_id) == ("0000:00:06.0", "10de", "2335")
    assert (dev.pcie_link_cap, dev.pcie_link_status, dev.pcie_downgraded) == ("32GT/s x16", "32GT/s x16", False)
    # driver 580 prints T.Limit-relative limits only: no max operating temperature, and it says why
    assert not f["accelerator.max_temperature_c"].present


def test_h200_section_1_reads_as_the_reader_expects() -> None:
    results = Results(environment=collect_environment(_host()))
    md = render_markdown(results, source="h200.json")
    section1 = md.split("## 1.", 1)[1].split("\n## ", 1)[0]
    assert "| 加速卡 | 型号 | NVIDIA H200 |" in section1
    assert "NVIDIA NVIDIA" not in section1  # vendor and a model that already names it: once
    assert "| 加速卡 | SDK | CUDA 13.0 |" in section1
    assert "| 加速卡 | 显存带宽 | 4800 GB/s（厂商规格） |" in section1
    assert "其他" not in section1 and "accelerator." not in section1 and "smi.tool" not in section1
    assert "| 加速卡 | 管理工具 | nvidia-smi |" in section1
