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
    r.variant("AWQ-Int4").accuracy = [_acc("ceval", "corrected", 41, 71, subs)]
    return r


def test_verdicts_and_tables() -> None:
    v = accuracy_view(_results())
    assert v["baseline"] == "FP16"
    assert v["verdict_rows"] == [
        ["GPTQ-Int4", "ceval", "修正版", "0.5915", "0.5915", "100.0%", "达标"],
        ["GPTQ-Int4", "bbh", "swift2024 兼容", "0.2304", "0.2439", "94.5%", "未达标"],
        ["AWQ-Int4", "ceval", "修正版", "0.5775", "0.5915", "97.6%", "未达标"],
    ]
    first = v["appendix"][0]
    assert first["title"] == "FP16 · ceval · 修正版"
    assert first["rows"][0] == ["注册会计师（accountant）", "其他", "49", "30", "0.6122", "0"]
    assert first["summary"] == "micro 0.5915，macro 0.5788，42/71"
    assert v["summary_rows"][0][:9] == ["FP16", "ceval", "修正版", "val", "0", "42/71", "0.5915", "0.5788", "3（4.2%）"]


def test_template_renders() -> None:
    md = render_markdown(_results())
    assert "| GPTQ-Int4 | bbh | swift2024 兼容 | 0.2304 | 0.2439 | 94.5% | 未达标 |" in md
    assert "### 附录：各科目（任务）得分" in md and "| 逻辑学（logic） | 人文 | 22 | 12 | 0.5455 | 0 |" in md
    assert accuracy_view(Results())["present"] is False
    empty = render_markdown(Results())
    assert "量化精度判定" not in empty and "附录：各科目" not in empty


def test_zero_baseline_cannot_be_judged() -> None:
    r = Results()
    r.variant("FP16").accuracy = [_acc("gsm8k", "corrected", 0, 10)]
    r.variant("AWQ-Int4").accuracy = [_acc("gsm8k", "corrected", 1, 10)]
    assert accuracy_view(r)["verdict_rows"] == [
        ["AWQ-Int4", "gsm8k", "修正版", "0.1000", "0.0000", "—", "无法判定（FP16 得分为 0）"]
    ]
