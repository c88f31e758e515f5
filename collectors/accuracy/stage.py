"""The accuracy stage of ``reportgen collect``: one call per variant (precision label).

    from collectors.accuracy.stage import run_accuracy_stage
    run_accuracy_stage(store, base_url="http://10.0.0.5:8000", model="qwen2-7b-instruct",
                       data_dir=Path("datasets"), precision="GPTQ-Int4", mode="corrected")

It writes ``AccuracyResult``s into ``store.results.variant(precision).accuracy`` and saves the
store as it goes (``ResultsStore.save``), exactly as ``reportgen eval`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from collectors.accuracy.runner import DEFAULT_TASKS, EvalConfig, run_eval
from reportgen.results import AccuracyResult, ResultsStore


def run_accuracy_stage(
    store: ResultsStore,
    *,
    base_url: str,
    model: str,
    data_dir: str | Path,
    precision: str,
    tasks: tuple[str, ...] | list[str] = DEFAULT_TASKS,
    mode: str = "corrected",
    limit: int | None = None,
    concurrency: int = 64,
    resume: bool = False,
    api_key: str | None = None,
    command: str | None = None,
    stream: TextIO | None = None,
) -> list[AccuracyResult]:
    cfg = EvalConfig(
        base_url=base_url,
        model=model,
        data_dir=Path(data_dir),
        tasks=tuple(tasks),
        mode=mode,
        precision=precision,
        limit=limit,
        concurrency=concurrency,
        resume=resume,
        api_key=api_key,
        command=command,
    )
    return run_eval(store, cfg, stream)
