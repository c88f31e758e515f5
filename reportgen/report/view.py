"""Results -> document view: everything the template shows, as formatted strings.

The view decides what each section says and formats every number (``formatting``);
derived figures (speedup, prefill tokens/s) come from ``reportgen.metrics`` and
findings from ``reportgen.validity``. The template only lays the view out: it does
no arithmetic and sees no raw numbers. Missing data becomes ``未测试（reason）``;
a sparse or empty ``Results`` still yields every section.

Table cells are plain text (multi-line with ``\\n``); the template escapes them for
Markdown. Code blocks are raw text, fenced by the template.

Each section is built in its own module (``cover_view``, ``environment_view``, ``deployment_view``,
``serving_view``, ``accuracy_scores_view``, ``consistency_view``, ``embedding_runs_view``, ``findings_view``; the data
types are in ``view_types``); this module assembles them into one ``DocumentView``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reportgen.report.accuracy_scores_view import accuracy_scores_view
from reportgen.report.accuracy_view import accuracy_view
from reportgen.report.capacity_view import capacity_statements, capacity_view
from reportgen.report.conclusion import ConclusionView, Statement, conclusion
from reportgen.report.consistency_view import ConsistencyView, consistency_statements, consistency_view
from reportgen.report.cover_view import cover_view
from reportgen.report.deployment_view import deployment_view
from reportgen.report.embedding_runs_view import embedding_runs_view
from reportgen.report.environment_view import environment_view, unlabelled_facts
from reportgen.report.findings_view import findings_view
from reportgen.report.frontier_view import frontier_view
from reportgen.report.provenance import ProvenanceView, RawBlock, provenance, raw_blocks
from reportgen.report.serving_view import DETAIL_LIMIT, serving_view
from reportgen.report.soak_view import soak_view
from reportgen.report.view_types import (
    AccuracyVariantView,
    AccuracyView,
    CaseView,
    CoverView,
    DeploymentStepView,
    DeploymentView,
    EmbeddingRunView,
    EmbeddingView,
    EnvironmentView,
    FindingGroupView,
    FindingsView,
    FunctionalView,
    ServingView,
    Table,
)
from reportgen.results import Finding, Results

# check_results is looked up here at call time (tests replace it); CHECK_TITLES_ZH is the dict
# the findings section reads, importable from here as before the split.
from reportgen.validity import CHECK_TITLES_ZH, check_results
from reportgen.verdicts.sections import SectionNumbers, section_numbers
from reportgen.verdicts.states import STATUS_ZH

# --------------------------------------------------------------------------- document view type


@dataclass
class DocumentView:
    cover: CoverView
    conclusion: ConclusionView
    environment: EnvironmentView
    deployment: DeploymentView
    serving: ServingView
    accuracy: AccuracyView
    embedding: EmbeddingView
    reranker: EmbeddingView
    findings: FindingsView
    accuracy_extra: dict[str, Any]  # reportgen.report.accuracy_view: verdicts, run summary, per-subject appendix
    capacity: Any = None  # reportgen.report.capacity_view.CapacityView: section 3.5
    consistency: ConsistencyView | None = None  # 与参考卡输出一致性, right after section 4 (left out when absent)
    sections: SectionNumbers = SectionNumbers(consistency=None, embedding="5", reranker="6", findings="7")
    frontier: Any = None  # reportgen.report.frontier_view.FrontierView: 性能前沿 (after 3.5, or 3.5 without it)
    soak: Any = None  # reportgen.report.soak_view.SoakView: 稳定性测试 (the next number)
    raw: list[RawBlock] = field(default_factory=list)  # appendix: benchmark and evaluation output as printed
    provenance: ProvenanceView | None = None  # appendix 数据来源与可追溯性
    raw_note: str | None = None  # says how many serving blocks appendix B leaves out (more cells than DETAIL_LIMIT)


# --------------------------------------------------------------------------- entry point


def frontier_statements(results: Results, findings: list[Finding], section: str) -> list[Statement]:
    """The 结论 page's frontier line per variant and shape (``reportgen.frontier.frontier_summary``)."""
    from reportgen.frontier import frontier_summary

    return [Statement(text=s.text, section=section) for s in frontier_summary(results, findings)]


def soak_statements(results: Results, section: str) -> list[Statement]:
    """The 结论 page's stability line per soak run (``reportgen.soak.soak_verdict``)."""
    from reportgen.soak import soak_verdict

    return [Statement(text=s.text, section=section) for s in soak_verdict(results)]


def build_view(
    results: Results,
    *,
    source: str | None = None,
    findings: list[Finding] | None = None,
    conclusion_extra: list[Statement] | None = None,
) -> DocumentView:
    """The whole document as formatted strings. Findings are recomputed from the data, not read
    from the file (``findings``: this render's findings when the caller already computed them,
    so the charts and the text use one list). ``conclusion_extra``: more statements for the
    结论 page (e.g. a capacity statement per variant)."""
    if findings is None:
        findings = check_results(results)
    findings_section, numbers = findings_view(results, findings)
    sections = section_numbers(results)
    capacity = capacity_view(results)
    n = 5 + capacity.present  # 3.5 容量 when there is one, then 性能前沿, then 稳定性测试
    frontier = frontier_view(results, findings, f"3.{n}")
    soak = soak_view(results, f"3.{n + frontier.present}")
    extra = (capacity_statements(results) + frontier_statements(results, findings, frontier.heading.split()[0])
             + soak_statements(results, soak.heading.split()[0]) + consistency_statements(results)
             + list(conclusion_extra or []))
    raw, raw_omitted = raw_blocks(results, DETAIL_LIMIT)
    return DocumentView(
        cover=cover_view(results, source),
        conclusion=conclusion(results, findings, extra=extra),
        environment=environment_view(results),
        deployment=deployment_view(results),
        serving=serving_view(results, findings, numbers),
        accuracy=accuracy_scores_view(results, findings),
        embedding=embedding_runs_view(results, "embedding", int(sections.embedding), "模型推理部署"),
        reranker=embedding_runs_view(results, "reranker", int(sections.reranker), "模型推理"),
        findings=findings_section,
        accuracy_extra=accuracy_view(results),
        capacity=capacity,
        frontier=frontier,
        soak=soak,
        consistency=consistency_view(results, findings),
        sections=sections,
        raw=raw,
        raw_note=(f"另有 {raw_omitted} 段性能测试输出未在此列出（用例超过 {DETAIL_LIMIT} 个时只列前 {DETAIL_LIMIT} 段），"
                  "原文完整保存在结果文件中（各用例的 import_info.text）。") if raw_omitted else None,
        provenance=provenance(results, source, unlabelled_facts(results)),
    )


__all__ = [
    "CHECK_TITLES_ZH",
    "STATUS_ZH",
    "AccuracyVariantView",
    "AccuracyView",
    "CaseView",
    "CoverView",
    "DeploymentStepView",
    "DeploymentView",
    "DocumentView",
    "EmbeddingRunView",
    "EmbeddingView",
    "EnvironmentView",
    "FindingGroupView",
    "FindingsView",
    "FunctionalView",
    "ServingView",
    "Table",
    "build_view",
    "check_results",
    "unlabelled_facts",
]
