"""Hand-made pairs of results files for the comparison: the clean run of ``_clean_run`` and
the same run with every time halved (twice as fast, same tokens)."""

from __future__ import annotations

from _clean_run import clean_results, refresh

from reportgen.results import Fact, Results


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
