"""The performance frontier: throughput per card against interactivity, and what it costs.

Every measured cell of a variant (the batch sweep, a rate sweep, the capacity search's probes)
is one point:

* x, **interactivity** = 1000 / median TPOT (ms): output tokens per second one user sees;
* y, **throughput per card** = the cell's output (or total: input + output) tokens/s ÷ the cards
  the server used (``variant_cards``). Which one is drawn is ``FrontierSettings.throughput``
  (default output, the document's TPS); the two are not comparable across documents.

Only VALID cells become points (``reportgen.validity.cell_status``; a probe's own cell checks);
INVALID and 存疑 cells are drawn as such and never enter the frontier. Points of one variant and one
shape (input/output length, dataset) form one frontier: the Pareto-optimal points, those that no
other point beats on both axes (the upper envelope in the throughput–interactivity plane).

**Reading it at a level** (``read_at``): the frontier's points, by interactivity, are joined by a
monotone cubic spline (Steffen 1990: no overshoot, so the curve stays between neighbouring points
and keeps the frontier's monotone shape), evaluated only inside the measured range. A level above
the highest interactivity measured is 「不可达」; one below the lowest is not measured either (more
load was not tried) and also 「不可达」, with that reason.

**Energy and cost** at a level are reciprocals of the interpolated throughput, never splined
themselves: J/token = P(level) / throughput(level), with the power per card P joined linearly
between the two neighbouring frontier points (both must have valid power,
``reportgen.validity.frontier.power_problems``); cost per million tokens = card-hour price ÷
(3600 × throughput(level)) × 10⁶.

The levels are the plan's ``[frontier] interactivity``; by default 1000 / MLPerf's TPOT limits
(Server and Interactive) of the model's class (``reportgen.slo_presets``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from reportgen.energy import cell_energy
from reportgen.results import CellKey, Finding, FrontierSettings, ModelVariant, Results, ServingCell
from reportgen.slo_presets import CLASSES, ModelClass, class_for
from reportgen.validity import CellStatus, cell_status, check_results

__all__ = [
    "CardCount", "Frontier", "FrontierPoint", "IsoValue", "Levels", "frontier_levels", "frontier_summary", "frontiers",
    "pareto", "read_at", "settings_of", "steffen", "variant_cards",
]

Kind = Literal["output", "total"]
Reason = Literal["above_range", "below_range", "no_frontier"]


# --------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class CardCount:
    """How many cards the variant's server used, and how that is known."""

    n: int | None  # None: unknown (figures are per server then)
    source: Literal["recorded", "launch_command", "unknown"]
    detail: str = ""  # "tensor parallel 2 × pipeline parallel 1 × data parallel 1"

    @property
    def divisor(self) -> int:
        return self.n or 1


_PARALLEL = (
    (("--tensor-parallel-size", "-tp"), "张量并行"),
    (("--pipeline-parallel-size", "-pp"), "流水线并行"),
    (("--data-parallel-size", "-dp"), "数据并行"),
)


def _flag(argv: list[str], names: tuple[str, ...]) -> int | None:
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                value = argv[i + 1]
            elif a.startswith(n + "="):
                value = a.split("=", 1)[1]
            else:
                continue
            return int(value) if value.isdigit() else None
    return None


def variant_cards(v: ModelVariant) -> CardCount:
    """The recorded count (plan ``cards``, ``--cards``), else tensor × pipeline × data parallel read
    from a vLLM launch command (each 1 when absent), else unknown."""
    if v.cards is not None:
        return CardCount(v.cards, "recorded")
    cmd = v.server.launch_command
    if cmd and re.search(r"\bvllm\b", cmd):
        try:
            argv = shlex.split(cmd)
        except ValueError:
            argv = cmd.split()
        sizes = [(_flag(argv, names), zh) for names, zh in _PARALLEL]
        n = 1
        for size, _ in sizes:
            n *= size or 1
        detail = " × ".join(f"{zh} {size or 1}" for size, zh in sizes)
        return CardCount(n, "launch_command", detail)
    return CardCount(None, "unknown")


# --------------------------------------------------------------------------- points and the Pareto set


@dataclass(frozen=True)
class FrontierPoint:
    label: str  # variant
    key: CellKey
    origin: Literal["matrix", "capacity"]
    interactivity: float  # tok/s per user: 1000 / median TPOT (ms)
    output_per_card: float  # output tok/s ÷ cards
    total_per_card: float  # (input + output) tok/s ÷ cards
    status: CellStatus
    power_per_card_w: float | None = None  # average power ÷ cards, only where the power is valid
    power_problems: tuple[str, ...] = ()  # reason codes why there is no valid power (reportgen.validity.frontier)

    def y(self, kind: Kind) -> float:
        return self.output_per_card if kind == "output" else self.total_per_card


@dataclass(frozen=True)
class Frontier:
    """One variant at one shape: every point drawn, and the Pareto-optimal ones, by interactivity."""

    label: str
    model: str | None
    shape: tuple[int, int, str]  # (input_len, output_len, dataset)
    cards: CardCount
    kind: Kind
    points: list[FrontierPoint]  # all measured points, any status
    hull: list[FrontierPoint] = field(default_factory=list)  # the frontier: VALID points only, interactivity ascending

    @property
    def measured_range(self) -> tuple[float, float] | None:
        return (self.hull[0].interactivity, self.hull[-1].interactivity) if self.hull else None


def pareto(points: Sequence[FrontierPoint], kind: Kind) -> list[FrontierPoint]:
    """The points no other point beats on both interactivity and throughput (ties: one kept),
    by interactivity ascending (throughput then descends)."""
    out: list[FrontierPoint] = []
    best = float("-inf")
    for p in sorted(points, key=lambda p: (-p.interactivity, -p.y(kind))):
        if p.y(kind) > best:
            out.append(p)
            best = p.y(kind)
    return out[::-1]


# --------------------------------------------------------------------------- Steffen's monotone spline


def steffen(xs: Sequence[float], ys: Sequence[float]) -> Callable[[float], float]:
    """Steffen's monotone cubic (A&A 239, 443, 1990) through (xs, ys), xs strictly increasing.
    Slopes at the points are limited so that the curve never leaves the range of two neighbouring
    values (no overshoot, monotone where the data are); the returned function refuses x outside
    [xs[0], xs[-1]] (no extrapolation)."""
    n = len(xs)
    if n == 0 or n != len(ys):
        raise ValueError("steffen: need as many x as y, at least one")
    if any(b <= a for a, b in zip(xs, xs[1:])):
        raise ValueError("steffen: x must be strictly increasing")
    h = [xs[i + 1] - xs[i] for i in range(n - 1)]
    s = [(ys[i + 1] - ys[i]) / h[i] for i in range(n - 1)]

    def sign(v: float) -> float:
        return (v > 0) - (v < 0)

    d = [0.0] * n
    if n == 2:
        d = [s[0], s[0]]
    elif n > 2:
        for i in range(1, n - 1):
            p = (s[i - 1] * h[i] + s[i] * h[i - 1]) / (h[i - 1] + h[i])
            d[i] = (sign(s[i - 1]) + sign(s[i])) * min(abs(s[i - 1]), abs(s[i]), 0.5 * abs(p))
        for end, (s0, s1, h0, h1) in ((0, (s[0], s[1], h[0], h[1])), (n - 1, (s[-1], s[-2], h[-1], h[-2]))):
            p = s0 * (1 + h0 / (h0 + h1)) - s1 * h0 / (h0 + h1)
            d[end] = 0.0 if p * s0 <= 0 else 2 * s0 if abs(p) > 2 * abs(s0) else p

    def f(x: float) -> float:
        if not xs[0] <= x <= xs[-1]:
            raise ValueError(f"steffen: {x} outside the measured range [{xs[0]}, {xs[-1]}]")
        if n == 1:
            return ys[0]
        i = min(max(0, next((k for k in range(n - 1) if x <= xs[k + 1]), n - 2)), n - 2)
        t = x - xs[i]
        a = (d[i] + d[i + 1] - 2 * s[i]) / (h[i] * h[i])
        b = (3 * s[i] - 2 * d[i] - d[i + 1]) / h[i]
        return ((a * t + b) * t + d[i]) * t + ys[i]

    return f


# --------------------------------------------------------------------------- levels and settings


@dataclass(frozen=True)
class Levels:
    values: list[float]  # tok/s per user
    source_zh: str  # where they come from, for the document
    model_class: ModelClass | None  # MLPerf's, when the defaults are used


def settings_of(results: Results) -> FrontierSettings:
    return results.frontier or FrontierSettings()


def frontier_levels(results: Results) -> Levels:
    """The plan's levels, else 1000 / MLPerf's Server and Interactive TPOT limits of the model's class
    (the first variant whose class is known; the smallest class when none is)."""
    st = settings_of(results)
    if st.interactivity:
        return Levels(sorted(st.interactivity), "评测计划指定", None)
    cls = next((c for v in results.variants if (c := class_for(v.model, v.served_model_name, v.model_path))), None)
    guessed = cls is None
    cls = cls or CLASSES[0]
    server, inter = 1000.0 / cls.server[1], 1000.0 / cls.interactive[1]
    note = "（模型规模未知，按最小的一类）" if guessed else ""
    text = (f"由 MLPerf Inference {cls.display} 的 TPOT 限值换算：Server 场景 {cls.server[1]:g} ms（{cls.server_since}）"
            f"→ {server:.3g}，Interactive 场景 {cls.interactive[1]:g} ms（{cls.interactive_since}）→ {inter:.3g} "
            f"tok/s/用户{note}")
    return Levels(sorted([server, inter]), text, cls)


# --------------------------------------------------------------------------- building the frontiers


def _point(v: ModelVariant, cell: ServingCell, origin: Literal["matrix", "capacity"], status: CellStatus,
           cards: CardCount) -> FrontierPoint | None:
    from reportgen.validity.frontier import power_problems

    m = cell.metrics
    if m is None or not m.completed or not m.tpot_ms.median or m.tpot_ms.median <= 0:
        return None
    problems = tuple(power_problems(cell, cards.n))
    e = cell_energy(cell)
    power = e.avg_power_w / cards.divisor if not problems and e is not None and e.avg_power_w is not None else None
    return FrontierPoint(
        label=v.label, key=cell.key, origin=origin, interactivity=1000.0 / m.tpot_ms.median,
        output_per_card=m.output_throughput / cards.divisor, total_per_card=m.total_token_throughput / cards.divisor,
        status=status, power_per_card_w=power, power_problems=problems,
    )


def frontiers(results: Results, findings: list[Finding] | None = None) -> list[Frontier]:
    """One frontier per variant and shape, in file order (shapes by input, output length)."""
    from reportgen.report.capacity_view import probe_status  # a probe's cell checks (section 3.5)

    if findings is None:
        findings = check_results(results)
    kind: Kind = settings_of(results).throughput
    out: list[Frontier] = []
    for v in results.variants:
        cards = variant_cards(v)
        pts: list[FrontierPoint] = []
        for c in v.serving:
            p = _point(v, c, "matrix", cell_status(findings, v.label, c.key), cards)
            if p is not None:
                pts.append(p)
        for search in v.capacity:
            for probe in search.probes:
                p = _point(v, probe.cell, "capacity", probe_status(probe.cell, v), cards)  # type: ignore[arg-type]
                if p is not None:
                    pts.append(p)
        shapes = sorted({(p.key.input_len, p.key.output_len, p.key.dataset) for p in pts})
        for shape in shapes:
            mine = [p for p in pts if (p.key.input_len, p.key.output_len, p.key.dataset) == shape]
            hull = pareto([p for p in mine if p.status == "VALID"], kind)
            out.append(Frontier(v.label, v.model, shape, cards, kind, mine, hull))
    return out


# --------------------------------------------------------------------------- reading it


@dataclass(frozen=True)
class IsoValue:
    """The frontier read at one interactivity level."""

    level: float
    throughput: float | None  # per card, of the frontier's kind; None: not reachable (``reason``)
    reason: Reason | None = None
    power_per_card_w: float | None = None
    joules_per_token: float | None = None  # of the frontier's kind (output tokens, or all tokens)
    energy_problems: tuple[str, ...] = ()  # why there is no J/token: reason codes of the neighbouring points
    cost_per_mtok: float | None = None  # in the plan's currency, per million tokens of the frontier's kind


def read_at(fr: Frontier, level: float, price: float | None = None) -> IsoValue:
    """The frontier at ``level`` tok/s per user (see the module doc): throughput by Steffen's spline
    inside the measured range, J/token and cost as reciprocals of it."""
    hull = fr.hull
    if not hull:
        return IsoValue(level, None, "no_frontier")
    lo, hi = hull[0].interactivity, hull[-1].interactivity
    if level > hi * (1 + 1e-12):
        return IsoValue(level, None, "above_range")
    if level < lo * (1 - 1e-12):
        return IsoValue(level, None, "below_range")
    level_in = min(max(level, lo), hi)
    xs = [p.interactivity for p in hull]
    y = steffen(xs, [p.y(fr.kind) for p in hull])(level_in)
    # the two frontier points around the level (one when it is a measured point)
    j = next(k for k in range(len(hull)) if hull[k].interactivity >= level_in)
    pair = [hull[j]] if hull[j].interactivity == level_in or j == 0 else [hull[j - 1], hull[j]]
    power: float | None = None
    problems: tuple[str, ...] = tuple(sorted({c for p in pair for c in p.power_problems}))
    if all(p.power_per_card_w is not None for p in pair):
        if len(pair) == 1:
            power = pair[0].power_per_card_w
        else:
            a, b = pair
            w = (level_in - a.interactivity) / (b.interactivity - a.interactivity)
            power = a.power_per_card_w + w * (b.power_per_card_w - a.power_per_card_w)  # type: ignore[operator]
    jpt = power / y if power is not None and y > 0 else None
    cost = price / (3600.0 * y) * 1e6 if price is not None and y > 0 else None
    return IsoValue(level, y, None, power, jpt, () if jpt is not None else problems, cost)


# --------------------------------------------------------------------------- for the conclusion


@dataclass(frozen=True)
class FrontierStatement:
    """One variant's frontier in one sentence for the 结论 page (the lead wires it in)."""

    label: str
    text: str  # Chinese
    section: str = "3"


def frontier_summary(results: Results, findings: list[Finding] | None = None) -> list[FrontierStatement]:
    """Per frontier with points, one sentence: the throughput per card at every level (「不可达」 outside
    the measured range), and J/token and cost where they exist, as the 性能前沿 table states them."""
    from reportgen.report.frontier_view import kind_zh, level_text

    levels = frontier_levels(results)
    st = settings_of(results)
    tokens = "输出词元" if st.throughput == "output" else "词元（输入 + 输出）"
    cur = f" {st.currency}" if st.currency else ""
    out = []
    for fr in frontiers(results, findings):
        if not fr.points:
            continue
        head = f"{fr.label}（输入 {fr.shape[0]} / 输出 {fr.shape[1]}）性能前沿"
        rng = fr.measured_range
        if rng is None:
            out.append(FrontierStatement(fr.label, head + "：没有有效用例，无前沿可读"))
            continue
        isos = [read_at(fr, x, st.card_hour_price) for x in levels.values]
        span = f"（测得交互性 {rng[0]:.3g}–{rng[1]:.3g} tok/s/用户）"
        at = "、".join(level_text(x) for x in levels.values)
        if all(i.throughput is None for i in isos):
            reasons = {i.reason for i in isos}
            why = ("低于测量范围，更高负载未测" if reasons == {"below_range"} else
                   "高于测得的最高交互性" if reasons == {"above_range"} else "超出测量范围")
            out.append(FrontierStatement(fr.label, f"{head}{span}：交互性 {at} tok/s/用户均不可达（{why}）"))
            continue
        parts = [f"{kind_zh(fr.kind)} " + "、".join(f"{i.throughput:.2f}" if i.throughput is not None else "不可达"
                                                  for i in isos) + " tok/s"]
        if any(i.joules_per_token is not None for i in isos):
            parts.append(f"每{tokens}能耗 " + "、".join(f"{i.joules_per_token:.3g}" if i.joules_per_token is not None
                                                     else "—" for i in isos) + " J")
        if any(i.cost_per_mtok is not None for i in isos):
            parts.append(f"每百万{tokens}成本 " + "、".join(f"{i.cost_per_mtok:.4g}" if i.cost_per_mtok is not None
                                                        else "—" for i in isos) + cur)
        text = f"{head}{span}：交互性 {at} tok/s/用户时，" + "；".join(parts)
        out.append(FrontierStatement(fr.label, text))
    return out
