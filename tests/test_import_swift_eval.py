"""swift_eval: the seed's eval logs (all variants) and the llmuses table formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import InputFormatError
from reportgen.importers.swift_eval import parse_swift_eval

ACCURACY = Path(__file__).resolve().parent.parent / "samples" / "seed" / "accuracy"

EXPECTED = {
    "fp16.log": ("FP16", {"ceval": 0.6657, "gsm8k": 0.7915, "mmlu": 0.6846, "bbh": 0.2439}),
    "gptq-int4.log": ("GPTQ-Int4", {"ceval": 0.6738, "gsm8k": 0.7763, "mmlu": 0.6631, "bbh": 0.2338}),
    "awq-int4.log": ("AWQ-Int4", {"ceval": 0.6501, "gsm8k": 0.768, "mmlu": 0.6529, "bbh": 0.2367}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_logs(name: str) -> None:
    label, scores = EXPECTED[name]
    [group] = parse_swift_eval((ACCURACY / name).read_text(), name)
    assert group.label == label and group.model == "Qwen2-7B-Instruct"
    assert {r.benchmark: r.score for r in group.results} == scores
    for r in group.results:
        assert r.source == "imported" and r.mode == "swift2024"
        assert r.command is not None and r.command.startswith("CUDA_VISIBLE_DEVICES=0 swift eval")
        assert "--eval_dataset ceval gsm8k mmlu bbh" in r.command
        assert r.import_info.printed == {r.benchmark: str(scores[r.benchmark])}


def test_gptq_split_in_three_merges() -> None:
    [group] = parse_swift_eval((ACCURACY / "gptq-int4.log").read_text(), "g")
    blocks = {r.benchmark: r.import_info.block for r in group.results}
    assert blocks == {"ceval": 0, "gsm8k": 1, "mmlu": 1, "bbh": 2}
    bbh = next(r for r in group.results if r.benchmark == "bbh")
    assert bbh.settings["finished_at"] == "2024-06-28 11:06:56.101122"
    assert bbh.import_info.text.startswith("[INFO:swift] result: {'bbh': 0.2338}")
    assert group.model_path == "/home/aigc/lsc/vllm_test/Qwen2-7B-Instruct_GPTQ_Int4"


def test_awq_pdf_table_and_bbh_line() -> None:
    [group] = parse_swift_eval((ACCURACY / "awq-int4.log").read_text(), "a")
    by = {r.benchmark: r for r in group.results}
    assert by["mmlu"].import_info.format == "llmuses-table" and by["mmlu"].settings["metric"] == "acc"
    assert by["mmlu"].import_info.printed == {"mmlu": "0.6529"}
    assert by["bbh"].import_info.format == "swift-log"
    assert "(ceval/acc) 0.6501" in by["ceval"].import_info.text


def test_tabulate_box_table_and_precision_option() -> None:
    text = (
        "2024-08-27 11:33:58,917 - evalscope - INFO - ** Report table: \n"
        " +---------------------+--------------------+--------------------+\n"
        "| Model               | ceval              | gsm8k              |\n"
        "+=====================+====================+====================+\n"
        "| qwen2-7b-instruct   | (ceval/acc) 0.6501 | (gsm8k/acc) 0.768  |\n"
        "+---------------------+--------------------+--------------------+\n"
        " \n"
        "[INFO:swift] result: {'mmlu': 0.6529}\n"
    )
    with pytest.raises(InputFormatError, match=r"^t\.log:1: no 'swift eval --model_id_or_path' command before these scores; pass --precision$"):
        parse_swift_eval(text, "t.log")
    [group] = parse_swift_eval(text, "t.log", precision="AWQ-Int4", model="Qwen2-7B-Instruct")
    assert group.label == "AWQ-Int4" and group.precision.quantization == "awq"
    assert {r.benchmark: r.score for r in group.results} == {"ceval": 0.6501, "gsm8k": 0.768, "mmlu": 0.6529}


def test_numbered_command_from_the_document() -> None:
    text = (
        "1 CUDA_VISIBLE_DEVICES=0 swift eval \\\n"
        "2   --model_type qwen2-7b-instruct \\\n"
        "3   --model_id_or_path /x/Qwen2-7B-Instruct_GPTQ_Int4 \\\n"
        "4   --eval_dataset ceval\n"
        "[INFO:swift] result: {'ceval': 0.6738}\n"
        "[INFO:swift] result: {'ceval': 0.7}\n"
    )
    [group] = parse_swift_eval(text, "n")
    assert group.label == "GPTQ-Int4"
    assert group.command.splitlines()[0] == "CUDA_VISIBLE_DEVICES=0 swift eval \\"
    assert [r.score for r in group.results] == [0.7]  # a later score for the same benchmark wins


def test_swift_rejections() -> None:
    with pytest.raises(InputFormatError, match=r"^e\.log: no '\[INFO:swift\] result:' line or 'Report table:' found$"):
        parse_swift_eval("nothing here\n", "e.log")
    with pytest.raises(InputFormatError, match=r"^e\.log:1: result line is not a Python dict"):
        parse_swift_eval("[INFO:swift] result: {'ceval': 0.6, }}\n", "e.log", precision="FP16")
    with pytest.raises(InputFormatError, match=r"^e\.log:1: report table has no"):
        parse_swift_eval("INFO:llmuses:** Report table:\n| Model | ceval |\n\nrest\n", "e.log", precision="FP16")
