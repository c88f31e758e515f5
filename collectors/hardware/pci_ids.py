"""PCI vendor and device ids of AI accelerators.

Carried in the repository because the machines' own ``pci.ids`` lacks most domestic cards
(Debian 12 has no 1e3e, cabc or 9999, and no Ascend device at all). Source and confidence of
each id: ``tests/fixtures/pci-vendors.md`` (pci.ids 2026.08.22 plus vendor tool output).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str  # the brand as the document names it
    name_zh: str
    tools: tuple[str, ...]  # SMI tools, in the order they are tried
    lspci_names: tuple[str, ...]  # words lspci prints for the vendor


VENDORS: dict[str, Vendor] = {
    v.id: v
    for v in (
        Vendor("1e3e", "Iluvatar CoreX", "天数智芯", ("ixsmi",), ("Iluvatar",)),
        Vendor("19e5", "Huawei Ascend", "华为昇腾", ("npu-smi",), ("Huawei",)),
        Vendor("cabc", "Cambricon", "寒武纪", ("cnmon",), ("Cambricon",)),
        Vendor("1d94", "Hygon DCU", "海光", ("hy-smi", "rocm-smi"), ("Haiguang", "Hygon")),
        Vendor("9999", "MetaX", "沐曦", ("mx-smi",), ("MetaX",)),
        Vendor("1ed5", "Moore Threads", "摩尔线程", ("mthreads-gmi",), ("Moore Threads",)),
        Vendor("1e36", "Enflame", "燧原", ("efsmi",), ("Enflame",)),
        Vendor("1d22", "Kunlunxin", "昆仑芯", ("xpu_smi", "xpu-smi"), ("Baidu", "Kunlun")),
        Vendor("2057", "Kunlunxin", "昆仑芯", ("xpu_smi", "xpu-smi"), ()),
        Vendor("10de", "NVIDIA", "英伟达", ("nvidia-smi",), ("NVIDIA",)),
        Vendor("1002", "AMD", "AMD", ("rocm-smi", "amd-smi"), ("Advanced Micro Devices", "AMD/ATI")),
        Vendor("1ec6", "Vastai", "瀚博", (), ("Vastai",)),
        Vendor("1e30", "Sophgo", "算能", (), ("Sophgo",)),
        Vendor("1f1c", "Sophgo", "算能", (), ()),
    )
}

# (vendor, device) -> product name. Confidence A/B/C as in pci-vendors.md.
DEVICES: dict[tuple[str, str], str] = {
    ("1e3e", "0002"): "MR-V100",
    ("1e3e", "0003"): "BI-V150",  # C: one public source; ixsmi's name decides
    ("19e5", "d100"): "Ascend 310",
    ("19e5", "d500"): "Ascend 310P",
    ("19e5", "d801"): "Ascend 910",
    ("19e5", "d802"): "Ascend 910B",
    ("19e5", "d803"): "Ascend 910C",
    ("cabc", "0270"): "MLU270-S4",
    ("cabc", "0370"): "MLU370-S4",
    ("1d94", "6210"): "DCU K100 class",
    ("1d94", "6211"): "K100_AI",
    ("9999", "0a01"): "C500",
    ("9999", "4000"): "C550",  # C
    ("1ed5", "0323"): "MTT S4000",
    ("1ed5", "0327"): "MTT S4000",
    ("1ed5", "0328"): "MTT S4000",
    ("1ed5", "0201"): "MTT S80",
    ("1e36", "c035"): "S60",
    ("1e36", "c033"): "S60G",
    ("1d22", "3684"): "Kunlun AI Accelerator (R200/R300)",
    ("1d22", "3685"): "Kunlun2 VF",
    ("1d22", "3686"): "P800",
    ("1d22", "3687"): "P800",
    ("1d22", "3688"): "P800",
    ("1d22", "3689"): "P800",
    ("10de", "20b0"): "A100-SXM4-40GB",
    ("10de", "20b2"): "A100-SXM4-80GB",
    ("10de", "20b5"): "A100-PCIE-80GB",
    ("10de", "20f1"): "A100-PCIE-40GB",
    ("10de", "20f3"): "A800-SXM4-80GB",
    ("10de", "2330"): "H100 SXM5 80GB",
    ("10de", "2331"): "H100 PCIe",
    ("10de", "2339"): "H100 SXM5 94GB",
    ("10de", "233d"): "H100 96GB",
    ("10de", "2322"): "H800 PCIe",
    ("10de", "2324"): "H800",
    ("10de", "2335"): "H200 SXM 141GB",
    ("10de", "26ba"): "L20",
    ("10de", "26b5"): "L40",
    ("10de", "27b8"): "L4",
    ("1002", "740c"): "Instinct MI250X/MI250",
    ("1002", "740f"): "Instinct MI210",
    ("1002", "74a1"): "Instinct MI300X",
    ("1002", "74a5"): "Instinct MI325X",
    ("1002", "75a0"): "Instinct MI350X",
}

# PCI classes (first four hex digits of the 24-bit class) an accelerator shows up as.
ACCELERATOR_CLASSES = {"1200", "0302", "0380", "0b40"}
DISPLAY_CLASS = "0300"  # display-capable NVIDIA/AMD cards


def vendor(vendor_id: str | None) -> Vendor | None:
    return VENDORS.get((vendor_id or "").lower())


def product(vendor_id: str | None, device_id: str | None) -> str | None:
    return DEVICES.get(((vendor_id or "").lower(), (device_id or "").lower()))


def vendor_by_name(text: str | None) -> Vendor | None:
    """The vendor whose lspci name appears in ``text`` (for ``lspci`` without ``-n``)."""
    if not text:
        return None
    for v in VENDORS.values():
        if any(n.lower() in text.lower() for n in v.lspci_names):
            return v
    return None


def is_accelerator(vendor_id: str | None, device_id: str | None, class_id: str | None) -> bool:
    """True for a known accelerator id, or an accelerator vendor's device in an accelerator
    class. Vendor alone is not enough: 1d94 (Hygon) also covers CPU chipset functions and 19e5
    (Huawei) network cards."""
    vid, did, cls = (vendor_id or "").lower(), (device_id or "").lower(), (class_id or "").lower()[:4]
    if (vid, did) in DEVICES:
        return vid not in ("10de", "1002") or cls in ACCELERATOR_CLASSES | {DISPLAY_CLASS, ""}
    if vid not in VENDORS:
        return False
    if vid in ("10de", "1002"):
        return cls in ACCELERATOR_CLASSES or cls == DISPLAY_CLASS
    return cls in ACCELERATOR_CLASSES
