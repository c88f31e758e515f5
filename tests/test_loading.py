"""Loading never breaks and a failed command never rewrites: NaN/Infinity, deep nesting and huge
integers are one line at import and at load; a failing command leaves an existing results file
byte-identical; output paths stay inside their folder; each document's charts have their own
names; ``-o`` into a missing folder is one line and creates nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.errors import ResultsError
from reportgen.results import Results, ServingCell, ServingMetrics, Stats, load_results, save_results

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "seed-bi150.json"

SUMMARY = {
    "completed": 8, "duration": 10.0, "total_input_tokens": 800, "total_output_tokens": 80,
    "request_throughput": 0.8, "output_throughput": 8.0, "total_token_throughput": 88.0, "max_concurrency": 8,
    **{f"{s}_{m}_ms": v for m in ("ttft", "tpot", "itl") for s, v in (("mean", 10.0), ("median", 10.0),
                                                                      ("std", 1.0), ("p99", 12.0))},
}


def _cli(*args: str) -> tuple[int, list[str]]:
    r = CliRunner().invoke(cli, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.output.strip().splitlines()


def _import(src: Path, out: Path) -> tuple[int, list[str]]:
    return _cli("import", "vllm-log", str(src), "--input-len", "100", "--output-len", "10", "--precision", "FP16",
                "-o", str(out))


def _every_command_loads(path: Path, tmp_path: Path) -> None:
    for args in (("validate", str(path)), ("summary", str(path)), ("render", str(path), "-o", str(tmp_path / "doc"))):
        code, out = _cli(*args)
        assert code in (0, 1), (args, out)  # 1: validate found problems; never a load error
        assert not any(line.startswith("reportgen: error:") for line in out), (args, out)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_nan_refused_at_import_and_the_results_file_still_loads(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "r.json"
    src = tmp_path / "s.json"
    src.write_text(json.dumps(SUMMARY))
    assert _import(src, out)[0] == 0
    before = out.read_bytes()
    src.write_text(json.dumps(SUMMARY).replace('"mean_ttft_ms": 10.0', f'"mean_ttft_ms": {bad}'))
    code, err = _import(src, out)
    assert code == 2 and err == [f"reportgen: error: {src}: {bad} is not a number JSON allows (NaN/Infinity are refused)"]
    assert out.read_bytes() == before
    _every_command_loads(out, tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 200000, "nested deeper than 100 levels"),
        ('{"schema_version": 2, "notes": [' + "[" * 150 + "]" * 150 + "]}", "nested deeper than 100 levels"),
        ('{"schema_version": ' + "9" * 5000 + "}", "a number is too long (Exceeds the limit (4300 digits) "
                                                    "for integer string conversion: value has 5000 digits)"),
        ('{"schema_version": 2, "notes": [NaN]}', "NaN is not a number JSON allows (NaN/Infinity are refused)"),
    ],
)
def test_hostile_results_files_are_one_line_for_every_command(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    for args in (("validate", str(path)), ("summary", str(path)), ("render", str(path), "-o", str(tmp_path)),
                 ("import", "vllm-log", str(REPO / "samples" / "seed" / "serving" / "a-fp16-bs1.log"), "-o", str(path))):
        code, err = _cli(*args)
        assert code == 2 and len(err) == 1 and err[0] == f"reportgen: error: {path}: {message}", (args, err)
    assert path.read_text() == text


def test_hostile_import_inputs_are_one_line(tmp_path: Path) -> None:
    src = tmp_path / "s.json"
    for text in ("[" * 200000, '{"completed": ' + "1" * 5000 + "}"):
        src.write_text(text)
        code, err = _import(src, tmp_path / "r.json")
        assert code == 2 and len(err) == 1 and err[0].startswith(f"reportgen: error: {src}: "), err
    plan = tmp_path / "p.toml"
    for text in ("a = " + "[" * 5000 + "]" * 5000, "[serving]\ntemperature = nan\n"):
        plan.write_text(text)
        code, err = _cli("collect", "--plan", str(plan), "--only", "serving", "-o", str(tmp_path / "r.json"))
        assert code == 2 and len(err) == 1 and err[0].startswith(f"reportgen: error: {plan}: "), err
    assert not (tmp_path / "r.json").exists()


def test_saving_a_non_finite_number_is_refused_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    res = Results()
    save_results(res, path)
    before = path.read_bytes()
    stats = Stats(n=1, mean=float("nan"))
    cell = ServingCell(batch_size=1, input_len=1, output_len=1, metrics=ServingMetrics(
        completed=1, duration_s=1.0, total_input_tokens=1, total_output_tokens=1, request_throughput=1.0,
        input_throughput=1.0, output_throughput=float("inf"), total_token_throughput=1.0, ttft_ms=stats, tpot_ms=stats))
    res.variant("FP16").serving.append(cell)
    with pytest.raises(ResultsError, match=r"field variants\[0\]\.serving\[0\]\.metrics\.output_throughput: not a finite number"):
        save_results(res, path)
    assert path.read_bytes() == before
    res.notes.append("the string NaN\" is fine")
    res.variants.clear()
    save_results(res, path)
    assert load_results(path).notes == ["the string NaN\" is fine"]


def test_failed_collect_leaves_an_existing_file_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    shutil.copy(SAMPLE, path)
    before = path.read_bytes()
    empty = tmp_path / "empty.json"
    empty.write_text("")
    code, err = _cli("collect", "--plan", str(empty), "--only", "serving", "-o", str(path))
    # a plan without [[variants]] looks for a server on the host (here: 127.0.0.1, none listening)
    assert code == 2 and err[-1].startswith("reportgen: error: no OpenAI-compatible server found: http://127.0.0.1:")
    assert path.read_bytes() == before
    # an unreachable host is recorded in a new file, never into an existing one
    code, err = _cli("collect", "--host", "127.0.0.1", "--ssh-port", "9", "--ssh-user", "x", "--only", "hardware",
                     "-o", str(path))
    assert code == 2 and path.read_bytes() == before


def test_variant_label_cannot_write_outside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "run" / "r.json"
    out.parent.mkdir()
    plan = tmp_path / "p.toml"
    plan.write_text('[server]\nbase_url = "http://127.0.0.1:9"\n[functional_check]\nenabled = false\n'
                    '[[variants]]\nlabel = "../../escaped"\nlaunch_command = "echo started; exit 3"\n')
    code, err = _cli("collect", "--plan", str(plan), "--only", "serving", "-o", str(out))
    assert code == 2 and "exited with status 3" in err[-1]
    logs = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.log"))
    assert logs == [Path("run/r-logs/server-_.._escaped.log")], logs
    assert "started" in (tmp_path / logs[0]).read_text()


def test_two_documents_in_one_folder_keep_their_own_charts(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    shutil.copy(SAMPLE, a)
    res = load_results(SAMPLE)
    for v in res.variants:
        for c in v.serving:
            if c.metrics is not None:
                c.metrics.output_throughput *= 1.5
    save_results(res, b)
    docs = tmp_path / "docs"
    for src in (a, b):
        assert _cli("render", str(src), "-o", str(docs))[0] == 0
    charts = {p.name: p.read_bytes() for p in (docs / "charts").iterdir()}
    for stem in ("a", "b"):
        md = (docs / f"{stem}.md").read_text()
        linked = [line.split("](charts/")[1].rstrip(")") for line in md.splitlines() if "](charts/" in line]
        assert linked and all(name in charts for name in linked)
    la = {ln for ln in (docs / "a.md").read_text().splitlines() if "](charts/serving_tps" in ln}
    lb = {ln for ln in (docs / "b.md").read_text().splitlines() if "](charts/serving_tps" in ln}
    assert la and lb and la != lb  # different data, different files: neither overwrote the other


def test_output_into_a_missing_folder_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent-dir"
    log = REPO / "samples" / "seed" / "serving" / "a-fp16-bs1.log"
    for args, msg in (
        (("render", str(SAMPLE), "-o", str(missing / "x")), f"{missing / 'x'}: cannot create the folder: {missing} does not exist"),
        (("import", "vllm-log", str(log), "-o", str(missing / "x")), f"{missing}: no such folder (create it first, or choose another -o)"),
        (("collect", "--only", "hardware", "-o", str(missing / "x")), f"{missing}: no such folder (create it first, or choose another -o)"),
    ):
        code, err = _cli(*args)
        assert code == 2 and err == [f"reportgen: error: {msg}"], (args, err)
        assert not missing.exists()
