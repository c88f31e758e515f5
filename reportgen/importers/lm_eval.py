"""lm-evaluation-harness results (pure functions over text).

* the results JSON (``--output_path``): ``"acc,none"`` of 0.4, ``"acc"`` of 0.3; a file cut
  short keeps its ``results`` object; ``n-samples`` gives n;
* the markdown table it prints (``|Tasks|Version|Filter|n-shot|Metric|...|Value|...|Stderr|``,
  0.3's without Filter and n-shot), groups and nested subtasks.

A task's score is its first proportion metric in lm-eval's order of preference; further metrics,
stderr, n-shot and version are kept. Whether the table printed fractions or percentages is read
from its values (``accuracy_tables.decide_scale``): lm-eval 0.3 tables print fractions too.
"""

from __future__ import annotations

import re
from typing import Any

from reportgen._io import parse_json
from reportgen.errors import InputFormatError
from reportgen.importers._text import clean_lines, to_float
from reportgen.importers.accuracy_tables import decide_scale, group_for, is_proportion, number_of, table_rows
from reportgen.importers.finders import table_extent
from reportgen.importers.ledger import Reading
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.results import AccuracyResult

# the metric shown as a task's score, in order of preference
_PRIMARY = ("acc,none", "exact_match,strict-match", "exact_match,flexible-extract", "acc_norm,none", "exact_match,none",
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
                    obj = parse_json(text[start : i + 1], "<results>")
                except InputFormatError:
                    return None
                return obj if isinstance(obj, dict) else None
    return None


def json_scope(doc: Any) -> Any:
    """The part of a results JSON that holds scores (what the accounting counts)."""
    if not isinstance(doc, dict):
        return {}
    return {k: doc[k] for k in ("results", "groups", "n-samples") if k in doc}


def parse_lm_eval_json(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of an lm-eval results JSON (0.3 or 0.4); a file cut short keeps what its
    ``results`` object holds."""
    truncated = False
    try:
        doc = parse_json(text, source)
    except InputFormatError:
        cut = _results_object(text)
        if cut is None:
            raise InputFormatError(f"{source}: not valid JSON and no complete \"results\" object: looked for an lm-evaluation-harness results file") from None
        doc, truncated = {"results": cut}, True
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise InputFormatError(f"{source}: no \"results\" object: looked for an lm-evaluation-harness results file")
    cfg: dict[str, Any] = doc["config"] if isinstance(doc.get("config"), dict) else {}
    margs = cfg.get("model_args")
    if isinstance(margs, dict):  # lm-eval 0.4.8+: a dict, not "pretrained=...,dtype=..."
        model_path = str(margs.get("pretrained") or margs.get("model") or doc.get("model_name") or "") or None
    else:
        args = str(margs or doc.get("model_name") or "")
        path_m = re.search(r"(?:pretrained|model)=([^,\s]+)", args)
        model_path = path_m.group(1) if path_m else (args or None)
    nshot: dict[str, Any] = doc["n-shot"] if isinstance(doc.get("n-shot"), dict) else {}
    nsamples: dict[str, Any] = doc["n-samples"] if isinstance(doc.get("n-samples"), dict) else {}
    groups: dict[str, ImportedAccuracy] = {}
    g = group_for(groups, model_path, precision, model)
    g.model_path = model_path
    for task, metrics in doc["results"].items():
        if not isinstance(metrics, dict):
            continue
        rd = Reading(source, "lm-eval-json")
        vals: dict[str, float] = {}
        errs: dict[str, float] = {}
        for k, v in metrics.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            label = rd.saw(f"results.{task}.{k}", repr(v))
            if "stderr" in k:
                errs[k.replace("_stderr", "")] = float(v)
                rd.read(f"settings.stderr.{k.replace('_stderr', '')}", label)
            else:
                vals[k] = float(v)
        if not vals:
            continue
        primary = next((k for k in _PRIMARY if k in vals), sorted(vals)[0])
        rd.read("score", f"results.{task}.{primary}")
        settings: dict[str, Any] = {"metric": primary, "printed_scale": "fraction"}
        if len(vals) > 1:
            settings["metrics"] = {k: v for k, v in vals.items() if k != primary}
            for k in settings["metrics"]:
                rd.read(f"settings.metrics.{k}", f"results.{task}.{k}")
        if errs:
            settings["stderr"] = errs
        if isinstance(metrics.get("alias"), str) and metrics["alias"].strip() != task:
            settings["alias"] = metrics["alias"]
        if truncated:
            settings["file_truncated"] = True
        n = None
        ns = nsamples.get(task)
        if isinstance(ns, dict) and isinstance(ns.get("effective"), int):
            n = ns["effective"]
            rd.read("n", rd.saw(f"n-samples.{task}.effective", str(n)))
            if isinstance(ns.get("original"), int):
                rd.read("n_total", rd.saw(f"n-samples.{task}.original", str(ns["original"])))
        shots = nshot.get(task) if isinstance(nshot.get(task), int) and not isinstance(nshot.get(task), bool) else None
        if shots is not None:
            rd.read("shots", rd.saw(f"n-shot.{task}", str(shots)))
        g.results.append(
            AccuracyResult(
                benchmark=task, mode="unknown", source="imported", score=vals[primary], n=n,
                n_total=ns["original"] if isinstance(ns, dict) and isinstance(ns.get("original"), int) else None,
                shots=shots,
                settings=settings, import_info=rd.info(),
            )
        )
    if not g.results:
        raise InputFormatError(f"{source}: the lm-eval \"results\" object holds no scores")
    return list(groups.values())


# --------------------------------------------------------------------------- printed table

_TABLE_HEAD = re.compile(r"^\s*\|\s*(?:Tasks?|Groups)\s*\|\s*Version\s*\|", re.IGNORECASE)
_SUMMARY_LINE = re.compile(r"^\S+ \(.*\).*(?:batch_size|num_fewshot|limit)\s*:")


def looks_like_lm_eval_markdown(text: str) -> bool:
    return bool(re.search(r"\|\s*(?:Tasks?|Groups)\s*\|\s*Version\s*\|", text))


def find_lm_eval_tables(lines: list[str]) -> list[tuple[int, int]]:
    """Each printed table (tasks, groups), with the ``hf (pretrained=...), ...`` line above it."""
    out: list[tuple[int, int]] = []
    for k, line in enumerate(lines):
        if not _TABLE_HEAD.search(line) or (out and k <= out[-1][1]):
            continue
        first, last = table_extent(lines, k)
        for j in range(first - 1, max(first - 3, -1), -1):
            if _SUMMARY_LINE.search(lines[j]):
                first = j
                break
            if lines[j].strip():
                break
        out.append((first, last))
    return out


def parse_lm_eval_markdown(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """Scores of the markdown table lm-eval prints (``|Tasks|Version|Filter|n-shot|Metric|...``)."""
    lines = clean_lines(text)
    model_path = None
    head: dict[str, Any] = {}
    for n_line, line in enumerate(lines):
        if m := re.search(r"(?:pretrained|model_args\s+model)=([^,\s)]+)", line):
            model_path = m.group(1)
        if _SUMMARY_LINE.search(line):
            for key in ("limit", "num_fewshot", "batch_size"):
                if km := re.search(rf"\b{key}:\s*([^,\s]+)", line):
                    head[key] = (km.group(1), n_line)
    parsed: list[tuple[int, list[str], list[str]]] = []  # line, header, cells
    cut: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    for k, cells in table_rows(lines):
        low = [c.lower() for c in cells]
        if low and low[0] in ("tasks", "task", "groups") and "metric" in low and "value" in low:
            header = low
            continue
        if header is not None and len(cells) >= len(header):
            parsed.append((k, header, cells))
        elif header is not None and cells:
            cut.append((k, cells))  # a row cut short by the paste
    if not parsed:
        raise InputFormatError(f"{source}: no lm-eval markdown table (|Tasks|Version|...|Metric|...|Value|) found")
    scale = decide_scale([c[h.index("value")] for _, h, c in parsed if is_proportion(c[h.index("metric")])])
    groups: dict[str, ImportedAccuracy] = {}
    g: ImportedAccuracy | None = None
    top: AccuracyResult | None = None
    rd: Reading | None = None
    for k, hdr, cells in parsed:
        col = {name: i for i, name in reversed(list(enumerate(hdr)))}  # first column of each name
        name = cells[0]
        metric = cells[col["metric"]]
        vtext = cells[col["value"]]
        value = number_of(vtext)
        if value is None or not metric:
            continue
        prop = is_proportion(metric)
        score = scale.fraction(vtext) if prop else value
        filt = cells[col["filter"]] if "filter" in col and cells[col["filter"]] else None
        mkey = f"{metric},{filt}" if filt else metric
        shots_text = cells[col["n-shot"]] if "n-shot" in col else ""
        version = cells[col["version"]] if "version" in col else ""
        stderr_i = col.get("stderr")
        stderr_text = cells[stderr_i] if stderr_i is not None and stderr_i < len(cells) else ""
        task = name.lstrip(" -").strip() if name else (top.benchmark if top else "")
        nested = bool(name) and (name.startswith("-") or name.startswith(" "))
        again = top is not None and not nested and task == top.benchmark  # the task printed again on its next filter's row
        if name and not nested and not again or top is None or rd is None:
            if g is None:
                g = group_for(groups, model_path, precision, model)
                g.model_path = model_path
            rd = Reading(source, "lm-eval-markdown")
            settings: dict[str, Any] = {"metric": metric, **({"filter": filt} if filt else {}), **(scale.settings() if prop else {})}
            settings.update({k2: v[0] for k2, v in head.items() if k2 == "limit"})
            top = AccuracyResult(benchmark=task, mode="unknown", source="imported", score=score, settings=settings)
            rd.read("score", rd.saw(f"{task}/{mkey}/Value", vtext, k))
            if to_float(shots_text) is not None:
                top.shots = int(to_float(shots_text) or 0)
                rd.read("shots", rd.saw(f"{task}/n-shot", shots_text, k))
            elif "n-shot" not in col and "num_fewshot" in head and to_float(head["num_fewshot"][0]) is not None:  # 0.3: no n-shot column
                top.shots = int(to_float(head["num_fewshot"][0]) or 0)
                rd.read("shots", rd.saw("num_fewshot", head["num_fewshot"][0], head["num_fewshot"][1]))
            if version:
                top.task_version = version
                if to_float(version) is not None:
                    rd.read("task_version", rd.saw(f"{task}/Version", version, k))
            if number_of(stderr_text) is not None:
                top.settings["stderr"] = number_of(stderr_text)
                rd.read("settings.stderr", rd.saw(f"{task}/{mkey}/Stderr", stderr_text, k))
            top.import_info = rd.info(text=lines[k])
            g.results = [r for r in g.results if r.benchmark != task] + [top]
            continue
        info_text = (top.import_info.text if top.import_info else "") or ""
        if nested:  # a subtask of the group above
            sub: dict[str, Any] = {"metric": metric, "score": score}
            path = f"settings.subsets.{task}"
            rd.read(f"{path}.score", rd.saw(f"{task}/{mkey}/Value", vtext, k))
            if to_float(shots_text) is not None:
                sub["shots"] = int(to_float(shots_text) or 0)
                rd.read(f"{path}.shots", rd.saw(f"{task}/n-shot", shots_text, k))
            if version and to_float(version) is not None:
                sub["version"] = version
                rd.read(f"{path}.version", rd.saw(f"{task}/Version", version, k))
            if number_of(stderr_text) is not None:
                sub["stderr"] = number_of(stderr_text)
                rd.read(f"{path}.stderr", rd.saw(f"{task}/{mkey}/Stderr", stderr_text, k))
            top.settings.setdefault("subsets", {})[task] = sub
        else:  # a further metric or filter of the same task
            top.settings.setdefault("metrics", {})[mkey] = score
            rd.read(f"settings.metrics.{mkey}", rd.saw(f"{top.benchmark}/{mkey}/Value", vtext, k))
            if to_float(shots_text) is not None:
                rd.read("shots", *rd.rests_on.get("shots", []), rd.saw(f"{top.benchmark}/{mkey}/n-shot", shots_text, k))
            if number_of(stderr_text) is not None:
                top.settings.setdefault("metrics_stderr", {})[mkey] = number_of(stderr_text)
                rd.read(f"settings.metrics_stderr.{mkey}", rd.saw(f"{top.benchmark}/{mkey}/Stderr", stderr_text, k))
        top.import_info = rd.info(text=info_text + "\n" + lines[k])
    if not groups:
        raise InputFormatError(f"{source}: no lm-eval markdown table (|Tasks|Version|...|Metric|...|Value|) found")
    out = list(groups.values())
    for k, cells in cut:  # seen, listed as not used, and said
        if rd is not None and top is not None:
            for i, c in enumerate(cells[1:], start=1):
                if number_of(c) is not None:
                    rd.saw(f"{cells[0].lstrip(' -').strip()}/{parsed[-1][1][i] if i < len(parsed[-1][1]) else i} (row cut short)", c, k)
            top.import_info = rd.info(text=top.import_info.text if top.import_info else None)
        out[0].warnings.append(f"{source}:{k + 1}: table row cut short ({' | '.join(cells)}): not imported")
    return out


# --------------------------------------------------------------------------- --log_samples

_SAMPLES_FILE = re.compile(r"samples_(?P<task>.+?)_\d{4}-\d\d-\d\dT[\d\-.]+\.jsonl?$")


def is_sample(doc: Any) -> bool:
    """One line of ``samples_<task>_<date>.jsonl`` (``--log_samples``)."""
    return isinstance(doc, dict) and "doc_id" in doc and isinstance(doc.get("metrics"), list) and ("resps" in doc or "filtered_resps" in doc)


def samples_scope(doc: Any) -> Any:
    """What the accounting counts of a sample: its metric values, by metric."""
    if not is_sample(doc):
        return {}
    return {m: doc[m] for m in doc["metrics"] if isinstance(m, str) and m in doc}


def _binary(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and v in (0, 1) for v in values)


def parse_lm_eval_samples(text: str, source: str, *, precision: str | None = None, model: str | None = None) -> list[ImportedAccuracy]:
    """The per-sample records of one task (one ``--log_samples`` file): n per metric and filter,
    and -- for a metric scored 0/1 per sample -- the correct count, the score and its 95 % Wilson
    interval. A corpus-level metric (F1 over all spans: pairs per sample) gives n only. The task
    comes from the file name (``samples_gsm8k_2024-...jsonl``), as lm-eval names it."""
    import json

    from reportgen.compare.side_by_side import wilson

    docs: list[tuple[int, dict[str, Any]]] = []
    decoder = json.JSONDecoder()
    for k, line in enumerate(clean_lines(text)):
        s = line.strip()
        if not s.startswith("{"):
            continue
        try:
            doc, _ = decoder.raw_decode(s)
        except (ValueError, RecursionError):  # JSONDecodeError, or an integer too long to convert
            continue
        if is_sample(doc):
            docs.append((k, doc))
    if not docs:
        raise InputFormatError(f"{source}: no lm-eval sample records (doc_id, metrics, resps) found")
    m = _SAMPLES_FILE.search(source.replace("\\", "/").rsplit("/", 1)[-1])
    task = m.group("task") if m else "unknown"
    groups: dict[str, ImportedAccuracy] = {}
    g = group_for(groups, None, precision, model)
    by_key: dict[str, list[tuple[int, Any]]] = {}
    for k, doc in docs:
        filt = doc.get("filter") or "none"
        for metric in doc["metrics"]:
            if isinstance(metric, str) and metric in doc:
                by_key.setdefault(f"{metric},{filt}", []).append((k, doc[metric]))
    for key, rows in by_key.items():
        rd = Reading(source, "lm-eval-samples")
        values = [v for _, v in rows]
        labels = [rd.saw(f"doc {docs[i][1]['doc_id']}/{key}", json.dumps(v), k) for i, (k, v) in enumerate(rows)]
        n = len(rows)
        settings: dict[str, Any] = {"metric": key, "per_sample": True}
        score = correct = None
        rd.derive("n", *labels[:1], *(["..."] if n > 1 else []))
        if _binary(values):
            correct = int(sum(values))
            score = correct / n if n else None
            lo, hi = wilson(correct, n)
            settings["interval_95"] = [lo, hi]
            rd.derive("score", *labels[:1], *(["..."] if n > 1 else []))
            rd.derive("correct", *labels[:1])
            rd.derive("settings.interval_95.0", *labels[:1])
            rd.derive("settings.interval_95.1", *labels[:1])
        else:
            settings["per_sample_values"] = "not 0/1 scores (a corpus-level metric): n only"
        rd.rests_on = {path: [x for x in labs if x != "..."] + (labels[1:] if "..." in labs else []) for path, labs in rd.rests_on.items()}
        g.results.append(AccuracyResult(
            benchmark=task, mode="unknown", source="imported", n=n, correct=correct, score=score, settings=settings,
            import_info=rd.info(),
        ))
    if task == "unknown":
        g.warnings.append(f"{source}: the task is named only by the file name (samples_<task>_<date>.jsonl); this one does not say it")
    return list(groups.values())
