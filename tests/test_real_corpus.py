"""Every real output in tests/fixtures/real is read to the values read from it by eye.

Each corpus file has ``<stem>.expected.json`` next to it:

* ``format``: the format of the first block ``reportgen import`` imports;
* ``blocks`` (files of several blocks): each block's format (null: no format claims it) and lines;
* ``not_used``: the labels of the printed numbers no field uses (tests/test_import_accounting.py);
* ``cells`` (serving) / ``scores`` (accuracy): one object per imported item, in order, each a
  map of dotted paths (``metrics.ttft_ms.p99``, ``settings.metric``, ``label``) to the value;
  a key ending in ``~`` means "the text contains" (notes, derived lists);
* ``error``: the import must fail with one line containing this (``format`` null: no format claims
  the file, and the line lists its ``blocks``);
* ``then``: further imports of the same file with ``options`` (what a user would pass);
* ``smi``: an SMI parser (``module:function``) and the report's fields and devices.

A mismatch anywhere fails. Every file and every truncation of it must import or fail with one
line (``InputFormatError``/``ParseError``), never a traceback.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from collectors.hardware.parsers._common import ParseError
from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines
from reportgen.importers.blocks import read_blocks, segment
from reportgen.importers.cells import ImportedCell, RunParams
from reportgen.importers.formats import FORMATS, parse_any

CORPUS = Path(__file__).resolve().parent / "fixtures" / "real"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md" and not p.name.endswith(".expected.json"))


def _expected(path: Path) -> dict[str, Any]:
    exp = path.with_name(path.stem + ".expected.json")
    assert exp.is_file(), f"{path.relative_to(CORPUS)} has no {exp.name}"
    data: dict[str, Any] = json.loads(exp.read_text(encoding="utf-8"))
    return data


def _get(obj: Any, dotted: str) -> Any:
    for part in _split(dotted):
        if isinstance(obj, dict):
            if part not in obj:
                return _Missing(dotted)
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit():
            obj = obj[int(part)]
        else:
            if not hasattr(obj, part):
                return _Missing(dotted)
            obj = getattr(obj, part)
    return obj


def _split(dotted: str) -> list[str]:
    """``metrics.extra.Peak output token throughput (tok/s)``: after ``extra``/``printed``/``percentiles``/
    ``subsets``/``metrics`` of settings the rest may hold dots, so keys are matched greedily by the test data."""
    parts = dotted.split(".")
    out: list[str] = []
    i = 0
    while i < len(parts):
        out.append(parts[i])
        if parts[i] in ("extra", "printed") and i + 1 < len(parts):
            out.append(".".join(parts[i + 1 :]))
            break
        i += 1
    return out


class _Missing:
    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<missing {self.path}>"


def _check(item: Any, expected: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        if key.endswith("~"):
            got = _get(item, key[:-1])
            assert want in (" ".join(map(str, got)) if isinstance(got, list) else str(got)), f"{where}: {key} {got!r} lacks {want!r}"
            continue
        got = _get(item, key)
        if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{where}: {key} = {got!r}, expected {want!r}"
        else:
            assert got == want, f"{where}: {key} = {got!r}, expected {want!r}"


class _Flat:
    """An accuracy result seen with its variant's label."""

    def __init__(self, label: str, result: Any) -> None:
        self.label = label
        self._r = result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._r, name)


def _import(path: Path, expected: dict[str, Any], options: dict[str, Any]) -> None:
    name = str(path.relative_to(CORPUS))
    text = path.read_text(encoding="utf-8")
    if "error" in expected and not options:
        with pytest.raises(InputFormatError) as err:
            parse_any(text, name, RunParams(**options))
        msg = str(err.value)
        # a format refused it (the message names the format), or none claims it: every block listed by its lines
        assert "\n" not in msg and expected["error"] in msg and msg.startswith(f"{expected['format'] or name}:"), msg
        if "blocks" in expected:
            blocks = segment(clean_lines(text), FORMATS)
            assert [[b.fmt.name if b.fmt else None, b.lines] for b in blocks] == expected["blocks"], name
        return
    fmt, items = parse_any(text, name, RunParams(**options))
    assert fmt.name == expected["format"], f"{name}: detected {fmt.name}"
    if "blocks" in expected and not options:  # every block of the file: its format (None: no format claims it) and lines
        _, blocks = read_blocks(text, name, RunParams(), FORMATS)
        assert [[b.fmt.name if b.fmt else None, b.lines] for b in blocks] == expected["blocks"], name
    cells = [i for i in items if isinstance(i, ImportedCell)]
    if "cells" in expected or cells:
        assert len(cells) == len(expected.get("cells", [])), f"{name}: {len(cells)} cells"
        for n, (it, want) in enumerate(zip(cells, expected["cells"], strict=True)):
            # what the CLI does before merging: repeats of one case kept apart
            from reportgen.importers.merge import number_repeats

            number_repeats(cells)
            flat = {"label": it.label, "model": it.model}
            _check(it.cell, {k: v for k, v in want.items() if k not in flat}, f"{name} cell {n}")
            _check(flat, {k: v for k, v in want.items() if k in flat}, f"{name} cell {n}")
    groups = [i for i in items if not isinstance(i, ImportedCell)]
    if "scores" in expected or groups:
        flat_scores = [_Flat(g.label, r) for g in groups for r in g.results]
        assert len(flat_scores) == len(expected.get("scores", [])), f"{name}: {[(s.label, s.benchmark) for s in flat_scores]}"
        assert len(flat_scores) == len(expected["scores"]), f"{name}: {[(s.label, s.benchmark) for s in flat_scores]}"
        for n, (s, want) in enumerate(zip(flat_scores, expected["scores"], strict=True)):
            _check(s, want, f"{name} score {n}")


IMPORTS = [p for p in FILES if p.parent.name not in ("smi", "lspci")]
SMI = [p for p in FILES if p.parent.name in ("smi", "lspci")]


@pytest.mark.parametrize("path", IMPORTS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_import_reads_the_real_output(path: Path) -> None:
    expected = _expected(path)
    _import(path, expected, {})
    for then in expected.get("then", []):
        _import(path, {**then, "format": expected["format"]}, then["options"])


def _smi_parse(path: Path, spec: str) -> Any:
    module, _, fn = spec.partition(":")
    return getattr(importlib.import_module(module), fn)


@pytest.mark.parametrize("path", SMI, ids=lambda p: str(p.relative_to(CORPUS)))
def test_smi_parser_reads_the_real_output(path: Path) -> None:
    expected = _expected(path)["smi"]
    parse = _smi_parse(path, expected["parser"])
    name = str(path.relative_to(CORPUS))
    if "error" in expected:
        with pytest.raises(ParseError, match=expected["error"]):
            parse(path.read_text(encoding="utf-8"))
        return
    report = parse(path.read_text(encoding="utf-8"))
    _check(report, {k: v for k, v in expected.items() if k not in ("parser", "devices", "device_count")}, name)
    devices = report if isinstance(report, list) else report.devices
    if "device_count" in expected:
        assert len(devices) == expected["device_count"], f"{name}: {len(devices)} devices"
    for n, want in enumerate(expected.get("devices", [])):
        _check(devices[n], want, f"{name} device {n}")


def test_corpus_size_and_sources() -> None:
    """At least 120 real outputs, each with one line in SOURCES.md naming its origin; at least 30
    from Chinese sources or Chinese cards."""
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(FILES) >= 120, len(FILES)
    origin: dict[str, str] = {}
    for line in sources.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] != "file" and not cells[0].startswith("---"):
            origin[cells[0]] = cells[4]
    for p in FILES:
        name = str(p.relative_to(CORPUS))
        assert name in origin, f"{name} has no SOURCES.md line"
        assert origin[name] in ("en", "zh", "domestic", "zh, domestic"), f"{name}: origin {origin[name]!r}"
    assert set(origin) == {str(p.relative_to(CORPUS)) for p in FILES}, "a SOURCES.md line names no file"
    assert sum(o != "en" for o in origin.values()) >= 30


def _cuts(text: str) -> list[str]:
    n = len(text)
    points = sorted({*(n * k // 23 for k in range(1, 23)), *(i for i, ch in enumerate(text) if ch == "\n")})
    if len(points) > 60:  # long files: every line end would be slow; evenly spread ones are enough
        step = len(points) // 60 + 1
        points = points[::step]
    return [text[:p] for p in points] + [text.replace("\n", "\r\n"), "\x1b[1m" + text + "\x1b[0m"]


@pytest.mark.parametrize("path", IMPORTS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_no_traceback_on_any_truncation(path: Path) -> None:
    """Cut anywhere (or with CRLF, or colour codes), a file imports or fails with one line."""
    for text in _cuts(path.read_text(encoding="utf-8")):
        try:
            parse_any(text, "cut", RunParams())
        except InputFormatError as e:
            assert "\n" not in str(e)


@pytest.mark.parametrize("path", SMI, ids=lambda p: str(p.relative_to(CORPUS)))
def test_smi_parsers_survive_truncation(path: Path) -> None:
    parse = _smi_parse(path, _expected(path)["smi"]["parser"])
    for text in _cuts(path.read_text(encoding="utf-8")):
        try:
            parse(text)
        except ParseError:
            pass
