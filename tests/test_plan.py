from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.errors import InputFormatError
from reportgen.plan import Plan, ServingPlan, default_plan_toml, load_plan, parse_plan


def test_init_writes_the_seed_defaults(tmp_path: Path) -> None:
    out = tmp_path / "plan.toml"
    r = CliRunner().invoke(cli, ["init", "-o", str(out)])
    assert r.exit_code == 0 and f"wrote {out}" in r.output
    plan = load_plan(out)
    assert plan.serving == ServingPlan()
    assert plan.serving.batch_sizes == [1, 2, 4, 8]
    assert (plan.serving.input_len, plan.serving.output_len, plan.serving.endpoint) == (8192, 256, "completions")
    assert [v.label for v in plan.variants] == ["FP16", "INT4"]
    assert plan.variants[1].quantization == "gptq" and plan.variants[0].launch_command is None
    assert plan.variants[0].request_model == "/home/models/Qwen2-7B-Instruct/"
    fc = plan.functional_check
    assert (fc.prompt, fc.max_tokens, fc.temperature) == ("如何制作月饼", 256, 0.01)
    # a second init refuses to overwrite, --force does
    r2 = CliRunner().invoke(cli, ["init", "-o", str(out)])
    assert r2.exit_code == 2 and "already exists (use --force to overwrite)" in r2.output
    assert CliRunner().invoke(cli, ["init", "-o", str(out), "--force"]).exit_code == 0


def test_uncommenting_the_launch_lines_keeps_it_valid() -> None:
    text = default_plan_toml().replace("# launch_command", "launch_command").replace("# container", "container")
    plan = parse_plan(text)
    assert plan.variants[0].launch_command.startswith("python3 -m vllm.entrypoints.openai.api_server")
    assert plan.variants[0].container == "vllm"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[serving]\nbatch_size = [1]\n", "serving.batch_size: Extra inputs are not permitted"),
        ("[serving]\nbatch_sizes = [0, 2]\n", "serving.batch_sizes.0: Input should be greater than or equal to 1"),
        ("[serving]\nendpoint = 'embeddings'\n", "serving.endpoint: Input should be 'completions' or 'chat'"),
        ("[[variants]]\nlabel = 'A'\n[[variants]]\nlabel = 'A'\n", "variant label 'A' appears twice"),
        ("[serving\n", "not valid TOML"),
        ("[[variants]]\nlabel = 'A'\nenv = { 'HF-TOKEN' = 'x' }\n",
         "variants.0.env: Value error, 'HF-TOKEN' is not an environment variable name"),
    ],
)
def test_bad_plans_fail_with_one_line(text: str, message: str) -> None:
    with pytest.raises(InputFormatError) as e:
        parse_plan(text, source="p.toml")
    assert message in str(e.value) and str(e.value).startswith("p.toml: ")
    assert "\n" not in str(e.value).strip()


def test_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="no such plan file"):
        load_plan(tmp_path / "absent.toml")


def test_empty_plan_is_all_defaults() -> None:
    assert parse_plan("") == Plan()
