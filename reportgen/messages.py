"""Structured notes: one table, rendered in English (the results file, logs) and Chinese (the document).

A collector records a *note* where it has something to say that a reader needs: why a fact is
missing (``Fact.note`` + ``Fact.note_args``, with the English also in ``Fact.detail``), an
embedding run's warnings and its reference check (``reportgen.results.Note``). The document
renders the Chinese text from the same row, never by translating the English. Free text that
is data (an exception's or a server's own message) is quoted as it is: code ``text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NoteArgs = Mapping[str, "str | int | float"]

# code -> (English, Chinese); {name} placeholders are the note's arguments
NOTES: dict[str, tuple[str, str]] = {
    # free text recorded as it was (an older file's English line, a server's message)
    "text": ("{text}", "{text}"),
    # ---- why an environment fact is missing (collectors/hardware)
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
    # ---- embedding and reranker checks (collectors/embedding)
    "reference_is_self": ("this run is itself the float32 CPU reference", "本次运行即为 float32 CPU 参照"),
    "no_cpu_reference": ("no float32 CPU reference: {error}", "无 float32 CPU 参照：“{error}”"),
    "not_local_model": ("no float32 CPU reference: {name!r} is not a local model directory",
                        "无 float32 CPU 参照：{name} 不是本地模型目录"),
    "no_recorded_values": ("no recorded values for this model", "已有文档没有该模型的记录值"),
    "recorded_other_texts": ("the seed's recorded values for {name} are for other texts", "已有文档记录的 {name} 数值对应其他文本"),
    "recorded_apply": ("{n} of {m} recorded values apply to these inputs", "{m} 个记录值中有 {n} 个适用于本次输入"),
    "recorded_values": ("{sources}", "{sources}"),
    "embeddings_below": ("{n} of {m} embeddings below cosine {threshold}", "{m} 条向量中有 {n} 条与参照的余弦相似度低于 {threshold}"),
    "scores_differ": ("{n} of {m} scores differ by more than {threshold}", "{m} 个得分中有 {n} 个与参照之差超过 {threshold}"),
    "shape_mismatch": ("the reference has shape {reference}, the run {run}", "参照向量的形状为 {reference}，本次为 {run}"),
    "cpu_reference_of": ("float32 CPU run of {path} ({library})", "{path} 的 float32 CPU 推理（{library}）"),
    "cpu_reference_of_sigmoid": ("float32 CPU run of {path} ({library}), sigmoid-normalized (the server returned normalized scores)",
                                 "{path} 的 float32 CPU 推理（{library}），经 sigmoid 归一化（服务端返回的是归一化得分）"),
    "truncated": ("the model takes at most {tokens} tokens: {kind} texts were truncated to {tokens}",
                  "模型最多接受 {tokens} 个词元：{kind_zh}被截断为 {tokens} 个词元"),
    "no_token_count": ("the server counts no tokens: the {kind} texts were cut to {chars} characters, their token count is unknown",
                       "服务端不提供词元计数：{kind_zh}按 {chars} 个字符截取，实际词元数未知"),
    "cannot_size": ("throughput not measured: cannot size the {tokens}-token texts: {error}",
                    "未测吞吐：无法构造 {tokens} 词元的文本：“{error}”"),
    "throughput_failed": ("throughput, {kind} texts, batch {batch}: {error}", "吞吐测试（{kind_zh}，批大小 {batch}）失败：“{error}”"),
    "batch_pair_differs": ("pair ({query!r}, {passage!r}) scores {batch_score} in a batch but {alone} alone (|diff| {diff} > {threshold})",
                           "文本对（{query}，{passage}）批量计算得分 {batch_score}，单独计算得分 {alone}（绝对差 {diff} > {threshold}）"),
    "served_other_model": ("the server does not list {model!r}; it serves {served!r}, which was used",
                           "服务端没有列出 {model}，使用了它提供的 {served}"),
    "no_tokenize": ("no vLLM-style /tokenize ({error}): token counts come from the server's usage where it reports them",
                    "服务端没有 vLLM 的 /tokenize 接口（“{error}”）：词元数取自服务端返回的用量统计（如有）"),
    "raw_scores_rejected": ("{endpoint} rejected the raw-score flags ({flags}): its scores are the server's normalized ones",
                            "{endpoint} 不接受原始得分参数（{flags}）：得分为服务端归一化后的数值"),
}


@dataclass(frozen=True)
class Msg:
    """One line in English and in Chinese, worded from the same values (``format_row``)."""

    en: str
    zh: str

    def __add__(self, other: Msg) -> Msg:
        return Msg(self.en + other.en, self.zh + other.zh)

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def joined(parts: Iterable[Msg], en: str = "; ", zh: str = "；") -> Msg:
    """Several lines joined into one, each language with its own separator."""
    parts = list(parts)
    return Msg(en.join(p.en for p in parts), zh.join(p.zh for p in parts))


class _Args(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:  # a note written by an older version may lack an argument
        return "?"


def format_row(row: tuple[str, str], args: Mapping[str, object], lang: str, *, lenient: bool = False) -> str:
    """One row of a message table — (English, Chinese) templates — in ``lang`` ("en" or "zh"):
    the one way this project words a message in both languages (``NOTES`` here, the comparison's
    table in ``reportgen.compare.messages``). ``lenient``: a missing argument reads "?" (a note read
    from a file an older version wrote) instead of raising ``KeyError`` (a caller's mistake)."""
    template = row[0 if lang == "en" else 1]
    return template.format_map(_Args(args)) if lenient else template.format(**args)


def note_text(code: str, args: NoteArgs | None = None, lang: str = "en") -> str:
    """The note in English (``lang="en"``) or Chinese (``"zh"``); an unknown code reads as itself."""
    row = NOTES.get(code)
    if row is None:
        return code
    return format_row(row, args or {}, lang, lenient=True)
