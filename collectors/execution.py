"""Running commands on the machine under test: locally, over SSH, or replayed in tests.

``Host.run(commands, timeout_s) -> list[CommandResult]`` is the only way collectors touch a
machine. A command is a POSIX ``sh`` command line built by reportgen; every value that comes
from the user (a container name, a path) is put in with ``shlex.quote`` (see ``quote`` and
``in_container``), so a value holding ``;``, ``$()`` or quotes stays one argument.

* ``LocalHost``   runs ``sh -c`` through ``subprocess``; a command past its timeout has its
                  whole process group killed.
* ``SSHHost``     one paramiko connection per host, one exec channel per command. Each remote
                  command is wrapped in coreutils ``timeout`` (so the remote process dies too)
                  and the client stops waiting a few seconds after that.
* ``ReplayHost``  answers from a dict of canned outputs: unit tests of the collectors.

Host keys are checked as OpenSSH does, against reportgen's own known-hosts file (see ``SSHHost``).
Connection failures (unreachable, refused key, host-key mismatch) raise ``HostError`` with one
line; a command that fails, hangs or is missing is *data*: a ``CommandResult`` saying so.

Every capture is bounded: of each stream the first ``MAX_CAPTURE_BYTES`` are kept and the rest is
read, counted and dropped (``CommandResult.stdout_bytes``), locally and over SSH, so a card tool
that floods its output cannot fill the memory or the results file; a stream that never ends is
cut by the command's timeout.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from collectors.capture import Capture, drain, feed
from reportgen.errors import HostError

DEFAULT_TIMEOUT_S = 20.0
# Exit status of a command killed by ``timeout`` (coreutils) and of "command not found" (sh).
TIMEOUT_EXIT = 124
NOT_FOUND_EXIT = 127


@dataclass(frozen=True)
class CommandResult:
    """What one command did. ``exit_code`` is None when it never finished. ``stdout_bytes`` /
    ``stderr_bytes``: how many bytes the stream carried in all when more than
    ``MAX_CAPTURE_BYTES`` arrived (only those were kept); None when it was kept whole."""

    command: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    stdout_bytes: int | None = None
    stderr_bytes: int | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def truncated(self) -> bool:
        return self.stdout_bytes is not None or self.stderr_bytes is not None


def captured(command: str, exit_code: int | None, out: Capture, err: Capture, duration_s: float,
             timed_out: bool = False) -> CommandResult:
    return CommandResult(command, exit_code, out.text(), err.text(), duration_s, timed_out,
                         out.dropped_total, err.dropped_total)


class Host(Protocol):
    """A machine commands can run on."""

    name: str

    def run(self, commands: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S, *,
            stdin: bytes | None = None) -> list[CommandResult]:
        """Run each command (a ``sh`` command line) in order, each with its own timeout.
        ``stdin``: bytes each command reads on its standard input (a secret that must not appear
        on a command line, where other users of the host could read it with ``ps``)."""
        ...

    def close(self) -> None: ...


def quote(value: str) -> str:
    """Shell-quote one value for a POSIX shell (``shlex.quote``)."""
    return shlex.quote(str(value))


def in_container(command: str, container: str | None) -> str:
    """The command as run inside ``container`` by ``docker exec`` (unchanged when None)."""
    if not container:
        return command
    return f"docker exec {quote(container)} sh -c {quote(command)}"


def is_local(host: str | None) -> bool:
    return host in (None, "", "localhost", "127.0.0.1", "::1", "local")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- local


class LocalHost:
    """This machine, through ``sh -c``."""

    def __init__(self, name: str = "localhost") -> None:
        self.name = name

    def run(self, commands: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S, *,
            stdin: bytes | None = None) -> list[CommandResult]:
        return [self._run_one(c, timeout_s, stdin) for c in commands]

    def _run_one(self, command: str, timeout_s: float, stdin: bytes | None = None) -> CommandResult:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(
                ["sh", "-c", command],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills the children too
            )
        except OSError as e:
            return CommandResult(command, None, "", f"cannot start sh: {e}", time.perf_counter() - t0)
        out, err = Capture(), Capture()
        if proc.stdin is not None:
            feed(proc.stdin, stdin or b"")
        finished = drain(proc, {proc.stdout: out, proc.stderr: err}, t0 + timeout_s)  # type: ignore[dict-item]
        if not finished:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            drain(proc, {proc.stdout: out, proc.stderr: err}, time.perf_counter() + 2.0)  # type: ignore[dict-item]
            proc.wait()
            return captured(command, None, out, err, time.perf_counter() - t0, timed_out=True)
        return captured(command, proc.wait(), out, err, time.perf_counter() - t0)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- replay


class ReplayHost:
    """Answers commands from canned outputs (tests).

    ``responses`` maps a command line (exact) or a predicate to a ``CommandResult`` or to
    ``(exit_code, stdout)``; an unknown command answers exit 127, like a missing tool.
    """

    def __init__(
        self,
        responses: Mapping[str, CommandResult | tuple[int, str]] | None = None,
        name: str = "replay",
        fallback: Callable[[str], CommandResult | tuple[int, str] | None] | None = None,
    ) -> None:
        self.name = name
        self.responses = dict(responses or {})
        self.fallback = fallback
        self.seen: list[str] = []

    def run(self, commands: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S, *,
            stdin: bytes | None = None) -> list[CommandResult]:
        out = []
        for c in commands:
            self.seen.append(c)
            r = self.responses.get(c)
            if r is None and self.fallback is not None:
                r = self.fallback(c)
            if r is None:
                out.append(CommandResult(c, NOT_FOUND_EXIT, "", "sh: not found"))
            elif isinstance(r, CommandResult):
                out.append(r)
            else:
                out.append(CommandResult(c, r[0], r[1]))
        return out

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- SSH


HOST_KEY_POLICIES = ("accept-new", "strict")
_FINGERPRINT_RE = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def check_host_key_policy(value: str) -> str:
    """``accept-new``, ``strict`` or an OpenSSH ``SHA256:`` fingerprint; ``HostError`` otherwise."""
    if value in HOST_KEY_POLICIES or _FINGERPRINT_RE.fullmatch(value):
        return value
    raise HostError(f"--ssh-host-key: expected accept-new, strict or a SHA256:... fingerprint (43 characters), got {value!r}")


def default_known_hosts() -> Path:
    """reportgen's own known-hosts file: $REPORTGEN_KNOWN_HOSTS, else
    $XDG_CONFIG_HOME/reportgen/known_hosts (~/.config/reportgen/known_hosts)."""
    env = os.environ.get("REPORTGEN_KNOWN_HOSTS")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(base) / "reportgen" / "known_hosts"


def fingerprint(key: object) -> str:
    """OpenSSH's SHA256 fingerprint of a host key: ``SHA256:`` + unpadded base64 of its blob."""
    blob = key.asbytes()  # type: ignore[attr-defined]
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _quiet_paramiko() -> None:
    """paramiko logs a failed handshake with a traceback on its transport thread; the user gets
    our one line instead."""
    log = logging.getLogger("paramiko")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.propagate = False
    log.setLevel(logging.CRITICAL + 1)


@dataclass(frozen=True)
class SSHTarget:
    host: str
    user: str | None = None
    port: int = 22
    key_file: str | None = None
    password: str | None = None  # from a prompt or REPORTGEN_SSH_PASSWORD; never stored
    known_hosts: str | None = None  # default: reportgen's own file (``default_known_hosts``)
    connect_timeout_s: float = 10.0
    host_key: str = "accept-new"  # or "strict", or the SHA256 fingerprint the server must present

    def __repr__(self) -> str:  # never print the password
        return f"SSHTarget(host={self.host!r}, user={self.user!r}, port={self.port})"


class SSHHost:
    """One SSH connection (paramiko) to a host; each command on its own exec channel.

    Host keys, as OpenSSH checks them, against reportgen's own known-hosts file (entries keyed
    by host *and* port: ``[host]:port`` unless the port is 22). A known host must present its
    key (a mismatch is refused). An unknown one, by ``target.host_key``: ``accept-new`` stores
    its key and says so once (``new_host_key``: the line to show); ``strict`` refuses it; a
    ``SHA256:`` fingerprint accepts (and stores) only the key with that fingerprint.
    ``host_key_fingerprint`` is the presented key, ``"<type> SHA256:..."``.
    """

    def __init__(self, target: SSHTarget) -> None:
        import paramiko

        _quiet_paramiko()
        self.target = target
        self.name = target.host
        self.host_key_fingerprint: str | None = None
        self.new_host_key: str | None = None
        policy = check_host_key_policy(target.host_key)
        client = paramiko.SSHClient()
        known = Path(target.known_hosts) if target.known_hosts else default_known_hosts()
        if known.is_file():
            try:
                client.load_host_keys(str(known))
            except (OSError, paramiko.SSHException, ValueError) as e:
                raise HostError(f"{known}: cannot read known-hosts file: {e}") from None
        where = f"{target.user + '@' if target.user else ''}{target.host}:{target.port}"

        class _Policy(paramiko.MissingHostKeyPolicy):
            def missing_host_key(inner, client_, hostname, key) -> None:  # noqa: N805
                fp = fingerprint(key)
                if policy == "strict":
                    raise HostError(
                        f"ssh {where}: unknown host key {key.get_name()} {fp} and --ssh-host-key strict; "
                        f"check it, then pass --ssh-host-key {fp}"
                    )
                if policy != "accept-new" and fp != policy:
                    raise HostError(f"ssh {where}: the server presented {key.get_name()} {fp}, not {policy}; refusing to connect")
                _store_host_key(known, hostname, key)
                self.new_host_key = f"ssh {where}: new host key {key.get_name()} {fp}, stored in {known}"

        client.set_missing_host_key_policy(_Policy())
        try:
            client.connect(
                target.host,
                port=target.port,
                username=target.user or None,
                key_filename=target.key_file,
                password=target.password,
                timeout=target.connect_timeout_s,
                banner_timeout=target.connect_timeout_s,
                auth_timeout=target.connect_timeout_s,
                allow_agent=target.password is None,
                look_for_keys=target.key_file is None and target.password is None,
            )
        except HostError:
            client.close()
            raise
        except paramiko.BadHostKeyException as e:
            client.close()
            raise HostError(
                f"ssh {where}: host key mismatch (the server presented {e.key.get_name()} "
                f"{fingerprint(e.key)}, {known} has another key for it); refusing to connect"
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise HostError(f"ssh {where}: authentication failed (key or password refused)") from None
        except paramiko.ssh_exception.NoValidConnectionsError:
            client.close()
            raise HostError(f"ssh {where}: cannot connect: connection refused") from None
        except TimeoutError:
            client.close()
            raise HostError(f"ssh {where}: connection timed out after {target.connect_timeout_s:g} s") from None
        except (OSError, paramiko.SSHException, EOFError, ValueError) as e:
            client.close()
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise HostError(f"ssh {where}: cannot connect: {msg} (does the port speak SSH?)") from None
        transport = client.get_transport()
        key = transport.get_remote_server_key() if transport is not None else None
        if key is not None:
            fp = fingerprint(key)
            self.host_key_fingerprint = f"{key.get_name()} {fp}"
            if policy not in HOST_KEY_POLICIES and fp != policy:
                client.close()
                raise HostError(f"ssh {where}: the server presented {key.get_name()} {fp}, not {policy}; refusing to connect")
        self._client = client
        if target.key_file and not Path(target.key_file).exists():  # pragma: no cover - paramiko fails first
            raise HostError(f"{target.key_file}: no such key file")

    def run(self, commands: Sequence[str], timeout_s: float = DEFAULT_TIMEOUT_S, *,
            stdin: bytes | None = None) -> list[CommandResult]:
        return [self._run_one(c, timeout_s, stdin) for c in commands]

    def _run_one(self, command: str, timeout_s: float, stdin: bytes | None = None) -> CommandResult:
        import paramiko

        # The remote side kills the command itself; the client waits a little longer as a backstop.
        secs = max(1, int(round(timeout_s)))
        wrapped = f"timeout -k 3 {secs} sh -c {quote(command)}"
        t0 = time.perf_counter()
        deadline = t0 + timeout_s + 8
        try:
            transport = self._client.get_transport()
            if transport is None or not transport.is_active():
                raise HostError(f"ssh {self.name}: the connection was lost")
            chan = transport.open_session(timeout=10)
            chan.exec_command(wrapped)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()
            out, err = Capture(), Capture()
            chan.settimeout(0.2)
            while True:
                got = False
                if chan.recv_ready():
                    out.add(chan.recv(1 << 20))
                    got = True
                if chan.recv_stderr_ready():
                    err.add(chan.recv_stderr(1 << 20))
                    got = True
                if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                    break
                if time.perf_counter() > deadline:
                    chan.close()
                    return captured(command, None, out, err, time.perf_counter() - t0, timed_out=True)
                if not got:
                    time.sleep(0.02)
            rc = chan.recv_exit_status()
            chan.close()
        except (paramiko.SSHException, OSError, EOFError) as e:
            raise HostError(f"ssh {self.name}: connection failed while running a command: {e}") from None
        dt = time.perf_counter() - t0
        # timeout(1) exits 124, or 137 when it had to SIGKILL after the grace period.
        timed_out = rc == TIMEOUT_EXIT or (rc == 128 + 9 and dt >= secs)
        return captured(command, None if timed_out else rc, out, err, dt, timed_out)

    def close(self) -> None:
        self._client.close()


def _store_host_key(path: Path, hostname: str, key: object) -> None:
    """Append ``hostname keytype base64`` (``hostname`` is ``[host]:port`` off port 22, as
    paramiko and OpenSSH key it) to the known-hosts file, created private."""
    line = f"{hostname} {key.get_name()} {key.get_base64()}\n"  # type: ignore[attr-defined]
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line)
    except OSError as e:
        raise HostError(f"{path}: cannot store the host key: {e.strerror or e}") from None


def open_host(
    host: str | None,
    *,
    user: str | None = None,
    port: int = 22,
    key_file: str | None = None,
    password: str | None = None,
    known_hosts: str | None = None,
    connect_timeout_s: float = 10.0,
    host_key: str = "accept-new",
) -> Host:
    """A ``LocalHost`` for no host / localhost / 127.0.0.1 (unless a user, port or key says SSH),
    else an ``SSHHost``. Raises ``HostError`` when the SSH connection cannot be made."""
    wants_ssh = bool(user or key_file or port != 22)
    if is_local(host) and not wants_ssh:
        return LocalHost()
    if key_file and not os.path.isfile(key_file):
        raise HostError(f"{key_file}: no such SSH key file")
    return SSHHost(
        SSHTarget(
            host=host or "127.0.0.1",
            user=user,
            port=port,
            key_file=key_file,
            password=password,
            known_hosts=known_hosts,
            connect_timeout_s=connect_timeout_s,
            host_key=host_key,
        )
    )
