import copy
import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.errors import ResultsError, ResultsSchemaError
from reportgen.results import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Fact,
    Finding,
    RequestRecord,
    Results,
    ServingCell,
    json_schema,
    load_results,
    results_from_dict,
    save_results,
)


def _results() -> Results:
    r = Results()
    r.environment.facts["cpu.model"] = Fact.of("Intel Xeon", source="lscpu")
    r.environment.facts["server.model"] = Fact.missing("needs_root", "dmidecode: Permission denied")
    v = r.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    v.serving.append(
        ServingCell(
            batch_size=1,
            input_len=8192,
            output_len=256,
            duration_s=1.5,
            requests=[RequestRecord(index=0, start_s=0.0, first_token_s=0.2, end_s=1.5, chunk_times_s=[0.2, 1.5], prompt_tokens=8192, completion_tokens=2)],
        )
    )
    return r


def test_round_trip(tmp_path: Path) -> None:
    r = _results()
    p = save_results(r, tmp_path / "r.json")
    again = load_results(p)
    assert again == r
    assert again.variants[0].serving[0].requests[0].chunk_times_s == [0.2, 1.5]
    assert again.environment.facts["server.model"].reason == "needs_root"


def test_saved_file_validates_against_committed_schema(tmp_path: Path, repo: Path) -> None:
    committed = json.loads((repo / "samples" / "results.schema.json").read_text())
    assert committed == json.loads(json.dumps(json_schema())), "run: reportgen schema > samples/results.schema.json"
    p = save_results(_results(), tmp_path / "r.json")
    jsonschema.validate(json.loads(p.read_text()), committed)


def test_fact_needs_value_or_reason() -> None:
    with pytest.raises(ValueError):
        Fact()
    with pytest.raises(ValueError):
        Fact(value=1, reason="timed_out")


def test_duplicate_variant_labels_rejected(tmp_path: Path) -> None:
    doc = json.loads(Results().model_dump_json())
    doc["variants"] = [{"label": "FP16"}, {"label": "FP16"}]
    p = tmp_path / "dup.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(ResultsSchemaError, match="appears twice"):
        load_results(p)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(schema_version=SCHEMA_VERSION + 1), f"schema_version: {SCHEMA_VERSION + 1} is newer"),
        (lambda d: d.pop("schema_version"), "schema_version: missing"),
        (lambda d: d["variants"][0]["serving"][0].pop("batch_size"), "variants[0].serving[0].batch_size: Field required"),
        (lambda d: d["variants"][0]["serving"][0].update(batch_size="eight"), "variants[0].serving[0].batch_size"),
        (lambda d: d.update(unexpected=1), "unexpected: Extra inputs are not permitted"),
    ],
)
def test_rejections_name_file_and_field(tmp_path: Path, mutate, message: str) -> None:
    doc = json.loads(_results().model_dump_json())
    mutate(doc)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(ResultsSchemaError) as e:
        load_results(p)
    assert str(p) in str(e.value)
    assert message in str(e.value)


def test_malformed_json_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text('{"schema_version": 1,')
    with pytest.raises(ResultsSchemaError, match="not valid JSON"):
        load_results(p)
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "absent.json")


def test_atomic_save_keeps_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    p = save_results(_results(), tmp_path / "r.json")
    before = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    r = _results()
    r.title = "changed"
    with pytest.raises(ResultsError, match="disk full"):
        save_results(r, p)
    assert p.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir()] == ["r.json"], "temporary file left behind"


def test_schema_command_matches_model() -> None:
    out = CliRunner().invoke(cli, ["schema"])
    assert out.exit_code == 0
    assert json.loads(out.output)["title"] == "reportgen results"


def test_save_keeps_mode_of_existing_file_and_umask_default(tmp_path: Path) -> None:
    p = save_results(_results(), tmp_path / "r.json")
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask
    p.chmod(0o640)
    save_results(_results(), p)
    assert p.stat().st_mode & 0o777 == 0o640


def test_v1_findings_move_to_their_cell_key() -> None:
    """v1 named a finding's cell by batch size (and input length) only; v2 by the full key.
    A finding that matches exactly one cell moves to it; an ambiguous one is dropped."""
    cell = {"batch_size": 2, "input_len": 8192, "output_len": 256}
    other = {"batch_size": 4, "input_len": 8192, "output_len": 256}
    other_out = {"batch_size": 4, "input_len": 8192, "output_len": 128}
    doc = {
        "schema_version": 1,
        "variants": [{"label": "FP16", "serving": [cell, other, other_out]}],
        "findings": [
            {"severity": "error", "precision": "FP16", "batch_size": 2, "input_len": 8192, "check": "a", "message": "m"},
            {"severity": "error", "precision": "FP16", "batch_size": 4, "check": "b", "message": "ambiguous"},
            {"severity": "warning", "precision": "FP16", "benchmark": "bbh", "check": "c", "message": "m"},
        ],
    }
    v2 = MIGRATIONS[1](copy.deepcopy(doc))
    assert [(f["check"], f.get("cell")) for f in v2["findings"]] == [
        ("a", {"batch_size": 2, "input_len": 8192, "output_len": 256}),
        ("c", None),
    ]
    # v3 words findings from the message table with their evidence; stored v2 findings are
    # dropped (every command recomputes them)
    r = results_from_dict(doc)
    assert r.schema_version == SCHEMA_VERSION and r.findings == []


def test_v2_findings_are_dropped_and_stored_ones_never_read(tmp_path: Path, repo: Path) -> None:
    """v3: a stored v2 finding (no message row, no evidence) is dropped on load. Dropping is safe
    because no command reads stored findings: validate, summary and render recompute them."""
    from _clean_run import clean_results

    from reportgen.report.markdown import render_markdown
    from reportgen.summary import serving_rows

    doc = json.loads((repo / "samples" / "seed-bi150.json").read_text(encoding="utf-8"))
    doc["schema_version"] = 2  # the sample as main wrote it
    doc["findings"] = [{"severity": "error", "precision": "FP16", "check": "stale", "message": "an old line"}]
    assert results_from_dict(doc).findings == []
    # a v3 file whose stored finding calls a clean cell invalid: every reader ignores it
    r = clean_results()
    r.findings = [Finding(severity="error", precision="FP16", cell=r.variants[0].serving[0].key, check="stale",
                          message="an old line", message_zh="过时的检查结果")]
    p = save_results(r, tmp_path / "r.json")
    again = load_results(p)
    assert [f.check for f in again.findings] == ["stale"]
    assert {row["valid"] for row in serving_rows(again)} == {"VALID"}
    assert "过时的检查结果" not in render_markdown(again)
    out = CliRunner().invoke(cli, ["validate", str(p)])
    assert out.exit_code == 0 and "stale" not in out.stdout


def test_v2_open_loop_cells_lose_their_request_count_as_batch_size() -> None:
    """v2 stored an open-loop cell's request count as its batch size (a concurrency nobody applied);
    v3 stores 0 for a measured one (nothing capped the requests in flight). Imports and closed loops
    keep theirs; a malformed list is left to validation."""
    from reportgen.results import results_from_dict

    def cell(**kw: object) -> dict[str, object]:
        return {"batch_size": 20, "input_len": 512, "output_len": 64, "num_requests": 20, **kw}

    doc = {"schema_version": 2, "variants": [{
        "label": "FP16",
        "serving": [cell(request_rate=2.0), cell(request_rate=4.0, source="imported"), cell()],
        "capacity": [{"by": "rate", "slo": {"ttft_p99_ms": 500.0}, "input_len": 512, "output_len": 64,
                      "probes": [{"value": 2.0, "met": True, "cell": cell(request_rate=2.0)}]}],
    }]}
    r = results_from_dict(doc)
    v = r.variants[0]
    assert [c.batch_size for c in v.serving] == [0, 20, 20]
    assert v.capacity[0].probes[0].cell.batch_size == 0
    with pytest.raises(ResultsSchemaError, match="field variants"):
        results_from_dict({"schema_version": 2, "variants": 3})
