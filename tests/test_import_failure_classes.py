"""Each way an import went silently wrong (issue 19), on a real output of that class found for
the corpus (tests/fixtures/real, sources in SOURCES.md), through the command users run.

The classes: one format taken for the whole file; several models in one table; the scale guessed
from the tool's version; cells not read (percent cells, cut device names); formats not read; one
run imported from two renderings; and those the corpus turned up: a value the paste stops inside,
a command printed for another run, a note column beside the scores, an unstreamed run, a derived
score. Each test would fail on the importer before this work (the note says what it did).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.importers.blocks import read_blocks
from reportgen.importers.cells import RunParams
from reportgen.importers.formats import FORMATS
from reportgen.results import Results, load_results

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
BENCH = Path(__file__).resolve().parent / "fixtures" / "vllm-bench"


def _import(tmp_path: Path, *files: Path, args: tuple[str, ...] = (), out: str = "r.json") -> tuple[Results | None, list[str]]:
    res = CliRunner().invoke(cli, ["import", "auto", *map(str, files), "-o", str(tmp_path / out), *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = res.output.splitlines()
    return (load_results(tmp_path / out) if res.exit_code == 0 else None), lines


def _cells(r: Results) -> list[Any]:
    return [c for v in r.variants for c in v.serving]


# --------------------------------------------------------------------------- one format for the whole file


def test_a_note_with_a_vllm_run_and_an_evalscope_run_gives_two_cells(tmp_path: Path) -> None:
    """Before: the file was read as one format, the second tool's run dropped (one row for two)."""
    f = REAL / "mixed" / "evalscope-zh-vs-vllm-bench-same-server-50conc.md"
    r, out = _import(tmp_path, f)
    assert r is not None
    cells = _cells(r)
    assert sorted(c.import_info.format for c in cells) == ["evalscope-perf", "vllm-text"]
    spans = sorted((c.import_info.first_line, c.import_info.last_line) for c in cells)
    assert spans == [(3, 44), (67, 116)]
    assert f"{f}:3-44: vllm-text (" in out[0] and any(line.startswith(f"{f}:67-116: evalscope-perf (") for line in out)
    assert out[-2].startswith(f"{f}: 2 blocks found, 2 imported;")


def test_every_block_of_a_doc_is_listed_imported_refused_or_unclaimed(tmp_path: Path) -> None:
    """vllm-ascend's benchmark page: two serving blocks, a `vllm bench throughput` line no format
    claims, and an embedding run without generated tokens -- each listed by its lines."""
    f = REAL / "mixed" / "vllm-ascend-perf-doc-serve-throughput-multimodal-embedding.md"
    r, out = _import(tmp_path, f)
    assert r is not None and len(_cells(r)) == 2
    assert f"{f}:69-71: no known format ('Throughput: 2.73 requests/s, 699.93 total tokens/s, 349.97 output t...'): not imported" in out
    assert any(line.startswith(f"{f}:133-154: vllm-text: not imported:") and "no 'Total generated tokens' line" in line for line in out)
    assert any(line.startswith(f"{f}: 4 blocks found, 2 imported, 1 recognised, not imported, 1 no known format claims (lines 69-71);")
               for line in out)


def test_a_file_nothing_imports_names_its_blocks(tmp_path: Path) -> None:
    """Tables a person made from `vllm bench serve` runs: no tool printed them, so nothing is read
    -- and the refusal names the lines that hold numbers."""
    f = REAL / "mixed" / "vllm-ascend-kimi-k2-thinking-hand-made-bench-summary-tables.md"
    r, out = _import(tmp_path, f)
    assert r is None and len(out) == 1
    assert out[0].endswith("found: lines 5-7 print numbers no format claims; lines 35-39 print numbers no format claims")


# --------------------------------------------------------------------------- several models in one table


@pytest.mark.parametrize(
    "name,labels",
    [
        ("opencompass-comment-table-theoremqa-four-hf-models.py",
         ["mistral-7b-v0.1-hf", "mistral-7b-v0.2-hf", "internlm2-20b-hf", "internlm2-math-20b-hf"]),
        ("aisbench-qwen3.5-dense-three-models-model-column.md", None),
        ("aisbench-qwen3.8-27b-three-variants-model-in-version-place.md", None),
    ],
)
def test_one_variant_per_model_column(tmp_path: Path, name: str, labels: list[str] | None) -> None:
    """Before: every column got the same label and overwrote the others."""
    r, _ = _import(tmp_path, REAL / "opencompass" / name)
    assert r is not None
    got = [v.label for v in r.variants]
    assert len(got) == len(set(got)) >= 3
    if labels is not None:
        assert got == labels
    assert all(v.accuracy for v in r.variants)


# --------------------------------------------------------------------------- scale from values


def test_an_lm_eval_0_3_table_of_fractions_is_not_divided(tmp_path: Path) -> None:
    """Before: lm-eval 0.3 was taken to print percentages (0.4954 -> 0.004954)."""
    r, _ = _import(tmp_path, REAL / "lm-eval" / "lm-eval-0.3-issue372-hellaswag-gptj-fractions.md")
    assert r is not None
    score = r.variants[0].accuracy[0]
    assert score.score == 0.4954 and score.settings["printed_scale"] == "fraction"


def test_a_score_below_one_in_a_percent_table_stays_a_percentage(tmp_path: Path) -> None:
    """OpenCompass RULER: 0.14 among 93.66 is 0.14 %, not 14 %."""
    r, _ = _import(tmp_path, REAL / "opencompass" / "opencompass-comment-table-ruler-three-models-0.14-percent.py")
    assert r is not None
    scores = {(v.label, a.benchmark): a.score for v in r.variants for a in v.accuracy}
    assert 0.0014 in scores.values() and max(scores.values()) < 1
    assert all(a.settings["scale_from"] == "values" for v in r.variants for a in v.accuracy)


# --------------------------------------------------------------------------- cells not read


@pytest.mark.parametrize(
    "name,score",
    [("evalscope-1.x-zh-docs-model-name-headers-percent-cells.md", 0.4), ("evalscope-zh-qwen3-omni-percent-cell-arrow-in-metric.txt", 0.44)],
)
def test_percent_cells_are_read(tmp_path: Path, name: str, score: float) -> None:
    """Before: 「40%」 came back empty."""
    r, _ = _import(tmp_path, REAL / "evalscope-report" / name)
    assert r is not None
    first = r.variants[0].accuracy[0]
    assert first.score == pytest.approx(score) and first.settings["scale_from"] == "cells"


def test_a_cut_device_name_is_kept_as_printed(tmp_path: Path) -> None:
    """An nvidia-smi paste whose name column was cut: listed with the name as printed."""
    f = REAL / "smi" / "nvidia-smi-table-470-truncated-name-no-cap.txt"
    _, out = _import(tmp_path, f)
    assert "1 device (NVIDIA GeForce ...)" in out[0]
    from collectors.hardware.parsers.nvidia import parse_table

    dev = parse_table(f.read_text(encoding="utf-8")).devices[0]
    assert dev.name is None and dev.extra["printed_name"] == "NVIDIA GeForce ..."


def test_a_note_column_beside_the_scores_is_not_a_model(tmp_path: Path) -> None:
    """AISBench table with a `note` column ("1 Atlas 800 A3 (64GB × 16)"): before, read as a
    second model scoring 1 %."""
    r, out = _import(tmp_path, REAL / "opencompass" / "aisbench-deepseek-v3.1-ascend-a3-note-column-after-model.md")
    assert r is not None and [v.label for v in r.variants] == ["FP16"]
    assert [a.score for a in r.variants[0].accuracy] == [0.9094, 0.9628]
    assert any("column 'note' holds text, not scores: not read" in line for line in out)


# --------------------------------------------------------------------------- formats that were not read


@pytest.mark.parametrize(
    "rel,fmt,n",
    [
        ("guidellm/guidellm-0.1-report-llama3.1-8b-inferentia2-optimum-neuron.txt", "guidellm", None),
        ("guidellm/guidellm-0.2-sweep-granite-8b-1xl40s-ibm-lab.txt", "guidellm", None),
        ("aiperf-table/aiperf-goodput-tutorial-request-count-20.md", "aiperf-table", 1),
        ("opencompass/opencompass-comment-table-mmlu-pro-two-turbomind-models.py", "opencompass-summary", None),
        ("evalscope-report/evalscope-1.0-zh-docs-model-name-headers-fractions.md", "evalscope-table", None),
        ("evalscope-report/evalscope-zh-qwen3-32b-collection-task-type-table-thinking.txt", "evalscope-table", 10),
        ("lm-eval-samples/samples_masakhaner_luo_prompt_4_2026-01-16T20-57-28.313639.jsonl", "lm-eval-samples", 1),
    ],
)
def test_the_new_formats_import(tmp_path: Path, rel: str, fmt: str, n: int | None) -> None:
    exp = json.loads((REAL / rel).with_name((REAL / rel).stem + ".expected.json").read_text(encoding="utf-8"))
    opts = exp["then"][0]["options"] if "error" in exp else {}
    args = tuple(a for k, v in opts.items() for a in (f"--{k.replace('_', '-')}", str(v)))
    r, out = _import(tmp_path, REAL / rel, args=args)
    assert r is not None, out
    assert f": {fmt} (" in out[0]
    items = [i for v in r.variants for i in (*v.serving, *v.accuracy)]
    assert items and all(i.import_info is not None and i.import_info.format.startswith(fmt.split("-")[0]) for i in items)
    if n is not None:
        assert len(items) == n


@pytest.mark.parametrize(
    "name", ["vllm-issue359-2023-07-namespace-a100-sharegpt.txt", "vllm-pr2505-2024-01-ci-one-line.txt",
             "lightllm-docs-cn-benchmark-serving-copy-indented.rst"],
)
def test_early_vllm_output_without_token_counts_is_refused(tmp_path: Path, name: str) -> None:
    """vLLM 2023's benchmark_serving.py prints no token counts and every real one found ran ShareGPT
    (lengths vary): read, it is refused with the reason, never filled with a guess."""
    r, out = _import(tmp_path, REAL / "vllm-early" / name)
    assert r is None and len(out) == 1
    assert out[0].startswith("reportgen: error: vllm-early-text: ") and "prints no token counts" in out[0]


def test_an_efsmi_table_is_recognised_not_mistaken_for_results(tmp_path: Path) -> None:
    f = REAL / "smi" / "efsmi-1.6.3.12-s60g-sriov-flagtree-cn.txt"
    _, out = _import(tmp_path, f)
    assert len(out) == 1 and "found: lines 1-17 efsmi: " in out[0]
    assert out[0].endswith("2 devices (Enflame S60G); hardware facts are not imported (reportgen collect measures them)")


# --------------------------------------------------------------------------- one run, one cell


@pytest.mark.parametrize("together", [True, False])
def test_the_text_and_the_json_of_one_run_are_one_cell(tmp_path: Path, together: bool) -> None:
    """`vllm bench serve` on this machine's vLLM: its printed block and its --save-result JSON.
    Before: two cells for one run (dataset 'random' vs 'unknown')."""
    txt, js = BENCH / "vllm-0.32-cpu-bench-serve-c8.txt", BENCH / "vllm-0.32-cpu-bench-serve-c8.json"
    if together:
        r, out = _import(tmp_path, txt, js)
        assert any("the same run as" in line and "merged into one cell" in line for line in out)
    else:
        _import(tmp_path, txt)
        r, out = _import(tmp_path, js)
        assert any("merged with the existing cell of the same run" in line for line in out)
    assert r is not None
    cells = _cells(r)
    assert len(cells) == 1
    c = cells[0]
    assert c.import_info.format == "vllm-json" and len(c.requests) == 8  # the richer rendering kept
    also = c.import_info.also
    assert [(a.file.endswith(".txt"), a.format, a.first_line, a.last_line) for a in also] == [(True, "vllm-text", 4, 40)]


def test_one_score_printed_in_the_log_and_the_table_is_one_score(tmp_path: Path) -> None:
    """AISBench: the log's `Task [...]` line (94.76876...) and the summary table (94.77)."""
    f = REAL / "opencompass" / "aisbench-hunyuan-a13b-log-task-line-and-text-table.md"
    r, out = _import(tmp_path, f)
    assert r is not None
    scores = r.variants[0].accuracy
    assert len(scores) == 1 and scores[0].score == pytest.approx(0.9476876421531464)
    assert any("merged (kept the more precise, both recorded)" in line for line in out)
    assert scores[0].import_info is not None and scores[0].import_info.also


def test_the_same_paste_twice_changes_nothing(tmp_path: Path) -> None:
    f = REAL / "vllm-text" / "vllm-zh-blog-jetson-thor-two-commands-before-first-block.txt"
    _import(tmp_path, f)
    before = (tmp_path / "r.json").read_text(encoding="utf-8")
    r, out = _import(tmp_path, f)
    assert r is not None and len(_cells(r)) == 1 and any(line.endswith(": unchanged (the same block was imported before)") for line in out)
    assert json.loads(before)["variants"] == json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["variants"]


def test_samples_join_the_score_of_their_results_file(tmp_path: Path) -> None:
    """lm-eval --log_samples next to its results JSON: one score, its n from the records."""
    res = REAL / "lm-eval" / "lm-eval-0.4.10-african-masakhaner_luo_prompt_4_0shot_2026-01-16T20-57-28.313639.json"
    samples = REAL / "lm-eval-samples" / "samples_masakhaner_luo_prompt_4_2026-01-16T20-57-28.313639.jsonl"
    r, out = _import(tmp_path, res, samples)
    assert r is not None
    scores = [a for v in r.variants for a in v.accuracy]
    assert len(scores) == 1 and scores[0].n == 185
    assert any("joined the score of" in line for line in out)


# --------------------------------------------------------------------------- classes the corpus turned up


@pytest.mark.parametrize(
    "name,label",
    [("vllm-zh-blog-atlas800i-a2-910b4-chinese-notes-cut-mid-value.txt", "Median TTFT (ms): 3147"),
     ("vllm-zh-cnblogs-rate-configured-indented-cut-mid-value.txt", "P99 ITL (ms): 2")],
)
def test_a_value_the_paste_stops_inside_is_not_read(tmp_path: Path, name: str, label: str) -> None:
    """Before: 'P99 ITL (ms): 2' (of 2xx.xx) became a P99 below the median."""
    r, out = _import(tmp_path, REAL / "vllm-text" / name, args=("--explain",))
    assert r is not None
    assert any(f"the text stops on '{label}' without a line end" in line for line in out)
    c = _cells(r)[0]
    stat, field = ("ttft_ms", "median") if "TTFT" in label else ("itl_ms", "p99")
    assert getattr(getattr(c.metrics, stat), field) is None
    assert any(line.endswith(f"{label.split(':')[0]} = {label.split(': ')[1]}: not used") for line in out)


def test_a_command_printed_for_another_run_is_not_used(tmp_path: Path) -> None:
    """Both commands first, both results after: the nearest command (10 prompts, concurrency 1)
    is not the first block's (100 requests, concurrency 8). Before: 10 planned requests."""
    r, out = _import(tmp_path, REAL / "vllm-text" / "vllm-zh-blog-jetson-thor-two-commands-before-first-block.txt")
    assert r is not None
    c = _cells(r)[0]
    assert c.batch_size == 8 and c.num_requests is None and c.metrics.completed == 100
    assert any("is not this run's (num_prompts 10, 100 requests printed; max_concurrency 1, 8 printed)" in line for line in out)


def test_an_unstreamed_run_says_its_ttft_is_the_whole_request(tmp_path: Path) -> None:
    r, out = _import(tmp_path, REAL / "evalscope-perf" / "evalscope-zh-r1-distill-1.5b-no-stream-ttft-equals-latency.txt")
    assert r is not None
    assert any("the run was not streamed" in line for line in out)
    c = _cells(r)[0]
    assert c.metrics.tpot_ms is not None and c.metrics.tpot_ms.median is None  # 'nan' percentiles: no value


def test_a_score_computed_from_subsets_is_marked_derived(tmp_path: Path) -> None:
    f = REAL / "evalscope-report" / "evalscope-zh-qwq-32b-math500-levels-no-overall.txt"
    r, out = _import(tmp_path, f, args=("--explain",))
    assert r is not None
    a = r.variants[0].accuracy[0]
    assert a.import_info is not None and {"score", "n"} <= set(a.import_info.derived)
    assert a.score == pytest.approx((0.9535 * 43 + 1 * 90 + 0.9714 * 105 + 0.9375 * 128 + 0.9403 * 134) / 500)
    assert any(line.startswith(f"  {f}:1-13: score derived from ") for line in out)


def test_a_missing_average_is_refused_never_a_zero(tmp_path: Path) -> None:
    """Enflame's evalscope page prints 'Average igcut tokens per request': the totals would be 0."""
    f = REAL / "mixed" / "vllm-gcu-enflame-evalscope-table-and-perf-igcut-typo.md"
    r, out = _import(tmp_path, f)
    assert r is not None and not _cells(r) and r.variants[0].accuracy
    assert any(line.startswith(f"{f}:47-84: evalscope-perf: not imported:") and "'Average igcut tokens per request'" in line
               for line in out)


def test_the_accounting_line_counts_what_was_read(tmp_path: Path) -> None:
    _, out = _import(tmp_path, BENCH / "vllm-0.32-cpu-bench-serve-c8.json", args=("--explain",))
    assert f"{BENCH / 'vllm-0.32-cpu-bench-serve-c8.json'}: 1 block found, 1 imported; 26 printed numbers read, 25 used, 1 not used" in out
    # the saved summary was checked against the figures recomputed from the request records
    _, blocks = read_blocks((BENCH / "vllm-0.32-cpu-bench-serve-c8.json").read_text(), "c8.json", RunParams(), FORMATS)
    info = blocks[0].items[0].cell.import_info
    assert info.rests_on["metrics.ttft_ms.p99"] == ["requests", "p99_ttft_ms"]
