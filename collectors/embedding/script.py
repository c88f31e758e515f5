"""The standalone script equivalent to a run, as the document shows it (the seed's 5.x/6.x
"推理脚本"): same model, device, dtype, inputs and computation, runnable without reportgen."""

from __future__ import annotations

from collectors.embedding.data import EmbeddingInputs


def _lit(value: object) -> str:
    return repr(value) if not isinstance(value, tuple) else repr(list(value))


def _embedding_calls(inputs: EmbeddingInputs, show: str) -> str:
    """The seed's embedding script body: both similarity matrices, printed via ``show``."""
    return f"""sentences_1 = {_lit(inputs.sentences_1)}
sentences_2 = {_lit(inputs.sentences_2)}
similarity = encode(sentences_1) @ encode(sentences_2).T
print(similarity{show})

instruction = {inputs.instruction!r}
queries = {_lit(inputs.queries)}
passages = {_lit(inputs.passages)}
scores = encode([instruction + q for q in queries]) @ encode(passages).T
print(scores{show})
"""


def _reranker_calls(inputs: EmbeddingInputs) -> str:
    """The seed's reranker script body: raw and sigmoid scores of the single pair and the batch."""
    return f"""sigmoid = lambda x: 1 / (1 + math.exp(-x))
score = compute_score([{_lit(inputs.single_pair)}])
print(score)
print([sigmoid(s) for s in score])
pairs = {_lit([list(p) for p in inputs.batch_pairs])}
scores = compute_score(pairs)
print(scores)
print([sigmoid(s) for s in scores])
"""


def local_embedding_script(model_dir: str, device: str, dtype: str, pooling: str, max_length: int, inputs: EmbeddingInputs) -> str:
    pool = "out[:, 0]  # CLS pooling" if pooling == "cls" else (
        "(out * mask).sum(1) / mask.sum(1)  # mean pooling"
    )
    mask = "    mask = enc['attention_mask'].unsqueeze(-1).to(out.dtype)\n" if pooling == "mean" else ""
    return f"""import torch
from transformers import AutoModel, AutoTokenizer

model_dir = {model_dir!r}
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = AutoModel.from_pretrained(model_dir).to(device={device!r}, dtype=torch.{dtype}).eval()

def encode(texts):
    enc = tokenizer(texts, padding=True, truncation=True, max_length={max_length}, return_tensors='pt').to({device!r})
    with torch.inference_mode():
        out = model(**enc).last_hidden_state
{mask}    emb = {pool}
    return torch.nn.functional.normalize(emb.float(), dim=-1).cpu()

""" + _embedding_calls(inputs, '.numpy()')


def local_reranker_script(model_dir: str, device: str, dtype: str, max_length: int, inputs: EmbeddingInputs) -> str:
    return f"""import math
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

model_dir = {model_dir!r}
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForSequenceClassification.from_pretrained(model_dir).to(device={device!r}, dtype=torch.{dtype}).eval()

def compute_score(pairs):
    enc = tokenizer([q for q, _ in pairs], [p for _, p in pairs], padding=True, truncation=True,
                    max_length={max_length}, return_tensors='pt').to({device!r})
    with torch.inference_mode():
        return model(**enc, return_dict=True).logits.view(-1).float().tolist()

""" + _reranker_calls(inputs)


def http_embedding_script(base_url: str, served_model: str, inputs: EmbeddingInputs) -> str:
    return f"""import httpx
import numpy as np

def encode(texts):
    r = httpx.post({base_url + '/v1/embeddings'!r}, timeout=300,
                   json={{'model': {served_model!r}, 'input': texts, 'encoding_format': 'float'}})
    r.raise_for_status()
    emb = np.array([d['embedding'] for d in sorted(r.json()['data'], key=lambda d: d['index'])])
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)

""" + _embedding_calls(inputs, '.astype(np.float32)')


def http_reranker_script(base_url: str, served_model: str, endpoint: str, raw: bool, inputs: EmbeddingInputs) -> str:
    flags = "'use_activation': False, 'raw_scores': True, " if raw else ""
    if endpoint.endswith("score"):
        call = f"""    r = httpx.post({base_url + endpoint!r}, timeout=300, json={{{flags}'model': {served_model!r},
                   'text_1': [q for q, _ in pairs], 'text_2': [p for _, p in pairs]}})
    r.raise_for_status()
    return [d['score'] for d in sorted(r.json()['data'], key=lambda d: d['index'])]"""
    else:
        call = f"""    out = []
    for q, p in pairs:  # one query per request (Cohere/Jina rerank shape)
        r = httpx.post({base_url + endpoint!r}, timeout=300, json={{{flags}'model': {served_model!r},
                       'query': q, 'documents': [p], 'top_n': 1, 'return_documents': False}})
        r.raise_for_status()
        out.append(r.json()['results'][0]['relevance_score'])
    return out"""
    return f"""import math
import httpx

def compute_score(pairs):
{call}

""" + _reranker_calls(inputs)
