"""Validity: evidence rules with reason codes, a results document in, findings out.

Modules (no import circle: the rule modules import ``registry``, ``messages`` and ``numbers``;
this package imports the rule modules, which registers them, and re-exports the public names):

* ``registry``      -- ``Rule``, ``@rule``, ``Issue``, ``Source``, the families (docs/validity.md is made from it);
* ``messages``      -- ``say``, ``Term``, ``Items``: a finding's message from a row of ``message_table``;
* ``numbers``       -- ``Num`` and the printed rounding of imported figures;
* ``serving_cell``, ``serving_stats``, ``serving_bounds``, ``serving_load``, ``serving_matrix``
                    -- the serving family; ``open_loop``, ``telemetry``, ``accuracy``, ``embedding``,
                       ``consistency``;
* ``runner``        -- ``check_results``, ``check_cell``, ``cell_findings``, ``cell_status``, ``cell_order``.

A module of rules is registered by naming it in ``RULE_MODULES`` (importing it registers its
rules); their order is the registry order, the order of findings within one cell. A module
written against the older registry (``from reportgen.validity import CHECK_TITLES_ZH, Issue, Msg,
_check``; ``@_check(name, scope, description)``) still registers when named here; it is folded in by
declaring its rules with ``@rule`` and its messages as rows of ``message_table`` (the registry tests
say what is missing).
"""

from __future__ import annotations

import importlib

from reportgen.messages import Msg
from reportgen.validity.registry import (
    CHECK_TITLES_ZH,
    FAMILIES,
    RULES,
    Issue,
    Rule,
    Severity,
    Source,
    codes_of,
    remedy_of,
    rule,
    rule_of,
    title_zh,
)
from reportgen.validity.registry import (
    _check as _check,  # the older decorator, for modules not yet folded in
)
from reportgen.validity.runner import (
    CellStatus,
    cell_findings,
    cell_order,
    cell_status,
    check_cell,
    check_results,
    status_of,
)
from reportgen.variant_roles import model_key, variant_key

RULE_MODULES: tuple[str, ...] = (
    "reportgen.validity.serving_cell",
    "reportgen.validity.serving_stats",
    "reportgen.validity.serving_bounds",
    "reportgen.validity.serving_load",
    "reportgen.validity.telemetry",
    "reportgen.validity.serving_matrix",
    "reportgen.validity.accuracy",
    "reportgen.validity.embedding",
    "reportgen.validity.open_loop",
    "reportgen.validity.serving_evidence",
    "reportgen.validity.derived",
    "reportgen.validity.accuracy_answers",
    "reportgen.validity.functional",
    "reportgen.validity.variant_identity",
    "reportgen.validity.consistency",
    "reportgen.validity.frontier",
)
for _module in RULE_MODULES:
    importlib.import_module(_module)

#: The registry under its older name (a list of ``Rule``, each with ``.name`` = ``.code``).
CHECKS = RULES
#: The rules about embedding and reranker runs (the document lists their findings apart).
EMBEDDING_CHECKS: frozenset[str] = codes_of("embedding")
#: The rules about consistency with a reference card (their own group in the document too).
CONSISTENCY_CHECKS: frozenset[str] = codes_of("consistency")

__all__ = [
    "CHECKS",
    "CHECK_TITLES_ZH",
    "CONSISTENCY_CHECKS",
    "EMBEDDING_CHECKS",
    "FAMILIES",
    "RULES",
    "RULE_MODULES",
    "CellStatus",
    "Issue",
    "Msg",
    "Rule",
    "Severity",
    "Source",
    "cell_findings",
    "cell_order",
    "cell_status",
    "check_cell",
    "check_results",
    "model_key",
    "remedy_of",
    "rule",
    "rule_of",
    "status_of",
    "title_zh",
    "variant_key",
]
