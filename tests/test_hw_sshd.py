"""End to end over a real sshd on 127.0.0.1 (Debian openssh-server, started here with a
throwaway host key and user key, all under the test's temporary folder).

Fake SMI tools on the remote PATH replay the real fixture outputs, and a fake sysfs tree
(``REPORTGEN_SYSFS_ROOT``, set by the server's ``SetEnv``) holds the PCI functions, so the whole
path runs: SSH, quoting, timeouts, parsing, fact derivation, the results file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES

from collectors.execution import SSHHost, SSHTarget
from collectors.hardware import sources
from collectors.hardware.collect import collect_environment, run_sources
from reportgen.cli import main
from reportgen.errors import HostError
from reportgen.results import Environment, load_results

pytestmark = [pytest.mark.slow, pytest.mark.sshd]

SSHD = "/usr/sbin/sshd"
GIB = 2**30
FLOOD = 300_000_000  # bytes a flooding SMI tool prints per call


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, port: int, key: Path, known_hosts: Path) -> None:
        self.root, self.port, self.key, self.known_hosts = root, port, key, known_hosts

    def target(self, **kw: object) -> SSHTarget:
        args: dict[str, object] = dict(host="127.0.0.1", port=self.port, user="root", key_file=str(self.key),
                                       known_hosts=str(self.known_hosts), connect_timeout_s=10)
        args.update(kw)
        return SSHTarget(**args)  # type: ignore[arg-type]

    def use(self, scenario: str) -> None:
        """Point the remote PATH folder and sysfs root at one scenario's fakes."""
        for name in ("bin", "sys"):
            link = self.root / "fake" / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(self.root / "scenarios" / scenario / name)

    def cli_args(self) -> list[str]:
        return ["--host", "127.0.0.1", "--ssh-port", str(self.port), "--ssh-user", "root",
                "--ssh-key", str(self.key), "--known-hosts", str(self.known_hosts)]


def write_exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)


def pci_dev(sys_root: Path, addr: str, vendor: str, device: str, cls: str, cap: str | None = None,
            cur: str | None = None, width: int = 16, numa: int = 0) -> None:
    d = sys_root / "bus" / "pci" / "devices" / addr
    d.mkdir(parents=True)
    files = {"vendor": f"0x{vendor}", "device": f"0x{device}", "class": f"0x{cls}", "numa_node": str(numa)}
    if cap:
        files.update(max_link_speed=f"{cap} GT/s PCIe", max_link_width=str(width),
                     current_link_speed=f"{cur or cap} GT/s PCIe", current_link_width=str(width))
    for k, v in files.items():
        (d / k).write_text(v + "\n")


def two_biv150_table(table: str) -> str:
    """The 16-chip ixsmi fixture cut to its first two boards (4 chips), header and footer intact."""
    lines = table.splitlines()
    head_end = next(i for i, ln in enumerate(lines) if ln.startswith("|====")) + 1
    foot = next(i for i, ln in enumerate(lines) if "Processes:" in ln) - 2
    return "\n".join(lines[:head_end] + lines[head_end:head_end + 4 * 3] + lines[foot:]) + "\n"


def build_scenarios(root: Path) -> None:
    smi = FIXTURES / "smi"
    system = FIXTURES / "system"
    log = root / "docker-argv.log"
    docker = (f'if [ "$1" = "-v" ]; then echo "Docker version 24.0.7, build 24.0.7-0ubuntu2~22.04.1"; exit 0; fi\n'
              f'for a in "$@"; do echo "ARG:$a"; done > {log}\n'
              'echo "Error response from daemon: No such container: $2" >&2; exit 1\n')

    # 2 x Iluvatar BI-V150 = 4 chips, chip 3's link trained down to Gen3.
    s = root / "scenarios" / "biv150"
    table4 = s / "ixsmi-table.txt"
    table4.parent.mkdir(parents=True)
    table4.write_text(two_biv150_table((smi / "ixsmi-table-biv150-16card.txt").read_text()))
    write_exe(s / "bin" / "ixsmi",
              f'if [ $# -eq 0 ]; then cat {table4}; exit 0; fi\necho "ixsmi: $* not in the fixture" >&2; exit 2\n')
    lspci_lines = "".join(f"{b} Processing accelerators [1200]: Device [1e3e:0003] (rev 01)\\n"
                          for b in ("13:00.0", "16:00.0", "1c:00.0", "1f:00.0"))
    write_exe(s / "bin" / "lspci", f'if [ "$1" = "-nn" ]; then printf "{lspci_lines}"; exit 0; fi\nexit 1\n')
    write_exe(s / "bin" / "dmidecode", f"cat {system / 'dmidecode-type-system-dell-r740-tabs.txt'}\n")
    write_exe(s / "bin" / "docker", docker)
    for i, b in enumerate(("13", "16", "1c", "1f")):
        pci_dev(s / "sys", f"0000:{b}:00.0", "1e3e", "0003", "120000", "16.0", "8.0" if i == 3 else None)
    pci_dev(s / "sys", "0000:00:01.0", "1af4", "1045", "00ff00")

    # 8 x H100 SXM5.
    s = root / "scenarios" / "h100"
    write_exe(s / "bin" / "nvidia-smi",
              f'case "$*" in\n  -q) cat {smi / "nvidia-smi-q-h100-sxm-8gpu.txt"};;\n'
              f'  "") cat {smi / "nvidia-smi-table-h100-sxm-8gpu.txt"};;\n'
              '  --query-gpu=index,power.draw,temperature.gpu,utilization.gpu,memory.used,clocks.sm*) '
              'for i in 0 1 2 3 4 5 6 7; do echo "$i, 6$i.5, 3$i, 9$i, 1000$i, 198$i"; done;;\n'
              '  *) echo "nvidia-smi: $* not in the fixture" >&2; exit 2;;\nesac\n')
    write_exe(s / "bin" / "docker", docker)
    for b in ("18", "2a", "3a", "5d", "9a", "ab", "ba", "db"):
        pci_dev(s / "sys", f"0000:{b}:00.0", "10de", "2330", "030200", "32.0", numa=0 if b < "80" else 1)
    (s / "sys" / "devices" / "virtual" / "dmi" / "id").mkdir(parents=True)
    for k, v in (("sys_vendor", "Supermicro"), ("product_name", "SYS-821GE-TNHR")):
        (s / "sys" / "devices" / "virtual" / "dmi" / "id" / k).write_text(v + "\n")

    # An SMI tool that hangs; no accelerator in sysfs.
    s = root / "scenarios" / "hang"
    write_exe(s / "bin" / "nvidia-smi", "sleep 60\n")
    (s / "sys").mkdir(parents=True)

    # An SMI tool that floods: 300 MB on every call (and 1 MB on stderr), exit 0.
    s = root / "scenarios" / "flood"
    write_exe(s / "bin" / "nvidia-smi", f"head -c {FLOOD} /dev/zero | tr '\\0' x; head -c 1048577 /dev/zero | tr '\\0' e >&2\n")
    (s / "sys").mkdir(parents=True)

    # An SMI tool whose output never ends.
    s = root / "scenarios" / "endless"
    write_exe(s / "bin" / "nvidia-smi", "yes 'GPU 0: endless'\n")
    (s / "sys").mkdir(parents=True)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not os.path.exists(SSHD):
        pytest.fail(f"{SSHD} not found: install openssh-server (scripts/setup.sh --test does)")
    root = tmp_path_factory.mktemp("sshd")
    for name in ("hostkey", "userkey", "otherkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / name)], check=True)
    shutil.copy(root / "userkey.pub", root / "authorized_keys")
    (root / "fake").mkdir()
    build_scenarios(root)
    port = free_port()
    cfg = root / "sshd_config"
    cfg.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'hostkey'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        f"PidFile {root / 'sshd.pid'}\n"
        f"SetEnv PATH={root / 'fake' / 'bin'}:/usr/local/bin:/usr/bin:/bin "
        f"REPORTGEN_SYSFS_ROOT={root / 'fake' / 'sys'}\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)
    subprocess.run([SSHD, "-f", str(cfg), "-E", str(root / "sshd.log")], check=True)
    pid_file = root / "sshd.pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    known = root / "known_hosts"
    known.write_text("")
    try:
        yield Server(root, port, root / "userkey", known)
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def collect(server: Server, scenario: str, **kw: object) -> Environment:
    server.use(scenario)
    host = SSHHost(server.target())
    try:
        return collect_environment(host, **kw)  # type: ignore[arg-type]
    finally:
        host.close()


def test_two_biv150_boards_over_ssh_cli(sshd: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sshd.use("biv150")
    out = tmp_path / "r.json"
    monkeypatch.setenv("REPORTGEN_SSH_PASSWORD", "s3cret-not-to-be-saved")
    with pytest.raises(SystemExit) as e:
        main(["collect", *sshd.cli_args(), "--only", "hardware", "-o", str(out)])
    assert e.value.code == 0
    text = out.read_text()
    assert "s3cret-not-to-be-saved" not in text
    env = load_results(out).environment
    f = env.facts
    assert env.host == "127.0.0.1" and env.ssh_host_key and env.ssh_host_key.startswith("ssh-ed25519")
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (2, 4)
    assert f["accelerator.model"].value == "Iluvatar BI-V150" and f["accelerator.vendor"].value == "Iluvatar CoreX"
    assert f["accelerator.memory_bytes"].value == 64 * GIB
    assert f["accelerator.interface"].value == "PCIe Gen4 x16"
    assert f["accelerator.pcie_downgraded"].value is True and "0000:1f:00.0" in f["accelerator.pcie_downgraded"].detail
    assert f["accelerator.tdp_w"].value == 350
    assert f["accelerator.memory_bandwidth"].origin == "spec_sheet"
    assert (f["driver.version"].value, f["sdk.name"].value, f["sdk.version"].value) == ("4.1.0", "Corex", "4.1.0")
    # no DMI in the fake sysfs: dmidecode (run as root) is the fallback
    assert (f["server.vendor"].value, f["server.model"].value) == ("Dell Inc.", "PowerEdge R740")
    assert f["server.vendor"].source == "dmidecode"
    assert f["docker.version"].value == "24.0.7"
    raw = {r.id: r for r in env.raw_outputs}
    assert raw["ixsmi -q -x"].reason == "failed" and "not in the fixture" in raw["ixsmi -q -x"].stderr
    assert raw["ixsmi"].host == "127.0.0.1" and "BI-V150" in raw["ixsmi"].stdout
    assert [a.pci_address for a in env.accelerators] == ["0000:13:00.0", "0000:16:00.0", "0000:1c:00.0", "0000:1f:00.0"]
    assert [(a.board, a.chip) for a in env.accelerators] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert env.accelerators[3].pcie_link_status == "8GT/s x16" and env.accelerators[3].pcie_downgraded is True


def test_eight_h100_over_ssh(sshd: Server) -> None:
    env = collect(sshd, "h100")
    f = env.facts
    assert (f["accelerator.count"].value, f["accelerator.chips"].value) == (8, 8)
    assert f["accelerator.model"].value == "NVIDIA H100 80GB HBM3"
    assert f["accelerator.interface"].value == "PCIe Gen5 x16" and f["accelerator.pcie_downgraded"].value is False
    assert (f["driver.version"].value, f["sdk.version"].value) == ("565.57.01", "12.7")
    assert (f["server.vendor"].value, f["server.model"].value) == ("Supermicro", "SYS-821GE-TNHR")
    assert f["server.vendor"].source == "dmi_sysfs"
    assert [a.numa_node for a in env.accelerators] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert f["accelerator.peak_fp16_flops"].value == 989.4e12


def test_telemetry_over_ssh(sshd: Server) -> None:
    from collectors.hardware.telemetry import TelemetrySampler

    sshd.use("h100")
    host = SSHHost(sshd.target())
    try:
        sampler = TelemetrySampler(host, interval_s=0.3)  # finds nvidia-smi on the remote PATH itself
        sampler.start("serving:FP16:bs1")
        (r,) = host.run(["sleep 1.2; echo stage-done"], timeout_s=10)  # the stage, on the same connection
        series = sampler.stop()
    finally:
        host.close()
    assert r.stdout.strip() == "stage-done"
    assert series.tool == "nvidia-smi" and series.reason is None and series.errors == 0
    assert len(series.samples) >= 16 and len(series.samples) % 8 == 0
    s7 = series.samples[7]
    assert (s7.device, s7.power_w, s7.temperature_c, s7.utilization_pct, s7.memory_used_bytes) == (
        7, 67.5, 37, 97, 10007 * 2**20)


def test_container_name_with_metacharacters(sshd: Server, tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    name = f"x; touch {pwned}; $(touch {pwned}2)"
    env = collect(sshd, "h100", container=name)
    assert not pwned.exists() and not Path(f"{pwned}2").exists()
    args = (sshd.root / "docker-argv.log").read_text().splitlines()
    assert args[:3] == ["ARG:exec", f"ARG:{name}", "ARG:sh"]
    assert env.container == name
    assert env.facts["software.vllm"].reason == "failed"
    assert "No such container" in env.facts["software.vllm"].detail


def test_hung_smi_tool_times_out(sshd: Server) -> None:
    t0 = time.perf_counter()
    env = collect(sshd, "hang", timeout_s=2)
    assert time.perf_counter() - t0 < 40
    f = env.facts
    assert f["accelerator.model"].reason == "timed_out" and "nvidia-smi -q: timed_out" in f["accelerator.model"].detail
    raw = {r.id: r for r in env.raw_outputs}
    assert raw["nvidia-smi -q"].timed_out is True and raw["nvidia-smi -q"].exit_code is None


def test_flooding_smi_tool_over_ssh_is_capped(sshd: Server, tmp_path: Path) -> None:
    """300 MB on every nvidia-smi call over SSH: each capture keeps 1 MiB, records the full byte
    count, and the results file stays small; the document says the output was cut."""
    from reportgen.ranges import MAX_CAPTURE_BYTES
    from reportgen.report.environment_view import environment_view

    sshd.use("flood")
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as e:
        main(["collect", *sshd.cli_args(), "--only", "hardware", "--timeout", "120", "-o", str(out)])
    assert e.value.code == 0
    res = load_results(out)
    flooded = [r for r in res.environment.raw_outputs if r.id and r.id.startswith("nvidia-smi")]
    assert len(flooded) >= 2 and all(not r.timed_out for r in flooded)
    assert out.stat().st_size < (2 * len(flooded) + 1) * MAX_CAPTURE_BYTES  # 1 MiB per stream, not 300 MB
    for r in flooded:
        assert r.stdout_bytes == FLOOD and len(r.stdout) == MAX_CAPTURE_BYTES and set(r.stdout) == {"x"}
        assert r.stderr_bytes == MAX_CAPTURE_BYTES + 1 and len(r.stderr) == MAX_CAPTURE_BYTES
    notes = environment_view(res).notes
    assert any(f"共 {FLOOD} 字节" in n and "已截断" in n for n in notes), notes


def test_endless_smi_output_over_ssh_is_cut_by_the_timeout(sshd: Server) -> None:
    from reportgen.ranges import MAX_CAPTURE_BYTES

    sshd.use("endless")
    host = SSHHost(sshd.target())
    try:
        t0 = time.perf_counter()
        (r,) = host.run(["nvidia-smi -q"], timeout_s=3)
        took = time.perf_counter() - t0
        (ok,) = host.run(["echo still-usable"], timeout_s=5)
    finally:
        host.close()
    assert r.timed_out and r.exit_code is None and took < 20
    assert len(r.stdout) == MAX_CAPTURE_BYTES and r.stdout.startswith("GPU 0: endless\n")
    assert r.stdout_bytes is not None and r.stdout_bytes > MAX_CAPTURE_BYTES
    assert ok.stdout.strip() == "still-usable"


def test_remote_command_is_killed_at_its_timeout(sshd: Server, tmp_path: Path) -> None:
    marker = tmp_path / "late"
    host = SSHHost(sshd.target())
    try:
        t0 = time.perf_counter()
        (r,) = host.run([f"sleep 4; touch {marker}"], timeout_s=1)
        assert r.timed_out and time.perf_counter() - t0 < 10
        (ok,) = host.run(["echo still-usable"], timeout_s=5)  # same connection
        assert ok.stdout.strip() == "still-usable"
    finally:
        host.close()
    time.sleep(4.5)
    assert not marker.exists()


def test_missing_tool_over_ssh(sshd: Server) -> None:
    sshd.use("h100")
    host = SSHHost(sshd.target())
    env = Environment()
    try:
        src = sources.Source("nope", "reportgen-no-such-tool -q", lambda t: t, tool="reportgen-no-such-tool")
        oc = run_sources(host, [src], env)
    finally:
        host.close()
    assert oc["nope"].reason == "not_installed"
    assert env.raw_outputs[0].exit_code == 127 and env.raw_outputs[0].reason == "not_installed"


def test_wrong_key_is_one_clear_line(sshd: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(HostError, match="authentication failed"):
        SSHHost(sshd.target(key_file=str(sshd.root / "otherkey")))
    out = tmp_path / "r.json"
    args = [a if a != str(sshd.key) else str(sshd.root / "otherkey") for a in sshd.cli_args()]
    with pytest.raises(SystemExit) as e:
        main(["collect", *args, "-o", str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("reportgen: error: ssh root@127.0.0.1:") and "authentication" in err[0]
    host_fact = json.loads(out.read_text())["environment"]["facts"]["host"]
    assert host_fact["reason"] == "unreachable" and "authentication failed" in host_fact["detail"]


def test_host_key_mismatch(sshd: Server, tmp_path: Path) -> None:
    other = (sshd.root / "otherkey.pub").read_text().split()
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[127.0.0.1]:{sshd.port} {other[0]} {other[1]}\n")
    with pytest.raises(HostError, match="host key mismatch"):
        SSHHost(sshd.target(known_hosts=str(kh)))


def test_unreachable_host(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(SystemExit) as e:
        main(["collect", "--host", "127.0.0.1", "--ssh-port", str(port), "--ssh-user", "root",
              "-o", str(tmp_path / "r.json")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"reportgen: error: ssh root@127.0.0.1:{port}: cannot connect: connection refused"]
