"""The one Server-Sent Events parser: raw reads in, ``data:`` payloads out.

Each read is split once (linear in its size); only the unfinished tail of the
previous read is carried over, so the cost per event does not grow with the
response or with the read size (vLLM's and evalscope's splitters re-scan the whole
buffer per event; ``benchmarks/client_overhead.py``).

Per the SSE spec an event ends at a blank line; ``data:`` lines of one event are
joined with ``\\n``; lines starting with ``:`` are comments (pings); other fields
(``event:``, ``id:``, ``retry:``) are ignored. ``\\r\\n`` line ends are accepted.
"""

from __future__ import annotations

__all__ = ["SSEParser"]


class SSEParser:
    """Incremental parser. ``feed(read) -> [payload, ...]``; ``close() -> [payload]``.

    Payloads are the raw bytes after ``data:`` (one leading space stripped), e.g.
    ``b'{"id": ...}'`` or ``b'[DONE]'``.
    """

    __slots__ = ("_tail", "_crlf")

    def __init__(self) -> None:
        self._tail = b""
        self._crlf = False

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._tail + data if self._tail else data
        if not self._crlf and b"\r" in data:
            self._crlf = True
        if self._crlf:
            # A "\r" at the very end may be the first half of "\r\n": keep it for the next read.
            if buf.endswith(b"\r"):
                self._tail = buf
                return []
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        parts = buf.split(b"\n\n")
        self._tail = parts.pop()
        out: list[bytes] = []
        for event in parts:
            payload = _payload(event)
            if payload is not None:
                out.append(payload)
        return out

    def close(self) -> list[bytes]:
        """The last event when the stream ended without its blank line (vLLM accepts it)."""
        tail, self._tail = self._tail, b""
        if self._crlf:
            tail = tail.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        tail = tail.strip(b"\n")
        if not tail:
            return []
        payload = _payload(tail)
        return [payload] if payload is not None else []

    @property
    def pending(self) -> int:
        """Bytes of an unfinished event held back."""
        return len(self._tail)


def _payload(event: bytes) -> bytes | None:
    # Fast path: one "data: ..." line, the shape every OpenAI-compatible server sends.
    if event.startswith(b"data:") and b"\n" not in event:
        v = event[5:]
        return v[1:] if v[:1] == b" " else v
    data: list[bytes] = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            v = line[5:]
            data.append(v[1:] if v[:1] == b" " else v)
        elif line == b"data":
            data.append(b"")
        # comments (":...") and other fields are ignored
    if not data:
        return None
    return b"\n".join(data)
