"""A hand-computed score: 12 C-Eval questions, 12 hand-written replies, both modes.

middle_school_geography (val, 12 questions) golds: 0 A, 1 B, 2 C, 3 C, 4 C, 5 D, 6 D, 7 B, 8 D, 9 D,
10 D, 11 C. What llmuses 0.4.x (swift2024) and the corrected parser read, worked out by hand from
the pattern list:
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from chat_stub import ChatStub
from conftest import DATASETS

from collectors.accuracy.runner import EvalConfig, run_eval
from reportgen.report.accuracy_view import accuracy_view
from reportgen.results import ResultsStore, load_results

REPLIES = {
    # id: (reply, swift2024 reads, corrected reads)
    "0": ("答案是A。台湾岛是我国最大的岛屿。", "A", "A"),
    "1": ("B", "B", "B"),  # only the loose '[A|B|C|D]' pattern matches
    "2": ("A、B、D的描述都合适，C项不合适。所以答案是C", "C", "C"),  # '答案是?' is tried first, on the whole text
    "3": ("The answer is C", "C", "C"),  # '[\s，：:,]([A|B|C|D])[。，,\.]?$'
    "4": ("Because A and B are true, the answer is (C).", "A", "C"),  # '(\s|^)[A|B|C|D][\s。，,\.$]' hits ' A '
    "5": ("选项D正确", "D", "D"),  # '选项\s?([A|B|C|D])\s?正确'
    "6": ("我不确定，可能是B也可能是D。", "D", None),  # '[是为。]\s?([A|B|C|D])[。\.]?$'; corrected: ambiguous
    "7": ("答案：A", "A", "A"),  # wrong in both
    "8": ("D.", "D", "D"),
    "9": ("正确答案是 D", "D", "D"),
    "10": ("42", None, None),
    "11": ("Answer: (C)", "A", "C"),  # llmuses falls through to '[A|B|C|D]': the 'A' of 'Answer'
}
GOLD = dict(zip(map(str, range(12)), "ABCCCDDBDDDC"))


@pytest.fixture
def geo(tmp_path) -> Path:
    src = DATASETS / "ceval"
    (tmp_path / "ceval" / "val").mkdir(parents=True)
    shutil.copy(src / "subject_mapping.json", tmp_path / "ceval")
    shutil.copy(src / "val" / "middle_school_geography_val.csv", tmp_path / "ceval" / "val")
    return tmp_path


@pytest.mark.parametrize(("mode", "col", "correct", "score4", "unparsed"), [
    ("swift2024", 1, 8, 0.6667, 1),
    ("corrected", 2, 9, 0.75, 2),
])
def test_hand_computed(geo, tmp_path, mode, col, correct, score4, unparsed) -> None:
    assert sum(REPLIES[k][col] == GOLD[k] for k in GOLD) == correct  # the table agrees with itself
    with ChatStub(lambda rid, p: REPLIES[rid.split("/")[2]][0]) as stub:
        store = ResultsStore.open(tmp_path / "hand.json")
        (r,) = run_eval(store, EvalConfig(base_url=stub.url, model="stub", data_dir=geo, tasks=("ceval",),
                                          mode=mode, concurrency=4), stream=io.StringIO())
    assert {s.id.split("/")[1]: s.extracted for s in r.samples} == {k: v[col] for k, v in REPLIES.items()}
    assert (r.n, r.correct, r.unparsed) == (12, correct, unparsed)
    assert round(r.score, 4) == score4
    assert r.subsets[0].label == "初中地理"


def test_two_labelled_variants_verdict(tmp_path) -> None:
    """Two live runs under two labels, then the section 4 view: FP16 answers every gsm8k question
    right; the "INT4" variant misses every 40th one (33 of 1319): a 2.50-point drop, beyond the
    run's 95 % interval (1.96 x sqrt(0.975 x 0.025 / 1319) = 0.84 points) with no published drop."""
    data = DATASETS
    lines = (data / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    import json

    gold = {f"main/{i}": json.loads(line)["answer"].split("####")[-1].strip() for i, line in enumerate(lines)}
    out = tmp_path / "two.json"

    def reply(miss_every: int):
        def answer(rid: str, prompt: str) -> str:
            sid = rid.split("/", 1)[1].rsplit("/", 1)[0]
            wrong = miss_every and int(sid.split("/")[1]) % miss_every == 0
            return "The answer is 0.5." if wrong else f"So the answer is {gold[sid]}."
        return answer

    for label, miss in (("FP16", 0), ("INT4", 40)):
        with ChatStub(reply(miss)) as stub:
            run_eval(ResultsStore.open(out), EvalConfig(base_url=stub.url, model="stub", data_dir=data, tasks=("gsm8k",),
                                                        precision=label, concurrency=32), stream=io.StringIO())
    results = load_results(out)
    missed = sum(1 for i in range(len(lines)) if i % 40 == 0 and gold[f"main/{i}"] != "0.5")
    assert missed == 33
    view = accuracy_view(results)
    ratio = (1319 - missed) / 1319
    noise = 1.959964 * (ratio * (1 - ratio) / 1319) ** 0.5 * 100
    (row,) = view["verdict_rows"]
    assert row[:9] == ["INT4", "gsm8k", "修正版口径", f"{ratio * 100:.2f}%", "100.00%", f"{(1 - ratio) * 100:.2f}", "未公布",
                       f"±{noise:.2f}", "未通过"]
    assert row[9].startswith("降幅 2.50 个百分点，超过随机误差")
