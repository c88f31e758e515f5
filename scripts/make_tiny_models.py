#!/usr/bin/env python3
"""Make the tiny random-weight models the integration tests and benchmarks serve with real vLLM.

Nothing is downloaded: a byte-level BPE tokenizer (vocabulary 4096) is trained on local text (the
repository's data sets by default) and three models get random weights:

- ``tiny-qwen2``: Qwen2ForCausalLM, 2 layers, hidden 128, 4 heads / 2 KV heads (head size 32: vLLM's
  CPU attention takes head sizes 32, 64, 80, … only), 16384 positions; ChatML chat template.
- ``tiny-bert-embed``: BertModel (an embedding model), 8192 positions.
- ``tiny-xlmr-rerank``: XLMRobertaForSequenceClassification with one label (a cross-encoder reranker).

The answers are gibberish, but token counts, streaming, usage and timing are real, which is what the
tests measure. Needs torch, transformers and tokenizers (the vLLM venv has them).

Usage: scripts/make_tiny_models.py OUT_DIR [--text DIR_OR_FILE ...] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VOCAB = 4096
# One vocabulary for all three models; the first five are RoBERTa's, the last three ChatML's.
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".jsonl", ".json"}
MAX_TEXT_BYTES = 4_000_000  # plenty for 4096 merges; keeps training to seconds


def text_files(sources: list[Path]) -> list[Path]:
    files: list[Path] = []
    for src in sources:
        if src.is_file():
            files.append(src)
        elif src.is_dir():
            files.extend(sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES))
        else:
            raise SystemExit(f"make_tiny_models: error: {src} does not exist")
    if not files:
        raise SystemExit("make_tiny_models: error: no text files to train the tokenizer on")
    return files


def read_lines(files: list[Path]) -> Iterator[str]:
    """Lines of the files, round-robin so every file (Chinese and English) contributes, up to MAX_TEXT_BYTES."""
    iters = [iter(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files]
    total = 0
    while iters and total < MAX_TEXT_BYTES:
        for it in list(iters):
            line = next(it, None)
            if line is None:
                iters.remove(it)
            elif line.strip():
                total += len(line.encode())
                yield line


def train_tokenizer(files: list[Path]):  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(read_lines(files), trainer=trainer)
    return tok


def wrap(tok, post_processor, max_len: int, **special: str):  # -> PreTrainedTokenizerFast
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer.from_str(tok.to_str())  # a copy: each model gets its own post-processor
    if post_processor is not None:
        t.post_processor = post_processor
    return PreTrainedTokenizerFast(tokenizer_object=t, model_max_length=max_len, **special)


def save(model, tokenizer, out: Path) -> None:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    # transformers 5 names the class TokenizersBackend, which transformers 4 cannot load
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def make_qwen2(tok, out: Path) -> None:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = wrap(tok, None, 16384, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = CHATML
    ids = {t: tok.token_to_id(t) for t in SPECIAL}
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=16384,
                      bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                      pad_token_id=ids["<|endoftext|>"], tie_word_embeddings=True)
    save(Qwen2ForCausalLM(cfg).eval(), tokenizer, out)


def make_bert(tok, out: Path) -> None:
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertModel

    cls, sep = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    post = TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
                              special_tokens=[("<s>", cls), ("</s>", sep)])
    tokenizer = wrap(tok, post, 8192, cls_token="<s>", sep_token="</s>", pad_token="<pad>", unk_token="<unk>",
                     mask_token="<mask>")
    cfg = BertConfig(vocab_size=VOCAB, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                     num_attention_heads=4, max_position_embeddings=8192, pad_token_id=tok.token_to_id("<pad>"))
    save(BertModel(cfg, add_pooling_layer=False).eval(), tokenizer, out)


def make_xlmr(tok, out: Path) -> None:
    from tokenizers.processors import RobertaProcessing
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    cls, sep, pad = tok.token_to_id("<s>"), tok.token_to_id("</s>"), tok.token_to_id("<pad>")
    post = RobertaProcessing(("</s>", sep), ("<s>", cls), add_prefix_space=False)
    tokenizer = wrap(tok, post, 8192, bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>",
                     pad_token="<pad>", unk_token="<unk>", mask_token="<mask>")
    # RoBERTa positions start after the padding index: 8192 tokens need 8192 + pad + 1 positions
    cfg = XLMRobertaConfig(vocab_size=VOCAB, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                           num_attention_heads=4, max_position_embeddings=8192 + pad + 1, num_labels=1,
                           pad_token_id=pad, bos_token_id=cls, eos_token_id=sep)
    save(XLMRobertaForSequenceClassification(cfg).eval(), tokenizer, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder that receives tiny-qwen2/, tiny-bert-embed/, tiny-xlmr-rerank/")
    ap.add_argument("--text", type=Path, action="append",
                    help="file or folder of text to train the tokenizer on (default: the repository's datasets/)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    a = ap.parse_args(argv)

    import torch

    torch.manual_seed(a.seed)
    tok = train_tokenizer(text_files(a.text or [REPO / "datasets"]))
    for name, make in (("tiny-qwen2", make_qwen2), ("tiny-bert-embed", make_bert), ("tiny-xlmr-rerank", make_xlmr)):
        make(tok, a.out / name)
        print(f"{a.out / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
