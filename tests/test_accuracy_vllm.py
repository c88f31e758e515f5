"""A plumbing run of ``reportgen eval`` against a REAL vLLM (CPU build) serving tiny-qwen2.

The model has random weights, so the scores are near chance; what is checked is that every
stage is real: the chat template, 512-token greedy generations, extraction, scoring, saving.
Needs ``REPORTGEN_VLLM_VENV`` / ``REPORTGEN_TINY_MODELS`` (defaults: <repo>/.cache/...).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import DATASETS
from vllm_env import require_vllm, serve_vllm

from reportgen.cli import cli
from reportgen.report.accuracy_view import accuracy_view
from reportgen.results import load_results
from reportgen.validity import check_results
from reportgen.verdicts.accuracy import variant_accuracy

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    _, models = require_vllm()
    with serve_vllm(models / "tiny-qwen2", tmp_path_factory.mktemp("vllm"), "--served-model-name", "tiny-qwen2") as url:
        yield url


@pytest.mark.parametrize("mode", ["corrected", "swift2024"])
def test_plumbing_against_real_vllm(vllm_server, tmp_path, mode) -> None:
    out = tmp_path / "acc.json"
    args = ["eval", "--base-url", vllm_server, "--model", "tiny-qwen2", "--data", str(DATASETS),
            "--limit", "4", "--concurrency", "8", "--mode", mode, "--precision", "FP16", "-o", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    variant = load_results(out).variants[0]
    assert [a.benchmark for a in variant.accuracy] == ["ceval", "gsm8k", "mmlu", "bbh"]
    for acc in variant.accuracy:
        assert acc.mode == mode and acc.n == 4 and acc.errors == 0 and acc.n_planned == 4
        assert acc.correct == sum(bool(s.correct) for s in acc.samples)
        assert acc.score == acc.correct / 4
        for s in acc.samples:
            assert s.response is not None and s.finish_reason in ("stop", "length")
            assert s.completion_tokens is not None and 0 < s.completion_tokens <= 512
            assert s.gold is not None
    # greedy decoding is deterministic: a resumed run with nothing left asks nothing new
    r2 = CliRunner().invoke(cli, [*args, "--resume"])
    assert r2.exit_code == 0, r2.output
    again = load_results(out).variants[0].accuracy
    assert [(a.n, a.correct) for a in again] == [(a.n, a.correct) for a in variant.accuracy]
    # a second label on the same server: one deployment (same URL and model, no start time to tell two
    # runs apart), so no accuracy difference between them is printed as a result
    r3 = CliRunner().invoke(cli, [*args[:-4], "--precision", "INT4", "--tasks", "ceval,gsm8k", "-o", str(out)])
    assert r3.exit_code == 0, r3.output
    both = load_results(out)
    assert "same_deployment" in {f.check for f in check_results(both) if f.precision == "INT4"}
    assert accuracy_view(both)["verdict_rows"] == []
    int4 = next(va for va in variant_accuracy(both) if va.label == "INT4")
    assert int4.verdict == "无法判定" and "与 FP16 是同一个部署" in int4.text
