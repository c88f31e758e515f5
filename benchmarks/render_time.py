"""Time rendering every format of a seed-sized document in one process (target: < 3 s).

    .venv/bin/python benchmarks/render_time.py [--seed ../shared/seed/000_e65c4a25610312d1.txt] [--repeat 3]

The document is the seed text itself (40 KB of headings, terminal output and tables: the
size the tool writes) followed by the summary table and the charts of
tests/formats_sample.py. Imports are timed apart; then, per round: charts (SVG + PNG),
Markdown -> HTML -> PDF, Markdown -> DOCX.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=Path, default=REPO.parent / "shared" / "seed" / "000_e65c4a25610312d1.txt")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    import matplotlib  # noqa: F401
    import weasyprint  # noqa: F401

    from reportgen.report.charts import accuracy_chart, chart_assets, serving_charts
    from reportgen.report.docx import markdown_to_docx
    from reportgen.report.html import markdown_to_html
    from reportgen.report.pdf import html_to_pdf

    sys.path.insert(0, str(REPO / "tests"))
    from formats_sample import sample_markdown, sample_results

    t_import = time.perf_counter() - t0

    glyphs: list[str] = []

    class Notdef(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if ".notdef" in record.getMessage():
                glyphs.append(record.getMessage())

    logging.getLogger("weasyprint").addHandler(Notdef())

    seed = args.seed.read_text(encoding="utf-8")
    sample = sample_markdown()
    summary_and_charts = "### 3.4" + sample.split("### 3.4", 1)[1]
    md = "# 算力卡推理评测\n\n" + seed.replace("# 算力卡推理评测--模板", "", 1) + "\n" + summary_and_charts
    results = sample_results()
    print(f"document: {len(md.encode())} bytes of Markdown, {md.count(chr(10))} lines; imports {t_import:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = []
        for _ in range(args.repeat):
            cpu = time.process_time()
            t = time.perf_counter()
            charts = serving_charts(results)
            acc = accuracy_chart(results)
            if acc is not None:
                charts[acc.name] = acc
            assets = chart_assets(charts)
            t_charts = time.perf_counter() - t
            t = time.perf_counter()
            html = markdown_to_html(md, title="算力卡推理评测", assets=assets)
            t_html = time.perf_counter() - t
            t = time.perf_counter()
            html_to_pdf(html, out / "report.pdf")
            t_pdf = time.perf_counter() - t
            t = time.perf_counter()
            markdown_to_docx(md, out / "report.docx", assets=assets, title="算力卡推理评测")
            t_docx = time.perf_counter() - t
            rows.append((t_charts, t_html, t_pdf, t_docx, time.process_time() - cpu))
        pages = weasyprint_pages(out / "report.pdf")
        for i, (c, h, p, d, cpu) in enumerate(rows, 1):
            print(f"round {i}: charts {c:.2f} s  html {h:.2f} s  pdf {p:.2f} s  docx {d:.2f} s"
                  f"  = {c + h + p + d:.2f} s wall, {cpu:.2f} s CPU")
        best = min(sum(r[:4]) for r in rows)
        best_cpu = min(r[4] for r in rows)
        load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
        # CPU time is about what the wall time is on an idle machine (it all runs in this thread)
        print(f"all formats, after import: best {best:.2f} s wall, {best_cpu:.2f} s CPU "
              f"(first round {sum(rows[0][:4]):.2f} s wall); "
              f"PDF {pages} pages; missing glyphs: {len(glyphs)}; load average {load}")


def weasyprint_pages(pdf: Path) -> str:
    import re
    import subprocess

    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    m = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return m.group(1) if m else "?"


if __name__ == "__main__":
    main()
