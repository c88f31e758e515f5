"""Serving-cell rules about what was sent and received: requests, token counts, imported text."""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.metrics import output_tokens, timed_requests
from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import Term, say
from reportgen.validity.numbers import ok_records, span, was_printed
from reportgen.validity.registry import Issue, Source, rule

#: Token counts (prompt tokens per request) off by at most this fraction: warning; beyond: error.
TOKEN_COUNT_WARN_REL = 0.01


@rule(
    "missing_metrics", family="serving", scope="cell", severity="warning",
    description="a serving cell without metrics (not run, or interrupted) -> warning",
    source=Source("ours", "a cell without figures cannot be shown as measured"),
    remedy=("measure the cell (collect --resume runs what is missing)", "补测该用例"),
    title_zh="用例缺少测试数据（未运行或未完成）",
)
def _missing_metrics(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    if cell.metrics is None:
        n = len(cell.requests)
        have = say("missing_metrics.records", records=n) if n else say("missing_metrics.none")
        yield Issue("warning", say("missing_metrics", have=have))


@rule(
    "failed_requests", family="serving", scope="cell", severity="error",
    description="successful requests must equal requests sent and planned; any failure -> error",
    source=Source("InferenceX", "its reliability rate is successes / total; a failed request changes the load "
                                "the others saw, so the cell is not the one planned"),
    remedy=("find the server error (the first one is quoted), fix it, re-run the cell", "排查服务端错误后重测"),
    title_zh="成功请求数应等于发送请求数（不得有失败请求）",
)
def _failed_requests(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None:
        return
    sent = m.completed + m.failed
    if m.failed > 0:
        errors = [r.error.splitlines()[0][:160] for r in timed_requests(cell.requests) if r.error]
        first = say("failed_requests.first_error", error=errors[0]) if errors else ""
        yield Issue("error", say("failed_requests", failed=m.failed, sent=sent, completed=m.completed, first_error=first))
    if cell.num_requests is not None and sent < cell.num_requests:
        yield Issue("error", say("failed_requests.not_sent", sent=sent, planned=cell.num_requests))


@rule(
    "requested_length_unknown", family="serving", scope="cell", severity="warning",
    description="imported cell whose requested input/output length was not recorded (the mean per request is shown) -> warning",
    source=Source("ours", "a mean length is not the length the cell was asked to run"),
    remedy=("re-import with --input-len/--output-len if the lengths are known", "如已知，用 --input-len/--output-len 重新导入"),
    title_zh="导入的结果应记录所要求的输入/输出长度",
)
def _requested_length_unknown(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    info = cell.import_info
    if info is None or not ({"input_len", "output_len"} & set(info.derived)):
        return
    which = Term("input and output length", "输入与输出长度")
    if "input_len" not in info.derived:
        which = Term("output length", "输出长度")
    elif "output_len" not in info.derived:
        which = Term("input length", "输入长度")
    yield Issue("warning", say("requested_length_unknown", which=which, file=info.file,
                               input_len=cell.input_len, output_len=cell.output_len))


@rule(
    "imported_block_cut", family="serving", scope="cell", severity="warning",
    description="imported block that was cut short (no closing ruler): the last printed figure may be cut too -> warning",
    source=Source("ours", "vLLM closes its result block with a ruler; without it the paste was cut"),
    remedy=("import the whole printed block (up to its closing ruler)", "导入完整的结果块（直到结尾分隔线）"),
    title_zh="导入的结果块应完整（有结尾分隔线）",
)
def _imported_block_cut(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    info = cell.import_info
    if info is None or info.complete is not False:
        return
    last = list(info.printed)[-1] if info.printed else None
    yield Issue("warning", say("imported_block_cut", file=info.file,
                               last_line=say("imported_block_cut.last_line", last=last) if last else ""))


@rule(
    "output_tokens", family="serving", scope="cell", severity="error",
    description="generated tokens must equal output_len x successful requests (server usage per request when recorded); "
                "only where the output length is exact (random/prefix datasets, or a fixed --<dataset>-output-len) -> error",
    source=Source("MLPerf", "TEST06: the reported token count must equal the tokens generated; a run with "
                            "ignore_eos (as InferenceX runs) generates exactly max_tokens"),
    remedy=("set ignore_eos (or a fixed output length) and re-run, so that every request generates the requested tokens",
            "固定输出长度（遇到结束符也继续生成）后重测，使每个请求都生成要求的词元数"),
    title_zh="生成词元总数应等于输出长度 × 成功请求数",
)
def _output_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not cell.exact_output() or not was_printed(cell, "total_output_tokens"):
        return  # sharegpt, sonnet, lengths taken as means: no exact length to check against
    expected = cell.output_len * m.completed
    ok = ok_records(cell)
    off = [output_tokens(r) for r in ok if output_tokens(r) != cell.output_len]
    if m.total_output_tokens == expected and not off:
        return
    total, out, done = m.total_output_tokens, cell.output_len, m.completed
    detail = (say("output_tokens.off", off=len(off), ok=len(ok), span=span(off), output_len=out) if off
              else say("output_tokens.average", average=total / done) if done else "")
    early = say("output_tokens.early") if total < expected else ""
    yield Issue("error", say("output_tokens", total=total, output_len=out, completed=done, expected=expected,
                             detail=detail, early=early))


@rule(
    "input_tokens", family="serving", scope="cell", severity="error or warning",
    description="prompt tokens must equal input_len x successful requests (server usage per request when recorded); "
                "only where the input length is exact; off by <= 1 % -> warning, more -> error",
    source=Source("ours", "1 % allows for a chat template's or tokenizer's few extra tokens; more means the "
                          "prompts were not the length the cell names"),
    remedy=("check the prompt builder's tokenizer against the served model's, then re-run",
            "核对构造输入所用的分词器与服务端模型一致后重测"),
    title_zh="输入词元总数应等于输入长度 × 成功请求数",
)
def _input_tokens(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    m = cell.metrics
    if m is None or not cell.exact_input() or not was_printed(cell, "total_input_tokens"):
        return
    expected = cell.input_len * m.completed
    ok = ok_records(cell)
    per: list[int] = []
    origin = Term("server usage", "服务端 usage")
    for r in ok:
        if r.prompt_tokens is not None:
            per.append(r.prompt_tokens)
        elif r.expected_prompt_tokens is not None:
            per.append(r.expected_prompt_tokens)
            origin = Term("client tokenizer", "客户端分词器")
    off = [p for p in per if p != cell.input_len]
    total, length, done = m.total_input_tokens, cell.input_len, m.completed
    if total == expected and not off:
        return
    if off:
        worst = max(abs(p - length) for p in off) / length
        totals = (say("input_tokens.total", total=total, input_len=length, completed=done, expected=expected)
                  if total != expected else "")
        msg = say("input_tokens.per_request", off=len(off), requests=len(per), span=span(off), origin=origin,
                  input_len=length, totals=totals)
    else:
        worst = abs(total - expected) / expected if expected else 1.0
        msg = say("input_tokens", total=total, input_len=length, completed=done, expected=expected)
    yield Issue("warning" if worst <= TOKEN_COUNT_WARN_REL else "error", msg)
