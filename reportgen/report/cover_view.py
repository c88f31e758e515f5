"""The cover page: title, card, model, evaluation period, signatures."""

from __future__ import annotations

from reportgen.report.provenance import evaluation_period
from reportgen.report.view_helpers import UNRECORDED, join_distinct, model_name
from reportgen.report.view_types import CoverView, Table
from reportgen.results import Results

SIGN_BLANK = "________________"


def cover_view(results: Results, source: str | None) -> CoverView:
    """Title, card, model, evaluation period (from the data), organisation, report number,
    tester, reviewer, date of issue; a blank line to sign where the plan or TOML gives none."""
    facts = results.environment.facts
    sub = results.subject
    card = sub.card
    if not card:
        parts = [facts[k].value for k in ("accelerator.vendor", "accelerator.model") if k in facts and facts[k].present]
        card = join_distinct([str(p) for p in parts], " ") or None
    rows = [
        ["加速卡", card or UNRECORDED],
        ["模型", model_name(results) or UNRECORDED],
        ["评测时间", evaluation_period(results) or UNRECORDED],
        ["评测单位", sub.organization or SIGN_BLANK],
        ["报告编号", sub.report_number or SIGN_BLANK],
        ["测试人员", sub.tester or SIGN_BLANK],
        ["审核人员", sub.reviewer or SIGN_BLANK],
        ["签发日期", sub.issued_on or SIGN_BLANK],
    ]
    return CoverView(title=results.title, table=Table(["项目", "内容"], rows))
