"""The one table of published scores serves both the validity checks and the document."""

from __future__ import annotations

import importlib.util

from reportgen.reference_scores import BBH_SWIFT2024_CEILING, published_references, reference_score


def test_document_references_come_from_the_scores() -> None:
    refs = published_references("Qwen2-7B-Instruct")
    assert list(refs) == ["ceval", "gsm8k", "mmlu", "bbh"]
    assert refs["ceval"].text == "77.20%（HF 模型卡 / Qwen 文档）"
    assert refs["ceval"].quantized == "Qwen 文档：GPTQ-Int8 76.70%，GPTQ-Int4 75.20%，AWQ 73.60%"
    assert refs["gsm8k"].text == "82.30%（HF 模型卡；技术报告 85.70%）" and refs["gsm8k"].quantized is None
    assert refs["mmlu"].text == "70.50%（技术报告 / HF 模型卡 / Qwen 文档）"
    assert refs["mmlu"].quantized == "Qwen 文档：GPTQ-Int8 69.10%，GPTQ-Int4 67.80%，AWQ 67.40%"
    assert refs["bbh"].text == "未公布（仅基座模型 Qwen2-7B：62.60%，3-shot）"
    assert published_references("qwen2_7b_instruct") == refs
    assert published_references("Llama-3-8B") == {} and published_references(None) == {}


def test_validity_reads_the_same_figures() -> None:
    r = reference_score("qwen2-7b-instruct", "awq", "ceval")
    assert r is not None and r.score_pct == 73.6 and r.source_zh == "Qwen 文档"
    assert f"{r.score_pct:.2f}%" in (published_references("Qwen2-7B-Instruct")["ceval"].quantized or "")
    assert round(BBH_SWIFT2024_CEILING, 4) == 0.3746  # 2439 / 6511


def test_no_second_reference_module() -> None:
    assert importlib.util.find_spec("reportgen.report.references") is None
