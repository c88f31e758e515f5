"""SLO presets (reportgen/slo_presets.py): MLPerf Inference's published P99 TTFT/TPOT limits per model
class (inference_rules.adoc of mlcommons/inference_policies), resolved for the measured model, used
by bench (goodput), capacity and the plan, and named with source and round in the document."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, make_tokenizer

from reportgen.cli import cli
from reportgen.errors import InputFormatError
from reportgen.plan import parse_plan
from reportgen.report.markdown import render_markdown
from reportgen.results import load_results
from reportgen.slo import resolve_slo
from reportgen.slo_presets import class_for, preset, preset_text_zh

# the published pairs (TTFT ms, TPOT ms): Server, Interactive
MLPERF = {
    "llama3.1-8b": ((2000, 100), (500, 30)),
    "llama2-70b": ((2000, 200), (450, 40)),
    "llama3.1-405b": ((6000, 175), (4500, 80)),
    "deepseek-r1": ((2000, 80), (1500, 15)),
    "gpt-oss-120b": ((3000, 80), (2000, 20)),
}


@pytest.mark.parametrize("names, cls", [
    (("Qwen2-7B-Instruct",), "llama3.1-8b"),
    ((None, "/models/Qwen2-7B-Instruct_GPTQ_Int4/"), "llama3.1-8b"),
    (("Qwen2-72B-Instruct",), "llama2-70b"),
    (("Llama-3.1-405B-Instruct-FP8",), "llama3.1-405b"),
    (("deepseek-ai/DeepSeek-R1",), "deepseek-r1"),
    (("gpt-oss-120b",), "gpt-oss-120b"),
    (("tiny-qwen2",), None),
])
def test_model_class_from_the_model_names(names: tuple[str | None, ...], cls: str | None) -> None:
    found = class_for(*names)
    assert (found.name if found else None) == cls


@pytest.mark.parametrize("cls", sorted(MLPERF))
def test_presets_resolve_to_the_published_limits(cls: str) -> None:
    for name, (ttft, tpot) in zip(("mlperf-server", "mlperf-interactive"), MLPERF[cls]):
        limits, pid = resolve_slo(f"{name}:{cls}")
        # P99 limits for capacity and met / not met; the same per request for goodput
        assert limits == {"ttft_p99_ms": ttft, "tpot_p99_ms": tpot, "ttft_ms": ttft, "tpot_ms": tpot}
        assert pid == f"{name}/{cls}"
        text = preset_text_zh(pid)
        assert text and f"TTFT P99 ≤ {ttft:g} ms，TPOT P99 ≤ {tpot:g} ms" in text
        assert "inference_rules.adoc" in text and "MLPerf Inference v" in text


def test_a_preset_names_its_round() -> None:
    assert preset("mlperf-server", "Qwen2-7B").source().startswith("MLPerf Inference v5.1 Llama3.1-8B Server")
    assert preset("mlperf-interactive:llama2-70b").since == "v5.0"  # added to the rules in January 2025


def test_unknown_class_or_preset_is_one_clear_error() -> None:
    with pytest.raises(InputFormatError, match=r"cannot tell the MLPerf model class of 'tiny-qwen2'.*mlperf-server:llama3.1-8b"):
        resolve_slo("mlperf-server", "tiny-qwen2")
    with pytest.raises(InputFormatError, match="unknown MLPerf model class 'gpt-5'"):
        resolve_slo("mlperf-server:gpt-5")
    assert resolve_slo("ttft_p99_ms=100") == ({"ttft_p99_ms": 100.0}, None)


def test_plan_accepts_presets_and_refuses_unknown_classes() -> None:
    p = parse_plan('[serving]\nslo = "mlperf-interactive"\n[capacity]\nslo = "mlperf-server:llama2-70b"\n')
    assert p.serving.slo == "mlperf-interactive" and p.capacity.slo == "mlperf-server:llama2-70b"
    with pytest.raises(InputFormatError, match="unknown MLPerf model class 'llama9'"):
        parse_plan('[capacity]\nslo = "mlperf-server:llama9"\n')


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def stub(tokdir):
    s = Stub(tokdir, ttft=0.02)
    yield s
    s.stop()


def test_bench_and_capacity_use_a_preset_and_the_document_names_it(stub, tokdir, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    common = ["--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tokdir), "--precision", "FP16",
              "--input-len", "32", "--output-len", "8", "--no-telemetry", "-o", str(out)]
    # the stub's name says nothing of its size: one line, nothing written
    r = CliRunner().invoke(cli, ["bench", *common, "--batch-sizes", "1", "--rounds", "2", "--slo", "mlperf-server"])
    assert r.exit_code == 2 and "cannot tell the MLPerf model class of 'stub-model'" in r.output and not out.exists()
    r = CliRunner().invoke(cli, ["bench", *common, "--batch-sizes", "1,2", "--rounds", "3",
                                 "--slo", "mlperf-interactive:llama3.1-8b"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["capacity", *common, "--slo", "mlperf-interactive:llama3.1-8b", "--max-concurrency", "2"])
    assert r.exit_code == 0, r.output
    res = load_results(out)
    v = res.variant("FP16")
    for c in v.serving:
        assert c.slo_preset == "mlperf-interactive/llama3.1-8b" and c.slo["tpot_ms"] == 30
        assert c.metrics is not None and c.metrics.goodput_rps == pytest.approx(c.metrics.request_throughput)  # 5 ms TPOT: all good
    (search,) = v.capacity
    assert search.slo_preset == "mlperf-interactive/llama3.1-8b" and search.capacity == 2
    md = render_markdown(res)
    src = "MLPerf Inference v5.1 Llama3.1-8B Interactive 场景限值：TTFT P99 ≤ 500 ms，TPOT P99 ≤ 30 ms"
    assert md.count(src) >= 2  # 3.1's requirements and 3.5's search
