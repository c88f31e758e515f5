"""Results -> document view: everything the template shows, as formatted strings.

The view decides what each section says and formats every number (``formatting``);
derived figures (speedup, prefill tokens/s) come from ``reportgen.metrics`` and
findings from ``reportgen.validity``. The template only lays the view out: it does
no arithmetic and sees no raw numbers. Missing data becomes ``未测试（reason）``;
a sparse or empty ``Results`` still yields every section.

Table cells are plain text (multi-line with ``\\n``); the template escapes them for
Markdown. Code blocks are raw text, fenced by the template.

Each section is built in its own module (``cover_view``, ``environment_view``, ``deployment_view``,
``serving_view``, ``accuracy_scores_view``, ``embedding_runs_view``, ``findings_view``; the data
types are in ``view_types``); this module assembles them into one ``DocumentView``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reportgen.report.accuracy_scores_view import accuracy_scores_view
from reportgen.report.accuracy_view import accuracy_view
from reportgen.report.capacity_view import capacity_statements, capacity_view
from reportgen.report.conclusion import ConclusionView, Statement, conclusion
from reportgen.report.cover_view import cover_view
from reportgen.report.deployment_view import deployment_view
from reportgen.report.embedding_runs_view import embedding_runs_view
from reportgen.report.environment_view import environment_view, unlabelled_facts
from reportgen.report.findings_view import findings_view
from reportgen.report.provenance import ProvenanceView, RawBlock, provenance, raw_blocks
from reportgen.report.serving_view import serving_view
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
    raw: list[RawBlock] = field(default_factory=list)  # appendix: benchmark and evaluation output as printed
    provenance: ProvenanceView | None = None  # appendix 数据来源与可追溯性


# --------------------------------------------------------------------------- entry point


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
    extra = capacity_statements(results) + list(conclusion_extra or [])
    return DocumentView(
        cover=cover_view(results, source),
        conclusion=conclusion(results, findings, extra=extra),
        environment=environment_view(results),
        deployment=deployment_view(results),
        serving=serving_view(results, findings, numbers),
        accuracy=accuracy_scores_view(results),
        embedding=embedding_runs_view(results, "embedding", 5, "bge-large-zh-v1.5", "模型推理部署"),
        reranker=embedding_runs_view(results, "reranker", 6, "bge-reranker-v2-m3", "模型推理"),
        findings=findings_section,
        accuracy_extra=accuracy_view(results),
        capacity=capacity_view(results),
        raw=raw_blocks(results),
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
