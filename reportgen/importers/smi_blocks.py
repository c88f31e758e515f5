"""SMI screens pasted among results: recognised, read, listed -- never taken for results.

A note or a job log often holds the accelerator's SMI screen next to the benchmark it ran. Each
screen is a block of its own: found by its banner or header line, read by the hardware parsers
(``collectors.hardware.parsers``, the ones ``reportgen collect`` uses) and listed with what it
says (tool, version, devices). Hardware facts are not imported from a paste: ``reportgen
collect`` measures them, and a screen pasted beside a result says nothing about which machine
ran it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from collectors.hardware.parsers import ascend, nvidia, rocm, vendors
from collectors.hardware.parsers._common import ParseError, SmiReport
from reportgen.importers.finders import structured

_BOX = re.compile(r"^\s*(?:\S+ out: )?[|+=\-│┃╭╰├└┌┐┘╞╘╒┏┗━─]")
_BANNER = re.compile(r"System Management Interface|All Rights Reserved|^\S*[$#]\s*\S*smi|^\S*[$#]\s*(?:cnmon|mthreads-gmi|efsmi)|^\s*\S*(?:smi|cnmon|gmi)\s*$", re.I)


@dataclass(frozen=True)
class Screen:
    name: str
    title: str
    header: re.Pattern[str]
    parse: Callable[[str], SmiReport]
    end: re.Pattern[str] | None = None  # the screen's last line, when the tool prints one


def _efsmi(text: str) -> SmiReport:
    if re.search(r"^\s*DEV ID \d+", text, re.M):
        return vendors.parse_efsmi_query(text)
    if re.search(r"Driver Ver:", text):
        return vendors.parse_efsmi_table(text)
    return vendors.parse_efsmi_list(text)


def _rocm(text: str) -> SmiReport:
    try:
        return rocm.parse_rocm_smi_table(text)
    except ParseError:
        return rocm.parse_rocm_smi_all(text)


SCREENS: tuple[Screen, ...] = (
    Screen("nvidia-smi-q", "nvidia-smi -q", re.compile(r"=+\s*NVSMI LOG\s*=+"), nvidia.parse_query),
    Screen("nvidia-smi", "nvidia-smi table", re.compile(r"NVIDIA-SMI \d"), nvidia.parse_table),
    Screen("npu-smi", "Huawei Ascend npu-smi info", re.compile(r"npu-smi \S+\s+Version:|^\|\s*NPU\s+Name\s+\|"), ascend.parse_info),
    Screen("hy-smi", "Hygon hy-smi / DTK rocm-smi", re.compile(r"^=+\s*System Management Interface\s*=+"), rocm.parse_hy_smi,
           re.compile(r"End of SMI Log")),
    Screen("rocm-smi", "AMD rocm-smi", re.compile(r"ROCm System Management Interface"), _rocm, re.compile(r"End of ROCm SMI Log")),
    Screen("cnmon", "Cambricon cnmon", re.compile(r"CNMON v\d"), vendors.parse_cnmon),
    Screen("mx-smi", "MetaX mx-smi", re.compile(r"mx-smi\s+version|MetaX System Management Interface|MOFFETT-SMI"), vendors.parse_mx_smi),
    Screen("mthreads-gmi", "Moore Threads mthreads-gmi", re.compile(r"mthreads-gmi:\d"), vendors.parse_mthreads_gmi),
    Screen("efsmi", "Enflame efsmi", re.compile(r"Enflame System Management Interface"), _efsmi),
    Screen("xpu-smi", "Kunlunxin xpu_smi", re.compile(r"^Runtime Version: \d"), vendors.parse_xpu_smi),
)


def _screen_line(line: str) -> bool:
    """A line of an SMI screen: a box or ruler, ``key : value``, an indented line (``-q``
    sections), a row aligned by spaces, or a section title in capitals (``  DEVICES``)."""
    return bool(line.strip()) and bool(
        _BOX.match(line) or structured(line) or line[:1] in (" ", "\t") or re.match(r"^\s*\S+(?:\s{2,}\S+)+\s*$", line)
    )


def finder(screen: Screen) -> Callable[[list[str]], list[tuple[int, int]]]:
    def find(lines: list[str]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for k, line in enumerate(lines):
            if not screen.header.search(line) or (out and k <= out[-1][1]):
                continue
            first = k
            while first - 1 >= 0 and lines[first - 1].strip() and (_BOX.match(lines[first - 1]) or _BANNER.search(lines[first - 1])):
                first -= 1
            last, blanks = k, 0
            for j in range(k + 1, len(lines)):
                if not lines[j].strip():
                    blanks += 1
                    if blanks >= 2:
                        break
                    continue
                if not _screen_line(lines[j]):
                    break
                blanks, last = 0, j
            if screen.end is not None:  # a printed last line wins over the shape of the lines
                last = next((j for j in range(k, min(k + 400, len(lines))) if screen.end.search(lines[j])), last)
            out.append((first, last))
        return out

    return find


def summary(screen: Screen) -> Callable[[str], str]:
    """The one line a pasted screen gets: what it says, and that it is not imported."""

    def read(text: str) -> str:
        try:
            rep = screen.parse(text)
        except ParseError as e:
            return f"{screen.title} not read ({e}); hardware facts are not imported"
        names = sorted({n for d in rep.devices if (n := d.name or d.extra.get("printed_name"))})  # cut names as printed
        version = f" {rep.tool_version}" if rep.tool_version else ""
        driver = f", driver {rep.driver_version}" if rep.driver_version else ""
        what = f"{len(rep.devices)} device{'s' if len(rep.devices) != 1 else ''}" + (f" ({', '.join(names)})" if names else "")
        return f"{screen.title}{version}{driver}: {what}; hardware facts are not imported (reportgen collect measures them)"

    return read
