"""The environment side by side and the comparability notes (可比性说明).

``environment_rows`` lists the facts of every file under one label each, marking rows whose
values differ. ``comparability_notes`` says, in words and in both languages
(``reportgen.compare.messages``), everything that makes the comparison of each file with the
baseline unequal: model, lengths, datasets, load points, variants, versions, drivers, card
counts, tensor parallel size, tokenizer, invalid or unmatched cells, scoring modes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.compare.matching import model_id, model_name
from reportgen.compare.messages import say, thing
from reportgen.embedding_text import mode_name
from reportgen.messages import Msg
from reportgen.results import Results
from reportgen.variant_roles import MODE_ZH, variant_kind

if TYPE_CHECKING:
    from reportgen.compare.model import Comparison, Source

# (label, fact keys shown joined) in document order
ENVIRONMENT_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("加速卡", ("accelerator.vendor", "accelerator.model")),
    ("加速卡数量", ("accelerator.count",)),
    ("芯片数量", ("accelerator.chips",)),
    ("显存", ("accelerator.memory_type", "accelerator.memory_bytes")),  # joined with "；" as in section 1
    ("显存带宽", ("accelerator.memory_bandwidth",)),
    ("接口与互联", ("accelerator.interface",)),
    ("峰值算力", ("accelerator.peak_compute",)),
    ("TDP", ("accelerator.tdp_w",)),
    ("驱动", ("driver.version",)),
    ("SDK", ("sdk.name", "sdk.version")),
    ("vLLM", ("software.vllm",)),
    ("PyTorch", ("software.torch",)),
    ("Transformers", ("software.transformers",)),
    ("Python", ("software.python",)),
    ("处理器", ("cpu.model",)),
    ("CPU核数", ("cpu.cores",)),
    ("内存", ("memory.total_bytes",)),
    ("服务器", ("server.vendor", "server.model")),
    ("操作系统", ("os.name",)),
    ("内核版本", ("kernel.version",)),
)


@dataclass
class EnvironmentRow:
    label: str
    texts: list[str]  # per source: what the evaluation document's section 1 prints for these facts
    differs: bool  # the printed values are not all the same


def environment_rows(sources: list[Source]) -> list[EnvironmentRow]:
    """Each fact worded by the evaluation document's own function (``environment_view.fact_cell``):
    one fact, one value, in both documents. Rows no file has a value for are left out."""
    from reportgen.report.environment_view import fact_cell, fact_present

    rows = []
    for label, keys in ENVIRONMENT_ROWS:
        if not any(fact_present(s.results, keys) for s in sources):
            continue
        joiner = "；" if keys == ("accelerator.memory_type", "accelerator.memory_bytes") else " "
        texts = [fact_cell(s.results, keys, joiner) for s in sources]
        rows.append(EnvironmentRow(label, texts, differs=len({t.strip().lower() for t in texts}) > 1))
    return rows


# --------------------------------------------------------------------------- settings of a file

_TP_ARG = re.compile(r"(?:--tensor-parallel-size|-tp)[ =]+(\d+)")


def _fact(results: Results, key: str) -> str | None:
    f = results.environment.facts.get(key)
    return str(f.value) if f is not None and f.present else None


def _distinct(values: list[str | None]) -> str | None:
    kept: list[str] = []
    for v in values:
        if v and v not in kept:
            kept.append(v)
    return "、".join(kept) or None


def _tp(results: Results) -> str | None:
    found: list[str | None] = []
    for v in results.variants:
        if not (v.serving or v.capacity):
            continue
        args = v.server.args
        value = next((args[k] for k in ("tensor_parallel_size", "tensor-parallel-size", "tp") if k in args), None)
        if value is None and v.server.launch_command:
            m = _TP_ARG.search(v.server.launch_command)
            value = m.group(1) if m else None
        found.append(str(value) if value is not None else None)
    return _distinct(found)


def _tokenizer(results: Results) -> str | None:
    found: list[str | None] = []
    for v in results.variants:
        for c in v.serving:
            source = v.tokenizer or c.prompt_source
            if source:
                source = source.split(":", 1)[1] if source.startswith("tokenizer:") else source
                found.append(Path(source.rstrip("/")).name or source)
    return _distinct(found)


# key -> the file's setting as text (None: not recorded)
SETTINGS: dict[str, object] = {
    "engine": lambda r: _distinct([{"vllm": "vLLM"}.get((v.server.engine or "").lower(), v.server.engine)
                                   for v in r.variants if v.serving]),
    "vllm": lambda r: _fact(r, "software.vllm") or _distinct([v.server.engine_version for v in r.variants]),
    "torch": lambda r: _fact(r, "software.torch"),
    "driver": lambda r: _fact(r, "driver.version"),
    "sdk": lambda r: " ".join(x for x in (_fact(r, "sdk.name"), _fact(r, "sdk.version")) if x) or None,
    "cards": lambda r: _fact(r, "accelerator.count") or (str(len(r.environment.accelerators)) if r.environment.accelerators else None),
    "chips": lambda r: _fact(r, "accelerator.chips"),
    "tp": _tp,
    "tokenizer": _tokenizer,
    "os": lambda r: _fact(r, "os.name"),
}
# settings that matter only when the file has serving results
_SERVING_ONLY = {"engine", "tp", "tokenizer"}


def setting(results: Results, key: str) -> str | None:
    fn = SETTINGS[key]
    return fn(results)  # type: ignore[operator,no-any-return]


# --------------------------------------------------------------------------- notes


def _set_text(items: list[str]) -> str:
    return "、".join(items) if items else "无"


def _shape(results: Results, what: str) -> list[str]:
    out: set[tuple[object, ...]] = set()
    for v in results.variants:
        for c in v.serving:
            if what == "lengths":
                out.add((c.input_len, c.output_len))
            elif what == "datasets":
                out.add((c.dataset,))
            elif what == "loads":
                out.add((0, c.batch_size) if c.request_rate is None else (1, c.request_rate))
            elif what == "kinds":
                out.add((variant_kind(v),))
    texts = []
    for t in sorted(out, key=repr):
        if what == "lengths":
            texts.append(f"{t[0]}/{t[1]}")
        elif what == "loads":
            texts.append(f"批大小 {t[1]}" if t[0] == 0 else f"{t[1]:g} 请求/秒")
        else:
            texts.append(str(t[0]))
    return texts


def _models(results: Results) -> list[str]:
    names: list[str] = []
    for v in results.variants:
        if v.serving or v.accuracy or v.capacity:
            name = model_name(results, v)
            if name and model_id(name) not in [model_id(n) for n in names]:
                names.append(name)
    return names


def comparability_notes(c: Comparison) -> list[Msg]:
    base = c.base
    notes: list[Msg] = []
    for s in c.others():
        pair = dict(base_file=base.label, other_file=s.label)
        bm, om = _models(base.results), _models(s.results)
        if bm and om and {model_id(n) for n in bm} != {model_id(n) for n in om}:
            notes.append(say("model_differs", base=_set_text(bm), other=_set_text(om), **pair))
        for what in ("lengths", "datasets", "loads", "kinds"):
            b, o = _shape(base.results, what), _shape(s.results, what)
            if b and o and b != o:
                notes.append(say("differs", what=thing(what), base=_set_text(b), other=_set_text(o), **pair))
        unrecorded: list[Msg] = []
        for key in SETTINGS:
            serving = any(v.serving for v in base.results.variants) and any(v.serving for v in s.results.variants)
            if key in _SERVING_ONLY and not serving:
                continue
            b_val, o_val = setting(base.results, key), setting(s.results, key)
            if b_val is not None and o_val is not None:
                if b_val.strip().lower() != o_val.strip().lower():
                    notes.append(say("differs", what=thing(key), base=b_val, other=o_val, **pair))
            elif key in ("vllm", "driver", "cards", "tp", "tokenizer"):
                unrecorded.append(thing(key))
                files = [x.label for x, v in ((base, b_val), (s, o_val)) if v is None]
                unrecorded[-1] = Msg(unrecorded[-1].en + f" ({', '.join(files)})", unrecorded[-1].zh + f"（{'、'.join(files)}）")
        if unrecorded:
            notes.append(say("unrecorded", what=Msg(", ".join(m.en for m in unrecorded), "、".join(m.zh for m in unrecorded))))
        unmatched = sum(1 for r in c.cases if r.points[s.index] is not None and r.points[c.baseline] is None)
        if unmatched:
            notes.append(say("unmatched_cells", n=unmatched, file=s.label, base_file=base.label))
        unmatched_base = sum(1 for r in c.cases if r.points[c.baseline] is not None and r.points[s.index] is None)
        if unmatched_base:
            notes.append(say("unmatched_cells", n=unmatched_base, file=base.label, base_file=s.label))
    for s in c.sources:
        points = [r.points[s.index] for r in c.cases if r.points[s.index] is not None]
        invalid = sum(1 for p in points if p is not None and p.status == "INVALID")
        doubtful = sum(1 for p in points if p is not None and p.status == "WARNING")
        if invalid:
            notes.append(say("invalid_cells", n=invalid, m=len(points), file=s.label))
        if doubtful:
            notes.append(say("doubtful_cells", n=doubtful, m=len(points), file=s.label))
        if any(p is not None and p.imported for p in points) or any(
            a.source == "imported" for v in s.results.variants for a in v.accuracy
        ):
            notes.append(say("imported", file=s.label))
    for row in c.accuracy:
        present = [(c.sources[i], p) for i, p in enumerate(row.points) if p is not None]
        reasons = {d.reason for d in row.deltas if d is not None}
        if "mode" in reasons:
            modes = "、".join(f"{s.label} {MODE_ZH.get(p.result.mode, p.result.mode)}" for s, p in present)
            notes.append(say("accuracy_mode", benchmark=row.benchmark, kind=row.kind, modes=modes))
        if "samples" in reasons:
            counts = "、".join(f"{s.label} {p.result.n if p.result.n is not None else '未记录'} 题" for s, p in present)
            notes.append(say("accuracy_samples", benchmark=row.benchmark, kind=row.kind, counts=counts))
    for er in c.embeddings:
        ran = [(c.sources[i].label, e.modes) for i, e in enumerate(er.points) if e is not None]
        if len(ran) > 1 and len({tuple(sorted(set(m))) for _, m in ran}) > 1:
            text = "、".join(f"{n} {'、'.join(dict.fromkeys(mode_name(x) for x in m))}" for n, m in ran)
            kind = Msg(er.kind, "向量模型" if er.kind == "embedding" else "重排序模型")
            notes.append(say("embedding_mode", model=er.model, kind=kind, modes=text))
    for s in c.others():
        if any(r.values[s.index] != "absent" and r.values[c.baseline] == "absent" for r in c.capacity):
            notes.append(say("capacity_slo", file=s.label, base_file=base.label))
    return notes
