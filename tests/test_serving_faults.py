"""Every server answer is data: malformed model lists, chunks and dying servers end as a recorded
request error or one ``reportgen: error:`` line (with ``server.error`` kept), never a traceback;
the other variants still run and ``collect`` exits non-zero."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, free_port, make_tokenizer

from collectors.serving.prompts import LocalTokenizer
from collectors.serving.runner import CellPlan
from reportgen.cli import cli
from reportgen.results import load_results

STUB = Path(__file__).resolve().parent / "serving_stub.py"


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _bench(base_url: str, tokdir: Path, out: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["bench", "--base-url", base_url, "--model", "stub-model", "--tokenizer", str(tokdir),
                                 "--batch-sizes", "1", "--input-len", "20", "--output-len", "3", "--rounds", "1",
                                 "-o", str(out), *extra])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.output


@pytest.mark.parametrize("answer", ['{"data":5}', "[1, 2]", '{"data":[{"id":5}]}', "not json", '{"data":[' * 5000])
def test_malformed_model_list_is_one_line(tokdir: Path, tmp_path: Path, answer: str) -> None:
    stub = Stub(extra=["--models-answer", answer])
    try:
        code, out = _bench(stub.base_url, tokdir, tmp_path / "r.json")
    finally:
        stub.stop()
    lines = out.strip().splitlines()
    assert code == 2 and len(lines) == 1, out
    assert lines[0].startswith(f"reportgen: error: {stub.base_url}/v1/models: answered something other than a model list: ")
    assert not (tmp_path / "r.json").exists()  # failed before any file was written


def test_zero_and_negative_timeouts_are_refused_by_click(tmp_path: Path) -> None:
    for opt, val in (("--request-timeout", "0"), ("--stall-timeout", "-1")):
        r = CliRunner().invoke(cli, ["bench", "--base-url", "http://127.0.0.1:9", "--model", "m", opt, val])
        assert r.exit_code == 2
        assert r.output.strip().splitlines() == [
            f"reportgen: error: Invalid value for '{opt}': {val!r} is not a finite number > 0 and <= 604800"]
    plan = tmp_path / "p.toml"
    plan.write_text("[serving]\nrequest_timeout_s = 0\n")
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "serving", "-o", str(tmp_path / "r.json")])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "request_timeout_s" in r.output


def test_chat_with_a_tokenizer_without_template_is_one_line(tokdir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    plain = tmp_path / "plain"
    t = AutoTokenizer.from_pretrained(str(tokdir), local_files_only=True)
    t.chat_template = None
    t.save_pretrained(str(plain))
    assert not getattr(LocalTokenizer(plain)._tok, "chat_template", None)
    stub = Stub(tokdir)
    try:
        code, out = _bench(stub.base_url, plain, tmp_path / "r.json", "--endpoint", "chat")
    finally:
        stub.stop()
    assert code == 2 and out.strip().splitlines()[-1] == (
        f"reportgen: error: the tokenizer in {plain} has no chat template: use --endpoint completions "
        "(or a tokenizer with a chat template)"
    )


def test_chat_chunk_of_another_shape_is_a_recorded_error(tokdir: Path) -> None:
    import asyncio

    from collectors.serving.client import RequestParams, make_client
    from collectors.serving.prompts import PromptFactory
    from collectors.serving.runner import run_cell

    stub = Stub(tokdir)
    try:
        plan = CellPlan(batch_size=2, input_len=80, output_len=6, rounds=2, warmup_requests=0, endpoint="chat")
        p = RequestParams(model="stub-model", max_tokens=6, request_timeout_s=10, stall_timeout_s=5,
                          extra_body={"stub_fault": "badchoice:2", "stub_ttft": 0.0, "stub_tpot": 0.002})

        async def go():  # type: ignore[no-untyped-def]
            async with make_client(stub.base_url, 3) as c:
                return await run_cell(c, PromptFactory(LocalTokenizer(tokdir), 1, chat=True), plan, p, key="k")

        cell = asyncio.run(go())
        ok = asyncio.run(_one_ok(stub.base_url, tokdir, dataclasses.replace(p, extra_body={})))
    finally:
        stub.stop()
    assert len(cell.requests) == 4  # every request finished and was kept
    assert all((r.error or "").startswith("malformed chunk: 'choices' is not a list of objects") for r in cell.requests)
    assert cell.metrics is not None and cell.metrics.failed == 4
    assert ok.ok  # the same stub without the fault answers fine


async def _one_ok(base_url: str, tokdir: Path, p):  # type: ignore[no-untyped-def]
    from collectors.serving.client import make_client, stream_chat
    from collectors.serving.prompts import PromptFactory

    s = PromptFactory(LocalTokenizer(tokdir), 2, chat=True).make("x", 80)
    async with make_client(base_url, 1) as c:
        return await stream_chat(c, s, p, t0=0.0, index=0)


def _plan(tmp_path: Path, tokdir: Path, variants: str, **serving: object) -> Path:
    s = {"batch_sizes": [1], "input_len": 20, "output_len": 3, "rounds": 1, "warmup_requests": 0, **serving}
    body = "\n".join(f"{k} = {json.dumps(v)}" for k, v in s.items())
    p = tmp_path / "plan.toml"
    p.write_text(f"[server]\nstartup_timeout_s = 30\n[functional_check]\nenabled = false\n[serving]\n{body}\n{variants}")
    return p


def test_collect_records_a_bad_server_runs_the_other_variant_and_exits_non_zero(tokdir: Path, tmp_path: Path) -> None:
    bad = Stub(extra=["--models-answer", '{"data":5}'])
    good = Stub(tokdir)
    try:
        plan = _plan(tmp_path, tokdir, f"""
[[variants]]
label = "A"
base_url = "{bad.base_url}"
served_model_name = "stub-model"
tokenizer = "{tokdir}"
[[variants]]
label = "B"
base_url = "{good.base_url}"
served_model_name = "stub-model"
tokenizer = "{tokdir}"
""")
        out = tmp_path / "r.json"
        r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "serving", "-o", str(out)])
    finally:
        bad.stop()
        good.stop()
    assert r.exit_code == 2, r.output
    err = [ln for ln in r.output.splitlines() if ln.startswith("reportgen: error:")]
    assert len(err) == 1 and "A: " in err[0] and "answered something other than a model list" in err[0]
    assert "Traceback" not in r.output
    res = load_results(out)
    assert "answered something other than a model list" in (res.variant("A").server.error or "")
    assert res.variant("A").serving == []
    b = res.variant("B")
    assert b.server.error is None and b.serving and b.serving[0].metrics.completed == 1


def test_collect_exits_non_zero_when_its_server_died_mid_matrix(tokdir: Path, tmp_path: Path) -> None:
    port = free_port()
    launch = f"exec {sys.executable} {STUB} --port {port} --model tiny --tokenizer {tokdir} --die-after 1"
    plan = _plan(tmp_path, tokdir, f"""
[[variants]]
label = "FP16"
base_url = "http://127.0.0.1:{port}"
served_model_name = "tiny"
tokenizer = "{tokdir}"
launch_command = {json.dumps(launch)}
""", batch_sizes=[1, 2])
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "serving", "-o", str(out)])
    assert r.exit_code == 2, r.output
    err = [ln for ln in r.output.splitlines() if ln.startswith("reportgen: error:")]
    assert len(err) == 1 and "FP16: the server exited with status 3 during the measurements" in err[0]
    v = load_results(out).variant("FP16")
    assert v.server.error and "exited with status 3" in v.server.error and v.server.exit_code == 3
    assert [c.batch_size for c in v.serving] == [1, 2]
    assert v.serving[0].metrics.completed == 1 and v.serving[1].metrics.failed == 2  # the failures are data
