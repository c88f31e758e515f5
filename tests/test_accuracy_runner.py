"""The runner end to end against a stub chat server on a real socket.

Expected scores are computed here straight from the data files (csv / json), not through the
package's loaders, prompt builders or extractors.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from chat_stub import ChatStub
from click.testing import CliRunner
from conftest import DATASETS

from collectors.accuracy.runner import EvalConfig, run_eval, select_items
from collectors.accuracy.tasks import TASKS
from reportgen.cli import cli
from reportgen.errors import InputFormatError, ReportgenError, ServerError
from reportgen.results import ResultsStore, load_results

# From the BBH paper / datasets/README.md: the 10 free-form tasks (2437 examples).
FREE_FORM = {
    "boolean_expressions", "causal_judgement", "dyck_languages", "formal_fallacies", "multistep_arithmetic_two",
    "navigate", "object_counting", "sports_understanding", "web_of_lies", "word_sorting",
}


@pytest.fixture(scope="module")
def data() -> Path:
    return DATASETS


@pytest.fixture(scope="module")
def gold(data: Path) -> dict[str, dict[str, str]]:
    """benchmark -> sample id -> the raw gold label, read from the files directly."""
    out: dict[str, dict[str, str]] = {"ceval": {}, "mmlu": {}, "gsm8k": {}, "bbh": {}}
    for f in sorted((data / "ceval" / "val").glob("*_val.csv")):
        subject = f.name[: -len("_val.csv")]
        for row in csv.DictReader(io.StringIO(f.read_text(encoding="utf-8"), newline="")):
            out["ceval"][f"{subject}/{row['id']}"] = row["answer"]
    for f in sorted((data / "mmlu" / "test").glob("*_test.csv")):
        subject = f.name[: -len("_test.csv")]
        for i, row in enumerate(csv.reader(io.StringIO(f.read_text(encoding="utf-8"), newline=""))):
            out["mmlu"][f"{subject}/{i}"] = row[5]
    for i, line in enumerate((data / "gsm8k" / "test.jsonl").read_text(encoding="utf-8").splitlines()):
        out["gsm8k"][f"main/{i}"] = json.loads(line)["answer"].split("####")[-1].strip().replace(",", "")
    for f in sorted((data / "bbh" / "bbh").glob("*.json")):
        for i, ex in enumerate(json.loads(f.read_text(encoding="utf-8"))["examples"]):
            out["bbh"][f"{f.stem}/{i}"] = ex["target"]
    assert [len(v) for v in out.values()] == [1346, 14042, 1319, 6511]
    return out


def _sid(request_id: str) -> tuple[str, str]:
    bench, rest = request_id.split("/", 1)
    return bench, rest.rsplit("/", 1)[0]


def _run(tmp_path: Path, data: Path, reply, mode: str, tasks, limit=None, name="r.json", **kw):
    with ChatStub(reply) as stub:
        store = ResultsStore.open(tmp_path / name)
        cfg = EvalConfig(base_url=stub.url, model="stub", data_dir=data, tasks=tuple(tasks), mode=mode,
                         limit=limit, concurrency=32, **kw)
        results = {r.benchmark: r for r in run_eval(store, cfg, stream=io.StringIO())}
    return results, stub


# ----------------------------------------------------------------- always the gold answer


@pytest.mark.parametrize("mode", ["swift2024", "corrected"])
def test_gold_answers(tmp_path, data, gold, mode) -> None:
    reply = lambda rid, prompt: gold[_sid(rid)[0]][_sid(rid)[1]]  # noqa: E731
    res, _ = _run(tmp_path, data, reply, mode, ["ceval", "gsm8k", "mmlu", "bbh"])
    assert (res["ceval"].n, res["ceval"].correct) == (1346, 1346)
    assert (res["gsm8k"].n, res["gsm8k"].correct) == (1319, 1319)
    assert (res["mmlu"].n, res["mmlu"].correct) == (14042, 14042)
    bbh = gold["bbh"]
    if mode == "swift2024":
        # every multiple-choice letter is lost to the bracketed gold; only free-form can score, plus the
        # two all-lower-case ruin_names targets, which llmuses' _extract_mc_answer returns as leftover text
        lower = [k for k, t in bbh.items() if k.split("/")[0] not in FREE_FORM and not re.search(r"[A-Z]", t)]
        assert len(lower) == 2 and all(k.startswith("ruin_names/") for k in lower)
        expected = sum(1 for k in bbh if k.split("/")[0] in FREE_FORM) + len(lower)
        assert expected == 2439
        assert res["bbh"].subsets and all(s.correct == 0 for s in res["bbh"].subsets
                                          if s.name not in FREE_FORM and s.name != "ruin_names")
    else:
        # the three multiple-choice targets that are not '(X)' cannot be matched by a letter
        broken = [k for k, t in bbh.items() if k.split("/")[0] not in FREE_FORM and not re.fullmatch(r"\([A-Z]\)", t)]
        assert len(broken) == 3
        expected = 6511 - len(broken)
    assert (res["bbh"].n, res["bbh"].correct) == (6511, expected)
    assert res["bbh"].score == expected / 6511
    # macro: plain mean of the 27 task scores
    per_task: dict[str, list[int]] = {}
    for r in res["bbh"].samples:
        per_task.setdefault(r.subset, []).append(int(r.correct))
    assert len(per_task) == 27
    assert res["bbh"].macro == pytest.approx(sum(sum(v) / len(v) for v in per_task.values()) / 27, abs=1e-12)
    assert res["ceval"].macro == 1.0 and res["ceval"].errors == 0


def test_swift2024_bbh_ceiling_rounded(tmp_path, data, gold) -> None:
    reply = lambda rid, prompt: gold["bbh"][_sid(rid)[1]]  # noqa: E731
    res, _ = _run(tmp_path, data, reply, "swift2024", ["bbh"])
    assert round(res["bbh"].score, 4) == 0.3746  # 2439 / 6511, as llmuses 0.4.3 prints it


# ----------------------------------------------------------------- chain-of-thought replies for bbh


@pytest.mark.parametrize("mode", ["swift2024", "corrected"])
def test_bbh_cot_replies(tmp_path, data, gold, mode) -> None:
    bbh = gold["bbh"]
    reply = lambda rid, prompt: f"Let's think step by step.\nFirst, ...\nSo the answer is {bbh[_sid(rid)[1]]}. "  # noqa: E731
    res, _ = _run(tmp_path, data, reply, mode, ["bbh"])
    if mode == "swift2024":
        # llmuses: 'The answer is \s*(\w+)' keeps only the first word of a free-form answer when the
        # answer starts with a word character; otherwise the whole line is used
        def kept(t: str) -> bool:
            m = re.match(r"\w+", t)
            return m is None or m.group() == t

        expected = sum(1 for k, t in bbh.items() if k.split("/")[0] in FREE_FORM and kept(t))
        word_sorting = sum(1 for k, t in bbh.items() if k.startswith("word_sorting/") and kept(t))
        ws = next(s for s in res["bbh"].subsets if s.name == "word_sorting")
        assert ws.correct == word_sorting < 250
    else:
        expected = sum(
            1 for k, t in bbh.items() if k.split("/")[0] in FREE_FORM or re.fullmatch(r"\([A-Z]\)", t)
        )
    assert res["bbh"].correct == expected


# ----------------------------------------------------------------- always "A", always "42"


@pytest.mark.parametrize("mode", ["swift2024", "corrected"])
def test_always_a(tmp_path, data, gold, mode) -> None:
    res, _ = _run(tmp_path, data, lambda rid, p: "A", mode, ["ceval", "gsm8k", "bbh"])
    assert res["ceval"].correct == sum(1 for v in gold["ceval"].values() if v == "A")
    assert res["gsm8k"].correct == 0 and res["gsm8k"].unparsed == 1319
    if mode == "swift2024":
        assert res["bbh"].correct == 0
    else:
        assert res["bbh"].correct == sum(1 for v in gold["bbh"].values() if v == "(A)")


@pytest.mark.parametrize("mode", ["swift2024", "corrected"])
def test_always_42(tmp_path, data, gold, mode) -> None:
    res, _ = _run(tmp_path, data, lambda rid, p: "42", mode, ["ceval", "gsm8k", "bbh"])
    assert res["ceval"].correct == 0
    assert res["gsm8k"].correct == sum(1 for v in gold["gsm8k"].values() if Decimal(v) == 42)
    assert res["bbh"].correct == sum(1 for v in gold["bbh"].values() if v == "42")
    assert res["gsm8k"].correct > 0 and res["bbh"].correct > 0


def test_mmlu_limit_always_a(tmp_path, data, gold) -> None:
    res, _ = _run(tmp_path, data, lambda rid, p: "The answer is A.", "corrected", ["mmlu"], limit=570)
    asked = [r.id for r in res["mmlu"].samples]
    assert len(asked) == 570 and len({a.split("/")[0] for a in asked}) == 57
    assert res["mmlu"].correct == sum(1 for a in asked if gold["mmlu"][a] == "A")
    assert res["mmlu"].n_planned == 570 and res["mmlu"].n_total == 14042


# ----------------------------------------------------------------- prompts as sent


def test_prompts_sent(tmp_path, data) -> None:
    with ChatStub(lambda rid, p: "B") as stub:
        stub.keep_bodies = True
        store = ResultsStore.open(tmp_path / "p.json")
        run_eval(store, EvalConfig(base_url=stub.url, model="stub", data_dir=data, tasks=("mmlu",),
                                   mode="swift2024", limit=1, concurrency=1), stream=io.StringIO())
    body = stub.bodies[0]
    assert body["temperature"] == 0 and body["max_tokens"] == 512 and len(body["messages"]) == 1
    assert body["messages"][0]["role"] == "user"
    text = body["messages"][0]["content"]
    assert text.startswith("The following are multiple choice questions (with answers) about  ")
    question = text.split("\n\n\n", 1)[1]
    first, second = question.split("Answer:")[:2]
    assert first == second and text.endswith("Answer:")  # llmuses' duplicated question


def test_ceval_prompt(data) -> None:
    t = TASKS["ceval"]
    item = next(i for i in t.load(data, "val") if i.id == "accountant/0")
    p = t.modes["swift2024"].prompt(item, t.context(data))
    assert p.startswith("以下是中国关于注册会计师考试的单项选择题，请选出其中的正确答案。\n问题：下列关于税法基本原则")
    assert p.endswith("\n答案: ") and "\nD. 税务机关按法定程序依法征税" in p


def test_bbh_prompt_has_no_canary(data) -> None:
    t = TASKS["bbh"]
    item = t.load(data, "test")[0]
    p = t.modes["corrected"].prompt(item, t.context(data))
    assert "canary" not in p and "-----" not in p
    assert p.startswith("Follow the given examples and answer the question.\nEvaluate the result of a random Boolean")
    assert p.endswith(f"\n\nQ: {item.fields['input']}\nA: Let's think step by step.")
    assert p.count("Q: ") == 4


# ----------------------------------------------------------------- limit, resume, errors


def test_select_items_deterministic_and_stratified(data) -> None:
    items = TASKS["ceval"].load(data, "val")
    a, b = select_items(items, 104, seed=0), select_items(items, 104, seed=0)
    assert [i.id for i in a] == [i.id for i in b] and len(a) == 104
    per = {}
    for i in a:
        per[i.subset] = per.get(i.subset, 0) + 1
    assert len(per) == 52 and max(per.values()) <= 5  # 104 over 52 subjects of 12..55 questions
    assert [i.id for i in select_items(items, 10)] != [] and len(select_items(items, 10)) == 10
    assert select_items(items, None) == items


def test_resume_skips_scored(tmp_path, data, gold) -> None:
    reply = lambda rid, p: gold["gsm8k"][_sid(rid)[1]]  # noqa: E731
    res, stub = _run(tmp_path, data, reply, "corrected", ["gsm8k"], limit=100, name="res.json")
    assert stub.requests == 100
    # simulate an interrupted run: drop 30 samples from the saved file
    doc = json.loads((tmp_path / "res.json").read_text())
    doc["variants"][0]["accuracy"][0]["samples"] = doc["variants"][0]["accuracy"][0]["samples"][:70]
    (tmp_path / "res.json").write_text(json.dumps(doc))
    with pytest.raises(ReportgenError, match="already holds FP16 gsm8k .corrected.; add --resume"):
        _run(tmp_path, data, reply, "corrected", ["gsm8k"], limit=100, name="res.json")
    res, stub = _run(tmp_path, data, reply, "corrected", ["gsm8k"], limit=100, name="res.json", resume=True)
    assert stub.requests == 30
    assert (res["gsm8k"].n, res["gsm8k"].correct) == (100, 100)
    saved = load_results(tmp_path / "res.json").variants[0].accuracy[0]
    assert saved.n == 100 and len(saved.samples) == 100 and saved.mode == "corrected"


def test_retries_then_scores(tmp_path, data) -> None:
    with ChatStub(lambda rid, p: "A", fail_first=2) as stub:
        store = ResultsStore.open(tmp_path / "x.json")
        cfg = EvalConfig(base_url=stub.url, model="stub", data_dir=data, tasks=("ceval",), limit=5, concurrency=1)
        (r,) = run_eval(store, cfg, stream=io.StringIO())
    assert r.n == 5 and r.errors == 0 and stub.requests == 7


def test_server_errors(tmp_path, data) -> None:
    store = ResultsStore.open(tmp_path / "e.json")
    with pytest.raises(ServerError, match="cannot reach the server"):
        run_eval(store, EvalConfig(base_url="http://127.0.0.1:9", model="m", data_dir=data, tasks=("gsm8k",)))
    with ChatStub(lambda rid, p: "A") as stub:
        with pytest.raises(ServerError, match="does not serve model 'other'; it serves: stub"):
            run_eval(store, EvalConfig(base_url=stub.url, model="other", data_dir=data, tasks=("gsm8k",)))
    with ChatStub(lambda rid, p: "A", fail_first=10**6) as stub:
        cfg = EvalConfig(base_url=stub.url, model="stub", data_dir=data, tasks=("gsm8k",), limit=3, retries=0)
        with pytest.raises(ServerError, match="gsm8k: all 3 requests failed; first error: HTTP 503"):
            run_eval(store, cfg, stream=io.StringIO())
    saved = load_results(tmp_path / "e.json").variants[0].accuracy[0]
    assert saved.errors == 3 and saved.n == 0  # kept, so --resume retries them


def test_bad_inputs(tmp_path, data) -> None:
    store = ResultsStore.open(tmp_path / "b.json")
    with pytest.raises(ReportgenError, match="unknown benchmark 'arc'; known: ceval, gsm8k, mmlu, bbh"):
        run_eval(store, EvalConfig(base_url="http://x", model="m", data_dir=data, tasks=("arc",)))
    with pytest.raises(InputFormatError, match="no such data directory"):
        run_eval(store, EvalConfig(base_url="http://x", model="m", data_dir=tmp_path / "none", tasks=("gsm8k",)))
    with pytest.raises(InputFormatError, match=r"gsm8k: no such directory"):
        run_eval(store, EvalConfig(base_url="http://x", model="m", data_dir=tmp_path, tasks=("gsm8k",)))


# ----------------------------------------------------------------- the command


def test_cli_eval(tmp_path, data, gold) -> None:
    with ChatStub(lambda rid, p: "答案是 A") as stub:
        out = tmp_path / "cli.json"
        r = CliRunner().invoke(cli, ["eval", "--base-url", stub.url, "--model", "stub", "--data", str(data),
                                     "--tasks", "ceval", "--precision", "GPTQ-Int4", "-o", str(out)])
    assert r.exit_code == 0, r.output
    n_a = sum(1 for v in gold["ceval"].values() if v == "A")
    assert f"GPTQ-Int4\tceval\tcorrected\tn=1346\tcorrect={n_a}\tmicro={n_a / 1346:.4f}" in r.output
    res = load_results(out)
    assert res.variants[0].label == "GPTQ-Int4" and res.variants[0].accuracy[0].extractor == "choice_abcd"
    assert len(res.variants[0].accuracy[0].subsets) == 52
    r = CliRunner().invoke(cli, ["eval", "--base-url", "http://127.0.0.1:9", "--model", "m", "--data",
                                 str(data), "--tasks", "ceval,nope"])
    assert r.exit_code == 2 and "reportgen: error: unknown benchmark 'nope'" in r.output


def test_resume_with_smaller_limit_keeps_answers(tmp_path, data, gold) -> None:
    reply = lambda rid, p: gold["gsm8k"][_sid(rid)[1]]  # noqa: E731
    _run(tmp_path, data, reply, "corrected", ["gsm8k"], limit=40, name="s.json")
    res, stub = _run(tmp_path, data, reply, "corrected", ["gsm8k"], limit=10, name="s.json", resume=True)
    saved = load_results(tmp_path / "s.json").variants[0].accuracy[0]
    asked_10 = set(s.id for s in select_items(TASKS["gsm8k"].load(data, "test"), 10))
    asked_40 = set(s.id for s in select_items(TASKS["gsm8k"].load(data, "test"), 40))
    assert stub.requests == len(asked_10 - asked_40)
    assert saved.n == 10 and saved.n_planned == 10 and len(saved.samples) == len(asked_10 | asked_40)
    with ChatStub(reply, model="other") as other:
        cfg = EvalConfig(base_url=other.url, model="other", data_dir=data, tasks=("gsm8k",), limit=10, resume=True)
        with pytest.raises(ReportgenError, match="was run against model 'stub', not 'other'"):
            run_eval(ResultsStore.open(tmp_path / "s.json"), cfg, stream=io.StringIO())
