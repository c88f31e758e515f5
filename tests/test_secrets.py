"""Secrets planted through every entry point reach neither the results file, the kept server
log, nor any of the four document formats (md, html, docx, pdf).

Entry points: a plan's launch command (``--api-key``), a plan's environment (``HF_TOKEN``, echoed
by the server into its log, in plain words), ``--base-url`` user-info (``bench``), a client command
line given to ``import`` (``--command "… --api-key …"``), and argv lists with a separate
``--api-key VALUE``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, free_port, make_tokenizer

from reportgen.cli import cli
from reportgen.redact import MASK, Redactor, is_secret_name, redact
from reportgen.results import Invocation, Results, load_results, save_results, utc_now

REPO = Path(__file__).resolve().parent.parent
STUB = Path(__file__).resolve().parent / "serving_stub.py"

LAUNCH_KEY = "sk-PLANTlaunch0001"
ENV_TOKEN = "hf_PLANTenv0002xyz"
URL_PASS = "PLANTurlpass0003"
IMPORT_KEY = "sk-PLANTimport0004"
SECRETS = (LAUNCH_KEY, ENV_TOKEN, URL_PASS, IMPORT_KEY)


def test_patterns_and_names() -> None:
    assert redact("vllm serve m --api-key sk-1 --port 1") == "vllm serve m --api-key *** --port 1"
    assert redact("--token=abc --tokenizer /m --max-tokens 5") == "--token=*** --tokenizer /m --max-tokens 5"
    assert redact("HF_TOKEN=hf_x OPENAI_API_KEY='k' DB_PASSWORD: p MAX_NUM_BATCHED_TOKENS=8192") == (
        "HF_TOKEN=*** OPENAI_API_KEY='***' DB_PASSWORD: *** MAX_NUM_BATCHED_TOKENS=8192"
    )
    assert redact("curl http://u:p@h:8000/v1 -H 'Authorization: Bearer sk-9'") == (
        "curl http://***@h:8000/v1 -H 'Authorization: Bearer ***'"
    )
    assert redact("max_num_batched_tokens=8192 api_key=None") == "max_num_batched_tokens=8192 api_key=None"
    assert [is_secret_name(n) for n in ("HF_TOKEN", "OPENAI_API_KEY", "MY_SECRET_X", "api_key", "max_tokens", "PATH")] == [
        True, True, True, True, False, False,
    ]
    r = Redactor()
    assert r.argv(["reportgen", "x", "--api-key", "sk-abcdef", "--token", "None", "--model", "m"]) == [
        "reportgen", "x", "--api-key", MASK, "--token", "None", "--model", "m",
    ]
    assert r.found == [("[3]", "api_key")]
    # a value once seen is masked wherever it appears later, even in plain words
    assert r.text("the key sk-abcdef was used") == "the key *** was used"


def test_results_redacted_on_save_and_recorded(tmp_path: Path) -> None:
    res = Results()
    res.add_secret("registered-secret-value")
    v = res.variant("FP16")
    v.server.launch_command = "vllm serve m --api-key sk-abcdef"
    v.server.log_tail = "starting with sk-abcdef\nusing registered-secret-value\n"
    v.server.args = {"api_key": "sk-abcdef", "port": 8000}
    res.invocations.append(Invocation(argv=["reportgen", "bench", "--api-key", "sk-zzzzzz"], started_at=utc_now()))
    out = save_results(res, tmp_path / "r.json")
    text = out.read_text()
    assert "sk-abcdef" not in text and "registered-secret-value" not in text and "sk-zzzzzz" not in text
    got = {(r.where, r.kind) for r in load_results(out).redactions}
    assert got == {
        ("variants[FP16].server.launch_command", "api_key"),
        ("variants[FP16].server.log_tail", "secret_value"),
        ("variants[FP16].server.args.api_key", "api_key"),
        ("invocations[0].argv[3]", "api_key"),
    }
    save_results(load_results(out), out)  # saving again adds nothing twice
    assert len(load_results(out).redactions) == 4


@pytest.mark.slow
def test_secrets_planted_everywhere_reach_no_output(tmp_path: Path) -> None:
    tokdir = make_tokenizer(tmp_path / "tok")
    out = tmp_path / "r.json"
    port = free_port()
    # the server echoes its environment's token into its log, in plain words
    launch = (f'echo "authenticating with $HF_TOKEN"; exec {sys.executable} {STUB} --port {port} '
              f"--model tiny --tokenizer {tokdir} --api-key {LAUNCH_KEY}")
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 60
[serving]
batch_sizes = [1]
input_len = 20
output_len = 3
rounds = 1
[[variants]]
label = "FP16"
served_model_name = "tiny"
launch_command = {json.dumps(launch)}
env = {{ HF_TOKEN = "{ENV_TOKEN}" }}
""")
    r = CliRunner().invoke(cli, ["collect", "--only", "serving", "--plan", str(plan), "-o", str(out)])
    assert r.exit_code == 0, r.output
    logs = list((tmp_path / "r-logs").glob("*.log"))
    assert logs and "authenticating with ***" in logs[0].read_text()

    stub = Stub(tokdir)
    try:
        url = f"http://reportgen:{URL_PASS}@127.0.0.1:{stub.port}"
        r = CliRunner().invoke(cli, ["bench", "--base-url", url, "--model", "stub-model", "--tokenizer", str(tokdir),
                                     "--precision", "INT4", "--batch-sizes", "1", "--input-len", "20",
                                     "--output-len", "3", "--rounds", "1", "-o", str(out)])
        assert r.exit_code == 0, r.output
    finally:
        stub.stop()
    log = REPO / "samples" / "seed" / "serving" / "a-fp16-bs1.log"
    r = CliRunner().invoke(cli, ["import", "vllm-log", str(log), "--precision", "W8", "-o", str(out),
                                 "--command", f"vllm bench serve --api-key {IMPORT_KEY} --base-url {url}"])
    assert r.exit_code == 0, r.output

    text = out.read_text()
    for s in SECRETS:
        assert s not in text, s
    res = load_results(out)
    fp16 = res.variant("FP16")
    assert fp16.server.launch_command and f"--api-key {MASK}" in fp16.server.launch_command
    assert fp16.server.log_tail and "authenticating with ***" in fp16.server.log_tail
    assert res.variant("INT4").server.base_url == f"http://***@127.0.0.1:{stub.port}"
    assert res.variant("INT4").serving[0].metrics.completed == 1  # the credentials were sent as auth, no crash
    kinds = {(x.where.split(".")[0], x.kind) for x in res.redactions}
    assert {("variants[FP16]", "api_key"), ("variants[FP16]", "secret_value"), ("variants[INT4]", "url_userinfo")} <= kinds

    docs = tmp_path / "docs"
    for fmt in ("md", "html", "docx", "pdf"):
        r = CliRunner().invoke(cli, ["render", str(out), "--format", fmt, "-o", str(docs)])
        assert r.exit_code == 0, r.output
    texts = {
        "md": (docs / "r.md").read_text(),
        "html": (docs / "r.html").read_text(),
        "docx": "".join(zipfile.ZipFile(docs / "r.docx").read(n).decode("utf-8", "replace")
                        for n in zipfile.ZipFile(docs / "r.docx").namelist() if n.endswith(".xml")),
        "pdf": subprocess.run(["pdftotext", "-enc", "UTF-8", str(docs / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout,
    }
    for fmt, doc in texts.items():
        assert "--api-key" in doc.replace("‑", "-") or fmt == "pdf", fmt  # the commands are shown, masked
        for s in SECRETS:
            assert s not in doc, (fmt, s)
