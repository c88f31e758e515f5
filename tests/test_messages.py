"""Notes are data rendered from one table in English (JSON, logs) and Chinese (the document)."""

from __future__ import annotations

import re
import string

from collectors.execution import ReplayHost
from collectors.hardware.collect import collect_environment
from reportgen.messages import NOTES, note_text
from reportgen.report.formatting import fact_text
from reportgen.results import Fact

# names that stay as they are in the Chinese text
NAMES = {"SMI", "sysfs", "lspci", "DMI", "PCIe", "PATH", "TDP", "Python", "root", "SDK", "PCI", "Limit", "dmidecode", "lscpu",
         "float", "CPU", "vLLM", "tokenize", "sigmoid"}


def test_every_note_has_both_languages_with_the_same_arguments_or_fewer() -> None:
    for code, (en, zh) in NOTES.items():
        en_args = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        zh_args = {f for _, f, _, _ in string.Formatter().parse(zh) if f}
        # the Chinese may use a "*_zh" argument the collector passes for it ("kind_zh": "512 词元文本")
        assert en and zh and {a for a in zh_args if not a.endswith("_zh")} <= {a.split("!")[0] for a in en_args}, code
        words = set(re.findall(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}", "", zh)))
        assert words <= NAMES, (code, words - NAMES)


def test_a_missing_fact_reads_in_chinese_and_keeps_its_english_detail() -> None:
    fact = Fact.missing("not_installed", note="tool_not_installed", note_args={"tool": "docker", "error": "sh: 1: docker: not found"})
    assert fact.detail == "docker is not installed (sh: 1: docker: not found)"  # the JSON's English
    assert fact_text(fact) == "未测试（未安装：docker）"
    assert note_text("no_such_code") == "no_such_code"  # an unknown code (a newer file) reads as itself
    assert note_text("tlimit_only", {}, "zh").startswith("该工具只给出")  # a missing argument reads "?"


def test_a_machine_without_dmidecode_or_accelerator_says_so_in_chinese() -> None:
    """Every command of the hardware stage answers 'not found' (exit 127) except a bare lscpu."""
    env = collect_environment(ReplayHost(fallback=lambda c: (0, "Model name: Test CPU\n") if "lscpu" in c else None))
    texts = [fact_text(f) for f in env.facts.values() if not f.present]
    assert texts and all(not re.search(r"[A-Za-z]{4,} (is|not|no|has) ", t) for t in texts), texts
    assert any("未安装：dmidecode" in t or "dmidecode 也未给出" in t for t in texts)
    assert all(f.note for f in env.facts.values() if not f.present), [k for k, f in env.facts.items() if not f.present and not f.note]


def test_old_files_without_notes_show_the_reason_only() -> None:
    old = Fact.missing("not_installed", "docker is not installed (sh: 1: docker: not found)")
    assert fact_text(old) == "未测试（未安装）"
    imported = Fact.missing("not_collected", "原文未记录", origin="imported")
    assert fact_text(imported) == "未测试（未采集：原文未记录）"
