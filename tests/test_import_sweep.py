"""``vllm bench sweep serve`` output folders: each run a cell, the summaries listed, the
combination's parameters from the folder name (a real sweep made on this machine's vLLM)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.importers.blocks import read_blocks
from reportgen.importers.cells import RunParams
from reportgen.importers.formats import FORMATS
from reportgen.importers.sweep import SweepRun, apply_sweep, combination, sweep_runs
from reportgen.results import load_results

SWEEP = Path(__file__).resolve().parent / "fixtures" / "vllm-bench" / "sweep-0.32-cpu" / "20261204_223518"


def test_a_sweep_folder_is_one_cell_per_run(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["import", "auto", str(SWEEP), "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[:2] == [f"{SWEEP / f'BENCH--max_concurrency={n}' / 'summary.json'}: the sweep's summary of the runs beside it: "
                         "the runs are read instead" for n in (1, 2)]
    r = load_results(out)
    cells = r.variant("FP16").serving
    assert [(c.batch_size, c.metrics.completed, c.input_len, c.output_len) for c in cells] == [(1, 4, 256, 32), (2, 4, 256, 32)]
    assert all(c.import_info.format == "vllm-json" and c.import_info.file.endswith("run=0.json") for c in cells)
    assert any("压测参数 max_concurrency=1" in n for n in cells[0].notes)
    assert "run_number" not in cells[0].metrics.extra  # the sweep's bookkeeping is no figure
    assert cells[0].metrics.extra["max_output_tokens_per_s"] == 128.0


def test_the_folder_name_gives_the_combination() -> None:
    assert combination("BENCH--max_concurrency=1") == ({}, {"max_concurrency": "1"})
    # the naming of vllm/benchmarks/sweep/serve.py: "-".join(("SERVE-", name, "BENCH-", name)), name = "k=v-k=v"
    assert combination("SERVE--max_num_seqs=32-max_num_batched_tokens=1024-BENCH--max_concurrency=8") == (
        {"max_num_seqs": "32", "max_num_batched_tokens": "1024"}, {"max_concurrency": "8"})
    runs, skipped = sweep_runs(SWEEP)
    assert [(r.path.parent.name, r.run_number) for r in runs] == [("BENCH--max_concurrency=1", 0), ("BENCH--max_concurrency=2", 0)]
    assert len(skipped) == 2


def test_server_parameters_make_their_own_variant() -> None:
    """Two server configurations with the same load are two deployments, never two repeats."""
    path = SWEEP / "BENCH--max_concurrency=1" / "run=0.json"
    _, blocks = read_blocks(path.read_text(encoding="utf-8"), str(path), RunParams(), FORMATS)
    item = blocks[0].items[0]
    apply_sweep(item, SweepRun(path, 0, {"max_num_seqs": "32"}, {"max_concurrency": "1"}))
    assert item.precision.label == "FP16 (max_num_seqs=32)"
    assert any("服务参数 max_num_seqs=32" in n for n in item.cell.notes)


def test_a_folder_without_runs_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(cli, ["import", "auto", str(tmp_path / "empty"), "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 2
    assert res.output.strip() == f"reportgen: error: {tmp_path / 'empty'}: a folder without 'vllm bench sweep' results (no run=N.json under it)"
    assert not (tmp_path / "r.json").exists()
