"""evalscope's report tables (pure functions over text).

``Model | Dataset | Metric | Subset | Num | Score`` of 0.5 onwards and ``Model Name | Dataset
Name | Metric Name | Category Name | Subset Name | Num | Score`` of 1.x, with or without the
model column and the category column (``Cat.0``), as ``tabulate`` printed them (grid, psql,
pipe) or box-drawn; and a data collection's ``task_type | metric | dataset_name | average_score |
count`` (one row per dataset and metric: the first metric is the score, the others go with it). A dataset's score is its ``OVERALL`` row, its only row, or -- when neither
is printed -- the sample-weighted mean of its subsets (derived, and said so). Scores printed as
percentages (``72%`` cells, or values above 1) are read as such.
"""

from __future__ import annotations

import re
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, to_float
from reportgen.importers.accuracy_tables import column_labels, decide_scale, group_for, table_rows
from reportgen.importers.finders import table_extent
from reportgen.importers.ledger import Reading
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.results import AccuracyResult

# printed header -> column role
_ROLES = {
    "model": "model", "model name": "model",
    "dataset": "dataset", "dataset name": "dataset",
    "metric": "metric", "metric name": "metric",
    "subset": "subset", "subset name": "subset",
    "cat.0": "category", "category name": "category", "category": "category",
    "num": "num", "score": "score",
    # a data collection's report (evalscope 0.15+): task_type | metric | dataset_name | average_score | count
    "task_type": "task_type", "dataset_name": "dataset", "average_score": "score", "count": "num",
}
_HEADER = re.compile(
    r"Dataset(?: Name)?\s*[|│┃]\s*Metric(?: Name)?\s*[|│┃].*\bNum\s*[|│┃]\s*Score"
    r"|\bmetric\s*[|│┃]\s*dataset_name\s*[|│┃]\s*average_score\s*[|│┃]\s*count\b",
    re.IGNORECASE,
)


def looks_like_evalscope_table(text: str) -> bool:
    return bool(_HEADER.search(text))


def find_evalscope_tables(lines: list[str]) -> list[tuple[int, int]]:
    """Each report table: its header row with the rulers above it and the rows below."""
    out: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if _HEADER.search(line) and not (out and k <= out[-1][1]):
            out.append(table_extent(lines, k))
    return out


def _roles(cells: list[str]) -> list[str] | None:
    roles = [_ROLES.get(c.strip().lower(), "") for c in cells]
    return roles if {"dataset", "metric", "score"} <= set(roles) else None


def parse_evalscope_table(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of every evalscope report table in ``text``."""
    lines = clean_lines(text)
    roles: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for k, cells in table_rows(lines):
        found = _roles(cells)
        if found is not None:
            roles = found
            continue
        if roles is None or len(cells) != len(roles):
            continue
        rows.append((k, {role: c for role, c in zip(roles, cells, strict=True) if role}))
    if not rows:
        raise InputFormatError(f"{source}: no evalscope report table (Dataset | Metric | Subset | Num | Score) found")
    scale = decide_scale([r["score"] for _, r in rows])
    models = list(dict.fromkeys(r.get("model", "") for _, r in rows))
    labels = column_labels([m for m in models if m]) if len(models) > 1 else {}
    groups: dict[str, ImportedAccuracy] = {}
    datasets: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    for k, r in rows:
        datasets.setdefault((r.get("model", ""), r["dataset"]), []).append((k, r))
    for (mname, dataset), items in datasets.items():
        g = group_for(groups, mname or None, precision, model, label=labels.get(mname))
        g.results = [x for x in g.results if x.benchmark != dataset] + [_result(dataset, mname, items, lines, source, scale)]
    return list(groups.values())


def _result(dataset: str, mname: str, items: list[tuple[int, dict[str, str]]], lines: list[str], source: str, scale: Any) -> AccuracyResult:
    rd = Reading(source, "evalscope-table")
    # (metric, category, subset) -> (score, num, score label, num label)
    cells: dict[str, dict[str, tuple[float | None, int | None, str, str | None]]] = {}
    for k, r in items:
        subset = r.get("subset") or "default"
        if r.get("category") and r["category"] != "default" and subset != "OVERALL":
            subset = f"{r['category']}/{subset}"
        base = f"{dataset}/{r['metric']}/{subset}"
        if mname:
            base = f"{mname}/{base}"
        s_label = rd.saw(f"{base}/Score", r["score"], k)
        n_label = rd.saw(f"{base}/Num", r["num"], k) if r.get("num") else None
        num = to_float(r.get("num", ""))
        cells.setdefault(r["metric"], {})[subset] = (scale.fraction(r["score"]), int(num) if num is not None else None, s_label, n_label)
    first_metric = next(iter(cells))
    subsets = cells[first_metric]
    settings: dict[str, Any] = {"metric": first_metric, **scale.settings()}
    if mname:
        settings["model"] = mname
    if items[0][1].get("task_type"):
        settings["task_type"] = items[0][1]["task_type"]
    chosen = "OVERALL" if "OVERALL" in subsets else (next(iter(subsets)) if len(subsets) == 1 else None)
    if chosen is not None:
        score, n, s_label, n_label = subsets[chosen]
        rd.read("score", s_label)
    else:  # evalscope's overall is the sample-weighted mean of its subsets
        total = sum(x[1] or 0 for x in subsets.values())
        score = sum((x[0] or 0) * (x[1] or 0) for x in subsets.values()) / total if total else None
        n, n_label = (total or None), None
        rd.derive("score", *[lab for x in subsets.values() for lab in (x[2], x[3]) if lab])
        settings["score_derived"] = "sample-weighted mean of the subsets (no OVERALL row printed)"
    # Num: every metric's row of the chosen subset prints the same count
    nums = [x[3] for m in cells.values() for name, x in m.items() if name == chosen and x[3]]
    if n is not None and nums:
        rd.read("n", *nums)
    elif n is not None:
        rd.derive("n", *[x[3] for x in subsets.values() if x[3]])
    if len(subsets) > 1:
        settings["subsets"] = {}
        for name, (s, num, s_label, _n_label) in subsets.items():
            if name == "OVERALL":
                continue
            settings["subsets"][name] = {"score": s, "num": num}
            rd.read(f"settings.subsets.{name}.score", s_label)
            same = [x[3] for m in cells.values() for sub, x in m.items() if sub == name and x[3]]
            if same:
                rd.read(f"settings.subsets.{name}.num", *same)
    for m, v in cells.items():
        if m == first_metric:
            continue
        pick = "OVERALL" if "OVERALL" in v else (next(iter(v)) if len(v) == 1 else None)
        if pick is not None:
            settings.setdefault("metrics", {})[m] = v[pick][0]
            rd.read(f"settings.metrics.{m}", v[pick][2])
        for name, x in v.items():
            if name != pick:
                settings.setdefault("metric_subsets", {}).setdefault(m, {})[name] = x[0]
                rd.read(f"settings.metric_subsets.{m}.{name}", x[2])
            if x[3] and name not in subsets:  # a count no row of the first metric printed
                rd.read(f"settings.metric_nums.{m}.{name}", x[3])
                settings.setdefault("metric_nums", {}).setdefault(m, {})[name] = x[1]
    first, last = items[0][0], items[-1][0]
    return AccuracyResult(
        benchmark=dataset, mode="unknown", source="imported", n=n, score=score, settings=settings,
        import_info=rd.info(text="\n".join(lines[first : last + 1])),
    )
