"""Validity checks on what the serving client saw in the streams (registered into ``reportgen.validity``).

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
from reportgen.validity import CHECK_TITLES_ZH, Issue, Msg, _check


@_check("response_model", "cell", "streamed chunks name a model other than the requested one -> warning")
def _response_model(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    asked = cell.request_params.get("model")
    if not isinstance(asked, str):
        return
    other = [m for m in cell.response_models if m != asked]
    if other:
        names = ", ".join(repr(m[:80]) for m in other[:3]) + (" …" if len(other) > 3 else "")
        yield Issue(
            "warning",
            Msg(
                f"the server's chunks named model {names}, the requests asked for {asked!r}: "
                "the figures may belong to another model",
                f"服务端返回的数据块标注的模型为 {names}，而请求的模型为 {asked!r}：测试数据可能来自其他模型",
            ),
        )


@_check("chunks_after_done", "cell", "events after [DONE] in some streams (not timed, not counted) -> warning")
def _chunks_after_done(cell: ServingCell, v: ModelVariant) -> Iterator[Issue]:
    hit = [r.chunks_after_done for r in cell.requests if r.chunks_after_done]
    if hit:
        n, total = len(hit), sum(x for x in hit if x is not None)
        yield Issue(
            "warning",
            Msg(
                f"{n} request(s) received {total} event(s) after [DONE]; they were left out of TPOT, ITL and "
                "end-to-end latency, but the server's stream is malformed",
                f"{n} 个请求在 [DONE] 之后又收到 {total} 个事件；这些事件未计入 TPOT、ITL 和端到端延迟，但服务端的流式输出不合规范",
            ),
        )


CHECK_TITLES_ZH.update(
    {
        "response_model": "流式数据块标注的模型应与请求的模型一致",
        "chunks_after_done": "流式输出在 [DONE] 之后不应再有事件",
    }
)
