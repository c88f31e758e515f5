"""Functional-check rule: the one request of section 3.2 came back, with text, ended as asked.

``functional_problem`` is the one answer to "did the functional check fail, and why": the rule
words it as a finding, ``reportgen.verdicts.checks`` as the check's 未通过, and the performance
verdict of a variant whose check failed is at best 存疑 (``reportgen.verdicts.performance``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reportgen.results import FunctionalCheck, ModelVariant
from reportgen.validity.messages import Say, say
from reportgen.validity.registry import Issue, Source, rule

_USAGE = {k: re.compile(rf'"{k}"\s*:\s*(\d+)') for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def functional_tokens(fc: FunctionalCheck) -> tuple[int | None, int | None, bool]:
    """(prompt, completion, derived): the completion count from total − prompt when the
    response's usage was cut before ``completion_tokens`` (``derived`` is then True)."""
    prompt, completion = fc.prompt_tokens, fc.completion_tokens
    raw = (fc.raw_response or "").replace("\n", "")
    found = {k: int(m.group(1)) for k, rx in _USAGE.items() if (m := rx.search(raw))}
    prompt = prompt if prompt is not None else found.get("prompt_tokens")
    if completion is None:
        completion = found.get("completion_tokens")
        if completion is None and prompt is not None and "total_tokens" in found:
            return prompt, found["total_tokens"] - prompt, True
    return prompt, completion, False


def functional_problem(fc: FunctionalCheck) -> tuple[str, Say] | None:
    """Why the functional check failed (a code and its words), or None when it passed."""
    if fc.error:
        return "request_error", say("functional_failed.error", error=fc.error)
    if not (fc.response_text or "").strip():
        _, completion, _ = functional_tokens(fc)
        if completion:  # the server generated tokens that decode to nothing (special or blank tokens)
            return "empty_answer", say("functional_failed.empty_tokens", tokens=completion)
        return "empty_answer", say("functional_failed.empty")
    if fc.finish_reason not in (None, "stop", "length"):
        return "finish_reason", say("functional_failed.finish", reason=fc.finish_reason)
    return None


@rule(
    "functional_failed", family="functional", scope="variant", severity="error",
    description="the functional request failed: an error, an empty answer (also when its tokens decode to no text), "
                "or a finish reason other than stop/length -> error; the variant's performance verdict is then at "
                "best doubtful",
    source=Source("ours", "a deployment whose answers are empty is not usable, however fast it streams them"),
    remedy=("look at the server's answer and log (section 3.2): fix the model, its tokenizer or chat template, "
            "then re-run the check", "查看 3.2 节的服务端回答与日志，修正模型、分词器或对话模板后重新进行功能测试"),
    title_zh="功能测试应返回非空的回答并正常结束",
)
def _functional_failed(v: ModelVariant) -> Iterator[Issue]:
    if v.functional_check is None:
        return
    problem = functional_problem(v.functional_check)
    if problem is not None:
        yield Issue("error", say("functional_failed", why=problem[1]))
