"""Time rendering every format of the sample in one process, after import (target: < 3 s).

    .venv/bin/python benchmarks/render_time.py [samples/seed-bi150.json] [--repeat 3] [--hostile]

Per round: the Markdown (render_markdown), the charts (SVG + PNG), the parse, the 结论 page
check (``pagination``: the 结论 laid out alone), Markdown -> HTML, HTML -> PDF (WeasyPrint) and
Markdown -> DOCX, i.e. what ``render --format all`` does, minus writing the small files and
minus the DOCX 目录's LibreOffice pass (an external process, seconds; ``--docx-toc`` times it once). Wall time depends on what else the machine runs; CPU
time (all of it is this one thread) is about the wall time of an idle machine.

``--hostile`` renders, in the same run, the sample with what issue 20 measured: a
3-million-character functional-check answer on one line, a 1 MB single-line fact and control
characters in the SMI strings, and prints the ratio of its CPU time to the plain sample's (the
document shows the start of each long value, ``reportgen.report.safe_text``; before that cut the
3-million-character answer alone made the PDF take more than 4 minutes).
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _pages(pdf: Path) -> str:
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    m = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return m.group(1) if m else "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", type=Path, default=REPO / "samples" / "seed-bi150.json")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--docx-toc", action="store_true", help="also time the LibreOffice pass of the DOCX 目录, once")
    ap.add_argument("--hostile", action="store_true", help="also the sample with issue 20's long and hostile text")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import matplotlib  # noqa: F401
    import weasyprint  # noqa: F401

    from reportgen.report.charts import all_charts, chart_assets
    from reportgen.report.docx import markdown_to_docx
    from reportgen.report.formats import rendering
    from reportgen.report.html import markdown_to_html
    from reportgen.report.markdown import render_markdown
    from reportgen.report.mdparse import parse_markdown
    from reportgen.report.pagination import paginate
    from reportgen.report.pdf import html_to_pdf
    from reportgen.results import load_results
    from reportgen.validity import check_results

    print(f"imports: {time.perf_counter() - t0:.2f} s")
    notdef: list[str] = []

    class Notdef(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if ".notdef" in record.getMessage():
                notdef.append(record.getMessage())

    logging.getLogger("weasyprint").addHandler(Notdef())
    results = load_results(args.results)
    cases = [("plain", results)]
    if args.hostile:
        from reportgen.results import Fact, FunctionalCheck

        bad = load_results(args.results)
        label = bad.variants[0].label if bad.variants else "FP16"
        bad.variant(label).functional_check = FunctionalCheck(response_text="这是一个很长的回答。" * 300_000,
                                                              finish_reason="length", completion_tokens=256)
        bad.environment.facts["os.name"] = Fact.of("U" * 1_000_000)
        bad.environment.facts["accelerator.model"] = Fact.of("BI\x00-V150\x1b[31m\ud800\u202e")
        cases.append(("hostile", bad))

    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for case, results in cases:
            rounds = []
            for _ in range(args.repeat):
                steps: dict[str, float] = {}
                cpu = time.process_time()

                def step(name: str, fn, *a, steps: dict = steps, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
                    t = time.perf_counter()
                    value = fn(*a, **kw)
                    steps[name] = time.perf_counter() - t
                    return value

                # as `reportgen render` does (reportgen.report.formats): the findings once, for the text and
                # the charts; inside `rendering()` (fewer garbage collections) like the render command
                with rendering():
                    findings = step("findings", check_results, results)
                    md = step("md", render_markdown, results, source=str(args.results), findings=findings)
                    assets = step("charts", lambda f=findings, r=results: chart_assets(all_charts(r, f)))
                    parsed = step("parse", parse_markdown, md)  # once for the HTML (PDF) and the DOCX, as write_all
                    step("paginate", paginate, parsed)
                    html = step("html", markdown_to_html, parsed, title=results.title, assets=assets)
                    step("pdf", html_to_pdf, html, out / "report.pdf")
                    step("docx", markdown_to_docx, parsed, out / "report.docx", assets=assets, title=results.title,
                         toc_pages=False)
                rounds.append((steps, time.process_time() - cpu))
            for i, (steps, cpu) in enumerate(rounds, 1):
                parts = "  ".join(f"{k} {v:.2f}" for k, v in steps.items())
                print(f"{case} round {i}: {parts}  = {sum(steps.values()):.2f} s wall, {cpu:.2f} s CPU")
            load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
            print(
                f"{case}: all formats of {args.results.name} ({len(md.encode())} bytes of Markdown, "
                f"{_pages(out / 'report.pdf')} PDF pages, {len(assets) // 2} charts): "
                f"best {min(sum(s.values()) for s, _ in rounds):.2f} s wall, {min(c for _, c in rounds):.2f} s CPU; "
                f"missing glyphs: {len(notdef)}; load average {load}"
            )
            best[case] = min(c for _, c in rounds)
            if args.docx_toc:
                from reportgen.report.docx import toc_entries
                from reportgen.report.docx_toc import toc_pages

                t = time.perf_counter()
                pages = toc_pages(out / "report.docx", [text for _, text in toc_entries(parsed.body)])
                print(f"DOCX 目录 through LibreOffice: {time.perf_counter() - t:.2f} s wall "
                      f"({'no LibreOffice' if pages is None else f'{len(pages)} headings found'})")
    if args.hostile:
        print(f"hostile / plain CPU: {best['hostile'] / best['plain']:.2f}")


if __name__ == "__main__":
    main()
