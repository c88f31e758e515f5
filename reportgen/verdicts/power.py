"""Whether a cell's power and energy may be printed, and if not, why (「功耗数据不完整」).

One answer for 3.3, 3.4 and 3.5: the power-validity reason codes (``reportgen.validity.frontier
.power_problems``, as InferenceX's ``power_valid``: a gap beyond three sampling intervals, readings
from another number of devices than the cards the server used) and the telemetry findings on the
cell (readings covering too little of the window, stored figures the samples do not give).
"""

from __future__ import annotations

from collections.abc import Iterable

from reportgen.frontier import variant_cards
from reportgen.results import Finding, ModelVariant, ServingCell
from reportgen.validity.frontier import POWER_PROBLEMS_ZH, power_problems

INCOMPLETE = "功耗数据不完整"
#: Findings on a cell after which its power and energy are not printed.
POWER_FINDINGS = ("telemetry_coverage", "energy_recomputed")
#: Power problems the views already show as missing figures (no series, no readings), or that a
#: finding above words (coverage).
_SAID_ELSEWHERE = ("no_telemetry", "no_power_readings", "coverage_below_min")


def power_incomplete(cell_findings: Iterable[Finding], v: ModelVariant, c: ServingCell) -> str:
    """Why the cell's power figures are incomplete, in plain words ("": they may be printed)."""
    words = [POWER_PROBLEMS_ZH[p] for p in power_problems(c, variant_cards(v).n) if p not in _SAID_ELSEWHERE]
    words += [f.message_zh or f.message for f in cell_findings if f.check in POWER_FINDINGS]
    return "；".join(dict.fromkeys(words))
