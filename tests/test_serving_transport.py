"""The load client's HTTP/1.1 transport against a raw socket server that sends exactly the bytes a
test scripts: framing (chunked, Content-Length, until close), any split of the bytes, keep-alive
and the pool limit, header and chunk limits, timeouts and resets, all as httpx's exceptions."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.serving.transport import MAX_HEADERS, MAX_LINE, StreamingTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def chunked(*pieces: bytes, trailers: bytes = b"") -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailers + b"\r\n"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":")[1])
    return head + await reader.readexactly(n)


class Server:
    """A raw server on 127.0.0.1: ``handler`` runs once per connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open = 0
        self.max_open = 0
        self.requests: list[bytes] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def answer_with(*writes: bytes, keep: bool = True, server: list[Server] | None = None) -> Handler:
    """A handler answering every request on the connection with ``writes`` (flushed one by one)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            for w in writes:
                writer.write(w)
                await writer.drain()
                await asyncio.sleep(0.001)
            if not keep:
                return

    return handler


async def get(base: str, transport: StreamingTransport | None = None, *, times: int = 1,
              timeout: float = 5.0) -> tuple[httpx.Response, list[bytes]]:
    """``times`` POSTs, one after another on one client; the last response and its body pieces."""
    t = transport or StreamingTransport(limit=4)
    async with httpx.AsyncClient(base_url=base, transport=t, timeout=timeout) as c:
        for _ in range(times):
            async with c.stream("POST", "/v1/completions", json={"x": 1}) as r:
                pieces = [p async for p in r.aiter_raw()]
        return r, pieces


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- framing


@settings(max_examples=int(os.environ.get("REPORTGEN_FUZZ_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.binary(min_size=1, max_size=300), max_size=20), cuts=st.lists(st.integers(1, 4000), max_size=15),
       ext=st.booleans(), trailers=st.booleans())
def test_chunked_body_split_anywhere_is_the_same_bytes(pieces: list[bytes], cuts: list[int], ext: bool, trailers: bool) -> None:
    body = chunked(*pieces, trailers=b"x-trailer: 1\r\n" if trailers else b"")
    if ext:
        body = body.replace(b"\r\n", b";name=value\r\n", 1) if pieces else body
    wire = OK_HEAD + body
    at = sorted({min(c, len(wire)) for c in cuts})
    writes = [wire[a:b] for a, b in zip([0, *at], [*at, len(wire)]) if b > a]

    async def go() -> None:
        srv = Server(answer_with(*writes))
        async with srv as base:
            r, got = await get(base, StreamingTransport(limit=2, read_size=64), times=2)
            assert r.status_code == 200 and b"".join(got) == b"".join(pieces)
        assert srv.connections == 1  # the same connection again: the body ended exactly

    run(go())


def test_many_chunks_in_one_read_come_in_pieces_of_about_read_size() -> None:
    events = [b"data: {\"i\":%d}\n\n" % i for i in range(2000)]

    async def go() -> None:
        async with Server(answer_with(OK_HEAD + chunked(*events))) as base:
            r, got = await get(base, StreamingTransport(read_size=4096))
            assert b"".join(got) == b"".join(events)
            assert len(got) > 5 and all(len(p) < 4096 + 40 for p in got)

    run(go())


@pytest.mark.parametrize("head, body, want", [
    (b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", b"hello", b"hello"),
    (b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", b"", b""),
    (b"HTTP/1.1 204 No Content\r\n\r\n", b"", b""),
])
def test_content_length_and_empty_bodies_keep_the_connection(head: bytes, body: bytes, want: bytes) -> None:
    async def go() -> None:
        srv = Server(answer_with(head + body))
        async with srv as base:
            r, got = await get(base, times=3)
            assert b"".join(got) == want
        assert srv.connections == 1

    run(go())


def test_body_until_close_and_connection_close_are_not_reused() -> None:
    async def go() -> None:
        srv = Server(answer_with(b"HTTP/1.1 200 OK\r\n\r\nuntil", b" the end", keep=False))
        async with srv as base:
            _, got = await get(base, times=2)
            assert b"".join(got) == b"until the end"
        assert srv.connections == 2
        srv = Server(answer_with(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", keep=False))
        async with srv as base:
            _, got = await get(base, times=2)
            assert got == [b"ok"]
        assert srv.connections == 2

    run(go())


def test_informational_answers_are_skipped() -> None:
    async def go() -> None:
        async with Server(answer_with(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: x\r\n\r\n"
                                      b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok")) as base:
            r, got = await get(base)
            assert r.status_code == 201 and got == [b"ok"]

    run(go())


def test_bytes_after_the_body_retire_the_connection() -> None:
    async def go() -> None:
        srv = Server(answer_with(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA"))
        async with srv as base:
            _, got = await get(base, times=2)
            assert got == [b"ok"]
        assert srv.connections == 2

    run(go())


def test_request_on_the_wire() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")

    async def go() -> None:
        async with Server(handler) as base:
            async with httpx.AsyncClient(base_url=base, transport=StreamingTransport(), headers={"Authorization": "Bearer k"}) as c:
                r = await c.post("/v1/completions?x=1", content=b'{"a":1}')
                assert r.status_code == 200

    run(go())
    head, _, body = seen[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/completions?x=1 HTTP/1.1"
    assert b"authorization: Bearer k" in [ln.lower()[:14] + ln[14:] for ln in lines]
    assert b"content-length: 7" in [ln.lower() for ln in lines] and body == b'{"a":1}'


# --------------------------------------------------------------------------- pool


def test_pool_limit_and_keep_alive_across_concurrent_streams() -> None:
    async def go() -> None:
        srv = Server(answer_with(OK_HEAD, chunked(b"a" * 100, b"b")))
        async with srv as base:
            t = StreamingTransport(limit=2)
            async with httpx.AsyncClient(base_url=base, transport=t) as c:
                async def one() -> bytes:
                    async with c.stream("POST", "/", content=b"x") as r:
                        return b"".join([p async for p in r.aiter_raw()])

                got = await asyncio.gather(*(one() for _ in range(8)))
        assert got == [b"a" * 100 + b"b"] * 8
        assert srv.max_open == 2 and srv.connections == 2

    run(go())


def test_idle_connection_past_keepalive_is_not_reused() -> None:
    async def go() -> None:
        srv = Server(answer_with(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"))
        async with srv as base:
            async with httpx.AsyncClient(base_url=base, transport=StreamingTransport(keepalive_s=0.2)) as c:
                for pause in (0.0, 0.05, 0.3):
                    await asyncio.sleep(pause)
                    assert (await c.post("/", content=b"x")).content == b"ok"
        assert srv.connections == 2  # reused after 50 ms, not after 300 ms

    run(go())


def test_unread_body_retires_the_connection() -> None:
    async def go() -> None:
        srv = Server(answer_with(OK_HEAD + chunked(b"a", b"b")))
        async with srv as base:
            t = StreamingTransport()
            async with httpx.AsyncClient(base_url=base, transport=t) as c:
                for _ in range(2):
                    async with c.stream("POST", "/", content=b"x") as r:
                        assert r.status_code == 200  # body never read
        assert srv.connections == 2

    run(go())


# --------------------------------------------------------------------------- what a server may not send


@pytest.mark.parametrize("wire, error", [
    # the response headers within the limits every client shares (collectors.answers.LIMITS), worded as there
    (b"HTTP/1.1 200 OK\r\n" + b"x-h: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n", "the server sent more than 100 response headers"),
    (b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * (MAX_LINE + 1) + b"\r\n\r\n",
     "the server sent a response header longer than 16384 bytes (the client accepts 16384)"),
    (b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * (200 << 10), "the server sent a response header longer than 16384 bytes"),
    (b"HTTP/1.1 200 OK\r\n" + b"x-h: 1\r\n" * 2000, "the server sent more than 100 response headers"),
    (b"HTTP/1.1 200 OK\r\n" + b"x-mid: " + b"b" * 12_000 + b"\r\n" * 1 + (b"x-mid: " + b"b" * 12_000 + b"\r\n") * 5 + b"\r\n",
     "bytes of response headers (the client accepts 65536)"),  # each line fits, the block does not
    (b"HTTP/1.1 200 OK\r\n" + (b"x-mid: " + b"b" * 12_000 + b"\r\n") * 8,
     "the server sent more than 65536 bytes of response headers"),  # still arriving
    (b"SMTP ready\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 2000 OK\r\n\r\n", "malformed status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed response header line"),
    (b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "malformed response header line"),
    (b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n", "malformed Content-Length"),
    (b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab", "malformed Content-Length"),
    (OK_HEAD + b"zz\r\nab\r\n0\r\n\r\n", "malformed chunked body: chunk size b'zz'"),
    (OK_HEAD + b"-5\r\nab\r\n0\r\n\r\n", "malformed chunked body: chunk size b'-5'"),
    (OK_HEAD + b"1_0\r\n", "malformed chunked body: chunk size b'1_0'"),
    (OK_HEAD + b"1" * 17 + b"\r\n", "malformed chunked body: chunk size"),
    (OK_HEAD + b"2\r\nabXY0\r\n\r\n", "malformed chunked body: no CRLF after a chunk"),
    (OK_HEAD + b"1" + b" " * 2000, "malformed chunked body: chunk-size line longer than 1024 bytes"),
    (OK_HEAD + b"2\r\nab\r\n", "server closed the connection before the response ended"),
    (b"", "server closed the connection before the response ended"),
])
def test_malformed_answers_are_one_protocol_error(wire: bytes, error: str) -> None:
    async def go() -> None:
        async with Server(answer_with(wire, keep=False)) as base:
            with pytest.raises(httpx.RemoteProtocolError) as e:
                await get(base)
            assert error in str(e.value)

    run(go())


def test_silence_is_a_read_timeout_and_a_reset_a_read_error() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK_HEAD + b"1\r\na\r\n")
        await asyncio.sleep(2)

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK_HEAD + b"1\r\na\r\n")
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    async def go() -> None:
        async with Server(silent) as base:
            with pytest.raises(httpx.ReadTimeout):
                await get(base, timeout=0.2)
        async with Server(reset) as base:
            with pytest.raises(httpx.ReadError) as e:
                await get(base)
            assert isinstance(e.value.__cause__, ConnectionResetError)

    run(go())


def test_connect_errors_are_httpx_errors_with_the_os_error_as_cause() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()

    async def go() -> None:
        with pytest.raises(httpx.ConnectError) as e:
            await get(f"http://127.0.0.1:{port}")
        assert isinstance(e.value.__cause__, ConnectionRefusedError)
        with pytest.raises(httpx.UnsupportedProtocol):
            await get("ftp://127.0.0.1:1")

    run(go())


def test_a_large_body_through_a_small_buffer_pauses_and_resumes_reading() -> None:
    big = os.urandom(3 << 20)

    async def go() -> None:
        async with Server(answer_with(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(big) + big)) as base:
            t = StreamingTransport(buffer_bytes=64 << 10)
            async with httpx.AsyncClient(base_url=base, transport=t) as c:
                async with c.stream("POST", "/", content=b"x") as r:
                    got = []
                    async for p in r.aiter_raw():
                        got.append(p)
                        await asyncio.sleep(0)
        assert b"".join(got) == big

    run(go())


def test_https_with_a_trusted_certificate(tmp_path: Path) -> None:
    import ssl

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       capture_output=True)
    if r.returncode:
        pytest.skip("openssl cannot make a certificate here")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    async def go() -> None:
        server = await asyncio.start_server(
            lambda rd, wr: answer_with(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")(rd, wr), "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient(transport=StreamingTransport(verify=client_ctx)) as c:
                r = await c.post(f"https://localhost:{port}/", content=b"x")
                assert r.content == b"ok"
            with pytest.raises(httpx.ConnectError):
                async with httpx.AsyncClient(transport=StreamingTransport()) as c:  # the system CAs do not know it
                    await c.post(f"https://localhost:{port}/", content=b"x")
        finally:
            server.close()

    run(go())


def test_an_endless_error_body_is_cut_not_read_to_its_end() -> None:
    from collectors.serving.client import RequestParams, make_client, stream_completion
    from collectors.serving.prompts import PromptSample

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n")
        while True:  # never ends
            writer.write(chunked(b"overloaded " * 1000)[:-5])
            await writer.drain()

    async def go() -> None:
        async with Server(endless) as base, make_client(base, 1) as c:
            sample = PromptSample(key="k", text="hi", prompt_tokens=1, sha256="0" * 64)
            rec = await asyncio.wait_for(stream_completion(c, sample, RequestParams(model="m", max_tokens=2), t0=0.0, index=0), 10)
        assert rec.http_status == 503 and rec.error is not None
        assert rec.error.startswith("HTTP 503: overloaded overloaded") and len(rec.error) < 320

    run(go())
