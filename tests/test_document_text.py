"""Issue 20, hostile text in documents: the one sanitising step (``reportgen.report.safe_text``)
and each example of the issue rendered in every format it names.

* fact strings with control characters (a hostile ``nvidia-smi -q`` / ``lscpu``), lone surrogates
  and a 1 MB single-line value render in md, html, docx and pdf;
* variant labels 「INT4量化」, 「FP16-ñ」 and 300 characters long, with a capacity search, render in
  html, docx and pdf (the chart files are named by a digest);
* a 3-million-character functional-check answer is cut for the document and kept whole in the
  results file.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from formats_sample import sample_results

from reportgen.cli import cli
from reportgen.report.safe_text import LIMITS, clean, cut, document_text
from reportgen.results import (
    CapacityProbe,
    CapacitySearch,
    CommandOutput,
    Fact,
    FunctionalCheck,
    RequestRecord,
    Results,
    ServingCell,
    load_results,
    save_results,
)

HOSTILE_SMI = "Tesla\x00V100\x1b[1;31m-SXM2\x1b[0m\x07\x08 16GB\x7f\x9b\u202egnp.exe\u202c"


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def _render_all(res: Results, tmp_path: Path, name: str = "r", formats: tuple[str, ...] = ("md", "html", "docx", "pdf")) -> Path:
    path = tmp_path / f"{name}.json"
    save_results(res, path)
    out = tmp_path / "out"
    for fmt in formats:
        r = CliRunner().invoke(cli, ["render", str(path), "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, (fmt, r.output, r.exception)
    return out


# --------------------------------------------------------------------------- the step itself


def test_clean_makes_every_character_printable() -> None:
    assert clean("plain 文本 ok\tand\nlines") == "plain 文本 ok\tand\nlines"
    assert clean(HOSTILE_SMI) == "Tesla\ufffdV100-SXM2\ufffd\ufffd 16GB\ufffd\ufffdgnp.exe"
    assert clean("a\ud800b\udfffc\ufffe") == "a\ufffdb\ufffdc\ufffd"  # lone surrogates, XML-illegal U+FFFE
    assert clean("\x1b[38;5;196mred\x1b[0m") == "red"  # terminal colours are dropped, not shown


def test_cut_counts_what_it_leaves_out() -> None:
    line = "x" * 1_000_000
    got = document_text(line, "block")
    assert got == "x" * 2000 + f"……（本行其余 {20000 - 2000} 个字符未列出）\n……（以下 {1_000_000 - 20000} 个字符未列出，全文见结果文件）"
    many = "\n".join(["y" * 10] * 5000)  # 55 000 characters in short lines: only the value limit applies
    assert document_text(many, "block").endswith(f"……（以下 {len(many) - 20000} 个字符未列出，全文见结果文件）")
    assert document_text("a" * 601, "inline") == "a" * 600 + "……（以下 1 个字符未列出，全文见结果文件）"
    assert document_text("L" * 300, "chart") == "L" * 59 + "…"
    assert cut("short", LIMITS["cell"]) == "short"
    assert len(document_text("z" * 10_000, "meta")) == 255  # python-docx refuses a document property of 256
    assert document_text("a\nb  c", "meta") == "a b c"  # one line


# --------------------------------------------------------------------------- the examples


def test_control_characters_surrogates_and_a_megabyte_line_render_everywhere(tmp_path: Path) -> None:
    res = sample_results()
    env = res.environment
    env.facts["accelerator.model"] = Fact.of(HOSTILE_SMI, source="nvidia-smi -q")
    env.facts["cpu.model"] = Fact.of("Xeon\ud800 Gold\udfff 5218")  # a lone surrogate, as "\\ud800" in JSON
    env.facts["os.name"] = Fact.of("U" * 1_000_000)  # one 1 MB line
    env.raw_outputs.append(CommandOutput(id="lscpu", command="lscpu", stdout="Model name:\x00\x01 EPYC\x1b[0m\n" + "z" * 1_000_000))
    res.variant("FP16").functional_check = FunctionalCheck(response_text="答\x00案\ud800" + "长" * 50_000, finish_reason="length")
    out = _render_all(res, tmp_path)
    md = (out / "r.md").read_text(encoding="utf-8")
    assert "Tesla\ufffdV100-SXM2" in md and "Xeon\ufffd Gold\ufffd 5218" in md
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]", md)
    assert "U" * 1000 in md and "U" * 2001 not in md and "全文见结果文件" in md
    html = (out / "r.html").read_text(encoding="utf-8")
    assert "Tesla\ufffdV100-SXM2" in html and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    assert "Tesla\ufffdV100-SXM2" in _docx_xml(out / "r.docx")
    assert "V100-SXM2" in _pdf_text(out / "r.pdf")
    # the file keeps every character the collector read, except what UTF-8 cannot hold
    kept = load_results(tmp_path / "r.json")
    assert kept.environment.facts["accelerator.model"].value == HOSTILE_SMI
    assert kept.environment.facts["cpu.model"].value == "Xeon\ufffd Gold\ufffd 5218"
    assert kept.environment.facts["os.name"].value == "U" * 1_000_000


def test_a_results_file_holding_lone_surrogates_renders(tmp_path: Path) -> None:
    """A file written elsewhere, with ``\\ud800`` escapes in its JSON (valid JSON, no UTF-8 form)."""
    doc = json.loads(sample_results().model_dump_json())
    doc["title"] = "评测\\ud800报告"
    doc["subject"]["card"] = "BI-V150 \\udc00"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc).replace("\\\\ud800", "\\ud800").replace("\\\\udc00", "\\udc00"), encoding="utf-8")
    assert "\\ud800" in path.read_text(encoding="utf-8")
    for fmt in ("md", "html", "docx"):
        r = CliRunner().invoke(cli, ["render", str(path), "--format", fmt, "-o", str(tmp_path / "out")])
        assert r.exit_code == 0, (fmt, r.output, r.exception)
    assert "BI-V150 \ufffd" in (tmp_path / "out" / "s.md").read_text(encoding="utf-8")


def _probe(conc: int, ttft: float) -> CapacityProbe:
    from reportgen.metrics import serving_metrics

    recs = [RequestRecord(index=i, start_s=0.0, first_token_s=ttft, end_s=ttft + 0.1,
                          chunk_times_s=[ttft + k * 0.01 for k in range(11)], completion_tokens=11, prompt_tokens=8)
            for i in range(3 * conc)]
    cell = ServingCell(batch_size=conc, input_len=8, output_len=11, num_requests=3 * conc, requests=recs, duration_s=1.0,
                       slo={"ttft_p99_ms": 200.0})
    cell.metrics = serving_metrics(recs, 1.0, cell.slo)
    return CapacityProbe(value=conc, met=ttft < 0.2, cell=cell, failed_limits=[] if ttft < 0.2 else ["ttft_p99_ms"])


@pytest.mark.parametrize("label", ["INT4量化", "FP16-ñ", "L" * 300])
def test_any_variant_label_with_a_capacity_search_renders(tmp_path: Path, label: str) -> None:
    res = sample_results()
    v = res.variant(label, model="Qwen2-7B-Instruct")
    v.serving = [c.model_copy(deep=True) for c in res.variant("FP16").serving[:2]]
    v.capacity.append(CapacitySearch(by="concurrency", slo={"ttft_p99_ms": 200.0}, input_len=8, output_len=11,
                                     max_value=8, capacity=2, probes=[_probe(1, 0.05), _probe(2, 0.1), _probe(4, 0.5)]))
    out = _render_all(res, tmp_path, formats=("md", "html", "docx", "pdf"))
    names = sorted(p.name for p in (out / "charts").iterdir())
    assert names and all(re.fullmatch(r"[a-z_]+-[0-9a-f]{8}\.(png|svg)", n) for n in names), names
    assert any(n.startswith("capacity-") for n in names)
    md = (out / "r.md").read_text(encoding="utf-8")
    assert re.search(r"!\[[^\]]*\]\(charts/capacity-[0-9a-f]{8}\.png\)", md)
    shown = label if len(label) <= LIMITS["inline"].chars else label[:10]
    assert shown in md and shown in _pdf_text(out / "r.pdf").replace("\n", "")


def test_a_three_million_character_answer_is_cut_for_the_document_and_kept_in_the_file(tmp_path: Path) -> None:
    answer = "这是一个很长的回答。" * 300_000  # 3 000 000 characters, one line
    res = sample_results()
    res.variant("FP16").functional_check = FunctionalCheck(response_text=answer, finish_reason="length", completion_tokens=256)
    out = _render_all(res, tmp_path, formats=("md", "pdf"))
    md = (out / "r.md").read_text(encoding="utf-8")
    assert "返回 3000000 个字符的中文回答" in md  # the verdict counts the whole answer
    block = next(b for b in md.split("```") if "这是一个很长的回答。" in b)
    assert len(block) < 2200 and "本行其余 18000 个字符未列出" in block and "以下 2980000 个字符未列出" in block
    assert load_results(tmp_path / "r.json").variant("FP16").functional_check.response_text == answer  # type: ignore[union-attr]
    assert "全文见结果文件" in _pdf_text(out / "r.pdf").replace("\n", "")
