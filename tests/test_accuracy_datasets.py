"""Loaders on the real data sets (datasets/) and on broken copies: one clear line naming file and row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATASETS

from collectors.accuracy.datasets import load_bbh, load_bbh_cot_prompt, load_ceval, load_gsm8k, load_mmlu
from reportgen.errors import InputFormatError


@pytest.fixture(scope="module")
def data() -> Path:
    return DATASETS


def test_counts_match_the_readme(data) -> None:
    ceval = load_ceval(data, "val")
    assert len(ceval) == 1346 and len({i.subset for i in ceval}) == 52
    assert len([i for i in ceval if i.subset == "middle_school_geography"]) == 12
    assert len(load_ceval(data, "dev")) == 260
    mmlu = load_mmlu(data, "test")
    assert len(mmlu) == 14042 and len({i.subset for i in mmlu}) == 57
    assert len(load_mmlu(data, "val")) == 1531 and len(load_mmlu(data, "dev")) == 285
    assert len(load_gsm8k(data, "test")) == 1319
    bbh = load_bbh(data)
    assert len(bbh) == 6511 and len([i for i in bbh if i.subset == "penguins_in_a_table"]) == 146


def test_ceval_embedded_newlines_and_crlf(data) -> None:
    items = load_ceval(data, "val")
    multi = [i for i in items if "\n" in i.fields["question"]]
    assert multi, "the val split has questions spanning several lines"
    assert all("\r" not in i.fields["question"] for i in items)
    assert {i.fields["answer"] for i in items} == {"A", "B", "C", "D"}
    assert next(i for i in items if i.id == "middle_school_politics/2").fields["answer"] == "A"  # the 2023 zip's label


def test_bbh_cot_prompt_without_canary(data) -> None:
    text = load_bbh_cot_prompt(data, "navigate")
    assert not text.startswith("BENCHMARK DATA") and "canary" not in text and text.count("Q: ") == 3


def _copy(src: Path, dst: Path, *names: str) -> Path:
    for n in names:
        shutil.copytree(src / n, dst / n)
    return dst


def test_malformed_inputs(tmp_path, data) -> None:
    root = _copy(data, tmp_path, "ceval", "gsm8k", "bbh")
    (root / "mmlu" / "test").mkdir(parents=True)
    (root / "mmlu" / "test" / "anatomy_test.csv").write_text('"What is 1+1?",1,2,3,4,B\n"Broken",1,2,3\n')
    with pytest.raises(InputFormatError, match=r"anatomy_test.csv: row 2 \(line 2\): 4 fields, expected 6"):
        load_mmlu(root, "test")
    (root / "mmlu" / "test" / "anatomy_test.csv").write_text('"Q",1,2,3,4,E\n')
    with pytest.raises(InputFormatError, match=r"anatomy_test.csv: row at line 1: answer 'E' is not one of A, B, C, D"):
        load_mmlu(root, "test")
    with pytest.raises(InputFormatError, match=r"mmlu/val: no such directory \(mmlu val split\)"):
        load_mmlu(root, "val")

    f = root / "ceval" / "val" / "logic_val.csv"
    f.write_bytes(f.read_bytes() + b'99,"unterminated\r\n')
    with pytest.raises(InputFormatError, match=r"logic_val.csv: line \d+: malformed CSV"):
        load_ceval(root, "val")
    f.write_bytes(b"id,question,A,B,C,D,answer\r\n0,q,a,b,c,d,A\r\n1,q,a,b\r\n")
    with pytest.raises(InputFormatError, match=r"logic_val.csv: row at line 3: 4 fields, the header has 7"):
        load_ceval(root, "val")

    g = root / "gsm8k" / "test.jsonl"
    g.write_text('{"question": "q", "answer": "#### 1"}\n{"question": "q"\n')
    with pytest.raises(InputFormatError, match=r"test.jsonl: line 2: not valid JSON"):
        load_gsm8k(root, "test")
    with pytest.raises(InputFormatError, match=r"gsm8k/dev.jsonl: no such file"):
        load_gsm8k(root, "dev")

    t = root / "bbh" / "bbh" / "navigate.json"
    t.write_text(json.dumps({"examples": [{"input": "x", "target": "Yes"}, {"input": "y"}]}))
    with pytest.raises(InputFormatError, match=r"navigate.json: example 1: expected string 'input' and 'target'"):
        load_bbh(root)
    c = root / "bbh" / "cot-prompts" / "navigate.txt"
    c.write_text("no canary here\nQ: x\n")
    with pytest.raises(InputFormatError, match=r"navigate.txt: line 1-2: expected the canary line"):
        load_bbh_cot_prompt(root, "navigate")
