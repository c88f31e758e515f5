"""Verdicts built on the findings: what the 结论, 3.4 and the other commands conclude.

Beside the rules (``reportgen.validity``) and outside the document's layout (``reportgen.report``),
so that ``compare``, ``summary`` and ``collect`` use them without importing the report. Every
verdict is typed data with a state in the closed set 可用 / 存疑 / 不可用 / 无法判定
(``states``) and its reasons:

* ``states``       -- ``State``, ``Verdict``, ``Reason``, ``cell_verdict``, ``STATUS_ZH``, ``Statement``;
* ``performance``  -- a variant's cells, operating point and speedup (``performance_verdict``);
* ``accuracy``     -- a quantized variant's accuracy against its baseline (``variant_accuracy``);
* ``checks``       -- the functional check and the embedding / reranker runs;
* ``causes``       -- why a cell cannot be used, in plain words, and what to do (the rules' remedies);
* ``conclusion``   -- every verdict of the 结论 at once (``conclusion_verdicts``).
"""

from __future__ import annotations

from reportgen.verdicts.states import (
    CELL_STATE,
    STATE_ZH,
    STATES,
    STATUS_ZH,
    Reason,
    State,
    Statement,
    Verdict,
    cell_verdict,
)

__all__ = ["CELL_STATE", "STATES", "STATE_ZH", "STATUS_ZH", "Reason", "State", "Statement", "Verdict", "cell_verdict"]
