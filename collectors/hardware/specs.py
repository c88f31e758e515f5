"""The card spec sheet: what no tool prints (peak FLOPS, memory bandwidth, TDP, memory type).

Built from ``tests/fixtures/card-specs.md``; every number keeps the source it came from
and a confidence (A vendor document, B third party quoting the vendor / derived, C single or
conflicting source). These are 规格书 values: the collector stores them with
``origin="spec_sheet"`` and never as measured. Values are per *board* (what sits in one slot);
``chips_per_board`` says how many chips (SMI indices) one board shows as.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CardSpec:
    key: str  # "BI-V150"
    vendor: str
    model: str  # as the document names it
    pattern: str  # regex matched (case-insensitive) against SMI / pci product names
    chips_per_board: int = 1
    memory_gb: float | None = None  # per board, vendor "GB"
    memory_type: str | None = None
    bandwidth_gbs: float | None = None  # GB/s per board
    fp32_tflops: float | None = None
    fp16_tflops: float | None = None  # dense
    bf16_tflops: float | None = None
    int8_tops: float | None = None
    tdp_w: float | None = None
    max_temperature_c: float | None = None
    host_link: str | None = None
    confidence: str = "B"
    source: str = ""
    notes: str = ""

    @property
    def approximate(self) -> bool:
        return self.confidence == "C"


_SRC = "card-specs.md"

SPECS: tuple[CardSpec, ...] = (
    CardSpec("A100-SXM4-80GB", "NVIDIA", "A100 SXM4 80GB", r"A100[- ]SXM4?[- ]80GB|A800[- ]SXM4[- ]80GB",
             memory_gb=80, memory_type="HBM2e", bandwidth_gbs=2039, fp32_tflops=19.5, fp16_tflops=312,
             bf16_tflops=312, int8_tops=624, tdp_w=400, host_link="PCIe Gen4 x16", confidence="A",
             source=f"{_SRC} [n1][n2]: NVIDIA A100 datasheet tables; FlagPerf 标定值"),
    CardSpec("A100-PCIE-80GB", "NVIDIA", "A100 PCIe 80GB", r"A100[- ]PCIE[- ]80GB|A100 80GB PCIe",
             memory_gb=80, memory_type="HBM2e", bandwidth_gbs=1935, fp32_tflops=19.5, fp16_tflops=312,
             bf16_tflops=312, int8_tops=624, tdp_w=300, host_link="PCIe Gen4 x16", confidence="A",
             source=f"{_SRC} [n1]: NVIDIA A100 datasheet table"),
    CardSpec("A100-40GB", "NVIDIA", "A100 40GB", r"A100[- ](SXM4[- ])?40GB|A100[- ]PCIE[- ]40GB",
             memory_gb=40, memory_type="HBM2", bandwidth_gbs=1555, fp32_tflops=19.5, fp16_tflops=312,
             bf16_tflops=312, int8_tops=624, tdp_w=400, confidence="A",
             source=f"{_SRC} [n2]: FlagPerf A100 README 标定值"),
    CardSpec("H100-SXM5-80GB", "NVIDIA", "H100 SXM5 80GB", r"H100 80GB HBM3|H100[- ]SXM5?[- ]80GB",
             memory_gb=80, memory_type="HBM3", bandwidth_gbs=3350, fp32_tflops=66.9, fp16_tflops=989.4,
             bf16_tflops=989.4, int8_tops=1978.9, tdp_w=700, host_link="PCIe Gen5 x16", confidence="A",
             source=f"{_SRC} [n3]: glennklockwood.com/garden/processors/h100 (NVIDIA H100 SXM5 figures)"),
    CardSpec("H100-PCIE", "NVIDIA", "H100 PCIe 80GB", r"H100 PCIe",
             memory_gb=80, memory_type="HBM2e", bandwidth_gbs=2000, fp32_tflops=51, fp16_tflops=756,
             bf16_tflops=756, int8_tops=1513, tdp_w=350, host_link="PCIe Gen5 x16", confidence="B",
             source=f"{_SRC} [n4]: NVIDIA H100 PCIe product brief (350 W, >2000 GB/s); compute B"),
    CardSpec("H100-NVL", "NVIDIA", "H100 NVL 94GB", r"H100 NVL",
             memory_gb=94, memory_type="HBM3", bandwidth_gbs=3900, fp32_tflops=60, fp16_tflops=835.5,
             bf16_tflops=835.5, int8_tops=1670.5, tdp_w=400, host_link="PCIe Gen5 x16", confidence="B",
             source=f"{_SRC} [n1]: sparse values halved"),
    CardSpec("H200-SXM", "NVIDIA", "H200 141GB", r"\bH200\b(?!\s*NVL)",
             memory_gb=141, memory_type="HBM3e", bandwidth_gbs=4800, fp32_tflops=66.9, fp16_tflops=989.4,
             bf16_tflops=989.4, int8_tops=1978.9, tdp_w=700, host_link="PCIe Gen5 x16", confidence="B",
             source=f"{_SRC} [n7]: H100 SXM5 compute (same GH100), 141 GB HBM3e at 4.8 TB/s, 700 W"),
    CardSpec("H200-NVL", "NVIDIA", "H200 NVL 141GB", r"\bH200\s*NVL\b",
             memory_gb=141, memory_type="HBM3e", bandwidth_gbs=4800, fp32_tflops=60, fp16_tflops=835.5,
             bf16_tflops=835.5, int8_tops=1670.5, tdp_w=600, host_link="PCIe Gen5 x16", confidence="C",
             source=f"{_SRC} [n7]: NVL compute as the H100 NVL, 600 W"),
    CardSpec("L20", "NVIDIA", "L20 48GB", r"\bL20\b",
             memory_gb=48, memory_type="GDDR6", bandwidth_gbs=864, fp32_tflops=59.8, fp16_tflops=119.5,
             bf16_tflops=119.5, int8_tops=239, tdp_w=275, host_link="PCIe Gen4 x16", confidence="B",
             source=f"{_SRC} [n5]: technical.city / topcpu.net", notes="an nvidia-smi sample shows a 350 W limit"),
    CardSpec("L40S", "NVIDIA", "L40S 48GB", r"\bL40S\b",
             memory_gb=48, memory_type="GDDR6", bandwidth_gbs=864, fp32_tflops=91.6, fp16_tflops=362,
             bf16_tflops=362, int8_tops=733, tdp_w=350, host_link="PCIe Gen4 x16", confidence="B",
             source=f"{_SRC} [n6]: huggingface.co/hardware/l40s; NVIDIA L40S datasheet"),
    CardSpec("BI-V150", "Iluvatar CoreX", "天垓150 (BI-V150)", r"BI-V150",
             chips_per_board=2, memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1600, fp32_tflops=37,
             fp16_tflops=192, bf16_tflops=192, int8_tops=384, tdp_w=350, host_link="PCIe Gen4 x16",
             confidence="B",
             source=f"{_SRC} [i1][i2][i3]: Gitee AI 天垓150 doc (64 GB HBM2e, 350 W, PCIe 4.0 x16); "
                    "天数智芯官网 via survey (FP16/BF16 192, INT8 384)",
             notes="memory bandwidth conflicting (1.6 TB/s, 1.8 TB/s, 896 GB/s quoted): ≈ value"),
    CardSpec("BI-V100", "Iluvatar CoreX", "天垓100 (BI-V100)", r"BI-V100",
             memory_gb=32, memory_type="HBM2", fp32_tflops=37, fp16_tflops=147, bf16_tflops=147, tdp_w=250,
             host_link="PCIe Gen4 x16", confidence="B", source=f"{_SRC} [i3]: 天数智芯官网 via survey"),
    CardSpec("MR-V100", "Iluvatar CoreX", "智铠100 (MR-V100)", r"MR-V100",
             memory_gb=32, memory_type="HBM2e", bandwidth_gbs=819, fp32_tflops=24, fp16_tflops=96,
             int8_tops=192, tdp_w=150, max_temperature_c=95, host_link="PCIe Gen4 x16", confidence="A",
             source=f"{_SRC} [i4]: Gitee AI 智铠100 doc (官方产品规格书); bandwidth derived from clocks"),
    CardSpec("Atlas-300I-Duo", "Huawei Ascend", "Atlas 300I Duo (2× Ascend 310P3)", r"300I Duo|310P3",
             chips_per_board=2, memory_gb=96, memory_type="LPDDR4X", bandwidth_gbs=408, int8_tops=280,
             tdp_w=150, host_link="PCIe Gen4 x16", confidence="B", source=f"{_SRC} [a4]: 3dnews.ru/1131049"),
    CardSpec("Ascend-910B", "Huawei Ascend", "Ascend 910B", r"910B\d?",
             memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1600, fp16_tflops=280, bf16_tflops=280,
             int8_tops=560, tdp_w=None, host_link="PCIe Gen4 x16", confidence="A",
             source=f"{_SRC} [a1]: Gitee AI Ascend doc (64 GB HBM2e, FP16/BF16 280, INT8 560)",
             notes="910B4 has 32 GB; TDP per SKU ≈350-400 W (not stated)"),
    CardSpec("MLU370-X8", "Cambricon", "MLU370-X8", r"MLU370-X8",
             chips_per_board=2, memory_gb=48, memory_type="LPDDR5", bandwidth_gbs=614.4, fp32_tflops=32,
             fp16_tflops=96, bf16_tflops=96, int8_tops=256, tdp_w=250, host_link="PCIe Gen4 x16",
             confidence="B", source=f"{_SRC} [c1]: MLU370-X8 launch coverage 2022-03"),
    CardSpec("C500", "MetaX", "曦云C500", r"\bC500\b",
             memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1800, fp32_tflops=36, fp16_tflops=280,
             bf16_tflops=280, int8_tops=560, tdp_w=350, confidence="B",
             source=f"{_SRC} [m1][i3]: Gitee AI domestic-gpu doc (官方数据); mx-smi 350 W cap"),
    CardSpec("C550", "MetaX", "曦云C550", r"C550",
             memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1800, tdp_w=450, confidence="B",
             source=f"{_SRC} [f1]: FlagPerf 标定值"),
    CardSpec("S4000", "Moore Threads", "MTT S4000", r"S4000",
             memory_gb=48, memory_type="GDDR6", bandwidth_gbs=768, fp32_tflops=25, fp16_tflops=100,
             bf16_tflops=100, int8_tops=200, host_link="PCIe Gen5 x16", confidence="B",
             source=f"{_SRC} [t1][t2]: io-tech.fi, titancomputers.com"),
    CardSpec("S5000", "Moore Threads", "MTT S5000", r"S5000",
             memory_gb=80, bandwidth_gbs=1600, confidence="B", source=f"{_SRC} [t3]: Gitee AI moore_gpu doc"),
    CardSpec("S60", "Enflame", "燧原 S60", r"\bS60\b",
             memory_gb=48, memory_type="GDDR6", tdp_w=300, host_link="PCIe Gen5 x16", confidence="B",
             source=f"{_SRC}: efsmi fixtures (Power Capa 300 W, Max Link Gen5); no public FLOPS"),
    CardSpec("P800", "Kunlunxin", "昆仑芯 P800", r"P800",
             memory_gb=96, memory_type="HBM", bandwidth_gbs=1600, fp16_tflops=345, bf16_tflops=345, tdp_w=400,
             confidence="C", source=f"{_SRC} [i3]: survey of public pages", notes="bandwidth 1500-1800 GB/s quoted"),
    CardSpec("BW1000", "Hygon DCU", "海光 BW1000", r"BW1000",
             memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1600, fp32_tflops=60, fp16_tflops=480,
             tdp_w=300, confidence="B", source=f"{_SRC} [h1]: Gitee AI hygon_gpu doc"),
    CardSpec("K100_AI", "Hygon DCU", "海光 K100_AI", r"K100[_ ]?AI|K1xx_AI",
             memory_gb=64, memory_type="HBM2e", bandwidth_gbs=1200, fp16_tflops=192, int8_tops=392,
             confidence="C", source=f"{_SRC} [i3]: survey of public pages"),
)


def find_spec(*names: str | None) -> CardSpec | None:
    """The spec whose pattern matches the first of ``names`` that matches any (SMI product
    name first, then PCI product name)."""
    for name in names:
        if not name:
            continue
        for spec in SPECS:
            if re.search(spec.pattern, name, re.I):
                return spec
    return None
