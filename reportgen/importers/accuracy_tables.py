"""Accuracy results of other evaluation tools (pure functions over text).

* evalscope report tables of 0.5 onwards: ``Model | Dataset | Metric | Subset | Num | Score``
  (with or without the Model column and the ``Cat.0`` column), as ``tabulate`` printed them
  (grid, psql, pipe) or box-drawn;
* lm-evaluation-harness: the results JSON (``"acc,none"`` of 0.4, ``"acc"`` of 0.3; a file cut
  short keeps its ``results`` object) and the markdown table it prints;
* OpenCompass: the summary CSV ``dataset,version,metric,mode,<model>...`` (also as pasted,
  indented or with markdown bold) and the same table as text.

Scores are kept as fractions (0-1): lm-eval 0.3 tables and OpenCompass print percentages,
divided by 100 and said so in ``settings["printed_scale"]``. A benchmark's score is its overall
row (evalscope ``OVERALL``, the lm-eval group row); subsets and further metrics stay in
``settings``. Nothing is renamed: ``ceval-valid`` stays ``ceval-valid``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, split_value, to_float
from reportgen.importers.labels import model_name_from_path, precision_from_label, precision_from_path
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.results import AccuracyResult, ImportInfo

_SEP = re.compile(r"[│|┃]")
_RULE = re.compile(r"^[\s+\-=|│┃─━┼┤├┬┴╋┣┫┏┓┗┛╭╮╰╯╇╈┡┩┌┐└┘:]*$")


def table_rows(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(line index, cells) of every table row among ``lines``; rulers skipped."""
    rows = []
    for k, line in enumerate(lines):
        if not _SEP.search(line) or _RULE.match(line):
            continue
        cells = [c.strip() for c in _SEP.split(line.strip())]
        if cells and cells[0] == "":
            cells = cells[1:]
        if cells and cells[-1] == "":
            cells = cells[:-1]
        rows.append((k, cells))
    return rows


def _group(groups: dict[str, ImportedAccuracy], model: str | None, precision: str | None, name: str | None) -> ImportedAccuracy:
    if precision:
        prec = precision_from_label(precision)
    elif model:
        prec = precision_from_path(model)
    else:
        prec = precision_from_label("unknown")
    g = groups.get(prec.label)
    if g is None:
        path = model if model and "/" in model else None
        g = groups[prec.label] = ImportedAccuracy(precision=prec, model_path=path, model=name or model_name_from_path(model))
    return g


# --------------------------------------------------------------------------- evalscope


def looks_like_evalscope_table(text: str) -> bool:
    return bool(re.search(r"Dataset\s*[|│┃]\s*Metric\s*[|│┃]\s*Subset\s*[|│┃]\s*Num\s*[|│┃]\s*Score", text))


def parse_evalscope_table(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of evalscope's report tables (every table in the text)."""
    lines = clean_lines(text)
    rows = table_rows(lines)
    groups: dict[str, ImportedAccuracy] = {}
    header: list[str] | None = None
    found: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    for k, cells in rows:
        low = [c.lower() for c in cells]
        if "dataset" in low and "score" in low and "metric" in low:
            header = low
            continue
        if header is None or len(cells) != len(header):
            continue
        row = dict(zip(header, cells, strict=True))
        key = (row.get("model", model or ""), row["dataset"])
        found.setdefault(key, []).append((k, row))
    if not found:
        raise InputFormatError(f"{source}: no evalscope report table (Dataset | Metric | Subset | Num | Score) found")
    for (mname, dataset), items in found.items():
        g = _group(groups, mname or None, precision, model)
        metrics: dict[str, dict[str, tuple[float | None, int | None, str]]] = {}
        for _, row in items:
            metrics.setdefault(row["metric"], {})[row.get("subset", "default")] = (
                to_float(row["score"]), int(to_float(row.get("num", "")) or 0) or None, row["score"]
            )
        first_metric = items[0][1]["metric"]
        subsets = metrics[first_metric]
        settings: dict[str, Any] = {"metric": first_metric}
        if mname:
            settings["model"] = mname
        if "OVERALL" in subsets:
            score, n, printed = subsets["OVERALL"]
        elif len(subsets) == 1:
            score, n, printed = next(iter(subsets.values()))
        else:  # evalscope's overall is the sample-weighted mean of its subsets
            total = sum(n or 0 for _, n, _ in subsets.values())
            score = sum((s or 0) * (n or 0) for s, n, _ in subsets.values()) / total if total else None
            n, printed = total or None, ""
            settings["score_derived"] = "sample-weighted mean of the subsets (no OVERALL row printed)"
        if len(subsets) > 1:
            settings["subsets"] = {name: {"score": s, "num": num} for name, (s, num, _) in subsets.items() if name != "OVERALL"}
        others = {m: next(iter(v.values()))[0] if len(v) == 1 else v.get("OVERALL", (None, None, ""))[0] for m, v in metrics.items() if m != first_metric}
        if others:
            settings["metrics"] = others
        first, last = items[0][0], items[-1][0]
        g.results = [r for r in g.results if r.benchmark != dataset] + [
            AccuracyResult(
                benchmark=dataset,
                mode="unknown",
                source="imported",
                n=n,
                score=score,
                settings=settings,
                import_info=ImportInfo(
                    file=source, block=len(g.results), format="evalscope-table",
                    printed={f"{dataset}/{first_metric}": printed}, text="\n".join(lines[first : last + 1]),
                ),
            )
        ]
    return list(groups.values())


# --------------------------------------------------------------------------- lm-evaluation-harness

# the metric shown as a task's score, in order of preference
_LM_PRIMARY = ("acc,none", "exact_match,strict-match", "exact_match,flexible-extract", "acc_norm,none", "exact_match,none",
               "exact_match,get-answer", "acc", "acc_norm", "exact_match", "em", "f1,none", "f1", "mc2", "mc1")


def looks_like_lm_eval_json(text: str) -> bool:
    head = text.lstrip()[:2000]
    return head.startswith("{") and '"results"' in head and ("_stderr" in text[:20000] or '"alias"' in text[:20000])


def _results_object(text: str) -> dict[str, Any] | None:
    """The ``results`` object of a (possibly truncated) lm-eval JSON."""
    m = re.search(r'"results"\s*:\s*\{', text)
    if not m:
        return None
    start = m.end() - 1
    depth, quote, esc = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                try:
                    obj = json.loads(text[start : i + 1])
                except json.JSONDecodeError:
                    return None
                return obj if isinstance(obj, dict) else None
    return None


def parse_lm_eval_json(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of an lm-eval results JSON (0.3 or 0.4); a file cut short keeps what its
    ``results`` object holds."""
    truncated = False
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        cut = _results_object(text)
        if cut is None:
            raise InputFormatError(f"{source}: not valid JSON and no complete \"results\" object: looked for an lm-evaluation-harness results file") from None
        doc, truncated = {"results": cut}, True
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise InputFormatError(f"{source}: no \"results\" object: looked for an lm-evaluation-harness results file")
    cfg: dict[str, Any] = doc["config"] if isinstance(doc.get("config"), dict) else {}
    args = str(cfg.get("model_args") or doc.get("model_name") or "")
    path_m = re.search(r"pretrained=([^,\s]+)", args)
    model_path = path_m.group(1) if path_m else (args or None)
    nshot: dict[str, Any] = doc["n-shot"] if isinstance(doc.get("n-shot"), dict) else {}
    groups: dict[str, ImportedAccuracy] = {}
    g = _group(groups, model_path, precision, model)
    g.model_path = model_path
    by_task: dict[str, Any] = doc["results"]
    for task, metrics in by_task.items():
        if not isinstance(metrics, dict):
            continue
        vals = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and "stderr" not in k}
        if not vals:
            continue
        primary = next((k for k in _LM_PRIMARY if k in vals), sorted(vals)[0])
        settings: dict[str, Any] = {"metric": primary}
        if len(vals) > 1:
            settings["metrics"] = {k: v for k, v in vals.items() if k != primary}
        if isinstance(metrics.get("alias"), str) and metrics["alias"].strip() != task:
            settings["alias"] = metrics["alias"]
        if truncated:
            settings["file_truncated"] = True
        g.results.append(
            AccuracyResult(
                benchmark=task,
                mode="unknown",
                source="imported",
                score=vals[primary],
                shots=int(nshot[task]) if isinstance(nshot.get(task), int) else None,
                settings=settings,
                import_info=ImportInfo(file=source, block=len(g.results), format="lm-eval-json", printed={f"{task}/{primary}": repr(vals[primary])}),
            )
        )
    if not g.results:
        raise InputFormatError(f"{source}: the lm-eval \"results\" object holds no scores")
    return list(groups.values())


def looks_like_lm_eval_markdown(text: str) -> bool:
    return bool(re.search(r"\|\s*Tasks?\s*\|\s*Version\s*\|", text))


def parse_lm_eval_markdown(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of the markdown table lm-eval prints (``|Tasks|Version|Filter|n-shot|Metric|...``)."""
    lines = clean_lines(text)
    groups: dict[str, ImportedAccuracy] = {}
    header: list[str] | None = None
    task: str | None = None
    top: AccuracyResult | None = None
    g: ImportedAccuracy | None = None
    model_path = None
    percent = False
    for line in lines:
        if m := re.search(r"pretrained=([^,\s)]+)", line):
            model_path = m.group(1)
    for k, cells in table_rows(lines):
        low = [c.lower() for c in cells]
        if low and low[0] in ("tasks", "task", "groups") and "metric" in low and "value" in low:
            header = low
            percent = "filter" not in low  # 0.3 printed percentages
            continue
        if header is None:
            continue
        if "value" not in header or len(cells) < len(header):
            continue
        row = dict(zip(header, cells, strict=False))
        name = row.get(header[0], "")
        metric = row.get("metric", "")
        value = to_float(split_value(row.get("value", ""))[0].lstrip("↑↓ "))
        if value is None or not metric:
            continue
        scale_pct = percent and metric.lower() in ("acc", "acc_norm", "exact_match", "em", "f1", "mc1", "mc2")
        score = value / 100.0 if scale_pct else value
        if name:
            nested = name.startswith("-") or name.startswith(" ")
            task = name.lstrip(" -").strip()
            if nested and top is not None:
                top.settings.setdefault("subsets", {})[task] = {"metric": metric, "score": score}
                continue
            if g is None:
                g = _group(groups, model_path, precision, model)
                g.model_path = model_path
            top = AccuracyResult(
                benchmark=task,
                mode="unknown",
                source="imported",
                score=score,
                shots=int(to_float(row.get("n-shot", "")) or 0) if to_float(row.get("n-shot", "")) is not None else None,
                settings={"metric": metric, **({"filter": row["filter"]} if row.get("filter") else {}), **({"printed_scale": "percent"} if scale_pct else {})},
                import_info=ImportInfo(file=source, block=len(g.results), format="lm-eval-markdown", printed={f"{task}/{metric}": row.get("value", "")}, text=lines[k]),
            )
            g.results = [r for r in g.results if r.benchmark != task] + [top]
        elif top is not None:  # a further metric or filter of the same task
            key = f"{metric},{row['filter']}" if row.get("filter") else metric
            top.settings.setdefault("metrics", {})[key] = score
    if not groups:
        raise InputFormatError(f"{source}: no lm-eval markdown table (|Tasks|Version|...|Metric|...|Value|) found")
    return list(groups.values())


# --------------------------------------------------------------------------- OpenCompass


def looks_like_opencompass(text: str) -> bool:
    return bool(re.search(r"dataset\s*[,|│ ]\s*version\s*[,|│ ]\s*metric\s*[,|│ ]\s*mode", text, re.IGNORECASE))


def parse_opencompass(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of an OpenCompass summary (CSV, or the same table as text); one variant per model column."""
    lines = clean_lines(text)
    header: list[str] | None = None
    sep = ","
    groups: dict[str, ImportedAccuracy] = {}
    for raw in lines:
        line = raw.strip().strip("*").strip()
        if not line:
            continue
        if re.match(r"^dataset\s*[,|│ ]\s*version", line, re.IGNORECASE):
            sep = "," if "," in line else ("|" if "|" in line else None)  # type: ignore[assignment]
            header = _split(line, sep)
            continue
        if header is None:
            continue
        cells = _split(line, sep)
        if len(cells) != len(header) or cells[0].startswith("-"):
            continue
        dataset, version, metric, mode = cells[:4]
        for col, value in zip(header[4:], cells[4:], strict=True):
            v = to_float(value)
            g = _group(groups, col, precision, model)
            settings: dict[str, Any] = {"metric": metric, "version": version, "mode": mode, "printed_scale": "percent", "model": col}
            if raw.strip().startswith("**"):
                settings["printed_markup"] = "bold"
            g.results = [r for r in g.results if r.benchmark != dataset] + [
                AccuracyResult(
                    benchmark=dataset,
                    mode="unknown",
                    source="imported",
                    score=v / 100.0 if v is not None else None,
                    settings=settings,
                    import_info=ImportInfo(file=source, block=len(g.results), format="opencompass-summary", printed={f"{dataset}/{col}": value}, text=raw),
                )
            ]
    if not groups:
        raise InputFormatError(f"{source}: no OpenCompass summary (dataset,version,metric,mode,...) found")
    return list(groups.values())


def _split(line: str, sep: str | None) -> list[str]:
    if sep == "|":
        return [c.strip() for c in line.strip().strip("|").split("|")]
    if sep == ",":
        return [c.strip() for c in line.split(",")]
    return line.split()
