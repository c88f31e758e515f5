"""The document's section numbers, decided once per document (here, beside the verdicts, because a
verdict's statement names the section it rests on, and the verdicts do not read the report).

Sections 1-4 are fixed (环境规格, 环境部署, the serving cases, accuracy). 「与参考卡输出一致性」 comes
right after section 4 when some variant was compared with a reference card (like 3.5 容量, it is
left out when there is nothing to show); the embedding, reranker and findings sections follow it,
so a document without a consistency check keeps the seed's numbering (5, 6, 7). Every reference
to those sections ("第 7 节", the 结论's links) takes its number from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.results import Results


@dataclass(frozen=True)
class SectionNumbers:
    consistency: str | None  # None: the section is left out
    embedding: str
    reranker: str
    findings: str


def section_numbers(results: Results) -> SectionNumbers:
    if any(v.consistency is not None for v in results.variants):
        return SectionNumbers(consistency="5", embedding="6", reranker="7", findings="8")
    return SectionNumbers(consistency=None, embedding="5", reranker="6", findings="7")
