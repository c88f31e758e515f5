"""Every parser on every real output in tests/fixtures/smi and tests/fixtures/system."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from collectors.hardware.parsers import ParseError, ascend, nvidia, pci, rocm, system, vendors

MIB = 2**20
GIB = 2**30


def smi(name: str) -> str:
    return (FIXTURES / "smi" / name).read_text(encoding="utf-8")


def sysf(name: str) -> str:
    return (FIXTURES / "system" / name).read_text(encoding="utf-8")


# Which test reads which file: a new fixture without a test fails test_every_fixture_is_tested.
TESTED: set[str] = set()


def uses(*names: str):  # noqa: ANN201
    TESTED.update(names)
    return lambda f: f


# --------------------------------------------------------------------------- nvidia-smi / ixsmi


@uses("ixsmi-table-biv150-16card.txt")
def test_ixsmi_table_biv150() -> None:
    r = nvidia.parse_table(smi("ixsmi-table-biv150-16card.txt"))
    assert r.tool == "ixsmi"
    assert (r.tool_version, r.driver_version, r.cuda_version) == ("4.1.0", "4.1.0", "10.2")
    assert (r.sdk_name, r.sdk_version) == ("Corex", "4.1.0")
    assert len(r.devices) == 16
    assert {d.name for d in r.devices} == {"Iluvatar BI-V150"}
    assert all(d.memory_total_bytes == 32768 * MIB and d.memory_used_bytes == 116 * MIB for d in r.devices)
    d0, d1 = r.devices[0], r.devices[1]
    assert (d0.index, d0.bus_id, d0.power_w, d0.power_cap_w, d0.temperature_c) == (0, "0000:13:00.0", None, None, 32)
    assert (d1.index, d1.bus_id, d1.power_w, d1.power_cap_w, d1.temperature_c) == (1, "0000:16:00.0", 93, 350, 30)
    assert r.devices[15].bus_id == "0000:67:00.0" and r.devices[15].power_w == 94
    # power is shown on one chip of each two-chip board
    assert sum(1 for d in r.devices if d.power_cap_w == 350) == 8


@uses("ixsmi-q-x-mrv100.xml")
def test_ixsmi_xml_mrv100() -> None:
    r = nvidia.parse_xml(smi("ixsmi-q-x-mrv100.xml"))
    assert (r.tool, r.driver_version, r.cuda_version, r.sdk_name, r.sdk_version) == (
        "ixsmi", "4.2.0", "10.2", "Corex", "4.2.0")
    assert len(r.devices) == 2
    d = r.devices[0]
    assert (d.name, d.bus_id, d.vendor_id, d.device_id) == ("Iluvatar MR-V100", "0000:0c:00.0", "1e3e", "0002")
    assert (d.pcie_gen_max, d.pcie_width_max, d.pcie_gen_current, d.pcie_width_current) == (4, 16, 4, 16)
    assert d.memory_total_bytes == 32 * GIB and d.memory_used_bytes == 27780 * MIB
    assert (d.temp_shutdown_c, d.temp_slowdown_c, d.temp_max_operating_c) == (105, 100, 95)
    assert (d.power_w, d.power_cap_w) == (37, 150)
    assert d.max_clocks_mhz == {"sm": 1500, "mem": 1600}
    assert r.devices[1].bus_id == "0000:0f:00.0" and r.devices[1].index == 1


@pytest.mark.parametrize(
    "name, n, model, mem_mib, driver, cuda, cap, first_bus",
    [
        ("nvidia-smi-table-h100-sxm-8gpu.txt", 8, "NVIDIA H100 80GB HBM3", 81559, "565.57.01", "12.7", 700, "0000:18:00.0"),
        ("nvidia-smi-table-a100-sxm-4gpu.txt", 4, "NVIDIA A100-SXM4-80GB", 81920, "555.42.02", "12.5", 500, "0000:68:00.0"),
        ("nvidia-smi-table-l40s.txt", 1, "NVIDIA L40S", 46068, "550.127.05", "12.4", 350, "0000:a1:00.0"),
        ("nvidia-smi-table-l4.txt", 1, "NVIDIA L4", 23034, "550.90.07", "12.4", 72, "0000:01:00.0"),
    ],
)
def test_nvidia_smi_tables(name: str, n: int, model: str, mem_mib: int, driver: str, cuda: str,
                           cap: float, first_bus: str) -> None:
    TESTED.add(name)
    r = nvidia.parse_table(smi(name))
    assert r.tool == "nvidia-smi"
    assert (r.driver_version, r.cuda_version, r.sdk_name, r.sdk_version) == (driver, cuda, "CUDA", cuda)
    assert len(r.devices) == n
    assert [d.index for d in r.devices] == list(range(n))
    assert {d.name for d in r.devices} == {model}
    assert {d.memory_total_bytes for d in r.devices} == {mem_mib * MIB}
    assert {d.power_cap_w for d in r.devices} == {cap}
    assert r.devices[0].bus_id == first_bus


TESTED.update({"nvidia-smi-table-h100-sxm-8gpu.txt", "nvidia-smi-table-a100-sxm-4gpu.txt",
               "nvidia-smi-table-l40s.txt", "nvidia-smi-table-l4.txt"})


def test_nvidia_smi_table_h100_values() -> None:
    r = nvidia.parse_table(smi("nvidia-smi-table-h100-sxm-8gpu.txt"))
    assert [d.power_w for d in r.devices] == [100, 82, 85, 85, 84, 85, 86, 75]
    assert r.devices[7].bus_id == "0000:db:00.0" and r.devices[4].temperature_c == 28


@pytest.mark.parametrize(
    "name, n, model, mem_mib, driver, cuda, cap, gen, max_op",
    [
        ("nvidia-smi-q-h100-sxm-8gpu.txt", 8, "NVIDIA H100 80GB HBM3", 81559, "565.57.01", "12.7", 700, 5, None),
        ("nvidia-smi-q-a100-sxm-4gpu.txt", 4, "NVIDIA A100-SXM4-80GB", 81920, "555.42.02", "12.5", 500, 4, 85),
        ("nvidia-smi-q-l40s.txt", 1, "NVIDIA L40S", 46068, "550.127.05", "12.4", 350, 4, None),
        ("nvidia-smi-q-l4.txt", 1, "NVIDIA L4", 23034, "550.90.07", "12.4", 72, 4, None),
    ],
)
def test_nvidia_smi_q(name: str, n: int, model: str, mem_mib: int, driver: str, cuda: str,
                      cap: float, gen: int, max_op: float | None) -> None:
    r = nvidia.parse_query(smi(name))
    assert (r.driver_version, r.cuda_version) == (driver, cuda)
    assert len(r.devices) == n
    assert {d.name for d in r.devices} == {model}
    assert {d.memory_total_bytes for d in r.devices} == {mem_mib * MIB}
    assert {d.power_cap_w for d in r.devices} == {cap}
    assert {d.pcie_gen_max for d in r.devices} == {gen}
    assert {d.pcie_width_max for d in r.devices} == {16}
    assert {d.vendor_id for d in r.devices} == {"10de"}
    assert {d.temp_max_operating_c for d in r.devices} == {max_op}
    assert len({d.bus_id for d in r.devices}) == n
    assert all(d.firmware for d in r.devices)


TESTED.update({"nvidia-smi-q-h100-sxm-8gpu.txt", "nvidia-smi-q-a100-sxm-4gpu.txt", "nvidia-smi-q-l40s.txt",
               "nvidia-smi-q-l4.txt"})


def test_nvidia_smi_q_h100_details() -> None:
    r = nvidia.parse_query(smi("nvidia-smi-q-h100-sxm-8gpu.txt"))
    d = r.devices[0]
    assert (d.device_id, d.bus_id, d.index) == ("2330", "0000:18:00.0", 0)
    assert d.power_w == 100.89 and d.temperature_c == 30
    assert d.max_clocks_mhz["sm"] == 1980 and d.max_clocks_mhz["memory"] == 2619
    # H100 prints thresholds relative to T.Limit: kept apart, never as temperatures
    assert d.extra["GPU Max Operating T.Limit Temp"] == "0 C"
    assert d.temp_shutdown_c is None and d.extra["architecture"] == "Hopper"


def test_nvidia_smi_q_a100_limits() -> None:
    d = nvidia.parse_query(smi("nvidia-smi-q-a100-sxm-4gpu.txt")).devices[0]
    assert (d.temp_shutdown_c, d.temp_slowdown_c, d.temp_max_operating_c) == (92, 89, 85)
    assert d.device_id in ("20b2",)


@uses("nvidia-smi-query-gpu-csv-noheader-l20.txt")
def test_nvidia_csv_noheader_l20() -> None:
    fields = ["index", "name", "memory.total", "memory.used", "utilization.gpu", "temperature.gpu", "pci.bus_id"]
    r = nvidia.parse_csv(smi("nvidia-smi-query-gpu-csv-noheader-l20.txt"), fields)
    assert len(r.devices) == 4
    assert {d.name for d in r.devices} == {"NVIDIA L20"}
    assert {d.memory_total_bytes for d in r.devices} == {46068 * MIB}
    assert [d.memory_used_bytes for d in r.devices] == [3 * MIB, 3 * MIB, 290 * MIB, 290 * MIB]
    assert [d.temperature_c for d in r.devices] == [49, 51, 59, 75]
    assert [d.bus_id for d in r.devices] == ["0000:16:00.0", "0000:19:00.0", "0000:1a:00.0", "0000:1d:00.0"]
    with pytest.raises(ParseError):
        nvidia.parse_csv(smi("nvidia-smi-query-gpu-csv-noheader-l20.txt"))  # no header, no fields


@uses("nvidia-smi-query-gpu-csv-header-rtx5060ti.txt")
def test_nvidia_csv_header() -> None:
    r = nvidia.parse_csv(smi("nvidia-smi-query-gpu-csv-header-rtx5060ti.txt"))
    assert r.driver_version == "580.178.04"
    (d,) = r.devices
    assert d.name == "NVIDIA GeForce RTX 5060 Ti"
    assert d.memory_total_bytes == 16311 * MIB and d.memory_used_bytes == 1 * MIB
    assert d.utilization_pct == 0 and d.extra == {"compute_cap": "12.0", "pstate": "P8"}


@uses("nvidia-smi-version.txt")
def test_nvidia_version() -> None:
    r = nvidia.parse_version(smi("nvidia-smi-version.txt"))
    assert (r.tool_version, r.driver_version, r.cuda_version, r.extra["nvml_version"]) == (
        "550.54.14", "550.54.14", "12.4", "550.54")


# --------------------------------------------------------------------------- Ascend


@pytest.mark.parametrize(
    "name, n, boards, model, version, mem_mib, kind, power0, temp0",
    [
        ("npu-smi-info-910b4-8card-v23.0.rc3.txt", 8, 8, "910B4", "23.0.rc3", 32768, "HBM", 82.6, 47),
        ("npu-smi-info-310p3-duo.txt", 2, 1, "310P3", "25.5.1", 44278, "DDR", None, 45),
        ("npu-smi-info-atlas300-310-v20.2.txt", 4, 1, "310", "20.2.0", 8192, "DDR", 12.8, 56),
        ("npu-smi-info-atlas300-310-v21.0.4.txt", 4, 1, "310", "21.0.4.B030", 8192, "DDR", 12.8, 73),
        ("npu-smi-info-atlas800-9010-910-v24.1rc2.txt", 8, 8, None, "24.1.RC2", 32768, "HBM", 70.5, 42),
        ("npu-smi-info-atlas800-9010-910a-v22.0.3.txt", 8, 8, "910A", "22.0.3.1", 32768, "HBM", 67.2, 43),
    ],
)
def test_npu_smi_info(name: str, n: int, boards: int, model: str | None, version: str,
                      mem_mib: int, kind: str, power0: float | None, temp0: float) -> None:
    r = ascend.parse_info(smi(name))
    assert r.tool == "npu-smi" and r.driver_version == version
    assert len(r.devices) == n
    assert len({d.board for d in r.devices}) == boards
    assert {d.name for d in r.devices} == {model}
    assert r.devices[0].memory_total_bytes == mem_mib * MIB
    assert {d.memory_kind for d in r.devices} == {kind}
    assert r.devices[0].power_w == power0 and r.devices[0].temperature_c == temp0
    assert all(d.bus_id for d in r.devices)


TESTED.update({"npu-smi-info-910b4-8card-v23.0.rc3.txt", "npu-smi-info-310p3-duo.txt",
               "npu-smi-info-atlas300-310-v20.2.txt", "npu-smi-info-atlas300-310-v21.0.4.txt",
               "npu-smi-info-atlas800-9010-910-v24.1rc2.txt", "npu-smi-info-atlas800-9010-910a-v22.0.3.txt"})


def test_npu_smi_910b4_details() -> None:
    r = ascend.parse_info(smi("npu-smi-info-910b4-8card-v23.0.rc3.txt"))
    assert [d.bus_id for d in r.devices][:2] == ["0000:c1:00.0", "0000:01:00.0"]
    assert r.devices[0].memory_used_bytes == 3127 * MIB
    assert r.devices[6].power_w == 90.4


def test_npu_smi_310p3_duo_chips() -> None:
    r = ascend.parse_info(smi("npu-smi-info-310p3-duo.txt"))
    assert [(d.board, d.chip, d.bus_id) for d in r.devices] == [("2944", 0, "0000:0c:00.0"), ("2944", 1, "0000:0c:00.0")]
    assert r.devices[1].memory_total_bytes == 43693 * MIB


@uses("npu-smi-info-m-atlas300-310-v21.0.4.txt", "npu-smi-info-m-atlas800-9010-910a-v24.1rc2.txt")
def test_npu_smi_info_m() -> None:
    rows = ascend.parse_info_m(smi("npu-smi-info-m-atlas300-310-v21.0.4.txt"))
    assert len(rows) == 5 and rows[0] == {"npu_id": "6", "chip_id": "0", "logic_id": "0", "name": "MiniD"}
    assert rows[4]["name"] == "Mcu" and rows[4]["logic_id"] == "-"
    rows = ascend.parse_info_m(smi("npu-smi-info-m-atlas800-9010-910a-v24.1rc2.txt"))
    assert len(rows) == 8 and {r["name"] for r in rows} == {"Ascend 910A"}
    assert [r["npu_id"] for r in rows] == [str(i) for i in range(8)]


@uses("npu-smi-info-t-board-310p3-duo.txt", "npu-smi-info-t-common-310p3-duo.txt",
      "npu-smi-info-t-usages-310p3-duo.txt", "npu-smi-info-t-power-310p3-duo.txt",
      "npu-smi-info-t-product-310p3-duo.txt")
def test_npu_smi_info_t_views() -> None:
    board = ascend.parse_info_t(smi("npu-smi-info-t-board-310p3-duo.txt"))[0]
    assert (board["PCI Vendor ID"], board["PCI Device ID"], board["Chip Count"]) == ("0x19E5", "0xD500", "2")
    assert board["Software Version"] == "25.5.1" and board["Firmware Version"] == "7.8.0.6.201"
    common = ascend.parse_info_t(smi("npu-smi-info-t-common-310p3-duo.txt"))
    assert [b.get("Temperature(C)") for b in common[1:]] == ["45", "47", "48"]
    assert common[3]["NPU Real-time Power(W)"] == "42.8"
    usages = ascend.parse_info_t(smi("npu-smi-info-t-usages-310p3-duo.txt"))
    assert [(b["Chip ID"], b["DDR Capacity(MB)"]) for b in usages[1:]] == [("0", "44278"), ("1", "43693")]
    power = ascend.parse_info_t(smi("npu-smi-info-t-power-310p3-duo.txt"))
    assert power[1]["Power Dissipation(W)"] == "42.9"
    product = ascend.parse_info_t(smi("npu-smi-info-t-product-310p3-duo.txt"))
    assert {b["Product Type"] for b in product[1:]} == {"Atlas 300I Duo"}
    with pytest.raises(ParseError):
        ascend.parse_info_t("garbage")


# --------------------------------------------------------------------------- other vendors


@uses("cnmon-table-8card.txt")
def test_cnmon() -> None:
    r = vendors.parse_cnmon(smi("cnmon-table-8card.txt"))
    assert (r.tool_version, r.driver_version) == ("5.10.31", "5.10.31")
    assert len(r.devices) == 8
    assert {d.name for d in r.devices} == {"MLUXXX-XX"} and {d.firmware for d in r.devices} == {"v1.5.0"}
    assert {d.power_cap_w for d in r.devices} == {550}
    assert [d.power_w for d in r.devices] == [105, 100, 100, 109, 107, 105, 102, 105]
    assert r.devices[7].bus_id == "0000:d3:00.0"
    assert all(d.memory_total_bytes is None for d in r.devices)  # masked "xxxxx" in the sample


@uses("mx-smi-table-c500-8card.txt", "mx-smi-table-c550-8card.txt")
def test_mx_smi_tables() -> None:
    r = vendors.parse_mx_smi(smi("mx-smi-table-c500-8card.txt"))
    assert (r.tool_version, r.driver_version, r.sdk_name, r.sdk_version) == ("2.2.9", "3.4.4", "MACA", "3.3.0.15")
    assert len(r.devices) == 8 and {d.name for d in r.devices} == {"MetaX C500"}
    assert {d.memory_total_bytes for d in r.devices} == {64 * GIB}
    assert {d.power_cap_w for d in r.devices} == {350} and r.devices[0].power_w == 57
    assert r.devices[0].temperature_c == 35 and r.devices[7].bus_id == "0000:38:00.0"
    assert r.devices[0].firmware == "1.30.0.0"
    r = vendors.parse_mx_smi(smi("mx-smi-table-c550-8card.txt"))
    assert (r.tool_version, r.driver_version, r.sdk_version) == ("2.1.6", "2.5.014", "2.23.0.1018")
    assert len(r.devices) == 8 and {d.name for d in r.devices} == {"MXC550"}
    assert r.devices[0].power_w == 44 and r.devices[0].power_cap_w is None and r.devices[0].temperature_c == 31
    assert r.devices[0].memory_used_bytes == 810 * MIB


@uses("mx-smi-show-temperature-usage-memory-n260.txt")
def test_mx_smi_show() -> None:
    r = vendors.parse_mx_smi_show(smi("mx-smi-show-temperature-usage-memory-n260.txt"))
    (d,) = r.devices
    assert (d.name, d.bus_id, d.temperature_c, d.utilization_pct) == ("MXN260", "0000:0f:00.0", 44.0, 0)
    assert d.memory_total_bytes == 67108864 * 1024 and d.memory_used_bytes == 61215720 * 1024
    assert r.tool_version == "2.2.6"


@uses("mx-smi-topo-m-c500-8card.txt")
def test_mx_smi_topo() -> None:
    t = vendors.parse_mx_topo(smi("mx-smi-topo-m-c500-8card.txt"))
    assert len(t) == 8
    assert t["GPU0"]["GPU1"] == "MX" and t["GPU0"]["GPU4"] == "NODE" and t["GPU5"]["GPU5"] == "X"
    assert t["GPU7"]["CPU Affinity"] == "0-31,64-95" and t["GPU7"]["Node Affinity"] == "0"


@uses("mthreads-gmi-table-s5000-8card.txt", "mthreads-gmi-table-s80.txt")
def test_mthreads_gmi() -> None:
    r = vendors.parse_mthreads_gmi(smi("mthreads-gmi-table-s5000-8card.txt"))
    assert (r.tool_version, r.driver_version) == ("2.4.1", "5.1.0-server")
    assert len(r.devices) == 8 and {d.name for d in r.devices} == {"MTT S5000"}
    assert {d.memory_total_bytes for d in r.devices} == {81920 * MIB}
    assert {(d.pcie_width_current, d.pcie_width_max) for d in r.devices} == {(16, 16)}
    assert [d.temperature_c for d in r.devices][:3] == [48, 48, 49] and r.devices[7].bus_id == "0000:da:00.0"
    r = vendors.parse_mthreads_gmi(smi("mthreads-gmi-table-s80.txt"))
    (d,) = r.devices
    assert (r.driver_version, d.name, d.memory_used_bytes, d.memory_total_bytes, d.temperature_c) == (
        "3.0.0", "MTT S80", 3419 * MIB, 16384 * MIB, 59)


@pytest.mark.parametrize(
    "name, temps, used_mib",
    [
        ("efsmi-q-d-temp-memory-usage-pcie-s60-v1.txt", [39, 39], [1129, 1129]),
        ("efsmi-q-d-temp-memory-usage-pcie-s60-v15.txt", [58, 59], [24028, 24028]),
        ("efsmi-q-d-temp-memory-usage-pcie-s60-v17.txt", [76, None], [8684, None]),  # published cut mid-device
    ],
)
def test_efsmi_query_releases(name: str, temps: list[float | None], used_mib: list[int | None]) -> None:
    r = vendors.parse_efsmi_query(smi(name))
    assert len(r.devices) == 2
    for d in r.devices:
        assert (d.vendor_id, d.device_id) == ("1e36", "c035")
        assert (d.pcie_gen_max, d.pcie_width_max, d.pcie_gen_current) == (5, 16, 5)
    assert r.devices[0].memory_total_bytes == 42976 * MIB  # "Mem Size" (1.x) and "Total Size" (later)
    assert [d.bus_id for d in r.devices] == ["0000:0c:00.0", "0000:0f:00.0"]
    assert [d.temperature_c for d in r.devices] == temps
    assert [d.memory_used_bytes for d in r.devices] == [u * MIB if u else None for u in used_mib]


TESTED.update({"efsmi-q-d-temp-memory-usage-pcie-s60-v1.txt", "efsmi-q-d-temp-memory-usage-pcie-s60-v15.txt",
               "efsmi-q-d-temp-memory-usage-pcie-s60-v17.txt"})


@uses("efsmi-q-full-s60-first2of10.txt", "efsmi-list-s60-10card.txt")
def test_efsmi_full_and_list() -> None:
    r = vendors.parse_efsmi_query(smi("efsmi-q-full-s60-first2of10.txt"))
    assert r.driver_version == "1.5.20260710" and len(r.devices) == 2
    d = r.devices[0]
    assert (d.name, d.serial, d.uuid, d.bus_id) == ("Enflame S60", "A0A7P40510338", "TPUH90200803", "0000:0d:00.0")
    assert (d.power_cap_w, d.power_w, d.temperature_c) == (300, 99, 35)
    assert (d.pcie_gen_max, d.pcie_gen_current) == (5, 4)  # running below capability
    assert d.memory_used_bytes == 38934 * MIB
    lst = vendors.parse_efsmi_list(smi("efsmi-list-s60-10card.txt"))
    assert len(lst.devices) == 10
    assert {(x.vendor_id, x.device_id, x.pcie_gen_max, x.pcie_width_max) for x in lst.devices} == {("1e36", "c035", 5, 16)}
    assert lst.devices[9].bus_id == "0000:2e:00.0" and lst.devices[6].uuid == "TR6Y54090402"


@uses("xpu_smi-m-p800-2dev.txt")
def test_xpu_smi() -> None:
    r = vendors.parse_xpu_smi_m(smi("xpu_smi-m-p800-2dev.txt"))
    assert len(r.devices) == 2
    d = r.devices[0]
    assert (d.name, d.bus_id, d.serial, d.temperature_c, d.power_w) == (
        "P800 OAM", "0000:03:00.0", "02K15K624CV00304", 36, 86)
    assert d.memory_total_bytes == 98304 * MIB and d.memory_used_bytes == 90440 * MIB
    assert d.firmware == "1.0:2.6:1.39.1.7" and r.devices[1].temperature_c == 39


# --------------------------------------------------------------------------- AMD / Hygon


@uses("rocm-smi-json-hygon-dcu-dtk24.04.3.json", "rocm-smi-json-amd-rocm6.2.4.json")
def test_rocm_smi_json() -> None:
    r = rocm.parse_rocm_smi_json(smi("rocm-smi-json-hygon-dcu-dtk24.04.3.json"))
    (d,) = r.devices
    assert (d.vendor_id, d.device_id, d.name) == ("1d94", "6210", "DCU xxxx")
    assert d.memory_total_bytes == 65520 * MIB and d.memory_used_bytes == 2 * MIB
    assert (d.power_w, d.temperature_c, d.utilization_pct) == (80, 39, 0)
    r = rocm.parse_rocm_smi_json(smi("rocm-smi-json-amd-rocm6.2.4.json"))
    (d,) = r.devices
    assert (d.vendor_id, d.device_id) == ("1002", "747e")
    assert d.memory_total_bytes == 17163091968 and d.memory_used_bytes == 11615076352
    assert (d.utilization_pct, d.temperature_c, d.extra["gfx"]) == (100, 51, "gfx11001")


@uses("rocm-smi-table-mi300x-4gpu.txt", "rocm-smi-a-mi300x-4gpu.txt")
def test_rocm_smi_mi300x() -> None:
    r = rocm.parse_rocm_smi_table(smi("rocm-smi-table-mi300x-4gpu.txt"))
    assert len(r.devices) == 4 and {d.name for d in r.devices} == {"AMD Instinct MI300X"}
    assert {d.device_id for d in r.devices} == {"74a1"} and {d.power_cap_w for d in r.devices} == {750}
    assert [d.power_w for d in r.devices] == [133, 131, 131, 137]
    a = rocm.parse_rocm_smi_all(smi("rocm-smi-a-mi300x-4gpu.txt"))
    assert a.driver_version == "6.7.0" and len(a.devices) == 4
    assert {d.name for d in a.devices} == {"AMD Instinct MI300X OAM"}
    assert [d.bus_id for d in a.devices] == ["0000:26:00.0", "0000:46:00.0", "0000:65:00.0", "0000:85:00.0"]
    assert {d.power_cap_w for d in a.devices} == {750} and a.devices[3].temperature_c == 39
    assert {d.firmware for d in a.devices} == {"113-MI3SRIOV-001"}


@uses("hy-smi-table-k100ai.txt")
def test_hy_smi() -> None:
    r = rocm.parse_hy_smi(smi("hy-smi-table-k100ai.txt"))
    assert [d.temperature_c for d in r.devices] == [49, 48, 53, 49]
    assert [d.power_w for d in r.devices] == [118, 120, 116, 138]
    assert {d.power_cap_w for d in r.devices} == {800}


@uses("rocminfo-hygon-dcu-dtk24.04.3.txt")
def test_rocminfo() -> None:
    agents = rocm.parse_rocminfo(smi("rocminfo-hygon-dcu-dtk24.04.3.txt"))
    gpus = [a for a in agents if a.get("Device Type") == "DCU"]
    assert agents[0]["Device Type"] == "CPU"
    assert gpus and gpus[0]["Name"] == "gfx928" and gpus[0]["Marketing Name"] == "K1xx_AI"
    assert gpus[0]["Vendor Name"] == "HYGON"


# --------------------------------------------------------------------------- PCI


@uses("lspci-grep-ascend-d802.txt", "lspci-grep-kunlun-1d22.txt", "lspci-grep-enflame-s60.txt")
def test_lspci_grep_outputs() -> None:
    a = pci.parse_lspci(smi("lspci-grep-ascend-d802.txt"))
    assert len(a) == 16 and {d.device_id for d in a} == {"d802"} and a[0].address == "0000:28:00.0"
    assert {d.class_name for d in a} == {"Processing accelerators"} and a[0].vendor_id is None
    k = pci.parse_lspci(smi("lspci-grep-kunlun-1d22.txt"))
    assert len(k) == 8 and {(d.vendor_id, d.device_id) for d in k} == {("1d22", "3684")}
    assert {d.class_name for d in k} == {"Communication controller"}
    e = pci.parse_lspci(smi("lspci-grep-enflame-s60.txt"))
    assert [d.address for d in e] == ["0000:01:00.0", "0000:09:00.0"] and "Enflame" in e[0].description


@uses("lspci-nn-this-machine-vm.txt")
def test_lspci_nn() -> None:
    devs = pci.parse_lspci(sysf("lspci-nn-this-machine-vm.txt"))
    assert len(devs) == 6
    assert (devs[0].vendor_id, devs[0].device_id, devs[0].class_id) == ("8086", "0d57", "0600")
    assert (devs[3].vendor_id, devs[3].device_id, devs[3].class_id) == ("1af4", "1041", "0200")


@uses("lspci-vvv-ascend-910b4-d802.txt", "lspci-vvv-this-machine-vm-no-accelerator.txt")
def test_lspci_vvv() -> None:
    (d,) = pci.parse_lspci_vvv(sysf("lspci-vvv-ascend-910b4-d802.txt"))
    assert (d.address, d.device_id, d.numa_node) == ("0000:01:00.0", "d802", 0)
    assert (d.link_cap_speed_gts, d.link_cap_width, d.link_speed_gts, d.link_width) == (32.0, 16, 16.0, 16)
    assert d.downgraded is True and pci.pcie_gen(d.link_cap_speed_gts) == 5
    vm = pci.parse_lspci_vvv(sysf("lspci-vvv-this-machine-vm-no-accelerator.txt"))
    assert len(vm) == 6 and all(x.link_cap_speed_gts is None for x in vm)


def test_sysfs_pci_listing() -> None:
    text = ("0000:3f:00.0 vendor=0x1e3e device=0x0003 class=0x120000 numa_node=0 max_link_speed=16.0_GT/s_PCIe "
            "max_link_width=16 current_link_speed=8.0_GT/s_PCIe current_link_width=16\n"
            "0000:00:01.0 vendor=0x1af4 device=0x1045 class=0x00ff00 numa_node=-1 max_link_speed=- "
            "max_link_width=- current_link_speed=- current_link_width=-\n")
    a, b = pci.parse_sysfs_pci(text)
    assert (a.vendor_id, a.device_id, a.class_id, a.numa_node) == ("1e3e", "0003", "1200", 0)
    assert (a.link_cap_speed_gts, a.link_speed_gts, a.downgraded) == (16.0, 8.0, True)
    assert (b.numa_node, b.link_cap_speed_gts, b.downgraded) == (None, None, None)


# --------------------------------------------------------------------------- host facts


@uses("lscpu-this-machine-vm.txt", "lscpu-kunpeng920-4socket-as-published.txt", "lscpu-J-this-machine-vm.json")
def test_lscpu() -> None:
    c = system.parse_lscpu(sysf("lscpu-this-machine-vm.txt"))
    assert (c.model, c.sockets, c.cores, c.threads, c.numa_nodes, c.architecture) == (
        "Intel(R) Xeon(R) Processor", 1, 2, 2, 1, "x86_64")
    k = system.parse_lscpu(sysf("lscpu-kunpeng920-4socket-as-published.txt"))
    assert (k.model, k.sockets, k.cores, k.threads, k.numa_nodes, k.vendor) == ("Kunpeng-920", 4, 192, 192, 8, "HiSilicon")
    j = system.parse_lscpu_json(sysf("lscpu-J-this-machine-vm.json"))
    assert (j.model, j.sockets, j.cores, j.threads) == ("Intel(R) Xeon(R) Processor", 1, 2, 2)
    with pytest.raises(ParseError):
        system.parse_lscpu("hello: world")


@uses("free-h-this-machine-vm.txt")
def test_free() -> None:
    assert system.parse_free(sysf("free-h-this-machine-vm.txt")) == 23 * GIB
    assert system.parse_meminfo("MemTotal:       24684084 kB\nMemFree: 1 kB\n") == 24684084 * 1024


@uses("os-release-this-machine-debian.txt", "os-release-euleros-2.0sp10-partial.txt")
def test_os_release() -> None:
    d = system.parse_os_release(sysf("os-release-this-machine-debian.txt"))
    assert system.os_name(d) == "Debian GNU/Linux 12 (bookworm)" and d["VERSION_ID"] == "12"
    e = system.parse_os_release(sysf("os-release-euleros-2.0sp10-partial.txt"))
    assert system.os_name(e) == "EulerOS 2.0 (SP10)" and e["ID"] == "euleros"


@uses("docker-v-this-machine.txt")
def test_docker_version() -> None:
    assert system.parse_docker_version(sysf("docker-v-this-machine.txt")) == "28.2.2"
    assert system.parse_docker_version("Docker version 24.0.7, build 24.0.7-0ubuntu2~22.04.1") == "24.0.7"


@uses("dmidecode-t-system-dell-r730.txt", "dmidecode-type-system-dell-r740-tabs.txt",
      "dmidecode-t-system-this-machine-FAILS-no-devmem.txt")
def test_dmidecode() -> None:
    d = system.parse_dmidecode_system(sysf("dmidecode-t-system-dell-r730.txt"))
    assert (d["Manufacturer"], d["Product Name"], d["Serial Number"]) == ("Dell Inc.", "PowerEdge R730", "HG2H8D2")
    assert "Option 1" not in d  # type 12 is another section
    d = system.parse_dmidecode_system(sysf("dmidecode-type-system-dell-r740-tabs.txt"))
    assert (d["Manufacturer"], d["Product Name"], d["Family"]) == ("Dell Inc.", "PowerEdge R740", "PowerEdge")
    with pytest.raises(ParseError):
        system.parse_dmidecode_system(sysf("dmidecode-t-system-this-machine-FAILS-no-devmem.txt"))


def test_every_fixture_is_tested() -> None:
    files = {p.name for d in ("smi", "system") for p in (FIXTURES / d).iterdir()
             if p.is_file() and p.name != "SOURCES.md"}
    assert files - TESTED == set()


def test_hy_smi_hcu_columns_read_like_dcu_columns() -> None:
    """Newer DTK prints the same concise table with HCU columns. No public copy of that layout was
    found, so this text is the real DCU table (tests/fixtures/real/smi/hygon-rocm-smi-dtk23.10-z100-
    paddle-docs.txt) with its column names changed -- it checks the header-driven reading, not a sample."""
    from pathlib import Path

    real = (Path(__file__).parent / "fixtures" / "real" / "smi" / "hygon-rocm-smi-dtk23.10-z100-paddle-docs.txt").read_text()
    hcu = real.replace("DCU  Temp", "HCU  Temp").replace("DCU%", "HCU%")
    dcu_rep, hcu_rep = rocm.parse_hy_smi(real), rocm.parse_hy_smi(hcu)
    assert [vars(d) for d in hcu_rep.devices] == [vars(d) for d in dcu_rep.devices]
    assert len(hcu_rep.devices) == 4 and hcu_rep.devices[1].power_w == 41.0 and hcu_rep.devices[0].vendor_id == "1d94"
    with pytest.raises(ParseError, match="not hy-smi output"):
        rocm.parse_hy_smi("hy-smi: layout the parser does not know\nDevice 0: busy\n")
