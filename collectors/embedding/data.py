"""The seed's inputs for sections 5 and 6, and the values the seed recorded.

Everything a run sends by default is here, so a plan can replace any part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# bge's query instruction for short-query -> passage retrieval (FlagEmbedding's
# ``query_instruction_for_retrieval`` for the Chinese bge models).
BGE_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："

PANDA_PASSAGE = (
    "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, "
    "is a bear species endemic to China."
)


@dataclass(frozen=True)
class EmbeddingInputs:
    """What the embedding and reranker scripts send (the seed's sentences by default)."""

    sentences_1: tuple[str, ...] = ("样例数据-1", "样例数据-2")
    sentences_2: tuple[str, ...] = ("样例数据-3", "样例数据-4")
    queries: tuple[str, ...] = ("query_1", "query_2")
    passages: tuple[str, ...] = ("样例文档-1", "样例文档-2")
    instruction: str = BGE_QUERY_INSTRUCTION
    single_pair: tuple[str, str] = ("query", "passage")
    batch_pairs: tuple[tuple[str, str], ...] = (
        ("what is panda?", "hi"),
        ("what is panda?", PANDA_PASSAGE),
    )

    @classmethod
    def from_dict(cls, doc: dict[str, object]) -> EmbeddingInputs:
        """Build from a plan/JSON mapping; unknown keys raise ``ValueError``."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ValueError(f"unknown embedding input key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        kw: dict[str, object] = {}
        for key, value in doc.items():
            if key == "instruction":
                if not isinstance(value, str):
                    raise ValueError("instruction: expected a string")
                kw[key] = value
            elif key in ("single_pair",):
                kw[key] = _pair(key, value)
            elif key == "batch_pairs":
                if not isinstance(value, list) or not value:
                    raise ValueError("batch_pairs: expected a non-empty list of [query, passage]")
                kw[key] = tuple(_pair(key, v) for v in value)
            else:
                if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{key}: expected a non-empty list of strings")
                kw[key] = tuple(value)
        return cls(**kw)  # type: ignore[arg-type]


def _pair(key: str, value: object) -> tuple[str, str]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{key}: expected [query, passage]")
    return (value[0], value[1])


DEFAULT_INPUTS = EmbeddingInputs()

# Throughput: batch sizes and text lengths (tokens as the model sees them, special tokens included).
THROUGHPUT_BATCH_SIZES = (1, 8, 32)
LONG_TEXT_TOKENS = 512
SHORT_TEXT = "样例数据：今天天气很好，我们去公园散步。"
SHORT_QUERY = "what is panda?"
# Filler for the 512-token texts: Chinese and English prose, repeated and cut to length.
LONG_TEXT_SOURCE = (
    "大熊猫是中国特有的熊科动物，主要栖息在四川、陕西和甘肃的山区竹林中，以竹子为主要食物。"
    "The giant panda lives in broadleaf and coniferous forests with a dense understory of bamboo. "
    "评测算力卡的推理能力时，我们关注吞吐量、延迟和数值正确性，并把每一个测量值记录下来。"
    "Embedding models map each text to a vector; rerankers score how well a passage answers a query. "
)

# Reference thresholds (issue 6): per-embedding cosine with the float32 CPU run, reranker |diff|.
MIN_COSINE = 0.999
MAX_SCORE_DIFF = 0.05


@dataclass(frozen=True)
class ExpectedScore:
    """A value the seed recorded for one pair, with the tolerance a run must meet."""

    a: str
    b: str
    score: float
    tolerance: float
    source: str


@dataclass(frozen=True)
class RecordedModel:
    """Recorded outputs of one model, matched by a substring of the model's name or path."""

    name: str
    kind: str
    expected: tuple[ExpectedScore, ...] = field(default_factory=tuple)


_FLAG_EMB = "种子文档 5.1 FlagEmbedding 输出 (fp16)"
_ST_EMB = "种子文档 5.2 sentence_transformers 输出"
_FLAG_RR = "种子文档 6.1 FlagEmbedding 脚本注释 (fp16)"
_ST_INSTRUCTION = "为这个句子生成表示以用于检索相关文章: "  # as the seed's 5.2 script wrote it

RECORDED: tuple[RecordedModel, ...] = (
    RecordedModel(
        name="bge-large-zh-v1.5",
        kind="embedding",
        expected=(
            ExpectedScore("样例数据-1", "样例数据-3", 0.855, 0.01, _FLAG_EMB),
            ExpectedScore("样例数据-1", "样例数据-4", 0.8516, 0.01, _FLAG_EMB),
            ExpectedScore("样例数据-2", "样例数据-3", 0.874, 0.01, _FLAG_EMB),
            ExpectedScore("样例数据-2", "样例数据-4", 0.8555, 0.01, _FLAG_EMB),
            ExpectedScore(_ST_INSTRUCTION + "query_1", "样例文档-1", 0.3372504, 0.01, _ST_EMB),
            ExpectedScore(_ST_INSTRUCTION + "query_1", "样例文档-2", 0.20507807, 0.01, _ST_EMB),
            ExpectedScore(_ST_INSTRUCTION + "query_2", "样例文档-1", 0.22591081, 0.01, _ST_EMB),
            ExpectedScore(_ST_INSTRUCTION + "query_2", "样例文档-2", 0.38495794, 0.01, _ST_EMB),
        ),
    ),
    RecordedModel(
        name="bge-reranker-v2-m3",
        kind="reranker",
        expected=(
            ExpectedScore("query", "passage", -5.65234375, MAX_SCORE_DIFF, _FLAG_RR),
            ExpectedScore("what is panda?", "hi", -8.1875, MAX_SCORE_DIFF, _FLAG_RR),
            ExpectedScore("what is panda?", PANDA_PASSAGE, 5.26171875, MAX_SCORE_DIFF, _FLAG_RR),
        ),
    ),
)


def recorded_for(model: str, kind: str) -> RecordedModel | None:
    """The recorded outputs whose name occurs in ``model`` (a name or a path), if any."""
    low = model.lower()
    for rec in RECORDED:
        if rec.kind == kind and rec.name in low:
            return rec
    return None
