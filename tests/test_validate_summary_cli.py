import csv
import io
import json
import os
from pathlib import Path

import pytest
from _clean_run import clean_results
from _seed_figures import seed_results
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.results import EmbeddingRun, ReferenceCheck, ScoredPair, load_results, save_results
from reportgen.summary import SERVING_COLUMNS

SERVING = [
    "precision", "batch_size", "request_rate", "burstiness", "concurrency", "input_len", "output_len", "dataset", "repeat",
    "requests", "failed",
    "input_tokens", "output_tokens", "duration_s", "ttft_mean_ms", "ttft_median_ms", "ttft_p99_ms", "tpot_mean_ms",
    "tpot_median_ms", "tpot_p99_ms", "itl_mean_ms", "e2el_mean_ms", "output_tps", "total_tps", "goodput_rps", "valid",
]  # fmt: skip
ACCURACY = ["precision", "benchmark", "mode", "n", "correct", "micro", "macro"]


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    return save_results(seed_results(), tmp_path / "seed.json")


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    return save_results(clean_results(), tmp_path / "clean.json")


# --------------------------------------------------------------------------- validate


def test_validate_exit_1_and_json_keys(seed_file: Path) -> None:
    code, out, _ = _run("validate", str(seed_file), "--json")
    assert code == 1
    items = json.loads(out)
    assert len(items) == 50  # 39 errors and warnings, 11 notes (P99s of a few requests, scores without n)
    assert all(list(i) == ["severity", "precision", "cell", "benchmark", "check", "message", "args", "remedy"] for i in items)
    assert items[0]["args"]["count"] == 8192 and items[0]["args"]["duration"] == "24.37"
    assert items[0]["remedy"] == "re-run and keep the raw output; compute throughputs from the token counts and the duration"
    assert {k: v for k, v in items[0].items() if k not in ("args", "remedy")} == {
        "severity": "error",
        "precision": "FP16",
        "cell": {"batch_size": 1, "input_len": 8192, "output_len": 256, "request_rate": None, "burstiness": None, "dataset": "random",
                 "repeat": 0},
        "benchmark": None,
        "check": "throughput_consistency",
        "message": "input token throughput printed 790.90 tok/s but 8192 / 24.37 s = 336.15 tok/s "
        "(the printed figure implies a duration of 10.36 s)",
    }
    assert {i["severity"] for i in items} == {"error", "warning", "note"}
    assert any(i["cell"] is None and i["benchmark"] == "bbh" and i["check"] == "bbh_bracket_bug" for i in items)


def test_validate_table(seed_file: Path) -> None:
    code, out, _ = _run("validate", str(seed_file))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["severity", "precision", "cell", "check", "message"]
    assert lines[2].split()[:4] == ["error", "FP16", "bs1:8192/256", "throughput_consistency"]
    assert any(line.split()[:5] == ["warning", "FP16", "-", "bbh_bracket_bug", "bbh"] for line in lines)
    assert lines[-1].endswith("25 error(s), 14 warning(s), 11 note(s) over 8 serving cell(s) and 12 accuracy result(s)")
    todo = out.split("what to do:\n", 1)[1].splitlines()[:-1]  # once per rule found, before the count
    assert todo[0] == "  throughput_consistency: re-run and keep the raw output; compute throughputs from the token counts and the duration"
    assert len(todo) == len({line.split(":")[0] for line in todo}) == 13


def test_validate_clean_exit_0(clean_file: Path) -> None:
    code, out, _ = _run("validate", str(clean_file), "--json")
    # only notes: every P99 of the clean run rests on fewer than 100 requests
    assert code == 0 and {(i["severity"], i["check"]) for i in json.loads(out)} == {("note", "percentile_samples")}
    code, out, _ = _run("validate", str(clean_file))
    assert code == 0 and "0 error(s), 0 warning(s), 6 note(s) over 6 serving cell(s) and 3 accuracy result(s)" in out


def test_validate_warnings_only_exit_0(tmp_path: Path) -> None:
    r = clean_results()
    r.variants[0].serving[2].server_metrics.prefix_cache_hits = 10.0  # type: ignore[union-attr]
    p = save_results(r, tmp_path / "w.json")
    code, out, _ = _run("validate", str(p), "--json")
    assert code == 0
    found = [(i["severity"], i["cell"]["batch_size"], i["check"]) for i in json.loads(out) if i["severity"] != "note"]
    assert found == [("warning", 4, "prefix_cache")]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema_version": 99}', "schema_version"),
        ('{"schema_version": 1, "variants": [{"serving": []}]}', "variants[0].label"),
    ],
)
def test_validate_unusable_input_exit_2(tmp_path: Path, content: str, fragment: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(content)
    code, out, err = _run("validate", str(p))
    assert code == 2
    assert out == ""
    assert err.startswith("reportgen: error: ") and fragment in err and len(err.strip().splitlines()) == 1
    assert p.read_text() == content  # never touched


def test_validate_missing_file_exit_2(tmp_path: Path) -> None:
    code, _, err = _run("validate", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file" in err


def test_validate_write_stores_findings(seed_file: Path) -> None:
    code, out, _ = _run("validate", str(seed_file), "--write", "--json")
    assert code == 1
    stored = load_results(seed_file).findings
    assert [(f.severity, f.precision, f.batch_size, f.check, f.message) for f in stored] == [
        (i["severity"], i["precision"], i["cell"] and i["cell"]["batch_size"], i["check"], i["message"])
        for i in json.loads(out)
    ]
    assert [p.name for p in seed_file.parent.iterdir()] == ["seed.json"]  # no temporary file left


def test_validate_without_file_takes_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run("validate")
    assert code == 2 and "reportgen-results" in err
    d = tmp_path / "reportgen-results"
    d.mkdir()
    old = save_results(seed_results(), d / "old.json")
    new = save_results(clean_results(), d / "new.json")
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    code, out, _ = _run("validate")
    assert code == 0 and "reportgen-results/new.json: 0 error(s)" in out
    os.utime(old, (3_000_000, 3_000_000))
    assert _run("validate")[0] == 1


# --------------------------------------------------------------------------- summary


def test_summary_columns_exact() -> None:
    assert list(SERVING_COLUMNS) == SERVING


def test_summary_json(seed_file: Path) -> None:
    code, out, _ = _run("summary", str(seed_file), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 8
    assert all(list(r) == SERVING for r in rows)
    first = rows[0]
    assert first["precision"] == "FP16" and first["batch_size"] == 1 and first["requests"] == 1 and first["failed"] == 0
    assert first["duration_s"] == 24.37 and first["ttft_mean_ms"] == 2243.94 and first["output_tps"] == 24.7
    assert first["itl_mean_ms"] is None and first["e2el_mean_ms"] is None
    assert first["total_tps"] == pytest.approx((8192 + 256) / 24.37)  # full float
    assert [r["valid"] for r in rows] == ["INVALID"] * 8
    assert [(r["precision"], r["batch_size"], r["output_tokens"]) for r in rows][4:] == [
        ("INT4", 1, 16), ("INT4", 2, 32), ("INT4", 4, 544), ("INT4", 8, 1568),
    ]  # fmt: skip


def test_summary_csv(seed_file: Path) -> None:
    code, out, _ = _run("summary", str(seed_file), "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == SERVING
    assert len(rows) == 9
    first = dict(zip(SERVING, rows[1]))
    assert first["duration_s"] == "24.37" and first["ttft_p99_ms"] == "2243.94" and first["total_tps"] == "346.66"
    assert first["itl_mean_ms"] == "" and first["e2el_mean_ms"] == "" and first["valid"] == "INVALID"
    assert dict(zip(SERVING, rows[6]))["duration_s"] == "0.722"


def test_summary_table(seed_file: Path, clean_file: Path) -> None:
    code, out, _ = _run("summary", str(seed_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == SERVING
    assert len(lines) == 2 + 8
    cells = lines[2].split()
    assert len(cells) == len(SERVING)
    row = dict(zip(SERVING, cells))
    assert row["itl_mean_ms"] == "-" and row["e2el_mean_ms"] == "-" and row["output_tps"] == "24.70"
    code, out, _ = _run("summary", str(clean_file))
    row = dict(zip(SERVING, out.splitlines()[2].split()))
    assert row == {
        "precision": "FP16", "batch_size": "1", "request_rate": "-", "burstiness": "-", "concurrency": "1.00", "input_len": "8192", "output_len": "256",
        "dataset": "random", "repeat": "0", "goodput_rps": "-", "requests": "8",
        "failed": "0", "input_tokens": "65536", "output_tokens": "2048", "duration_s": "44.807",
        "ttft_mean_ms": "500.00", "ttft_median_ms": "500.00", "ttft_p99_ms": "500.00", "tpot_mean_ms": "20.00",
        "tpot_median_ms": "20.00", "tpot_p99_ms": "20.00", "itl_mean_ms": "20.00", "e2el_mean_ms": "5600.00",
        "output_tps": "45.71", "total_tps": "1508.34", "valid": "VALID",
    }  # fmt: skip


def test_summary_marks_warning_cells(tmp_path: Path) -> None:
    r = clean_results()
    r.variants[0].serving[2].server_metrics.prefix_cache_hits = 10.0  # type: ignore[union-attr]
    p = save_results(r, tmp_path / "w.json")
    rows = json.loads(_run("summary", str(p), "--format", "json")[1])
    assert [(x["precision"], x["batch_size"], x["valid"]) for x in rows] == [
        ("FP16", 1, "VALID"), ("FP16", 2, "VALID"), ("FP16", 4, "WARNING"),
        ("GPTQ-Int4", 1, "VALID"), ("GPTQ-Int4", 2, "VALID"), ("GPTQ-Int4", 4, "VALID"),
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_summary_accuracy(seed_file: Path, fmt: str) -> None:
    code, out, _ = _run("summary", str(seed_file), "--accuracy", "--format", fmt)
    assert code == 0
    if fmt == "json":
        rows = json.loads(out)
        assert all(list(r) == ACCURACY for r in rows)
        assert rows[3] == {"precision": "FP16", "benchmark": "bbh", "mode": "unknown", "n": None, "correct": None, "micro": 0.2439, "macro": None}
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == ACCURACY and rows[4] == ["FP16", "bbh", "unknown", "", "", "0.2439", ""]
    else:
        lines = out.splitlines()
        assert lines[0].split() == ACCURACY and lines[2 + 3].split() == ["FP16", "bbh", "unknown", "-", "-", "0.2439", "-"]
    assert len(out.strip().splitlines()) >= 13


def test_summary_embedding_json(tmp_path: Path) -> None:
    r = clean_results()
    r.embeddings.append(
        EmbeddingRun(
            model="bge-large-zh-v1.5",
            kind="embedding",
            mode="FlagEmbedding",
            device="cuda:0",
            pairs=[ScoredPair(a="样例数据-1", b="样例数据-3", score=0.855), ScoredPair(a="样例数据-1", b="样例数据-4", score=0.852)],
            reference_check=ReferenceCheck(status="pass", metric="max |diff|", value=0.001, threshold=0.01),
        )
    )
    r.embeddings.append(EmbeddingRun(model="bge-reranker-v2-m3", kind="reranker", mode="http", pairs=[ScoredPair(a="q", b="p", score=-3.2)]))
    p = save_results(r, tmp_path / "e.json")
    code, out, _ = _run("summary", str(p), "--embedding", "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "model": "bge-large-zh-v1.5",
            "kind": "embedding",
            "mode": "FlagEmbedding",
            "device": "cuda:0",
            "pairs": [{"a": "样例数据-1", "b": "样例数据-3", "score": 0.855}, {"a": "样例数据-1", "b": "样例数据-4", "score": 0.852}],
            "reference_check": "pass",
        },
        {"model": "bge-reranker-v2-m3", "kind": "reranker", "mode": "http", "device": None, "pairs": [{"a": "q", "b": "p", "score": -3.2}], "reference_check": "none"},
    ]
    code, out, _ = _run("summary", str(p), "--embedding")
    assert code == 0 and "样例数据-3" in out and "0.8550" in out


def test_summary_empty_results(tmp_path: Path) -> None:
    from reportgen.results import Results

    p = save_results(Results(), tmp_path / "empty.json")
    code, out, _ = _run("summary", str(p), "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = _run("summary", str(p), "--format", "csv")
    assert code == 0 and out.strip() == ",".join(SERVING)


def test_summary_bad_input_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("[]")
    code, _, err = _run("summary", str(p))
    assert code == 2 and err.startswith("reportgen: error: ")
