"""The rule registry: every evidence rule declared once, with everything a reader needs about it.

A rule is a small function registered with ``@rule(...)``: its stable reason code (the
``Finding.check`` of what it finds), its family, its scope, the severities it can give, a
one-line description with its threshold, where the threshold comes from and why, the remedy
(what to re-run, how) in English and Chinese, and its title in Chinese. ``docs/validity.md`` is
generated from these declarations (``scripts/validity_reference.py``).

Scopes -- how the runner (``reportgen.validity.runner``) calls the function:

* ``cell``     -- ``fn(cell, variant)`` for every serving cell (also the capacity probes' cells);
* ``variant``  -- ``fn(variant)``: the batch-size matrix, repeats, accuracy per variant;
* ``results``  -- ``fn(results)``: rules across variants, or that need the environment.

A rule yields ``Issue``s whose message is a row of the message table
(``reportgen.validity.messages``) keyed by the rule's code, with named arguments: the evidence
values it used. The runner turns them into ``Finding``s.

Registering a rule from another module::

    from reportgen.validity.messages import say
    from reportgen.validity.registry import Issue, Source, rule

    @rule("my_rule", family="serving", scope="cell", severity="warning",
          description="what it checks, with its threshold -> warning",
          source=Source("ours", "why this threshold"),
          remedy=("what to re-run, how", "重测的做法"), title_zh="检查项的中文标题")
    def _my_rule(cell, v):
        if ...:
            yield Issue("warning", say("my_rule", value=...))

then add its rows to ``MESSAGES`` and its module to the imports in ``reportgen/validity/__init__.py``
(the import registers it; the import order is the order of findings within one cell).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reportgen.messages import Msg

if TYPE_CHECKING:
    from reportgen.results import EmbeddingRun, ModelVariant, ServingCell
    from reportgen.validity.messages import Say

Severity = Literal["error", "warning", "note"]
Scope = Literal["cell", "variant", "results"]

#: The families of evidence rules, in the order docs/validity.md lists them, with their names.
Family = Literal["serving", "open_loop", "accuracy", "functional", "embedding", "consistency", "variant_identity", "telemetry",
                 "derived", "soak"]
FAMILIES: dict[str, tuple[str, str]] = {
    "serving": ("serving cell", "性能用例"),
    "open_loop": ("open loop", "开环负载"),
    "accuracy": ("accuracy", "精度评测"),
    "functional": ("functional check", "功能测试"),
    "embedding": ("embedding and reranker", "向量与重排序模型"),
    "consistency": ("consistency with a reference card", "与参考卡输出一致性"),
    "variant_identity": ("variant identity", "版本身份"),
    "telemetry": ("telemetry", "加速卡遥测"),
    "derived": ("derived value", "派生数值"),
    "soak": ("soak / stability", "稳定性测试"),
}

#: Where a threshold comes from.
Origin = Literal["MLPerf", "InferenceX", "AISBench", "guidellm", "vLLM", "ours"]
ORIGINS: dict[str, str] = {
    "MLPerf": "MLPerf Inference (LoadGen rules, compliance tests)",
    "InferenceX": "InferenceX (SemiAnalysis)",
    "AISBench": "AISBench (Huawei Ascend)",
    "guidellm": "guidellm",
    "vLLM": "vLLM's benchmark (how it computes and prints its figures)",
    "ours": "our own reasoning",
}


@dataclass(frozen=True)
class Source:
    """Where a rule's threshold comes from (``origin``) and, in a few words, why it is what it is."""

    origin: Origin
    why: str


@dataclass(frozen=True)
class Issue:
    """What a rule function yields; the runner turns it into a ``Finding``.

    ``message``: a row of the message table keyed by the rule's code (``say(code, ...)``), whose
    arguments are the evidence values; a plain ``Msg`` only from a rule registered with the legacy
    ``_check`` (its finding then has no arguments)."""

    severity: Severity
    message: Say | Msg
    cell: ServingCell | None = None  # the cell concerned (defaults to the cell being checked)
    variant: ModelVariant | None = None  # results-scope rules: the variant concerned
    benchmark: str | None = None
    embedding: EmbeddingRun | None = None  # embedding rules: the run concerned (its precision goes in the finding)


RuleFn = Callable[..., Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    code: str  # stable snake_case reason code: Finding.check
    family: Family
    scope: Scope
    severity: str  # "error", "warning", "error or warning" (what decides which: in the description), or "note"
    description: str  # English, one line: what it checks, with its threshold
    source: Source
    remedy: Msg  # what to re-run and how, in English and Chinese
    title_zh: str  # the document's name for the rule (section 7's 检查项)
    fn: RuleFn

    @property
    def name(self) -> str:
        """The code, under the name the registry used before it had families (``Check.name``)."""
        return self.code


RULES: list[Rule] = []

#: code -> Chinese title, filled as rules register (legacy modules may ``update`` it for theirs).
CHECK_TITLES_ZH: dict[str, str] = {}


def rule(
    code: str,
    *,
    family: Family,
    scope: Scope,
    severity: str,
    description: str,
    source: Source,
    remedy: tuple[str, str],
    title_zh: str,
) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function as the rule ``code`` (see the module doc)."""
    if severity not in ("error", "warning", "error or warning", "note"):
        raise ValueError(f"rule {code!r}: severity {severity!r}")
    if family not in FAMILIES:
        raise ValueError(f"rule {code!r}: unknown family {family!r}")

    def register(fn: RuleFn) -> RuleFn:
        if any(r.code == code for r in RULES):
            raise ValueError(f"rule {code!r} registered twice")
        RULES.append(Rule(code, family, scope, severity, description, source, Msg(*remedy), title_zh, fn))
        if title_zh:
            CHECK_TITLES_ZH[code] = title_zh
        return fn

    return register


def _check(name: str, scope: Scope, description: str) -> Callable[[RuleFn], RuleFn]:
    """The registry's older decorator, kept so that a module written against it
    (``reportgen/validity_<name>.py``: ``@_check(...)`` and ``CHECK_TITLES_ZH.update(...)``)
    registers until it is folded into a family module with a full ``@rule`` declaration. Its
    rules read as family "serving", source "ours" and a generic remedy in docs/validity.md."""
    return rule(
        name, family="serving", scope=scope, severity="error or warning", description=description,
        source=Source("ours", "not yet declared (registered with the legacy _check)"),
        remedy=("check this item, then re-run the cell", "核对该项后重测"), title_zh="",
    )


def rule_of(code: str) -> Rule | None:
    return next((r for r in RULES if r.code == code), None)


def title_zh(code: str) -> str:
    """The Chinese title of a rule (the code itself for an unknown one)."""
    return CHECK_TITLES_ZH.get(code) or code


def remedy_of(code: str) -> Msg | None:
    r = rule_of(code)
    return r.remedy if r is not None else None


def codes_of(family: str) -> frozenset[str]:
    return frozenset(r.code for r in RULES if r.family == family)
