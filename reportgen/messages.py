"""Structured notes: one table, rendered in English (the results file, logs) and Chinese (the document).

A collector that cannot get a fact records a *note*: a code from ``FACT_NOTES`` and its
arguments (``Fact.note``, ``Fact.note_args``). The English text is also kept as
``Fact.detail`` for readers of the JSON; the document renders the Chinese text from the same
row, never by translating the English.
"""

from __future__ import annotations

from collections.abc import Mapping

NoteArgs = Mapping[str, "str | int | float"]

# code -> (English, Chinese); {name} placeholders are the note's arguments
FACT_NOTES: dict[str, tuple[str, str]] = {
    "timed_out": ("{command}: no answer within {seconds} s", "{command} 在 {seconds} 秒内无响应"),
    "needs_root": ("{command}: needs root privileges ({error})", "{command} 需要 root 权限"),
    "tool_not_installed": ("{tool} is not installed ({error})", "{tool}"),
    "command_failed": ("{command}: exit {code}: {error}", "{command} 退出码 {code}"),
    "unparsable": ("{command}: {error}", "{command} 的输出无法解析"),
    "printed_nothing": ("{command} printed nothing usable: {output}", "{command} 未给出可用内容"),
    "no_dmi": ("no DMI data in sysfs; {tool}: {why}", "sysfs 中没有 DMI 信息，{tool} 也未给出"),
    "lscpu_field_missing": ("lscpu has no {field}", "lscpu 未给出此项"),
    "package_not_installed": ("{package} is not installed in {where}", "{where_zh}的 Python 环境中没有 {package}"),
    "smi_unusable": ("SMI tool(s) {tools} found but unusable: {why}", "找到 SMI 工具，但无法使用（{tools}）"),
    "no_accelerator": ("no accelerator on this machine: {why}", "本机未发现加速卡"),
    "smi_failed": ("{what}: {tool} {reason} ({error})", "{tool} 未能给出"),
    "smi_no_device": ("{what}: {tool} listed no device", "{tool} 未列出任何设备"),
    "no_smi_tool": ("no SMI tool found (searched PATH and vendor folders)", "未找到任何厂商的 SMI 工具（已查找 PATH 与厂商安装目录）"),
    "vendor_unknown": ("vendor id {vendor_id} not in the table", "厂商编号 {vendor_id} 不在已知列表中"),
    "model_unknown": ("PCI id {pci_id} not in the table and no SMI tool", "PCI 编号 {pci_id} 不在已知列表中，且无 SMI 工具"),
    "no_memory": ("no SMI tool reported memory and no spec entry", "SMI 工具未给出显存，厂商规格表也无此卡"),
    "no_spec_value": ("the spec sheet has no such value for {model}", "厂商规格表中 {model} 无此项"),
    "no_spec_entry": ("no spec sheet entry for {name!r}", "厂商规格表中没有 {name}"),
    "no_power_cap": ("no power cap from the tool; no spec sheet TDP for {name!r}", "SMI 工具未给出功耗上限，厂商规格表也无 {name} 的 TDP"),
    "tlimit_only": ("the tool prints limits relative to T.Limit only ({value}), not a temperature",
                    "该工具只给出相对 T.Limit 的温度余量（{value}），不是温度值"),
    "no_max_temperature": ("no max operating temperature from the tool or the spec sheet", "SMI 工具与厂商规格表均未给出最高工作温度"),
    "no_driver_version": ("the SMI tool printed no driver version", "SMI 工具未给出驱动版本"),
    "no_sdk_version": ("the SMI tool printed no SDK version", "SMI 工具未给出 SDK 版本"),
    "no_pcie_capability": ("no PCIe link capability in sysfs, lspci or the SMI tool", "sysfs、lspci 与 SMI 工具均未给出 PCIe 链路能力"),
    "unreachable": ("{error}", "无法连接该主机"),
}


class _Args(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:  # a note written by an older version may lack an argument
        return "?"


def note_text(code: str, args: NoteArgs | None = None, lang: str = "en") -> str:
    """The note in English (``lang="en"``) or Chinese (``"zh"``); an unknown code reads as itself."""
    row = FACT_NOTES.get(code)
    if row is None:
        return code
    return row[0 if lang == "en" else 1].format_map(_Args(args or {}))
