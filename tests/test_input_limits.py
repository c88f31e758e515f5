"""Inputs read with a size limit, duplicate keys and numbers outside the results' range: one line
naming the file (and the key's line or the field's path), never a MemoryError, a silently
resolved key or an OverflowError in validate, summary, render or compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.errors import InputFormatError, ResultsError
from reportgen.ranges import MAX_RESULTS_BYTES

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "live-cpu.json"


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def _one_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr.strip()


@pytest.mark.parametrize("args", [("validate",), ("summary",), ("render", "--format", "md", "-o", "{tmp}/out")])
def test_dev_zero_is_one_line(args: tuple[str, ...], tmp_path: Path) -> None:
    t0 = time.perf_counter()
    line = _one_line(_run(*(a.format(tmp=tmp_path) for a in args), "/dev/zero"))
    assert line == "reportgen: error: /dev/zero: holds a NUL byte (at byte 0): not a text file"
    assert time.perf_counter() - t0 < 30  # refused at the first byte, nothing kept


def test_plan_and_import_of_dev_zero_are_one_line(tmp_path: Path) -> None:
    assert "/dev/zero: holds a NUL byte" in _one_line(_run("collect", "--plan", "/dev/zero"))
    assert "/dev/zero: holds a NUL byte" in _one_line(_run("import", "auto", "/dev/zero", "-o", str(tmp_path / "r.json")))
    assert not (tmp_path / "r.json").exists()


def test_a_huge_regular_file_is_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_RESULTS_BYTES + 1)  # sparse: no disk used
    line = _one_line(_run("validate", str(big)))
    assert line == f"reportgen: error: {big}: {MAX_RESULTS_BYTES + 1} bytes, larger than the 1 GiB a results file may have; nothing was read"


def test_an_endless_pipe_is_cut_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    monkeypatch.setattr("reportgen.results.MAX_RESULTS_BYTES", 4 << 20)
    stop = threading.Event()

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                while not stop.is_set():
                    f.write(b"[1, 2, 3, 4, 5, 6, 7, 8]\n" * 4096)
        except BrokenPipeError:
            pass

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        r = CliRunner().invoke(cli, ["validate", str(fifo)])
    finally:
        stop.set()
    assert r.exit_code == 2 and r.output.strip() == f"reportgen: error: {fifo}: larger than the 4 MiB a results file may have; nothing was read"


def test_duplicate_key_names_the_key_and_its_lines(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    text = json.dumps(doc, indent=1)
    v = doc["schema_version"]
    dup = text.replace(f'\n "schema_version": {v},', f'\n "schema_version": 99,\n "schema_version": {v},', 1)
    assert dup != text
    f = tmp_path / "dup.json"
    f.write_text(dup)
    for cmd in (["validate"], ["summary"]):
        line = _one_line(_run(*cmd, str(f)))
        assert line == f'reportgen: error: {f}: duplicate key "schema_version" at line 3 (first at line 2): each key may appear once in an object'


def test_duplicate_key_deep_inside_is_found_with_its_line() -> None:
    from reportgen._io import parse_json

    text = '{"a": [{"x": 1}, {"x": 2}],\n "b": {"y": {"x": 1,\n "z": 2, "x": 3}}}'
    with pytest.raises(InputFormatError, match=r'duplicate key "x" at line 3 \(first at line 2\)'):
        parse_json(text, "t.json")
    assert parse_json('{"a": {"x": 1}, "b": {"x": 1}}', "ok.json") == {"a": {"x": 1}, "b": {"x": 1}}


@pytest.mark.parametrize(("path", "value"), [
    (("variants", 0, "serving", 0, "metrics", "completed"), int("9" * 4000)),
    (("variants", 0, "serving", 0, "requests", 3, "completion_tokens"), 2**60),
    (("variants", 0, "serving", 0, "metrics", "duration_s"), 1e308),
])
def test_numbers_outside_the_model_are_refused_on_load_by_every_reader(path: tuple[object, ...], value: object,
                                                                        tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text())
    node = doc
    for k in path[:-1]:
        node = node[k]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    f = tmp_path / "huge.json"
    f.write_text(json.dumps(doc))
    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")
    for cmd in (["validate"], ["summary"], ["render", "--format", "md", "-o", str(tmp_path / "out")],
                ["compare", str(SAMPLE), "-o", str(tmp_path / "cmp")]):
        line = _one_line(_run(*cmd, str(f)))
        assert f"{f}: field {where}: " in line and "outside the range a results file holds" in line, line


def test_a_number_outside_the_model_is_never_saved(tmp_path: Path) -> None:
    from reportgen.results import ModelVariant, Results, ServingCell, save_results

    res = Results(variants=[ModelVariant(label="x", serving=[ServingCell(batch_size=10**20, input_len=1, output_len=1)])])
    with pytest.raises(ResultsError, match=r"field variants\[0\]\.serving\[0\]\.batch_size: .* nothing was saved"):
        save_results(res, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()
