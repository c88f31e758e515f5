"""Section 2 (deployment steps), and the performance-test steps that section 3.3 shows."""

from __future__ import annotations

from reportgen.report import formatting as fmt
from reportgen.report.view_types import DeploymentStepView, DeploymentView
from reportgen.results import Results

_PERF_STEP = "性能测试："


def _split_title(title: str) -> tuple[str | None, str]:
    """"驱动+软件栈安装--docker方式：安装docker" -> (group, step); no "：" -> (None, title)."""
    group, sep, rest = title.partition("：")
    return (group, rest) if sep and rest else (None, title)


def deployment_view(results: Results) -> DeploymentView:
    """Section 2 in the seed's nesting: consecutive steps of one group ("--docker方式：…")
    become 2.n.1, 2.n.2 … under one 2.n heading. Steps of the performance test are 3.3's."""
    steps: list[DeploymentStepView] = []
    n = 0
    group_of_prev: str | None = None
    sub = 0
    for s in results.deployment:
        if s.title.startswith(_PERF_STEP):
            continue
        group, title = _split_title(s.title)
        if group is not None and group == group_of_prev:
            sub += 1
        elif group is not None:
            n += 1
            sub = 1
            steps.append(DeploymentStepView(number=f"2.{n}", title=group, description=None, commands=None,
                                            output=None, note=None, level="###", is_group=True))
        else:
            n += 1
            sub = 0
        group_of_prev = group
        steps.append(
            DeploymentStepView(
                number=f"2.{n}.{sub}" if group is not None else f"2.{n}",
                title=title if group is not None else s.title,
                description=s.description,
                commands="\n".join(s.commands) if s.commands else None,
                output=s.output,
                note=None,
                level="####" if group is not None else "###",
                screen=s.screen,
            )
        )
    missing = None if steps else fmt.missing("not_collected", "没有部署记录")
    return DeploymentView(steps=steps, missing=missing)


def perf_steps(results: Results) -> list[DeploymentStepView]:
    """The seed's 3.3 steps 1–3 (replace the benchmark script, start the server, start the client)."""
    out: list[DeploymentStepView] = []
    for s in results.deployment:
        if s.title.startswith(_PERF_STEP):
            out.append(DeploymentStepView(
                number=str(len(out) + 1), title=s.title.removeprefix(_PERF_STEP), description=s.description,
                commands="\n".join(s.commands) if s.commands else None, output=s.output, note=None, level="####"))
    return out
