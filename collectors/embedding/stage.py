"""``run_embedding_stage``: one embedding or reranker check into the results model.

Order: load the backend, run the seed's script, compare with a reference, measure
throughput. The run is saved after each step, so an interrupted stage keeps what finished;
an error in a step is recorded in ``EmbeddingRun.error`` (script) or ``warnings``
(one throughput point) with one clear line, never raised past the stage.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx
import numpy as np

from collectors.embedding import checks, script
from collectors.embedding.data import (
    DEFAULT_INPUTS,
    LONG_TEXT_TOKENS,
    SHORT_QUERY,
    SHORT_TEXT,
    THROUGHPUT_BATCH_SIZES,
    EmbeddingInputs,
    recorded_for,
)
from reportgen.embedding_text import text_kind_zh
from reportgen.errors import ReportgenError
from reportgen.results import EmbeddingRun, Note, ReferenceCheck, ResultsStore, utc_now

Kind = Literal["embedding", "reranker"]


def _model_label(model: str) -> tuple[str, str | None]:
    """(name shown in the document, local directory if ``model`` is one)."""
    p = Path(model).expanduser()
    if p.is_dir():
        p = Path(os.path.abspath(p))  # keep a symlink's name: it is how the user calls the model
        return p.name, str(p)
    return model, None


def _command(model: str, kind: str, base_url: str | None, device: str | None, precision: str | None) -> str:
    argv = ["reportgen", "embed", "--model", model, "--kind", kind]
    for flag, value in (("--base-url", base_url), ("--device", device), ("--precision", precision)):
        if value:
            argv += [flag, value]
    return shlex.join(argv)


def _store_run(store: ResultsStore | None, run: EmbeddingRun) -> None:
    if store is None:
        return
    runs = store.results.embeddings
    for i, r in enumerate(runs):
        if r is run or (r.model, r.kind, r.mode, r.device, r.precision) == (run.model, run.kind, run.mode, run.device, run.precision):
            runs[i] = run
            break
    else:
        runs.append(run)
    store.save()


def _expected_dim(model_path: str | None) -> int | None:
    """hidden_size from a local model's config, unless a sentence-transformers Dense layer changes it."""
    if not model_path:
        return None
    import json

    root = Path(model_path)
    try:
        cfg = json.loads((root / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8")) if (root / "modules.json").is_file() else []
    except (OSError, ValueError):
        return None
    if any(str(m.get("type", "")).endswith("Dense") for m in modules if isinstance(m, dict)):
        return None
    dim = cfg.get("hidden_size")
    return dim if isinstance(dim, int) else None


def run_embedding_stage(
    store: ResultsStore | None,
    *,
    model: str,
    kind: Kind,
    base_url: str | None = None,
    device: str | None = None,
    precision: str | None = None,
    inputs: EmbeddingInputs = DEFAULT_INPUTS,
    endpoint: str | None = None,
    reference: bool = True,
    throughput: bool = True,
    batch_sizes: Sequence[int] = THROUGHPUT_BATCH_SIZES,
    long_text_tokens: int = LONG_TEXT_TOKENS,
    rounds: int = 5,
    command: str | None = None,
    client: httpx.Client | None = None,
    api_key: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> EmbeddingRun:
    """Run one check and store it in ``store`` (replacing a run of the same model, kind, mode,
    device and precision); returns the run. ``base_url`` set: HTTP mode (``device`` and
    ``precision`` are labels; ``api_key`` is sent as a bearer token and stored nowhere);
    otherwise local mode on ``device`` (default ``cpu``).
    ``reference``: compare with a float32 CPU run of the local model when one is available,
    else with the seed's recorded values for the same texts. Raises only for programming
    errors: every ``ReportgenError`` ends up in the run."""
    say = progress or (lambda _msg: None)
    name, model_path = _model_label(model)
    mode = "http" if base_url else "local"
    if mode == "local" and device is None:
        device = "cpu"
    run = EmbeddingRun(
        model=name, kind=kind, mode=mode, device=device, precision=precision, model_path=model_path,
        base_url=base_url.rstrip("/") if base_url else None,
        instruction=inputs.instruction if kind == "embedding" else None,
        started_at=utc_now(), command=command or _command(model, kind, base_url, device, precision),
    )
    backend: Any = None
    try:
        say(f"{kind} {name}: loading ({mode})")
        backend = _backend(run, model, kind, endpoint=endpoint, client=client, api_key=api_key)
        say(f"{kind} {name}: running the seed's script")
        vectors = _run_script(run, backend, kind, inputs)
        _store_run(store, run)
        if reference:
            say(f"{kind} {name}: reference check")
            run.reference_check = _reference(run, kind, vectors)
            _store_run(store, run)
        if throughput:
            _throughput(run, backend, kind, batch_sizes, long_text_tokens, rounds, lambda: _store_run(store, run), say)
    except ReportgenError as e:
        run.error = str(e)
    finally:
        if backend is not None and hasattr(backend, "notes"):
            run.warnings += [n for n in backend.notes if n not in run.warnings]  # Notes compare by value
        if backend is not None and hasattr(backend, "close"):
            backend.close()
        run.finished_at = utc_now()
        _store_run(store, run)
    return run


def _backend(run: EmbeddingRun, model: str, kind: Kind, *, endpoint: str | None, client: httpx.Client | None, api_key: str | None) -> Any:
    if run.mode == "http":
        from collectors.embedding.http import HttpEmbedder, HttpReranker

        assert run.base_url
        if kind == "embedding":
            b: Any = HttpEmbedder(run.base_url, model, client=client, api_key=api_key)
        else:
            b = HttpReranker(run.base_url, model, endpoint=endpoint, client=client, api_key=api_key)
        run.served_model = b.served_model
        return b
    from collectors.embedding.local import LocalEmbedder, LocalReranker

    assert run.device
    b = LocalEmbedder(model, device=run.device, precision=run.precision) if kind == "embedding" else LocalReranker(
        model, device=run.device, precision=run.precision
    )
    run.model_path = str(b.model_dir)
    if run.precision is None:
        run.precision = b.dtype_name
    if kind == "embedding":
        run.pooling = b.pooling
    return b


def _run_script(run: EmbeddingRun, backend: Any, kind: Kind, inputs: EmbeddingInputs) -> tuple[list[str], np.ndarray] | None:
    """Fill the run from the seed's script; returns (texts, normalized vectors) for embeddings."""
    if kind == "embedding":
        res = checks.run_embedding_script(backend, inputs, expected_dim=_expected_dim(run.model_path) if run.mode == "http" else None)
        run.pairs, run.matrices, run.output, run.dimensions = res.pairs, res.matrices, res.output, res.dimensions
        if run.mode == "http":
            run.endpoint = backend.endpoint
            run.script = script.http_embedding_script(run.base_url or "", backend.served_model, inputs)
        else:
            run.script = script.local_embedding_script(run.model_path or "", run.device or "cpu", backend.dtype_name, backend.pooling, backend.max_length, inputs)
        return res.texts, res.vectors
    else:
        rr = checks.run_reranker_script(backend, inputs)
        run.pairs, run.output = rr.pairs, rr.output
        run.warnings += rr.warnings
        if run.mode == "http":
            run.endpoint = backend.endpoint
            run.raw_scores = backend.raw_scores
            run.script = script.http_reranker_script(run.base_url or "", backend.served_model, backend.endpoint, bool(backend.raw_scores), inputs)
        else:
            run.raw_scores = True
            run.script = script.local_reranker_script(run.model_path or "", run.device or "cpu", backend.dtype_name, backend.max_length, inputs)
    return None


def _is_reference_itself(run: EmbeddingRun) -> bool:
    from collectors.embedding.local import LocalModelError, torch_dtype_name

    if run.mode != "local" or (run.device or "").split(":")[0] != "cpu":
        return False
    try:
        return torch_dtype_name(run.precision, "cpu") == "float32"
    except LocalModelError:
        return False


def _reference(run: EmbeddingRun, kind: Kind, vectors: tuple[list[str], np.ndarray] | None) -> ReferenceCheck:
    reasons: list[Note] = []
    if run.model_path and not _is_reference_itself(run):
        try:
            return _float32_reference(run, kind, vectors)
        except ReportgenError as e:
            reasons.append(Note.of("no_cpu_reference", error=str(e)))
    elif _is_reference_itself(run):
        reasons.append(Note.of("reference_is_self"))
    else:
        reasons.append(Note.of("not_local_model", name=run.model))
    rec = recorded_for(run.model_path or run.model, kind)
    if rec is not None:
        checked = checks.check_recorded(run.pairs, rec)
        if checked is not None:
            checked.detail = reasons + checked.detail
            return checked
        reasons.append(Note.of("recorded_other_texts", name=rec.name))
    else:
        reasons.append(Note.of("no_recorded_values"))
    return ReferenceCheck(status="none", detail=reasons)


def _float32_reference(run: EmbeddingRun, kind: Kind, vectors: tuple[list[str], np.ndarray] | None) -> ReferenceCheck:
    from collectors.embedding.local import LocalEmbedder, LocalReranker

    assert run.model_path
    name = Note.of("cpu_reference_of", path=run.model_path, library="transformers")
    if kind == "embedding":
        assert vectors is not None
        texts, vecs = vectors
        ref = LocalEmbedder(run.model_path, device="cpu", precision="fp32")
        if run.pooling is None:
            run.pooling = ref.pooling
        ref_vecs = checks.validate_embeddings(ref.embed(texts), len(texts), what="reference embeddings")
        return checks.compare_embeddings(texts, vecs, ref_vecs, reference_name=name)
    ref_r = LocalReranker(run.model_path, device="cpu", precision="fp32")
    pairs = [(p.a, p.b) for p in run.pairs]
    ref_scores = checks.validate_scores(ref_r.score(pairs), len(pairs), what="reference scores")
    if run.raw_scores is False:
        ref_scores = np.array([checks.sigmoid(float(s)) for s in ref_scores])
        name = Note.of("cpu_reference_of_sigmoid", path=run.model_path, library="transformers")
    return checks.compare_scores(run.pairs, ref_scores.tolist(), reference_name=name)


def _throughput(
    run: EmbeddingRun, backend: Any, kind: Kind, batch_sizes: Sequence[int], long_tokens: int, rounds: int,
    save: Callable[[], None], say: Callable[[str], None],
) -> None:
    n = max(batch_sizes)
    count = backend.count_tokens
    short = [f"{SHORT_TEXT}（{i}）" for i in range(n)]
    try:
        target = long_tokens - (count(SHORT_QUERY) or 0) if kind == "reranker" else long_tokens
        # distinct texts (a server may cache repeated ones), each cut to the token target
        long = [checks.fit_to_tokens(count, target, offset=17 * i)[0] for i in range(n)]
    except ReportgenError as e:
        run.warnings.append(Note.of("cannot_size", tokens=long_tokens, error=str(e)))
        return
    max_len = getattr(backend, "max_length", None)
    for text_kind, texts in (("short", short), (f"{long_tokens}-token", long)):
        if text_kind != "short" and max_len and max_len < long_tokens:
            run.warnings.append(Note.of("truncated", tokens=max_len, kind=text_kind, kind_zh=text_kind_zh(text_kind)))
        if text_kind != "short" and count(texts[0]) is None:
            run.warnings.append(Note.of("no_token_count", kind=text_kind, kind_zh=text_kind_zh(text_kind), chars=len(texts[0])))
        for bs in batch_sizes:
            say(f"{kind} {run.model}: throughput, {text_kind} texts, batch {bs}")
            batch = texts[:bs]
            try:
                tokens = _mean_tokens(count, batch, kind, max_len)
            except ReportgenError:
                tokens = None
            if kind == "embedding":
                def call(batch: list[str] = batch) -> None:
                    checks.validate_embeddings(backend.embed(batch), len(batch), expected_dim=run.dimensions)
            else:
                pairs = [(SHORT_QUERY, t) for t in batch]

                def call(pairs: list[tuple[str, str]] = pairs) -> None:  # type: ignore[misc]
                    checks.validate_scores(backend.score(pairs), len(pairs))
            try:
                lat = checks.time_calls(call, rounds)
            except ReportgenError as e:
                run.warnings.append(Note.of("throughput_failed", kind=text_kind, kind_zh=text_kind_zh(text_kind),
                                            batch=bs, error=str(e)))
                continue
            run.throughput.append(checks.throughput_point(bs, text_kind, lat, tokens))
            save()


def _mean_tokens(count: Callable[[str], int | None], texts: list[str], kind: Kind, max_len: int | None) -> float | None:
    """Mean tokens the model sees per item (a reranker pair: query + passage, special tokens included)."""
    q = count(SHORT_QUERY) if kind == "reranker" else 0
    ns = []
    for t in texts:
        c = count(t)
        if c is None or q is None:
            return None
        ns.append(c + q)
    return float(np.mean([min(c, max_len) if max_len else c for c in ns]))
