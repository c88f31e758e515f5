"""The benchmark registry: name -> ``Task``. An unknown name lists the known ones."""

from __future__ import annotations

from collectors.accuracy.tasks.base import MODES, ModeSpec, Task
from collectors.accuracy.tasks.bbh import BBH
from collectors.accuracy.tasks.ceval import CEVAL
from collectors.accuracy.tasks.gsm8k import GSM8K
from collectors.accuracy.tasks.mmlu import MMLU
from reportgen.errors import ReportgenError

TASKS: dict[str, Task] = {t.name: t for t in (CEVAL, GSM8K, MMLU, BBH)}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ReportgenError(f"unknown benchmark {name!r}; known: {', '.join(TASKS)}") from None


__all__ = ["MODES", "TASKS", "ModeSpec", "Task", "get_task"]
