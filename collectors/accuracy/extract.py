"""Answer extractors: pure ``str -> str | None`` functions, registered by name.

``None`` means "no answer found"; the runner counts those as unparsed (and wrong).

Two families:

* ``llmuses_*`` reproduce ms-swift 2.x / llmuses 0.4.x (the tool behind the seed's numbers),
  bugs included: the option parser takes the first A-D letter anywhere (its fallback pattern
  ``[A|B|C|D]`` even matches ``|``), two Chinese patterns are glued together by a missing
  comma, the bbh free-form parser keeps only the first word (``\\w+``: word_sorting fails,
  ``-3`` becomes ``3``), and the first "answer is" wins.
* the corrected ones read the *last* explicit answer statement ("the answer is", "Answer:",
  "答案是", "#### N"), tolerate a trailing space or period (``So the answer is (B). ``,
  lm-evaluation-harness PR #2013), markdown bold and thousands separators, and return
  ``None`` rather than guess when the reply names several options.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

Extractor = Callable[[str], "str | None"]

EXTRACTORS: dict[str, Extractor] = {}


def register(name: str) -> Callable[[Extractor], Extractor]:
    def deco(fn: Extractor) -> Extractor:
        EXTRACTORS[name] = fn
        return fn

    return deco


def get_extractor(name: str) -> Extractor:
    try:
        return EXTRACTORS[name]
    except KeyError:
        from reportgen.errors import ReportgenError

        raise ReportgenError(f"unknown extractor {name!r}; known: {', '.join(sorted(EXTRACTORS))}") from None


# =========================================================================== swift2024 (llmuses 0.4.x)

_O = "A|B|C|D"  # llmuses joins the options with '|' and then puts them in a character class
# The order and the text of these patterns are llmuses' (copied from OpenCompass), including the
# missing comma after the '故选' pattern, which glues it to the next one.
_LLMUSES_CHOICE_PATTERNS = [
    rf"答案是?\s?([{_O}])",
    rf"答案是?\s?：([{_O}])",
    rf"答案是?\s?:([{_O}])",
    rf"答案应该?是\s?([{_O}])",
    rf"答案应该?选\s?([{_O}])",
    rf"答案为\s?([{_O}])",
    rf"答案选\s?([{_O}])",
    rf"选择?\s?([{_O}])",
    rf"故选?\s?([{_O}])" rf"只有选?项?\s?([{_O}])\s?是?对",
    rf"只有选?项?\s?([{_O}])\s?是?错",
    rf"只有选?项?\s?([{_O}])\s?不?正确",
    rf"只有选?项?\s?([{_O}])\s?错误",
    rf"说法不?对选?项?的?是\s?([{_O}])",
    rf"说法不?正确选?项?的?是\s?([{_O}])",
    rf"说法错误选?项?的?是\s?([{_O}])",
    rf"([{_O}])\s?是正确的",
    rf"([{_O}])\s?是正确答案",
    rf"选项\s?([{_O}])\s?正确",
    rf"所以答\s?([{_O}])",
    rf"1.\s?([{_O}])[.。$]?$",
    rf"所以\s?([{_O}][.。$]?$)",
    rf"所有\s?([{_O}][.。$]?$)",
    rf"[\s，：:,]([{_O}])[。，,\.]?$",
    rf"[\s，,：:][故即]([{_O}])[。\.]?$",
    rf"[\s，,：:]因此([{_O}])[。\.]?$",
    rf"[是为。]\s?([{_O}])[。\.]?$",
    rf"因此\s?([{_O}])[。\.]?$",
    rf"显然\s?([{_O}])[。\.]?$",
    r"答案是\s?(\S+)(?:。|$)",
    r"答案应该是\s?(\S+)(?:。|$)",
    r"答案为\s?(\S+)(?:。|$)",
    rf"答案是(.*?)[{_O}]",
    rf"答案为(.*?)[{_O}]",
    rf"固选(.*?)[{_O}]",
    rf"答案应该是(.*?)[{_O}]",
    rf"[Tt]he answer is [{_O}]",
    rf"[Tt]he correct answer is [{_O}]",
    rf"[Tt]he correct answer is:\n[{_O}]",
    rf"(\s|^)[{_O}][\s。，,\.$]",
    rf"[{_O}]",
    rf"^选项\s?([{_O}])",
    rf"^([{_O}])\s?选?项",
    rf"(\s|^)[{_O}][\s。，,：:\.$]",
    rf"(\s|^)[{_O}](\s|$)",
    r"1.\s?(.*?)$",
]
_LLMUSES_CHOICE_RES = [re.compile(p) for p in _LLMUSES_CHOICE_PATTERNS]


@register("llmuses_first_option")
def llmuses_first_option(text: str) -> str | None:
    """``ResponseParser.parse_first_option_with_choices(text, ['A','B','C','D'])``: the first
    pattern that matches decides; the answer is the first of A, B, C, D (in that order, not in
    text order) contained in the whole match."""
    for regex in _LLMUSES_CHOICE_RES:
        m = regex.search(text)
        if m:
            whole = m.group(0)
            for letter in "ABCD":
                if letter in whole:
                    return letter
    return None


_LLMUSES_NUMBER = re.compile(r"([+-])?(?=([0-9]|\.[0-9]))(0|([1-9](\d{0,2}(,\d{3})*)|\d*))?(\.\d*)?(?=\D|$)")


@register("llmuses_last_number")
def llmuses_last_number(text: str) -> str | None:
    """gsm8k: the last number in the reply (commas dropped, a trailing '.' dropped)."""
    matches = list(_LLMUSES_NUMBER.finditer(text))
    if not matches:
        return None
    return matches[-1].group().replace(",", "").replace("+", "").strip().strip(".")


_LLMUSES_FIRST_WORD_RES = [
    re.compile(p)
    for p in (
        r"[Aa]nswer:\s*(\w+)",
        r"[Tt]he correct answer is:\s*(\w+)",
        r"[Tt]he correct answer is:\n\s*(\w+)",
        r"[Tt]he correct answer is:\n\n-\s*(\w+)",
        r"[Tt]he answer might be:\n\n-\s*(\w+)",
        r"[Tt]he answer is \s*(\w+)",
    )
]


@register("llmuses_bbh_mc")
def llmuses_bbh_mc(text: str) -> str | None:
    """bbh multiple choice: after the FIRST 'answer is ', the first '(X)' or first capital;
    with no capital letter at all, the leftover text itself (as llmuses' ``_extract_mc_answer``
    does). The gold label keeps its brackets in swift2024 mode, so a letter never matches;
    the leftover text can match the two all-lower-case targets of ruin_names."""
    parts = text.split("answer is ")
    if len(parts) != 1:
        text = parts[1].strip()
    m = re.search(r"\(([A-Z])\)*", text) or re.search(r"([A-Z])", text)
    return m.group(1) if m else text


@register("llmuses_bbh_ff")
def llmuses_bbh_ff(text: str) -> str | None:
    """bbh free form: the first word after 'Answer:' / 'The answer is', else the first line
    after the first 'answer is ' minus one final '.'."""
    for regex in _LLMUSES_FIRST_WORD_RES:
        m = regex.search(text)
        if m:
            return m.group(1)
    parts = text.split("answer is ")
    if len(parts) != 1:
        text = parts[1].strip()
    text = text.split("\n")[0]
    if text.endswith("."):
        text = text[:-1]
    return text or None


# =========================================================================== corrected

# Explicit answer statements; the LAST one in the reply wins.
_CHOICE_EXPLICIT = re.compile(
    r"(?:答案(?:应该|应)?(?:是|为|选)?|[Aa]nswer(?:\s+is)?|ANSWER)\s*[:：]?\s*(?:选项|[Oo]ption\s*)?"
    r"\**\s*[(（\[]?\s*([A-D])(?![A-Za-z0-9])"
)
_CHOICE_CHOOSE = re.compile(r"(?:选择?|[Cc]hoose|[Ss]elect)\s*[:：]?\s*[(（]?([A-D])(?![A-Za-z0-9])")
_CHOICE_LEADING = re.compile(r"^\W{0,3}([A-D])(?:$|[.。:：、,，)）*])")
_CHOICE_STANDALONE = re.compile(r"(?<![A-Za-z0-9])([A-D])(?![A-Za-z0-9])")


@register("choice_abcd")
def choice_abcd(text: str) -> str | None:
    """One of A-D: the last explicit statement ('答案是 B', 'The answer is (C).', 'Answer: D',
    '故选A'), else a reply that starts with the letter ('B', '(B)', 'B. 税收…'), else the only
    option letter that stands alone in the reply; None when the reply is ambiguous."""
    text = text.strip()
    for regex in (_CHOICE_EXPLICIT, _CHOICE_CHOOSE):
        found = regex.findall(text)
        if found:
            return found[-1]
    m = _CHOICE_LEADING.match(text)
    if m:
        return m.group(1)
    letters = set(_CHOICE_STANDALONE.findall(text))
    if len(letters) == 1:
        return letters.pop()
    return None


_NUMBER = r"-?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER_RE = re.compile(rf"(?<![\w.]){_NUMBER}")
_HASHES = re.compile(rf"####\s*({_NUMBER})")
_BOXED = re.compile(rf"\\boxed\{{\s*({_NUMBER})")
_ANSWER_PHRASE = re.compile(r"(?:[Tt]he (?:final )?answer is|[Aa]nswer\s*[:：]|答案(?:是|为|[:：]))([^\n]*)")


def canonical_number(text: str) -> str | None:
    """'1,234.50' -> '1234.5', '$18' -> '18', '-0' -> '0'; None if it is not a number."""
    cleaned = text.replace(",", "").replace("$", "").replace(" ", "").rstrip(".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


@register("number")
def number(text: str) -> str | None:
    """gsm8k: '#### N', else the number in '\\boxed{N}', else the first number after the last
    'The answer is' / 'Answer:' / '答案是', else the last number; thousands separators dropped."""
    for regex in (_HASHES, _BOXED):
        found = regex.findall(text)
        if found:
            return canonical_number(found[-1])
    for m in reversed(list(_ANSWER_PHRASE.finditer(text))):
        n = _NUMBER_RE.search(m.group(1))
        if n:
            return canonical_number(n.group())
    found = _NUMBER_RE.findall(text)
    return canonical_number(found[-1]) if found else None


_ANSWER_IS = re.compile(r"answer is|answer:", re.IGNORECASE)


def _after_last_answer_is(text: str) -> str | None:
    """The rest of the line after the last 'answer is' (or 'Answer:'), cleaned of ':', bold, a final period
    and spaces (``So the answer is (B). `` -> ``(B)``)."""
    spans = list(_ANSWER_IS.finditer(text))
    if not spans:
        return None
    rest = text[spans[-1].end() :].split("\n")[0]
    rest = rest.replace("**", "").strip().lstrip(":：").strip()
    while rest.endswith((".", "。")):
        rest = rest[:-1].rstrip()
    return rest or None


@register("bbh_choice")
def bbh_choice(text: str) -> str | None:
    """bbh multiple choice: the option letter after the last 'answer is' ('(B)' or 'B'); a reply
    that is only an option ('(B)') counts too."""
    span = _after_last_answer_is(text)
    if span is None:
        span = text.strip().rstrip(".").strip()
        if not re.fullmatch(r"\(?[A-R]\)?", span):
            return None
    m = re.search(r"\(([A-R])\)", span) or re.match(r"([A-R])(?![A-Za-z])", span)
    return m.group(1) if m else None


@register("bbh_freeform")
def bbh_freeform(text: str) -> str | None:
    """bbh free form: the whole answer after the last 'answer is' (all sorted words, a signed
    number, a Dyck sequence); a one-line reply without the phrase is taken whole."""
    span = _after_last_answer_is(text)
    if span is not None:
        return span
    stripped = text.strip()
    if stripped and "\n" not in stripped:
        return stripped.rstrip(".").strip() or None
    return None
