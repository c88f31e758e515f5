"""Import time against the number of printed blocks in one paste (target: linear).

    PYTHONPATH=. .venv/bin/python benchmarks/import_scale.py [--blocks 250,1000,4000] [--profile]

Builds one text of N ``vllm bench serve`` result blocks (the real block of the test fixtures,
each with its own concurrency and token totals, so no two are one run), then times, in one
process, what ``reportgen import auto`` does with it: reading the blocks (the parse), merging the
renderings of one run and adding the cells to the results (the merge). Prints CPU seconds per
phase and per block; linear growth shows as a flat time per block.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BLOCK = REPO / "tests" / "fixtures" / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt"


def paste(n: int) -> str:
    """N result blocks; block i ran at concurrency i with i more requests than the fixture's 8."""
    text = BLOCK.read_text(encoding="utf-8")
    start = text.index("Traffic request rate:")
    block = text[start:]
    out = []
    for i in range(1, n + 1):
        b = re.sub(r"(Maximum request concurrency:\s+)8", rf"\g<1>{i}", block)
        b = re.sub(r"(Successful requests:\s+)8", rf"\g<1>{8 + i}", b)
        b = re.sub(r"(Total input tokens:\s+)65536", rf"\g<1>{8192 * (8 + i)}", b)
        b = re.sub(r"(Total generated tokens:\s+)2048", rf"\g<1>{256 * (8 + i)}", b)
        out.append(b)
    return "\n".join(out)


def run(n: int, folder: Path) -> tuple[float, float, int]:
    from reportgen.commands.import_ import _apply, _read_all
    from reportgen.importers.cells import RunParams
    from reportgen.results import Results

    f = folder / f"paste-{n}.txt"
    f.write_text(paste(n), encoding="utf-8")
    t0 = time.process_time()
    read = _read_all((f,), RunParams(input_len=8192, output_len=256), None)
    t1 = time.process_time()
    res = Results()
    _apply(read)(res)
    t2 = time.process_time()
    return t1 - t0, t2 - t1, sum(len(v.serving) for v in res.variants)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", default="250,1000,4000")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest size, top 15 by cumulative time")
    args = ap.parse_args()
    sizes = [int(x) for x in args.blocks.split(",")]
    print(f"{'blocks':>7} {'cells':>6} {'parse s':>8} {'merge s':>8} {'ms/block':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            if args.profile and n == max(sizes):
                prof = cProfile.Profile()
                prof.enable()
            parse_s, merge_s, cells = run(n, Path(tmp))
            print(f"{n:>7} {cells:>6} {parse_s:>8.2f} {merge_s:>8.2f} {(parse_s + merge_s) / n * 1000:>9.2f}", flush=True)
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
