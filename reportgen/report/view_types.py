"""The document view's data types: each section's view as formatted strings and ``Table``s.

``DocumentView``, which holds one of each, is in ``reportgen.report.view``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"table row has {len(row)} cells, header has {len(self.headers)}")


@dataclass
class CoverView:
    title: str
    table: Table


@dataclass
class EnvironmentView:
    table: Table
    devices: Table | None
    notes: list[str]


@dataclass
class DeploymentStepView:
    number: str
    title: str
    description: str | None
    commands: str | None
    output: str | None
    note: str | None
    screen: str | None = None  # an installer's screen (menu), as a code block after the commands
    level: str = "###"  # heading marks: "###" (2.n) or "####" (2.n.m, a step of a group such as docker installation)
    is_group: bool = False  # a group heading ("驱动+软件栈安装--docker方式") whose steps follow


@dataclass
class DeploymentView:
    steps: list[DeploymentStepView]
    missing: str | None


@dataclass
class FunctionalView:
    label: str
    launch_command: str | None
    launch_missing: str
    request: str | None
    request_lang: str
    request_missing: str
    response: str | None
    response_missing: str
    details: Table
    notes: list[str]


@dataclass
class CaseView:
    heading: str
    command: str | None
    printed: str | None
    printed_note: str | None
    overview: Table | None
    latency: Table | None
    notes: list[str]
    missing: str | None
    power: Table | None = None  # power, temperature and energy during the cell (card telemetry)
    power_missing: str | None = None  # "功耗与温度：未测试（…）" when the telemetry has no samples


@dataclass
class ServingView:
    heading: str
    engine: str
    requirements: list[str]
    metric_names: list[str]
    requirements_missing: str | None
    functional: list[FunctionalView]
    functional_missing: str | None
    cases: list[CaseView]
    cases_missing: str | None
    summary: Table | None
    summary_notes: list[str]
    charts: list[tuple[str, str]]  # (file name stem under charts/, title)
    summary_caption: str | None = None  # the input/output lengths, stated once
    steps: list[DeploymentStepView] = field(default_factory=list)  # 3.3's steps before the results
    cases_table: Table | None = None  # imported cells: one table of what each printed (raw output in appendix B)
    cases_command: str | None = None  # their one command, when they share it
    # more cells than serving_view.DETAIL_LIMIT: what 3.3 says instead of a page per cell, and the
    # table of every cell (appendix E)
    overflow_note: str | None = None
    all_cells: Table | None = None


@dataclass
class AccuracyVariantView:
    number: str
    heading: str
    commands: list[str]
    outputs: list[str]
    table: Table


@dataclass
class AccuracyView:
    heading: str
    variants: list[AccuracyVariantView]
    comparison_number: str
    comparison: Table | None
    notes: list[str]
    missing: str | None
    charts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class EmbeddingRunView:
    number: str
    heading: str
    facts: Table
    script: str | None
    command: str | None
    output: str | None
    matrices: list[tuple[str | None, Table]]  # (caption or None, table)
    pairs: Table | None
    reference: str  # the verdict line: "对照检查通过；参照：…；最小余弦相似度 0.999912，要求 ≥ 0.999；…。"
    reference_table: Table | None  # one row per compared value
    throughput: list[tuple[str, Table]]  # (caption, table) per text kind
    notes: list[str]  # "注：…" (the run's warnings)
    error: str | None


@dataclass
class EmbeddingView:
    number: int
    heading: str
    runs: list[EmbeddingRunView]
    missing: str | None


@dataclass
class FindingGroupView:
    title: str
    table: Table


@dataclass
class FindingsView:
    summary: str
    groups: list[FindingGroupView]
