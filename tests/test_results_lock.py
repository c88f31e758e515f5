"""One writer per results file: two real processes writing one file at once both keep their
measurements; the second says who holds the file and waits (``reportgen._lock``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving_helpers import Stub, make_tokenizer

from reportgen._lock import ResultsLock, lock_path
from reportgen.results import ModelVariant, Results, ResultsStore, load_results, save_results

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def tokdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tokenizer(tmp_path_factory.mktemp("tok"))


def _bench(stub: Stub, tokdir: Path, out: Path, label: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reportgen", "bench", "--base-url", stub.base_url, "--model", "stub-model",
         "--tokenizer", str(tokdir), "--precision", label, "--batch-sizes", "1,2", "--rounds", "3",
         "--input-len", "16", "--output-len", "8", "--no-telemetry", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO,
    )


def test_two_concurrent_bench_runs_keep_both_runs(tokdir: Path, tmp_path: Path) -> None:
    stub = Stub(tokdir, ttft=0.2)
    try:
        out = tmp_path / "same.json"
        a = _bench(stub, tokdir, out, "RUN-A")
        time.sleep(0.3)
        b = _bench(stub, tokdir, out, "RUN-B")
        (_, err_a), (_, err_b) = a.communicate(timeout=300), b.communicate(timeout=300)
    finally:
        stub.stop()
    assert (a.returncode, b.returncode) == (0, 0), (err_a[-800:], err_b[-800:])
    res = load_results(out)
    assert sorted(v.label for v in res.variants) == ["RUN-A", "RUN-B"]  # nothing overwritten
    for v in res.variants:
        assert [c.batch_size for c in v.serving] == [1, 2] and all(c.metrics and c.metrics.completed for c in v.serving)
    assert len(res.invocations) == 2 and all(i.finished_at for i in res.invocations)
    waited = [e for e in (err_a, err_b) if "another reportgen is writing this file" in e]
    assert len(waited) == 1 and str(out) in waited[0]  # the second writer said so, once


def test_a_second_writer_waits_for_the_holder_then_adds_to_its_save(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom reportgen.results import ResultsStore\n"
         f"s = ResultsStore.open({str(out)!r})\ns.results.variant('FIRST')\ns.save()\n"
         "print('held', flush=True)\ntime.sleep(2)\ns.results.variant('FIRST-LATE')\ns.save()\n"],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    lines: list[str] = []
    t0 = time.monotonic()
    with ResultsStore.open(out, on_wait=lines.append) as store:
        waited = time.monotonic() - t0
        assert [v.label for v in store.results.variants] == ["FIRST", "FIRST-LATE"]  # loaded after the holder's last save
        store.results.variant("SECOND")
        store.save()
    holder.wait(10)
    assert waited > 1.0 and len(lines) == 1 and f"pid {holder.pid}" in lines[0]
    assert [v.label for v in load_results(out).variants] == ["FIRST", "FIRST-LATE", "SECOND"]


def test_lock_is_reentrant_in_one_process_and_released(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    save_results(Results(variants=[ModelVariant(label="X")]), out)
    with ResultsStore.open(out) as outer:
        with ResultsStore.open(out, on_wait=lambda s: pytest.fail(f"waited for itself: {s}")) as inner:
            assert inner.results is not outer.results
        assert lock_path(out).exists() and lock_path(out).name == ".r.json.lock"
    assert not lock_path(out).exists()  # removed when let go: nothing is left beside the results
    lock = ResultsLock(out)
    assert lock.acquire(on_wait=lambda s: pytest.fail(s)) == 0.0  # free again
    lock.release()
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
