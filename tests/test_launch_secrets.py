"""Launch secrets: a local container launch passes its environment through standard input (never
``docker exec -e K=V``, which ``ps`` shows), and every line of a server's log is redacted before
it is printed or stored: a launch failing with 「ValueError: token hf_… is not valid」 shows
the cause with ``***``, in the error line, the results file and the kept log."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from collectors.serving.server import ServerProcess, wait_ready
from reportgen.cli import main
from reportgen.errors import ServerError

TOKEN = "hf_QxV3mZp8TkLw2RbN9sYc"
FAILING = 'echo "loading with $HF_TOKEN"; echo "ValueError: token $HF_TOKEN is not valid"; exit 1'


def _fake_docker(tmp_path: Path) -> Path:
    """A ``docker`` that records its argv (one argument a line) and runs ``exec [-i] NAME CMD...``
    here, standard input attached: what the real one does inside the container."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_log = tmp_path / "docker-argv.log"
    (bin_dir / "docker").write_text(
        "#!/bin/sh\n"
        f'for a in "$@"; do printf "%s\\n" "$a"; done >> {argv_log}\n'
        '[ "$1" = exec ] || exit 1\nshift\n[ "$1" = -i ] && shift\nshift\nexec "$@"\n'
    )
    (bin_dir / "docker").chmod(0o755)
    return argv_log


def test_container_launch_takes_its_environment_through_standard_input(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    argv_log = _fake_docker(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    seen = tmp_path / "seen"
    proc = ServerProcess(f'printf "%s|%s" "$HF_TOKEN" "$ODD" > {seen}; sleep 30', tmp_path / "server.log",
                         env={"HF_TOKEN": TOKEN, "ODD": "a b'c\"$HOME;x"}, container="vllm-ctr")
    assert TOKEN not in " ".join(proc.argv) and "-e" not in proc.argv
    proc.start()
    try:
        for _ in range(100):
            if seen.exists() and seen.read_text():
                break
            time.sleep(0.05)
        assert seen.read_text() == f"{TOKEN}|a b'c\"$HOME;x"  # the values arrived, quoting intact
    finally:
        proc.stop(5)
    args = argv_log.read_text()
    assert TOKEN not in args and "a b'c" not in args  # no docker exec command line carried them
    assert args.splitlines()[:3] == ["exec", "-i", "vllm-ctr"]


def test_failed_launch_cause_is_redacted(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    proc = ServerProcess(FAILING, log, env={"HF_TOKEN": TOKEN})
    proc.start()
    with pytest.raises(ServerError) as e:
        wait_ready("http://127.0.0.1:9", 30, proc=proc, poll_s=0.05)
    assert "ValueError: token *** is not valid" in str(e.value) and TOKEN not in str(e.value)
    assert TOKEN not in proc.log_tail(200) and "loading with ***" in proc.log_tail(200)


def test_collect_with_a_failing_launch_prints_and_stores_no_token(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[server]\nbase_url = "http://127.0.0.1:9"\nstartup_timeout_s = 30\n'
        '[functional_check]\nenabled = false\n'
        "[[variants]]\nlabel = \"FP16\"\nlaunch_command = '''" + FAILING + "'''\n"
        f'[variants.env]\nHF_TOKEN = "{TOKEN}"\n'
    )
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as e:
        main(["collect", "--plan", str(plan), "--only", "serving", "-o", str(out)])
    assert e.value.code == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert err[-1].startswith("reportgen: error: FP16: the server exited with status 1") and "token ***" in err[-1]
    assert TOKEN not in captured.err + captured.out
    assert TOKEN not in out.read_text() and "ValueError: token *** is not valid" in out.read_text()
    logs = list((tmp_path / "r-logs").glob("*.log"))
    assert logs and all(TOKEN not in p.read_text() for p in logs)
