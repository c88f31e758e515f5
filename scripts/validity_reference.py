"""Write docs/validity.md from the rule registry (a test keeps it in sync).

Usage: python scripts/validity_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportgen.validity import FAMILIES, RULES
from reportgen.validity.registry import ORIGINS, Rule, title_zh

OUT = Path(__file__).resolve().parent.parent / "docs" / "validity.md"

HEAD = """\
# Validity rules (`reportgen validate`, `reportgen summary`)

Generated from the rule registry (`reportgen/validity/`) by `scripts/validity_reference.py`; do not edit by hand.

```sh
reportgen validate samples/seed-bi150.json          # table, then what to do per rule; exit 0 clean, 1 errors, 2 unusable input
reportgen validate results.json --json              # [{"severity","precision","cell","benchmark","check","message","args","remedy"}, ...]
reportgen summary results.json --format csv         # one row per serving cell, with valid = VALID|WARNING|INVALID
reportgen summary results.json --accuracy           # or --embedding --format json; --write on validate stores findings
```

Without a file both take the newest `./reportgen-results/*.json`. A cell is INVALID when an `error` concerns it,
WARNING when warnings do and no error. A `note` marks a figure that is right but means less than it seems (a P99 over
40 requests, a score without its sample count): the figure carries ※ and the note says why; the cell's status does
not change and `validate` exits 0. Every reader takes a cell's status from the same findings: `collect`'s and `bench`'s
final table, `validate`, `summary`, the document's 3.4 table, its charts and its 结论 (`reportgen.validity.cell_status`).
Embedding/reranker findings carry the run's precision (or null) and no cell; the document lists them in their own
group of section 7 ("向量与重排序模型"). Imported figures are compared allowing for the rounding of the text they were
printed as (`24.37` means 24.365–24.375); measured ones are recomputed from the raw records.

A finding names its rule by `check` (the rule's reason code below), words itself in English (`message`: `validate`,
`--json`) and Chinese (`message_zh`: the document) from one row of the message table
(`reportgen/validity/message_table.py`) and keeps that row (`message_row`) and its arguments (`args`): the evidence
values the rule used. Findings are recomputed whenever a file is checked or rendered.

The verdicts of the 结论 and 3.4 (`reportgen/verdicts/`: 可用 / 存疑 / 不可用 / 无法判定, each with its reasons) never
say 可用 or 通过 on evidence a rule failed: a cell with a warning is 存疑, with an error 不可用; a variant whose
functional check failed (`functional_failed`) or whose label names another deployment (`same_deployment`,
`quantization_label`) is at best 存疑; two variants that are one deployment get no speedup and no accuracy difference;
a score that `accuracy_unparsed`, `accuracy_chance`, `accuracy_consistency` or `accuracy_same_questions` puts in doubt
is 无法判定, one a warning doubts is 存疑; the operating point is the largest usable cell meeting every latency limit in
force (the cell's SLO and the plan's capacity SLO), and when none does the 结论 says so with the best value reached;
power and energy are not printed for a cell with a telemetry finding (「功耗数据不完整」 and the reason). A value
computed from a doubtful one carries its mark in every table (every throughput from a doubtful duration, the prefill
rate from a doubtful TTFT).
"""

DESIGN = """\
## Design

- A rule is a function registered with `@rule(...)` (`reportgen/validity/registry.py`), declaring everything listed
  above; the family modules (`serving_cell`, `serving_stats`, `serving_bounds`, `serving_load`, `serving_matrix`,
  `open_loop`, `telemetry`, `accuracy`, `embedding`) hold the rules, `reportgen/validity/__init__.py` registers them
  (`RULE_MODULES`: their order is the order of findings within one cell) and `runner.py` runs them
  (`check_results`, `check_cell` for one cell, `cell_findings`, `cell_status`).
- A message is `say(row, **evidence)`: nested rows, `Term`s (a word in two languages) and `Items` (joined lists) are
  arguments too; `messages.render(row, args, lang)` words a stored finding again from its evidence.
- The verdicts built on the findings are in `reportgen/verdicts/` (states 可用 / 存疑 / 不可用 / 无法判定 with their
  reasons: cells, performance and operating point, accuracy, functional and embedding checks, causes and remedies,
  the 结论); `reportgen/report/` only words and lays them out.
- Published scores: one table, `reportgen/reference_scores.py`, for `accuracy_reference_gap` and section 4.
  The legacy `latency per token` line is not checked; `reportgen/summary.py` builds the rows for the CLI and the document.
"""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row(r: Rule) -> str:
    source = f"{r.source.origin}: {r.source.why}" if r.source.origin != "ours" else f"our own reasoning: {r.source.why}"
    return "| " + " | ".join(_cell(x) for x in (
        f"`{r.code}`", r.scope, r.severity, r.description, source, f"{r.remedy.en} / {r.remedy.zh}", title_zh(r.code),
    )) + " |"


def reference() -> str:
    parts = [HEAD]
    counts = {f: sum(1 for r in RULES if r.family == f) for f in FAMILIES}
    parts.append("## Rules by family\n")
    parts.append(f"{len(RULES)} rules. Sources: " + "; ".join(f"{k} = {v}" for k, v in ORIGINS.items() if k != "ours") + ".\n")
    for family, (name, zh) in FAMILIES.items():
        rules = [r for r in RULES if r.family == family]
        parts.append(f"### {name} ({zh})\n")
        if not rules:
            parts.append("No rule yet.\n")
            continue
        parts.append(f"{counts[family]} rule(s).\n")
        parts.append("| code | scope | severity | what it checks (threshold) | source of the threshold | remedy | 检查项 |\n"
                     "|---|---|---|---|---|---|---|\n" + "\n".join(_row(r) for r in rules) + "\n")
    parts.append(DESIGN)
    return "\n".join(parts)


def main() -> int:
    text = reference()
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python scripts/validity_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
