"""The one Server-Sent Events parser: raw reads in, ``data:`` payloads out.

Each read is split once (linear in its size); the pieces of an unfinished event are
joined once, when it ends, so the cost per event does not grow with the
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

    Linear in the input: each read is scanned once; the pieces of an unfinished event are
    kept in a list and joined once, when its blank line arrives (joining the held-back tail
    to every read made one 30 MB event cost a minute).
    """

    __slots__ = ("_parts", "_pending", "_ends_nl", "_cr", "_nl")

    def __init__(self) -> None:
        self._parts: list[bytes] = []  # pieces of the unfinished event
        self._pending = 0
        self._ends_nl = False  # the held-back text ends with "\n" (a "\n" next completes an event)
        self._cr = False  # the previous read ended with "\r" (a "\n" next is the rest of "\r\n")
        self._nl = False  # some held-back piece holds a "\n" (the event may have several lines)

    def feed(self, data: bytes) -> list[bytes]:
        if not data:
            return []
        if self._cr and data[:1] == b"\n":
            data = data[1:]  # "\r" | "\n" split across two reads: already counted as one line end
        if b"\r" in data:
            self._cr = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            self._cr = False
        if not data:
            return []
        out: list[bytes] = []
        if self._ends_nl and data[:1] == b"\n":
            # the blank line straddles two reads
            self._emit(b"".join(self._parts), out)
            self._parts, self._pending, self._nl = [], 0, False
            data = data[1:]
        if b"\n" not in data:
            # no line end, so no blank line: the event goes on (one memchr; a two-byte search
            # over a long event's reads would cost several times its receiving)
            if data:
                self._parts.append(data)
                self._pending += len(data)
            self._ends_nl = False
            return out
        events = data.split(b"\n\n")
        tail = events.pop()
        if events:
            if self._parts:  # the held-back start of the first event
                self._parts.append(events[0])
                self._emit_parts(b"\n" in events[0], out)
                self._parts, self._pending, self._nl = [], 0, False
                del events[0]
            # the usual one-line "data: ..." events in one comprehension, no call per event;
            # if any has another shape, the general rules, event by event
            got = [e[6:] for e in events if e[:6] == b"data: " and b"\n" not in e]
            if len(got) == len(events):
                out += got
            else:
                for event in events:
                    self._emit(event, out)
        if tail:
            self._parts.append(tail)
            self._pending += len(tail)
            self._nl = self._nl or b"\n" in tail
        self._ends_nl = data.endswith(b"\n")
        return out

    def _emit_parts(self, nl: bool, out: list[bytes]) -> None:
        """A long event held back in pieces: a one-line ``data:`` event is joined straight into
        its payload (one copy of it, not two)."""
        parts, first = self._parts, self._parts[0]
        if not (nl or self._nl) and len(first) >= 6 and first.startswith(b"data:"):
            parts[0] = first[6:] if first[5:6] == b" " else first[5:]
            out.append(b"".join(parts))
        else:
            self._emit(b"".join(parts), out)

    @staticmethod
    def _emit(event: bytes, out: list[bytes]) -> None:
        payload = _payload(event.strip(b"\n")) if event else None
        if payload is not None:
            out.append(payload)

    def close(self) -> list[bytes]:
        """The last event when the stream ended without its blank line (vLLM accepts it)."""
        tail = b"".join(self._parts).strip(b"\n")
        self._parts, self._pending, self._ends_nl, self._cr, self._nl = [], 0, False, False, False
        if not tail:
            return []
        payload = _payload(tail)
        return [payload] if payload is not None else []

    @property
    def pending(self) -> int:
        """Bytes of an unfinished event held back."""
        return self._pending


def _payload(event: bytes) -> bytes | None:
    # Fast path: one "data: ..." line, the shape every OpenAI-compatible server sends.
    if event.startswith(b"data:") and b"\n" not in event:
        return event[6:] if event[5:6] == b" " else event[5:]  # one copy, even of a 30 MB event
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
