"""Chinese for the English lines the embedding collector writes into a results file.

``EmbeddingRun.warnings``, ``ReferenceCheck.reference`` and ``ReferenceCheck.detail`` are
English (scripts read them). The document and the Chinese findings show them through
``to_zh``: known phrasings are translated with their numbers and names kept as written;
anything else (a server's error text, a newer collector's wording) stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TEXT_KIND = re.compile(r"^(\d+)-token$")


def text_kind_zh(kind: str) -> str:
    """"short" -> "短文本", "512-token" -> "512 词元文本"."""
    if kind == "short":
        return "短文本"
    m = _TEXT_KIND.match(kind)
    return f"{m.group(1)} 词元文本" if m else kind


def _kind(m: re.Match[str], name: str = "kind") -> str:
    return text_kind_zh(m.group(name))


# (pattern, Chinese) in order; a pattern matches a whole clause. Nested clauses (the tail of
# "no float32 CPU reference: ...") are translated again.
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^this run is itself the float32 CPU reference$"), lambda m: "本次运行即为 float32 CPU 参照"),
    (re.compile(r"^no float32 CPU reference: (?P<why>.+)$"), lambda m: f"无 float32 CPU 参照：{to_zh(m.group('why'))}"),
    (re.compile(r"^(?P<name>'.*'|\".*\") is not a local model directory$"), lambda m: f"{m.group('name')} 不是本地模型目录"),
    (re.compile(r"^no recorded values for this model$"), lambda m: "已有文档没有该模型的记录值"),
    (re.compile(r"^the seed's recorded values for (?P<name>.+) are for other texts$"),
     lambda m: f"已有文档记录的 {m.group('name')} 数值对应其他文本"),
    (re.compile(r"^(?P<n>\d+) of (?P<m>\d+) embeddings below cosine (?P<t>\S+)$"),
     lambda m: f"{m.group('m')} 条向量中有 {m.group('n')} 条与参照的余弦相似度低于 {m.group('t')}"),
    (re.compile(r"^(?P<n>\d+) of (?P<m>\d+) scores differ by more than (?P<t>\S+)$"),
     lambda m: f"{m.group('m')} 个得分中有 {m.group('n')} 个与参照之差超过 {m.group('t')}"),
    (re.compile(r"^(?P<n>\d+) of (?P<m>\d+) recorded values apply to these inputs$"),
     lambda m: f"{m.group('m')} 个记录值中有 {m.group('n')} 个适用于本次输入"),
    (re.compile(r"^the reference has shape (?P<a>\(.*?\)), the run (?P<b>\(.*?\))$"),
     lambda m: f"参照向量的形状为 {m.group('a')}，本次为 {m.group('b')}"),
    (re.compile(r"^float32 CPU run of (?P<path>.+?) \((?P<lib>[^()]+)\)(?P<sig>, sigmoid-normalized \(the server returned normalized scores\))?$"),
     lambda m: f"{m.group('path')} 的 float32 CPU 推理（{m.group('lib')}）" + ("，经 sigmoid 归一化（服务端返回的是归一化得分）" if m.group("sig") else "")),
    (re.compile(r"^the model takes at most (?P<n>\d+) tokens: (?P<kind>\S+) texts were truncated to (?P<m>\d+)$"),
     lambda m: f"模型最多接受 {m.group('n')} 个词元：{_kind(m)}被截断为 {m.group('m')} 个词元"),
    (re.compile(r"^the server counts no tokens: the (?P<kind>\S+) texts were cut to (?P<n>\d+) characters, their token count is unknown$"),
     lambda m: f"服务端不提供词元计数：{_kind(m)}按 {m.group('n')} 个字符截取，实际词元数未知"),
    (re.compile(r"^throughput not measured: cannot size the (?P<n>\d+)-token texts: (?P<why>.+)$"),
     lambda m: f"未测吞吐：无法构造 {m.group('n')} 词元的文本：{m.group('why')}"),
    (re.compile(r"^throughput, (?P<kind>\S+) texts, batch (?P<b>\d+): (?P<why>.+)$"),
     lambda m: f"吞吐测试（{_kind(m)}，batch {m.group('b')}）失败：{m.group('why')}"),
    (re.compile(r"^pair \((?P<q>.+)\) scores (?P<s>\S+) in a batch but (?P<a>\S+) alone \(\|diff\| (?P<d>\S+) > (?P<t>\S+)\)$"),
     lambda m: f"文本对 ({m.group('q')}) 批量计算得分 {m.group('s')}，单独计算得分 {m.group('a')}（绝对差 {m.group('d')} > {m.group('t')}）"),
]


def _clause(text: str) -> str:
    for pattern, zh in _RULES:
        m = pattern.match(text)
        if m:
            return zh(m)
    return text


def to_zh(text: str) -> str:
    """The Chinese of one collector line; clauses joined by "; " are translated one by one."""
    return "；".join(_clause(p) for p in text.split("; "))


__all__ = ["text_kind_zh", "to_zh"]
