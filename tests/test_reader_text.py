"""Reader text only: the document speaks to its readers, not about the tool.

* one term per metric in every rendered text (all four formats start from this Markdown);
* before the appendices: no path of the tool's inputs, no parser or format name, no "导入",
  no internal mode name, no English column head;
* the glossary lists only terms the document uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _clean_run import clean_results

from reportgen.report.glossary import FORBIDDEN, TERMS
from reportgen.report.markdown import render_markdown
from reportgen.results import Results, load_results

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "samples" / "seed-bi150.json"
SAMPLES = [SEED, *sorted(p for p in (REPO / "samples").glob("live-*.json") if ".partial" not in p.name)]

PARSERS = ("vllm-legacy-text", "vllm-text", "vllm-json", "swift-log", "llmuses-table", "seed-document", "swift2024")
TOOL_WORDS = ("导入", "种子", "reportgen", "解析器", "结果文件中")
# Words of three or more Latin letters a column head may hold: metric abbreviations, units and names.
HEADER_WORDS = {"TPS", "TPOT", "TTFT", "ITL", "E2EL", "PCI", "PCIe", "NUMA", "TDP", "SDK", "CPU", "tok", "req", "token",
                "Docker", "Python", "PyTorch", "vLLM", "Transformers", "FP16", "BF16", "GPTQ", "Int4", "AWQ", "INT4",
                "top", "KL"}  # top-1 一致率, KL 散度: the metrics of section 5


def _documents() -> list[tuple[str, str, Results]]:
    out = [(p.name, render_markdown(load_results(p), source=str(p.relative_to(REPO))), load_results(p)) for p in SAMPLES]
    out.append(("clean", render_markdown(clean_results(), source="reportgen-results/clean.json"), clean_results()))
    return out


DOCS = _documents()


def _main_text(md: str) -> str:
    """The text before the appendices, without code blocks (commands and scripts are the reader's own)."""
    main = md.split("\n## 附录", 1)[0]
    return re.sub(r"^(```+|~~~+).*?^\1\s*$", "", main, flags=re.M | re.S)


def _headers(md: str) -> list[str]:
    heads = []
    lines = md.split("\n")
    for i, line in enumerate(lines[:-1]):
        if line.startswith("|") and re.fullmatch(r"\|( --- \|)+", lines[i + 1].strip()):
            heads += [c.strip() for c in line.strip().strip("|").split(" | ")]
    return heads


@pytest.mark.parametrize(("name", "md", "results"), DOCS, ids=[d[0] for d in DOCS])
def test_one_term_per_metric_in_all_rendered_text(name: str, md: str, results: Results) -> None:
    text = re.sub(r"^(```+|~~~+).*?^\1\s*$", "", md, flags=re.M | re.S)  # printed output is quoted as printed
    for variant in FORBIDDEN:
        assert variant not in text, (name, variant)


@pytest.mark.parametrize(("name", "md", "results"), DOCS, ids=[d[0] for d in DOCS])
def test_text_before_the_appendices_has_no_tool_talk(name: str, md: str, results: Results) -> None:
    main = _main_text(md)
    files = {c.import_info.file for v in results.variants for c in v.serving if c.import_info}
    files |= {a.import_info.file for v in results.variants for a in v.accuracy if a.import_info}
    for f in files | {"samples/", "/work/", "/tmp/", "reportgen-results"}:
        assert f not in main, (name, f)
    assert not re.search(r"[\w-]+\.(log|json|jsonl|toml)\b", main), name
    for word in PARSERS + TOOL_WORDS:
        assert word not in main, (name, word)
    for head in _headers(main):
        words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", head)) - HEADER_WORDS
        labels = {w for v in results.variants for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", v.label)}
        assert not words - labels, (name, head)


def test_provenance_and_raw_output_are_in_their_appendices() -> None:
    md = DOCS[0][1]
    assert "## 附录 B 原始测试输出" in md and "## 附录 D 数据来源与可追溯性" in md
    prov = md.split("## 附录 D 数据来源与可追溯性", 1)[1]
    prov = prov.replace("\\_", "_")  # Markdown escapes
    assert "samples/seed/serving/a-fp16-bs1.log" in prov and "vllm-legacy-text" in prov
    assert "total_token_throughput = 346.66" in prov  # the values the importer computed are shown
    assert "reportgen " in prov and "samples/seed-bi150.json" in prov
    raw = md.split("## 附录 B 原始测试输出", 1)[1].split("## 附录 C", 1)[0]
    assert "Serving Benchmark Result" in raw and raw.count("### B.") >= 8


def test_glossary_keeps_to_the_terms_used() -> None:
    md = DOCS[0][1]
    glossary = md.split("## 附录 A 术语与指标说明", 1)[1].split("\n## ", 1)[0]
    rest = md.replace(glossary, "")
    names = [t for t in TERMS if f"| {t.name} |".replace("_", "\\_") in glossary]
    assert names and all(t.key in rest for t in names)
    assert "平均功耗" not in glossary  # the seed has no telemetry
    # one Chinese term per metric: the abbreviation's Chinese name appears in the glossary once
    assert glossary.count("首词元延迟") == 1 and glossary.count("每输出词元时间") == 1
