"""Section 2 (环境部署) from what a live ``collect`` run actually did: the software it found (driver,
vLLM, torch, Python; the container and its image), and per variant the server it launched (the
launch command, how long until it answered, its log's end) or the running server it attached to.

The steps are built from the results file's own fields after the run, so they say nothing the run
did not record. A repeated run replaces its own steps (same titles) and keeps imported ones.
"""

from __future__ import annotations

import re
from typing import Any

from reportgen.results import DeploymentStep, Fact, Results

__all__ = ["SOFTWARE_TITLE", "container_image", "deployment_steps", "record_deployment", "startup_excerpt"]

SOFTWARE_TITLE = "驱动与软件版本"
_SOFTWARE = (("driver.version", "加速卡驱动"), ("sdk.version", "加速卡软件栈"), ("software.vllm", "vLLM"),
             ("software.torch", "PyTorch"), ("software.transformers", "transformers"), ("software.python", "Python"),
             ("docker.version", "Docker"))
_LOG_LINES = 15
_LINE_CHARS = 240  # an engine-config line runs to thousands of characters: quoted up to here, then "…"
# Lines of a server's start-up that tell a reader what started (vLLM's wording; other servers:
# the log's first lines): version, arguments, model, memory, the API's address.
_STARTUP = re.compile(
    r"version \d|non-default args|Resolved architecture|max model len|Initializing a V1 LLM engine|"
    r"Loading weights took|Model loading took|KV cache|Maximum concurrency|Starting vLLM API server|"
    r"Started server process|Application startup complete|Uvicorn running on",
    re.IGNORECASE,
)


def startup_excerpt(log: str | None) -> str | None:
    """The lines of a server's start-up log that show it starting (at most 15, long ones cut);
    a log with none of vLLM's markers: its first lines. None without a log."""
    lines = [line.rstrip() for line in (log or "").splitlines() if line.strip()]
    if not lines:
        return None
    picked = [line for line in lines if _STARTUP.search(line)] or lines
    cut = [line if len(line) <= _LINE_CHARS else line[:_LINE_CHARS] + " …" for line in picked[:_LOG_LINES]]
    return "\n".join(cut)


def container_image(host: Any, container: str) -> str | None:
    """The image a container runs (``docker inspect``); None when it cannot be read."""
    from collectors.execution import quote

    try:
        (r,) = host.run([f"docker inspect --format '{{{{.Config.Image}}}}' {quote(container)}"], timeout_s=20.0)
    except Exception:  # noqa: BLE001 - a missing image name must not fail the run
        return None
    out = (r.stdout or "").strip()
    return out.splitlines()[0][:200] if r.ok and out else None


def _fact_line(name: str, fact: Fact | None) -> str:
    if fact is None:
        return f"{name}：未采集"
    # why a value is missing is in the environment table (section 1), with its reason
    return f"{name}：{fact.value}" if fact.present else f"{name}：未获得"


def _software_step(results: Results, container: str | None, image: str | None) -> DeploymentStep:
    facts = results.environment.facts
    lines = [_fact_line(name, facts.get(key)) for key, name in _SOFTWARE if key in facts] or ["未采集"]
    served = sorted({v.server.engine_version for v in results.variants
                     if v.server.engine_version and (v.server.engine or "vllm").lower() == "vllm"})
    vllm = facts.get("software.vllm")
    if served and (vllm is None or not vllm.present):
        # the host's Python has no vLLM, yet a server ran one: say the version it reported (section 1 does too)
        lines = [line for line in lines if not line.startswith("vLLM：")]
        lines.insert(min(2, len(lines)), f"vLLM：{'、'.join(served)}（推理服务报告的版本）")
    where = "主机"
    if container:
        where = f"容器 {container}" + (f"（镜像 {image}）" if image else "（镜像未获得）")
    return DeploymentStep(
        title=SOFTWARE_TITLE,
        description=f"测试时在{where}中读取的版本：",
        output="\n".join(lines),
    )


def _server_step(label: str, s: Any) -> DeploymentStep:
    if s.launched and s.launch_command:
        where = f"在容器 {s.container} 中" if s.container else "在被测机器上"
        parts = [f"{where}用以下命令启动推理服务"]
        if s.startup_s is not None:
            parts.append(f"启动后 {s.startup_s:.0f} 秒服务就绪（/health 与 /v1/models 应答）")
        if s.served_models:
            parts.append("服务模型名 " + "、".join(s.served_models))
        if s.engine_version:
            parts.append(f"引擎 {s.engine or 'vLLM'} {s.engine_version}")
        if s.error:
            parts.append(f"服务未能使用：{s.error}")
        elif s.exit_code is not None:
            parts.append(f"测试结束后停止服务（退出码 {s.exit_code}）")
        # the start-up, not the log's end (the tail, read after the stop, is the shutdown)
        return DeploymentStep(title=f"启动推理服务（{label}）", description="；".join(parts) + "。",
                              commands=[s.launch_command], output=startup_excerpt(s.startup_log))
    parts = [f"连接已在运行的推理服务 {s.base_url or ''}".rstrip()]
    if s.served_models:
        parts.append("服务模型名 " + "、".join(s.served_models))
    if s.engine_version:
        parts.append(f"引擎 {s.engine or 'vLLM'} {s.engine_version}")
    if s.error:
        parts.append(f"服务未能使用：{s.error}")
    return DeploymentStep(title=f"连接推理服务（{label}）", description="；".join(parts) + "。",
                          commands=[f"curl {s.base_url}/v1/models"] if s.base_url else [])


def deployment_steps(results: Results, *, container: str | None = None, image: str | None = None) -> list[DeploymentStep]:
    steps = []
    if results.environment.facts:
        steps.append(_software_step(results, container, image))
    for v in results.variants:
        if v.server.base_url or v.server.launch_command:
            steps.append(_server_step(v.label, v.server))
    return steps


def record_deployment(results: Results, *, container: str | None = None, image: str | None = None) -> None:
    """Put this run's steps into ``results.deployment``, replacing an earlier run's steps of the same title."""
    new = deployment_steps(results, container=container, image=image)
    titles = {s.title for s in new}
    results.deployment = [s for s in results.deployment if s.origin != "measured" or s.title not in titles] + new
