"""The seed's embedding/reranker scripts, validation and reference checks, over fake backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collectors.embedding import checks
from collectors.embedding.data import (
    BGE_QUERY_INSTRUCTION,
    DEFAULT_INPUTS,
    PANDA_PASSAGE,
    EmbeddingInputs,
    recorded_for,
)
from reportgen.results import ScoredPair


class FakeEmbedder:
    """Deterministic vectors: a hash of each text, so matrices can be recomputed here."""

    def __init__(self, dim: int = 6) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def vec(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(sum(ord(c) * (i + 1) for i, c in enumerate(text)))
        return rng.normal(size=self.dim) * 3.0

    def embed(self, texts):
        self.calls.append(list(texts))
        return [self.vec(t).tolist() for t in texts]

    def count_tokens(self, text: str) -> int:
        return len(text.split())


class FakeScorer:
    def __init__(self, table: dict[tuple[str, str], float], batch_shift: float = 0.0) -> None:
        self.table = table
        self.batch_shift = batch_shift

    def score(self, pairs):
        shift = self.batch_shift if len(pairs) > 1 else 0.0
        return [self.table[p] + shift for p in pairs]

    def count_tokens(self, text: str) -> int:
        return len(text.split())


SEED_SCORES = {("query", "passage"): -5.65234375, ("what is panda?", "hi"): -8.1838, ("what is panda?", PANDA_PASSAGE): 5.2650}


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_embedding_script_pairs_are_the_exact_texts_and_cosines() -> None:
    emb = FakeEmbedder()
    res = checks.run_embedding_script(emb, DEFAULT_INPUTS)
    # queries carry bge's instruction, passages and sentences do not
    assert emb.calls[2] == [BGE_QUERY_INSTRUCTION + "query_1", BGE_QUERY_INSTRUCTION + "query_2"]
    assert emb.calls[3] == ["样例文档-1", "样例文档-2"]
    assert res.dimensions == 6
    assert [(p.a, p.b, p.group) for p in res.pairs] == [
        ("样例数据-1", "样例数据-3", "sentences"),
        ("样例数据-1", "样例数据-4", "sentences"),
        ("样例数据-2", "样例数据-3", "sentences"),
        ("样例数据-2", "样例数据-4", "sentences"),
        ("为这个句子生成表示以用于检索相关文章：query_1", "样例文档-1", "query_passage"),
        ("为这个句子生成表示以用于检索相关文章：query_1", "样例文档-2", "query_passage"),
        ("为这个句子生成表示以用于检索相关文章：query_2", "样例文档-1", "query_passage"),
        ("为这个句子生成表示以用于检索相关文章：query_2", "样例文档-2", "query_passage"),
    ]
    for p in res.pairs:
        assert p.score == pytest.approx(float(unit(emb.vec(p.a)) @ unit(emb.vec(p.b))), abs=1e-12)
    sim, qp = res.matrices
    assert sim.name == "similarity" and qp.name == "query_passage"
    assert sim.values[1][0] == pytest.approx(res.pairs[2].score)
    assert qp.rows[0] == BGE_QUERY_INSTRUCTION + "query_1"
    # what the run printed: numpy's float32 repr, two matrices, as the seed's scripts print
    expect = np.array2string(np.array(sim.values, dtype=np.float32)) + "\n" + np.array2string(np.array(qp.values, dtype=np.float32))
    assert res.output == expect
    assert res.output.startswith("[[") and res.output.count("]]") == 2
    assert np.allclose(np.linalg.norm(res.vectors, axis=1), 1.0)
    assert len(res.texts) == len(res.vectors) == 8


def test_reranker_script_raw_and_sigmoid_for_single_and_batch() -> None:
    res = checks.run_reranker_script(FakeScorer(SEED_SCORES), DEFAULT_INPUTS)
    assert [(p.a, p.b, p.score, p.group) for p in res.pairs] == [
        ("query", "passage", -5.65234375, "single"),
        ("what is panda?", "hi", -8.1838, "batch"),
        ("what is panda?", PANDA_PASSAGE, 5.2650, "batch"),
    ]
    # the seed's FlagReranker(normalize=True): 0.003497010252573502 for -5.65234375
    assert res.pairs[0].normalized == pytest.approx(0.003497010252573502, rel=1e-12)
    assert res.pairs[2].normalized == pytest.approx(1 / (1 + math.exp(-5.2650)))
    assert res.output.splitlines() == [
        "[-5.65234375]",
        repr([checks.sigmoid(-5.65234375)]),
        "[-8.1838, 5.265]",
        repr([checks.sigmoid(-8.1838), checks.sigmoid(5.2650)]),
    ]
    assert res.warnings == []


def test_reranker_batch_that_disagrees_with_single_pairs_is_reported() -> None:
    res = checks.run_reranker_script(FakeScorer(SEED_SCORES, batch_shift=0.3), DEFAULT_INPUTS)
    assert len(res.warnings) == 2
    assert "in a batch but" in str(res.warnings[0]) and "|diff| 0.3000 > 0.05" in str(res.warnings[0])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1.0, 2.0]], "got 1 vectors for 2 texts"),
        ([[1.0, 2.0], [1.0, 2.0, 3.0]], "vectors of different sizes in one answer (2, 3 dimensions)"),
        ([[1.0, float("nan")], [1.0, 2.0]], "vector 0 contains NaN (1 of 2 vectors affected)"),
        ([[1.0, 2.0], [float("inf"), 2.0]], "vector 1 contains infinity"),
        ([[0.0, 0.0], [1.0, 2.0]], "vector 0 is all zeros"),
        ([[1.0, "x"], [1.0, 2.0]], "is not a number"),
        ([1.0, 2.0], "a vector is not a list of numbers"),
    ],
)
def test_validate_embeddings_names_the_problem(values: list, message: str) -> None:
    with pytest.raises(checks.EmbeddingOutputError) as e:
        checks.validate_embeddings(values, 2, what="embeddings of queries")
    assert str(e.value).startswith("embeddings of queries: ")
    assert message in str(e.value)


def test_validate_embeddings_expected_dimension() -> None:
    with pytest.raises(checks.EmbeddingOutputError, match="vectors have 3 dimensions, expected 1024"):
        checks.validate_embeddings([[1.0, 2.0, 3.0]], 1, expected_dim=1024)
    assert checks.validate_embeddings([[1, 2, 3]], 1, expected_dim=3).dtype == np.float64


def test_validate_scores() -> None:
    assert checks.validate_scores([1, 2.5], 2).tolist() == [1.0, 2.5]
    with pytest.raises(checks.EmbeddingOutputError, match="score 1 is nan"):
        checks.validate_scores([1.0, float("nan")], 2)
    with pytest.raises(checks.EmbeddingOutputError, match="got 1 scores for 2 pairs"):
        checks.validate_scores([1.0], 2)
    with pytest.raises(checks.EmbeddingOutputError, match="not a number"):
        checks.validate_scores(["high", 1.0], 2)


def test_compare_embeddings_threshold_per_embedding() -> None:
    ref = np.eye(3)
    run = ref.copy()
    run[1] = [0.03, 1.0, 0.0]  # cosine 0.99955 -> pass
    run[2] = [0.0, 0.05, 1.0]  # cosine 0.99875 -> fail
    chk = checks.compare_embeddings(["a", "b", "c"], run, ref, reference_name="ref")
    assert chk.status == "fail" and chk.source == "float32-cpu" and chk.metric == "min cosine"
    assert [i.ok for i in chk.items] == [True, True, False]
    assert chk.value == pytest.approx(1 / math.sqrt(1 + 0.05**2))
    assert chk.threshold == 0.999 and "; ".join(map(str, chk.detail)) == "1 of 3 embeddings below cosine 0.999"
    assert checks.compare_embeddings(["a"], ref[:1] * 7, ref[:1], reference_name="ref").status == "pass"
    assert checks.compare_embeddings(["a"], np.ones((1, 2)), np.ones((1, 3)), reference_name="ref").status == "fail"


def test_compare_scores() -> None:
    pairs = [ScoredPair(a="q", b="p1", score=1.0), ScoredPair(a="q", b="p2", score=-2.0)]
    ok = checks.compare_scores(pairs, [1.04, -2.0], reference_name="ref")
    assert ok.status == "pass" and ok.value == pytest.approx(0.04)
    bad = checks.compare_scores(pairs, [1.0, -2.06], reference_name="ref")
    assert bad.status == "fail" and bad.items[1].label == "q | p2" and bad.items[1].expected == -2.06


def test_recorded_values_of_the_seed() -> None:
    rec = recorded_for("/models/BAAI/bge-reranker-v2-m3", "reranker")
    assert rec is not None and recorded_for("/models/bge-reranker-v2-m3", "embedding") is None
    # the seed's own transformers run (6.2: tensor([-8.1838,  5.2650])) is within 0.05 of the recorded values
    pairs = checks.run_reranker_script(FakeScorer(SEED_SCORES), DEFAULT_INPUTS).pairs
    chk = checks.check_recorded(pairs, rec)
    assert chk is not None and chk.status == "pass" and chk.source == "recorded"
    assert [i.expected for i in chk.items] == [-5.65234375, -8.1875, 5.26171875]
    assert chk.value == pytest.approx(abs(-8.1838 - -8.1875))  # the worst of the three
    wrong = [p.model_copy(update={"score": p.score + 1}) for p in pairs]
    assert checks.check_recorded(wrong, rec).status == "fail"  # type: ignore[union-attr]
    # other texts: nothing to compare
    other = [ScoredPair(a="x", b="y", score=0.0)]
    assert checks.check_recorded(other, rec) is None


def test_recorded_embedding_values_apply_only_to_the_same_texts() -> None:
    rec = recorded_for("bge-large-zh-v1.5", "embedding")
    assert rec is not None
    pairs = [ScoredPair(a="样例数据-1", b="样例数据-3", score=0.851), ScoredPair(a=BGE_QUERY_INSTRUCTION + "query_1", b="样例文档-1", score=0.1)]
    chk = checks.check_recorded(pairs, rec)
    assert chk is not None and chk.status == "pass" and len(chk.items) == 1  # the instruction differs from the seed's 5.2 one
    assert "; ".join(map(str, chk.detail)) == "1 of 8 recorded values apply to these inputs"


def test_fit_to_tokens_hits_the_target() -> None:
    count = lambda t: len(t.split()) + 2  # noqa: E731 -- two special tokens
    text, n = checks.fit_to_tokens(count, 40, source="alpha beta gamma delta ")
    assert n == 40 and count(text) == 40
    text2, _ = checks.fit_to_tokens(count, 40, source="alpha beta gamma delta ", offset=6)
    assert text2 != text
    text3, n3 = checks.fit_to_tokens(lambda t: None, 100)
    assert n3 is None and len(text3) == 150


def test_throughput_point_from_call_latencies() -> None:
    p = checks.throughput_point(8, "short", [0.1, 0.2, 0.1, 0.2], 12.0)
    assert p.items_per_s == pytest.approx(32 / 0.6)
    assert p.mean_latency_ms == pytest.approx(150.0)
    assert p.p99_latency_ms == pytest.approx(np.percentile([100, 200, 100, 200], 99))
    assert p.n == 4 and p.tokens_per_item == 12.0 and p.latencies_s == [0.1, 0.2, 0.1, 0.2]
    calls = []
    lat = checks.time_calls(lambda: calls.append(1), 3, warmup=2)
    assert len(calls) == 5 and len(lat) == 3 and all(x >= 0 for x in lat)


def test_inputs_from_a_plan() -> None:
    inp = EmbeddingInputs.from_dict({"queries": ["什么是大熊猫？"], "batch_pairs": [["q", "p"]], "instruction": ""})
    assert inp.queries == ("什么是大熊猫？",) and inp.batch_pairs == (("q", "p"),) and inp.instruction == ""
    assert inp.sentences_1 == DEFAULT_INPUTS.sentences_1
    with pytest.raises(ValueError, match="unknown embedding input key"):
        EmbeddingInputs.from_dict({"querys": ["x"]})
    with pytest.raises(ValueError, match="batch_pairs: expected"):
        EmbeddingInputs.from_dict({"batch_pairs": [["only one"]]})
    with pytest.raises(ValueError, match="passages: expected a non-empty list"):
        EmbeddingInputs.from_dict({"passages": []})
