"""The results model: one JSON document per evaluation.

Everything reportgen measures or imports lands here, as raw records in SI units
(seconds, bytes, watts); nothing in this file is formatted for the document.
Collectors append to it, ``metrics`` and ``validity`` read it, the report view
formats it.

Layout (see ``samples/results.schema.json`` for the generated JSON Schema)::

    Results
      schema_version, tool, title, subject, invocations[], started_at, finished_at
      environment: Environment      facts{key: Fact}, accelerators[], raw_outputs[], telemetry[]
      deployment: [DeploymentStep]  the commands actually used, with their output
      variants: [ModelVariant]      one per precision label (FP16, GPTQ-Int4, ...)
        server, functional_check, serving: [ServingCell], accuracy: [AccuracyResult]
      embeddings: [EmbeddingRun]    embedding and reranker checks
      findings: [Finding]           validity findings (recomputed by ``validity``)

Loading runs the migration chain on the raw dict first, then validates; every
failure is a ``ResultsSchemaError`` naming the file, the field and the reason.
Saving is atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import PydanticSerializationError

from reportgen import __version__
from reportgen._atomic import write_atomic
from reportgen._io import parse_json, read_limited
from reportgen._lock import ResultsLock
from reportgen.errors import ResultsError, ResultsSchemaError
from reportgen.ranges import MAX_FLOAT, MAX_INT, MAX_RESULTS_BYTES

SCHEMA_VERSION = 3
RESULTS_DIR_NAME = "reportgen-results"  # the default folder of results files (created when missing)

# Why a fact has no value. Kept short and closed so the document can translate each.
MissingReason = Literal[
    "not_installed",  # the tool that reports it is absent
    "needs_root",  # the command needs privileges we do not have
    "timed_out",  # the command did not finish in time
    "unparsable",  # the command ran, its output was not understood
    "not_found",  # the command ran and reported nothing of the kind
    "failed",  # the command ran and exited non-zero
    "unreachable",  # the host could not be reached
    "not_collected",  # nobody tried (e.g. an imported document did not say)
    "not_applicable",  # the fact does not exist on this machine
]

FactOrigin = Literal["measured", "spec_sheet", "imported", "user"]


class _Model(BaseModel):
    # Unknown keys fail loudly: a typo in an importer or a hand edit must not vanish.
    # NaN/Infinity are written as strings so that ``save_results`` sees them and refuses to save
    # (as null they would make the file unloadable wherever the field is required).
    model_config = ConfigDict(extra="forbid", validate_assignment=False, ser_json_inf_nan="strings")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- environment


class Fact(_Model):
    """One environment fact: a value, or the reason it is missing."""

    value: str | int | float | bool | None = None
    unit: str | None = None  # SI unit of a numeric value: "B", "W", "C", "Hz", "GT/s"
    reason: MissingReason | None = None
    detail: str | None = None  # human-readable extra: the error line, the spec sheet's source
    # why a measured fact is missing, as a code of reportgen.messages.NOTES and its arguments:
    # the document renders it in Chinese from the same row as ``detail``'s English
    note: str | None = None
    note_args: dict[str, str | int | float] = Field(default_factory=dict)
    origin: FactOrigin = "measured"
    source: str | None = None  # the source id (key into raw_outputs[].id) or, for spec values, the spec source

    @model_validator(mode="after")
    def _value_or_reason(self) -> Fact:
        if (self.value is None) == (self.reason is None):
            raise ValueError("a fact has exactly one of 'value' and 'reason'")
        return self

    @property
    def present(self) -> bool:
        return self.value is not None

    @classmethod
    def of(cls, value: Any, **kw: Any) -> Fact:
        return cls(value=value, **kw)

    @classmethod
    def missing(cls, reason: MissingReason, detail: str | None = None, *, note: str | None = None,
                note_args: dict[str, str | int | float] | None = None, **kw: Any) -> Fact:
        """A missing fact; with a ``note`` code the English ``detail`` is rendered from it."""
        if note is not None and detail is None:
            from reportgen.messages import note_text

            detail = note_text(note, note_args)
        return cls(reason=reason, detail=detail, note=note, note_args=dict(note_args or {}), **kw)


class CommandOutput(_Model):
    """The raw output of one command run while collecting facts."""

    id: str | None = None  # the source id facts point to with Fact.source ("lscpu", "ixsmi -q -x")
    command: str
    exit_code: int | None = None  # None: did not finish (timeout, unreachable)
    stdout: str = ""
    stderr: str = ""
    duration_s: float | None = None
    timed_out: bool = False
    host: str | None = None
    container: str | None = None  # run inside this docker container
    reason: MissingReason | None = None  # why it gave no usable output, if it did not
    # the stream's full size when it carried more than the capture limit (1 MiB): only its
    # first bytes are kept in ``stdout``/``stderr`` (None: kept whole)
    stdout_bytes: int | None = None
    stderr_bytes: int | None = None


class Accelerator(_Model):
    """One accelerator device (a PCI function, or one chip of a board)."""

    index: int
    board: int | None = None  # which board (card in a slot) this chip sits on, 0-based
    chip: int | None = None  # chip index on that board
    smi_index: int | None = None  # the index the vendor's SMI tool shows
    pci_address: str | None = None
    vendor_id: str | None = None  # "1e3e"
    device_id: str | None = None  # "0003"
    vendor: str | None = None  # "Iluvatar"
    model: str | None = None  # "BI-V150"
    memory_bytes: int | None = None
    memory_type: str | None = None
    power_cap_w: float | None = None
    max_temperature_c: float | None = None  # max operating temperature the tool reports
    numa_node: int | None = None
    pcie_link_cap: str | None = None  # "16GT/s x16"
    pcie_link_status: str | None = None
    pcie_downgraded: bool | None = None
    driver_version: str | None = None
    firmware_version: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class TelemetrySample(_Model):
    t_s: float  # seconds since the series started
    device: int
    power_w: float | None = None
    temperature_c: float | None = None
    utilization_pct: float | None = None
    memory_used_bytes: int | None = None
    clock_mhz: float | None = None  # the compute (SM) clock, where the tool reports it (throttling)


class ExcludedReading(_Model):
    """A telemetry reading outside physical ranges (``reportgen.energy.screen_samples``), left out
    of every figure: power below 0 W or above the ceiling, temperature outside -40..150 °C."""

    t_s: float
    device: int
    field: Literal["power_w", "temperature_c", "utilization_pct"]
    value: str  # as read (a number far outside any range, kept as text: "1e+308")


class TelemetrySeries(_Model):
    """Power/temperature/utilisation sampled while a stage ran."""

    stage: str  # "serving:FP16:bs8", ...
    tool: str | None = None
    command: str | None = None  # the command sampled each tick
    started_at: datetime | None = None
    interval_s: float | None = None
    finished_at: datetime | None = None
    samples: list[TelemetrySample] = Field(default_factory=list)
    errors: int = 0  # ticks whose command failed or was not understood
    reason: MissingReason | None = None  # why there are no samples
    detail: str | None = None
    # readings outside physical ranges, left out of ``samples`` (the reading set to None) and of every
    # figure: how many, the power ceiling they were judged by (W per device), and the first few
    excluded_count: int = 0
    power_ceiling_w: float | None = None
    excluded: list[ExcludedReading] = Field(default_factory=list)


class Environment(_Model):
    """Hardware and software facts of the machine under test.

    ``facts`` keys are dotted names; the document knows these (others are listed as-is):
    ``host``, ``server.vendor``, ``server.model``, ``cpu.model``, ``cpu.sockets``,
    ``cpu.cores``, ``cpu.threads``, ``memory.total_bytes``, ``os.name``, ``kernel.version``,
    ``docker.version``, ``accelerator.vendor``, ``accelerator.model``, ``accelerator.count``,
    ``accelerator.chips``, ``accelerator.memory_bytes``, ``accelerator.memory_type``,
    ``accelerator.memory_bandwidth``, ``accelerator.interface``, ``accelerator.peak_compute``,
    ``accelerator.tdp_w``, ``accelerator.max_temperature_c``, ``driver.version``,
    ``sdk.version``, ``software.python``, ``software.vllm``, ``software.torch``,
    ``software.transformers``.

    Meaning and units (written by ``collectors.hardware``):

    * ``accelerator.count``: boards (cards in slots); ``accelerator.chips``: chips (what the SMI
      tool lists). A BI-V150, MLU370-X8 or Atlas 300I Duo board has two chips.
    * ``accelerator.memory_bytes``: per board (B); ``accelerator.memory_bytes_per_chip`` per chip.
    * ``accelerator.memory_bandwidth``: per board, B/s (spec sheet).
    * ``accelerator.peak_compute``: text such as "FP16 192 TFLOPS, BF16 192 TFLOPS, INT8 384 TOPS
      (per board, 2 chips)" (spec sheet); the numbers also as ``accelerator.peak_fp16_flops``,
      ``accelerator.peak_bf16_flops``, ``accelerator.peak_fp32_flops`` (FLOP/s) and
      ``accelerator.peak_int8_ops`` (OP/s).
    * ``accelerator.interface``: "PCIe Gen4 x16"; ``accelerator.pcie_downgraded`` (bool) when
      some device's link runs below its capability.
    * ``accelerator.tdp_w``: the tool's power cap (measured) or the spec sheet's TDP;
      ``accelerator.max_temperature_c``: the tool's max operating temperature, else the spec's.
    * ``sdk.name`` ("CUDA", "Corex", "MACA") with ``sdk.version``; ``sdk.cuda_version`` where a
      CUDA-compatible stack reports its CUDA level; ``smi.tool`` the SMI tool used.
    * Spec-sheet facts have ``origin="spec_sheet"`` and ``source``/``detail`` naming the sheet.
    """

    host: str | None = None
    collected_at: datetime | None = None
    container: str | None = None  # the docker container the software facts came from
    ssh_host_key: str | None = None  # the key fingerprint the SSH server presented
    facts: dict[str, Fact] = Field(default_factory=dict)
    accelerators: list[Accelerator] = Field(default_factory=list)
    raw_outputs: list[CommandOutput] = Field(default_factory=list)
    telemetry: list[TelemetrySeries] = Field(default_factory=list)


# --------------------------------------------------------------------------- deployment


class DeploymentStep(_Model):
    """A step of section 2: what was run, and what it printed."""

    title: str
    description: str | None = None
    commands: list[str] = Field(default_factory=list)
    screen: str | None = None  # what an interactive installer showed (its menu), quoted as shown
    output: str | None = None
    origin: FactOrigin = "measured"


# --------------------------------------------------------------------------- serving


class RequestRecord(_Model):
    """One request as the client saw it. Times are seconds since the cell's t0
    (``time.perf_counter`` at dispatch of the first request)."""

    index: int
    warmup: bool = False
    start_s: float
    first_token_s: float | None = None  # first chunk carrying a generated token
    end_s: float | None = None  # last chunk carrying a generated token
    chunk_times_s: list[float] = Field(default_factory=list)  # every token chunk's arrival
    prompt_tokens: int | None = None  # server usage
    completion_tokens: int | None = None  # server usage
    expected_prompt_tokens: int | None = None  # counted by the client's tokenizer
    finish_reason: str | None = None
    http_status: int | None = None
    error: str | None = None  # None: success
    text: str | None = None  # generated text (may be truncated by the collector)
    round: int | None = None  # closed loop: the how-many-th request of its worker (0-based)
    worker: int | None = None  # closed loop: which of the batch_size concurrent workers sent it
    prompt_sha256: str | None = None  # of the prompt text, so inputs can be replayed elsewhere
    chunks: int | None = None  # SSE events received (token chunks + usage + others)
    scheduled_s: float | None = None  # open loop: when the arrival process said to send it (start_s - this = lateness)
    first_answer_s: float | None = None  # reasoning models: first chunk of answer content (not reasoning)
    target_output_tokens: int | None = None  # variable-length datasets: the output length this request asked for
    model: str | None = None  # the model the answer's chunks named (the first one not requested, if any)
    events_after_done: int = 0  # SSE events the server sent after [DONE] (not counted: no token of the answer)
    answer_problems: list[str] = Field(default_factory=list)  # usage of another shape: recorded as unknown, named

    @property
    def ok(self) -> bool:
        return self.error is None


class Stats(_Model):
    """Summary statistics of one metric, in the unit the field name says."""

    n: int
    mean: float | None = None
    median: float | None = None
    std: float | None = None
    p90: float | None = None
    p99: float | None = None
    min: float | None = None
    max: float | None = None
    # every other percentile printed or computed, keyed "p50", "p95", "p99.9" (same unit)
    percentiles: dict[str, float] = Field(default_factory=dict)


class ServingMetrics(_Model):
    """Aggregates of a serving cell, as defined by ``vllm bench serve``
    (see ``reportgen.metrics``). Latency stats are in milliseconds."""

    completed: int
    failed: int = 0
    duration_s: float
    total_input_tokens: int
    total_output_tokens: int
    request_throughput: float  # req/s
    input_throughput: float  # tok/s
    output_throughput: float  # tok/s
    total_token_throughput: float  # tok/s
    ttft_ms: Stats
    tpot_ms: Stats
    itl_ms: Stats | None = None
    e2el_ms: Stats | None = None
    effective_concurrency: float | None = None  # sum(E2EL) / duration
    prefill_tps: float | None = None  # mean prompt tokens / mean TTFT
    legacy_latency_per_token_ms: float | None = None  # old benchmark_serving.py's extra line
    goodput_rps: float | None = None  # requests/s meeting every per-request SLO limit of the cell (cell.slo)
    tfat_ms: Stats | None = None  # time to first answer token (reasoning models: after the reasoning)
    achieved_rate: float | None = None  # open loop: requests sent / span of their send times (req/s)
    lateness_ms: Stats | None = None  # open loop: send time - scheduled arrival time
    extra: dict[str, float] = Field(default_factory=dict)  # other printed metrics, by the printed name


class Rendering(_Model):
    """Another rendering of the same run (the printed text and its saved JSON; two pastes),
    merged into the item that carries this: where it was and the values it printed."""

    file: str
    block: int = 0
    format: str
    first_line: int | None = None
    last_line: int | None = None
    printed: dict[str, str] = Field(default_factory=dict)


class ImportInfo(_Model):
    """Where an imported figure came from, and the text as printed.

    Accounting (schema 3): ``first_line``/``last_line`` is the block's span in ``file`` (1-based,
    inclusive); ``printed_at`` the line of each printed value; ``rests_on`` maps each field the
    importer set (``metrics.ttft_ms.p99``, ``batch_size``, ``score``) to the printed labels it
    rests on -- one label when it was read, its inputs when it was derived (then the field is
    also in ``derived``). A printed number no field rests on was not used."""

    file: str
    block: int = 0  # index of the block in the file
    format: str  # "vllm-legacy-text", "vllm-text", "vllm-json", "swift-log", "llmuses-table", "seed-document"
    printed: dict[str, str] = Field(default_factory=dict)  # label -> value exactly as printed
    text: str | None = None  # the block as printed
    derived: list[str] = Field(default_factory=list)  # fields the importer computed (not printed)
    complete: bool | None = None  # False: the printed block was cut short (no closing ruler / object cut)
    first_line: int | None = None
    last_line: int | None = None
    printed_at: dict[str, int] = Field(default_factory=dict)  # label -> line in ``file``
    rests_on: dict[str, list[str]] = Field(default_factory=dict)  # field path -> printed labels
    also: list[Rendering] = Field(default_factory=list)  # other renderings of the same run, merged here


class ServerMetricsDelta(_Model):
    """What the server's Prometheus /metrics said changed during one cell."""

    prefix_cache_hits: float | None = None
    prefix_cache_queries: float | None = None
    prompt_tokens: float | None = None
    generation_tokens: float | None = None
    ttft_mean_ms: float | None = None
    tpot_mean_ms: float | None = None
    e2el_mean_ms: float | None = None
    requests: float | None = None  # requests the server counted as finished in the cell
    raw: dict[str, float] = Field(default_factory=dict)  # every counter/sum/count delta, "name{labels}" keys
    error: str | None = None  # why there is no delta (no /metrics, scrape failed)
    # figures left out because a sample they come from was not a usable number (+Inf, NaN, a
    # counter that went down): field name -> the reason, one line
    missing: dict[str, str] = Field(default_factory=dict)


class EnergyMetrics(_Model):
    """Power and energy of one serving cell, computed from its ``TelemetrySeries`` by
    ``reportgen.energy.energy_metrics`` (definitions there and in the README glossary).

    Figures are None when they cannot be computed; ``reason``/``detail`` then say why
    (no SMI tool, no power readings, fewer than 2 power readings per device, ...)."""

    window_s: float | None = None  # the cell's timed window the energy covers
    samples: int = 0  # samples in the series (all devices)
    devices: list[int] = Field(default_factory=list)  # devices whose power entered the figures
    devices_without_power: list[int] = Field(default_factory=list)  # sampled, < 2 power readings: excluded
    coverage: float | None = None  # fraction of the window between first and last power reading (least-covered device)
    avg_power_w: float | None = None  # energy_j / window_s: time-weighted mean of the summed power
    peak_power_w: float | None = None  # largest summed power at any sample time
    peak_temperature_c: float | None = None  # hottest reading of any device
    energy_j: float | None = None  # summed over devices, over the timed window
    output_tokens: int | None = None  # the cell's output tokens (successful requests)
    joules_per_output_token: float | None = None  # energy_j / output_tokens
    reason: MissingReason | None = None  # why there are no power figures
    detail: str | None = None


class CellKey(BaseModel):
    """What identifies a serving cell within its variant: the one definition used by the
    findings, the document, ``summary``, importers (merging) and ``--resume``.

    ``batch_size`` is the concurrency: closed loop, the concurrent workers; open loop, the cap
    on requests in flight (an import's ``min(num_prompts, max_concurrency)``; 0 when nothing caps
    them, as in ``bench --request-rate``): never a concurrency the server saw. An open-loop
    cell's concurrency is what was achieved (``ServingMetrics.effective_concurrency``;
    ``reportgen.validity.load_words``). ``request_rate`` is None for a closed loop (and for
    vLLM's ``inf``). ``repeat`` numbers repeated runs of one case."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    batch_size: int
    input_len: int
    output_len: int
    request_rate: float | None = None
    burstiness: float | None = None  # open loop and not Poisson only (see ``key_burstiness``)
    dataset: str = "random"
    repeat: int = 0

    def case(self) -> CellKey:
        """The key without the repeat number: what repeats of one case share."""
        return self.model_copy(update={"repeat": 0})


def key_burstiness(request_rate: float | None, burstiness: float | None) -> float | None:
    """A cell's burstiness as part of its key: None for a closed loop and for Poisson arrivals (1),
    so that the usual cells keep the keys they always had; another gamma shape is another cell."""
    if request_rate is None or burstiness is None or burstiness == 1.0:
        return None
    return burstiness


#: Datasets whose prompts have exactly the requested lengths (the exact-length checks apply).
EXACT_LENGTH_DATASETS = frozenset({"random", "prefix"})


def is_exact_length(dataset: str) -> bool:
    """True for datasets whose requests all have the cell's input/output lengths
    ("random", "prefix:LEN"); False for sharegpt, sonnet, jsonl files, ..."""
    return dataset.split(":", 1)[0] in EXACT_LENGTH_DATASETS


class ServingCell(_Model):
    """One case of the matrix: a batch size (or request rate) at one input/output length."""

    batch_size: int  # concurrency (see CellKey)
    input_len: int  # requested prompt tokens (variable-length datasets: the mean)
    output_len: int  # requested output tokens (variable-length datasets: the mean)
    request_rate: float | None = None  # open loop: target arrivals/s; None: closed loop
    burstiness: float | None = None  # gamma shape of the inter-arrival times (1: Poisson)
    dataset: str = "random"  # "random", "prefix:LEN", "sharegpt", "sonnet", "jsonl", ...
    repeat: int = 0  # the how-many-th run of the same case (--repeats)
    # whether every request had exactly input_len / output_len tokens; None: as the dataset implies
    # (``is_exact_length``). Imports set them: sharegpt with a fixed --sharegpt-output-len has an exact
    # output length only; lengths taken as means (not recorded) are never exact.
    input_len_exact: bool | None = None
    output_len_exact: bool | None = None
    slo: dict[str, float] = Field(default_factory=dict)  # limits the cell was judged by: "ttft_p99_ms", "tpot_ms", ...
    slo_preset: str | None = None  # the named preset ``slo`` was resolved from ("mlperf-server/llama3.1-8b"; reportgen.slo_presets)
    num_requests: int | None = None  # planned timed requests
    rounds: int | None = None
    endpoint: str | None = None  # "/v1/completions"
    source: Literal["measured", "imported"] = "measured"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None  # perf_counter span of the timed window
    requests: list[RequestRecord] = Field(default_factory=list)
    metrics: ServingMetrics | None = None
    server_metrics: ServerMetricsDelta | None = None
    telemetry: TelemetrySeries | None = None
    energy: EnergyMetrics | None = None  # from ``telemetry`` (reportgen.energy), stored alongside like ``metrics``
    import_info: ImportInfo | None = None
    command: str | None = None  # the client command, when one was used (imported runs)
    notes: list[str] = Field(default_factory=list)
    warmup_requests: int | None = None  # sent before the timed window, tagged warmup=True
    prompt_seed: int | None = None  # seed of the exact-length random prompts
    prompt_source: str | None = None  # "tokenizer:DIR" or "server:/tokenize"
    request_params: dict[str, Any] = Field(default_factory=dict)  # sampling settings sent
    interrupted: bool = False  # stopped early (Ctrl-C): --resume runs the cell again

    def exact_input(self) -> bool:
        """Whether the exact input-length checks apply to this cell."""
        return self.input_len_exact if self.input_len_exact is not None else is_exact_length(self.dataset)

    def exact_output(self) -> bool:
        """Whether the exact output-length checks apply to this cell."""
        return self.output_len_exact if self.output_len_exact is not None else is_exact_length(self.dataset)

    def answer_models(self) -> dict[str, int]:
        """The served model of this cell: each model name its answered timed requests named, with
        how many named it (the requested one alone when the server is the one asked for)."""
        out: dict[str, int] = {}
        for r in self.requests:
            if not r.warmup and r.error is None and r.model is not None:
                out[r.model] = out.get(r.model, 0) + 1
        return out

    @property
    def key(self) -> CellKey:
        return CellKey(
            batch_size=self.batch_size, input_len=self.input_len, output_len=self.output_len,
            request_rate=self.request_rate, burstiness=key_burstiness(self.request_rate, self.burstiness),
            dataset=self.dataset, repeat=self.repeat,
        )


# --------------------------------------------------------------------------- functional check


class FunctionalCheck(_Model):
    """Section 3.2: one request by hand, and what came back."""

    endpoint: str = "/v1/completions"
    request: dict[str, Any] = Field(default_factory=dict)  # the JSON body sent
    command: str | None = None  # e.g. the curl command as the seed shows it
    response_text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    raw_response: str | None = None
    latency_s: float | None = None
    error: str | None = None
    origin: FactOrigin = "measured"
    answer_problems: list[str] = Field(default_factory=list)  # as SampleRecord.answer_problems


class ServerSettings(_Model):
    engine: str | None = None  # "vllm"
    engine_version: str | None = None
    base_url: str | None = None
    launch_command: str | None = None
    container: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    log_tail: str | None = None
    # the first lines of the server's log, read when it answered: what section 2 quotes to show the
    # server starting (the tail, read after it stopped, holds the shutdown)
    startup_log: str | None = None
    launched: bool = False  # True: reportgen started (and stopped) it; False: attached
    startup_s: float | None = None  # launch -> /health and /v1/models answered
    served_models: list[str] = Field(default_factory=list)  # ids from /v1/models
    exit_code: int | None = None  # after stop (launched servers)
    error: str | None = None  # why the server could not be used
    # What tells one deployment from another (``reportgen.validity.variant_identity``):
    model_root: str | None = None  # /v1/models "root" of the served model (vLLM: the path it loaded)
    process_start_time: float | None = None  # /metrics process_start_time_seconds (Unix time), where given
    # the served model's own config.json, where it could be read on this machine: "torch_dtype",
    # "quant_method" (quantization_config), "bits"
    served_config: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- accuracy


class SampleRecord(_Model):
    """One question as sent and answered. ``correct`` is None when it was not scored
    (the request failed: ``error`` says why)."""

    id: str  # unique within its benchmark: "accountant/0", "main/17", "navigate/3"
    subset: str | None = None  # subject / task
    prompt: str | None = None  # kept only on request (--keep-prompts); rebuilt from the data otherwise
    response: str | None = None
    extracted: str | None = None  # None: the extractor found no answer (counted as unparsed)
    gold: str | None = None  # after the mode's gold normaliser
    correct: bool | None = None
    error: str | None = None
    finish_reason: str | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    # parts of the server's answer of another shape (a count that is not a count), recorded as
    # unknown: one line each (collectors.answers)
    answer_problems: list[str] = Field(default_factory=list)


class SubsetScore(_Model):
    name: str  # subject / task key, as in the data files
    n: int
    correct: int
    score: float  # correct / n
    label: str | None = None  # display name (ceval: the Chinese subject name)
    category: str | None = None  # "STEM", "Humanities", ... ; bbh: "multiple_choice" / "free_form"
    unparsed: int = 0  # answers the extractor could not read
    n_planned: int | None = None


class AccuracyResult(_Model):
    benchmark: str  # "ceval", "gsm8k", "mmlu", "bbh"
    mode: str  # "corrected", "swift2024", or "unknown" for imported figures
    source: Literal["measured", "imported"] = "measured"
    split: str | None = None
    shots: int | None = None
    task_version: str | None = None  # bumped whenever prompt, extraction or scoring changes
    extractor: str | None = None  # name in collectors.accuracy.extract.EXTRACTORS
    n: int | None = None  # scored samples
    n_planned: int | None = None
    n_total: int | None = None  # samples in the split (n_planned < n_total under --limit)
    correct: int | None = None
    score: float | None = None  # micro average (correct / n), fraction 0-1, unrounded
    macro: float | None = None  # mean over subsets of the subset scores, fraction 0-1
    unparsed: int | None = None  # scored samples whose answer could not be extracted
    errors: int | None = None  # samples whose request failed (not scored)
    # sha256 of the scored question ids (sorted, one per line): two runs answered the same questions
    # when theirs are equal (``question_set``); kept for runs whose samples are not stored
    question_ids_sha256: str | None = None
    model: str | None = None  # the served model name the requests named
    base_url: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    subsets: list[SubsetScore] = Field(default_factory=list)
    samples: list[SampleRecord] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    command: str | None = None
    import_info: ImportInfo | None = None

    def question_set(self) -> str | None:
        """The sha256 of the scored question ids: as recorded when the score was computed (the
        runner hashes the questions it scored), else from the stored samples (None: unknown)."""
        if self.question_ids_sha256:
            return self.question_ids_sha256
        scored = [s.id for s in self.samples if s.correct is not None]
        return ids_sha256(scored) if scored else None


def ids_sha256(ids: Iterable[str]) -> str:
    """The one hash of a set of question ids (sorted, one per line)."""
    return hashlib.sha256("\n".join(sorted(set(ids))).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- capacity


class CapacityProbe(_Model):
    """One load level tried by a capacity search: a full serving cell and whether it met the SLO."""

    value: float  # concurrency or request rate
    met: bool
    cell: ServingCell
    failed_limits: list[str] = Field(default_factory=list)  # SLO keys not met ("ttft_p99_ms")


class CapacitySearch(_Model):
    """The largest concurrency (or request rate) whose cell meets every SLO limit."""

    by: Literal["concurrency", "rate"]
    slo: dict[str, float]  # "ttft_p99_ms": 2000, "tpot_p99_ms": 100, ...
    slo_preset: str | None = None  # the named preset ``slo`` was resolved from (reportgen.slo_presets)
    input_len: int
    output_len: int
    dataset: str = "random"
    max_value: float | None = None  # the search's upper bound (--max-concurrency)
    min_value: float | None = None  # its lower bound: concurrency 1, or the smallest rate
    start: float | None = None  # the first value probed (then doubled up to max_value, then bisected)
    capacity: float | None = None  # None: not even the smallest value met the SLO
    probes: list[CapacityProbe] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    command: str | None = None
    reason: str | None = None  # why the search stopped without an answer


# --------------------------------------------------------------------------- consistency with a reference card


class ConsistencyPrompt(_Model):
    """One prompt of a consistency pass: what the card generated and how it compares, position by
    position, with the baseline (the reference card's recording, or the card's own batch-1 pass).

    The per-position lists run over the baseline's greedy continuation: under teacher forcing the
    card is given the baseline's tokens as its prefix, so a difference early on does not hide the
    positions after it (``reportgen.consistency.metrics``)."""

    id: str  # the prompt set's id: "ceval/0shot/accountant/12"
    sha256: str  # of the prompt's messages (canonical JSON): the same question the baseline answered
    lang: str | None = None  # "zh", "en"
    length: str | None = None  # "short" (0-shot) or "long" (few-shot)
    prompt_excerpt: str | None = None  # the last user message, its first 200 characters (the whole prompt is in the reference)
    prompt_tokens: int | None = None  # as the reference's server templated and tokenized it
    template_match: bool | None = None  # the card's server templated the messages into the same tokens
    baseline_tokens: list[int] = Field(default_factory=list)  # the baseline's greedy continuation
    tokens: list[int] = Field(default_factory=list)  # the card's greedy continuation
    baseline_text: str | None = None
    text: str | None = None
    finish_reason: str | None = None
    top1: list[bool] = Field(default_factory=list)  # the card's most likely token is the baseline's
    kl: list[float] = Field(default_factory=list)  # KL(baseline || card), nats, top-k plus one bin for the rest
    abs_dlogprob: list[float] = Field(default_factory=list)  # |card - baseline| log-probability of the baseline token
    bounded: int = 0  # positions where a baseline top-k token was outside the card's list (probability bounded)
    topk_mass: float | None = None  # mean over the positions of the baseline's top-k probability sum (how much the KL bins cover)
    error: str | None = None  # why this prompt was not compared


class ConsistencyPass(_Model):
    """The prompt set sent once, at one concurrency, and compared with one baseline."""

    batch_size: int  # requests kept in flight
    baseline: Literal["reference", "batch1"]  # the reference card, or this card at batch size 1 (batch invariance)
    # how the per-position lists were made: teacher forcing through vLLM's prompt_logprobs or the
    # legacy echo, or (servers with neither) the generated tokens' own log-probabilities over the
    # common prefix only
    method: Literal["prompt_logprobs", "echo", "common_prefix"]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    prompts: list[ConsistencyPrompt] = Field(default_factory=list)


class ConsistencyThresholds(_Model):
    """The limits a verdict is judged by (``reportgen.consistency.verdict``; defaults argued in
    docs/consistency.md). 一致: top-1 agreement >= top1_pass and mean KL <= kl_pass; 不一致: top-1
    agreement < top1_fail, mean KL > kl_fail or first-token agreement < first_token_fail;
    otherwise 存在偏差."""

    profile: str  # "same", "half", "int8", "int4" (or the plan's own name)
    top1_pass: float
    kl_pass: float
    top1_fail: float
    kl_fail: float
    first_token_fail: float


class ConsistencyReference(_Model):
    """What the card was compared with, as its reference file records it."""

    file: str | None = None  # the file's name as given
    file_sha256: str | None = None
    recorded_at: datetime | None = None
    model: str | None = None  # the name the reference server served
    model_root: str | None = None  # what that server loaded (/v1/models "root")
    model_name: str | None = None  # the display name given when recording
    dtype: str | None = None  # "fp16", "bf16", "fp32"
    quantization: str | None = None
    engine: str | None = None
    engine_version: str | None = None
    card: str | None = None
    prompt_set: str  # "reportgen-consistency-v1"
    prompt_set_sha256: str
    prompts: int  # in the reference file
    max_tokens: int
    top_k: int
    teacher_forcing: Literal["prompt_logprobs", "echo"] | None = None


class ConsistencyCheck(_Model):
    """A variant compared with a reference card's recording (document section 与参考卡输出一致性)."""

    reference: ConsistencyReference
    model_names: list[str] = Field(default_factory=list)  # the card's model as named (display, path, served)
    prompt_set_sha256: str  # of the reference's prompts as this run read them
    thresholds: ConsistencyThresholds
    batch_thresholds: ConsistencyThresholds  # for the batch-invariance pass
    passes: list[ConsistencyPass] = Field(default_factory=list)
    command: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None  # why the check stopped (the passes hold what was done)
# --------------------------------------------------------------------------- soak (stability)


class SoakWindow(_Model):
    """One window of a soak run (``collectors.serving.soak``): the requests that finished in it and
    what the card and the server said meanwhile. Times are seconds of measured soak time (an
    interruption's pause is not counted), ``t_s = 0`` at the first window's start."""

    index: int  # 0-based, in measured order (a resumed run continues the numbering)
    start_s: float  # soak time at the window's start
    duration_s: float  # the window's length (the last one may be shorter than window_s)
    started_at: datetime | None = None  # wall clock
    # requests that finished inside the window (request times are seconds since the window's start;
    # chunk arrival times are not kept: a soak sends tens of thousands of requests)
    requests: list[RequestRecord] = Field(default_factory=list)
    metrics: ServingMetrics | None = None  # from ``requests`` over ``duration_s`` (reportgen.metrics)
    telemetry: TelemetrySeries | None = None  # card telemetry during the window (its own series, t_s from the window's start)
    energy: EnergyMetrics | None = None  # from ``telemetry`` (reportgen.energy), as for a cell
    server_start_time_s: float | None = None  # /metrics process_start_time_seconds at the window's end (Unix s)
    server_scrape_error: str | None = None  # why there is no start time (no such metric, scrape failed)
    interrupted: bool = False  # cut short by an interrupt: kept, left out of every verdict


class SoakRun(_Model):
    """A constant load held for a long time, measured in windows (document section 稳定性测试)."""

    by: Literal["concurrency", "rate"]
    concurrency: int | None = None  # closed loop: concurrent workers
    request_rate: float | None = None  # open loop: Poisson arrivals/s
    load_origin: Literal["given", "operating_point", "capacity"] = "given"  # how the load was chosen
    input_len: int
    output_len: int
    dataset: str = "random"
    endpoint: str | None = None
    duration_s: float  # planned measured time
    window_s: float  # planned window length
    slo: dict[str, float] = Field(default_factory=dict)
    slo_preset: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None  # None: not finished (``--resume`` continues it)
    resumed_at: list[datetime] = Field(default_factory=list)  # each time an interrupted run was continued
    warmup_requests: int | None = None
    prompt_seed: int | None = None
    prompt_source: str | None = None
    request_params: dict[str, Any] = Field(default_factory=dict)
    command: str | None = None
    windows: list[SoakWindow] = Field(default_factory=list)
    # requests still in flight at the end, finished after the last window closed: not in any window
    # (counting them would show the load tapering off), kept for the error count
    tail_requests: list[RequestRecord] = Field(default_factory=list)

    @property
    def measured_s(self) -> float:
        """Measured time so far: the windows that were not interrupted."""
        return sum(w.duration_s for w in self.windows if not w.interrupted)


# --------------------------------------------------------------------------- variants


class ModelVariant(_Model):
    """One model at one precision: everything measured on it."""

    label: str  # unique in the file: "FP16", "GPTQ-Int4", "AWQ-Int4", "INT4"
    model: str | None = None  # "Qwen2-7B-Instruct"
    model_path: str | None = None
    served_model_name: str | None = None
    precision: str | None = None  # "fp16", "bf16", "int4", "int8"
    quantization: str | None = None  # "gptq", "awq", None
    tokenizer: str | None = None  # tokenizer directory used for exact-length prompts
    server: ServerSettings = Field(default_factory=ServerSettings)
    functional_check: FunctionalCheck | None = None
    serving: list[ServingCell] = Field(default_factory=list)
    accuracy: list[AccuracyResult] = Field(default_factory=list)
    capacity: list[CapacitySearch] = Field(default_factory=list)
    consistency: ConsistencyCheck | None = None  # compared with a reference card (reportgen.consistency)
    # cards the server used (tensor x pipeline x data parallel): per-card figures divide by it;
    # None: not recorded (``reportgen.frontier.variant_cards`` then reads the launch command)
    cards: int | None = Field(None, ge=1)
    soak: list[SoakRun] = Field(default_factory=list)


# --------------------------------------------------------------------------- embeddings


class ScoredPair(_Model):
    """Two texts and their score: for embeddings ``a``/``b`` are the exact texts embedded
    (instruction included) and ``score`` their cosine; for rerankers ``a`` is the query,
    ``b`` the passage and ``score`` the raw (logit) score."""

    a: str
    b: str
    score: float
    normalized: float | None = None  # sigmoid(score) for rerankers
    group: str | None = None  # which part of the script: "sentences", "query_passage", "single", "batch"


class ScoreMatrix(_Model):
    """A matrix of scores, rows x cols (e.g. query x passage similarity)."""

    name: str  # "similarity" (sentences_1 x sentences_2), "query_passage"
    rows: list[str]
    cols: list[str]
    values: list[list[float]]


class ReferenceItem(_Model):
    """One compared value of a reference check."""

    label: str  # the text (embedding) or "query | passage" (reranker)
    value: float  # cosine with the reference embedding, or the measured score
    expected: float  # 1.0 for embeddings, the reference score for rerankers
    delta: float  # 1 - cosine, or |score - reference|
    ok: bool


class Note(_Model):
    """A message as data: a code of ``reportgen.messages.NOTES`` and its arguments, rendered in
    English (``str(note)``, logs, ``validate``) and Chinese (``note.text("zh")``, the document)."""

    code: str
    args: dict[str, str | int | float] = Field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **args: str | int | float) -> Note:
        return cls(code=code, args=args)

    def text(self, lang: str = "en") -> str:
        from reportgen.messages import note_text

        return note_text(self.code, self.args, lang)

    def __str__(self) -> str:
        return self.text("en")


def _note(value: Any) -> Any:
    """A plain string (a file written before notes, or free text) is kept as it is: code ``text``."""
    return {"code": "text", "args": {"text": value}} if isinstance(value, str) else value


def _notes(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):  # an older file joined its lines with "; "
        value = [value]
    return [_note(v) for v in value] if isinstance(value, list) else value


NoteField = Annotated[Note, BeforeValidator(_note)]
NoteList = Annotated[list[Note], BeforeValidator(_notes)]


class ReferenceCheck(_Model):
    status: Literal["pass", "fail", "none"] = "none"
    source: Literal["float32-cpu", "recorded"] | None = None
    reference: NoteField | None = None  # what it was compared with
    metric: str | None = None  # "min cosine", "max |diff|"
    value: float | None = None  # the worst item's value of ``metric``
    threshold: float | None = None
    detail: NoteList = Field(default_factory=list)  # why there is no check, or what failed
    items: list[ReferenceItem] = Field(default_factory=list)


class ThroughputPoint(_Model):
    batch_size: int
    text_kind: str  # "short", "512-token"
    items_per_s: float  # texts/s (embedding) or pairs/s (reranker): items / sum of call latencies
    mean_latency_ms: float | None = None  # per call (one batch)
    p99_latency_ms: float | None = None
    n: int | None = None  # timed calls
    tokens_per_item: float | None = None  # mean tokens the model saw per text (pair for rerankers)
    latencies_s: list[float] = Field(default_factory=list)  # every timed call


class EmbeddingRun(_Model):
    """An embedding or reranker check (sections 5 and 6)."""

    model: str
    kind: Literal["embedding", "reranker"]
    mode: str  # "http", "local", or the library the seed used ("FlagEmbedding", ...)
    device: str | None = None
    precision: str | None = None
    model_path: str | None = None  # local model directory (local mode, or the reference)
    base_url: str | None = None  # http mode
    endpoint: str | None = None  # "/v1/embeddings", "/v1/rerank", "/rerank", "/score"
    served_model: str | None = None  # the model name sent to the server
    instruction: str | None = None  # query instruction (embeddings)
    pooling: str | None = None  # "cls", "mean" (local mode)
    dimensions: int | None = None  # embedding size
    raw_scores: bool | None = None  # reranker: the scores are logits (not sigmoid-normalized)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    script: str | None = None
    command: str | None = None
    output: str | None = None  # what the run printed
    pairs: list[ScoredPair] = Field(default_factory=list)
    matrices: list[ScoreMatrix] = Field(default_factory=list)
    reference_check: ReferenceCheck = Field(default_factory=ReferenceCheck)
    throughput: list[ThroughputPoint] = Field(default_factory=list)
    warnings: NoteList = Field(default_factory=list)  # non-fatal problems (a throughput point failed, ...)
    note: str | None = None  # a remark the document shows under the run's heading (why it differs from the source)
    error: str | None = None  # why the check did not complete
    origin: FactOrigin = "measured"


# --------------------------------------------------------------------------- findings and top level


class Finding(_Model):
    """One validity finding (``reportgen.validity``). ``error``: the figure cannot be right;
    ``warning``: it is doubtful or incomplete; ``note``: it is right but means less than it
    seems (a P99 over a few requests), so it is marked without changing its cell's status.
    Findings are recomputed whenever a file is checked or rendered; ``validate --write`` stores them."""

    severity: Literal["error", "warning", "note"]
    precision: str | None = None  # variant label
    cell: CellKey | None = None  # the serving cell concerned (with ``precision``); None: not about one cell
    check: str  # the rule's stable snake_case reason code (docs/validity.md)
    message: str  # one English line with the numbers involved
    message_zh: str | None = None  # the same line in Chinese, same numbers (the document shows it)
    benchmark: str | None = None  # accuracy findings: the benchmark concerned
    # The row of the message table both lines are worded from (the check's code, or "code.variant")
    # and its arguments: the evidence values the rule used (numbers, strings; a nested row as
    # {"row", "args"}, a word in two languages as {"en", "zh"}, a list as {"join", "items"}).
    message_row: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def batch_size(self) -> int | None:
        """The concerned cell's batch size (None: not about one serving cell)."""
        return self.cell.batch_size if self.cell is not None else None


class Invocation(_Model):
    """A command line that wrote into this file."""

    argv: list[str]
    started_at: datetime
    finished_at: datetime | None = None
    host: str | None = None


class ToolInfo(_Model):
    name: str = "reportgen"
    version: str = __version__


class Subject(_Model):
    """What the document is about and who answers for it: shown on its cover."""

    card: str | None = None  # "Iluvatar BI-V150"
    model: str | None = None  # "Qwen2-7B-Instruct"
    organization: str | None = None
    report_number: str | None = None
    tester: str | None = None
    reviewer: str | None = None
    issued_on: str | None = None  # date of issue, ISO "2024-09-10"
    period: str | None = None  # evaluation period as the source states it ("2024-06-27 至 2024-09-02")


class Redaction(_Model):
    """A secret that was replaced by ``***`` before anything was stored."""

    where: str  # "invocations[0].argv", "variants[FP16].server.launch_command", "env:HF_TOKEN"
    kind: str  # "api_key", "token", "password", "url_userinfo", "authorization", "secret_env"


class FrontierSettings(_Model):
    """How the document reads the performance frontier (the plan's ``[frontier]``; reportgen.frontier).
    Absent: the defaults (interactivity levels from the MLPerf limits of the model's class, output
    throughput, no price)."""

    interactivity: list[float] = Field(default_factory=list)  # tok/s per user to read the frontier at; empty: MLPerf's
    throughput: Literal["output", "total"] = "output"  # the frontier's y: output tokens or input + output tokens
    card_hour_price: float | None = Field(None, gt=0)  # price of one card for one hour
    currency: str | None = None  # "元", "USD", ... (as the plan writes it)
    price_note: str | None = None  # what the price is ("按需租用价，2026-12")

    @model_validator(mode="after")
    def _levels(self) -> FrontierSettings:
        if any(not (x > 0 and math.isfinite(x)) for x in self.interactivity):
            raise ValueError("interactivity levels must be positive numbers (tok/s per user)")
        return self


class Results(_Model):
    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo = Field(default_factory=ToolInfo)
    title: str = "算力卡推理评测"
    subject: Subject = Field(default_factory=Subject)
    invocations: list[Invocation] = Field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    environment: Environment = Field(default_factory=Environment)
    deployment: list[DeploymentStep] = Field(default_factory=list)
    variants: list[ModelVariant] = Field(default_factory=list)
    embeddings: list[EmbeddingRun] = Field(default_factory=list)
    frontier: FrontierSettings | None = None  # the plan's [frontier] (interactivity levels, price)
    findings: list[Finding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    redactions: list[Redaction] = Field(default_factory=list)
    # Secret values met while collecting (a plan's HF_TOKEN, an API key): never stored, masked
    # wherever they appear when the file is saved (``reportgen.redact``).
    _secrets: set[str] = PrivateAttr(default_factory=set)

    def add_secret(self, value: str | None) -> None:
        """Mask ``value`` wherever it appears in this document from now on (it is never stored),
        and in everything this process prints or writes (``reportgen.redact.register_secret``)."""
        if value:
            from reportgen.redact import register_secret

            self._secrets.add(value)
            register_secret(value)

    @property
    def secret_values(self) -> frozenset[str]:
        """The secret values known so far (to mask kept log files with)."""
        return frozenset(self._secrets)

    def redact(self) -> None:
        """Mask every secret in the document in place and record where (``reportgen.redact``)."""
        from reportgen.redact import redact_model, registered_secrets

        r = redact_model(self, self._secrets)
        self._secrets |= r.values - registered_secrets()  # the process's own secrets stay the process's
        seen = {(x.where, x.kind) for x in self.redactions}
        for where, kind in r.found:
            if (where, kind) not in seen and not where.startswith("redactions"):
                seen.add((where, kind))
                self.redactions.append(Redaction(where=where, kind=kind))

    @model_validator(mode="after")
    def _labels_unique(self) -> Results:
        seen: set[str] = set()
        for v in self.variants:
            if v.label in seen:
                raise ValueError(f"variant label {v.label!r} appears twice")
            seen.add(v.label)
        return self

    def variant(self, label: str, **defaults: Any) -> ModelVariant:
        """The variant with this label, created (with ``defaults``) if absent."""
        for v in self.variants:
            if v.label == label:
                return v
        v = ModelVariant(label=label, **defaults)
        self.variants.append(v)
        return v


# --------------------------------------------------------------------------- migrations

# Each step takes a raw dict of version N and returns version N+1. Register new steps here
# when SCHEMA_VERSION is bumped.


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """v2 names a finding's serving cell by its full key (``Finding.cell``) instead of
    ``batch_size``/``input_len``, which could not tell two output lengths apart. A v1 finding
    is moved to the one cell of its variant that matches; one that matches several or none
    is dropped (findings are recomputed by ``validity`` whenever a file is checked or rendered)."""
    variants = doc["variants"] if isinstance(doc.get("variants"), list) else []
    cells: dict[str, list[dict[str, Any]]] = {}
    for v in variants:
        if isinstance(v, dict) and isinstance(v.get("label"), str) and isinstance(v.get("serving"), list):
            cells[v["label"]] = [c for c in v["serving"] if isinstance(c, dict)]
    if not isinstance(doc.get("findings"), list):
        return doc  # nothing to convert (validation names what is wrong)
    out = []
    for f in doc["findings"]:
        if not isinstance(f, dict):
            out.append(f)
            continue
        f = dict(f)
        b, i = f.pop("batch_size", None), f.pop("input_len", None)
        if b is not None:
            prec = f.get("precision")
            match = [
                c for c in (cells.get(prec, []) if isinstance(prec, str) else [])
                if c.get("batch_size") == b and (i is None or c.get("input_len") == i)
            ]
            if len(match) != 1:
                continue
            c = match[0]
            f["cell"] = {"batch_size": b, "input_len": c.get("input_len"), "output_len": c.get("output_len")}
        out.append(f)
    if "findings" in doc:
        doc["findings"] = out
    return doc


def _v3_frontier(doc: dict[str, Any]) -> dict[str, Any]:
    """v3 (frontier): new optional fields only, each with a default that means "not recorded":
    ``ModelVariant.cards``/``soak``, ``Results.frontier``, ``ServingCell.slo_preset``,
    ``CapacitySearch.slo_preset``, ``TelemetrySample.clock_mhz``. Nothing to convert."""
    return doc


def _v3_harden(doc: dict[str, Any]) -> dict[str, Any]:
    """harden's part of v3: new optional fields only (``SampleRecord.answer_problems``,
    ``FunctionalCheck.answer_problems``, ``ServerMetricsDelta.missing``; on ``RequestRecord``
    ``model``, ``events_after_done`` and ``answer_problems``), all empty or unknown by default;
    a v2 file needs no change."""
    return doc


def _v3_imports(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 (imports): ``ImportInfo`` gains the block's line span, the line of each printed
    value, the printed values each field rests on, and the other renderings merged into an
    item (``Rendering``). All are optional with empty defaults: a v2 file needs no change."""
    return doc


def _v3_pages(doc: dict[str, Any]) -> dict[str, Any]:
    """v3 (pages): ``ServerSettings.startup_log`` and ``DeploymentStep.screen``, both optional
    (None in older files: section 2 then quotes no log lines rather than the shutdown the tail
    holds, and no installer screen). Nothing to convert."""
    return doc


def _v3_verdicts(doc: dict[str, Any]) -> dict[str, Any]:
    """v3 words a finding from a row of the message table with its evidence values
    (``Finding.message_row``, ``Finding.args``). Stored v2 findings have neither and are dropped:
    findings are recomputed whenever a file is checked (``validate``) or rendered, and nothing
    reads the stored ones (``validate --write`` stores fresh ones).

    An open-loop cell measured by reportgen stored the number of its requests as its
    ``batch_size``, which read as a concurrency nobody applied; v3 stores 0 (nothing capped the
    requests in flight). The new identity fields (``ServerSettings.model_root``,
    ``process_start_time``, ``served_config``; ``AccuracyResult.question_ids_sha256``) are
    optional and default to unknown."""
    if isinstance(doc.get("findings"), list):
        doc["findings"] = []
    def listed(x: Any) -> list[Any]:
        return x if isinstance(x, list) else []  # a malformed file: validation names what is wrong

    for v in listed(doc.get("variants")):
        if not isinstance(v, dict):
            continue
        cells = [c for c in listed(v.get("serving")) if isinstance(c, dict)]
        for search in listed(v.get("capacity")):
            if isinstance(search, dict):
                cells += [p["cell"] for p in listed(search.get("probes")) if isinstance(p, dict) and isinstance(p.get("cell"), dict)]
        for c in cells:
            if (c.get("request_rate") is not None and c.get("source", "measured") == "measured"
                    and c.get("batch_size") == c.get("num_requests")):
                c["batch_size"] = 0
    return doc


def _v3_consistency(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 (consistency): ``ModelVariant.consistency``, optional with default None: a v2 file
    needs no change."""
    return doc


def _v3_limits(doc: dict[str, Any]) -> dict[str, Any]:
    """Issues 25/26 (limits): v3 adds optional fields only, each with a default that reads a v2
    file as it was: ``CommandOutput.stdout_bytes``/``stderr_bytes`` (a capture's full size when
    it was cut), ``CapacitySearch.min_value``/``start`` (the search's bounds), and
    ``TelemetrySeries.excluded_count``/``power_ceiling_w``/``excluded`` (readings outside physical
    ranges). Nothing to convert."""
    return doc


def _v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:
    """Every results-model change of schema 3, one function per topic."""
    return _v3_harden(_v3_limits(_v3_frontier(_v3_consistency(_v3_pages(_v3_verdicts(_v3_imports(doc)))))))


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate(doc: dict[str, Any], *, source: str) -> dict[str, Any]:
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ResultsSchemaError(f"{source}: field schema_version: missing or not an integer")
    if version > SCHEMA_VERSION:
        raise ResultsSchemaError(
            f"{source}: field schema_version: {version} is newer than this reportgen "
            f"understands ({SCHEMA_VERSION}); upgrade reportgen"
        )
    if version < 1:
        raise ResultsSchemaError(f"{source}: field schema_version: {version} is not a valid version")
    while version < SCHEMA_VERSION:
        try:
            doc = MIGRATIONS[version](doc)
        except (TypeError, AttributeError, KeyError, ValueError) as e:  # a malformed old file: one line
            raise ResultsSchemaError(
                f"{source}: cannot convert from schema version {version}: {type(e).__name__}: {e}"
            ) from None
        version += 1
        doc["schema_version"] = version
    return doc


# --------------------------------------------------------------------------- load / save


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _number_out_of_range(doc: Any) -> tuple[str, Any] | None:
    """(path, value) of the first number of a raw document outside the results' range
    (``reportgen.ranges.MAX_INT``, ``MAX_FLOAT``), or None. Iterative (no recursion limit)."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, where = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            t = type(v)
            if t is int and not -MAX_INT <= v <= MAX_INT or t is float and not -MAX_FLOAT <= v <= MAX_FLOAT:
                return (f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}" if where else str(k)), v
            if t is dict or t is list:
                stack.append((v, f"{where}[{k}]" if isinstance(k, int) else f"{where}.{k}" if where else str(k)))
    return None


def _shown(v: Any) -> str:
    text = str(v)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"


def results_from_dict(doc: Any, *, source: str = "<results>") -> Results:
    """Validate a raw dict (after migration) into ``Results``. A number outside the range any
    field can hold (a 4000-digit request count, ``1e308``) is refused with its field's path: it
    would overflow wherever it is summed, squared or converted (validate, summary, render)."""
    if not isinstance(doc, dict):
        raise ResultsSchemaError(f"{source}: field (top level): expected a JSON object")
    bad = _number_out_of_range(doc)
    if bad is not None:
        raise ResultsSchemaError(f"{source}: field {bad[0]}: {_shown(bad[1])} is outside the range a results "
                                 f"file holds (|x| <= {MAX_INT} for integers, {MAX_FLOAT:g} for other numbers)")
    doc = migrate(doc, source=source)
    try:
        return Results.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise ResultsSchemaError(f"{source}: field {_loc(err['loc'])}: {err['msg']}{more}") from None


def load_results(path: str | os.PathLike[str]) -> Results:
    """Read and validate a results file. Raises ``ResultsError``/``ResultsSchemaError``."""
    p = Path(path)
    if p.is_dir():
        raise ResultsError(f"{p}: is a directory, not a results file")
    text = read_limited(p, MAX_RESULTS_BYTES, what="a results file", error=ResultsError, text_only=True)
    doc = parse_json(text, str(p), ResultsSchemaError)  # NaN, depth, long integers, duplicate keys: one line
    return results_from_dict(doc, source=str(p))


def dump_results(results: Results) -> str:
    """The JSON text; ``ResultsError`` naming the field when a number is NaN or infinite. A lone
    surrogate (a server's JSON may escape one, ``"\\ud800"``) has no UTF-8 form: it is saved as
    U+FFFD, as a decoder replaces bytes it cannot read, instead of failing the save."""
    try:
        text = results.model_dump_json(indent=1, exclude_none=False) + "\n"
    except PydanticSerializationError as e:
        if "surrogates not allowed" not in str(e):
            raise
        _replace_surrogates(results)
        text = results.model_dump_json(indent=1, exclude_none=False) + "\n"
    if 'NaN"' in text or 'Infinity"' in text:  # rare: a string may say so too, so look closer
        where = _non_finite(results, "")
        if where is not None:
            raise ResultsError(f"field {where}: not a finite number; nothing was saved")
    if _HUGE_NUMBER.search(text):  # rare: a string may hold such digits too, so look closer
        bad = _number_out_of_range(json.loads(text))
        if bad is not None:
            raise ResultsError(f"field {bad[0]}: {_shown(bad[1])} is outside the range a results file holds; "
                               "nothing was saved")
    return text


# a JSON number of 16+ digits or with an exponent of 30 or more: maybe beyond MAX_INT / MAX_FLOAT
_HUGE_NUMBER = re.compile(r"[:\[,]\s*-?(?:\d{16,}|\d[\d.]*[eE]\+?(?:[3-9]\d|\d{3,}))")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogates(obj: Any) -> Any:
    """``obj`` with every lone surrogate in its strings (and dict keys) replaced by U+FFFD; models
    are changed in place."""
    if isinstance(obj, str):
        return _SURROGATE.sub("\ufffd", obj)
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            v = getattr(obj, name)
            nv = _replace_surrogates(v)
            if nv is not v:
                object.__setattr__(obj, name, nv)  # CellKey is frozen
        return obj
    if isinstance(obj, list):
        new = [_replace_surrogates(v) for v in obj]
        return obj if all(a is b for a, b in zip(new, obj)) else new
    if isinstance(obj, dict):
        items = {_replace_surrogates(k): _replace_surrogates(v) for k, v in obj.items()}
        return obj if all(a is b for a, b in zip(items.values(), obj.values())) and list(items) == list(obj) else items
    return obj


def _non_finite(obj: Any, where: str) -> str | None:
    """The path of the first NaN/infinite float in ``obj``, or None."""
    if isinstance(obj, float):
        return None if math.isfinite(obj) else where or "(top level)"
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            w = _non_finite(getattr(obj, name), f"{where}.{name}" if where else name)
            if w is not None:
                return w
    elif isinstance(obj, dict):
        for k, v in obj.items():
            w = _non_finite(v, f"{where}.{k}")
            if w is not None:
                return w
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            w = _non_finite(v, f"{where}[{i}]")
            if w is not None:
                return w
    return None


def save_results(results: Results, path: str | os.PathLike[str]) -> Path:
    """Redact (``Results.redact``), then write atomically (``reportgen._atomic``): a crash
    leaves the old file or the new one."""
    p = Path(path)
    results.redact()
    try:
        data = dump_results(results).encode("utf-8")
    except ResultsError as e:
        raise ResultsError(f"{p}: {e}") from None
    try:
        # library callers may name a new folder; the commands check theirs first (ResultsStore.open)
        p.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(p, data)
    except OSError as e:
        raise ResultsError(f"{p}: cannot write: {e.strerror or e}") from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a results file (kept in ``samples/results.schema.json``)."""
    schema = Results.model_json_schema(mode="serialization")
    schema["$id"] = f"https://reportgen.invalid/results-v{SCHEMA_VERSION}.schema.json"
    schema["title"] = "reportgen results"
    return schema


class ResultsStore:
    """A results document bound to its file, saved after every change that matters.

    Collectors call ``save()`` the moment a cell finishes, so an interrupted run keeps
    every finished cell and ``--resume`` can skip them. ``open`` takes the file's writer lock
    (``reportgen._lock``) before it reads the file, and ``close`` (or leaving a ``with`` block)
    lets it go: one writer per results file, a second one waits and then adds to the first's.
    """

    def __init__(self, path: str | os.PathLike[str], results: Results | None = None,
                 lock: ResultsLock | None = None) -> None:
        self.path = Path(path)
        self.results = results if results is not None else Results()
        self.existed = self.path.exists()
        self.saves = 0  # saves so far: a command that failed before the first one leaves the file as it was
        self.lock = lock

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = True,
             on_wait: Callable[[str], None] | None = None) -> ResultsStore:
        """The file's document, or a new one, with the file's writer lock held (``on_wait``: the
        line saying another process holds it, default stderr). A new file's folder must exist,
        except the default ``reportgen-results`` folder, created here (one level, nothing above it)."""
        p = Path(path)
        if not p.exists():
            if not create:
                raise ResultsError(f"{p}: no such file")
            if not p.parent.is_dir():
                cls.check_folder(p)
                try:
                    p.parent.mkdir()
                except OSError as e:
                    raise ResultsError(f"{p.parent}: cannot create the folder: {e.strerror or e}") from None
        lock = ResultsLock(p)
        lock.acquire(on_wait, who=" ".join(sys.argv[1:3]) or None)
        try:  # read only under the lock: what another writer saved is in the file now
            if p.exists():
                return cls(p, load_results(p), lock)
            return cls(p, Results(started_at=utc_now()), lock)
        except BaseException:
            lock.release()
            raise

    def close(self) -> None:
        """Let go of the file's writer lock (the process's exit does too)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def check_folder(path: str | os.PathLike[str]) -> None:
        """``ResultsError`` unless a results file can be created at ``path``: its folder exists, or
        is the default ``reportgen-results`` folder whose parent exists (``open`` creates that one)."""
        p = Path(path)
        if p.exists() or p.parent.is_dir():
            return
        if p.parent.exists():
            raise ResultsError(f"{p.parent}: not a folder")
        if p.parent.name != RESULTS_DIR_NAME or not p.parent.parent.is_dir():
            raise ResultsError(f"{p.parent}: no such folder (create it first, or choose another -o)")

    def save(self) -> Path:
        p = save_results(self.results, self.path)
        self.saves += 1
        return p
