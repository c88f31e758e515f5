"""Add imported items to a results document.

One run, one cell: the same run seen twice -- printed and saved as JSON, or pasted twice -- is
recognised by what it printed (successful and failed requests, input and output token totals,
the duration to its printed rounding; tokens read, not derived) and merged into one cell: the
richer rendering (request records, then the fields read rather than derived) is kept, the
settings only the other one read (requested lengths, dataset, concurrency) are taken from it,
and both spans are recorded (``ImportInfo.also``). Where the two disagree on a figure they both
printed, a warning says so.

Within one import, blocks with the same cell key (variant, concurrency, lengths, request rate,
dataset) are different runs of one case: they are kept apart as repeats 0, 1, ... (``number_repeats``).
Against the results file, a cell with the same key is replaced -- and the line says so -- unless
it is the same block imported again (same printed text), which changes nothing. An accuracy
result replaces one of the same variant, benchmark and mode. Each function returns the one line
the CLI prints for the item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from reportgen.importers.cells import ImportedCell
from reportgen.importers.labels import PrecisionInfo
from reportgen.importers.swift_eval import ImportedAccuracy
from reportgen.results import AccuracyResult, CellKey, ImportInfo, ModelVariant, Rendering, Results, ServingCell


def variant_for(
    results: Results, precision: PrecisionInfo, *, model: str | None = None, model_path: str | None = None
) -> ModelVariant:
    """The variant with this label (created if absent); empty descriptive fields are filled."""
    v = results.variant(precision.label)
    if v.model is None:
        v.model = model
    if v.model_path is None:
        v.model_path = model_path
    if v.precision is None:
        v.precision = precision.precision
    if v.quantization is None:
        v.quantization = precision.quantization
    return v


T = TypeVar("T")


def _put(items: list[T], new: T, same: Callable[[T], bool]) -> bool:
    """Put ``new`` in place of the first item ``same`` matches, dropping any later matches,
    or append it. Whether an item was replaced."""
    old = [i for i, x in enumerate(items) if same(x)]
    if not old:
        items.append(new)
        return False
    items[old[0]] = new
    for i in reversed(old[1:]):
        del items[i]
    return True


def number_repeats(items: list[ImportedCell]) -> list[ImportedCell]:
    """Give blocks of one import that share a variant and cell key the repeat numbers 0, 1, ...
    (a second block of the same case is another run of it, never a replacement)."""
    seen: set[tuple[str, CellKey]] = set()
    free: dict[tuple[str, CellKey], int] = {}  # per case, the lowest repeat number not yet taken
    for it in items:
        c = it.cell
        case = (it.label, c.key.case())
        if c.repeat == 0:
            c.repeat = free.get(case, 0)
        while (it.label, c.key) in seen:
            c.repeat += 1
        seen.add((it.label, c.key))
        if c.repeat == free.get(case, 0):
            free[case] = c.repeat + 1
    return items


# --------------------------------------------------------------------------- one run, one cell

_DURATION_TOL_S = 0.006  # a duration printed to 2 decimals against the same run saved in full


def same_run(a: ServingCell, b: ServingCell) -> bool:
    """Whether two imported cells are one run: the same printed counts and token totals (read,
    not derived) and the same duration to the printed rounding."""
    ma, mb, ia, ib = a.metrics, b.metrics, a.import_info, b.import_info
    if ma is None or mb is None or ia is None or ib is None or not ma.completed:
        return False
    for info in (ia, ib):
        if {"total_input_tokens", "total_output_tokens"} & set(info.derived):
            return False
    failed_known = "failed" not in ia.derived and "failed" not in ib.derived
    return (
        (ma.completed, ma.total_input_tokens, ma.total_output_tokens) == (mb.completed, mb.total_input_tokens, mb.total_output_tokens)
        and (not failed_known or ma.failed == mb.failed)
        and abs(ma.duration_s - mb.duration_s) <= _DURATION_TOL_S
    )


def _richness(it: ImportedCell) -> tuple[int, int, int]:
    info = it.cell.import_info
    read = len(info.rests_on) - len(info.derived) if info else 0
    return (len(it.cell.requests), read, len(info.printed) if info else 0)


def _rendering(info: ImportInfo) -> Rendering:
    return Rendering(file=info.file, block=info.block, format=info.format, first_line=info.first_line,
                     last_line=info.last_line, printed=dict(info.printed))


_SETTINGS = ("input_len", "output_len", "batch_size", "request_rate", "burstiness", "num_requests")
_CROSS = (("completed", "completed"), ("duration_s", "duration_s"), ("request_throughput", "request_throughput"),
          ("output_throughput", "output_throughput"))


def merge_into(base: ImportedCell, other: ImportedCell) -> list[str]:
    """Merge ``other`` (another rendering of the same run) into ``base``; the lines to print."""
    b, o = base.cell, other.cell
    bi, oi = b.import_info, o.import_info
    assert bi is not None and oi is not None and b.metrics is not None and o.metrics is not None
    n = len(bi.also)
    taken: list[str] = []
    for f in _SETTINGS:
        b_read = f in bi.rests_on and f not in bi.derived
        o_read = f in oi.rests_on and f not in oi.derived
        if o_read and not b_read and getattr(o, f) is not None:
            setattr(b, f, getattr(o, f))
            bi.rests_on[f] = [f"also {n}: {x}" for x in oi.rests_on[f]]
            if f in bi.derived:
                bi.derived.remove(f)
            if f in ("input_len", "output_len"):
                setattr(b, f"{f}_exact", getattr(o, f"{f}_exact"))
            taken.append(f)
    if b.dataset == "unknown" and o.dataset != "unknown":
        b.dataset = o.dataset
        taken.append("dataset")
    if b.endpoint is None and o.endpoint is not None:
        b.endpoint = o.endpoint
    if b.command is None and o.command is not None:
        b.command = o.command
    if base.model_path is None and other.model_path is not None:
        base.model_path = other.model_path
    if base.model is None:
        base.model = other.model
    bi.also.append(_rendering(oi))
    bi.also.extend(oi.also)
    if {"input_len", "output_len"} & set(taken):
        b.notes = [x for x in b.notes if "所要求的长度" not in x]
        base.warnings = [w for w in base.warnings if "not recorded" not in w]
    b.notes.append(f"同一次运行的另一份输出（{oi.file} 第 {oi.first_line}–{oi.last_line} 行，{oi.format}）已合并到此单元")
    where_b = f"{bi.file}:{bi.first_line}-{bi.last_line}"
    where_o = f"{oi.file}:{oi.first_line}-{oi.last_line}"
    lines = [f"{where_o}: the same run as {where_b} ({b.metrics.completed} ok, {b.metrics.total_output_tokens} tokens in "
             f"{b.metrics.duration_s:g} s): merged into one cell" + (f", {', '.join(taken)} from {oi.format}" if taken else "")]
    for fb, fo in _CROSS:
        vb, vo = getattr(b.metrics, fb), getattr(o.metrics, fo)
        if vb and vo and abs(vb - vo) > max(0.006, 0.006 * abs(vb)):
            lines.append(f"warning: {where_b} and {where_o} print {fb} {vb:g} and {vo:g} for the same run")
    if base.label != other.label:
        lines.append(f"warning: {where_b} is labelled {base.label}, {where_o} {other.label}: kept {base.label}")
    return lines


def merge_renderings(items: list[ImportedCell]) -> tuple[list[ImportedCell], list[str]]:
    """Items with the renderings of one run merged (the richer kept); the lines to print."""
    out: list[ImportedCell] = []
    lines: list[str] = []
    runs: dict[tuple[int, int, int], list[int]] = {}  # run signature -> positions in out (linear over many blocks)
    for it in items:
        sig = _run_signature(it.cell)
        at = next((k for k in runs.get(sig, []) if same_run(out[k].cell, it.cell)), None) if sig else None
        if at is None:
            if sig is not None:
                runs.setdefault(sig, []).append(len(out))
            out.append(it)
            continue
        twin = out[at]
        if _richness(it) > _richness(twin) or (twin.model_path is None and it.model_path is not None and _richness(it) == _richness(twin)):
            out[at] = it
            twin, it = it, twin
        lines += merge_into(twin, it)
    return out, lines


def _same_block(a: ServingCell, b: ServingCell) -> bool:
    ia, ib = a.import_info, b.import_info
    return ia is not None and ib is not None and ia.printed == ib.printed and ia.text == ib.text and ia.format == ib.format


def _run_signature(c: ServingCell) -> tuple[int, int, int] | None:
    """What ``same_run`` requires to be equal, as a hash key (None: the cell cannot be one run with another)."""
    m = c.metrics
    return (m.completed, m.total_input_tokens, m.total_output_tokens) if m is not None and m.completed else None


class CellIndex:
    """The cells of each variant by key and by run signature, so that adding thousands of imported
    cells takes linear time. An entry is dropped when its variant changes other than by an append."""

    def __init__(self) -> None:
        self._by: dict[int, tuple[dict[CellKey, ServingCell], dict[tuple[int, int, int], list[ServingCell]]]] = {}

    def of(self, v: ModelVariant) -> tuple[dict[CellKey, ServingCell], dict[tuple[int, int, int], list[ServingCell]]]:
        if id(v) not in self._by:
            keys: dict[CellKey, ServingCell] = {}
            runs: dict[tuple[int, int, int], list[ServingCell]] = {}
            for x in v.serving:
                keys.setdefault(x.key, x)
                self._note_run(runs, x)
            self._by[id(v)] = (keys, runs)
        return self._by[id(v)]

    @staticmethod
    def _note_run(runs: dict[tuple[int, int, int], list[ServingCell]], x: ServingCell) -> None:
        if x.source == "imported" and (sig := _run_signature(x)) is not None:
            runs.setdefault(sig, []).append(x)

    def appended(self, v: ModelVariant, c: ServingCell) -> None:
        keys, runs = self.of(v)
        keys.setdefault(c.key, c)
        self._note_run(runs, c)

    def forget(self, v: ModelVariant) -> None:
        self._by.pop(id(v), None)


def add_cell(results: Results, item: ImportedCell, index: CellIndex | None = None) -> str:
    """Add one imported cell (another rendering of a run already there merges with it; a cell of the
    same key replaces it); the line to print. ``index`` (one per import) keeps it linear over many."""
    index = index or CellIndex()
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    c = item.cell
    keys, runs = index.of(v)
    same = keys.get(c.key)
    unchanged = same is not None and _same_block(same, c)
    sig = _run_signature(c)
    twin = None if unchanged or sig is None else next(
        (x for x in runs.get(sig, []) if not _same_block(x, c) and same_run(x, c)), None)
    if twin is not None:  # another rendering of a run already imported: one cell
        existing = ImportedCell(cell=twin, precision=item.precision)
        if _richness(item) > _richness(existing):
            merge_into(item, existing)
            v.serving[v.serving.index(twin)] = c
        else:
            merge_into(existing, item)
            c = twin
        action = "merged with the existing cell of the same run"
        index.forget(v)
    elif same is not None:
        _put(v.serving, c, lambda x: x.key == c.key)
        action = "unchanged (the same block was imported before)" if unchanged else "replaced the existing cell"
        index.forget(v)
    else:
        v.serving.append(c)
        index.appended(v, c)
        action = "added"
    m = c.metrics
    info = c.import_info
    where = f"{info.file} block {info.block}" if info else "?"
    figures = f", {m.completed} ok, {m.total_output_tokens} tokens in {m.duration_s:g} s" if m else ""
    records = f", {len(c.requests)} request records" if c.requests else ""
    rate = f", rate {c.request_rate:g}/s" if c.request_rate is not None else ""
    ds = f", dataset {c.dataset}" if c.dataset != "random" else ""
    rep = f", repeat {c.repeat}" if c.repeat else ""
    return (
        f"{where}: {v.label} batch {c.batch_size}, input {c.input_len}, output {c.output_len}{rate}{ds}{rep}"
        f"{figures}{records}: {action}"
    )


def _score_tolerance(r: AccuracyResult) -> float:
    """Half a unit of the last printed digit of a score, as a fraction."""
    info = r.import_info
    texts = [info.printed[x] for x in (info.rests_on.get("score", []) if info else []) if x in info.printed] if info else []
    if not texts:
        return 0.0
    digits = min(len(t.split(".", 1)[1]) if "." in t else 0 for t in (re.sub(r"[^\d.]", "", x) for x in texts))
    percent = r.settings.get("printed_scale") == "percent"
    return 0.5 * 10.0**-digits / (100.0 if percent else 1.0)


def same_score(a: AccuracyResult, b: AccuracyResult) -> bool:
    """One score printed twice (a log line and its summary table, two pastes): same benchmark,
    mode and metric, values equal to the coarser printed rounding."""
    if a.source != "imported" or b.source != "imported" or a.score is None or b.score is None:
        return False
    if (a.benchmark, a.mode, a.settings.get("metric"), a.settings.get("model")) != (b.benchmark, b.mode, b.settings.get("metric"), b.settings.get("model")):
        return False
    if a.import_info and b.import_info and (a.import_info.file, a.import_info.block) == (b.import_info.file, b.import_info.block):
        return False  # the same block imported again: a replacement, as before
    return abs(a.score - b.score) <= max(_score_tolerance(a), _score_tolerance(b)) + 1e-12


def add_accuracy(results: Results, item: ImportedAccuracy) -> list[str]:
    v = variant_for(results, item.precision, model=item.model, model_path=item.model_path)
    lines: list[str] = []
    for r in item.results:
        same = (r.benchmark, r.mode)
        twin = next((x for x in v.accuracy if (x.benchmark, x.mode) == same and same_score(x, r)), None)
        if twin is not None and twin.import_info is not None and r.import_info is not None:
            keep, other = (twin, r) if _score_tolerance(twin) <= _score_tolerance(r) else (r, twin)
            assert keep.import_info is not None and other.import_info is not None
            keep.import_info.also.append(_rendering(other.import_info))
            if keep is r:
                v.accuracy[v.accuracy.index(twin)] = r
            mine = r.import_info
            lines.append(f"{mine.file} block {mine.block}: {v.label} {r.benchmark} = {r.score:g} ({r.mode}): the same score as "
                         f"{twin.import_info.file if twin.import_info else '?'} block {twin.import_info.block if twin.import_info else '?'}, "
                         f"merged (kept the more precise, both recorded)")
            continue
        replaced = _put(v.accuracy, r, lambda x, same=same: (x.benchmark, x.mode) == same)  # type: ignore[misc]
        action = "replaced the existing score" if replaced else "added"
        info = r.import_info
        where = f"{info.file} block {info.block}" if info else "?"
        printed = info.printed.get(r.benchmark) if info else None
        lines.append(f"{where}: {v.label} {r.benchmark} = {printed if printed is not None else r.score} ({r.mode}): {action}")
    return lines


def merge_samples(groups: list[ImportedAccuracy]) -> tuple[list[ImportedAccuracy], list[str]]:
    """lm-eval's per-sample records (``--log_samples``) and the results JSON of the same run:
    one score. A per-sample result joins the result of the same task and metric (its n agreeing
    with the results' n-samples where printed): n, the correct count and the interval are added,
    both renderings recorded; unmatched per-sample results stay on their own."""
    lines: list[str] = []
    scored = [(g, r) for g in groups for r in g.results if not r.settings.get("per_sample")]
    for g in groups:
        keep = []
        for r in g.results:
            if not r.settings.get("per_sample"):
                keep.append(r)
                continue
            metric = str(r.settings.get("metric", ""))
            twin = next(((tg, t) for tg, t in scored if t.benchmark == r.benchmark
                         and (t.settings.get("metric") == metric or metric.split(",")[0] == str(t.settings.get("metric", "")).split(",")[0])
                         and (t.n is None or t.n == r.n)), None)
            if twin is None or twin[1].import_info is None or r.import_info is None:
                keep.append(r)
                continue
            t = twin[1]
            assert t.import_info is not None
            t.n = r.n
            if r.correct is not None:
                t.correct = r.correct
                t.settings["interval_95"] = r.settings.get("interval_95")
            t.import_info.also.append(_rendering(r.import_info))
            lines.append(f"{r.import_info.file}: the per-sample records of {r.benchmark} ({metric}, n = {r.n}) joined the score of "
                         f"{t.import_info.file}" + ("" if r.correct is not None else " (n only: the metric is not scored 0/1 per sample)"))
        g.results = keep
    return [g for g in groups if g.results], lines
