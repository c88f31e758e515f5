"""One writer per results file: an exclusive ``flock`` on a lock file beside it.

Two commands writing one results file at once (two ``bench -o same.json``) would each save
the document they loaded, and the last save would silently drop the other's measurements.
``ResultsStore.open`` therefore takes this lock *before* it reads the file and keeps it until
the command ends: a second writer says once which process holds the file and waits, then
loads the file with the first run's measurements in it and adds its own. Waiting also keeps
two runs from loading one server at once, which would spoil both measurements.

The lock is ``fcntl.flock`` on ``.NAME.lock`` in the file's folder (the results file itself
is replaced on every atomic save, so a lock on it would not survive one). The kernel drops
the lock when its holder exits, however it exits: a crashed run never leaves the file locked
(only, then, an empty lock file). The holder removes the lock file before it lets go, and a
waiter that wakes on a removed file starts again on the new one, so two writers never hold
locks on two different files of one name. Locks are re-entrant within one process: a command
that opens the same file twice must not wait for itself.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from reportgen.errors import ResultsError

__all__ = ["ResultsLock", "lock_path"]

# per resolved lock path: [fd, holders in this process]
_HELD: dict[str, list[int]] = {}


def lock_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(f".{p.name}.lock")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class ResultsLock:
    """The exclusive lock of one results file (``acquire`` waits, ``release`` lets go)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.file = lock_path(path)
        self._key = str(self.file.resolve())
        self.held = False

    def acquire(self, on_wait: Callable[[str], None] | None = None, *, who: str | None = None) -> float:
        """Take the lock, waiting for another process that holds it (``on_wait`` gets one line
        naming it, default: stderr). Returns the seconds waited."""
        if self.held:
            return 0.0
        held = _HELD.get(self._key)
        if held is not None:
            held[1] += 1
            self.held = True
            return 0.0
        t0 = time.monotonic()
        said = False
        while True:
            try:
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise ResultsError(f"{self.path}: cannot create its lock file {self.file.name}: {e.strerror or e}") from None
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not said:
                        holder = _read(fd) or "another process"
                        (on_wait or _say)(f"{self.path}: another reportgen is writing this file ({holder}); "
                                          "waiting for it to finish, then adding to what it saved")
                        said = True
                    fcntl.flock(fd, fcntl.LOCK_EX)  # Ctrl-C interrupts the wait
                if not _same_file(fd, self.file):  # its holder removed it as it let go: lock the new one
                    os.close(fd)
                    continue
                _write(fd, f"pid {os.getpid()}" + (f": {who}" if who else ""))
            except BaseException:
                os.close(fd)
                raise
            break
        _HELD[self._key] = [fd, 1]
        self.held = True
        return time.monotonic() - t0 if said else 0.0

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        held = _HELD.get(self._key)
        if held is None:
            return
        held[1] -= 1
        if held[1] > 0:
            return
        del _HELD[self._key]
        fd = held[0]
        try:
            if _same_file(fd, self.file):
                os.unlink(self.file)  # while still holding it: a waiter wakes on a removed file and starts again
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def _read(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 4096).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _write(fd: int, text: str) -> None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8")[:4000] + b"\n", 0)
    except OSError:
        pass
