"""``reportgen reference record`` and ``reportgen consistency`` against REAL vLLM CPU servers of tiny-qwen2.

The reference is recorded on a float32 server; the same server compared with it shows no
difference at batch size 1; a bfloat16 server shows a nonzero divergence; two runs of the
bfloat16 comparison give the same greedy tokens and the same KL (to ``KL_TOLERANCE``). One server
at a time (the machine is shared): float32 first, stopped, then bfloat16. A prompt subset keeps
it short; real runs use all 200 prompts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from vllm_env import require_vllm, serve_vllm

from reportgen.cli import cli
from reportgen.consistency.metrics import pass_summary
from reportgen.consistency.reference import load_reference
from reportgen.consistency.verdict import consistency_verdict, reference_pass
from reportgen.report.markdown import render_markdown
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

LIMIT = 16  # prompts (evenly spaced: Chinese and English, 0-shot and few-shot)
MAX_TOKENS = 24
# Two runs of the same pair: the greedy tokens must be identical, and the KL of every position
# equal to within this (absolute, nats). vLLM's CPU kernels are deterministic at batch size 1,
# so the runs measured identical values; the tolerance only absorbs a different thread split.
KL_TOLERANCE = 1e-6


def invoke(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.output


def compare(url: str, ref: Path, out: Path, label: str, dtype: str) -> None:
    invoke("consistency", "--reference", str(ref), "--base-url", url, "--model", "tiny-qwen2", "--precision", label,
           "--dtype", dtype, "--model-name", "tiny-qwen2", "--batch-size", "4", "-o", str(out))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reference (float32), float32 compared with it, then two bfloat16 comparisons, one server at a time."""
    _, models = require_vllm()
    work = tmp_path_factory.mktemp("consistency")
    out = {"ref": work / "fp32.ref.json", "fp32": work / "fp32.json", "bf16": work / "bf16.json", "bf16b": work / "bf16-again.json"}
    model = models / "tiny-qwen2"
    with serve_vllm(model, work / "fp32", "--served-model-name", "tiny-qwen2", "--dtype", "float32") as url:
        invoke("reference", "record", "--base-url", url, "--model", "tiny-qwen2", "--dtype", "fp32", "--card", "本机 CPU（float32）",
               "--model-name", "tiny-qwen2", "--limit", str(LIMIT), "--max-tokens", str(MAX_TOKENS), "-o", str(out["ref"]))
        compare(url, out["ref"], out["fp32"], "FP32", "fp32")
    with serve_vllm(model, work / "bf16", "--served-model-name", "tiny-qwen2", "--dtype", "bfloat16") as url:
        compare(url, out["ref"], out["bf16"], "BF16", "bf16")
        compare(url, out["ref"], out["bf16b"], "BF16", "bf16")
    return out


def test_reference_records_the_server(runs: dict[str, Path]) -> None:
    ref = load_reference(runs["ref"])
    assert ref.engine == "vllm" and ref.engine_version and ref.teacher_forcing == "prompt_logprobs"
    assert ref.model_root and ref.model_root.endswith("tiny-qwen2") and ref.max_model_len == 9000
    assert len(ref.prompts) == LIMIT and all(p.error is None for p in ref.prompts)
    assert {(p.lang, p.length) for p in ref.prompts} == {("zh", "short"), ("zh", "long"), ("en", "short"), ("en", "long")}
    for p in ref.prompts:
        assert len(p.tokens) == MAX_TOKENS and len(p.top[0]) >= 5
        # float32 on CPU: prefill (teacher forcing) and decode give the same log-probabilities
        assert p.tf_logprobs == pytest.approx(p.logprobs, abs=1e-4)


def test_float32_against_itself_shows_no_difference_at_batch_size_1(runs: dict[str, Path]) -> None:
    results = load_results(runs["fp32"])
    check = results.variants[0].consistency
    assert check is not None and check.thresholds.profile == "same"
    s = pass_summary(reference_pass(check))  # type: ignore[arg-type]
    assert (s.prompts, s.first_token, s.exact, s.top1) == (LIMIT, 1.0, 1.0, 1.0)
    assert s.kl_max == 0.0 and s.dlogprob_max == 0.0
    assert consistency_verdict(results)[0].verdict == "consistent"


def test_bfloat16_shows_a_nonzero_divergence(runs: dict[str, Path]) -> None:
    results = load_results(runs["bf16"])
    check = results.variants[0].consistency
    assert check is not None and check.thresholds.profile == "half"
    s = pass_summary(reference_pass(check))  # type: ignore[arg-type]
    assert s.prompts == LIMIT
    assert s.kl_mean is not None and s.kl_mean > 0
    assert s.dlogprob_max is not None and s.dlogprob_max > 1e-4  # bf16 round-off, not float32 noise
    cv = consistency_verdict(results)[0]
    assert cv.verdict in ("consistent", "deviates", "inconsistent") and cv.batch is not None
    md = render_markdown(results)
    assert "## 5. 与参考卡输出一致性" in md and "本机 CPU（float32）（fp32，vllm" in md
    print(json.dumps({"bf16": s.__dict__, "batch": cv.batch.summary.__dict__, "verdict": cv.statement_zh}, ensure_ascii=False))


def test_two_runs_of_the_same_pair_agree(runs: dict[str, Path]) -> None:
    a = reference_pass(load_results(runs["bf16"]).variants[0].consistency)  # type: ignore[arg-type]
    b = reference_pass(load_results(runs["bf16b"]).variants[0].consistency)  # type: ignore[arg-type]
    assert a is not None and b is not None
    for x, y in zip(a.prompts, b.prompts, strict=True):
        assert x.id == y.id and x.tokens == y.tokens
        assert x.top1 == y.top1
        assert max(abs(p - q) for p, q in zip(x.kl, y.kl, strict=True)) <= KL_TOLERANCE
