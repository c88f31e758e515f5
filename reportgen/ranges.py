"""The range of every number a user gives: one definition each, shared by the plan and the CLI.

Each range is an ``Annotated`` type with pydantic's bounds: the plan's fields use it directly
(``log_tail_lines: LogLines``), and the command line builds its option types from the same
alias (``reportgen.commands._options.number``), so ``--rounds`` and ``rounds = …`` in a plan
accept the same values and refuse the rest with one line naming the option. Every range is
finite at both ends: NaN, ±inf, negative or absurd values (a 4000-digit count, ``1e300``
seconds) never reach the code that would loop, allocate or overflow on them.

The upper bounds are far beyond any real run but small enough that arithmetic on them stays
exact and finite (counts below 2**53, times below a year).
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from annotated_types import Ge, Gt, Le, Lt
from pydantic import Field
from pydantic.fields import FieldInfo

__all__ = [
    "MAX_ANSWER_BYTES", "MAX_CAPTURE_BYTES", "MAX_CONCURRENCY", "MAX_HEADER_BLOCK_BYTES", "MAX_HEADER_LINE_BYTES",
    "MAX_RESPONSE_HEADERS", "MAX_DATASET_BYTES", "MAX_INPUT_BYTES", "MAX_PLAN_BYTES",
    "MAX_FLOAT", "MAX_INT", "MAX_RESULTS_BYTES", "MAX_COUNT", "MAX_TOKENS", "Bounds", "Burstiness", "Concurrency", "Count", "Interval", "LogLines",
    "MaxTokens", "Milliseconds", "NonNegCount", "Port", "Rate", "Repeats", "Seconds", "Seed", "Temperature", "Tokens",
    "bounds",
]

MAX_TOKENS = 10_000_000  # tokens in one prompt or answer (the longest context windows are ~10 M)
MAX_CONCURRENCY = 100_000  # requests in flight (each is a connection and a task)
MAX_COUNT = 10_000_000  # requests, rounds, questions per run
MAX_SECONDS = 7 * 86400.0  # a week: any timeout or wait
MAX_RATE = 1_000_000.0  # requests per second
#: Bytes kept of each output stream of a command run on the machine under test, and of a server
#: log's tail (no SMI tool, lspci or log needs more; a flooding tool must not fill the results)
MAX_CAPTURE_BYTES = 1 << 20
#: The largest file of each kind reportgen reads (``reportgen._io.read_limited``): far above any
#: real one, low enough that a wrong file or an endless device is one line, not a MemoryError.
MAX_RESULTS_BYTES = 1 << 30  # a results file (a week of open-loop cells with every chunk time)
MAX_INPUT_BYTES = 256 << 20  # a log, table, TOML or JSON to import, a data set file
MAX_PLAN_BYTES = 1 << 20  # a plan is a page of TOML
MAX_DATASET_BYTES = 2 << 30  # a workload file (ShareGPT's full dump is 0.65 GB)
#: What a server may answer (``collectors.answers``, shared by the serving, accuracy and embedding
#: clients): vLLM sends 5 response headers and a proxy adds a few; h11 itself stops at 100 KiB of
#: headers; the largest non-streamed answer (an embedding batch) is a few MiB.
MAX_RESPONSE_HEADERS = 100
MAX_HEADER_LINE_BYTES = 16 << 10  # one response header line
MAX_HEADER_BLOCK_BYTES = 64 << 10  # all response headers of one answer
MAX_ANSWER_BYTES = 64 << 20  # one non-streamed JSON answer
#: Every number of a results file lies within these: integers exact as floats (counts, bytes),
#: other numbers far from overflow when summed or squared (statistics over millions of values).
MAX_INT = 2**53
MAX_FLOAT = 1e30

Tokens = Annotated[int, Field(ge=1, le=MAX_TOKENS)]
MaxTokens = Tokens
Concurrency = Annotated[int, Field(ge=1, le=MAX_CONCURRENCY)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]
NonNegCount = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Repeats = Annotated[int, Field(ge=1, le=1000)]
TopK = Annotated[int, Field(ge=1, le=20)]  # log-probabilities per position (vLLM allows 20 by default)
LogLines = Annotated[int, Field(ge=0, le=100_000)]
Port = Annotated[int, Field(ge=1, le=65535)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]  # numpy's and vLLM's seed range
Seconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
Interval = Annotated[float, Field(ge=0.01, le=3600.0, allow_inf_nan=False)]  # telemetry: 10 ms .. 1 h
Rate = Annotated[float, Field(ge=0.001, le=MAX_RATE, allow_inf_nan=False)]  # requests/s
Burstiness = Annotated[float, Field(gt=0, le=1000.0, allow_inf_nan=False)]  # gamma shape (1: Poisson)
Temperature = Annotated[float, Field(ge=0, le=100.0, allow_inf_nan=False)]
Milliseconds = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]  # an SLO limit (11 days)


class Bounds:
    """The bounds of one range, read from its ``Annotated`` alias (for the CLI and messages)."""

    def __init__(self, kind: type, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> None:
        self.kind, self.lo, self.hi, self.lo_open, self.hi_open = kind, lo, hi, lo_open, hi_open

    def contains(self, v: float) -> bool:
        if v != v or v in (float("inf"), float("-inf")):
            return False
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))

    def describe(self) -> str:
        """``an integer from 1 to 10000000`` / ``a number > 0 and <= 604800``."""
        noun = "an integer" if self.kind is int else "a finite number"
        if self.kind is int and self.lo is not None and self.hi is not None:
            return f"{noun} from {_g(self.lo)} to {_g(self.hi)}"
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_g(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {_g(self.hi)}")
        return noun + (" " + " and ".join(parts) if parts else "")


def _g(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def bounds(alias: Any) -> Bounds:
    """The ``Bounds`` of an alias of this module (``bounds(Tokens).describe()``)."""
    kind, *meta = get_args(alias)
    lo: float | None = None
    hi: float | None = None
    lo_open = hi_open = False
    for m in meta:
        for c in m.metadata if isinstance(m, FieldInfo) else [m]:
            if isinstance(c, Ge):
                lo = float(c.ge)  # type: ignore[arg-type]
            elif isinstance(c, Gt):
                lo, lo_open = float(c.gt), True  # type: ignore[arg-type]
            elif isinstance(c, Le):
                hi = float(c.le)  # type: ignore[arg-type]
            elif isinstance(c, Lt):
                hi, hi_open = float(c.lt), True  # type: ignore[arg-type]
    return Bounds(kind, lo, hi, lo_open, hi_open)


def capacity_range(by: str, top: float) -> tuple[float, float]:
    """The values a capacity search may probe: whole concurrencies from 1 to ``top``
    (--max-concurrency), or rates from the smallest ``Rate`` to ``top`` (--max-rate)."""
    if by == "concurrency":
        return 1.0, float(int(top))
    lo = bounds(Rate).lo
    return float(lo if lo is not None else 0.0), float(top)


def capacity_start_problem(by: str, start: float, top: float) -> str | None:
    """Why a capacity search cannot start at ``start`` (None: it can). The search never leaves
    ``capacity_range``: doubling stops at the top, bisection stays between two probed values."""
    lo, hi = capacity_range(by, top)
    if by == "concurrency":
        if start != int(start):
            return f"a concurrency search starts at a whole number, not {start:g}"
        if not lo <= start <= hi:
            return f"{start:g} lies outside the search range 1 to {hi:g} (the maximum concurrency)"
    elif not lo <= start <= hi:
        return f"{start:g} requests/s lies outside the search range {lo:g} to {hi:g} requests/s (the maximum rate)"
    return None
