"""SSH host keys as OpenSSH checks them, against a real sshd on 127.0.0.1: reportgen's own
known-hosts file keyed by host and port, --ssh-host-key accept-new|strict|SHA256:…, a new key
printed once and stored, a changed key refused, and no paramiko traceback on stderr."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.execution import SSHHost, SSHTarget, default_known_hosts
from reportgen.cli import main
from reportgen.errors import HostError

pytestmark = [pytest.mark.slow, pytest.mark.sshd]

SSHD = "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sshd:
    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port, self.key = root, port, root / "userkey"

    def fingerprint(self) -> str:
        out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(self.root / "hostkey.pub")],
                             capture_output=True, text=True, check=True).stdout
        return out.split()[1]

    def args(self, known: Path, *extra: str) -> list[str]:
        return ["collect", "--host", "127.0.0.1", "--ssh-port", str(self.port), "--ssh-user", "root",
                "--ssh-key", str(self.key), "--known-hosts", str(known), "--only", "hardware", *extra]


def _start(root: Path, name: str) -> tuple[Sshd, int]:
    root.mkdir(parents=True, exist_ok=True)
    for key in ("hostkey", "userkey"):
        if not (root / key).exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / key)], check=True)
    shutil.copy(root / "userkey.pub", root / "authorized_keys")
    port = _free_port()
    cfg = root / f"sshd_config.{name}"
    cfg.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'hostkey'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        f"PidFile {root / (name + '.pid')}\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)
    subprocess.run([SSHD, "-f", str(cfg), "-E", str(root / f"{name}.log")], check=True)
    pid_file = root / f"{name}.pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    return Sshd(root, port), int(pid_file.read_text())


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not os.path.exists(SSHD):
        pytest.fail(f"{SSHD} not found: install openssh-server")
    server, pid = _start(tmp_path_factory.mktemp("sshd-keys"), "a")
    try:
        yield server
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err.strip().splitlines()
    return int(e.value.code or 0), err


def test_default_file_is_reportgens_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPORTGEN_KNOWN_HOSTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_known_hosts() == tmp_path / "reportgen" / "known_hosts"
    monkeypatch.setenv("REPORTGEN_KNOWN_HOSTS", str(tmp_path / "kh"))
    assert default_known_hosts() == tmp_path / "kh"


def test_new_key_printed_once_stored_with_port_then_trusted(sshd: Sshd, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    known = tmp_path / "cfg" / "known_hosts"
    fp = sshd.fingerprint()
    code, err = _run([*sshd.args(known), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 0, err
    notes = [ln for ln in err if "new host key" in ln]
    assert notes == [f"ssh root@127.0.0.1:{sshd.port}: new host key ssh-ed25519 {fp}, stored in {known}"]
    line = known.read_text().splitlines()
    host_pub = (sshd.root / "hostkey.pub").read_text().split()
    assert line == [f"[127.0.0.1]:{sshd.port} {host_pub[0]} {host_pub[1]}"]
    assert oct(known.stat().st_mode & 0o777) == "0o600"
    # second run: known, nothing printed, nothing added
    code, err = _run([*sshd.args(known), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 0 and not [ln for ln in err if "host key" in ln]
    assert len(known.read_text().splitlines()) == 1
    # strict accepts a known key
    code, err = _run([*sshd.args(known, "--ssh-host-key", "strict"), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 0, err


def test_same_host_other_port_is_another_entry(sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    host_pub = (sshd.root / "hostkey.pub").read_text().split()
    known.write_text(f"[127.0.0.1]:{sshd.port + 1} {host_pub[0]} {host_pub[1]}\n127.0.0.1 {host_pub[0]} {host_pub[1]}\n")
    with pytest.raises(HostError, match="unknown host key .* --ssh-host-key strict"):
        SSHHost(SSHTarget(host="127.0.0.1", port=sshd.port, user="root", key_file=str(sshd.key),
                          known_hosts=str(known), host_key="strict"))
    assert len(known.read_text().splitlines()) == 2  # nothing stored


def test_strict_refuses_unknown_with_one_line(sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    known = tmp_path / "known_hosts"
    out = tmp_path / "r.json"
    code, err = _run([*sshd.args(known, "--ssh-host-key", "strict"), "-o", str(out)], capsys)
    assert code == 2 and len(err) == 1
    assert err[0] == (f"reportgen: error: ssh root@127.0.0.1:{sshd.port}: unknown host key ssh-ed25519 "
                      f"{sshd.fingerprint()} and --ssh-host-key strict; check it, then pass --ssh-host-key {sshd.fingerprint()}")
    assert not known.exists()


def test_fingerprint_option(sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    known = tmp_path / "known_hosts"
    wrong = "SHA256:" + "A" * 43
    code, err = _run([*sshd.args(known, "--ssh-host-key", wrong), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 2 and len(err) == 1 and f"not {wrong}; refusing to connect" in err[0]
    assert not known.exists()
    code, err = _run([*sshd.args(known, "--ssh-host-key", sshd.fingerprint()), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 0, err
    assert known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")
    code, err = _run([*sshd.args(known, "--ssh-host-key", "nonsense"), "-o", str(tmp_path / "r.json")], capsys)
    assert code == 2 and "--ssh-host-key" in "\n".join(err) and "accept-new, strict or a SHA256" in "\n".join(err)


def test_changed_key_refused_with_one_line(sshd: Sshd, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "otherkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    pub = (tmp_path / "otherkey.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {pub[0]} {pub[1]}\n")
    before = known.read_bytes()
    out = tmp_path / "r.json"
    code, err = _run([*sshd.args(known), "-o", str(out)], capsys)
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"reportgen: error: ssh root@127.0.0.1:{sshd.port}: host key mismatch (the server "
                             f"presented ssh-ed25519 {sshd.fingerprint()}, {known} has another key for it)")
    assert known.read_bytes() == before


def test_port_that_does_not_speak_ssh_gives_one_line(tmp_path: Path) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def serve() -> None:
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        # a separate process: paramiko's transport thread writes to the real stderr
        r = subprocess.run([sys.executable, "-m", "reportgen.cli", "collect", "--host", "127.0.0.1", "--ssh-port",
                            str(port), "--ssh-user", "root", "--known-hosts", str(tmp_path / "kh"), "--only",
                            "hardware", "--timeout", "5", "-o", str(tmp_path / "r.json")],
                           capture_output=True, text=True, timeout=60)
    finally:
        srv.close()
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"reportgen: error: ssh root@127.0.0.1:{port}: cannot connect: ")
    assert "Traceback" not in err[0]
