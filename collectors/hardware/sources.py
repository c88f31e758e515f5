"""THE table: which command gives which facts, and which parser reads it.

Every command here is a fixed ``sh`` command line; nothing the user typed is in it (the
container name goes in through ``execution.in_container``, quoted). ``sysfs`` paths start at
``$REPORTGEN_SYSFS_ROOT`` (default ``/sys``) so a test can point them at a fake tree on the
remote side. SMI tools are looked up on PATH plus the vendors' install folders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collectors.hardware.parsers import ascend, nvidia, pci, rocm, system, vendors


@dataclass(frozen=True)
class Source:
    id: str  # key of the raw output and of Fact.source
    command: str
    parser: Callable[[str], Any]
    facts: tuple[str, ...] = ()  # the fact keys it feeds (documentation, and docs/hardware.md)
    tool: str | None = None  # the executable whose absence means "not_installed"
    needs_root: bool = False
    timeout_s: float = 20.0


SYSFS = '"${REPORTGEN_SYSFS_ROOT:-/sys}"'

# Vendors' install folders, searched after the user's PATH.
VENDOR_DIRS = (
    "/usr/local/corex/bin", "/usr/local/corex-4.1.0/bin", "/usr/local/bin", "/usr/local/sbin",
    "/usr/local/Ascend/driver/tools", "/usr/local/neuware/bin", "/opt/hyhal/bin", "/opt/dtk/bin",
    "/opt/rocm/bin", "/opt/mxdriver/bin", "/opt/maca/bin", "/usr/local/musa/bin", "/usr/local/xpu/bin",
    "/usr/sbin", "/sbin",
)
SMI_ENV = (
    f'PATH="$PATH:{":".join(VENDOR_DIRS)}"; export PATH; '
    'LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/corex/lib64"; export LD_LIBRARY_PATH; '
)


def as_root(command: str) -> str:
    """Run as root: directly when we are root, else ``sudo -n`` (never prompts). Exit 126 with
    a 'needs root' line when neither works."""
    return (
        f'if [ "$(id -u)" = 0 ]; then {command}; '
        f"elif command -v sudo >/dev/null 2>&1; then sudo -n {command}; "
        "else echo 'reportgen: needs root (not root, no sudo)' >&2; exit 126; fi"
    )


SYSFS_PCI_CMD = (
    f"for d in {SYSFS}/bus/pci/devices/*; do "
    '[ -r "$d/vendor" ] || continue; printf "%s" "${d##*/}"; '
    "for f in vendor device class numa_node max_link_speed max_link_width current_link_speed current_link_width; do "
    "v=$(cat \"$d/$f\" 2>/dev/null | tr ' ' _); printf ' %s=%s' \"$f\" \"${v:--}\"; done; echo; done"
)

DMI_SYSFS_CMD = (
    "for f in sys_vendor product_name product_version board_vendor board_name; do "
    f'printf "%s=%s\\n" "$f" "$(cat {SYSFS}/devices/virtual/dmi/id/$f 2>/dev/null)"; done'
)

# Installed versions by package metadata: fast, imports nothing, works without a GPU.
_PY_PROBE = (
    "import sys, importlib.metadata as m\n"
    "print('python=' + sys.version.split()[0])\n"
    "for p in ('vllm', 'torch', 'transformers'):\n"
    "    try: print(p + '=' + m.version(p))\n"
    "    except Exception: print(p + '=')\n"
)
SOFTWARE_CMD = (
    "for py in python3 python; do command -v $py >/dev/null 2>&1 && exec $py -c "
    + "'" + _PY_PROBE.replace("'", "'\"'\"'") + "'"
    + "; done; echo 'reportgen: no python' >&2; exit 127"
)

HOST_SOURCES: tuple[Source, ...] = (
    Source("dmi_sysfs", DMI_SYSFS_CMD, system.parse_dmi_sysfs, ("server.vendor", "server.model")),
    Source("lscpu", "LC_ALL=C lscpu", system.parse_lscpu, ("cpu.model", "cpu.sockets", "cpu.cores", "cpu.threads"),
           tool="lscpu"),
    Source("meminfo", "cat /proc/meminfo", system.parse_meminfo, ("memory.total_bytes",)),
    Source("os_release", "cat /etc/os-release", system.parse_os_release, ("os.name",)),
    Source("kernel", "uname -r", lambda t: t.strip() or None, ("kernel.version",)),
    Source("docker", "docker -v", system.parse_docker_version, ("docker.version",), tool="docker"),
    Source("sysfs_pci", SYSFS_PCI_CMD, pci.parse_sysfs_pci, ("accelerator.count", "accelerator.interface")),
    Source("lspci", "lspci -nn", pci.parse_lspci, ("accelerator.vendor",), tool="lspci"),
    Source("smi_probe",
           SMI_ENV + "for t in ixsmi nvidia-smi npu-smi cnmon hy-smi rocm-smi mx-smi mthreads-gmi efsmi xpu_smi xpu-smi; "
           'do p=$(command -v "$t" 2>/dev/null) && echo "$t=$p"; done; true',
           system.parse_key_values),
)

FALLBACK_SOURCES: dict[str, Source] = {
    "dmidecode": Source("dmidecode", as_root("dmidecode -t system"), system.parse_dmidecode_system,
                        ("server.vendor", "server.model"), tool="dmidecode", needs_root=True),
}


def lspci_vvv_source(address: str) -> Source:
    """LnkCap needs root on most systems; ``address`` comes from sysfs (checked as a bus id)."""
    from collectors.execution import quote

    return Source(f"lspci_vvv:{address}", as_root(f"lspci -vvv -s {quote(address)}"), pci.parse_lspci_vvv,
                  ("accelerator.interface",), tool="lspci", needs_root=True)


def _csv_query(text: str) -> Any:
    return nvidia.parse_csv(text, nvidia.QUERY_FIELDS)


# tool -> the commands that describe its devices; the first one that parses is the primary.
SMI_SOURCES: dict[str, tuple[Source, ...]] = {
    "ixsmi": (
        Source("ixsmi -q -x", SMI_ENV + "ixsmi -q -x", nvidia.parse_xml, tool="ixsmi"),
        Source("ixsmi", SMI_ENV + "ixsmi", nvidia.parse_table, tool="ixsmi"),
    ),
    "nvidia-smi": (
        Source("nvidia-smi -q", SMI_ENV + "nvidia-smi -q", nvidia.parse_query, tool="nvidia-smi"),
        Source("nvidia-smi --query-gpu",
               SMI_ENV + f"nvidia-smi --query-gpu={','.join(nvidia.QUERY_FIELDS)} --format=csv,noheader,nounits",
               _csv_query, tool="nvidia-smi"),
    ),
    "npu-smi": (Source("npu-smi info", SMI_ENV + "npu-smi info", ascend.parse_info, tool="npu-smi"),),
    "cnmon": (Source("cnmon", SMI_ENV + "cnmon", vendors.parse_cnmon, tool="cnmon"),),
    "hy-smi": (
        Source("rocm-smi --json",
               SMI_ENV + "rocm-smi --showproductname --showmeminfo vram --showpower --showtemp --showuse "
               "--showserial --showuniqueid --json", rocm.parse_rocm_smi_json, tool="rocm-smi"),
        Source("hy-smi", SMI_ENV + "hy-smi", rocm.parse_hy_smi, tool="hy-smi"),
        Source("rocminfo", SMI_ENV + "rocminfo", rocm.parse_rocminfo, tool="rocminfo"),
    ),
    "rocm-smi": (
        Source("rocm-smi --json",
               SMI_ENV + "rocm-smi --showproductname --showmeminfo vram --showpower --showtemp --showuse "
               "--showserial --showuniqueid --json", rocm.parse_rocm_smi_json, tool="rocm-smi"),
        Source("rocm-smi", SMI_ENV + "rocm-smi", rocm.parse_rocm_smi_table, tool="rocm-smi"),
    ),
    "mx-smi": (Source("mx-smi", SMI_ENV + "mx-smi", vendors.parse_mx_smi, tool="mx-smi"),),
    "mthreads-gmi": (Source("mthreads-gmi", SMI_ENV + "mthreads-gmi", vendors.parse_mthreads_gmi,
                            tool="mthreads-gmi"),),
    "efsmi": (Source("efsmi -q", SMI_ENV + "efsmi -q", vendors.parse_efsmi_query, tool="efsmi"),),
    "xpu_smi": (
        Source("xpu_smi -m", SMI_ENV + "xpu_smi -m", vendors.parse_xpu_smi_m, tool="xpu_smi"),
        Source("xpu_smi", SMI_ENV + "xpu_smi", vendors.parse_xpu_smi, tool="xpu_smi"),
    ),
    "xpu-smi": (Source("xpu-smi -m", SMI_ENV + "xpu-smi -m", vendors.parse_xpu_smi_m, tool="xpu-smi"),),
}

def npu_board_sources(npu_id: int) -> list[Source]:
    """``npu-smi info -t board|product -i <id>`` for one NPU (the id is an int from npu-smi itself)."""
    return [Source(f"npu-smi info -t {view} -i {npu_id}", SMI_ENV + f"npu-smi info -t {view} -i {int(npu_id)}",
                   ascend.parse_info_t, tool="npu-smi") for view in ("board", "product")]


SOFTWARE_SOURCE = Source("software", SOFTWARE_CMD, system.parse_key_values,
                         ("software.python", "software.vllm", "software.torch", "software.transformers"),
                         tool="python3")
