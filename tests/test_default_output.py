"""One default results file for bench, eval, embed and collect: ./reportgen-results/<host>-<timestamp>.json,
named on stderr, and found by render/validate/summary without a file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from serving_helpers import Stub, make_tokenizer

from reportgen.cli import cli
from reportgen.commands._options import default_results_path, host_of_url
from reportgen.results import load_results

NAME = re.compile(r"reportgen-results/(local|[\w.-]+)-\d{8}T\d{6}Z(-\d+)?\.json")


@pytest.mark.parametrize(("url", "host"), [
    ("http://127.0.0.1:8000", "127.0.0.1"), ("http://10.110.165.160:8000/v1", "10.110.165.160"),
    ("gpu-box:8000", "gpu-box"), (None, None),
])
def test_host_of_url(url: str | None, host: str | None) -> None:
    assert host_of_url(url) == host


def test_default_name_is_per_host_and_never_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a = default_results_path(None)
    assert NAME.fullmatch(a.as_posix()) and a.name.startswith("local-")
    assert default_results_path("localhost").name.startswith("local-")
    assert default_results_path("10.110.165.160").name.startswith("10.110.165.160-")
    assert default_results_path("a b/c").name.startswith("a_b_c-")
    a.parent.mkdir()
    a.write_text("{}", encoding="utf-8")
    b = default_results_path(None)
    assert b != a and not b.exists()  # the same second: a new name, not the other run's file
    assert default_results_path(None, resume=True) == a  # --resume continues the newest of that host


def test_bench_then_summary_validate_render_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = make_tokenizer(tmp_path / "tok")
    stub = Stub(tok)
    monkeypatch.chdir(tmp_path)
    try:
        r = CliRunner().invoke(cli, ["bench", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer", str(tok),
                                     "--batch-sizes", "1", "--input-len", "40", "--output-len", "4", "--rounds", "1",
                                     "--no-telemetry"])
    finally:
        stub.stop()
    assert r.exit_code == 0, r.output
    (path,) = Path("reportgen-results").glob("*.json")
    assert NAME.fullmatch(path.as_posix()) and path.name.startswith("local-"), path
    assert r.stderr.splitlines()[0] == f"results file: {path}"
    assert not Path("results.json").exists()
    assert [c.batch_size for c in load_results(path).variant("default").serving] == [1]

    r = CliRunner().invoke(cli, ["summary", "--format", "csv"])
    assert r.exit_code == 0 and "default" in r.output, r.output
    r = CliRunner().invoke(cli, ["validate"])
    assert str(path) in r.output
    r = CliRunner().invoke(cli, ["render", "--format", "md", "-o", "doc"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "doc" / f"{path.stem}.md").is_file()


def test_eval_default_is_the_same_kind_of_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # no server: the run fails with one line, but the chosen file was named first
    r = CliRunner().invoke(cli, ["eval", "--base-url", "http://127.0.0.1:9", "--model", "m", "--data", str(tmp_path),
                                 "--tasks", "gsm8k", "--limit", "1"])
    line = r.stderr.splitlines()[0]
    assert line.startswith("results file: reportgen-results/local-") and NAME.fullmatch(line.split(": ", 1)[1]), r.output
