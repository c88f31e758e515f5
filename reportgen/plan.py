"""The TOML plan: what ``reportgen collect`` measures, as typed settings.

``reportgen init`` writes ``default_plan_toml()``; ``load_plan(path)`` reads one back
(``tomllib``; unknown keys are errors naming the key). Defaults are the seed's
matrix: Qwen2-7B-Instruct FP16 and GPTQ-Int4, batch sizes 1/2/4/8, 8192 tokens in,
256 out, ``/v1/completions``, and the 如何制作月饼 functional check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reportgen._io import MAX_DEPTH, check_tree, read_limited
from reportgen.errors import InputFormatError
from reportgen.ranges import (
    MAX_PLAN_BYTES,
    MAX_SECONDS,
    Burstiness,
    Concurrency,
    Count,
    LogLines,
    NonNegCount,
    Rate,
    Repeats,
    Seconds,
    Seed,
    Temperature,
    Tokens,
    capacity_start_problem,
)
from reportgen.results import FrontierSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["AccuracyPlan", "CapacityPlan", "ConsistencyPlan", "EmbeddingPlan", "FunctionalCheckPlan", "Plan", "ServerPlan",
           "ServingPlan", "SoakPlan", "VariantPlan", "default_plan_toml", "load_plan", "parse_duration", "parse_plan"]


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what a shell accepts as a variable name


def _env_name(v: str | None) -> str | None:
    if v is not None and not ENV_NAME.fullmatch(v):
        raise ValueError(f"{v!r} is not an environment variable name (letters, digits, _)")
    return v


#: The name of an environment variable holding a server's API key (``collectors.auth``): sent as
#: ``Authorization: Bearer``; the key itself is never written in a plan.
ApiKeyEnv = Annotated[str | None, AfterValidator(_env_name)]


class ServerPlan(_Plan):
    """Where the OpenAI-compatible server is, and how long to wait for it."""

    base_url: str = "http://127.0.0.1:8000"  # the server root; the tool adds /v1/completions, /metrics, ...
    startup_timeout_s: Seconds = 1800.0  # launch -> /health and /v1/models answer (a 7B model loads slowly)
    stop_timeout_s: Seconds = 60.0  # SIGTERM -> exit, then SIGKILL
    log_tail_lines: LogLines = 200  # kept in the results file
    api_key_env: ApiKeyEnv = None  # variable holding the servers' API key (a variant may name its own)


def _parse_slo(v: dict[str, float] | str) -> dict[str, float] | str:
    """A table of limits (checked now), or a preset name ("mlperf-server", "mlperf-interactive:llama2-70b"),
    resolved for each variant's model when it is measured (``reportgen.slo.resolve_slo``)."""
    from reportgen.slo import parse_slo
    from reportgen.slo_presets import find_class, is_preset

    try:
        if isinstance(v, str):
            if not is_preset(v):
                return parse_slo(v)
            cls = v.partition(":")[2]
            if cls:
                find_class(cls)
            return v.strip()
        return parse_slo(v)
    except InputFormatError as e:
        raise ValueError(str(e)) from None


class ServingPlan(_Plan):
    """The serving matrix (document section 3.3/3.4)."""

    batch_sizes: list[Concurrency] = Field(default_factory=lambda: [1, 2, 4, 8])
    request_rates: list[Rate] = Field(default_factory=list)  # open loop (arrivals/s); set: these cells instead of batch_sizes
    burstiness: Burstiness = 1.0  # gamma shape of the open-loop gaps (1: Poisson)
    num_requests: Count = 200  # timed requests per open-loop cell
    dataset: str = "random"  # random, prefix:LEN, sharegpt:FILE, jsonl:FILE
    repeats: Repeats = 1  # runs of each cell (fresh prompts each)
    # limits per cell: { ttft_p99_ms = 2000, tpot_ms = 100 } (tpot_ms: goodput), or a preset: "mlperf-server"
    slo: dict[str, float] | str = Field(default_factory=dict)
    input_len: Tokens = 8192
    output_len: Tokens = 256
    rounds: Count = 5  # timed requests per cell = batch size x rounds
    warmup_requests: NonNegCount = 1  # per cell, before the timed window, excluded from metrics
    endpoint: Literal["completions", "chat"] = "completions"
    temperature: Temperature = 0.0
    ignore_eos: bool = True  # vLLM extension; set false for servers that reject it
    min_tokens: bool = True  # vLLM extension (min_tokens = output_len); set false likewise
    request_timeout_s: Seconds = 1800.0  # 0 would mean "wait forever"
    stall_timeout_s: Seconds = 300.0  # longest silence inside one stream
    seed: Seed | None = None  # prompt seed; None: a fresh one per run (recorded per cell)
    keep_text: bool = False  # keep generated text in every request record
    scrape_metrics: bool = True  # Prometheus /metrics deltas per cell

    @field_validator("batch_sizes")
    @classmethod
    def _some(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("batch sizes: give at least one")
        return v

    @field_validator("slo")
    @classmethod
    def _slo(cls, v: dict[str, float] | str) -> dict[str, float] | str:
        return _parse_slo(v) if v else v


class CapacityPlan(_Plan):
    """Section 3.5: per variant, the largest concurrency (or rate) meeting every SLO (``reportgen capacity``)."""

    enabled: bool = False
    # percentile limits, or a preset resolved for each variant's model ("mlperf-server", "mlperf-interactive")
    slo: dict[str, float] | str = Field(default_factory=lambda: {"ttft_p99_ms": 2000.0, "tpot_p99_ms": 100.0})
    by: Literal["concurrency", "rate"] = "concurrency"
    input_len: Tokens | None = None  # default: [serving]'s
    output_len: Tokens | None = None
    max_concurrency: Concurrency = 256  # the search's upper bound (by concurrency)
    max_rate: Rate = 256.0  # the search's upper bound (by rate)
    start: Rate = 1.0  # the first value probed: a whole number in [1, max_concurrency], or a rate in [MIN, max_rate]
    rounds: Count = 5  # by concurrency: requests per probe = rounds x concurrency (>= 5)
    num_requests: Count = 100  # by rate: requests per probe (>= 100 for a P99)

    @field_validator("slo")
    @classmethod
    def _slo(cls, v: dict[str, float] | str) -> dict[str, float] | str:
        from reportgen.slo import percentile_keys

        out = _parse_slo(v)
        if isinstance(out, dict) and not percentile_keys(out):
            raise ValueError("the capacity search needs percentile limits (ttft_p99_ms, tpot_p99_ms, ...)")
        return out

    @model_validator(mode="after")
    def _bounds(self) -> CapacityPlan:
        why = capacity_start_problem(self.by, self.start, self.max_concurrency if self.by == "concurrency" else self.max_rate)
        if why:
            raise ValueError(f"start: {why}")
        if self.rounds < 5 or self.num_requests < 100:
            raise ValueError("rounds must be >= 5 and num_requests >= 100 (enough requests for a P99)")
        return self


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|min|s)", re.IGNORECASE)


def parse_duration(text: str | float | int, what: str = "duration") -> float:
    """Seconds from ``7200``, ``"2h"``, ``"90m"``, ``"1h30m"``, ``"45s"``; ``InputFormatError`` otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        t = str(text).strip().replace(" ", "")
        try:
            seconds = float(t)
        except ValueError:
            parts = _DURATION.findall(t)
            if not parts or "".join(n + u for n, u in parts).lower() != t.lower():
                raise InputFormatError(f"{what}: {text!r} is not a duration (e.g. 2h, 90m, 1h30m, 600s or 600)") from None
            scale = {"h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0}
            seconds = sum(float(n) * scale[u.lower()] for n, u in parts)
    if not 0 < seconds <= MAX_SECONDS:
        raise InputFormatError(f"{what}: must be a positive time of at most {MAX_SECONDS:g} s, not {text!r}")
    return seconds


class SoakPlan(_Plan):
    """Section 稳定性测试: one constant load held for ``duration``, measured in windows (``reportgen soak``).
    Without ``concurrency`` or ``request_rate`` the load is the recommended operating point: the
    capacity search's answer when there is one, else the largest valid batch size of the matrix."""

    enabled: bool = False
    duration: str | float = "2h"  # 2h, 90m, 1h30m, or seconds
    window: str | float = 60.0  # one window's length: 60, "1m", "30s"
    concurrency: int | None = Field(None, ge=1)  # closed loop
    request_rate: float | None = Field(None, gt=0)  # open loop, Poisson arrivals/s
    input_len: int | None = Field(None, ge=1)  # default: [serving]'s
    output_len: int | None = Field(None, ge=1)
    slo: dict[str, float] | str = Field(default_factory=dict)  # limits each window is judged by (goodput); a preset name too

    @property
    def duration_s(self) -> float:
        return parse_duration(self.duration, "[soak] duration")

    @property
    def window_s(self) -> float:
        return parse_duration(self.window, "[soak] window")

    @model_validator(mode="after")
    def _check(self) -> SoakPlan:
        try:
            d, w = self.duration_s, self.window_s
        except InputFormatError as e:
            raise ValueError(str(e)) from None
        if w > d:
            raise ValueError(f"the window ({w:g} s) is longer than the soak ({d:g} s)")
        if self.concurrency is not None and self.request_rate is not None:
            raise ValueError("give concurrency or request_rate, not both")
        return self

    @field_validator("slo")
    @classmethod
    def _slo(cls, v: dict[str, float] | str) -> dict[str, float] | str:
        return _parse_slo(v) if v else v


class FunctionalCheckPlan(_Plan):
    """Section 3.2: one request by hand, as the seed sent it."""

    enabled: bool = True
    prompt: str = "如何制作月饼"
    max_tokens: Tokens = 256
    temperature: Temperature = 0.01


class VariantPlan(_Plan):
    """One model at one precision, served by one server."""

    label: str  # "FP16", "INT4": the document's column
    model_path: str | None = None  # what the server loads; the request's "model" unless served_model_name
    served_model_name: str | None = None
    model: str | None = None  # display name: "Qwen2-7B-Instruct"
    precision: str | None = None  # "fp16", "int4"
    quantization: str | None = None  # "gptq", "awq"
    tokenizer: str | None = None  # local tokenizer dir for exact-length prompts; none: the server's /tokenize
    base_url: str | None = None  # overrides [server].base_url for this variant
    launch_command: str | None = None  # run locally (or in `container`) and stopped afterwards; none: attach
    container: str | None = None  # docker container to run launch_command in
    env: dict[str, str] = Field(default_factory=dict)  # extra environment for launch_command
    cards: int | None = Field(None, ge=1)  # cards the server uses (tp x pp x dp); default: read from launch_command
    api_key_env: ApiKeyEnv = None  # this variant's server wants another API key than [server]'s

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        bad = [k for k in env if not ENV_NAME.fullmatch(k)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an environment variable name (letters, digits, _)")
        return env

    @property
    def request_model(self) -> str:
        return self.served_model_name or self.model_path or self.model or self.label


class AccuracyPlan(_Plan):
    """Section 4: ceval, gsm8k, mmlu, bbh over each variant's chat API, while its server is up."""

    enabled: bool = False
    data_dir: str = "datasets"  # laid out as ceval/ gsm8k/ mmlu/ bbh/ in their original formats
    tasks: list[str] = Field(default_factory=lambda: ["ceval", "gsm8k", "mmlu", "bbh"])
    mode: Literal["corrected", "swift2024"] = "corrected"
    limit: Count | None = None  # per benchmark, stratified by subject; None: every question
    concurrency: Concurrency = 64


class ConsistencyPlan(_Plan):
    """与参考卡输出一致性: each variant compared with a reference card's recording
    (``reportgen reference record``), while its server is up (docs/consistency.md)."""

    reference: str | None = None  # the reference file, relative to the plan's folder; set: the stage runs
    limit: int | None = Field(None, ge=1)  # prompts, evenly spaced through the reference's; None: all
    batch_size: int | None = Field(None, ge=1)  # batch-invariance pass; None: the largest [serving] batch size; 1: none
    profiles: dict[str, str] = Field(default_factory=dict)  # variant label -> threshold profile (default: from the precisions)
    thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)  # profile -> {top1_pass = 0.98, kl_pass = ...}

    @field_validator("thresholds")
    @classmethod
    def _limits(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from reportgen.consistency.verdict import THRESHOLD_KEYS

        for profile, limits in v.items():
            for key, value in limits.items():
                if key not in THRESHOLD_KEYS:
                    raise ValueError(f"{profile}.{key}: not a threshold (known: {', '.join(THRESHOLD_KEYS)})")
                if not value >= 0 or (key != "kl_pass" and key != "kl_fail" and value > 1):
                    raise ValueError(f"{profile}.{key} = {value}: agreements lie in 0..1, KL limits are >= 0")
        return v


class EmbeddingPlan(_Plan):
    """Sections 5 and 6: one embedding or reranker check."""

    model: str  # local model directory, or the served name with base_url
    kind: Literal["embedding", "reranker"]
    base_url: str | None = None  # set: over HTTP; unset: locally with transformers + torch
    device: str | None = None  # local mode: cpu, cuda, ...
    precision: str | None = None
    endpoint: str | None = None
    throughput: bool = True
    reference: bool = True
    api_key_env: ApiKeyEnv = None  # variable holding this server's API key (default: [server]'s)


class SubjectPlan(_Plan):
    """The document's cover: who answers for it (blank lines to sign where absent)."""

    card: str | None = None
    model: str | None = None
    organization: str | None = None
    report_number: str | None = None
    tester: str | None = None
    reviewer: str | None = None
    issued_on: str | None = None  # date of issue, "2026-11-27"


class Plan(_Plan):
    title: str | None = None
    subject: SubjectPlan = Field(default_factory=SubjectPlan)
    server: ServerPlan = Field(default_factory=ServerPlan)
    serving: ServingPlan = Field(default_factory=ServingPlan)
    functional_check: FunctionalCheckPlan = Field(default_factory=FunctionalCheckPlan)
    variants: list[VariantPlan] = Field(default_factory=list)
    accuracy: AccuracyPlan = Field(default_factory=AccuracyPlan)
    capacity: CapacityPlan = Field(default_factory=CapacityPlan)
    consistency: ConsistencyPlan = Field(default_factory=ConsistencyPlan)
    soak: SoakPlan = Field(default_factory=SoakPlan)
    frontier: FrontierSettings = Field(default_factory=FrontierSettings)  # interactivity levels, card-hour price
    embedding: list[EmbeddingPlan] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_labels(self) -> Plan:
        labels = [v.label for v in self.variants]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise ValueError(f"variant label {sorted(dup)[0]!r} appears twice")
        return self


def parse_plan(text: str, *, source: str = "<plan>") -> Plan:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputFormatError(f"{source}: not valid TOML: {e}") from None
    except RecursionError:
        raise InputFormatError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    check_tree(doc, source)
    try:
        return Plan.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise InputFormatError(f"{source}: {loc}: {err['msg']}") from None


def load_plan(path: str | Path) -> Plan:
    p = Path(path)
    if not p.exists():
        raise InputFormatError(f"{p}: no such plan file (write one with 'reportgen init')")
    return parse_plan(read_limited(p, MAX_PLAN_BYTES, what="a plan", text_only=True), source=str(p))


def _q(s: str) -> str:
    """A TOML basic string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_q(x) for x in items) + "]"


def default_plan_toml() -> str:
    """The plan ``reportgen init`` writes: the seed's matrix, commented."""
    s, f, srv, a = ServingPlan(), FunctionalCheckPlan(), ServerPlan(), AccuracyPlan()
    return f"""\
# reportgen plan: what `reportgen collect` measures. Edit, then run: reportgen collect --plan plan.toml
# Times are seconds. Defaults reproduce the seed document's matrix.

# title = "算力卡推理评测"
[subject]                             # the document's cover; empty fields get a blank line to sign
# organization = "评测单位"
# report_number = "RG-2026-001"
# tester = "张三"                     # also the DOCX author
# reviewer = "李四"
# issued_on = "2026-11-27"            # date of issue

[server]
base_url = {_q(srv.base_url)}        # the server root (the tool adds /v1/completions, /tokenize, /metrics)
startup_timeout_s = {srv.startup_timeout_s:g}           # launch -> /health and /v1/models answer
stop_timeout_s = {srv.stop_timeout_s:g}
log_tail_lines = {srv.log_tail_lines}

[serving]
batch_sizes = {s.batch_sizes}               # concurrent requests (closed loop)
input_len = {s.input_len}                     # prompt tokens, exact, in the model's tokenizer
output_len = {s.output_len}
rounds = {s.rounds}                            # timed requests per cell = batch size x rounds
warmup_requests = {s.warmup_requests}                   # per cell, excluded from metrics
endpoint = {_q(s.endpoint)}              # or "chat"
temperature = {s.temperature:g}
ignore_eos = {str(s.ignore_eos).lower()}                  # vLLM extension; false for servers that reject it
min_tokens = {str(s.min_tokens).lower()}                  # vLLM extension (min_tokens = output_len)
request_timeout_s = {s.request_timeout_s:g}
stall_timeout_s = {s.stall_timeout_s:g}                # longest silence inside one stream
# seed = 1234                         # prompt seed; default: a fresh one per run, recorded per cell
keep_text = {str(s.keep_text).lower()}                  # keep every generated text in the results
scrape_metrics = {str(s.scrape_metrics).lower()}               # prefix-cache hits and server TTFT/TPOT from /metrics

[functional_check]                    # section 3.2
enabled = {str(f.enabled).lower()}
prompt = {_q(f.prompt)}
max_tokens = {f.max_tokens}
temperature = {f.temperature:g}

# One [[variants]] per precision. Without launch_command the server must already run at
# base_url (attach); with it, reportgen starts it, waits for /health and /v1/models, keeps
# the log tail and stops it afterwards.
[[variants]]
label = "FP16"
model = "Qwen2-7B-Instruct"
model_path = "/home/models/Qwen2-7B-Instruct/"
precision = "fp16"
# tokenizer = "/home/models/Qwen2-7B-Instruct/"   # local tokenizer dir; default: the server's /tokenize
# launch_command = "python3 -m vllm.entrypoints.openai.api_server --model /home/models/Qwen2-7B-Instruct/ --host 0.0.0.0 --port 8000 --trust-remote-code --enforce-eager"
# container = "vllm"                  # run launch_command inside this docker container

[[variants]]
label = "INT4"
model = "Qwen2-7B-Instruct-GPTQ-Int4"
model_path = "/home/models/Qwen2-7B-Instruct_GPTQ_Int4/"
precision = "int4"
quantization = "gptq"
# launch_command = "python3 -m vllm.entrypoints.openai.api_server --model /home/models/Qwen2-7B-Instruct_GPTQ_Int4/ --host 0.0.0.0 --port 8000 --trust-remote-code --enforce-eager"

[accuracy]                            # section 4: run on each variant while its server is up
enabled = {str(a.enabled).lower()}
data_dir = {_q(a.data_dir)}              # ceval/ gsm8k/ mmlu/ bbh/ in their original formats
tasks = {_toml_list(a.tasks)}
mode = {_q(a.mode)}                  # or "swift2024": reproduces ms-swift 2.x / llmuses 0.4.x, bugs included
# limit = 100                         # questions per benchmark, stratified by subject; default: all
concurrency = {a.concurrency}

[capacity]                            # section 3.5: how many users each variant serves within the SLOs
enabled = false                       # runs after each variant's matrix, while its server is up
slo = {{ ttft_p99_ms = 2000, tpot_p99_ms = 100 }}   # MLPerf's Llama-3.1-8B server limits
by = "concurrency"                    # or "rate" (requests/s, to 5 %)
max_concurrency = 256

[consistency]                         # 与参考卡输出一致性: the same prompts as a reference card, token by token
# reference = "ref.json"              # recorded there with: reportgen reference record --base-url ... --model ... -o ref.json
# limit = 200                         # prompts (evenly spaced through the reference's); default: all
# batch_size = 8                      # batch-invariance pass; default: the largest [serving] batch size
# thresholds = {{ int4 = {{ top1_pass = 0.90, kl_pass = 0.06 }} }}   # docs/consistency.md argues the defaults
[frontier]                            # section 3: throughput per card against interactivity (1/TPOT)
# interactivity = [10, 33.3]          # tok/s per user to read the frontier at; default: 1000 / MLPerf's TPOT limits
throughput = "output"                 # the y axis and the cost basis: "output" tokens, or "total" (input + output)
# card_hour_price = 12.5              # price of one card for one hour: gives the cost per million tokens
# currency = "元"
# price_note = "按需租用价"

[soak]                                # section 稳定性测试: one load held for hours, measured in windows
enabled = false
duration = "2h"
window = "1m"
# concurrency = 8                     # default: the recommended operating point (capacity, else largest valid batch)
# request_rate = 2.0                  # open loop instead

# Sections 5 and 6: one [[embedding]] per check. Without base_url the model runs locally
# (transformers + torch: pip install 'reportgen[local-models]').
# [[embedding]]
# model = "/home/models/bge-large-zh-v1.5"
# kind = "embedding"
# device = "cpu"
# [[embedding]]
# model = "bge-reranker-v2-m3"
# kind = "reranker"
# base_url = "http://127.0.0.1:8001"
"""
