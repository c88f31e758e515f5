"""The serving stage's SSH path end to end: ``reportgen collect --host ... --only serving``
over a real sshd on 127.0.0.1 (the fixture of test_hw_sshd.py) launches the stub server
(tests/serving_stub.py) on the "remote" side through ``HostServer``, measures a small
matrix against it, stops it and keeps its log tail."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving_helpers import STUB, free_port, make_tokenizer
from test_hw_sshd import Server, sshd  # noqa: F401  (the module-scoped sshd fixture)

from collectors.serving.server import HostServer
from reportgen.cli import main
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.sshd]

LABEL = "FP16-sshd"  # its own /tmp/reportgen-server-<label>-XXXXXX folder, apart from other tests'


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_collect_launches_the_server_over_ssh(sshd: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    tokdir = make_tokenizer(tmp_path / "tok")
    port = free_port()
    # the project's venv python by absolute path: the remote PATH does not hold it
    py = Path(sys.executable).absolute()
    cmd = (f"test -n \"$HF_TOKEN\" && echo TOKEN_SET=yes; exec {shlex.quote(str(py))} {shlex.quote(str(STUB))} --port {port} "
           f"--model tiny --tokenizer {shlex.quote(str(tokdir))}")
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 60
stop_timeout_s = 20
[serving]
batch_sizes = [1, 2]
input_len = 32
output_len = 5
rounds = 1
[functional_check]
max_tokens = 8
[[variants]]
label = "{LABEL}"
precision = "FP16"
served_model_name = "tiny"
tokenizer = {json.dumps(str(tokdir))}
launch_command = {json.dumps(cmd)}
env = {{ HF_TOKEN = "hf_s3cretTokenNotOnAnyCommandLine" }}
""")
    seen: dict[str, object] = {}
    close = HostServer.close

    def record_then_close(self: HostServer) -> None:
        # the private folder as the host had it (the sshd is this machine: its files are ours to stat)
        assert self.dir is not None
        seen.update(dir=self.dir, mode=os.stat(self.dir).st_mode & 0o777, pgid=self.pgid,
                    files=sorted(os.listdir(self.dir)), env_mode=os.stat(f"{self.dir}/server.env").st_mode & 0o777)
        close(self)

    monkeypatch.setattr(HostServer, "close", record_then_close)
    monkeypatch.setenv("REPORTGEN_SSH_PASSWORD", "s3cret-not-to-be-saved")
    out = tmp_path / "out.json"
    try:
        with pytest.raises(SystemExit) as e:
            main(["collect", *sshd.cli_args(), "--plan", str(plan), "--only", "serving", "-o", str(out)])
        assert e.value.code == 0
    finally:
        if "pgid" not in seen:  # a failed run must not leave the stub behind
            for pid_file in Path("/tmp").glob(f"reportgen-server-{LABEL}-*/server.pid"):
                try:
                    os.killpg(int(pid_file.read_text()), 9)
                except (ProcessLookupError, ValueError):
                    pass
    # log, PID and status in a folder of its own, readable by its owner only, removed afterwards
    assert str(seen["dir"]).startswith(f"/tmp/reportgen-server-{LABEL}-") and seen["mode"] == 0o700
    assert seen["files"] == ["server.env", "server.log", "server.pid", "server.status"] and seen["env_mode"] == 0o600
    assert not Path(str(seen["dir"])).exists()
    pgid = seen["pgid"]
    assert isinstance(pgid, int)  # the remote wrapper's process group (setsid)

    res = load_results(out)
    v = res.variant(LABEL)
    s = v.server
    assert s.launched and s.launch_command == cmd and s.served_models == ["tiny"] and s.startup_s > 0
    assert s.error is None
    assert s.exit_code == 143  # SIGTERM to the group, recorded by the remote wrapper
    assert f"PORT {port}" in s.log_tail  # the stub's own first line, read back over SSH
    assert "TOKEN_SET=yes" in s.log_tail  # the environment reached the server (through a file, not argv)
    assert v.functional_check.error is None and v.functional_check.completion_tokens == 8
    assert [c.batch_size for c in v.serving] == [1, 2]
    for c in v.serving:
        assert c.metrics.failed == 0 and c.metrics.completed == len([r for r in c.requests if not r.warmup]) >= c.batch_size
        assert all(r.ok and r.prompt_tokens == 32 and r.completion_tokens == 5 for r in c.requests)
    assert not (tmp_path / "out-logs").exists()  # no local ServerProcess: HostServer ran it
    assert "Accepted publickey for root" in (sshd.root / "sshd.log").read_text()
    assert res.invocations[-1].argv[:4] == ["reportgen", "collect", "--host", "127.0.0.1"]

    # the remote process group is gone, and the port is free again
    deadline = time.monotonic() + 10
    while not gone(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pgid)
    with pytest.raises(OSError):
        os.killpg(pgid, 0)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    # the status file said 143 (recorded as exit_code above) before its folder was removed

    text = out.read_text()
    assert "s3cret-not-to-be-saved" not in text and "hf_s3cretTokenNotOnAnyCommandLine" not in text
    key_body = [ln for ln in sshd.key.read_text().splitlines() if not ln.startswith("-----")]
    assert key_body and not any(ln in text for ln in key_body)
