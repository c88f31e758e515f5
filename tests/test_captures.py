"""Bounded captures on this machine: a card tool that floods (300 MB) or never stops printing,
and a server log with an endless line, keep 1 MiB per stream, the full byte count and a
「已截断」 note; the results file stays small (the same over the real sshd: test_hw_sshd.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from collectors.capture import Capture
from collectors.execution import LocalHost
from collectors.serving.server import ServerProcess
from reportgen.cli import main
from reportgen.ranges import MAX_CAPTURE_BYTES
from reportgen.report.environment_view import environment_view
from reportgen.results import load_results

FLOOD = 300_000_000


def _exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + text)
    path.chmod(0o755)


def test_capture_keeps_the_head_and_counts_every_byte() -> None:
    c = Capture(limit=10)
    for chunk in (b"abcd", b"efghijkl", b"mnop"):
        c.add(chunk)
    assert (bytes(c.data), c.total, c.dropped_total) == (b"abcdefghij", 16, 16)
    whole = Capture(limit=10)
    whole.add(b"0123456789")
    assert whole.dropped_total is None


def test_flooding_smi_tool_locally_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    _exe(bin_dir / "nvidia-smi", f"head -c {FLOOD} /dev/zero | tr '\\0' x\n")
    (tmp_path / "sys").mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("REPORTGEN_SYSFS_ROOT", str(tmp_path / "sys"))
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as e:
        main(["collect", "--only", "hardware", "--timeout", "120", "-o", str(out)])
    assert e.value.code == 0
    res = load_results(out)
    flooded = [r for r in res.environment.raw_outputs if r.stdout_bytes is not None]
    assert flooded and all(r.id and r.id.startswith("nvidia-smi") for r in flooded)
    for r in flooded:
        assert (r.stdout_bytes, len(r.stdout), r.stderr_bytes, r.timed_out) == (FLOOD, MAX_CAPTURE_BYTES, None, False)
    assert out.stat().st_size < (len(flooded) + 1) * MAX_CAPTURE_BYTES  # was 572 MB
    notes = environment_view(res).notes
    assert sum("已截断" in n and f"共 {FLOOD} 字节" in n for n in notes) == len(flooded)


def test_endless_output_locally_is_cut_by_the_timeout() -> None:
    t0 = time.perf_counter()
    (r,) = LocalHost().run(["yes 'GPU 0: endless'"], timeout_s=2)
    assert r.timed_out and r.exit_code is None and time.perf_counter() - t0 < 15
    assert len(r.stdout) == MAX_CAPTURE_BYTES and r.stdout.startswith("GPU 0: endless\n")
    assert r.stdout_bytes is not None and r.stdout_bytes > MAX_CAPTURE_BYTES


def test_standard_input_reaches_a_command_that_reads_it_and_not_one_that_does_not() -> None:
    (echo, ignore) = LocalHost().run(["cat", "true"], timeout_s=10, stdin=b"x" * 300_000)
    assert echo.ok and len(echo.stdout) == 300_000
    assert ignore.ok  # 300 kB into a pipe nobody reads must not block the run


def test_server_log_tail_reads_only_the_end_of_a_huge_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with open(log, "wb") as f:
        f.write(b"A" * (5 * MAX_CAPTURE_BYTES))  # one endless line
        f.write(b"\nINFO ready\nERROR the end\n")
    tail = ServerProcess("true", log).log_tail(200)
    assert tail.endswith("INFO ready\nERROR the end\n") and len(tail) <= MAX_CAPTURE_BYTES
    assert ServerProcess("true", log).log_tail(0) == ""
