"""Bounded captures of a child's output: the first ``MAX_CAPTURE_BYTES`` of each stream kept, every
byte counted (``Capture``), read until the streams close or a deadline passes (``drain``), with its
standard input written from a thread (``feed``). ``collectors.execution`` runs every local command
through them; its SSH side feeds the same ``Capture`` from the channel."""

from __future__ import annotations

import os
import selectors
import subprocess
import threading
import time
from typing import IO

from reportgen.ranges import MAX_CAPTURE_BYTES

__all__ = ["Capture", "drain", "feed"]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class Capture:
    """One output stream, bounded: the first ``limit`` bytes kept, every byte counted."""

    __slots__ = ("data", "limit", "total")

    def __init__(self, limit: int = MAX_CAPTURE_BYTES) -> None:
        self.data = bytearray()
        self.limit = limit
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        return _decode(bytes(self.data))

    @property
    def dropped_total(self) -> int | None:
        """The stream's full size when bytes were dropped, else None."""
        return self.total if self.total > len(self.data) else None


def feed(pipe: IO[bytes], data: bytes) -> None:
    """Write ``data`` to a child's standard input from a thread, then close it (a child that does
    not read must not block us; the data are small: an environment file)."""
    def write() -> None:
        try:
            pipe.write(data)
        except OSError:
            pass
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    threading.Thread(target=write, daemon=True).start()


def drain(proc: subprocess.Popen[bytes], streams: dict[IO[bytes], Capture], deadline: float) -> bool:
    """Read every stream into its capture until all are closed and ``proc`` has exited (True), or
    ``deadline`` passes (False). Bounded memory whatever the child writes."""
    with selectors.DefaultSelector() as sel:
        for pipe, cap in streams.items():
            if pipe is not None and not pipe.closed:
                sel.register(pipe, selectors.EVENT_READ, cap)
        while sel.get_map():
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            for key, _ in sel.select(min(left, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    key.data.add(chunk)
                else:
                    sel.unregister(key.fileobj)
    try:
        proc.wait(timeout=max(0.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        return False
    return True
