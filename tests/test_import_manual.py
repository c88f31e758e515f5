"""manual: the seed's hand-recorded parts, and every rejection naming the TOML key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import InputFormatError
from reportgen.importers.manual import apply_manual, parse_completion_response, parse_curl, parse_manual
from reportgen.results import Results

MANUAL = Path(__file__).resolve().parent.parent / "samples" / "seed" / "manual.toml"


@pytest.fixture(scope="module")
def seed() -> Results:
    results = Results()
    apply_manual(results, parse_manual(MANUAL.read_text(encoding="utf-8"), "manual.toml"))
    return results


def test_environment(seed: Results) -> None:
    env = seed.environment
    assert env.host == "10.110.165.160"
    facts = env.facts
    assert facts["cpu.model"].value == "Intel(R) Xeon(R) Gold 5218 CPU @ 2.30GHz"
    assert facts["memory.total_bytes"].value == 125 * 2**30 and facts["memory.total_bytes"].unit == "B"
    assert facts["accelerator.tdp_w"].value == 350 and facts["accelerator.max_temperature_c"].value == 95
    assert facts["accelerator.memory_bandwidth"].reason == "not_collected" and not facts["accelerator.memory_bandwidth"].present
    assert facts["os.name"].value == "Ubuntu 22.04.4 LTS"
    assert all(f.origin == "imported" for f in facts.values())
    assert [a.pci_address for a in env.accelerators] == ["3f:00.0", "42:00.0"]
    assert seed.subject.card == "Iluvatar BI-V150" and seed.subject.model == "Qwen2-7B-Instruct"


def test_deployment_steps(seed: Results) -> None:
    steps = {s.title: s for s in seed.deployment}
    assert len(steps) == 14 and all(s.origin == "imported" for s in steps.values())
    hw = steps["硬件检查"]
    assert hw.commands == ["lspci | grep 1e3e", "lspci -s b3:00 -vvv"]
    assert "LnkSta: Speed 16GT/s (ok), Width x16 (ok)" in hw.output
    docker = steps["驱动+软件栈安装--docker方式：安装docker（系统已安装docker，可跳过该步骤）"]
    assert "docker -v" in docker.commands and "Docker version 24.0.7" in docker.output
    assert "Active: active (running)" in docker.output
    assert 'sudo add-apt-repository "deb [arch=amd64] http://mirrors.aliyun.com/docker-ce/linux/ubuntu $(lsb_release -cs) stable"' in docker.commands
    assert "Driver: Installed" in steps["驱动+软件栈安装--docker方式：生成 Docker 镜像"].output
    assert "Toolkit:     Installed at location '/usr/local/corex-4.1.0/'" in steps["驱动+软件栈安装--宿主机方式：安装Driver+Toolkit"].output
    assert "| 1 Iluvatar BI-V150 | 00000000:42:00.0 |" in steps["资源监控：ixsmi"].output
    assert steps["资源监控：ixsmi dmon"].output.count("1600 1500") == 10
    assert "- vLLM 推理框架 v0.3.3" in steps["安装深度学习框架和推理框架--宿主机方式"].description
    assert "docker start BI150_test" in steps["驱动+软件栈安装--docker方式：启动容器"].commands


def test_functional_checks(seed: Results) -> None:
    fp16 = seed.variant("FP16")
    assert fp16.server.launch_command.splitlines()[4] == "python3 -m vllm.entrypoints.openai.api_server \\"
    assert "--enforce-eager" in fp16.server.launch_command
    fc = fp16.functional_check
    assert fc.origin == "imported" and fc.endpoint == "/v1/completions"
    assert fc.request == {"model": "/home/r740/lsc/models/Qwen2-7B-Instruct/", "prompt": "如何制作月饼", "max_tokens": 256, "temperature": 0.01}
    assert fc.response_text.startswith("皮和馅料? \n制作月饼皮和馅料需要以下材料和步骤")
    assert "将糖浆、猪油和水混合均匀" in fc.response_text  # PDF wrap joined
    assert fc.response_text.endswith("- 熟")
    assert (fc.finish_reason, fc.prompt_tokens, fc.completion_tokens) == ("length", 3, None)
    assert fc.raw_response.endswith('"usage":{"prompt_tokens":3,"total_tokens":259,"compl')
    gptq = seed.variant("GPTQ-Int4").functional_check
    assert gptq.request["model"] == "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/"
    assert gptq.response_text.endswith("3. 烤箱的温度和时间可以根据实际情况调整")
    assert (gptq.finish_reason, gptq.prompt_tokens, gptq.completion_tokens) == (None, None, None)
    assert any(n.startswith("GPTQ-Int4 功能测试") and "finish_reason" in n for n in seed.notes)
    assert seed.variant("GPTQ-Int4").quantization == "gptq" and seed.variant("AWQ-Int4").precision == "int4"


def test_embedding_and_reranker_runs(seed: Results) -> None:
    runs = {(r.model, r.mode): r for r in seed.embeddings}
    flag = runs[("bge-large-zh-v1.5", "FlagEmbedding")]
    assert flag.kind == "embedding" and flag.precision == "fp16" and flag.origin == "imported"
    assert flag.matrices[0].values == [[0.855, 0.8516], [0.874, 0.8555]]
    assert flag.matrices[0].rows == ["样例数据-1", "样例数据-2"]
    assert "print(similarity)" in flag.script and flag.command == "python3 bge-large-zh-1.5_flagembedding.py"
    st = runs[("bge-large-zh-v1.5", "sentence_transformers")]
    assert st.matrices[0].values == [[0.3372504, 0.20507807], [0.22591081, 0.38495794]]
    rr = runs[("bge-reranker-v2-m3", "FlagEmbedding")]
    assert [(p.a, p.score, p.normalized) for p in rr.pairs] == [
        ("query", -5.65234375, 0.003497010252573502),
        ("what is panda?", -8.171875, 0.00027803096387751553),
        ("what is panda?", 5.26171875, 0.9948403768236574),
    ]
    assert rr.pairs[2].b.startswith("The giant panda")
    tr = runs[("bge-reranker-v2-m3", "transformers")]
    assert [p.score for p in tr.pairs] == [-8.1838, 5.265] and tr.pairs[0].normalized is None
    assert tr.output.endswith("tensor([-8.1838,  5.2650])")


def test_curl_and_response_parsers() -> None:
    endpoint, body = parse_curl("curl http://h:8080/v1/chat/completions \\\n> -d '{\n> \"a\": 1\n> }'")
    assert (endpoint, body) == ("/v1/chat/completions", {"a": 1})
    full = '{"choices":[{"text":"hi","finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}'
    assert parse_completion_response(full) == (
        {"response_text": "hi", "finish_reason": "stop", "prompt_tokens": 3, "completion_tokens": 1},
        True,
    )
    chat = '{"choices":[{"message":{"content":"yo"},"finish_reason":"length"}],"usage":{"prompt_tokens":2,"completion_tokens":9}}'
    assert parse_completion_response(chat)[0]["response_text"] == "yo"
    fields, complete = parse_completion_response('{"choices":[{"text":"a\\nb","finish_reason":"length"}],"usage":{"prompt_tokens":3,"compl')
    assert not complete and fields == {"response_text": "a\nb", "finish_reason": "length", "prompt_tokens": 3}


def _err(text: str) -> str:
    with pytest.raises(InputFormatError) as e:
        parse_manual(text, "m.toml")
    return str(e.value)


def test_rejections() -> None:
    assert _err("a = [1,\n") .startswith("m.toml: invalid TOML: ")
    assert "line 2" in _err("title = 'x'\nfoo = = 1\n")
    assert _err("bogus = 1\n") == "m.toml:1: key bogus: unknown top-level key (allowed: deployment, embeddings, environment, notes, subject, title, variants)"
    assert _err("[subject]\ncard = 'x'\ncolour = 'red'\n") == "m.toml:3: key subject.colour: Extra inputs are not permitted"
    msg = _err("[environment.facts]\n'cpu.model' = { value = 'x', reason = 'failed' }\n")
    assert msg.startswith("m.toml: key environment.facts.cpu.model: ") and "exactly one of 'value' and 'reason'" in msg
    assert _err("[environment.facts]\n'os.name' = { reason = 'lost' }\n").startswith("m.toml: key environment.facts.os.name.reason: Input should be")
    assert _err("[[variants]]\nmodel = 'x'\n") == "m.toml: key variants[0].label: missing: every variant needs a label (FP16, GPTQ-Int4, ...)"
    assert _err("[[variants]]\nlabel = 'FP16'\n[variants.functional_check]\ncommand = \"curl http://h/v1/completions -d '{bad'\"\n") == (
        "m.toml:4: key variants[0].functional_check.command: its -d body is not a JSON object; give 'request' explicitly"
    )
    emb = "[[embeddings]]\nmodel = 'm'\nkind = 'embedding'\nmode = 'x'\noutput = '[[1 2]]'\n"
    assert _err(emb + "[[embeddings.matrices]]\nname = 'n'\nrows = []\ncols = []\nprinted = '[[1 3]]'\n") == (
        "m.toml:10: key embeddings[0].matrices[0].printed: this text does not occur in the run's 'output'"
    )
    assert _err(emb + "[[embeddings.scores]]\npairs = [['a', 'b']]\nprinted = '[[1 2]]'\nweight = 1\n") == (
        "m.toml:9: key embeddings[0].scores[0].weight: unknown key (allowed: pairs, printed, normalized_printed)"
    )
    assert "2 pairs but 1 printed scores" in _err(
        "[[embeddings]]\nmodel = 'm'\nkind = 'reranker'\nmode = 'x'\noutput = '[0.5]'\n[[embeddings.scores]]\npairs = [['a', 'b'], ['c', 'd']]\nprinted = '[0.5]'\n"
    )
    assert _err("[[deployment]]\ntitle = 'x'\ncommands = 'ls'\n").startswith("m.toml:3: key deployment[0].commands: ")


def test_apply_over_existing_results(seed: Results) -> None:
    results = seed.model_copy(deep=True)
    step_count = len(results.deployment)
    m = parse_manual(
        "[[variants]]\nlabel = 'FP16'\nserved_model_name = 'qwen'\n"
        "[[deployment]]\ntitle = '硬件检查'\ncommands = ['lspci -nn']\n"
        "[environment.facts]\n'cpu.model' = 'other'\n",
        "more.toml",
    )
    lines = apply_manual(results, m)
    assert "more.toml: deployment step '硬件检查' (1 commands): replaced the existing step" in lines
    assert "more.toml: variant FP16 (precision, served_model_name): updated" in lines
    fp16 = results.variant("FP16")
    assert fp16.served_model_name == "qwen" and fp16.functional_check is not None  # other fields kept
    assert len(results.deployment) == step_count
    assert results.environment.facts["cpu.model"].value == "other"
    assert results.environment.facts["os.name"].value == "Ubuntu 22.04.4 LTS"


def test_invalid_escape_in_a_recorded_response_is_one_line(tmp_path: Path) -> None:
    """Issue 21: hypothesis turned ``\\n7`` into ``\\7`` inside the seed's cut-off ``raw_response``;
    the partial-response reader decoded the ``text`` string with json.loads and raised
    JSONDecodeError. It is one line naming the key, and the CLI exits 2 leaving no file."""
    from click.testing import CliRunner

    from reportgen.cli import cli

    text = MANUAL.read_text(encoding="utf-8")
    bad = text.replace("\\n7. 将烤盘", "\\7. 将烤盘", 1)
    assert bad != text
    msg = _err(bad)
    assert "\n" not in msg
    assert msg.startswith("m.toml") and "key variants[0].functional_check.raw_response: " in msg
    assert 'the "text" string is not valid JSON (Invalid \\escape at character ' in msg
    # the character named is the backslash in the value as written
    value = bad.split("raw_response = '''", 1)[1]
    text_value = "".join(value.splitlines()).split('"text":"', 1)[1]
    pos = int(msg.rsplit("at character ", 1)[1].split()[0])
    assert text_value[pos : pos + 2] == "\\7"
    src = tmp_path / "m.toml"
    src.write_text(bad, encoding="utf-8")
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["import", "manual", str(src), "-o", str(out)])
    assert res.exit_code == 2 and not out.exists()
    assert res.output.count("\n") == 1 and "raw_response" in res.output
