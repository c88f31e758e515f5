"""Hand-made pairs of results files for the comparison: the clean run of ``_clean_run`` and
the same run with every time halved (twice as fast, same tokens)."""

from __future__ import annotations

from pathlib import Path

from _clean_run import clean_cell, clean_results, refresh

from reportgen.results import Fact, Results, load_results

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def with_env(r: Results, card: str, **facts: object) -> Results:
    r.subject.card = card
    for k, v in facts.items():
        r.environment.facts[k] = Fact(value=v)  # type: ignore[arg-type]
    return r


def halved(r: Results) -> Results:
    """Every request time and every cell window halved, metrics recomputed from the records."""
    out = r.model_copy(deep=True)
    for v in out.variants:
        for c in v.serving:
            c.requests = [
                q.model_copy(update={
                    "start_s": q.start_s / 2,
                    "first_token_s": None if q.first_token_s is None else q.first_token_s / 2,
                    "end_s": None if q.end_s is None else q.end_s / 2,
                    "chunk_times_s": [t / 2 for t in q.chunk_times_s],
                })
                for q in c.requests
            ]
            if c.duration_s is not None:
                c.duration_s /= 2
            refresh(c)
    return out


def pair() -> tuple[Results, Results]:
    """(baseline card A, card B twice as fast): same model, variants, cells and versions."""
    facts = {"software.vllm": "0.6.3", "driver.version": "550.54", "accelerator.count": 1}
    a = with_env(clean_results(), "Card A", **facts)
    b = with_env(halved(clean_results()), "Card B", **facts)
    for r in (a, b):
        for v in r.variants:
            v.tokenizer = "models/Qwen2-7B-Instruct"
            v.server.args["tensor_parallel_size"] = 1
    return a, b


def cpu_run() -> Results:
    """A clean run of another kind: a small model on a CPU-only machine, other lengths and
    versions, plus the embedding sample's checks (what the live CPU sample looks like)."""
    r = Results(title="算力卡推理评测")
    v = r.variant("FP16", model="Qwen2.5-0.5B-Instruct", precision="fp16", tokenizer="models/Qwen2.5-0.5B-Instruct")
    v.server.engine, v.server.engine_version = "vllm", "0.8.5"
    v.server.args["tensor_parallel_size"] = 1
    for b in (1, 2, 4):
        v.serving.append(clean_cell(b, input_len=512, output_len=64))
    with_env(r, "x86 CPU（vLLM CPU 后端）", **{
        "software.vllm": "0.8.5", "software.torch": "2.6.0", "os.name": "Ubuntu 22.04.5 LTS",
        "cpu.model": "AMD EPYC 7B13", "accelerator.count": 0,
    })
    r.embeddings = load_results(SAMPLES / "embedding.results.json").embeddings
    return r
