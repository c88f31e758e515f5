"""The cover page: title, card, model, evaluation period, signatures."""

from __future__ import annotations

from reportgen.report.provenance import evaluation_period
from reportgen.report.view_helpers import UNRECORDED, card_name, model_name
from reportgen.report.view_types import CoverView, Table
from reportgen.results import Results, Subject

SIGN_BLANK = "________________"


def period_text(results: Results) -> str:
    """The evaluation period as both documents print it (from the measurements, or the dates
    the imported text prints)."""
    return evaluation_period(results) or UNRECORDED


def signature_rows(subject: Subject) -> list[list[str]]:
    """Organisation, report number, tester, reviewer, date of issue: the plan's or TOML's
    values, a blank line to sign where it gives none (the same rows on every cover)."""
    return [
        ["评测单位", subject.organization or SIGN_BLANK],
        ["报告编号", subject.report_number or SIGN_BLANK],
        ["测试人员", subject.tester or SIGN_BLANK],
        ["审核人员", subject.reviewer or SIGN_BLANK],
        ["签发日期", subject.issued_on or SIGN_BLANK],
    ]


def cover_view(results: Results, source: str | None) -> CoverView:
    """Title, card, model, evaluation period (from the data), organisation, report number,
    tester, reviewer, date of issue; a blank line to sign where the plan or TOML gives none."""
    rows = [
        ["加速卡", card_name(results) or UNRECORDED],
        ["模型", model_name(results) or UNRECORDED],
        ["评测时间", period_text(results)],
        *signature_rows(results.subject),
    ]
    return CoverView(title=results.title, table=Table(["项目", "内容"], rows))
