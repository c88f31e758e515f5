"""A non-editable install (wheel) carries the templates and samples."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.slow
def test_wheel_carries_templates_and_samples(tmp_path: Path, repo: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(repo)],
        check=True,
    )
    (wheel,) = tmp_path.glob("reportgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in repo.joinpath("templates").rglob("*"):
        if f.is_file():
            assert f"reportgen/_data/templates/{f.relative_to(repo / 'templates').as_posix()}" in names
    for f in repo.joinpath("samples").glob("*.json"):
        assert f"reportgen/_data/samples/{f.name}" in names
    assert "collectors/__init__.py" in names
    assert "collectors/consistency/prompts-v1.json" in names  # the consistency check's prompt set

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)], check=True)
    out = subprocess.run(
        [sys.executable, "-c", "from reportgen._resources import templates_dir, samples_dir; print(templates_dir()); print(samples_dir())"],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    tdir, sdir = out.stdout.split()
    prompts = subprocess.run(
        [sys.executable, "-c", "from collectors.consistency.prompt_set import load_prompt_set; print(len(load_prompt_set().prompts))"],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert prompts.stdout.strip() == "200"
    assert tdir == str(site / "reportgen" / "_data" / "templates")
    assert sdir == str(site / "reportgen" / "_data" / "samples")

    # The installed copy renders its own embedded sample (the dependencies come from this venv).
    sample = site / "reportgen" / "_data" / "samples" / "seed-bi150.json"
    render = subprocess.run(
        [sys.executable, "-c", "import sys, reportgen; assert reportgen.__file__.startswith(sys.argv[1]), reportgen.__file__; "
         "from reportgen.cli import main; main(sys.argv[2:])", str(site), "render", str(sample), "--format", "md", "-o", str(tmp_path / "doc")],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert render.returncode == 0, render.stderr
    md = (tmp_path / "doc" / "seed-bi150.md").read_text(encoding="utf-8")
    assert "### 3.4 基于vLLM性能测试数据汇总" in md and "| FP16 · 批大小 1 | 24.70※ |" in md and "## 结论" in md
