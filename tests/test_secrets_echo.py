"""Issue 20, secrets a server echoes back: redaction knows every secret value it was given or read,
in the forms a server echoes it in (as given, base64 as in a Basic header, URL-encoded), and masks
them in everything written or printed: the results file, the four documents, stdout, stderr and
the one error line. Each example of the issue is one test here; the servers are
``tests/hostile_server.py`` on 127.0.0.1.
"""

from __future__ import annotations

import base64
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hostile_server import HostileServer, chat_answer, response
from serving_helpers import free_port, make_tokenizer

from reportgen.cli import cli
from reportgen.redact import MASK, Redactor, redact, register_secret

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "datasets"
KEY = "sk-ECHOtest0000key1111"


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    r = CliRunner().invoke(cli, args, env=env)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def _documents(results: Path, tmp_path: Path) -> dict[str, str]:
    """The four documents of ``results`` as text (DOCX: every XML part; PDF: pdftotext)."""
    out = tmp_path / "docs"
    for fmt in ("md", "html", "docx", "pdf"):
        r = _invoke(["render", str(results), "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
    stem = results.stem
    with zipfile.ZipFile(out / f"{stem}.docx") as z:
        docx = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / f"{stem}.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    return {"md": (out / f"{stem}.md").read_text(encoding="utf-8"), "html": (out / f"{stem}.html").read_text(encoding="utf-8"),
            "docx": docx, "pdf": pdf.replace("\n", "")}


def _nowhere(secrets: list[str], results: Path, output: str, tmp_path: Path) -> None:
    texts = {"json": results.read_text(encoding="utf-8"), "output": output, **_documents(results, tmp_path)}
    for where, text in texts.items():
        for s in secrets:
            assert s not in text, (where, s)


# --------------------------------------------------------------------------- the forms of a secret


def test_every_echoed_form_of_a_known_secret_is_masked() -> None:
    r = Redactor(["p@ss:w0rd/x"])
    for form in ("p@ss:w0rd/x", "p%40ss%3Aw0rd%2Fx", base64.b64encode(b"p@ss:w0rd/x").decode()):
        assert r.text(f"the server said {form}.") == f"the server said {MASK}.", form
    # URL credentials: the pair a Basic header carries is learned with the password
    r = Redactor()
    r.text("http://bob:s3cr%40t99@10.0.0.5:8000")
    basic = base64.b64encode(b"bob:s3cr@t99").decode()
    assert r.text(f"echo: {basic} and s3cr@t99") == f"echo: {MASK} and {MASK}"


@pytest.mark.parametrize("text, masked", [
    ("Incorrect API key provided: sk-abcdefghijklmnopqrstuv12", "Incorrect API key provided: ***"),
    ("called with Bearer abc123DEF456ghi789", "called with Bearer ***"),
    ("got header Basic Ym9iOnMzY3JldDk5", "got header Basic ***"),
    ("curl -u alice:PWcurl999888 http://x", "curl -u alice:*** http://x"),
    ("curl --user=alice:PWcurl999888 http://x", "curl --user=alice:*** http://x"),
    ("docker exec -u 1000:1000 vllm true", "docker exec -u 1000:1000 vllm true"),  # a uid:gid stays
    ("hf_token=hf_abcdefghijklmnopqrstuvwxyz0123456789", "hf_token=***"),
    ("Bearer instruments and basic concepts", "Bearer instruments and basic concepts"),
])
def test_patterns_for_forms_servers_and_tools_print(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_a_registered_secret_is_masked_in_what_the_cli_prints() -> None:
    register_secret("registered-PLANT-3141")
    with HostileServer(routes={"GET /v1/models": lambda _r: response(500, "key registered-PLANT-3141 refused")}) as s:
        r = _invoke(["bench", "--base-url", s.url, "--model", "m"])
    assert r.exit_code == 2 and "registered-PLANT-3141" not in r.output and MASK in r.output


# --------------------------------------------------------------------------- the examples


def test_a_401_quoting_the_key_reaches_no_output(tmp_path: Path) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}. You can find your API key at …", "code": 401}}
    out = tmp_path / "r.json"
    with HostileServer(routes={"POST /v1/chat/completions": lambda _r: response(401, body)}) as s:
        r = _invoke(["eval", "--base-url", s.url, "--model", "m", "--data", str(DATA), "--tasks", "gsm8k", "--limit", "2",
                     "--concurrency", "1", "--api-key-env", "ECHO_KEY", "-o", str(out)], env={"ECHO_KEY": KEY})
        assert s.requests[-1].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert r.exit_code == 2 and "Incorrect API key provided: ***" in r.output
    _nowhere([KEY], out, r.output, tmp_path)


def test_a_model_answer_quoting_bearer_and_the_key_is_masked(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    answer = chat_answer(f"Send it with the header Authorization: Bearer {KEY}, or Bearer tok9ABCdef12345678 works.")
    with HostileServer(routes={"POST /v1/chat/completions": lambda _r: response(200, answer)}) as s:
        r = _invoke(["eval", "--base-url", s.url, "--model", "m", "--data", str(DATA), "--tasks", "gsm8k", "--limit", "2",
                     "--concurrency", "1", "--api-key-env", "ECHO_KEY", "-o", str(out)], env={"ECHO_KEY": KEY})
    assert r.exit_code == 0, r.output
    assert "Bearer ***, or Bearer *** works" in out.read_text(encoding="utf-8")
    _nowhere([KEY, "tok9ABCdef12345678"], out, r.output, tmp_path)


def test_a_server_echoing_basic_credentials_reaches_no_document(tmp_path: Path, tokdir: Path) -> None:
    user, password = "evaluator", "PWbasic-2718281828"
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()

    def refuse(req):  # type: ignore[no-untyped-def]
        return response(403, {"error": f"credentials {req.headers.get('authorization', '').split()[-1]} are not allowed here"})

    out = tmp_path / "r.json"
    with HostileServer(routes={"POST /v1/completions": refuse}) as s:
        url = f"http://{user}:{password}@127.0.0.1:{s.port}"
        r = _invoke(["bench", "--base-url", url, "--model", "m", "--tokenizer", str(tokdir), "--batch-sizes", "1",
                     "--input-len", "20", "--output-len", "3", "--rounds", "1", "--no-telemetry", "-o", str(out)])
        assert s.requests[-1].headers["authorization"] == f"Basic {basic}"  # sent as basic auth
    assert r.exit_code == 0, r.output
    assert f"credentials {MASK} are not allowed here" in out.read_text(encoding="utf-8")
    _nowhere([password, basic], out, r.output, tmp_path)


def test_import_masks_secrets_in_logs_and_the_command(tmp_path: Path) -> None:
    log = (REPO / "samples" / "seed" / "serving" / "a-fp16-bs1.log").read_text(encoding="utf-8")
    planted = log.replace(
        "backend='vllm', base_url=None",
        "backend='vllm', api_key='sk-IMPORTkey1234567', hf_token='hf_IMPORTtok98765', "
        "base_url='http://bob:PWurl5551234@10.0.0.1:8000'", 1)
    planted = "vllm bench serve --api-key sk-CLIkey7654321 --model x\nHF_TOKEN=hf_ENVtok1234567\n" + planted
    (tmp_path / "bench.log").write_text(planted, encoding="utf-8")
    out = tmp_path / "r.json"
    r = _invoke(["import", "vllm-log", str(tmp_path / "bench.log"), "-o", str(out),
                 "--command", "curl -u alice:PWcurl999888 http://127.0.0.1:8000/v1/completions"])
    assert r.exit_code == 0, r.output
    _nowhere(["sk-IMPORTkey1234567", "hf_IMPORTtok98765", "PWurl5551234", "sk-CLIkey7654321", "hf_ENVtok1234567",
              "PWcurl999888"], out, r.output, tmp_path)


def test_bench_error_line_hides_the_url_password() -> None:
    port = free_port()  # nothing listens: the line names the URL it could not reach
    r = _invoke(["bench", "--base-url", f"http://admin:PWline-1618033@127.0.0.1:{port}", "--model", "m"])
    assert r.exit_code == 2
    (line,) = r.output.strip().splitlines()
    assert line.startswith("reportgen: error: http://***@127.0.0.1:") and "PWline-1618033" not in line


def test_compare_masks_secrets_in_files_written_elsewhere(tmp_path: Path) -> None:
    """A results file another tool wrote may hold a secret: the comparison shows it masked."""
    from formats_sample import sample_results

    from reportgen.results import dump_results

    files = []
    for name in ("a", "b"):
        res = sample_results()
        res.variant("FP16").server.launch_command = "vllm serve m --api-key sk-COMPAREsecret0042 --port 8000"
        res.subject.card = f"card {name} (Bearer tok42COMPARE4242)"
        p = tmp_path / f"{name}.json"
        p.write_text(dump_results(res), encoding="utf-8")  # unredacted, as another tool might write it
        files.append(str(p))
    assert "sk-COMPAREsecret0042" in Path(files[0]).read_text(encoding="utf-8")
    r = _invoke(["compare", *files, "--format", "md", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    md = next((tmp_path / "out").glob("*.md")).read_text(encoding="utf-8")
    assert "card a" in md and "tok42COMPARE4242" not in md and "sk-COMPAREsecret0042" not in md
