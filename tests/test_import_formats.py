"""The format registry, the `reportgen import` commands built on it, and what the importers
promise on real blocks: nothing dropped, the cell key, repeats, idempotent re-import, precision
labels from every naming scheme, and the exact-length checks only where lengths are exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from reportgen.cli import cli
from reportgen.importers._text import clean_lines
from reportgen.importers.blocks import segment
from reportgen.importers.cells import RunParams
from reportgen.importers.formats import FORMATS, formats_markdown, list_formats, parse_any
from reportgen.importers.labels import RULES, match_precision, precision_from_label, precision_from_path
from reportgen.importers.vllm_log import parse_vllm_text
from reportgen.results import load_results
from reportgen.validity import check_results

REPO = Path(__file__).resolve().parent.parent
REAL = REPO / "tests" / "fixtures" / "real"
FORK = (REAL / "vllm-text" / "vllm-fork-pp-commented-2blocks.txt").read_text(encoding="utf-8")
DLORA = (REAL / "sglang" / "sglang-dlora-rate2-old-total-throughput.txt").read_text(encoding="utf-8")
README = (REAL / "vllm-text" / "vllm-benchmarks-readme-markdown-command-and-block.md").read_text(encoding="utf-8")


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------- registry and docs


def test_docs_table_is_generated_from_the_registry() -> None:
    text = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- formats:begin -->\n(.*)<!-- formats:end -->", text, re.S)
    assert m and m.group(1) == formats_markdown(), "regenerate with: python -m reportgen.importers.formats"
    assert [f.name for f in FORMATS] == re.findall(r"^\| `([a-z-]+)` \|", m.group(1), re.M)


def test_every_format_has_a_real_example_in_the_corpus() -> None:
    """Each format's example line is a line of a real output, and each format is detected on one
    (vllm-json's real file is the vLLM run in the shared fixtures, read by test_import_vllm_json)."""
    corpus = [p for p in REAL.rglob("*") if p.is_file() and p.name != "SOURCES.md" and not p.name.endswith(".expected.json")]
    detected = {json.loads(p.with_name(p.stem + ".expected.json").read_text()).get("format") for p in corpus}
    vllm_json = FIXTURES / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.json"
    assert parse_any(vllm_json.read_text(), "c8.json", RunParams())[0].name == "vllm-json"
    detected.add("vllm-json")
    corpus.append(vllm_json)
    seed_logs = sorted((REPO / "samples" / "seed" / "accuracy").glob("*.log"))  # the seed's real swift eval logs
    assert all(parse_any(p.read_text(), p.name, RunParams())[0].name == "swift-log" for p in seed_logs)
    detected.add("swift-log")
    corpus += seed_logs
    for p in corpus:  # every block's format: the SMI screens (hardware) and the later blocks of mixed files
        detected |= {b.fmt.name for b in segment(clean_lines(p.read_text(encoding="utf-8")), FORMATS) if b.fmt is not None}
    for f in FORMATS:
        assert f.name in detected, f"{f.name}: no real output in tests/fixtures/real"
        parts = [part.strip() for part in f.example.split("...") if part.strip()]
        assert any(all(part in p.read_text(encoding="utf-8") for part in parts) for p in corpus), f"{f.name}: example not from a real file"


def test_list_formats_option() -> None:
    res = run("import", "--list-formats")
    assert res.exit_code == 0 and res.output == list_formats() + "\n"  # type: ignore[attr-defined]
    for f in FORMATS:
        assert f"\n{f.name} " in "\n" + res.output and f.example in res.output  # type: ignore[attr-defined]


def test_auto_names_the_format_and_warns(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    evalscope = REAL / "evalscope-perf" / "evalscope-issue103-v0.4-plain-summary.txt"
    lm = REAL / "lm-eval" / "lm-eval-pr2034-vllm-gsm8k-5shot.md"
    res = run("import", "auto", str(evalscope), str(lm), "-o", str(out))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    lines = res.output.splitlines()  # type: ignore[attr-defined]
    assert lines[0] == f"{evalscope}:1-34: evalscope-perf (evalscope perf Benchmarking summary (and its percentile table))"
    assert lines[1].startswith("warning: ") and "pass --input-len/--output-len" in lines[1]
    assert lines[2].startswith(f"{lm}:1-5: lm-eval-markdown (")
    r = load_results(out)
    assert {v.label for v in r.variants} == {"unknown", "FP16"}
    cell = r.variant("unknown").serving[0]
    assert cell.batch_size == 100 and cell.import_info and cell.import_info.format == "evalscope-perf"
    assert r.variant("FP16").accuracy[0].benchmark == "gsm8k"
    # the unknown lengths become a finding, the exact-length checks stay silent
    checks = {f.check for f in check_results(r) if f.cell == cell.key}
    assert "requested_length_unknown" in checks and not {"input_tokens", "output_tokens"} & checks


def test_unreadable_file_is_one_line_naming_the_format(tmp_path: Path) -> None:
    cut = tmp_path / "cut.txt"
    cut.write_text((REAL / "evalscope-perf" / "evalscope-issue413-grid-truncated.txt").read_text(encoding="utf-8"))
    res = run("import", "auto", str(cut), "-o", str(tmp_path / "r.json"))
    assert res.exit_code == 2  # type: ignore[attr-defined]
    assert res.output == f"reportgen: error: evalscope-perf: {cut}:3: evalscope perf summary has no 'Succeed requests' line (text cut short?)\n"  # type: ignore[attr-defined]
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    res = run("import", "auto", str(junk), "-o", str(tmp_path / "r.json"))
    assert res.exit_code == 2 and res.output.startswith(f"reportgen: error: {junk}: no known format recognised (looked for: aiperf-json,")  # type: ignore[attr-defined]
    assert not (tmp_path / "r.json").exists()


# --------------------------------------------------------------------------- cells: key, repeats, idempotence


def test_request_rate_sweep_gives_one_cell_per_rate(tmp_path: Path) -> None:
    """SGLang blocks at request rate 2 and 4 (same concurrency, lengths): two cells, not one replacing the other."""
    f = tmp_path / "sweep.md"
    f.write_text(DLORA, encoding="utf-8")
    out = tmp_path / "r.json"
    res = run("import", "vllm-log", str(f), "-o", str(out), "--precision", "FP16", "--input-len", "344", "--output-len", "219", "--dataset", "sharegpt")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    cells = load_results(out).variant("FP16").serving
    assert [c.request_rate for c in cells] == [2.0, 4.0] and len({c.key for c in cells}) == 2
    assert "rate 2/s" in res.output and "rate 4/s" in res.output  # type: ignore[attr-defined]


def test_same_case_twice_in_one_import_is_kept_as_repeats_and_reimport_is_idempotent(tmp_path: Path) -> None:
    f = tmp_path / "two.txt"
    f.write_text(FORK, encoding="utf-8")
    out = tmp_path / "r.json"
    res = run("import", "vllm-log", str(f), "-o", str(out), "--input-len", "2048", "--output-len", "2048")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    cells = load_results(out).variant("FP16").serving
    assert [(c.batch_size, c.repeat, c.metrics.duration_s if c.metrics else None) for c in cells] == [(32, 0, 150.87), (32, 1, 198.68)]
    assert "repeat 1" in res.output  # type: ignore[attr-defined]
    before = [c.model_dump(exclude={"started_at", "finished_at"}) for c in cells]
    res = run("import", "vllm-log", str(f), "-o", str(out), "--input-len", "2048", "--output-len", "2048")
    assert res.output.count("unchanged (the same block was imported before)") == 2  # type: ignore[attr-defined]
    after = [c.model_dump(exclude={"started_at", "finished_at"}) for c in load_results(out).variant("FP16").serving]
    assert after == before


def test_concurrency_is_capped_by_the_requests_sent() -> None:
    """max_concurrency 64 but 10 prompts: 10 requests were in flight, not 64."""
    text = README.replace("  --num-prompts 10\n", "  --num-prompts 10 \\\n  --max-concurrency 64\n")
    [item] = parse_vllm_text(text, "r.md")
    assert item.cell.batch_size == 10 and item.cell.num_requests == 10


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("P99 TTFT (ms):                           79.49     ", "P99 TTFT (ms):                           79.49  # 偏高"),
        lambda t: t.replace("============ Serving Benchmark Result ============", "============ Serving Benchmark Result (xyz) ============"),
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("Mean TTFT (ms):", "\x1b[32mMean TTFT (ms):\x1b[0m"),
        lambda t: t.replace("Median TTFT (ms):                        73.88", "Median TTFT (ms)：                       73.88"),
        lambda t: "\n".join("    " + ln for ln in t.splitlines()),
        lambda t: "\n".join("INFO 02-26 11:54:39 [bench.py:1] " + ln for ln in t.splitlines()),
    ],
    ids=["trailing-note", "header-suffix", "crlf", "ansi", "fullwidth-colon", "indented", "log-prefix"],
)
def test_noise_around_a_real_block_changes_nothing(edit) -> None:  # type: ignore[no-untyped-def]
    [ref] = parse_vllm_text(README, "r.md")
    [got] = parse_vllm_text(edit(README), "r.md")
    m, g = ref.cell.metrics, got.cell.metrics
    assert m is not None and g is not None
    assert (g.ttft_ms, g.tpot_ms, g.itl_ms, g.duration_s, g.completed) == (m.ttft_ms, m.tpot_ms, m.itl_ms, m.duration_s, m.completed)
    assert got.cell.key == ref.cell.key


def test_trailing_note_is_kept() -> None:
    [got] = parse_vllm_text(README.replace("79.49     ", "79.49  # 偏高"), "r.md")
    assert got.cell.metrics and got.cell.metrics.ttft_ms.p99 == 79.49
    assert any("# 偏高" in n for n in got.cell.notes)


def test_every_printed_percentile_is_kept() -> None:
    [got] = parse_vllm_text(
        README.replace("P99 TTFT (ms):", "P50 TTFT (ms):                           73.88\nP95 TTFT (ms):                           78.00\nP99.9 TTFT (ms):                         79.90\nP99 TTFT (ms):"),
        "r.md",
    )
    t = got.cell.metrics.ttft_ms if got.cell.metrics else None
    assert t is not None and t.percentiles == {"p50": 73.88, "p95": 78.0, "p99.9": 79.9} and t.p99 == 79.49


def test_variable_length_dataset_is_not_an_exact_length_error(tmp_path: Path) -> None:
    """The README run used sharegpt: its lengths vary, so input/output token totals are not checked
    against input_len x requests (they would be errors for a random dataset)."""
    out = tmp_path / "r.json"
    f = tmp_path / "readme.md"
    f.write_text(README, encoding="utf-8")
    assert run("import", "vllm-log", str(f), "-o", str(out), "--input-len", "128", "--output-len", "128").exit_code == 0  # type: ignore[attr-defined]
    r = load_results(out)
    cell = r.variants[0].serving[0]
    assert cell.dataset == "sharegpt" and not cell.exact_input() and not cell.exact_output()
    assert not {"input_tokens", "output_tokens"} & {f.check for f in check_results(r)}
    # the same block declared random: 1369 tokens for 10 x 128 is an error
    out2 = tmp_path / "r2.json"
    assert run("import", "vllm-log", str(f), "-o", str(out2), "--input-len", "128", "--output-len", "128", "--dataset", "random").exit_code == 0  # type: ignore[attr-defined]
    assert {"input_tokens", "output_tokens"} <= {f.check for f in check_results(load_results(out2))}


# --------------------------------------------------------------------------- precision labels

# real model names (as published on hubs and in the corpus) -> label
REAL_NAMES = {
    "/home/r740/lsc/models/Qwen2-7B-Instruct/": "FP16",
    "/home/r740/lsc/models/Qwen2-7B-Instruct_GPTQ_Int4/": "GPTQ-Int4",
    "/home/aigc/lsc/vllm_test/Qwen2-7B-Instruct_AWQ_Int4": "AWQ-Int4",
    "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8": "GPTQ-Int8",
    "Qwen/Qwen2.5-7B-Instruct-AWQ": "AWQ-Int4",
    "nm-testing/Qwen2.5-VL-72B-Instruct-quantized.w8a8": "W8A8",
    "neuralmagic/DeepSeek-R1-Distill-Qwen-14B-quantized.w4a16": "W4A16",
    "neuralmagic/DeepSeek-R1-Distill-Qwen-14B-FP8-dynamic": "FP8",
    "Phi-3-mini-4k-instruct-q4.gguf": "GGUF",
    "qwen2.5-7b-instruct-q8_0.gguf": "GGUF-Q8_0",
    "Meta-Llama-3-8B-Instruct.Q4_K_M.gguf": "GGUF-Q4_K_M",
    "unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF/Qwen3-30B-A3B-Instruct-2507-UD-IQ3_XXS.gguf": "GGUF-IQ3_XXS",
    "deepseek-r1-nvfp4": "NVFP4",
    "openai/gpt-oss-120b-mxfp4": "MXFP4",
    "Qwen3-32B-bf16": "BF16",
    "vllm-ascend/Qwen3-8B-W8A8": "W8A8",
    "TheBloke/Llama-2-7B-GPTQ": "GPTQ-Int4",
    "turboderp/Llama-3-8B-exl2-4.0bpw": "exl2",
    "unsloth/llama-3-8b-bnb-4bit": "bnb",
}


@pytest.mark.parametrize("name,label", sorted(REAL_NAMES.items()))
def test_precision_label_from_real_names(name: str, label: str) -> None:
    assert precision_from_path(name).label == label


def test_precision_from_flags_and_literals() -> None:
    assert precision_from_path("/m/Qwen2-7B-Instruct", quantization="gptq_marlin").label == "GPTQ-Int4"
    assert precision_from_path("/m/Qwen2-7B-Instruct", quantization="fp8").label == "FP8"
    assert precision_from_path("/m/Qwen2-7B-Instruct", dtype="bfloat16").label == "BF16"
    assert precision_from_path("/m/Qwen2-7B-Instruct", dtype="auto").label == "FP16"
    unknown = precision_from_path("/m/x", quantization="compressed-tensors")  # the scheme is in the model's config
    assert unknown.label == "compressed-tensors" and unknown.precision == "compressed-tensors"
    assert precision_from_label("gptq-int4").label == "GPTQ-Int4" and precision_from_label("W8A8").quantization == "w8a8"
    assert precision_from_label("mystery-9bit").label == "mystery-9bit"  # kept as written, never mapped
    assert match_precision("Qwen2-7B-Instruct") is None
    assert len(RULES) >= 15
