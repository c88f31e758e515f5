"""Extractors and scoring on realistic chat replies (Qwen2-style), both modes."""

from __future__ import annotations

import pytest
from conftest import DATASETS

from collectors.accuracy.extract import EXTRACTORS, canonical_number, get_extractor
from reportgen.errors import ReportgenError


def ex(name: str, text: str) -> str | None:
    return EXTRACTORS[name](text)


# ----------------------------------------------------------------- corrected: multiple choice


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("B", "B"),
        ("B. 税收公平原则源于法律上的平等性原则", "B"),
        ("(C)", "C"),
        ("答案是 B", "B"),
        ("答案：D", "D"),
        ("正确答案是C。因为A项说法错误，B项与题意不符。", "C"),
        ("根据税法规定，A项正确，B项错误……综上，答案为A。", "A"),
        ("故选D。", "D"),
        ("The answer is (B).", "B"),
        ("So the answer is (B). ", "B"),  # lm-eval PR #2013: trailing space
        ("Answer: C", "C"),
        ("The correct answer is **D. 6**", "D"),
        ("Option A is tempting, but B is wrong too. The answer is C.", "C"),
        ("Let me think. A says x; B says y. I would pick the answer is A, no wait, the answer is D.", "D"),
        ("A and B are both plausible.", None),  # ambiguous: no guess
        ("I don't know.", None),
        ("All of the above are reasonable.", None),
    ],
)
def test_choice_abcd(reply: str, expected: str | None) -> None:
    assert ex("choice_abcd", reply) == expected


# ----------------------------------------------------------------- swift2024: llmuses parser quirks


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("B", "B"),
        ("答案是 B", "B"),
        ("答案：D", "D"),
        # '答案是?\s?([A|B|C|D])' is the first pattern: tried on the whole text before the others
        ("选项A是错误的，正确答案是C", "C"),
        # 'The answer is (B).' : '[Tt]he answer is [A|B|C|D]' needs a letter right after 'is ';
        # the loose '[A|B|C|D]' fallback then takes the first letter in the text: here 'B'
        ("The answer is (B).", "B"),
        ("Because of A, the answer is (B).", "A"),  # the first capital A-D anywhere wins
        ("I don't know.", None),
        ("42", None),
        ("a|b", None),  # '|' matches '[A|B|C|D]' but holds no option
    ],
)
def test_llmuses_first_option(reply: str, expected: str | None) -> None:
    assert ex("llmuses_first_option", reply) == expected


# ----------------------------------------------------------------- gsm8k


@pytest.mark.parametrize(
    ("reply", "corrected", "swift"),
    [
        ("Janet sells 16 - 3 - 4 = 9 eggs and makes 9 * 2 = $18 every day.\nThe answer is 18.", "18", "18"),
        ("Total: 1,234 + 2,000 = 3,234. The answer is 3,234.", "3234", "3234"),
        ("The answer is $1,250.50.", "1250.5", "1250.50"),
        ("So the answer is 42. Let me double-check with 2 more steps: 40 + 2.", "42", "2"),  # last-number trap
        ("#### 72", "72", "72"),
        ("The final answer is \\boxed{-3}.", "-3", "-3"),
        ("答案是 35 元。", "35", "35"),
        ("There is no number here.", None, None),
    ],
)
def test_numbers(reply: str, corrected: str | None, swift: str | None) -> None:
    assert ex("number", reply) == corrected
    assert ex("llmuses_last_number", reply) == swift


def test_canonical_number() -> None:
    assert canonical_number("1,000") == "1000"
    assert canonical_number("$18.00") == "18"
    assert canonical_number("0.50") == "0.5"
    assert canonical_number("abc") is None


# ----------------------------------------------------------------- bbh


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("... So the answer is (B). ", "B"),  # PR #2013
        ("Step 1 ... the answer is (A) because ... So the answer is (C).", "C"),  # the LAST one
        ("So the answer is **(D)**.", "D"),
        ("(E)", "E"),
        ("I cannot tell.", None),
    ],
)
def test_bbh_choice(reply: str, expected: str | None) -> None:
    assert ex("bbh_choice", reply) == expected


@pytest.mark.parametrize(
    ("reply", "corrected", "swift"),
    [
        ("So the answer is apple banana cherry.", "apple banana cherry", "apple"),  # word_sorting
        ("So the answer is -42.", "-42", "-42"),
        ("The answer is 24, I think. Wait: the answer is 25.", "25", "24"),
        ("So the answer is ) ].", ") ]", ") ]"),  # dyck: no word character, llmuses falls back
        ("So the answer is True. ", "True", "True"),
        ("Answer: valid", "valid", "valid"),
    ],
)
def test_bbh_freeform(reply: str, corrected: str | None, swift: str | None) -> None:
    assert ex("bbh_freeform", reply) == corrected
    assert ex("llmuses_bbh_ff", reply) == swift


def test_llmuses_bbh_mc_ignores_gold_brackets() -> None:
    # llmuses extracts the bare letter; with its gold '(B)' the exact match can never succeed
    assert ex("llmuses_bbh_mc", "So the answer is (B).") == "B"
    assert ex("llmuses_bbh_mc", "the answer is (A) ... So the answer is (C).") == "A"  # first one
    # no capital letter at all: llmuses' _extract_mc_answer returns the leftover text itself
    assert ex("llmuses_bbh_mc", "so the answer is rain man") == "rain man"


def test_unknown_extractor_lists_known() -> None:
    with pytest.raises(ReportgenError, match="unknown extractor 'nope'; known: .*choice_abcd"):
        get_extractor("nope")


# ----------------------------------------------------------------- task scoring (gold normalisers, matchers)


def test_task_scoring_modes() -> None:

    from collectors.accuracy.runner import score_sample
    from collectors.accuracy.tasks import TASKS

    root = DATASETS
    bbh = TASKS["bbh"]
    date = next(it for it in bbh.load(root, "test") if it.id == "date_understanding/0")  # target (B)
    assert score_sample(bbh, "corrected", date, "So the answer is (B). ") == ("B", "B", True)
    assert score_sample(bbh, "swift2024", date, "So the answer is (B). ") == ("B", "(B)", False)

    gsm = TASKS["gsm8k"]
    first = gsm.load(root, "test")[0]  # Janet's ducks: 18
    assert score_sample(gsm, "corrected", first, "The answer is $18.00.") == ("18", "18", True)
    assert score_sample(gsm, "swift2024", first, "The answer is $18.00.")[2] is True
    assert score_sample(gsm, "swift2024", first, "She makes 18 dollars, i.e. 1800 cents")[2] is False
