"""Running the rules: a results document in, findings out, and the one answer to "which
findings concern this cell, and what is its status" that every reader uses.

``check_results`` runs every registered rule and returns ``Finding``s in a deterministic order:
variant by variant in file order, the serving cells by (input length, output length, batch
size), then accuracy by benchmark, then the rest; within one cell in registry order.
``check_cell`` runs the cell rules over one cell (a capacity probe, or a cell that has just
finished while the run goes on).

Severity: ``error`` when the figure cannot be right (it contradicts another figure, or an
arithmetic identity); ``warning`` when it is doubtful, incomplete or explained by a known cause;
``note`` when it is right but means less than it seems (a P99 over 40 requests): the figure is
marked and the note says why, the cell's status does not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from reportgen.messages import Msg
from reportgen.results import CellKey, Finding, ModelVariant, Results, ServingCell
from reportgen.validity.messages import Say
from reportgen.validity.registry import CHECK_TITLES_ZH, RULES, Issue, Rule

CellStatus = Literal["VALID", "INVALID", "WARNING"]


def cell_order(c: ServingCell) -> tuple[int, int, int]:
    """How serving cells are ordered everywhere (findings, summary rows, the document):
    by input length, output length, batch size."""
    return (c.input_len, c.output_len, c.batch_size)


def _finding(rule: Rule, issue: Issue, precision: str | None, cell: ServingCell | None) -> Finding:
    msg = issue.message
    if isinstance(msg, Say):
        if msg.row != rule.code and not msg.row.startswith(rule.code + "."):
            raise ValueError(f"rule {rule.code!r} worded a finding with the row {msg.row!r} of another rule")
        args: dict[str, Any] = msg.evidence()
        row: str | None = msg.row
    else:
        assert isinstance(msg, Msg)
        args, row = {}, None
    return Finding(
        severity=issue.severity,
        precision=precision,
        cell=cell.key if cell is not None else None,
        check=rule.code,
        message=msg.en,
        message_zh=msg.zh,
        benchmark=issue.benchmark,
        message_row=row,
        args=args,
    )


def check_results(results: Results) -> list[Finding]:
    """Run every registered rule; the findings in a deterministic order (see the module doc)."""
    missing = {r.code for r in RULES} - set(CHECK_TITLES_ZH)
    assert not missing, f"rules without a Chinese title: {sorted(missing)}"
    vindex = {id(v): i for i, v in enumerate(results.variants)}
    eindex = {id(r): i for i, r in enumerate(results.embeddings)}
    keyed: list[tuple[tuple[Any, ...], Finding]] = []
    seq = 0

    def add(rule_idx: int, rule: Rule, v: ModelVariant | None, issue: Issue, cell: ServingCell | None) -> None:
        nonlocal seq
        vi = vindex.get(id(v), len(results.variants)) if v is not None else len(results.variants)
        if cell is not None:
            where: tuple[Any, ...] = (0, cell_order(cell))
        elif issue.embedding is not None:
            where = (3, (eindex.get(id(issue.embedding), 0), 0, 0))
        elif issue.benchmark is not None and v is not None:
            bench = [a.benchmark for a in v.accuracy]
            where = (1, (bench.index(issue.benchmark) if issue.benchmark in bench else len(bench), 0, 0))
        else:
            where = (2, (0, 0, 0))
        precision = v.label if v is not None else (issue.embedding.precision if issue.embedding is not None else None)
        keyed.append(((vi, *where, rule_idx, seq), _finding(rule, issue, precision, cell)))
        seq += 1

    for ri, rule in enumerate(RULES):
        if rule.scope == "cell":
            for v in results.variants:
                for cell in v.serving:
                    for issue in rule.fn(cell, v):
                        add(ri, rule, v, issue, issue.cell or cell)
        elif rule.scope == "variant":
            for v in results.variants:
                for issue in rule.fn(v):
                    add(ri, rule, v, issue, issue.cell)
        else:
            for issue in rule.fn(results):
                add(ri, rule, issue.variant, issue, issue.cell)
    keyed.sort(key=lambda kf: kf[0])
    return [f for _, f in keyed]


def check_cell(cell: ServingCell, v: ModelVariant) -> list[Finding]:
    """The findings of the cell rules on one cell, in registry order: a capacity probe's cell
    (not part of ``v.serving``), or a cell just measured. The rules across cells and variants
    (batch scaling, physical bounds, accuracy) need the whole document: ``check_results``."""
    return [_finding(r, issue, v.label, cell) for r in RULES if r.scope == "cell" for issue in r.fn(cell, v)]


# the last list asked about (held, so its identity cannot be reused), its length, and its findings by cell
_BY_CELL: tuple[list[Finding], int, dict[tuple[str | None, CellKey], list[Finding]]] | None = None


def _by_cell(findings: list[Finding]) -> dict[tuple[str | None, CellKey], list[Finding]]:
    """The findings of one list indexed by cell, built once per list: a document asks about every
    cell several times, and a scan per question made thousands of cells quadratic. (Findings
    lists are built whole by ``check_results`` and not changed afterwards.)"""
    global _BY_CELL
    if _BY_CELL is None or _BY_CELL[0] is not findings or _BY_CELL[1] != len(findings):
        index: dict[tuple[str | None, CellKey], list[Finding]] = {}
        for f in findings:
            if f.cell is not None:
                index.setdefault((f.precision, f.cell), []).append(f)
        _BY_CELL = (findings, len(findings), index)
    return _BY_CELL[2]


def cell_findings(findings: Iterable[Finding], label: str, key: CellKey) -> list[Finding]:
    """The findings that concern one serving cell (variant ``label``, cell ``key``): the one
    answer to "which findings are about this cell" for the table, the charts, the conclusion,
    ``summary``, ``validate`` and ``collect``."""
    if isinstance(findings, list):
        return list(_by_cell(findings).get((label, key), ()))
    return [f for f in findings if f.precision == label and f.cell == key]


def status_of(findings: Iterable[Finding]) -> CellStatus:
    """VALID (no finding but notes), INVALID (an error) or WARNING (warnings, no error)."""
    severities = {f.severity for f in findings}
    return "INVALID" if "error" in severities else "WARNING" if "warning" in severities else "VALID"


def cell_status(findings: Iterable[Finding], label: str, key: CellKey) -> CellStatus:
    """VALID, INVALID (an error concerns the cell) or WARNING (warnings do, no error)."""
    return status_of(cell_findings(findings, label, key))
