"""The accuracy appendix view: verdicts, summaries and per-subject tables as strings."""

from __future__ import annotations

from reportgen.report.accuracy_view import accuracy_view
from reportgen.report.markdown import render_markdown
from reportgen.results import AccuracyResult, Results, SubsetScore


def _acc(bench: str, mode: str, correct: int, n: int, subsets=()) -> AccuracyResult:
    subs = [SubsetScore(name=s, n=k, correct=c, score=c / k, label=lab, category=cat) for s, k, c, lab, cat in subsets]
    macro = sum(s.score for s in subs) / len(subs) if subs else None
    return AccuracyResult(benchmark=bench, mode=mode, n=n, n_planned=n, n_total=n, correct=correct, score=correct / n,
                          macro=macro, subsets=subs, split="val", shots=0, unparsed=3, errors=0, extractor="choice_abcd")


def _results() -> Results:
    r = Results()
    subs = [("accountant", 49, 30, "注册会计师", "Other"), ("logic", 22, 12, "逻辑学", "Humanities")]
    r.variant("FP16").accuracy = [_acc("ceval", "corrected", 42, 71, subs), _acc("bbh", "swift2024", 1588, 6511)]
    r.variant("GPTQ-Int4").accuracy = [_acc("ceval", "corrected", 42, 71, subs), _acc("bbh", "swift2024", 1500, 6511)]
    # its subsets add up to its own 41 (scores that do not add up are 无法判定: accuracy_consistency)
    awq = [("accountant", 49, 29, "注册会计师", "Other"), ("logic", 22, 12, "逻辑学", "Humanities")]
    r.variant("AWQ-Int4").accuracy = [_acc("ceval", "corrected", 41, 71, awq)]
    return r


def test_verdicts_and_tables() -> None:
    v = accuracy_view(_results())
    assert v["baseline"] == "FP16"
    # The drop is judged against the published drop and the run's 95 % interval (from n), not a 99 % ratio;
    # a score broken by the evaluator (bbh, swift 2024 brackets) is excluded with its reason.
    assert v["verdict_rows"] == [
        ["GPTQ-Int4", "ceval", "修正版口径", "59.15%", "59.15%", "0.00", "未公布", "±16.17", "通过", "得分不低于 FP16"],
        ["GPTQ-Int4", "bbh", "swift 原版口径", "23.04%", "24.39%", "1.35", "未公布", "±1.46", "不参与判定",
         "评测程序缺陷：多选题标准答案带括号，永远判错（得分不代表模型能力）"],
        ["AWQ-Int4", "ceval", "修正版口径", "57.75%", "59.15%", "1.41", "未公布", "±16.21", "通过",
         "降幅 1.41 个百分点，不超过随机误差（95% 区间 ±16.21 个百分点）"],
    ]
    first = v["appendix"][0]
    assert first["title"] == "FP16 · ceval · 修正版口径"
    assert first["rows"][0] == ["注册会计师（accountant）", "其他", "49", "30", "61.22%", "0"]
    assert first["summary"] == "micro 59.15%，macro 57.88%，42/71"
    assert v["summary_rows"][0][:9] == ["FP16", "ceval", "修正版口径", "val", "0", "42/71", "59.15%", "57.88%", "3（4.2%）"]


def test_template_renders() -> None:
    md = render_markdown(_results())
    assert "| GPTQ-Int4 | bbh | swift 原版口径 | 23.04% | 24.39% | 1.35 | 未公布 | ±1.46 | 不参与判定 |" in md
    assert "| 逻辑学（logic） | 人文 | 22 | 12 | 54.55% | 0 |" in md
    assert accuracy_view(Results())["present"] is False
    empty = render_markdown(Results())
    assert "量化精度判定" not in empty and "附录：各科目" not in empty


def test_zero_baseline_and_higher_score() -> None:
    r = Results()
    r.variant("FP16").accuracy = [_acc("gsm8k", "corrected", 0, 10)]
    r.variant("AWQ-Int4").accuracy = [_acc("gsm8k", "corrected", 1, 10)]
    # a higher score than the baseline is never a failure; but a baseline of 0 (and 3 of 10 answers
    # unparsed on both sides) is no model accuracy: nothing can be judged against it
    (row,) = accuracy_view(r)["verdict_rows"]
    assert row[:9] == ["AWQ-Int4", "gsm8k", "修正版口径", "10.00%", "0.00%", "-10.00", "未公布", "±18.59", "无法判定"]
    assert row[9] == "AWQ-Int4：回答 30% 无法解析；FP16：回答 30% 无法解析、全部答错：模型未给出可判分的回答"
    r.variant("FP16").accuracy = [_acc("gsm8k", "corrected", 1, 10).model_copy(update={"unparsed": 0})]
    r.variant("AWQ-Int4").accuracy = [_acc("gsm8k", "corrected", 2, 10).model_copy(update={"unparsed": 0})]
    assert accuracy_view(r)["verdict_rows"][0][8:] == ["通过", "得分不低于 FP16"]
