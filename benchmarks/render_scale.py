"""Render time against the number of serving cells (target: linear; thousands of cells usable).

    PYTHONPATH=. .venv/bin/python benchmarks/render_scale.py [--cells 250,1000,4000] [--formats md,html]

Builds results of N imported cells (the real ``vllm bench serve`` block of the test fixtures,
imported once, copied with batch sizes 1..N), then times what ``render`` does for each format
in one process: the findings, the charts, the Markdown, and Markdown -> HTML (or DOCX, PDF).
Prints seconds per format and per cell; linear growth shows as a flat time per cell. Above
``serving_view.DETAIL_LIMIT`` cells the document summarises them (3.4 one row per case, every
cell in appendix E), which keeps its size, and so its render time, linear in the cells.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BLOCK = REPO / "tests" / "fixtures" / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt"


def build(n: int):  # noqa: ANN201 - reportgen.results.Results
    from reportgen.importers.cells import RunParams
    from reportgen.importers.formats import parse_any
    from reportgen.results import Results

    _, items = parse_any(BLOCK.read_text(encoding="utf-8"), BLOCK.name, RunParams(input_len=8192, output_len=256),
                         kind="serving")
    cell = items[0].cell
    res = Results()
    v = res.variant("FP16", model="Qwen2-7B-Instruct", precision="fp16")
    for b in range(1, n + 1):
        v.serving.append(cell.model_copy(deep=True, update={"batch_size": b}))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="250,1000,4000")
    ap.add_argument("--formats", default="md,html")
    args = ap.parse_args()

    from reportgen.report.charts import all_charts, chart_assets
    from reportgen.report.docx import markdown_to_docx
    from reportgen.report.formats import rendering
    from reportgen.report.html import markdown_to_html
    from reportgen.report.markdown import render_markdown
    from reportgen.report.mdparse import parse_markdown
    from reportgen.validity import check_results

    formats = args.formats.split(",")
    print(f"{'cells':>6} {'findings':>9} {'charts':>7} {'markdown':>9} " + " ".join(f"{f:>7}" for f in formats if f != "md")
          + f" {'total':>7} {'ms/cell':>8} {'MB md':>6}")
    for n in (int(x) for x in args.cells.split(",")):
        res = build(n)
        with rendering(), tempfile.TemporaryDirectory() as tmp:
            t0 = time.process_time()
            findings = check_results(res)
            t1 = time.process_time()
            assets = chart_assets(all_charts(res, findings))
            t2 = time.process_time()
            md = render_markdown(res, findings=findings)
            t3 = time.process_time()
            times = []
            parsed = parse_markdown(md) if set(formats) - {"md"} else None
            for f in formats:
                if f == "md":
                    continue
                s = time.process_time()
                if f == "html":
                    markdown_to_html(parsed, title="t", assets=assets)  # type: ignore[arg-type]
                elif f == "docx":
                    markdown_to_docx(parsed, Path(tmp) / "r.docx", assets=assets, title="t")  # type: ignore[arg-type]
                times.append(time.process_time() - s)
            total = time.process_time() - t0
        print(f"{n:>6} {t1 - t0:>9.2f} {t2 - t1:>7.2f} {t3 - t2:>9.2f} " + " ".join(f"{t:>7.2f}" for t in times)
              + f" {total:>7.2f} {1000 * total / n:>8.2f} {len(md.encode()) / 2**20:>6.2f}")


if __name__ == "__main__":
    main()
