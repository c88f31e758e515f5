"""Open-loop arrival schedules, as ``vllm bench serve --request-rate R --burstiness B`` draws them.

Gaps between arrivals are Gamma(shape = B, scale = 1 / (R * B)): mean 1/R, coefficient of
variation 1/sqrt(B); B = 1 is a Poisson process. As in vLLM's ``get_request`` (fixed rate,
no ramp-up), the first arrival also waits one gap, and the cumulative times are rescaled so
that the N-th arrival lands exactly at N / R (the drawn sum is otherwise a few percent off,
which would move the achieved rate from seed to seed).

The schedule is a list of absolute offsets from the cell's origin: the runner sleeps until
``origin + offset`` for each request, so a slow send never pushes later arrivals back.
"""

from __future__ import annotations

import numpy as np

__all__ = ["arrival_times"]


def arrival_times(n: int, rate: float, burstiness: float = 1.0, seed: int | None = None) -> list[float]:
    """Seconds from the origin at which each of ``n`` requests is due."""
    if n < 1:
        return []
    if not rate > 0:
        raise ValueError(f"request rate must be positive, not {rate}")
    if not burstiness > 0:
        raise ValueError(f"burstiness must be positive, not {burstiness}")
    if rate == float("inf"):
        return [0.0] * n
    rng = np.random.default_rng(seed)
    gaps = rng.gamma(shape=burstiness, scale=1.0 / (rate * burstiness), size=n)
    t = np.cumsum(gaps)
    t *= (n / rate) / t[-1]
    return [float(x) for x in t]
