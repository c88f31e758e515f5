"""A server that fails to start is reported by the root cause in its log (the first exception line),
with the log's path; a server that serves exactly one model under another name is used."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import FIXTURES

from collectors.serving.server import ServerProcess, failure_line, wait_ready
from collectors.serving.stage import resolve_model
from reportgen.errors import ServerError

VLLM_LOG = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-serve-kvcache-too-large.log"


def test_first_exception_line_not_the_wrapper() -> None:
    """A real vLLM log: a warning quoting `OSError: …` first, the root cause in the middle, a wrapper
    ("See root cause above") and a resource-tracker warning at the end."""
    log = VLLM_LOG.read_text(encoding="utf-8")
    assert "warnings.warn(" in log.strip().splitlines()[-1]  # what the old message showed
    assert failure_line(log) == (
        "ValueError: Available memory on node 0 (12.26/14.34 GiB) on kv cache allocation is less than requested "
        "memory for kv (900.0 GiB). Decrease --kv-cache-memory-bytes, VLLM_CPU_KVCACHE_SPACE, or reduce CPU "
        "memory used by other processes.")


@pytest.mark.parametrize(("log", "expected"), [
    ("INFO starting\nERROR could not bind\nINFO bye\n", "ERROR could not bind"),
    ("(APIServer pid=1) WARNING 11-27 15:13:08 [a.py:2] may give `OSError: [Errno 24]`\n"
     "(APIServer pid=1) ERROR 11-27 15:13:09 [b.py:3] port in use\nbye\n",
     "(APIServer pid=1) ERROR 11-27 15:13:09 [b.py:3] port in use"),
    ("INFO a\nsomething odd at the end\n", "something odd at the end"),
    ("Traceback (most recent call last):\n  File \"x\", line 1\ntorch.OutOfMemoryError: CUDA out of memory\n"
     "RuntimeError: wrapper\n", "torch.OutOfMemoryError: CUDA out of memory"),
    ("", None),
])
def test_failure_line_fallbacks(log: str, expected: str | None) -> None:
    assert failure_line(log) == expected


def test_wait_ready_names_root_cause_and_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server-FP16.log"
    proc = ServerProcess(f"cat {shlex.quote(str(VLLM_LOG))}; exit 1", log)
    proc.start()
    with pytest.raises(ServerError) as e:
        wait_ready("http://127.0.0.1:9", 30, proc=proc, poll_s=0.05)
    msg = str(e.value)
    assert msg.startswith("the server exited with status 1 before answering /health: ValueError: ")
    assert "See root cause above" not in msg and msg.endswith(f"(log: {log})")


@pytest.mark.parametrize(("model", "served", "explicit", "expected"), [
    ("/models/tiny-qwen2", ["tiny-qwen2"], False, "tiny-qwen2"),  # vLLM --served-model-name
    ("tiny", ["tiny"], True, "tiny"),
    ("x", [], False, "x"),  # a server that lists nothing: keep the plan's name
])
def test_resolve_model(model: str, served: list[str], explicit: bool, expected: str) -> None:
    assert resolve_model(model, served, explicit=explicit) == expected


def test_resolve_model_asks_only_when_it_cannot_choose() -> None:
    with pytest.raises(ServerError, match=r"serves 'a', 'b', not '/m/a': set served_model_name in the plan's variant"):
        resolve_model("/m/a", ["a", "b"])
    with pytest.raises(ServerError, match=r"serves 'a', not 'b': fix served_model_name"):
        resolve_model("b", ["a"], explicit=True)  # the plan named it precisely: no guessing


def test_plan_with_a_model_path_uses_the_one_served_model(tmp_path: Path) -> None:
    from serving_helpers import Stub, make_tokenizer

    from collectors.serving.stage import run_serving_stage
    from reportgen.plan import parse_plan
    from reportgen.results import ResultsStore, load_results

    tok = make_tokenizer(tmp_path / "tok")
    stub = Stub(tok, model="tiny")
    try:
        plan = parse_plan(f"""
[server]
base_url = "{stub.base_url}"
[serving]
batch_sizes = [1]
input_len = 40
output_len = 4
rounds = 1
[[variants]]
label = "FP16"
model_path = "/models/tiny"
tokenizer = {str(tok)!r}
""")
        store = ResultsStore.open(tmp_path / "r.json")
        run_serving_stage(plan, store)
    finally:
        stub.stop()
    v = load_results(tmp_path / "r.json").variant("FP16")
    assert v.model_path == "/models/tiny" and v.served_model_name == "tiny" and v.server.error is None
    assert v.functional_check is not None and v.functional_check.request["model"] == "tiny"
    assert v.functional_check.error is None and [r.ok for r in v.serving[0].requests] == [True, True]


def test_a_failed_remote_start_leaves_nothing_on_the_host() -> None:
    """The environment cannot be written (disk full): the start fails in one line and the private
    folder, which may already hold part of the environment, is removed."""
    from collectors.execution import ReplayHost
    from collectors.serving.server import HostServer
    from reportgen.errors import ServerError

    folder = "/tmp/reportgen-server-FP16-Ab3dEf"

    def answer(command: str) -> tuple[int, str] | None:
        if command.startswith("mktemp -d /tmp/reportgen-server-FP16-"):
            return 0, folder + "\n"
        if command.startswith("umask 077; cat > "):
            return 1, "cat: write error: No space left on device"
        if command == f"rm -rf -- {folder}":
            return 0, ""
        return None

    host = ReplayHost(fallback=answer)
    server = HostServer(host, "vllm serve m", label="FP16", env={"HF_TOKEN": "hf_x"})
    with pytest.raises(ServerError, match="cannot write the server's environment on replay: cat: write error"):
        server.start()
    assert host.seen[-1] == f"rm -rf -- {folder}" and server.dir is None
    assert not any("hf_x" in c for c in host.seen)
