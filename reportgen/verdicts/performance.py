"""A variant's performance verdict: are its serving cells usable, which cell is its operating
point, and how fast is it against the baseline -- all read from the findings (``cell_status``).

``performance_verdict`` returns typed data (``PerformanceVerdict``): the verdict state and its
reasons, the cells by status, the operating point and the speedup as cells and numbers. The
document's 结论 page words them (``reportgen.report.conclusion``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen import metrics
from reportgen.results import Finding, ModelVariant, ServingCell
from reportgen.validity import cell_findings, cell_order, cell_status, title_zh
from reportgen.variant_roles import is_quantized
from reportgen.verdicts.states import Reason, State, Verdict

#: The words the document prints today, and the verdict state each stands for.
WORD_STATE: dict[str, State] = {
    "可用": "usable", "部分可用": "doubtful", "可用但存疑": "doubtful", "不可用": "unusable", "未测": "undecidable",
}


def slo_met(c: ServingCell) -> bool:
    """Whether the cell meets the plan's latency limits it carries ("ttft_p99_ms" -> limit)."""
    m = c.metrics
    if m is None or not c.slo:
        return True
    for key, limit in c.slo.items():
        parts = key.split("_")
        if len(parts) != 3 or parts[2] != "ms":
            continue
        stats = getattr(m, f"{parts[0]}_ms", None)
        value = getattr(stats, parts[1], None) if stats is not None else None
        if value is None and stats is not None:
            value = stats.percentiles.get(parts[1])
        if isinstance(value, (int, float)) and value > limit:
            return False
    return True


def operating_point(v: ModelVariant, findings: list[Finding], *, allow: tuple[str, ...] = ("VALID",)) -> ServingCell | None:
    """The largest batch whose cell is VALID (``allow``: the statuses accepted) and within the
    plan's latency limits."""
    ok = [c for c in v.serving if c.metrics is not None and c.metrics.completed
          and cell_status(findings, v.label, c.key) in allow and slo_met(c)]
    closed = [c for c in ok if c.request_rate is None]
    if closed:  # the seed's operating point is a batch size; open-loop cells only where there is none
        return max(closed, key=lambda c: (c.batch_size, -c.input_len, -c.output_len))
    return max(ok, key=lambda c: (c.request_rate or 0.0, -c.input_len, -c.output_len)) if ok else None


def cells_text(cells: list[ServingCell]) -> str:
    """「批大小 1、2、4」, 「1、2 请求/秒」, or both: the cells a statement is about, by their load."""
    batches = sorted({c.batch_size for c in cells if c.request_rate is None})
    rates = sorted({c.request_rate for c in cells if c.request_rate is not None})
    parts = [f"批大小 {'、'.join(map(str, batches))}"] if batches else []
    if rates:
        parts.append(f"{'、'.join(f'{r:g}' for r in rates)} 请求/秒")
    return "，".join(parts)


@dataclass(frozen=True)
class Speedup:
    """Output throughput of ``cell`` ÷ that of the baseline's ``base_cell`` (the same case)."""

    value: float | None
    cell: ServingCell
    base_cell: ServingCell
    doubtful: bool  # one of the two cells is doubtful (no pair of valid cells)


@dataclass(frozen=True)
class PerformanceVerdict:
    label: str
    word: str  # the document's word today: 可用 / 部分可用 / 可用但存疑 / 不可用 / 未测
    detail: str  # the cells behind it, in plain words
    valid: tuple[ServingCell, ...]
    doubtful: tuple[ServingCell, ...]
    invalid: tuple[ServingCell, ...]
    operating_point: ServingCell | None
    operating_point_doubtful: bool  # chosen among doubtful cells: no valid cell
    role: str  # "baseline", "compared" (a quantized variant with a baseline), "none"
    speedup: Speedup | None  # role "compared": at the largest case both sides can use
    spoiled_by: tuple[str, ...] = ()  # the codes of the rules whose findings concern its cells

    @property
    def measured(self) -> tuple[ServingCell, ...]:
        return tuple(sorted(self.valid + self.doubtful + self.invalid, key=cell_order))

    @property
    def outcome(self) -> Verdict:
        """The verdict state and its reasons: the cells in plain words, then each rule whose
        findings concern them (its code and title)."""
        reasons = [Reason("cells", self.detail)] + [Reason(code, title_zh(code)) for code in self.spoiled_by]
        return Verdict(WORD_STATE[self.word], tuple(reasons))


def performance_verdict(v: ModelVariant, base: ModelVariant | None, findings: list[Finding]) -> PerformanceVerdict:
    """The performance verdict of one variant (``base``: the variant its speedup divides by)."""
    cells = sorted(v.serving, key=cell_order)
    measured = [c for c in cells if c.metrics is not None]
    status = {id(c): cell_status(findings, v.label, c.key) for c in measured}
    valid = [c for c in measured if status[id(c)] == "VALID"]
    warn = [c for c in measured if status[id(c)] == "WARNING"]
    bad = [c for c in measured if status[id(c)] == "INVALID"]
    if not measured:
        word, detail = "未测", "没有性能测试结果"
    elif not valid and not warn:
        word, detail = "不可用", f"{len(measured)} 个用例全部无效"
    elif not valid and not bad:
        word, detail = "可用但存疑", f"{len(measured)} 个用例全部存疑（只有警告），数值可用但须复核"
    elif bad or warn:
        word = "部分可用"
        parts = [f"{len(valid)} 个有效"] if valid else []
        if warn:
            parts.append(f"{len(warn)} 个存疑（{cells_text(warn)}）")
        if bad:
            parts.append(f"{len(bad)} 个无效（{cells_text(bad)}）")
        detail = f"{len(measured)} 个用例中 " + "、".join(parts)
    else:
        word, detail = "可用", f"{len(measured)} 个用例全部有效"
    op = operating_point(v, findings)
    doubtful = False
    if op is None:
        op, doubtful = operating_point(v, findings, allow=("WARNING",)), True
    role, speedup = "none", None
    if base is not None and v is base:
        role = "baseline"
    elif base is not None and is_quantized(v):
        role = "compared"
        speedup = _speedup(v, base, measured, status, findings)
    spoiled = dict.fromkeys(f.check for c in measured for f in cell_findings(findings, v.label, c.key))
    return PerformanceVerdict(
        label=v.label, word=word, detail=detail, valid=tuple(valid), doubtful=tuple(warn), invalid=tuple(bad),
        operating_point=op if op is not None and op.metrics is not None else None,
        operating_point_doubtful=doubtful, role=role, speedup=speedup, spoiled_by=tuple(spoiled),
    )


def _speedup(v: ModelVariant, base: ModelVariant, measured: list[ServingCell], status: Mapping[int, str],
             findings: list[Finding]) -> Speedup | None:
    """At the largest case where this cell and the baseline's are both VALID (else both usable)."""
    def pairs_of(ok: tuple[str, ...]) -> list[tuple[ServingCell, ServingCell]]:
        out = []
        for c in measured:
            if status[id(c)] not in ok:
                continue
            bc = next((b for b in base.serving if b.key.case() == c.key.case()), None)  # the same load and lengths
            if bc is not None and bc.metrics is not None and cell_status(findings, base.label, bc.key) in ok:
                out.append((c, bc))
        return out

    pairs, doubtful = pairs_of(("VALID",)), False
    if not pairs:
        pairs, doubtful = pairs_of(("VALID", "WARNING")), True
    if not pairs:
        return None
    c, bc = max(pairs, key=lambda p: (p[0].request_rate is None, p[0].batch_size, p[0].request_rate or 0.0))
    assert c.metrics is not None and bc.metrics is not None
    s = metrics.speedup(bc.metrics.output_throughput, c.metrics.output_throughput, True)
    return Speedup(s, c, bc, doubtful)
