"""A measuring run against a server that is already running (``bench``, ``capacity``):
the served model checked before any file is written, the variant recorded as attached, the
card telemetry sampler, and the results saved at the end only when something was done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from collectors.auth import ApiKey
from collectors.serving.runner import Sampler
from collectors.serving.server import served_models
from collectors.serving.stage import identify_server
from reportgen.commands._options import host_of_url, recorded_argv, results_path
from reportgen.errors import InputFormatError
from reportgen.results import Invocation, ModelVariant, ResultsStore, utc_now


@dataclass
class AttachedRun:
    store: ResultsStore
    variant: ModelVariant
    sampler: Sampler | None
    api_key: str | None = None  # sent as a bearer token, stored nowhere


@contextmanager
def attached_run(base_url: str, model: str, label: str, output: str | None, *, resume: bool = False,
                 telemetry: bool = True, telemetry_interval: float = 1.0, cards: int | None = None,
                 api_key: ApiKey | None = None) -> Iterator[AttachedRun]:
    """Open the results file for one variant measured on the server at ``base_url``. Raises
    ``InputFormatError`` (before anything is written) when the server does not serve ``model``.
    On leaving, the run is saved when it finished or had saved something already: a run that
    failed before its first save leaves an existing file byte-identical."""
    url = base_url.rstrip("/")
    key = api_key.value if api_key is not None else None
    models = served_models(url, api_key=key)  # fail fast, before any file is written
    if models and model not in models:
        raise InputFormatError(f"--model {model!r}: the server serves {', '.join(models)}")
    store = ResultsStore.open(results_path(output, host_of_url(url), resume=resume))  # waits for another writer
    inv = Invocation(argv=recorded_argv(), started_at=utc_now())
    store.results.invocations.append(inv)
    variant = store.results.variant(label)
    variant.served_model_name = model
    variant.server.base_url = url
    variant.server.launched = False
    variant.server.served_models = models
    if cards is not None:
        variant.cards = cards
    identify_server(variant.server, url, model, api_key=key)
    sampler = None
    if telemetry:
        from collectors.execution import LocalHost
        from collectors.hardware.telemetry import TelemetrySampler

        sampler = TelemetrySampler(LocalHost(), interval_s=telemetry_interval)
    ok = False
    try:
        yield AttachedRun(store, variant, sampler, key)
        ok = True
    finally:
        try:
            if ok or store.saves:
                inv.finished_at = utc_now()
                store.results.finished_at = inv.finished_at
                store.save()
        finally:
            store.close()
