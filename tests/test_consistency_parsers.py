"""The consistency check's answer parsers, on real vLLM 0.32 answers (tests/fixtures/consistency/) and on
malformed ones: every answer becomes data or one ``AnswerError`` line."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.consistency.client import (
    AnswerError,
    parse_generation,
    parse_teacher_forcing,
    parse_tokenize,
    token_id,
)
from reportgen.consistency.metrics import LOGPROB_FLOOR

DIR = FIXTURES / "consistency"


def load(name: str) -> Any:
    return json.loads((DIR / f"vllm-0.32-cpu-{name}.json").read_text(encoding="utf-8"))


def test_tokenize_gives_the_chat_templated_ids() -> None:
    ids = parse_tokenize(load("tokenize"))
    assert len(ids) == 35 and ids[0] == 6 and ids[-1] == 206  # <|im_start|> ... "assistant\n"


def test_generation_by_token_id_with_its_top_k() -> None:
    g = parse_generation(load("generate"))
    assert g.tokens == [206] * 6 and g.finish_reason == "length"
    assert len(g.logprobs) == len(g.top) == 6
    for lp, top in zip(g.logprobs, g.top):
        assert len(top) == 3 and top[0][0] == 206 and top[0][1] == lp  # greedy: the chosen token is the most likely
        assert [x for _, x in top] == sorted((x for _, x in top), reverse=True)


def test_teacher_forcing_by_prompt_logprobs_and_by_echo_agree_with_generation() -> None:
    """The same 41 ids (35 prompt + 6 generated): both teacher-forcing answers give, for the 6
    continuation positions, exactly the log-probabilities generation gave (float32, one request each)."""
    g = parse_generation(load("generate"))
    pl = parse_teacher_forcing(load("prompt-logprobs"), "prompt_logprobs", 35, g.tokens)
    echo = parse_teacher_forcing(load("echo"), "echo", 35, g.tokens)
    assert [p.logprob for p in pl] == [p.logprob for p in echo] == g.logprobs
    assert [p.top[0] for p in pl] == [t[0] for t in g.top]


def test_token_ids() -> None:
    assert token_id("token_id:4095", "x") == 4095 and token_id("17", "x") == 17
    for bad in ("ĠThe", "token_id:-1", "", None, 3, "token_id:" + "9" * 20):
        with pytest.raises(AnswerError, match="not a token id"):
            token_id(bad, "x")


def _break(doc: Any, path: list[Any], value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for p in path[:-1]:
        node = node[p]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize("path,value,match", [
    (["choices"], [], "no choices"),
    (["choices", 0, "logprobs"], None, "no logprobs"),
    (["choices", 0, "logprobs", "token_logprobs"], [-1.0], "different lengths"),
    (["choices", 0, "token_ids"], [1, 2], "token ids but"),
    (["choices", 0, "logprobs", "token_logprobs", 0], "x", "not a number"),
    (["choices", 0, "logprobs", "token_logprobs", 0], 3.5, "not <= 0"),
    (["choices", 0, "logprobs", "top_logprobs", 0], {}, "non-empty object"),
    (["choices", 0, "logprobs", "top_logprobs", 0], {"Ġthe": -1.0}, "not a token id"),
])
def test_malformed_generation_is_one_line(path: list[Any], value: Any, match: str) -> None:
    with pytest.raises(AnswerError, match=match):
        parse_generation(_break(load("generate"), path, value))


def test_minus_infinity_and_null_logprobs_are_the_floor() -> None:
    doc = load("generate")
    doc["choices"][0]["logprobs"]["token_logprobs"][1] = -math.inf
    doc["choices"][0]["logprobs"]["token_logprobs"][2] = None
    g = parse_generation(doc)
    assert g.logprobs[1] == g.logprobs[2] == LOGPROB_FLOOR


def test_teacher_forcing_answer_too_short_or_without_the_fed_token() -> None:
    g = parse_generation(load("generate"))
    with pytest.raises(AnswerError, match="expected 42 positions"):
        parse_teacher_forcing(load("prompt-logprobs"), "prompt_logprobs", 36, g.tokens)
    with pytest.raises(AnswerError, match="fed token 7 is not listed"):
        parse_teacher_forcing(load("prompt-logprobs"), "prompt_logprobs", 35, [7, *g.tokens[1:]])
    with pytest.raises(AnswerError, match="echo: expected"):
        parse_teacher_forcing({"choices": [{"logprobs": {"top_logprobs": [], "token_logprobs": []}}]}, "echo", 35, g.tokens)


def test_tokenize_without_ids() -> None:
    for doc in ({}, {"tokens": ["a"]}, {"tokens": [True]}, [], {"tokens": [-1]}):
        with pytest.raises(AnswerError):
            parse_tokenize(doc)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(doc=json_values)
def test_any_answer_is_data_or_answer_error(doc: Any) -> None:
    for parse in (parse_generation, lambda d: parse_teacher_forcing(d, "prompt_logprobs", 1, [3]),
                  lambda d: parse_teacher_forcing(d, "echo", 1, [3]), parse_tokenize):
        try:
            parse(doc)
        except AnswerError:
            pass


@settings(max_examples=200, deadline=None)
@given(choice=st.fixed_dictionaries({}, optional={
    "token_ids": st.lists(st.integers(0, 10) | st.text(max_size=3), max_size=3),
    "text": json_values, "finish_reason": json_values,
    "logprobs": st.fixed_dictionaries({}, optional={
        "tokens": st.lists(st.text(max_size=12), max_size=3),
        "token_logprobs": st.lists(st.floats() | st.none(), max_size=3),
        "top_logprobs": st.lists(st.dictionaries(st.sampled_from(["token_id:1", "2", "x"]), st.floats() | st.none(), max_size=3) | st.none(),
                                 max_size=3)}),
}))
def test_near_valid_generation_answers(choice: dict[str, Any]) -> None:
    try:
        g = parse_generation({"choices": [choice]})
    except AnswerError:
        return
    assert len(g.tokens) == len(g.logprobs) == len(g.top)
    assert all(LOGPROB_FLOOR <= x <= 1e-6 for x in g.logprobs)
