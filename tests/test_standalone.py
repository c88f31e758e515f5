"""The repository stands alone: the tests, scripts, CI and benchmarks read nothing outside the checkout,
and the data they need is inside it, intact and with its licences."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from conftest import DATASETS, FIXTURES

# Built from parts so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "REPORTGEN_" + "SHARED", "/work/" + "shared", "shared/" + "recipes")


def test_nothing_reads_a_sibling_shared_folder(repo: Path) -> None:
    hits = []
    for top in ("tests", "scripts", ".ci", "benchmarks"):
        for f in sorted((repo / top).rglob("*")):
            if not f.is_file() or f.suffix in {".pyc", ".png", ".safetensors"} or FIXTURES in f.parents:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
            hits += [f"{f.relative_to(repo)}: {word}" for word in FORBIDDEN if word in text]
    assert hits == []


def test_datasets_are_complete_and_licensed() -> None:
    sums = (DATASETS / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) > 300
    listed = {}
    for line in sums:  # sha256sum's format: digest, two spaces (or " *"), ./path
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*").removeprefix("./")] = digest
    bad = [name for name, digest in listed.items()
           if not (DATASETS / name).is_file() or hashlib.sha256((DATASETS / name).read_bytes()).hexdigest() != digest]
    assert bad == []
    for name in ("gsm8k/LICENSE", "bbh/LICENSE", "mmlu/LICENSE", "ceval/LICENSE-DATA"):
        assert name in listed and (DATASETS / name).stat().st_size > 500
    readme = (DATASETS / "README.md").read_text(encoding="utf-8")
    assert "openai/grade-school-math @" in readme and "CC BY-NC-SA 4.0" in readme


def test_fixtures_keep_their_sources() -> None:
    sources = (FIXTURES / "smi" / "SOURCES.md").read_text(encoding="utf-8")
    for folder in ("smi", "system"):
        for f in (FIXTURES / folder).iterdir():
            # named in full, as one of a series ("nvidia-smi-q-{h100-sxm-8gpu,…}.txt"), or as "*-this-machine-*"
            if f.name != "SOURCES.md" and "-this-machine" not in f.name:
                assert f.name in sources or "-".join(f.name.split("-")[:3]) + "-" in sources, f.name
    assert (FIXTURES / "vllm-bench" / "README.md").is_file() and (FIXTURES / "card-specs.md").is_file()


def test_samples_and_docs_name_no_path_of_the_machine_they_were_made_on(repo: Path) -> None:
    """Samples, docs and benchmark results read the same on every machine: no absolute path of
    ours (this checkout, a temporary folder, a home folder). The seed's own paths (the evaluated
    server's /home/... in the imported document) are the document's content, not ours."""
    ours = re.compile(r"(?<![\w.<])/(?:tmp|work|root)/(?!vllm\.lock)[\w.-]+")
    files = [*repo.glob("samples/*.json"), *repo.glob("docs/*.md"), repo / "README.md",
             *repo.glob("benchmarks/results/*")]
    found = {str(p.relative_to(repo)): m.group(0) for p in files if p.is_file()
             for m in [ours.search(p.read_text(encoding="utf-8", errors="replace"))] if m}
    assert not found, found
