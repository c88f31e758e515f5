"""HTTP mode against a real vLLM (CPU) serving tiny embedding and reranker models
(``--runner pooling --max-model-len 8192``), checked against a float32 CPU run of the
same model directories."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from vllm_env import serve_vllm, tiny_models

from collectors.embedding.stage import run_embedding_stage
from reportgen.cli import cli
from reportgen.results import load_results

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

MODELS = tiny_models()
pytest.importorskip("torch", reason="the float32 reference needs torch (reportgen[local-models])")


@pytest.fixture(scope="class")
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server per test class (its ``model``), stopped when the class is done."""
    with serve_vllm(request.cls.model, tmp_path_factory.mktemp("vllm"), "--runner", "pooling", "--max-model-len", "8192") as url:
        yield url


class TestEmbeddingServer:
    model = MODELS / "tiny-bert-embed"


    def test_http_run_matches_a_float32_local_run(self, url: str) -> None:
        run = run_embedding_stage(None, model=str(self.model), kind="embedding", base_url=url, device="cpu", precision="bf16", rounds=2)
        assert run.error is None, run.error
        assert (run.mode, run.endpoint, run.served_model, run.dimensions) == ("http", "/v1/embeddings", str(self.model), 128)
        ref = run.reference_check
        assert ref.source == "float32-cpu" and ref.status == "pass" and len(ref.items) == 8 and ref.value >= 0.999
        local = run_embedding_stage(None, model=str(self.model), kind="embedding", throughput=False)
        assert [(p.a, p.b) for p in run.pairs] == [(p.a, p.b) for p in local.pairs]
        assert [p.score for p in run.pairs] == pytest.approx([p.score for p in local.pairs], abs=1e-3)
        assert [(t.text_kind, t.batch_size, t.n) for t in run.throughput] == [
            (k, b, 2) for k in ("short", "512-token") for b in (1, 8, 32)
        ]
        assert all(500 <= (t.tokens_per_item or 0) <= 512 for t in run.throughput[3:])
        assert all(t.items_per_s > 0 and t.p99_latency_ms >= t.mean_latency_ms * 0.5 for t in run.throughput)  # type: ignore[operator]

    def test_cli_over_http(self, url: str, tmp_path: Path) -> None:
        out = tmp_path / "r.json"
        res = CliRunner().invoke(cli, ["embed", "--model", str(self.model), "--kind", "embedding", "--base-url", url, "--no-throughput", "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert "reference check: PASS (min cosine" in res.output
        (run,) = load_results(out).embeddings
        assert run.pairs[4].a == "为这个句子生成表示以用于检索相关文章：query_1"


class TestRerankerServer:
    model = MODELS / "tiny-xlmr-rerank"


    def test_http_reranker_raw_scores_match_float32_local(self, url: str) -> None:
        run = run_embedding_stage(None, model=str(self.model), kind="reranker", base_url=url, batch_sizes=(1, 8, 32), rounds=2)
        assert run.error is None, run.error
        assert (run.endpoint, run.raw_scores) == ("/v1/rerank", True)
        ref = run.reference_check
        assert ref.source == "float32-cpu" and ref.status == "pass" and ref.value <= 0.05
        # the server's own normalization (no raw flag) is the sigmoid of the raw score
        r = httpx.post(url + "/v1/rerank", json={"model": str(self.model), "query": "query", "documents": ["passage"]}, timeout=60).json()
        assert r["results"][0]["relevance_score"] == pytest.approx(1 / (1 + math.exp(-run.pairs[0].score)), abs=1e-3)
        assert run.pairs[0].normalized == pytest.approx(r["results"][0]["relevance_score"], abs=1e-3)
        assert [(t.text_kind, t.batch_size) for t in run.throughput] == [(k, b) for k in ("short", "512-token") for b in (1, 8, 32)]
        assert all(495 <= (t.tokens_per_item or 0) <= 512 for t in run.throughput[3:])

    @pytest.mark.parametrize("endpoint", ["/rerank", "/score"])
    def test_other_endpoints_give_the_same_scores(self, url: str, endpoint: str) -> None:
        base = run_embedding_stage(None, model=str(self.model), kind="reranker", base_url=url, throughput=False, reference=False)
        run = run_embedding_stage(None, model=str(self.model), kind="reranker", base_url=url, endpoint=endpoint, throughput=False, reference=False)
        assert run.error is None and run.endpoint == endpoint and run.raw_scores is True
        assert [p.score for p in run.pairs] == pytest.approx([p.score for p in base.pairs], abs=1e-4)
