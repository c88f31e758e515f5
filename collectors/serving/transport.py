"""The load client's HTTP/1.1 transport: httpx's API over a plain asyncio protocol.

Why not aiohttp (the previous transport, ``httpx_aiohttp``): its stream reader handles every HTTP
chunk of a chunked response in several Python calls (a buffer entry, a chunk-split entry, a
flow-control check that re-enters the protocol), and a token stream is one HTTP chunk per token.
With the same SSE parser and chunk decoding on top, this transport lets the client consume 1.5×
as many chunks per CPU second (``benchmarks/client_overhead.py``, README: design): the client must
not be the bottleneck it measures. Everything else stays httpx's: request building, auth, timeouts, exceptions.

What it does, and no more:

* One pool of keep-alive connections per transport (``limit`` connections at most; a request waits
  for a free one); a connection idle for ``keepalive_s`` (below uvicorn's 5 s) is not reused, nor
  one whose response was not read to its end or that said ``Connection: close``.
* Responses framed by ``Transfer-Encoding: chunked``, ``Content-Length`` or the end of the
  connection (RFC 9112 §6.3); 1xx answers are skipped; no body for HEAD, 204 and 304.
* The body is handed on as it arrives, de-chunked, about ``read_size`` bytes per piece (small
  pieces keep the streams fair: each read ends with a yield to the loop in the client), buffering
  at most ``buffer_bytes`` per connection before it stops reading the socket (a large buffer: a
  client that stops reading throttles the server; vLLM #39963).
* Limits on what a server may send: the response headers as every client of reportgen takes them
  (``collectors.answers.LIMITS``: lines, bytes a line, bytes in all; a violation is
  ``answers.LimitExceeded`` worded as on the other transports), a chunk-size line of 1024 bytes,
  trailers within the same limits. A malformed status line, chunk size or ``Content-Length`` is
  ``httpx.RemoteProtocolError`` naming it.
* Errors are httpx's: ``ConnectError``/``ConnectTimeout``, ``ReadTimeout`` (no byte for the read
  timeout), ``WriteTimeout``, ``ReadError`` (the connection reset or closed mid-response; the OS
  error is its ``__cause__``), ``RemoteProtocolError``.

No proxies, no HTTP/2, no decompression (the client asks for ``identity``), no redirects (httpx
decides), no request body streaming beyond reading it into memory.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import cast

import httpx

from collectors.answers import LIMITS, LimitExceeded, header_violation

__all__ = ["StreamingTransport"]

MAX_LINE = LIMITS.max_header_line  # bytes in one status or header line
MAX_HEADERS = LIMITS.max_headers  # header lines in one response
MAX_HEAD = LIMITS.max_header_block  # bytes of all the response headers
MAX_CHUNK_LINE = 1024  # bytes in a chunk-size line, extensions included
_CHUNKED, _LENGTH, _CLOSE, _EMPTY = range(4)


class _Conn(asyncio.Protocol):
    """One TCP (or TLS) connection: bytes received are queued until the response reads them."""

    __slots__ = ("transport", "_in", "_size", "_waiter", "_drain", "_eof", "_exc", "_paused", "_high", "idle_since",
                 "reusable", "key")

    def __init__(self, high: int) -> None:
        self.transport: asyncio.Transport | None = None
        self._in: list[bytes] = []
        self._size = 0
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._eof = False
        self._exc: BaseException | None = None
        self._paused = False
        self._high = high
        self.idle_since = 0.0
        self.reusable = False
        self.key: tuple[str, str, int] = ("", "", 0)

    # -- protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (uvloop's is not a subclass of asyncio.Transport: no isinstance check)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._in.append(data)
        self._size += len(data)
        if self._size > self._high and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        w = self._waiter
        if w is not None:
            self._waiter = None
            if not w.done():
                w.set_result(None)

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._exc = exc
        self.transport = None
        self._wake()
        d = self._drain
        if d is not None and not d.done():
            d.set_result(None)

    def pause_writing(self) -> None:
        self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        d, self._drain = self._drain, None
        if d is not None and not d.done():
            d.set_result(None)

    def _wake(self) -> None:
        w, self._waiter = self._waiter, None
        if w is not None and not w.done():
            w.set_result(None)

    # -- used by the response
    @property
    def closed(self) -> bool:
        return self.transport is None or self._eof or self.transport.is_closing()

    def take(self) -> bytes:
        """Everything received and not yet taken ("" when nothing)."""
        parts = self._in
        if not parts:
            return b""
        self._in = []
        self._size = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def wait(self, timeout: float | None) -> None:
        """Until more bytes arrived; ``ReadError`` at the end of the connection, ``ReadTimeout``
        after ``timeout`` seconds without a byte."""
        if self._in:
            return
        if self._eof:
            if self._exc is not None:
                raise httpx.ReadError(f"{type(self._exc).__name__}: {self._exc}") from self._exc
            raise httpx.RemoteProtocolError("server closed the connection before the response ended")
        loop = asyncio.get_running_loop()
        w = self._waiter = loop.create_future()
        timer = loop.call_later(timeout, _expire, w) if timeout is not None else None
        try:
            await w
        finally:
            if timer is not None:
                timer.cancel()
        if not self._in:
            await self.wait(timeout)  # woken by the end of the connection: say which

    async def write(self, data: bytes, timeout: float | None) -> None:
        if self.transport is None:
            raise httpx.WriteError("the connection is closed")
        self.transport.write(data)
        d = self._drain
        if d is not None:
            try:
                await asyncio.wait_for(asyncio.shield(d), timeout)
            except asyncio.TimeoutError:
                raise httpx.WriteTimeout(f"could not send the request within {timeout:g} s") from None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self._eof = True


def _expire(w: asyncio.Future[None]) -> None:
    if not w.done():
        w.set_exception(httpx.ReadTimeout("no data from the server within the read timeout"))


class StreamingTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=StreamingTransport(limit=N))``; see the module docstring."""

    def __init__(
        self,
        *,
        limit: int = 100,
        read_size: int = 16 << 10,
        buffer_bytes: int = 4 << 20,
        keepalive_s: float = 4.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._n = max(1, limit)
        self._read_size = read_size
        self._buffer = buffer_bytes
        self._keepalive = keepalive_s
        self._verify = verify
        self._ssl: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._open: set[_Conn] = set()
        self._sem: asyncio.Semaphore | None = None  # made in the running loop, at the first request

    # -- connections
    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Conn:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ctx = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = self._verify if isinstance(self._verify, ssl.SSLContext) else httpx.create_ssl_context(verify=self._verify)
            ctx = self._ssl
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Conn(self._buffer), host, port, ssl=ctx), timeout
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"could not connect to {host}:{port} within {timeout:g} s") from None
        except OSError as e:
            raise httpx.ConnectError(f"{type(e).__name__}: {e}") from e
        conn.key = key
        self._open.add(conn)
        return conn

    def _reuse(self, key: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.closed and not conn._in and now - conn.idle_since < self._keepalive:
                return conn
            self._drop(conn)
        return None

    def _drop(self, conn: _Conn) -> None:
        conn.close()
        self._open.discard(conn)

    def _release(self, conn: _Conn, reusable: bool) -> None:
        assert self._sem is not None
        self._sem.release()
        if reusable and not conn.closed and not conn._in:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
        else:
            self._drop(conn)

    # -- one exchange
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self._n)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        pool_t = timeouts.get("pool")
        try:
            await asyncio.wait_for(self._sem.acquire(), pool_t)
        except asyncio.TimeoutError:
            raise httpx.PoolTimeout(f"no free connection within {pool_t:g} s") from None
        conn: _Conn | None = None
        try:
            conn = self._reuse(key) or await self._connect(key, timeouts.get("connect"))
            body = await request.aread()
            head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
            has_length = False
            for name, value in request.headers.raw:
                low = name.lower()
                if low == b"content-length":
                    has_length = True
                elif low == b"transfer-encoding":
                    continue  # the body is sent whole, with its length
                head.append(b"%s: %s\r\n" % (name, value))
            if not has_length and (body or request.method in ("POST", "PUT", "PATCH")):
                head.append(b"Content-Length: %d\r\n" % len(body))
            head.append(b"\r\n")
            await conn.write(b"".join(head) + body, timeouts.get("write"))
            read_t = timeouts.get("read")
            buf = b""
            while True:  # 1xx answers come before the real one
                buf, status, reason, version, headers = await _read_head(conn, buf, read_t)
                if status >= 200:
                    break
            framing, length, keep = _framing(request.method, status, version, headers)
            stream = _Body(self, conn, buf, framing, length, keep, read_t, self._read_size)
        except BaseException:
            if conn is not None:
                self._drop(conn)
            self._sem.release()
            raise
        return httpx.Response(
            status, headers=headers, stream=stream,
            extensions={"http_version": version, "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()


async def _read_head(conn: _Conn, buf: bytes, timeout: float | None) -> tuple[bytes, int, bytes, bytes, list[tuple[bytes, bytes]]]:
    """Status line and headers; returns what follows them, the status, reason, version, headers."""
    start = 0
    while True:
        end = buf.find(b"\r\n\r\n", start)
        if end >= 0:
            break
        if len(buf) - buf.rfind(b"\r\n") > MAX_LINE + 2:  # the line being received
            raise LimitExceeded(f"the server sent a response header longer than {MAX_LINE} bytes (the client accepts {MAX_LINE})")
        if buf.count(b"\r\n") > MAX_HEADERS + 1:
            raise LimitExceeded(f"the server sent more than {MAX_HEADERS} response headers (the client accepts {MAX_HEADERS})")
        if len(buf) > MAX_HEAD + MAX_LINE:  # the status line aside
            raise LimitExceeded(f"the server sent more than {MAX_HEAD} bytes of response headers (the client accepts {MAX_HEAD})")
        start = max(0, len(buf) - 3)
        await conn.wait(timeout)
        buf += conn.take()
    lines = buf[:end].split(b"\r\n")
    rest = buf[end + 4:]
    if len(lines) - 1 > MAX_HEADERS:
        raise LimitExceeded(f"the server sent more than {MAX_HEADERS} response headers (the client accepts {MAX_HEADERS})")
    status_line = lines[0]
    parts = status_line.split(b" ", 2)
    if (len(status_line) > MAX_LINE or len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0")
            or len(parts[1]) != 3 or not parts[1].isdigit()):
        raise httpx.RemoteProtocolError(f"malformed status line: {status_line[:120]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if len(line) > MAX_LINE:
            raise LimitExceeded(f"the server sent a response header longer than {MAX_LINE} bytes (the client accepts {MAX_LINE})")
        if not sep or not name or name != name.strip() or b" " in name or b"\t" in name:
            raise httpx.RemoteProtocolError(f"malformed response header line: {line[:120]!r}")
        headers.append((name, value.strip(b" \t")))
    bad = header_violation(headers)
    if bad is not None:
        raise LimitExceeded(f"the server sent {bad}")
    return rest, int(parts[1]), parts[2] if len(parts) > 2 else b"", parts[0], headers


def _framing(method: str, status: int, version: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, int, bool]:
    """How the body ends (RFC 9112 §6.3), its length, and whether the connection may be reused."""
    te: list[bytes] = []
    lengths: set[bytes] = set()
    close = version == b"HTTP/1.0"
    for name, value in headers:
        low = name.lower()
        if low == b"transfer-encoding":
            te += [v.strip().lower() for v in value.split(b",") if v.strip()]
        elif low == b"content-length":
            lengths.update(v.strip() for v in value.split(b","))
        elif low == b"connection":
            tokens = {v.strip().lower() for v in value.split(b",")}
            if b"close" in tokens:
                close = True
            elif b"keep-alive" in tokens and version == b"HTTP/1.0":
                close = False
    if method == "HEAD" or status in (204, 304):
        return _EMPTY, 0, not close
    if te:
        if te[-1] == b"chunked":
            return _CHUNKED, 0, not close and not lengths
        return _CLOSE, 0, False
    if lengths:
        (v,) = lengths if len(lengths) == 1 else (b"",)
        if not v.isdigit() or len(v) > 18:
            raise httpx.RemoteProtocolError(f"malformed Content-Length: {b','.join(sorted(lengths))[:80]!r}")
        return _LENGTH, int(v), not close
    return _CLOSE, 0, False


class _Body(httpx.AsyncByteStream):
    """A response body as it arrives: de-chunked, in pieces of about ``read_size`` bytes."""

    def __init__(self, owner: StreamingTransport, conn: _Conn, buf: bytes, framing: int, length: int, keep: bool,
                 timeout: float | None, read_size: int) -> None:
        self._owner, self._conn, self._buf = owner, conn, buf
        self._framing, self._left, self._keep = framing, length, keep
        self._timeout, self._read_size = timeout, read_size
        self._complete = framing == _EMPTY or (framing == _LENGTH and length == 0)
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._complete:
            return
        body = self._chunked() if self._framing == _CHUNKED else self._plain()
        async for piece in body:
            yield piece

    async def _plain(self) -> AsyncIterator[bytes]:
        """A body of ``Content-Length`` bytes, or one that ends with the connection."""
        conn, buf = self._conn, self._buf
        self._buf = b""
        length = self._framing == _LENGTH
        while True:
            if buf:
                if length and len(buf) >= self._left:
                    piece = buf[: self._left]
                    if len(buf) > self._left:
                        self._keep = False  # bytes after the body: the connection is out of step
                    self._left = 0
                    self._complete = True
                    yield piece
                    return
                self._left -= len(buf)
                yield buf
            try:
                await conn.wait(self._timeout)
            except httpx.RemoteProtocolError:  # the connection ended cleanly
                if length:
                    raise
                self._complete = True  # which is the end of this body
                return
            buf = conn.take()

    async def _chunked(self) -> AsyncIterator[bytes]:
        """The hot path of a token stream: many small chunks per read, decoded in one loop."""
        conn, buf, pos = self._conn, self._buf, 0
        self._buf = b""
        remaining = 0  # data bytes of the current chunk still to come
        crlf = False  # the CRLF after a chunk's data is still to come
        limit = self._read_size
        while True:
            pieces: list[bytes] = []
            got = 0
            n = len(buf)
            while got < limit:
                if remaining:
                    take = min(remaining, n - pos)
                    if not take:
                        break
                    pieces.append(buf[pos:pos + take])
                    pos += take
                    got += take
                    remaining -= take
                    if remaining:
                        break
                    crlf = True
                if crlf:
                    if n - pos < 2:
                        break
                    if buf[pos:pos + 2] != b"\r\n":
                        raise httpx.RemoteProtocolError(f"malformed chunked body: no CRLF after a chunk: {buf[pos:pos + 20]!r}")
                    pos += 2
                    crlf = False
                e = buf.find(b"\r\n", pos, pos + MAX_CHUNK_LINE + 2)
                if e < 0:
                    if n - pos > MAX_CHUNK_LINE:
                        raise httpx.RemoteProtocolError(f"malformed chunked body: chunk-size line longer than {MAX_CHUNK_LINE} bytes")
                    break
                tok = buf[pos:e]
                try:
                    size = int(tok, 16) if tok.isalnum() and len(tok) <= 16 else _chunk_size(tok)
                except ValueError:
                    raise httpx.RemoteProtocolError(f"malformed chunked body: chunk size {tok[:40]!r}") from None
                pos = e + 2
                if size == 0:
                    if pieces:
                        yield b"".join(pieces)
                    await self._trailers(buf[pos:])
                    return
                end = pos + size
                if end + 2 <= n and buf[end:end + 2] == b"\r\n":  # the whole chunk is here
                    pieces.append(buf[pos:end])
                    pos = end + 2
                    got += size
                else:
                    remaining = size
            if pieces:
                yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
                continue
            await conn.wait(self._timeout)
            buf = buf[pos:] + conn.take()
            pos = 0

    async def _trailers(self, buf: bytes) -> None:
        """Trailer lines after the last chunk, up to the blank line (kept nowhere)."""
        while True:
            if buf.startswith(b"\r\n"):
                rest = buf[2:]
                break
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                if buf[:end].count(b"\r\n") + 1 > MAX_HEADERS:
                    raise httpx.RemoteProtocolError(f"malformed chunked body: more than {MAX_HEADERS} trailer lines")
                rest = buf[end + 4:]
                break
            if len(buf) > MAX_HEAD:
                raise httpx.RemoteProtocolError(f"malformed chunked body: trailers of more than {MAX_HEAD} bytes")
            await self._conn.wait(self._timeout)
            buf += self._conn.take()
        if rest:
            self._keep = False
        self._complete = True

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._owner._release(self._conn, self._keep and self._complete)


def _chunk_size(tok: bytes) -> int:
    """A chunk-size line other than plain hex digits: extensions (``;name=value``) are ignored."""
    size = tok.split(b";", 1)[0].strip(b" \t")
    if not size or len(size) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in size):
        raise httpx.RemoteProtocolError(f"malformed chunked body: chunk size {tok[:40]!r}")
    return int(size, 16)
