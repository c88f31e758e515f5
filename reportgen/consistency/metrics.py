"""The arithmetic of the consistency check: per position, per prompt, per pass. Pure functions.

At each position of the baseline's greedy continuation both sides give a distribution over the
next token, truncated to their top-k: the baseline's (the reference recording, or the card's own
batch-1 pass) and the card's, computed on the same prefix (teacher forcing). From two of them:

* **top-1 agreement**: the card's most likely token is the baseline's most likely token;
* **KL(baseline ‖ card)** in nats over the baseline's k most likely tokens plus one bin for the
  rest of the vocabulary: a lower bound of the full KL (merging tokens into one bin never
  increases it). A baseline token missing from the card's list gets the card's least listed
  log-probability, an upper bound of its true value; such positions are counted (``bounded``);
* **|Δ logprob|**: the difference of the two log-probabilities of the baseline's own token.

Per prompt, from the greedy continuations: whether the first token agrees, whether the whole
continuation matches (token for token, same length), the common-prefix length and the first
differing position.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from reportgen.results import ConsistencyPass, ConsistencyPrompt

TopK = Sequence[tuple[int, float]]

#: a log-probability of minus infinity (a token the model rules out) is kept as this: e^-1000 is 0
LOGPROB_FLOOR = -1000.0
#: the smallest probability the rest-of-vocabulary bin of the card may have (its listed mass can
#: exceed 1 - this when missing tokens are bounded from above)
REST_EPS = 1e-6


@dataclass(frozen=True)
class Position:
    """One side's view of one position: the log-probability of the baseline's token and the top-k."""

    logprob: float
    top: TopK


def _best(top: TopK) -> float:
    return max(lp for _, lp in top) if top else LOGPROB_FLOOR


def kl_topk(p: TopK, q: TopK, k: int) -> tuple[float, bool]:
    """(KL(P ‖ Q) in nats over P's ``k`` most likely tokens and one bin for the rest, bounded):
    ``bounded`` when one of P's tokens is not in Q's list (its Q log-probability is then Q's
    least listed one). 0 when the two lists are identical."""
    ps = sorted(p, key=lambda t: -t[1])[:k]
    qd = dict(q)
    floor = min(qd.values()) if qd else LOGPROB_FLOOR
    kl = 0.0
    p_mass = q_mass = 0.0
    bounded = False
    for tok, lp in ps:
        ql = qd.get(tok)
        if ql is None:
            ql, bounded = floor, True
        pp = math.exp(lp)
        kl += pp * (lp - ql)
        p_mass += pp
        q_mass += math.exp(ql)
    p_rest = max(0.0, 1.0 - p_mass)
    if p_rest > 0.0:
        q_rest = max(REST_EPS, 1.0 - q_mass)
        kl += p_rest * math.log(p_rest / q_rest)
    return max(kl, 0.0), bounded


def top1_agrees(p: TopK, q: TopK) -> bool:
    """The card's (``q``) most likely token is the baseline's (``p``) most likely one (a tie counts)."""
    if not p or not q:
        return False
    best_p = max(p, key=lambda t: t[1])[0]
    qd = dict(q)
    return best_p in qd and qd[best_p] >= _best(q)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def first_difference(baseline: Sequence[int], tokens: Sequence[int]) -> int | None:
    """The first position where the two continuations differ (None: identical, same length)."""
    n = common_prefix(baseline, tokens)
    return None if n == len(baseline) == len(tokens) else n


def _sig(x: float, digits: int = 5) -> float:
    """``x`` to ``digits`` significant digits: what the figures need, a third of the bytes in the results."""
    return float(f"{x:.{digits}g}")


def compare_positions(base: Sequence[Position], card: Sequence[Position], k: int,
                      ) -> tuple[list[bool], list[float], list[float], int]:
    """(top-1 agreement, KL, |Δ logprob|, bounded count) position by position over the shorter list;
    KL and |Δ logprob| kept to 5 significant digits."""
    top1: list[bool] = []
    kl: list[float] = []
    dlp: list[float] = []
    bounded = 0
    for b, c in zip(base, card):
        top1.append(top1_agrees(b.top, c.top))
        value, was_bounded = kl_topk(b.top, c.top, k)
        kl.append(_sig(value))
        bounded += was_bounded
        dlp.append(_sig(abs(c.logprob - b.logprob)))
    return top1, kl, dlp, bounded


def topk_mass(base: Sequence[Position], k: int) -> float | None:
    """The mean over ``base``'s positions of the probability its ``k`` most likely tokens hold: how much
    of the distribution the KL's own bins cover (the rest is one bin)."""
    if not base:
        return None
    return float(np.mean([sum(math.exp(lp) for _, lp in sorted(b.top, key=lambda t: -t[1])[:k]) for b in base]))


def card_position(token: int, top: TopK) -> Position:
    """The card's view of a position from its own generation: the log-probability of ``token``
    (the baseline's) where listed, else the least listed one (an upper bound)."""
    d = dict(top)
    return Position(d.get(token, min(d.values()) if d else LOGPROB_FLOOR), top)


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class PromptFigures:
    """One prompt's figures (the worst-cases table)."""

    prompt: ConsistencyPrompt
    first_difference: int | None
    prefix: int
    top1: float | None
    kl_mean: float | None


def prompt_figures(p: ConsistencyPrompt) -> PromptFigures:
    return PromptFigures(
        prompt=p,
        first_difference=first_difference(p.baseline_tokens, p.tokens),
        prefix=common_prefix(p.baseline_tokens, p.tokens),
        top1=sum(p.top1) / len(p.top1) if p.top1 else None,
        kl_mean=float(np.mean(p.kl)) if p.kl else None,
    )


@dataclass(frozen=True)
class PassSummary:
    """A pass's figures over the prompts compared (those without an error)."""

    prompts: int  # compared
    errors: int  # not compared (the request failed)
    first_token: float | None  # fraction of prompts whose first generated token is the baseline's
    exact: float | None  # fraction whose whole continuation is the baseline's
    prefix_mean: float | None  # mean common-prefix length, tokens
    prefix_fraction: float | None  # mean of (common prefix / baseline length)
    baseline_len_mean: float | None  # mean baseline continuation length, tokens
    positions: int  # positions compared
    top1: float | None  # fraction of positions whose most likely token agrees
    kl_mean: float | None
    kl_p99: float | None
    kl_max: float | None
    dlogprob_p50: float | None
    dlogprob_p90: float | None
    dlogprob_p99: float | None
    dlogprob_max: float | None
    bounded: int  # positions whose KL used an upper bound
    template_mismatches: int  # prompts the card's server templated differently from the reference's
    topk_mass: float | None = None  # mean probability the baseline's top-k tokens hold (the KL's bins)


def summarize(prompts: Iterable[ConsistencyPrompt]) -> PassSummary:
    items = list(prompts)
    ok = [p for p in items if p.error is None]
    none = None
    if not ok:
        return PassSummary(0, len(items), none, none, none, none, none, 0, none, none, none, none, none, none, none,
                           none, 0, sum(1 for p in items if p.template_match is False))
    first = [bool(p.tokens and p.baseline_tokens and p.tokens[0] == p.baseline_tokens[0]) for p in ok]
    exact = [p.tokens == p.baseline_tokens for p in ok]
    prefix = [common_prefix(p.baseline_tokens, p.tokens) for p in ok]
    fraction = [n / len(p.baseline_tokens) if p.baseline_tokens else 1.0 for n, p in zip(prefix, ok)]
    top1 = [x for p in ok for x in p.top1]
    kl = np.array([x for p in ok for x in p.kl], dtype=float)
    dlp = np.array([x for p in ok for x in p.abs_dlogprob], dtype=float)

    def pct(a: np.ndarray, q: float) -> float | None:
        return float(np.percentile(a, q)) if a.size else None

    return PassSummary(
        prompts=len(ok),
        errors=len(items) - len(ok),
        first_token=sum(first) / len(ok),
        exact=sum(exact) / len(ok),
        prefix_mean=float(np.mean(prefix)),
        prefix_fraction=float(np.mean(fraction)),
        baseline_len_mean=float(np.mean([len(p.baseline_tokens) for p in ok])),
        positions=len(top1),
        top1=sum(top1) / len(top1) if top1 else None,
        kl_mean=float(kl.mean()) if kl.size else None,
        kl_p99=pct(kl, 99),
        kl_max=float(kl.max()) if kl.size else None,
        dlogprob_p50=pct(dlp, 50),
        dlogprob_p90=pct(dlp, 90),
        dlogprob_p99=pct(dlp, 99),
        dlogprob_max=float(dlp.max()) if dlp.size else None,
        bounded=sum(p.bounded for p in ok),
        template_mismatches=sum(1 for p in items if p.template_match is False),
        topk_mass=float(np.mean(masses)) if (masses := [p.topk_mass for p in ok if p.topk_mass is not None]) else None,
    )


def pass_summary(cp: ConsistencyPass) -> PassSummary:
    return summarize(cp.prompts)


def worst_prompts(cp: ConsistencyPass, n: int = 5) -> list[PromptFigures]:
    """The prompts that differ most: highest mean KL first, then the earliest first difference;
    prompts that agree in every respect are not listed."""
    figs = [prompt_figures(p) for p in cp.prompts if p.error is None]
    differing = [f for f in figs if f.first_difference is not None or (f.kl_mean or 0.0) > 0.0 or (f.top1 or 1.0) < 1.0]
    differing.sort(key=lambda f: (-(f.kl_mean or 0.0), f.first_difference if f.first_difference is not None else 1 << 30, f.prompt.id))
    return differing[:n]
