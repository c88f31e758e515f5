"""End to end on the embedded sample: the seed's evaluation, imported from its own text."""

import json
import re
from pathlib import Path

from click.testing import CliRunner
from conftest import FIXTURES
from markdown_it import MarkdownIt

from reportgen.cli import cli

SAMPLE = "samples/seed-bi150.json"

# (label, batch) -> (TPS, TPOT mean, TTFT mean, duration) exactly as the seed printed them.
SEED_CASES = {
    ("FP16", 1): ("24.70", "51.04", "2243.94", "24.37"),
    ("FP16", 2): ("27.00", "13.17", "1560.00", "35.57"),
    ("FP16", 4): ("46.29", "57.60", "74.77", "22.12"),
    ("FP16", 8): ("57.70", "64.65", "140.00", "35.50"),
    ("GPTQ-Int4", 1): ("5.95", "41.24", "2006.15", "2.69"),
    ("GPTQ-Int4", 2): ("6.13", "30.33", "4764.42", "0.72"),
    ("GPTQ-Int4", 4): ("33.63", "196.27", "6542.50", "16.20"),
    ("GPTQ-Int4", 8): ("48.60", "250.54", "14546.78", "32.20"),
}


def _summary_table(md: str) -> tuple[list[str], list[list[str]]]:
    section = md.split("### 3.4", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]  # 3.4 only, not 3.5 and on
    tokens = MarkdownIt("commonmark").enable(["table"]).parse(section)
    rows: list[list[str]] = []
    row: list[str] | None = None
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            row.append(re.sub(r"\\(.)", r"\1", tokens[i + 1].content))  # type: ignore[union-attr]
        elif t.type == "tr_close":
            rows.append(row)  # type: ignore[arg-type]
    return rows[0], rows[1:]


def test_render_sample_fills_summary_and_marks_invalid_cells(repo: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    out = CliRunner().invoke(cli, ["render", SAMPLE, "--format", "md", "-o", str(tmp_path)])
    assert out.exit_code == 0, out.output
    md = (tmp_path / "seed-bi150.md").read_text(encoding="utf-8")
    for heading in ["## 1. 环境规格", "## 2. 环境部署", "## 3. Qwen2-7B-Instruct推理用例测试", "### 3.4", "## 4.", "## 5. bge-large-zh-v1.5", "## 6. bge-reranker-v2-m3", "数据有效性检查"]:
        assert heading in md, heading
    header, rows = _summary_table(md)
    assert len(rows) == 8
    col = {name: i for i, name in enumerate(header)}
    # The seed's four columns first, under the document's one term per metric.
    assert header[1:5] == ["TPS (tok/s)", "TPOT 均值 (ms)", "TTFT 均值 (ms)", "测试时长 (s)"]
    valid = col["有效性"]
    seen = {}
    for r in rows:
        label, batch = re.fullmatch(r"(\S+) · 批大小 (\d+)", r[0]).groups()
        # A doubtful value keeps its number and carries the mark; the reason is in the row's note.
        seen[(label, int(batch))] = tuple(x.removesuffix("※") for x in r[1:5])
        # Every seed case has at least one error finding: 16 tokens, P99 < median, TTFT > duration, ...
        assert r[valid].startswith("无效"), (label, batch, r[valid])
    assert seen == SEED_CASES
    assert "" not in [c.strip() for r in rows for c in r], "an empty cell in the summary table"


def test_validate_flags_the_seed(repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    out = CliRunner().invoke(cli, ["validate", SAMPLE, "--json"])
    assert out.exit_code == 1
    findings = json.loads(out.output)
    checks = {(f["precision"], f["cell"] and f["cell"]["batch_size"], f["check"]) for f in findings}
    assert ("GPTQ-Int4", 1, "output_tokens") in checks  # 16 of 256 tokens
    assert ("FP16", 4, "percentile_order") in checks  # P99 60.00 below median 60.74
    assert ("GPTQ-Int4", 2, "latency_exceeds_duration") in checks  # TTFT 4764 ms > 0.722 s
    assert ("FP16", 4, "ttft_batch_scaling") in checks  # 74.77 ms TTFT for 8K-token prompts
    assert any(f["check"] == "bbh_bracket_bug" and f["precision"] == "FP16" for f in findings)


def test_validate_passes_a_clean_real_run(tmp_path: Path) -> None:
    runner = CliRunner()
    res = tmp_path / "clean.json"
    fixture = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.json"
    out = runner.invoke(cli, ["import", "vllm-log", str(fixture), "-o", str(res)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["validate", str(res), "--json"])
    assert out.exit_code == 0, out.output
    # nothing wrong: 8 prompts at concurrency 8 are one wave, so no steady window (AISBench's rule, a
    # warning) and a P99 of 8 requests (a note)
    assert [(f["severity"], f["check"]) for f in json.loads(out.output)] == [("note", "percentile_samples"),
                                                                           ("warning", "steady_window")]

