"""The results schema is versioned: a released schema never changes, the model may differ from the last
released schema only under a new schema_version, and every older version has a migration.
One version source: the package version is reportgen.__version__."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import reportgen
from reportgen.results import MIGRATIONS, SCHEMA_VERSION, json_schema, load_results

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "samples" / "schemas"
# A released schema is frozen: its bytes are pinned here when it is released, and never change.
RELEASED_SHA256 = {
    1: "64bf47def1362363508cc41c0d77addc79765562fffb0ba6b23740c1d4d13191",
    2: "928fc0349051f3b9f15d8e87d6eea909c73b41a78d4defaaf66011de7ec504a1",
}


def released() -> dict[int, Path]:
    out = {}
    for p in SCHEMAS.glob("results-v*.schema.json"):
        m = re.fullmatch(r"results-v(\d+)\.schema\.json", p.name)
        assert m, f"{p.name}: released schemas are named results-vN.schema.json"
        out[int(m.group(1))] = p
    return out


def load(p: Path) -> dict[str, Any]:
    return json.loads(p.read_text(encoding="utf-8"))


def test_released_schemas_are_frozen() -> None:
    rel = released()
    assert set(rel) == set(RELEASED_SHA256), "pin a newly released schema's sha256 in RELEASED_SHA256"
    for version, p in rel.items():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == RELEASED_SHA256[version], f"{p.name} was changed"
        assert load(p)["$id"].endswith(f"/results-v{version}.schema.json")


def test_generated_schema_matches_the_released_one_of_its_version() -> None:
    rel = released()
    generated = json.loads(json.dumps(json_schema()))
    if SCHEMA_VERSION in rel:
        assert generated == load(rel[SCHEMA_VERSION]), (
            f"the results model changed after schema v{SCHEMA_VERSION} was released: bump SCHEMA_VERSION "
            "and add a migration to MIGRATIONS")
    else:  # the next version, being built: newer than every release, and really different
        last = max(rel)
        assert SCHEMA_VERSION == last + 1, f"schema v{SCHEMA_VERSION} follows v{last}: one version per release"
        assert generated != load(rel[last]), f"nothing changed since v{last}: keep SCHEMA_VERSION = {last}"


def test_every_older_version_has_a_migration() -> None:
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION))


@pytest.mark.parametrize("version", sorted(released()))
def test_a_file_of_each_released_version_loads(version: int, tmp_path: Path) -> None:
    finding: dict[str, Any] = {"severity": "warning", "check": "sample_count", "message": "m", "precision": "FP16"}
    if version == 1:
        finding["batch_size"] = 1
    else:  # v2 names a finding's cell by its key
        finding["cell"] = {"batch_size": 1, "input_len": 8192, "output_len": 256}
    doc = {"schema_version": version, "findings": [finding]}
    jsonschema.validate(doc, load(released()[version]))  # a valid file of that release
    p = tmp_path / "old.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    res = load_results(p)
    assert res.schema_version == SCHEMA_VERSION


def test_one_version_source() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "reportgen/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", reportgen.__version__)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{reportgen.__version__}] - " in changelog  # every version has its changelog section
