"""Stream rules: what the serving client saw in the server's streams.

* ``response_model``: the chunks named a model other than the one the requests asked for
  (``ServingCell.response_models`` against ``request_params["model"]``): the figures may belong to
  another model than the variant says (a proxy routing elsewhere, one server under two labels).
  A warning: some servers name a fixed alias or a path in every chunk.
* ``chunks_after_done``: a server sent events after ``[DONE]``. The client counts them
  (``RequestRecord.chunks_after_done``) and keeps them out of TPOT, ITL and E2EL; the server's
  stream is still wrong, and its token counts may disagree with the timed chunks.
"""

from __future__ import annotations

from collections.abc import Iterator

from reportgen.results import ModelVariant, ServingCell
from reportgen.validity.messages import say
from reportgen.validity.registry import Issue, Source, rule


@rule(
    "response_model", family="serving", scope="cell", severity="warning",
    description="streamed chunks name a model other than the requested one -> warning",
    source=Source("ours", "a figure is the variant's only if the variant's model answered; some servers name a "
                          "fixed alias in every chunk, so it warns rather than invalidates"),
    remedy=("check that the base URL reaches the intended server and that it serves the requested model "
            "(not a proxy, a load balancer or another server at that address), then re-run",
            "确认 base URL 指向预期的服务端且其服务的正是所请求的模型（而非代理、负载均衡或同一地址下的其他服务端），然后重测"),
    title_zh="流式数据块标注的模型应与请求的模型一致",
)
def _response_model(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    asked = cell.request_params.get("model")
    if not isinstance(asked, str):
        return
    other = [m for m in cell.response_models if m != asked]
    if other:
        names = ", ".join(repr(m[:80]) for m in other[:3]) + (" …" if len(other) > 3 else "")
        yield Issue("warning", say("response_model", named=names, asked=repr(asked)))


@rule(
    "chunks_after_done", family="serving", scope="cell", severity="warning",
    description="events after [DONE] in some streams (not timed, not counted) -> warning",
    source=Source("ours", "[DONE] ends an OpenAI-compatible stream; what follows it is not part of the answer"),
    remedy=("report the server's stream to its maintainers; the timings leave those events out, the token "
            "counts are the server's usage",
            "向服务端维护者报告该流式输出问题；计时已排除这些事件，词元数取自服务端的 usage"),
    title_zh="流式输出在 [DONE] 之后不应再有事件",
)
def _chunks_after_done(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    hit = [r.chunks_after_done for r in cell.requests if r.chunks_after_done]
    if hit:
        yield Issue("warning", say("chunks_after_done", requests=len(hit), events=sum(x for x in hit if x is not None)))
