"""Environment collection: fixture outputs replayed through the whole fact derivation, the
local machine end to end, execution hosts, telemetry, spec sheet and PCI table."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

from collectors.execution import CommandResult, LocalHost, ReplayHost, in_container, is_local, open_host
from collectors.hardware import pci_ids, sources
from collectors.hardware.collect import collect_environment
from collectors.hardware.specs import SPECS, find_spec
from collectors.hardware.telemetry import TelemetrySampler
from reportgen.cli import main
from reportgen.errors import HostError
from reportgen.results import load_results

MIB = 2**20
GIB = 2**30


def fx(name: str) -> str:
    return (FIXTURES / "smi" / name).read_text(encoding="utf-8")


def sysfx(name: str) -> str:
    return (FIXTURES / "system" / name).read_text(encoding="utf-8")


def sysfs_line(addr: str, vendor: str, device: str, cls: str, speed: str = "16.0", width: int = 16,
               cur_speed: str | None = None, numa: int = 0) -> str:
    return (f"{addr} vendor=0x{vendor} device=0x{device} class=0x{cls} numa_node={numa} "
            f"max_link_speed={speed}_GT/s_PCIe max_link_width={width} "
            f"current_link_speed={cur_speed or speed}_GT/s_PCIe current_link_width={width}")


def base_responses() -> dict[str, tuple[int, str] | CommandResult]:
    by_id = {s.id: s.command for s in sources.HOST_SOURCES}
    return {
        by_id["dmi_sysfs"]: (0, "sys_vendor=Dell Inc.\nproduct_name=PowerEdge R740\n"),
        by_id["lscpu"]: (0, sysfx("lscpu-kunpeng920-4socket-as-published.txt")),
        by_id["meminfo"]: (0, "MemTotal:       131072000 kB\n"),
        by_id["os_release"]: (0, sysfx("os-release-euleros-2.0sp10-partial.txt")),
        by_id["kernel"]: (0, "4.19.90-vhulk2111.1.0.h963.eulerosv2r10.aarch64\n"),
        by_id["docker"]: (0, "Docker version 24.0.7, build 24.0.7-0ubuntu2~22.04.1\n"),
        sources.SOFTWARE_SOURCE.command: (0, "python=3.10.12\nvllm=0.6.3\ntorch=2.1.1\ntransformers=\n"),
    }


def smi_cmd(source_id: str) -> str:
    for group in sources.SMI_SOURCES.values():
        for s in group:
            if s.id == source_id:
                return s.command
    raise KeyError(source_id)


def replay(pairs: dict[str, tuple[int, str] | CommandResult]) -> ReplayHost:
    r = base_responses()
    for cmd, v in pairs.items():
        r[cmd] = v
    return ReplayHost(r, name="replayed")


def cmd_of(source_id: str) -> str:
    for s in sources.HOST_SOURCES:
        if s.id == source_id:
            return s.command
    return smi_cmd(source_id)


# --------------------------------------------------------------------------- whole path, replayed


def test_biv150_eight_boards_sixteen_chips() -> None:
    table = fx("ixsmi-table-biv150-16card.txt")
    from collectors.hardware.parsers.nvidia import parse_table

    buses = [d.bus_id for d in parse_table(table).devices]
    pci = "\n".join(sysfs_line(b, "1e3e", "0003", "120000") for b in buses)
    host = replay({
        cmd_of("sysfs_pci"): (0, pci + "\n" + sysfs_line("0000:00:01.0", "1af4", "1045", "00ff00")),
        cmd_of("smi_probe"): (0, "ixsmi=/usr/local/corex/bin/ixsmi\n"),
        cmd_of("ixsmi"): (0, table),
    })
    env = collect_environment(host)
    f = env.facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (8, 16)
    assert "2 per board" in f["accelerator.count"].detail
    assert f["accelerator.model"].value == "Iluvatar BI-V150" and f["accelerator.model"].source == "ixsmi"
    assert f["accelerator.vendor"].value == "Iluvatar CoreX"
    assert f["accelerator.memory_bytes"].value == 64 * GIB and f["accelerator.memory_bytes"].origin == "measured"
    assert f["accelerator.memory_bytes_per_chip"].value == 32 * GIB
    assert f["accelerator.memory_type"].value == "HBM2e" and f["accelerator.memory_type"].origin == "spec_sheet"
    bw = f["accelerator.memory_bandwidth"]
    assert bw.value == 1.6e12 and bw.origin == "spec_sheet" and "card-specs.md" in bw.detail
    assert bw.source == "spec:BI-V150"
    assert "FP16 192 TFLOPS" in f["accelerator.peak_compute"].value
    assert "2 chips" in f["accelerator.peak_compute"].value
    assert f["accelerator.peak_int8_ops"].value == 384e12
    assert f["accelerator.interface"].value == "PCIe Gen4 x16" and f["accelerator.interface"].source == "sysfs_pci"
    assert f["accelerator.pcie_downgraded"].value is False
    assert f["accelerator.tdp_w"].value == 350 and f["accelerator.tdp_w"].origin == "measured"
    assert (f["driver.version"].value, f["sdk.name"].value, f["sdk.version"].value, f["sdk.cuda_version"].value) == (
        "4.1.0", "Corex", "4.1.0", "10.2")
    assert f["accelerator.max_temperature_c"].reason == "not_found"
    assert len(env.accelerators) == 16
    assert [(a.board, a.chip) for a in env.accelerators[:4]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert env.accelerators[1].pci_address == "0000:16:00.0" and env.accelerators[1].power_cap_w == 350
    assert env.accelerators[0].vendor_id == "1e3e" and env.accelerators[0].numa_node == 0
    # host facts
    assert (f["server.vendor"].value, f["server.model"].value) == ("Dell Inc.", "PowerEdge R740")
    assert (f["cpu.model"].value, f["cpu.sockets"].value, f["cpu.cores"].value) == ("Kunpeng-920", 4, 192)
    assert f["memory.total_bytes"].value == 131072000 * 1024
    assert f["os.name"].value == "EulerOS 2.0 (SP10)" and f["docker.version"].value == "24.0.7"
    assert (f["software.vllm"].value, f["software.torch"].value) == ("0.6.3", "2.1.1")
    assert f["software.transformers"].reason == "not_installed"
    # raw outputs are kept under the ids facts point to
    raw = {r.id: r for r in env.raw_outputs}
    assert raw["ixsmi"].stdout == table and raw["ixsmi -q -x"].reason == "not_installed"
    assert "dmidecode" not in raw  # sysfs had the DMI data: no root needed


def test_mrv100_xml_gives_max_temperature_and_link() -> None:
    host = replay({
        cmd_of("smi_probe"): (0, "ixsmi=/usr/local/corex/bin/ixsmi\n"),
        cmd_of("ixsmi -q -x"): (0, fx("ixsmi-q-x-mrv100.xml")),
    })
    f = collect_environment(host).facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (2, 2)
    assert f["accelerator.max_temperature_c"].value == 95 and f["accelerator.max_temperature_c"].origin == "measured"
    assert f["accelerator.interface"].value == "PCIe Gen4 x16" and f["accelerator.interface"].source == "ixsmi -q -x"
    assert f["accelerator.tdp_w"].value == 150 and f["driver.version"].value == "4.2.0"
    assert f["accelerator.memory_bandwidth"].value == 819e9


def test_h100_eight_gpus() -> None:
    host = replay({
        cmd_of("smi_probe"): (0, "nvidia-smi=/usr/bin/nvidia-smi\n"),
        cmd_of("nvidia-smi -q"): (0, fx("nvidia-smi-q-h100-sxm-8gpu.txt")),
    })
    env = collect_environment(host)
    f = env.facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (8, 8)
    assert f["accelerator.model"].value == "NVIDIA H100 80GB HBM3"
    assert f["accelerator.memory_bytes"].value == 81559 * MIB
    assert f["accelerator.interface"].value == "PCIe Gen5 x16"
    assert f["accelerator.tdp_w"].value == 700 and f["accelerator.vendor"].value == "NVIDIA"
    assert (f["driver.version"].value, f["sdk.name"].value, f["sdk.version"].value) == ("565.57.01", "CUDA", "12.7")
    assert f["accelerator.memory_bandwidth"].value == 3350e9
    mt = f["accelerator.max_temperature_c"]
    assert mt.reason == "not_found" and "T.Limit" in mt.detail
    assert [a.device_id for a in env.accelerators] == ["2330"] * 8
    assert env.accelerators[0].extra["max_clocks_mhz"]["sm"] == 1980


def test_ascend_lspci_by_name_and_duo_boards() -> None:
    host = replay({
        cmd_of("sysfs_pci"): (0, ""),
        cmd_of("lspci"): (0, fx("lspci-grep-ascend-d802.txt")),
        cmd_of("smi_probe"): (0, "npu-smi=/usr/local/sbin/npu-smi\n"),
        cmd_of("npu-smi info"): (0, fx("npu-smi-info-910b4-8card-v23.0.rc3.txt")),
    })
    f = collect_environment(host).facts
    assert f["accelerator.vendor"].value == "Huawei Ascend" and f["accelerator.model"].value == "910B4"
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (8, 8)
    assert f["accelerator.memory_bytes"].value == 32 * GIB and f["driver.version"].value == "23.0.rc3"
    assert f["accelerator.peak_compute"].origin == "spec_sheet"

    board, product = sources.npu_board_sources(2944)
    duo = replay({
        cmd_of("smi_probe"): (0, "npu-smi=/usr/local/sbin/npu-smi\n"),
        cmd_of("npu-smi info"): (0, fx("npu-smi-info-310p3-duo.txt")),
        board.command: (0, fx("npu-smi-info-t-board-310p3-duo.txt")),
        product.command: (0, fx("npu-smi-info-t-product-310p3-duo.txt")),
    })
    env = collect_environment(duo)
    f = env.facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (1, 2)
    assert "board id" in f["accelerator.count"].detail
    assert f["accelerator.model"].value == "Atlas 300I Duo" and f["accelerator.model"].detail == "chips: 310P3"
    assert f["accelerator.memory_type"].value == "LPDDR4X" and f["accelerator.peak_int8_ops"].value == 280e12
    assert {a.firmware_version for a in env.accelerators} == {"7.8.0.6.201"}
    assert f["driver.version"].value == "25.5.1"

    four = replay({
        cmd_of("smi_probe"): (0, "npu-smi=/usr/local/sbin/npu-smi\n"),
        cmd_of("npu-smi info"): (0, fx("npu-smi-info-atlas300-310-v20.2.txt")),
    })
    f = collect_environment(four).facts  # board/product views absent: exit 127, recorded, not fatal
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (1, 4)
    assert f["accelerator.memory_bytes"].value == 4 * 8192 * MIB and f["accelerator.model"].value == "310"
    assert f["accelerator.peak_compute"].reason == "not_found"


def test_hygon_dcu_rocm_smi_json_and_rocminfo() -> None:
    host = replay({
        cmd_of("smi_probe"): (0, "hy-smi=/opt/hyhal/bin/hy-smi\nrocm-smi=/opt/hyhal/bin/rocm-smi\n"),
        cmd_of("rocm-smi --json"): (0, fx("rocm-smi-json-hygon-dcu-dtk24.04.3.json")),
        cmd_of("hy-smi"): (0, fx("hy-smi-table-k100ai.txt")),
        cmd_of("rocminfo"): (0, fx("rocminfo-hygon-dcu-dtk24.04.3.txt")),
    })
    env = collect_environment(host)
    f = env.facts
    assert f["accelerator.vendor"].value == "Hygon DCU" and f["accelerator.chips"].value == 1
    assert f["accelerator.memory_bytes"].value == 65520 * MIB
    assert f["accelerator.tdp_w"].value == 800  # hy-smi's PwrCap merged into the rocm-smi record
    assert f["accelerator.peak_compute"].source == "spec:K100_AI"  # matched via rocminfo's K1xx_AI
    assert sum(1 for r in env.raw_outputs if r.id == "rocm-smi --json") == 1


def test_reasons_needs_root_timeout_unparsable() -> None:
    host = replay({
        cmd_of("dmi_sysfs"): (0, "sys_vendor=\nproduct_name=\n"),
        sources.FALLBACK_SOURCES["dmidecode"].command: (126, "reportgen: needs root (not root, no sudo)"),
        cmd_of("lscpu"): (0, "this is not lscpu\n"),
        cmd_of("docker"): CommandResult(cmd_of("docker"), None, "", "", 20.0, timed_out=True),
    })
    env = collect_environment(host)
    f = env.facts
    assert f["server.vendor"].reason == "needs_root" and f["server.model"].reason == "needs_root"
    assert f["cpu.model"].reason == "unparsable"
    assert f["docker.version"].reason == "timed_out"
    raw = {r.id: r for r in env.raw_outputs}
    assert raw["docker"].timed_out is True and raw["docker"].exit_code is None


def test_no_accelerator_says_so() -> None:
    host = replay({cmd_of("lspci"): (0, sysfx("lspci-nn-this-machine-vm.txt"))})
    f = collect_environment(host).facts
    assert f["accelerator.count"].value == 0 and "no accelerator" in f["accelerator.count"].detail
    assert f["accelerator.model"].reason == "not_applicable"
    assert f["driver.version"].reason == "not_applicable"


# --------------------------------------------------------------------------- this machine, end to end


def test_local_collection_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as e:
        main(["collect", "--only", "hardware", "-o", str(out)])
    assert e.value.code == 0
    res = load_results(out)
    env = res.environment
    f = env.facts
    assert f["cpu.threads"].value == os.cpu_count()
    assert f["kernel.version"].value == platform.release()
    meminfo = Path("/proc/meminfo").read_text()
    assert f["memory.total_bytes"].value == int(meminfo.split("MemTotal:")[1].split()[0]) * 1024
    assert f["os.name"].present
    # this machine has no accelerator: the results say so plainly
    assert f["accelerator.count"].value == 0 and "no accelerator" in f["accelerator.count"].detail
    assert f["accelerator.model"].reason == "not_applicable"
    for key in ("server.vendor", "server.model", "docker.version", "software.vllm"):
        assert f[key].present or f[key].reason is not None
    assert any(r.id == "lscpu" and "CPU(s)" in r.stdout for r in env.raw_outputs)
    assert res.invocations and res.invocations[0].argv[:2] == ["reportgen", "collect"]
    assert "hardware: no accelerator found" in capsys.readouterr().err


def test_unknown_stage_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["collect", "--only", "hardware,bogus", "-o", str(tmp_path / "x.json")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "reportgen: error: unknown stage 'bogus' in --only (known: hardware, serving, accuracy, consistency, soak, embedding)"
    ]
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------- execution


def test_local_host_timeout_kills() -> None:
    t0 = time.perf_counter()
    (r,) = LocalHost().run(["sleep 30; echo never"], timeout_s=0.5)
    assert r.timed_out and r.exit_code is None and "never" not in r.stdout
    assert time.perf_counter() - t0 < 5


def test_local_host_missing_tool() -> None:
    (r,) = LocalHost().run(["reportgen-no-such-tool --version"], timeout_s=5)
    assert r.exit_code == 127


def test_container_name_is_one_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A container name with shell metacharacters reaches docker as one argument; nothing runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "argv.log"
    (bin_dir / "docker").write_text(f'#!/bin/sh\nfor a in "$@"; do echo "ARG:$a"; done > {log}\nexit 1\n')
    (bin_dir / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    pwned = tmp_path / "pwned"
    name = f"x; touch {pwned}; echo $(touch {pwned}2)"
    (r,) = LocalHost().run([in_container("echo hi", name)], timeout_s=5)
    assert r.exit_code == 1
    assert not pwned.exists() and not Path(f"{pwned}2").exists()
    args = log.read_text().splitlines()
    assert args[:3] == ["ARG:exec", f"ARG:{name}", "ARG:sh"]


def test_open_host_rules(tmp_path: Path) -> None:
    assert is_local(None) and is_local("localhost") and is_local("127.0.0.1") and not is_local("10.0.0.1")
    assert isinstance(open_host("127.0.0.1"), LocalHost)
    with pytest.raises(HostError, match="no such SSH key file"):
        open_host("127.0.0.1", key_file=str(tmp_path / "nokey"))


# --------------------------------------------------------------------------- telemetry


def test_telemetry_samples_npu_smi() -> None:
    from collectors.hardware.telemetry import QUERIES

    text = fx("npu-smi-info-910b4-8card-v23.0.rc3.txt")
    host = ReplayHost(fallback=lambda c: (0, text) if c.endswith(QUERIES["npu-smi"][0]) else None)
    s = TelemetrySampler(host, tool="npu-smi", interval_s=0.1)
    s.start("serving:FP16:bs1")
    time.sleep(0.45)
    series = s.stop()
    assert series.stage == "serving:FP16:bs1" and series.tool == "npu-smi" and series.reason is None
    ticks = len(series.samples) // 8
    assert ticks >= 3 and len(series.samples) % 8 == 0
    first = series.samples[:8]
    assert [x.power_w for x in first] == [82.6, 81.6, 81.0, 83.8, 83.8, 83.8, 90.4, 83.7]
    assert first[0].temperature_c == 47 and first[0].memory_used_bytes == 3127 * MIB
    assert series.samples[-1].t_s > series.samples[0].t_s


def test_telemetry_nvidia_csv_and_errors() -> None:
    calls = {"n": 0}

    def answer(c: str) -> tuple[int, str] | None:
        calls["n"] += 1
        if calls["n"] == 2:
            return (9, "NVML: Unknown Error")
        return (0, "0, 312.50, 61, 98, 70000, 1980\n1, 305.10, 59, 97, 69000, 1755\n")

    s = TelemetrySampler(ReplayHost(fallback=answer), tool="nvidia-smi", interval_s=0.05)
    s.start("x")
    time.sleep(0.3)
    series = s.stop()
    assert series.errors >= 1
    assert series.samples[0].power_w == 312.5 and series.samples[1].device == 1
    assert series.samples[0].memory_used_bytes == 70000 * MIB and series.samples[0].utilization_pct == 98
    assert [x.clock_mhz for x in series.samples[:2]] == [1980.0, 1755.0]  # the SM clock (throttling in a soak)


def test_telemetry_without_tool_records_why() -> None:
    s = TelemetrySampler(ReplayHost(fallback=lambda c: (0, "")))
    s.start("serving:FP16:bs8")
    series = s.stop()
    assert series.samples == [] and series.reason == "not_installed" and "no SMI tool" in series.detail


# --------------------------------------------------------------------------- tables


def test_spec_sheet_matches_and_sources() -> None:
    assert find_spec("Iluvatar BI-V150").key == "BI-V150"
    assert find_spec("NVIDIA H100 80GB HBM3").key == "H100-SXM5-80GB"
    assert find_spec("NVIDIA A100-SXM4-80GB").key == "A100-SXM4-80GB"
    assert find_spec("910B4").key == "Ascend-910B"
    assert find_spec("310P3").chips_per_board == 2
    assert find_spec("MetaX C500").fp16_tflops == 280 and find_spec("MXC550").key == "C550"
    assert find_spec("P800 OAM").confidence == "C"
    assert find_spec("Some Unknown Card") is None
    assert all(s.source and "card-specs.md" in s.source for s in SPECS)
    assert {s.key for s in SPECS if s.chips_per_board == 2} == {"BI-V150", "MLU370-X8", "Atlas-300I-Duo"}


def test_pci_table() -> None:
    assert pci_ids.vendor("9999").name == "MetaX"  # not 1ee0
    assert pci_ids.product("1e3e", "0003") == "BI-V150"
    assert pci_ids.is_accelerator("19e5", "d802", "1200")
    assert not pci_ids.is_accelerator("1d94", "1450", "0600")  # Hygon chipset function
    assert not pci_ids.is_accelerator("19e5", "1822", "0200")  # Huawei NIC
    assert pci_ids.is_accelerator("1d22", "3684", "0780")  # Kunlun shows as a communication controller
    assert pci_ids.is_accelerator("10de", "2330", "0302") and not pci_ids.is_accelerator("8086", "0d57", "0600")
    assert pci_ids.vendor_by_name("Huawei Technologies Co., Ltd. Device d802").id == "19e5"


def test_serving_stage_without_plan_or_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from serving_helpers import free_port

    port = free_port()  # nothing listens there
    with pytest.raises(SystemExit) as e:
        main(["collect", "--only", "hardware,serving", "--server-port", str(port), "-o", str(tmp_path / "x.json")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"reportgen: error: no OpenAI-compatible server found: http://127.0.0.1:{port}: ConnectError "
                       "(name one with a plan's [[variants]] or --server-port)"]
    assert not (tmp_path / "x.json").exists()


def test_default_stages_follow_the_plan() -> None:
    from reportgen.commands.collect import default_stages
    from reportgen.plan import parse_plan

    assert default_stages(None) == ["hardware"]
    plan = parse_plan('[[variants]]\nlabel = "FP16"\n[accuracy]\nenabled = true\n[[embedding]]\nmodel = "m"\nkind = "reranker"\n')
    assert default_stages(plan) == ["hardware", "serving", "accuracy", "embedding"]
    assert default_stages(parse_plan('[[variants]]\nlabel = "FP16"\n')) == ["hardware", "serving"]


def test_unreadable_smi_is_unparsable_not_missing() -> None:
    """hy-smi installed, PCI shows the DCU, but its output is a layout the parser cannot read:
    the facts say *unparsable* (naming the command), never *not installed*."""
    host = replay({
        cmd_of("smi_probe"): (0, "hy-smi=/opt/hyhal/bin/hy-smi\n"),
        cmd_of("sysfs_pci"): (0, sysfs_line("0000:9f:00.0", "1d94", "6320", "120000") + "\n"),
        cmd_of("rocm-smi --json"): (127, "sh: 1: rocm-smi: not found"),
        cmd_of("hy-smi"): (0, "hy-smi: layout the parser does not know\nDevice 0: busy\n"),
        cmd_of("rocminfo"): (127, "sh: 1: rocminfo: not found"),
    })
    env = collect_environment(host)
    f = env.facts
    assert f["driver.version"].reason == "unparsable" and "hy-smi" in (f["driver.version"].detail or "")
    assert f["driver.version"].source == "hy-smi"
    assert f["sdk.version"].reason == "unparsable"
    raw = {r.id: r for r in env.raw_outputs}
    assert raw["hy-smi"].reason == "unparsable" and raw["rocm-smi --json"].reason == "not_installed"


def test_merged_field_keeps_the_source_that_gave_it() -> None:
    from collectors.hardware.collect import _merge_reports
    from collectors.hardware.parsers import SmiReport
    from collectors.hardware.parsers._common import SmiDevice

    primary = SmiReport(tool="rocm-smi", devices=[SmiDevice(index=0)])
    other = SmiReport(tool="hy-smi", devices=[SmiDevice(index=0, power_cap_w=800.0)], driver_version="6.3.8")
    origin = _merge_reports(primary, [primary, other], {id(primary): "rocm-smi --json", id(other): "hy-smi"})
    assert primary.driver_version == "6.3.8" and origin == {"driver_version": "hy-smi"}
    assert primary.devices[0].power_cap_w == 800.0
