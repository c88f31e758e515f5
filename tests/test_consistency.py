"""The consistency check end to end against a stub server (tests/consistency_stub.py): recording a reference,
comparing a card with it, the verdict and its thresholds, the evidence rules, the document section.

The stub's toy model is deterministic, so every expected figure is known: a card that is the
reference agrees everywhere with KL 0; a card that flips one token at a known position is caught
at that position; a noisy card shows a nonzero KL. Real vLLM runs: tests/test_consistency_vllm.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from consistency_stub import ConsistencyStub

from collectors.consistency.prompt_set import load_prompt_set
from reportgen.cli import cli
from reportgen.consistency.metrics import (
    common_prefix,
    first_difference,
    kl_topk,
    pass_summary,
    summarize,
    top1_agrees,
    worst_prompts,
)
from reportgen.consistency.reference import load_reference
from reportgen.consistency.verdict import (
    PROFILES,
    batch_pass,
    consistency_verdict,
    judge,
    model_identity,
    profile_for,
    reference_pass,
    thresholds,
)
from reportgen.report.formatting import md_cell
from reportgen.report.markdown import render_markdown
from reportgen.results import ConsistencyPrompt, load_results
from reportgen.validity import check_results

LIMIT = 12  # prompts: enough to cover both languages and both lengths, fast


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "toy.ref.json"
    with ConsistencyStub() as url:
        code, text = invoke("reference", "record", "--base-url", url, "--model", "toy", "--dtype", "fp16", "--card", "参考 GPU",
                            "--model-name", "Toy-7B", "--max-tokens", "12", "--top-k", "5", "--limit", str(LIMIT), "-o", str(out))
    assert code == 0, text
    return out


def compare(url: str, ref: Path, out: Path, *extra: str, label: str = "FP16", dtype: str = "fp16") -> tuple[int, str]:
    return invoke("consistency", "--reference", str(ref), "--base-url", url, "--model", "toy", "--precision", label,
                  "--dtype", dtype, "--batch-size", "4", "-o", str(out), *extra)


# --------------------------------------------------------------------------- the arithmetic


def test_kl_of_identical_lists_is_zero_and_of_known_ones_is_hand_computed() -> None:
    p = [(1, math.log(0.6)), (2, math.log(0.3))]
    assert kl_topk(p, p, 5) == (0.0, False)
    q = [(1, math.log(0.5)), (2, math.log(0.4))]
    # 0.6 ln(0.6/0.5) + 0.3 ln(0.3/0.4) + rest 0.1 ln(0.1/0.1)
    want = 0.6 * math.log(0.6 / 0.5) + 0.3 * math.log(0.3 / 0.4)
    value, bounded = kl_topk(p, q, 5)
    assert value == pytest.approx(want, abs=1e-12) and not bounded
    # token 2 missing from the card's list: bounded by the card's least listed probability
    value, bounded = kl_topk(p, [(1, math.log(0.5)), (3, math.log(0.2))], 5)
    assert bounded and value == pytest.approx(0.6 * math.log(0.6 / 0.5) + 0.3 * math.log(0.3 / 0.2) + 0.1 * math.log(0.1 / 0.3))
    # only the reference's k most likely tokens form bins
    assert kl_topk(p, q, 1)[0] == pytest.approx(0.6 * math.log(0.6 / 0.5) + 0.4 * math.log(0.4 / 0.5))


def test_top1_prefix_and_first_difference() -> None:
    assert top1_agrees([(1, -0.1), (2, -2.0)], [(2, -0.5), (1, -0.5)])  # a tie counts
    assert not top1_agrees([(1, -0.1)], [(2, -0.1), (1, -0.2)])
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert first_difference([1, 2, 3], [1, 2, 3]) is None
    assert first_difference([1, 2, 3], [1, 2]) == 2  # shorter: differs where it stopped
    assert first_difference([1, 2], [1, 2, 3]) == 2


def _prompt(pid: str, base: list[int], toks: list[int], top1: list[bool], kl: list[float]) -> ConsistencyPrompt:
    return ConsistencyPrompt(id=pid, sha256="x", baseline_tokens=base, tokens=toks, top1=top1, kl=kl, abs_dlogprob=[0.0] * len(kl))


def test_summary_and_worst_prompts() -> None:
    ps = [
        _prompt("a", [1, 2, 3, 4], [1, 2, 3, 4], [True] * 4, [0.0] * 4),
        _prompt("b", [1, 2, 3, 4], [1, 9, 9, 9], [True, False, True, True], [0.0, 0.5, 0.0, 0.0]),
        _prompt("c", [5, 6], [7, 6], [False, True], [0.2, 0.0]),
        ConsistencyPrompt(id="d", sha256="x", error="HTTP 400"),
    ]
    s = summarize(ps)
    assert (s.prompts, s.errors) == (3, 1)
    assert s.first_token == pytest.approx(2 / 3) and s.exact == pytest.approx(1 / 3)
    assert s.prefix_mean == pytest.approx((4 + 1 + 0) / 3) and s.positions == 10
    assert s.top1 == pytest.approx(8 / 10) and s.kl_mean == pytest.approx(0.07)
    from reportgen.results import ConsistencyPass

    worst = worst_prompts(ConsistencyPass(batch_size=1, baseline="reference", method="prompt_logprobs", prompts=ps))
    assert [w.prompt.id for w in worst] == ["b", "c"]  # mean KL 0.125 > 0.1; "a" agrees everywhere
    assert worst[0].first_difference == 1


def test_thresholds_profiles_and_judgement() -> None:
    assert profile_for("fp16", None, "fp16", None) == "same"
    assert profile_for("fp32", None, "bf16", None) == "half"
    assert profile_for("fp16", None, "int4", "gptq") == "int4"
    assert profile_for("bf16", None, "int8", None) == "int8"
    assert profile_for(None, None, "fp16", None) == "half"  # one side unknown
    assert profile_for("fp16", None, "GPTQ-Int4", None) == "half"  # a label is not a precision
    t = thresholds("int4", {"int4": {"top1_pass": 0.5}})
    assert t.top1_pass == 0.5 and t.kl_pass == PROFILES["int4"].kl_pass
    s = summarize([_prompt("a", [1] * 100, [1] * 100, [True] * 98 + [False] * 2, [0.004] * 100)])
    assert judge(s, PROFILES["half"]).verdict == "consistent"  # 98 % >= 98 %, 0.004 <= 0.005
    assert judge(s, PROFILES["same"]).verdict == "deviates"  # 98 % < 99 %
    s_bad = summarize([_prompt("a", [1] * 100, [2] * 100, [True] * 100, [0.0] * 100)])
    j = judge(s_bad, PROFILES["same"])
    assert j.verdict == "inconsistent" and "首词元一致率 0.0% 低于 95.0%" in j.reason_zh


def test_model_identity() -> None:
    assert model_identity("/home/models/Qwen2-7B-Instruct_GPTQ_Int4/") == "qwen2-7b-instruct"
    assert model_identity("Qwen2-7B-Instruct-AWQ") == model_identity("Qwen2-7B-Instruct") == "qwen2-7b-instruct"
    assert model_identity("Qwen2-1.5B-Instruct") != model_identity("Qwen2-7B-Instruct")


# --------------------------------------------------------------------------- the prompt set and the reference file


def test_shipped_prompt_set_is_what_the_data_sets_give(repo: Path) -> None:
    from collectors.consistency.prompt_set import PROMPT_SET_FILE, build_prompt_set, prompt_set_json

    shipped = load_prompt_set()
    assert len(shipped.prompts) == 200
    assert sum(p.lang == "zh" for p in shipped.prompts) == 100
    assert {p.length for p in shipped.prompts} == {"short", "long"}
    assert PROMPT_SET_FILE.read_text(encoding="utf-8") == prompt_set_json(build_prompt_set(repo / "datasets"))


def test_reference_file_records_identity_and_is_never_rewritten(reference: Path) -> None:
    ref = load_reference(reference)
    assert (ref.model, ref.model_root, ref.model_name, ref.dtype, ref.card) == ("toy", "/models/toy-7b", "Toy-7B", "fp16", "参考 GPU")
    assert (ref.engine, ref.engine_version, ref.teacher_forcing, ref.top_k, ref.max_tokens) == ("vllm", "0.0-stub", "prompt_logprobs", 5, 12)
    assert len(ref.prompts) == LIMIT and {p.lang for p in ref.prompts} == {"zh", "en"}
    for p in ref.prompts:
        assert p.error is None and 0 < len(p.tokens) <= 12 and p.tf_logprobs == p.logprobs  # the toy model: both paths agree
    before = reference.read_bytes()
    with ConsistencyStub() as url:
        code, text = invoke("reference", "record", "--base-url", url, "--model", "toy", "--limit", "2", "-o", str(reference))
    assert code == 2 and text.strip().endswith("a reference is never rewritten (choose another file name)")
    assert reference.read_bytes() == before


def test_url_credentials_never_reach_the_reference(tmp_path: Path) -> None:
    out = tmp_path / "ref.json"
    with ConsistencyStub() as url:
        code, text = invoke("reference", "record", "--base-url", url.replace("http://", "http://admin:hunter2secret@"),
                            "--model", "toy", "--limit", "2", "--max-tokens", "4", "-o", str(out))
    assert code == 0, text
    data = out.read_text(encoding="utf-8")
    assert "hunter2secret" not in data and "admin:" not in data
    ref = load_reference(out)
    assert ref.base_url == url and ref.command is not None and "***" in ref.command


def test_an_edited_reference_is_refused(reference: Path, tmp_path: Path) -> None:
    doc = json.loads(reference.read_text(encoding="utf-8"))
    doc["prompts"][3]["messages"][-1]["content"] += " "
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    with ConsistencyStub() as url:
        code, text = compare(url, edited, tmp_path / "r.json")
    assert code == 2 and "does not match its recorded sha256 (the file was edited)" in text
    assert not (tmp_path / "r.json").exists()


# --------------------------------------------------------------------------- comparing


def test_the_reference_card_against_itself_agrees_everywhere(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub() as url:
        code, text = compare(url, reference, out)
    assert code == 0, text
    v = load_results(out).variants[0]
    check = v.consistency
    assert check is not None and check.thresholds.profile == "same" and [p.baseline for p in check.passes] == ["reference", "batch1"]
    for p in check.passes:
        s = pass_summary(p)
        assert (s.prompts, s.first_token, s.exact, s.top1, s.kl_mean, s.dlogprob_max) == (LIMIT, 1.0, 1.0, 1.0, 0.0, 0.0)
    assert [x.template_match for x in check.passes[0].prompts] == [True] * LIMIT
    cv = consistency_verdict(load_results(out))[0]
    assert cv.verdict == "consistent" and cv.batch is not None and cv.batch.judgement.verdict == "consistent"
    assert "FP16 vs the reference card (参考 GPU, fp16, vllm 0.0-stub): consistent" in text


def test_a_card_that_flips_one_token_is_caught_at_that_position(reference: Path, tmp_path: Path) -> None:
    ref = load_reference(reference)
    target, pos = ref.prompts[5], 4
    out = tmp_path / "r.json"
    with ConsistencyStub(flips={tuple(target.prompt_tokens): pos}) as url:
        code, text = compare(url, reference, out)
    assert code == 0, text
    first = load_results(out).variants[0].consistency.passes[0]  # type: ignore[union-attr]
    for p in first.prompts:
        if p.id != target.id:
            assert p.tokens == p.baseline_tokens and all(p.top1) and max(p.kl) == 0.0
            continue
        assert first_difference(p.baseline_tokens, p.tokens) == pos
        assert p.tokens[:pos] == target.tokens[:pos] and p.tokens[pos] == target.top[pos][1][0]  # the runner-up
        # teacher forcing: only that position disagrees; the ones after it are compared and agree
        assert [i for i, ok in enumerate(p.top1) if not ok] == [pos]
        assert [i for i, x in enumerate(p.kl) if x > 0] == [pos]
    worst = worst_prompts(first)
    assert [w.prompt.id for w in worst] == [target.id] and worst[0].first_difference == pos
    md = render_markdown(load_results(out))
    row = next(line for line in md.splitlines() if line.startswith(f"| {md_cell(target.id)}<br>"))
    assert f" | 第 {pos + 1} 个词元 | " in row
    assert md_cell(target.messages[-1]["content"].replace("\n", "↵")[:60]) in row  # the prompt, as the card was asked it


def test_a_noisy_card_shows_a_nonzero_divergence_and_is_judged_by_its_precision(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub(noise=0.05) as url:
        code, text = compare(url, reference, out, label="BF16", dtype="bf16")
    assert code == 0, text
    check = load_results(out).variants[0].consistency
    assert check is not None and check.thresholds.profile == "half"
    s = pass_summary(check.passes[0])
    assert s.kl_mean is not None and s.kl_mean > 0 and s.dlogprob_max is not None and s.dlogprob_max > 0
    # the batch pass compares the card with itself: the toy model is batch-invariant
    assert pass_summary(check.passes[1]).kl_mean == 0.0


def test_thresholds_from_the_command_line_are_recorded_and_judge(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub(noise=0.3) as url:
        code, text = compare(url, reference, out, "--profile", "int4", "--threshold", "int4.kl_pass=1e-9",
                             "--threshold", "int4.kl_fail=0.5", label="INT4", dtype="int4")
    assert code == 0, text
    cv = consistency_verdict(load_results(out))[0]
    assert cv.thresholds.profile == "int4" and cv.thresholds.kl_pass == 1e-9 and cv.thresholds.kl_fail == 0.5
    assert cv.verdict in ("deviates", "inconsistent") and "按 4 比特量化阈值" in cv.statement_zh
    code, text = compare("http://127.0.0.1:9", reference, out, "--threshold", "int4.top1_pass=2")
    assert code == 2 and "agreements lie in 0..1" in text


def test_teacher_forcing_falls_back_to_echo_then_to_the_common_prefix(reference: Path, tmp_path: Path) -> None:
    ref = load_reference(reference)
    target = ref.prompts[2]
    for kwargs, method in (({"prompt_logprobs": False}, "echo"), ({"prompt_logprobs": False, "echo": False}, "common_prefix")):
        out = tmp_path / f"{method}.json"
        with ConsistencyStub(flips={tuple(target.prompt_tokens): 3}, **kwargs) as url:  # type: ignore[arg-type]
            code, text = compare(url, reference, out)
        assert code == 0, text
        p = load_results(out).variants[0].consistency.passes[0]  # type: ignore[union-attr]
        assert p.method == method
        flipped = next(x for x in p.prompts if x.id == target.id)
        assert [i for i, ok in enumerate(flipped.top1) if not ok] == [3]
        if method == "common_prefix":  # positions up to the first difference only
            assert len(flipped.top1) == 4
            assert "只覆盖共同前缀" in render_markdown(load_results(out))
        else:
            assert len(flipped.top1) == len(flipped.baseline_tokens)


def test_a_reference_of_another_model_is_not_compared(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub(root="/models/other-1.5b", model="other") as url:
        code, text = invoke("consistency", "--reference", str(reference), "--base-url", url, "--model", "other",
                            "--model-name", "Other-1.5B-GPTQ-Int4", "--precision", "INT4", "-o", str(out))
    assert code == 2 and "not compared: the reference is of model Toy-7B, this variant of Other-1.5B-GPTQ-Int4" in text
    results = load_results(out)
    check = results.variants[0].consistency
    assert check is not None and not check.passes and check.error is not None
    findings = [f for f in check_results(results) if f.check == "consistency_reference"]
    assert findings and findings[0].severity == "error"
    assert consistency_verdict(results)[0].verdict == "undetermined"
    assert "INT4 与参考卡输出一致性：无法判定（不予比较：参考的模型为 Toy-7B" in render_markdown(results)


def test_a_quantised_checkpoint_of_the_reference_model_is_compared(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub(root="/models/Toy-7B-GPTQ-Int4", noise=0.2) as url:
        code, text = compare(url, reference, out, label="INT4", dtype="int4")
    assert code == 0, text
    assert consistency_verdict(load_results(out))[0].thresholds.profile == "int4"


def test_template_mismatch_and_failed_prompts_are_findings(reference: Path, tmp_path: Path) -> None:
    ref = load_reference(reference)
    out = tmp_path / "r.json"
    with ConsistencyStub(template_tag=9, fail_prompts=[tuple(ref.prompts[0].prompt_tokens)]) as url:
        code, text = compare(url, reference, out)
    assert code == 0, text
    results = load_results(out)
    by = {f.check: f for f in check_results(results)}
    # every prompt templated differently: another tokenizer (or template) -> not compared
    assert by["consistency_reference"].severity == "error" and "分词结果都与参考不同" in by["consistency_reference"].message_zh
    assert by["consistency_coverage"].severity == "warning"  # 1 of 12 is 8 %, under 10 %
    assert "1 of 12 prompts failed" in by["consistency_coverage"].message


def test_a_card_without_tokenize_is_compared_and_a_reference_server_without_it_is_one_line(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub(tokenize=False) as url:
        code, text = compare(url, reference, out)
        assert code == 0, text
        code2, text2 = invoke("reference", "record", "--base-url", url, "--model", "toy", "--limit", "2", "-o", str(tmp_path / "x.json"))
    p = load_results(out).variants[0].consistency.passes[0]  # type: ignore[union-attr]
    assert {x.template_match for x in p.prompts} == {None} and pass_summary(p).exact == 1.0
    assert code2 == 2 and "no prompt could be recorded (first: /tokenize: HTTP 404" in text2 and "Traceback" not in text2
    assert not (tmp_path / "x.json").exists()


def test_the_document_section_numbers_follow_it(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    with ConsistencyStub() as url:
        code, _ = compare(url, reference, out)
    assert code == 0
    md = render_markdown(load_results(out))
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    i = heads.index("## 5. 与参考卡输出一致性")
    assert heads[i - 1].startswith("## 4.") and heads[i + 1].startswith("## 6. ") and heads[i + 3] == "## 8. 数据有效性检查"
    for sub in ("### 5.1 参考", "### 5.2 比较结果与判定", "### 5.3 差异最大的提示词", "### 5.4 批次不变性"):
        assert sub in md
    assert "| 提示词集 | 内置提示词集第 1 版（12 个，sha256 " in md
    assert "- FP16 与参考卡输出一致性：一致（top-1 一致率 100.0% ≥ 99.0%，平均 KL 0 ≤ 0.001；参考：参考 GPU（fp16，vllm 0.0-stub）；" in md
    assert "（见 [5](#s5)）" in md and "### 8.1 与参考卡输出一致性" in md  # 12 prompts < 50: a warning
    assert "判定只基于 12 个提示词（少于 50 个）" in md


def test_batch_pass_sends_batch_size_requests_at_once(reference: Path, tmp_path: Path) -> None:
    stub = ConsistencyStub()
    url = stub.start()
    try:
        code, text = compare(url, reference, tmp_path / "r.json")
    finally:
        stub.stop()
    assert code == 0, text
    assert stub.max_in_flight == 4
    check = load_results(tmp_path / "r.json").variants[0].consistency
    assert check is not None and reference_pass(check) is not None and batch_pass(check) is not None
    assert batch_pass(check).batch_size == 4  # type: ignore[union-attr]


# --------------------------------------------------------------------------- compare and collect


def test_compare_puts_two_cards_side_by_side(reference: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    with ConsistencyStub() as url:
        assert compare(url, reference, a)[0] == 0
    with ConsistencyStub(noise=0.5) as url:
        assert compare(url, reference, b)[0] == 0
    out = tmp_path / "cmp"
    code, text = invoke("compare", str(a), str(b), "--format", "md", "-o", str(out))
    assert code == 0, text
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    section = md.split("### 4.1 与参考卡输出一致性", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith("| FP16 |"))
    a_cell, b_cell = row.removesuffix(" |").split(" | ")[1:3]
    assert a_cell.startswith("一致（FP16）<br>top-1 一致率 100.0%，平均 KL 0<br>完全一致率 100.0%，首词元一致率 100.0%")
    want = consistency_verdict(load_results(b))[0]
    assert want.summary is not None and want.summary.kl_mean is not None and want.summary.kl_mean > 0
    assert b_cell.startswith(f"{want.judgement.verdict_zh}（FP16）<br>top-1 一致率 {want.summary.top1 * 100:.1f}%")  # type: ignore[operator]
    assert a_cell.endswith("参考：参考 GPU（fp16，vllm 0.0-stub）") and b_cell.endswith("参考：参考 GPU（fp16，vllm 0.0-stub）")


def test_collect_stage_consistency_from_a_plan(reference: Path, tmp_path: Path) -> None:
    with ConsistencyStub(noise=0.05) as url:
        plan = tmp_path / "plan.toml"
        plan.write_text(f"""
[serving]
batch_sizes = [1, 2]
[[variants]]
label = "BF16"
model = "Toy-7B"
precision = "bf16"
served_model_name = "toy"
base_url = "{url}"
[consistency]
reference = "{reference}"
limit = 6
thresholds = {{ half = {{ kl_pass = 0.5 }} }}
""", encoding="utf-8")
        out = tmp_path / "r.json"
        code, text = invoke("collect", "--plan", str(plan), "--only", "consistency", "-o", str(out))
    assert code == 0, text
    check = load_results(out).variants[0].consistency
    assert check is not None and check.thresholds.profile == "half" and check.thresholds.kl_pass == 0.5
    assert [(p.baseline, p.batch_size, len(p.prompts)) for p in check.passes] == [("reference", 1, 6), ("batch1", 2, 6)]
    assert "consistency: BF16 vs the reference card" in text


def test_plan_rejects_an_unknown_threshold(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[consistency]\nreference = "r.json"\nthresholds = { half = { top_1 = 0.9 } }\n', encoding="utf-8")
    code, text = invoke("collect", "--plan", str(plan), "--only", "consistency", "-o", str(tmp_path / "r.json"))
    assert code == 2 and "half.top_1: not a threshold" in text and "Traceback" not in text


LIVE = Path(__file__).resolve().parent.parent / "samples" / "live-cpu.json"


@pytest.mark.skipif(not LIVE.is_file() or '"consistency": {' not in LIVE.read_text(encoding="utf-8"),
                    reason="samples/live-cpu.json predates the consistency step: rebuild it with samples/build-live-sample.sh")
def test_live_sample_compares_the_bfloat16_variants_with_a_float32_reference() -> None:
    """The live sample: a bfloat16 and a float32 deployment, each against the float32 reference (recorded
    by samples/build-live-sample.sh from the same model served in float32)."""
    results = load_results(LIVE)
    verdicts = {cv.label: cv for cv in consistency_verdict(results)}
    assert set(verdicts) == {"BF16", "FP32"}
    for v in results.variants:
        check = v.consistency
        assert check is not None and check.reference.dtype == "fp32" and check.reference.prompts == 60
        assert [(p.baseline, p.batch_size, len(p.prompts)) for p in check.passes] == [("reference", 1, 60), ("batch1", 8, 60)]
        s = pass_summary(check.passes[0])
        assert s.errors == 0 and s.kl_mean is not None
        assert verdicts[v.label].verdict != "undetermined"
    assert pass_summary(results.variant("BF16").consistency.passes[0]).kl_mean > 0  # type: ignore[union-attr]  # bfloat16: not identical
    # thresholds by the two precisions: bfloat16 against a float32 reference, float32 against float32
    assert verdicts["BF16"].thresholds.profile == "half" and verdicts["FP32"].thresholds.profile == "same"
    md = render_markdown(results)
    assert "\n## 5. 与参考卡输出一致性\n" in md and "\n## 8. 数据有效性检查\n" in md
