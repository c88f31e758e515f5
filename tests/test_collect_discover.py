"""`reportgen collect` without [[variants]] does the whole job where it can: it finds the server on the host
(the plan's ports, then 8000), runs the matrix, accuracy with --data, and says in one line what it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATASETS
from serving_helpers import Stub, free_port, make_tokenizer

from collectors.serving.discover import candidate_urls, discover_server
from reportgen.cli import cli
from reportgen.plan import parse_plan
from reportgen.results import load_results


def test_candidates_are_the_plans_ports_on_the_host_then_8000() -> None:
    assert candidate_urls(None) == ["http://127.0.0.1:8000"]
    plan = parse_plan('[server]\nbase_url = "http://127.0.0.1:9000"\n')
    # pure: builds the URLs only (no traffic leaves this machine in the tests)
    assert candidate_urls("10.110.165.160", plan) == ["http://10.110.165.160:9000", "http://10.110.165.160:8000"]
    assert candidate_urls("localhost", plan) == ["http://127.0.0.1:9000", "http://localhost:8000"]
    assert candidate_urls(None, plan, (8001, 8001)) == ["http://127.0.0.1:8001"]


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory):
    tok = make_tokenizer(tmp_path_factory.mktemp("tok"))
    s = Stub(tok)
    s.tokenizer = tok  # type: ignore[attr-defined]
    yield s
    s.stop()


def test_discover_takes_the_first_that_serves(stub: Stub) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    found = discover_server([closed, stub.base_url])
    assert (found.base_url, found.models) == (stub.base_url, ["stub-model"])
    assert found.tried == [(closed, "ConnectError")]
    assert discover_server([closed]).why_not() == f"{closed}: ConnectError"


def test_plan_without_variants_measures_the_found_server_with_accuracy(stub: Stub, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
[serving]
batch_sizes = [1, 2]
input_len = 40
output_len = 4
rounds = 1
[functional_check]
enabled = false
[accuracy]
tasks = ["gsm8k"]
limit = 2
concurrency = 2
""", encoding="utf-8")
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--data", str(DATASETS), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert f"serving: found {stub.base_url} serving stub-model" in r.stderr
    skipped = [line for line in r.stderr.splitlines() if line.startswith("collect: skipped")]
    assert skipped == ["collect: skipped embedding (no [[embedding]] in a plan)"]
    res = load_results(out)
    assert res.environment.facts["cpu.model"].present  # the hardware stage ran too
    (v,) = res.variants
    assert v.label == "default" and v.served_model_name == "stub-model" and v.server.base_url == stub.base_url
    assert [c.batch_size for c in v.serving] == [1, 2] and all(q.ok for c in v.serving for q in c.requests)
    (acc,) = v.accuracy
    assert acc.benchmark == "gsm8k" and acc.n == 2  # asked; the stub's answers are not numbers


def test_no_plan_no_server_collects_hardware_and_says_why(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["collect", "--server-port", str(port), "-o", str(out)])
    assert r.exit_code == 0, r.output
    skipped = [line for line in r.stderr.splitlines() if line.startswith("collect: skipped")]
    assert skipped == [f"collect: skipped serving and accuracy (no OpenAI-compatible server answered: "
                       f"http://127.0.0.1:{port}: ConnectError); embedding (no [[embedding]] in a plan)"]
    res = load_results(out)
    assert res.variants == [] and res.environment.facts["cpu.model"].present


def _section2(md: str) -> str:
    return md.split("\n## 2. 环境部署", 1)[1].split("\n## 3.", 1)[0]


def test_a_live_run_records_its_deployment(tmp_path: Path) -> None:
    """A launched server: section 2 shows the launch command, the start-up and the software found."""
    import json
    import sys

    tok = make_tokenizer(tmp_path / "tok")
    port = free_port()
    stub = Path(__file__).parent / "serving_stub.py"
    cmd = f"exec {sys.executable} {stub} --port {port} --model tiny --tokenizer {tok}"
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "http://127.0.0.1:{port}"
startup_timeout_s = 60
[serving]
batch_sizes = [1]
input_len = 40
output_len = 4
rounds = 1
[[variants]]
label = "FP16"
model_path = "/models/tiny"
tokenizer = {json.dumps(str(tok))}
launch_command = {json.dumps(cmd)}
""", encoding="utf-8")
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "-o", str(out)])
    assert r.exit_code == 0, r.output
    res = load_results(out)
    assert [s.title for s in res.deployment] == ["驱动与软件版本", "启动推理服务（FP16）"]
    software, launch = res.deployment
    assert "vLLM：" in (software.output or "") and "Python：" in (software.output or "")
    assert launch.commands == [cmd] and launch.origin == "measured"
    assert "秒服务就绪" in (launch.description or "") and "服务模型名 tiny" in (launch.description or "")
    assert res.variant("FP16").served_model_name == "tiny"  # model_path differed: the one served model

    # a second run replaces its own steps instead of adding more
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "hardware", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert [s.title for s in load_results(out).deployment] == ["驱动与软件版本", "启动推理服务（FP16）"]

    r = CliRunner().invoke(cli, ["render", str(out), "--format", "md", "-o", str(tmp_path / "doc")])
    assert r.exit_code == 0, r.output
    sec2 = _section2((tmp_path / "doc" / "r.md").read_text(encoding="utf-8"))
    assert "结果文件中没有部署记录" not in sec2 and "启动推理服务（FP16）" in sec2 and cmd in sec2


def test_accuracy_alone_uses_the_one_served_model(stub: Stub, tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
[accuracy]
tasks = ["gsm8k"]
limit = 1
[[variants]]
label = "FP16"
model_path = "/models/stub-model"
""", encoding="utf-8")
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "accuracy", "--data", str(DATASETS), "-o", str(out)])
    assert r.exit_code == 0, r.output
    v = load_results(out).variant("FP16")
    assert v.served_model_name == "stub-model" and [(a.benchmark, a.n) for a in v.accuracy] == [("gsm8k", 1)]
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--only", "accuracy", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "the accuracy stage needs --data DIR" in r.output


def test_limit_and_tokenizer_options_reach_the_run(stub: Stub, tmp_path: Path) -> None:
    """collect --limit N asks N questions per benchmark; --tokenizer DIR makes the prompts with a local
    tokenizer (the message a server without /tokenize gives names this option)."""
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""
[server]
base_url = "{stub.base_url}"
[serving]
batch_sizes = [1]
input_len = 40
output_len = 4
rounds = 1
[functional_check]
enabled = false
[accuracy]
tasks = ["gsm8k"]
concurrency = 2
""", encoding="utf-8")
    out = tmp_path / "r.json"
    tok = stub.tokenizer  # type: ignore[attr-defined]
    r = CliRunner().invoke(cli, ["collect", "--plan", str(plan), "--data", str(DATASETS), "--limit", "3",
                                 "--tokenizer", str(tok), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "no --limit" not in r.stderr  # a limited run is not warned about
    (v,) = load_results(out).variants
    assert [(a.benchmark, a.n) for a in v.accuracy] == [("gsm8k", 3)]
    assert v.serving[0].prompt_source == f"tokenizer:{Path(tok).resolve()}"
    helptext = CliRunner().invoke(cli, ["collect", "--help"]).output
    assert "--limit" in helptext and "--tokenizer" in helptext


def test_an_unlimited_accuracy_run_says_how_many_questions_it_asks() -> None:
    from reportgen.commands.collect import accuracy_size_line

    plan = parse_plan(f'[accuracy]\nenabled = true\ndata_dir = "{DATASETS}"\ntasks = ["gsm8k", "ceval"]\n'
                      '[[variants]]\nlabel = "FP16"\n[[variants]]\nlabel = "INT4"\n')
    line = accuracy_size_line(plan)
    assert line.startswith("accuracy: no --limit: every question of gsm8k, ceval is asked (gsm8k 1319, ceval 1346: "
                           "2665 per variant, 5330 in all)")
    assert "--limit N" in line
