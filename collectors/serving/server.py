"""An inference server's lifecycle: launch, wait until it serves, keep its log, stop.
Also the functional check of section 3.2 (one non-streamed request, as the seed sent it).

``ServerProcess`` runs the plan's launch command locally (``bash -c``, its own
process group, output to a log file), or inside a docker container (``docker exec``;
the in-container PID is written to a file so ``stop`` can signal it; the plan's environment
travels through standard input, never on the ``docker exec`` command line, where ``ps`` shows it).
A server's log is read through ``log_tail``, which masks the secrets it was given (its
environment's tokens, the run's API keys) before anyone prints or stores a line of it. ``wait_ready``
polls ``/health`` and ``/v1/models`` until both answer 200, failing early with the
log's tail when the process exits. ``stop`` sends SIGTERM to the process group, then
SIGKILL after the timeout.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import signal
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from collectors import answers
from collectors.auth import bearer
from collectors.serving import prometheus
from reportgen.errors import ServerError
from reportgen.plan import ENV_NAME
from reportgen.ranges import MAX_CAPTURE_BYTES
from reportgen.redact import env_secrets, redact
from reportgen.results import FunctionalCheck

__all__ = ["HostServer", "ServerProcess", "failure_line", "functional_check", "model_config_facts", "model_ids", "served_models",
           "server_identity", "server_info", "wait_ready"]

_PIDFILE = "/tmp/reportgen-server.pid"
RAW_RESPONSE_BYTES = 20000  # of the functional check's answer as received (the parsed text is kept whole)


class ServerProcess:
    def __init__(self, command: str, log_path: str | os.PathLike[str], *, env: dict[str, str] | None = None, container: str | None = None) -> None:
        self.command = command
        self.container = container
        self.log_path = Path(log_path)
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    @property
    def argv(self) -> list[str]:
        if self.container:
            # sh reads the environment from standard input (values never on a command line), records
            # its PID, then exec's the command in its place: `stop` can signal it.
            load_env = "set -a; . /dev/stdin; set +a; " if self.env else ""
            script = f"{load_env}echo $$ > {_PIDFILE} && exec sh -c \"$1\" < /dev/null"
            return ["docker", "exec", *(["-i"] if self.env else []), self.container, "sh", "-c", script, "sh", self.command]
        return ["bash", "-c", self.command]

    def _env_script(self) -> bytes:
        bad = [k for k in self.env if not ENV_NAME.fullmatch(k)]
        if bad:
            raise ServerError(f"{bad[0]!r} is not an environment variable name")
        return "".join(f"{k}={shlex.quote(v)}\n" for k, v in self.env.items()).encode("utf-8")

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        piped = bool(self.container and self.env)
        script = self._env_script() if piped else b""
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE if piped else subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() reaches its children
                # in a container the environment arrives through standard input; locally, as the
                # child's environment (readable by its owner only)
                env=None if self.container else {**os.environ, **self.env},
            )
        except OSError as e:
            raise ServerError(f"cannot launch the server ({self.argv[0]}): {e}") from None
        finally:
            log.close()
        if piped and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(script)
                self.proc.stdin.close()
            except OSError:
                pass  # it exited at once: wait_ready reports the log's cause
        self.started_at = time.monotonic()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        """None while it runs (or before start)."""
        return self.proc.poll() if self.proc is not None else None

    def log_tail(self, lines: int = 200) -> str:
        """The log's last ``lines`` lines, from its last ``MAX_CAPTURE_BYTES`` only (a server that
        writes one endless line must not fill the memory or the results file), redacted."""
        try:
            with open(self.log_path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - MAX_CAPTURE_BYTES))
                data = f.read(MAX_CAPTURE_BYTES)
        except OSError:
            return ""
        if size > MAX_CAPTURE_BYTES:
            data = data.split(b"\n", 1)[1] if b"\n" in data else data  # drop the partial first line
        tail = deque(data.splitlines(keepends=True), maxlen=lines) if lines > 0 else deque()
        return redact(b"".join(tail).decode("utf-8", "replace"), env_secrets(self.env))

    def log_head(self, lines: int = 200) -> str:
        """The log's first ``lines`` lines (its start-up, read once the server answers)."""
        try:
            with open(self.log_path, "rb") as f:
                head = [line for _, line in zip(range(lines), f)]
        except OSError:
            return ""
        return b"".join(head).decode("utf-8", "replace")

    def stop(self, timeout_s: float = 60.0) -> int | None:
        """Stop the server; returns its exit code (None if it never started)."""
        if self.proc is None:
            return None
        if self.container and self.proc.poll() is None:
            subprocess.run(
                ["docker", "exec", self.container, "sh", "-c", f"kill -TERM $(cat {_PIDFILE})"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False,
            )
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return self.proc.wait(timeout=30)


class HostServer:
    """The launch command run in the background on a ``collectors.execution.Host`` (SSH or
    local), through ``host.run``: ``setsid`` gives it its own process group, whose id goes to
    a PID file; its exit status goes to a status file; ``stop`` signals the group.
    With ``container``, the same script runs under ``docker exec -d``.

    The log, PID and status files live in a private folder of their own (``mktemp -d``: mode
    0700, an unpredictable name): the log may echo a token, and other users of a shared GPU
    server must neither read it nor plant a file at a name we would write. ``close`` removes
    the folder once the log's tail is recorded (redacted) in the results file."""

    def __init__(self, host: Any, command: str, *, label: str, env: dict[str, str] | None = None,
                 container: str | None = None, workdir: str = "/tmp") -> None:
        self.host = host
        self.command = command
        self.container = container
        self.env = env or {}
        self.prefix = f"{workdir}/reportgen-server-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}-"
        self.dir: str | None = None  # the private folder, once started
        self.log_path = self.pid_path = self.status_path = "/dev/null"
        self.pgid: int | None = None
        self.started_at: float | None = None
        self._last_check = 0.0
        self._code: int | None = None

    def _run(self, command: str, timeout_s: float = 60.0, stdin: bytes | None = None) -> Any:
        if self.container:
            command = f"docker exec{' -i' if stdin is not None else ''} {shlex.quote(self.container)} sh -c {shlex.quote(command)}"
        if stdin is not None:
            return self.host.run([command], timeout_s=timeout_s, stdin=stdin)[0]
        return self.host.run([command], timeout_s=timeout_s)[0]

    def start(self) -> None:
        made = self._run(f"mktemp -d {shlex.quote(self.prefix)}XXXXXX")
        folder = (made.stdout or "").strip()
        if made.exit_code != 0 or not folder.startswith(self.prefix):
            raise ServerError(f"cannot make a private folder on {getattr(self.host, 'name', 'the host')}: "
                              f"{(made.stderr or made.stdout).strip()[:200]}")
        self.dir = folder
        try:
            self._launch(folder)
        except ServerError:
            self.close()  # nothing of a failed start (the environment file) stays on the host
            raise

    def _launch(self, folder: str) -> None:
        q = shlex.quote
        self.log_path, self.pid_path, self.status_path = (f"{folder}/server.log", f"{folder}/server.pid",
                                                          f"{folder}/server.status")
        env_path = f"{folder}/server.env"
        if self.env:
            # the values (a token, say) go through standard input into a file only its owner reads,
            # never onto a command line, where other users of the host could read them with ps
            bad = [k for k in self.env if not ENV_NAME.fullmatch(k)]
            if bad:
                raise ServerError(f"{bad[0]!r} is not an environment variable name")
            lines = "".join(f"{k}={q(v)}\n" for k, v in self.env.items())
            wrote = self._run(f"umask 077; cat > {q(env_path)}", stdin=lines.encode("utf-8"))
            if wrote.exit_code != 0:
                raise ServerError(f"cannot write the server's environment on {getattr(self.host, 'name', 'the host')}: "
                                  f"{(wrote.stderr or wrote.stdout).strip()[:200]}")
        load_env = f"set -a; . {q(env_path)}; set +a; " if self.env else ""
        # the wrapper survives the group's SIGTERM (a handler, unlike an ignore, is not
        # inherited by the command) to record the command's exit status
        inner = f'trap true TERM; echo $$ > {q(self.pid_path)}; {load_env}sh -c "$0"; echo $? > {q(self.status_path)}'
        script = (
            f"setsid sh -c {q(inner)} {q(self.command)} > {q(self.log_path)} 2>&1 < /dev/null & "
            f"sleep 0.2; cat {q(self.pid_path)}"
        )
        r = self._run(script)
        if r.exit_code != 0:
            raise ServerError(f"cannot launch the server on {getattr(self.host, 'name', 'the host')}: {(r.stderr or r.stdout).strip()[:200]}")
        pid = (r.stdout or "").strip()
        self.pgid = int(pid) if pid.isdigit() else None
        self.started_at = time.monotonic()

    def close(self) -> None:
        """Remove the private folder (log, PID and status files) from the host."""
        if self.dir is not None and self.dir.startswith(self.prefix):
            self._run(f"rm -rf -- {shlex.quote(self.dir)}")
            self.dir = None

    def exit_code(self) -> int | None:
        """None while it runs; checked at most every 2 s (each check is a round trip)."""
        if self._code is not None or time.monotonic() - self._last_check < 2.0:
            return self._code
        self._last_check = time.monotonic()
        st, pid = shlex.quote(self.status_path), shlex.quote(self.pid_path)
        r = self._run(f"cat {st} 2>/dev/null || (kill -0 -$(cat {pid}) 2>/dev/null && echo running) || echo gone")
        out = (r.stdout or "").strip()
        if out and out not in ("running",):
            self._code = int(out) if out.lstrip("-").isdigit() else -1
        return self._code

    def log_tail(self, lines: int = 200) -> str:
        """The log's last ``lines`` lines (of its last ``MAX_CAPTURE_BYTES``), redacted."""
        path = shlex.quote(self.log_path)
        raw = str(self._run(f"tail -c {MAX_CAPTURE_BYTES} {path} | tail -n {int(lines)}").stdout or "")
        return redact(raw, env_secrets(self.env))

    def log_head(self, lines: int = 200) -> str:
        return str(self._run(f"head -n {int(lines)} {shlex.quote(self.log_path)}").stdout or "")

    def stop(self, timeout_s: float = 60.0) -> int | None:
        self._run(f"kill -TERM -$(cat {shlex.quote(self.pid_path)}) 2>/dev/null; true")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._last_check = 0.0
            if self.exit_code() is not None:
                return self._code
            time.sleep(0.5)
        self._run(f"kill -KILL -$(cat {shlex.quote(self.pid_path)}) 2>/dev/null; true")
        self._last_check = 0.0
        return self.exit_code()


# vLLM prefixes each line with its process, level, time and source file:
# "(EngineCore pid=7) ERROR 11-27 15:14:41 [core.py:1510] message"
_PREFIX = re.compile(r"^(?:\([^)]*\)\s+)?(?:(DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\d\d-\d\d \S+ \[[^\]]*\]\s?)?")
# a message that is an exception: "ValueError: Available memory …", "torch.OutOfMemoryError: …"
_EXCEPTION = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit): \S.*")
_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL|[Ee]rror:)")


def failure_line(log: str) -> str | None:
    """The root cause of a failed start: the log's FIRST exception line (vLLM ends with wrappers such
    as "RuntimeError: Engine core initialization failed. See root cause above"), else its first
    error line, else its last line."""
    parsed = []  # (level or None, message, whole line)
    for line in log.splitlines():
        if line.strip():
            prefix = _PREFIX.match(line)
            parsed.append((prefix.group(1) if prefix else None, line[prefix.end() if prefix else 0:].strip(), line.strip()))
    for level, msg, _ in parsed:
        # a warning may quote an error it only fears ("… like `OSError: [Errno 24]`")
        if level not in ("DEBUG", "INFO", "WARNING") and (m := _EXCEPTION.match(msg)):
            return m.group(0)
    for level, msg, line in parsed:
        if level in ("ERROR", "CRITICAL") or (level is None and _ERROR.search(msg)):
            return line
    return parsed[-1][2] if parsed else None


def wait_ready(base_url: str, timeout_s: float, *, proc: ServerProcess | HostServer | None = None, poll_s: float = 0.5,
               api_key: str | None = None) -> list[str]:
    """Wait until ``/health`` and ``/v1/models`` answer 200; return the served model ids.
    ``api_key``: sent as a bearer token with every request (``collectors.auth``)."""
    base = base_url.rstrip("/")
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    with answers.sync_client(5.0, headers=bearer(api_key)) as c:
        while True:
            code = proc.exit_code() if proc is not None else None
            if proc is not None and code is not None:
                cause = failure_line(proc.log_tail(400))
                raise ServerError(
                    f"the server exited with status {code} before answering /health"
                    + (f": {cause[:300]}" if cause else "")
                    + (f" (log: {proc.log_path})" if isinstance(proc, ServerProcess) else " (the log's end is in the results file)")
                )
            try:
                h = answers.request(c, "GET", base + "/health")
                if h.status_code == 200:
                    m = answers.request(c, "GET", base + "/v1/models")
                    if m.status_code == 200:
                        return model_ids(m, base + "/v1/models")  # a malformed list: ServerError at once
                    last = f"/v1/models: HTTP {m.status_code}"
                else:
                    last = f"/health: HTTP {h.status_code}"
            except httpx.HTTPError as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                raise ServerError(f"{base}: not ready after {timeout_s:g} s ({last})")
            time.sleep(poll_s)


def served_models(base_url: str, timeout_s: float = 10.0, *, api_key: str | None = None) -> list[str]:
    """Model ids from ``/v1/models``; ``ServerError`` when the server cannot be reached."""
    url = base_url.rstrip("/") + "/v1/models"
    try:
        with answers.sync_client(timeout_s, headers=bearer(api_key)) as c:
            r = answers.request(c, "GET", url)
    except httpx.RemoteProtocolError as e:  # it answered, with bytes past the shared limits
        raise ServerError(f"{url}: {e}") from None
    except httpx.HTTPError as e:
        raise ServerError(f"{url}: cannot reach the server ({type(e).__name__}: {e})") from None
    if r.status_code == 401:
        raise ServerError(f"{url}: HTTP 401: the server wants an API key"
                          + (" and refused the one sent" if api_key else ": pass --api-key-env VAR"))
    if r.status_code != 200:
        raise ServerError(f"{url}: HTTP {r.status_code}: {r.text[:200]!r}")
    return model_ids(r, url)


def model_ids(r: httpx.Response, url: str) -> list[str]:
    """The ids of an OpenAI model list; any other answer is one ``ServerError`` line quoting its
    start (``collectors.answers.model_ids``)."""
    return answers.model_ids(r.content, url)


def server_info(base_url: str, *, api_key: str | None = None) -> dict[str, str]:
    """What the server says about itself (vLLM: ``/version``); empty when it says nothing."""
    try:
        with answers.sync_client(5.0, headers=bearer(api_key)) as c:
            r = answers.request(c, "GET", base_url.rstrip("/") + "/version")
        if r.status_code == 200:
            doc = answers.parse_answer(r.content, "/version")
            v = doc.get("version") if isinstance(doc, dict) else None
            if isinstance(v, (str, int, float)) and not isinstance(v, bool) and v != "":
                return {"engine_version": str(v)[:100]}
    except (httpx.HTTPError, ServerError):
        pass
    return {}


def server_identity(base_url: str, model: str | None, *, local_files: bool, api_key: str | None = None) -> dict[str, Any]:
    """What tells this deployment from another, as ``ServerSettings`` fields: ``model_root``
    (the /v1/models "root" of ``model``: the path vLLM loaded), ``process_start_time``
    (/metrics ``process_start_time_seconds``) and ``served_config`` (``torch_dtype``,
    ``quant_method``, ``bits`` from the root's config.json, read only when ``local_files``: the
    server runs on this machine, so a path it names is a path here). Whatever the server does
    not say is left out; nothing here raises."""
    base = base_url.rstrip("/")
    out: dict[str, Any] = {}
    with answers.sync_client(5.0, headers=bearer(api_key)) as c:
        try:
            r = answers.request(c, "GET", base + "/v1/models")
            doc = answers.parse_answer(r.content, "/v1/models") if r.status_code == 200 else None
            data = doc.get("data") if isinstance(doc, dict) else None
            for d in data if isinstance(data, list) else []:
                if isinstance(d, dict) and (model is None or d.get("id") == model) and isinstance(d.get("root"), str):
                    out["model_root"] = d["root"]
                    break
        except (httpx.HTTPError, ServerError):
            pass
        try:
            r = answers.request(c, "GET", base + "/metrics")
            if r.status_code == 200:
                start = prometheus.parse(r.text).get("process_start_time_seconds")
                if start is not None and math.isfinite(start) and 0 < start < 1e12:  # a Unix time, not Inf or 1e308
                    out["process_start_time"] = start
        except (httpx.HTTPError, ServerError):
            pass
    root = out.get("model_root")
    if local_files and root:
        out["served_config"] = model_config_facts(root)
    return out


def model_config_facts(model_dir: str) -> dict[str, Any]:
    """``torch_dtype``, ``quant_method`` and ``bits`` from a model folder's config.json (empty when
    there is none, or it cannot be read)."""
    path = Path(model_dir) / "config.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(doc, dict):
        return {}
    out: dict[str, Any] = {}
    dtype = doc.get("torch_dtype", doc.get("dtype"))
    if isinstance(dtype, str):
        out["torch_dtype"] = dtype
    q = doc.get("quantization_config")
    if isinstance(q, dict):
        if isinstance(q.get("quant_method"), str):
            out["quant_method"] = q["quant_method"]
        if isinstance(q.get("bits"), int) and not isinstance(q.get("bits"), bool):
            out["bits"] = q["bits"]
    out.setdefault("quant_method", None)  # read, and not quantized
    return out


def functional_check(base_url: str, model: str, prompt: str, *, max_tokens: int = 256, temperature: float = 0.01,
                     timeout_s: float = 600.0, api_key: str | None = None) -> FunctionalCheck:
    """POST one non-streamed completion as the seed's curl did; an error is recorded, not raised."""
    base = base_url.rstrip("/")
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": temperature}
    command = (
        f"curl {base}/v1/completions \\\n  -H \"Content-Type: application/json\" \\\n"
        f"  -d {shlex.quote(json.dumps(body, ensure_ascii=False, indent=1))}"
    )
    check = FunctionalCheck(endpoint="/v1/completions", request=body, command=command)
    t = time.perf_counter()
    try:
        with answers.sync_client(timeout_s, headers=bearer(api_key)) as c:
            r = answers.request(c, "POST", base + "/v1/completions", json=body)
    except (httpx.HTTPError, ServerError) as e:
        check.error = f"{type(e).__name__}: {e}"
        return check
    check.latency_s = time.perf_counter() - t
    check.raw_response = r.content[:RAW_RESPONSE_BYTES].decode("utf-8", "replace")
    if r.status_code != 200:
        check.error = f"HTTP {r.status_code}: {r.content[:1200].decode('utf-8', 'replace')[:300]}"
        return check
    try:
        reply = answers.completion_reply(answers.parse_answer(r.content, "/v1/completions"), "/v1/completions")
    except ServerError as e:
        check.error = f"unexpected answer: {e}"
        return check
    check.response_text = reply.text  # whole: the document shows its start (reportgen.report.safe_text)
    check.finish_reason = reply.finish_reason
    check.prompt_tokens = reply.prompt_tokens
    check.completion_tokens = reply.completion_tokens
    check.answer_problems = reply.problems
    return check
