"""A variant's performance verdict: are its serving cells usable, which cell is its operating
point, and how fast is it against the baseline -- all read from the findings (``cell_status``).

``performance_verdict`` returns typed data (``PerformanceVerdict``): the verdict state and its
reasons, the cells by status, the operating point and the speedup as cells and numbers. The
document's 结论 page words them (``reportgen.report.conclusion``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reportgen import metrics, slo
from reportgen.results import Finding, ModelVariant, ServingCell
from reportgen.validity import cell_findings, cell_order, cell_status, title_zh
from reportgen.variant_roles import is_quantized
from reportgen.verdicts.states import Reason, State, Verdict

#: The words the document prints today, and the verdict state each stands for.
WORD_STATE: dict[str, State] = {
    "可用": "usable", "部分可用": "doubtful", "可用但存疑": "doubtful", "不可用": "unusable", "未测": "undecidable",
}


def limits_in_force(v: ModelVariant, c: ServingCell) -> dict[str, float]:
    """Every latency limit a cell is judged by: its own (``ServingCell.slo``) and the plan's
    capacity SLO (``CapacitySearch.slo``), the stricter where both name one key."""
    out = dict(c.slo)
    for search in v.capacity:
        for key, limit in search.slo.items():
            out[key] = min(limit, out.get(key, limit))
    return out


@dataclass(frozen=True)
class LimitMiss:
    """A latency limit a cell does not meet: the value reached (None: not measured; for a
    per-request limit, the share of requests meeting it)."""

    key: str
    limit: float
    value: float | None


#: A per-request limit ("tpot_ms") is met when at least this share of the requests meets it.
REQUEST_LIMIT_SHARE = 0.99


def limit_misses(c: ServingCell, limits: Mapping[str, float]) -> list[LimitMiss]:
    """The limits of ``limits`` the cell does not meet (``reportgen.slo`` keys)."""
    m = c.metrics
    out: list[LimitMiss] = []
    if m is None:
        return [LimitMiss(k, v, None) for k, v in limits.items()]
    for k in slo.percentile_keys(limits):
        value = slo.stat_value(getattr(m, f"{k.metric}_ms", None), k)
        if value is None or value > limits[k.name]:
            out.append(LimitMiss(k.name, limits[k.name], value))
    keys = slo.request_keys(limits)
    if keys:
        ok = [r for r in c.requests if not r.warmup and r.ok and r.first_token_s is not None and r.end_s is not None]
        per = {k.name: limits[k.name] for k in keys}
        good = sum(slo.request_good(r, per, metrics.output_tokens(r)) for r in ok)
        share = good / len(ok) if ok else None
        if share is None or share < REQUEST_LIMIT_SHARE:
            out.extend(LimitMiss(k.name, limits[k.name], share) for k in keys)
    return out


def operating_point(v: ModelVariant, findings: list[Finding], *, allow: tuple[str, ...] = ("VALID",)) -> ServingCell | None:
    """The largest batch whose cell is VALID (``allow``: the statuses accepted) and meets every
    latency limit in force (``limits_in_force``)."""
    ok = [c for c in v.serving if c.metrics is not None and c.metrics.completed
          and cell_status(findings, v.label, c.key) in allow and not limit_misses(c, limits_in_force(v, c))]
    closed = [c for c in ok if c.request_rate is None]
    if closed:  # the seed's operating point is a batch size; open-loop cells only where there is none
        return max(closed, key=lambda c: (c.batch_size, -c.input_len, -c.output_len))
    return max(ok, key=lambda c: (c.request_rate or 0.0, -c.input_len, -c.output_len)) if ok else None


@dataclass(frozen=True)
class Closest:
    """When no usable cell meets every limit: per limit in force, the best value any usable cell
    reached (for a per-request limit, the share of requests meeting it) and where."""

    key: str
    limit: float
    value: float | None
    cell: ServingCell | None

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value >= REQUEST_LIMIT_SHARE if slo.SloKey.parse(self.key).stat is None else self.value <= self.limit


def closest(v: ModelVariant, cells: list[ServingCell]) -> tuple[Closest, ...]:
    """Per limit in force over ``cells``: the best value reached and the cell that reached it."""
    out: list[Closest] = []
    limits: dict[str, float] = {}
    for c in cells:
        for k, lim in limits_in_force(v, c).items():
            limits[k] = min(lim, limits.get(k, lim))
    for key, limit in limits.items():
        sk = slo.SloKey.parse(key)
        values: list[tuple[float, ServingCell]] = []
        for c in cells:
            if sk.stat is None:
                miss = next((mm for mm in limit_misses(c, {key: limit}) if mm.key == key), None)
                value = 1.0 if miss is None else miss.value
            else:
                value = slo.stat_value(getattr(c.metrics, f"{sk.metric}_ms", None), sk) if c.metrics else None
            if value is not None:
                values.append((value, c))
        if not values:
            out.append(Closest(key, limit, None, None))
            continue
        value, cell = (max if sk.stat is None else min)(values, key=lambda p: p[0])
        out.append(Closest(key, limit, value, cell))
    return tuple(out)


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
    # no usable cell meets every latency limit in force: per limit, the best value reached
    closest: tuple[Closest, ...] = ()
    functional: Reason | None = None  # the functional check failed: the verdict is at best 存疑
    same_as: Reason | None = None  # one deployment with another variant (code same_deployment): no speedup
    notes: tuple[Reason, ...] = ()  # notes on the operating point's figures (a P99 over a few requests)
    identity: tuple[Reason, ...] = ()  # the label names another deployment (quantization_label, ...)

    @property
    def measured(self) -> tuple[ServingCell, ...]:
        return tuple(sorted(self.valid + self.doubtful + self.invalid, key=cell_order))

    @property
    def outcome(self) -> Verdict:
        """The verdict state and its reasons: the cells in plain words, each rule whose findings
        concern them (its code and title), a failed functional check, one deployment twice."""
        reasons = [Reason("cells", self.detail)] + [Reason(code, title_zh(code)) for code in self.spoiled_by]
        reasons += [r for r in (self.functional, self.same_as, *self.identity) if r is not None]
        return Verdict(WORD_STATE[self.word], tuple(reasons))


#: Variant-identity findings after which a variant's figures are not those of the deployment its
#: label names: its performance verdict is at best 存疑 (the finding sits on the later variant).
CAPPING_IDENTITY = ("same_deployment", "quantization_label")


def _variant_finding(findings: list[Finding], code: str, label: str) -> Finding | None:
    return next((f for f in findings if f.check == code and f.precision == label and f.cell is None), None)


def same_deployment_of(findings: list[Finding], label: str) -> tuple[str, Reason] | None:
    """The other variant ``label`` is one deployment with, and the finding's words."""
    for f in findings:
        if f.check != "same_deployment":
            continue
        other = f.args.get("other") if f.precision == label else f.precision if f.args.get("other") == label else None
        if isinstance(other, str):
            return other, Reason(f.check, f.message_zh or f.message)
    return None


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
    functional = None
    failed = _variant_finding(findings, "functional_failed", v.label)
    if failed is not None and measured:
        functional = Reason(failed.check, failed.message_zh or failed.message)
        if word == "可用":  # a deployment whose answers fail is not usable, however fast
            word = "可用但存疑"
        detail += "；功能测试未通过，该部署的回答不可用"  # why: the functional row and the reason's words
    mislabelled = [f for code in CAPPING_IDENTITY if (f := _variant_finding(findings, code, v.label)) is not None]
    if mislabelled and measured:  # the figures are real, but not of the deployment the label names
        if word == "可用":
            word = "可用但存疑"
        detail += "；数据并非该标签所称的部署（" + "、".join(title_zh(f.check) for f in mislabelled) + "未满足）"
    op = operating_point(v, findings)
    doubtful = False
    if op is None:
        op, doubtful = operating_point(v, findings, allow=("WARNING",)), True
    usable = valid + warn
    near = closest(v, usable) if op is None and usable else ()
    role, speedup = "none", None
    same = same_deployment_of(findings, v.label)
    if base is not None and v is base:
        role = "baseline"
    elif base is not None and is_quantized(v):
        role = "compared"
        if same is None or same[0] != base.label:  # one deployment twice: no speedup is a result
            speedup = _speedup(v, base, measured, status, findings)
    spoiled = dict.fromkeys(f.check for c in measured for f in cell_findings(findings, v.label, c.key)
                            if f.severity != "note")
    notes: tuple[Reason, ...] = ()
    if op is not None:
        notes = tuple(Reason(f.check, f.message_zh or f.message) for f in cell_findings(findings, v.label, op.key)
                      if f.severity == "note")
    return PerformanceVerdict(
        label=v.label, word=word, detail=detail, valid=tuple(valid), doubtful=tuple(warn), invalid=tuple(bad),
        operating_point=op if op is not None and op.metrics is not None else None,
        operating_point_doubtful=doubtful, role=role, speedup=speedup, spoiled_by=tuple(spoiled),
        closest=near, functional=functional, same_as=same[1] if same is not None else None, notes=notes,
        identity=tuple(Reason(f.check, f.message_zh or f.message) for f in mislabelled if f.check != "same_deployment"),
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
