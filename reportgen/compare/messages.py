"""Every line the comparison says about itself, in English and Chinese from one table.

``say(code, **values)`` formats the table entry ``code`` with the same values in both
languages (``reportgen.messages.Msg``); the document shows ``zh``, the CLI's errors ``en``.
What a fact or setting is called comes from ``THINGS`` so that one name is used everywhere.
"""

from __future__ import annotations

from reportgen.messages import Msg, format_row

# code -> (English template, Chinese template); placeholders are filled by ``say``
MESSAGES: dict[str, tuple[str, str]] = {
    # errors (the CLI prints the English line)
    "one_file": (
        "compare needs at least two results files (got {n})",
        "对比至少需要两个结果文件（只给出了 {n} 个）",
    ),
    "twice": ("{file} is given twice", "{file} 重复给出"),
    "baseline_not_compared": (
        "--baseline {file} is not one of the compared files",
        "--baseline {file} 不是参与对比的文件之一",
    ),
    "nothing_in_common": (
        "{other} and {base} have nothing in common to compare: no serving cells, accuracy results or "
        "embedding/reranker checks on both sides",
        "{other} 与 {base} 没有可对比的内容：双方没有共同的性能测试、精度评测或向量/重排序模型测试",
    ),
    # comparability notes (可比性说明)
    "differs": (
        "{what} differs: {base_file} {base}; {other_file} {other}",
        "{what}不同：{base_file} 为 {base}，{other_file} 为 {other}",
    ),
    "unrecorded": (
        "not recorded, so they cannot be confirmed to be the same: {what}",
        "以下设置未记录，无法确认双方相同：{what}",
    ),
    "model_differs": (
        "the files measured different models ({base_file} {base}; {other_file} {other}): serving cells and "
        "accuracy of different models are listed side by side but not compared",
        "模型不同：{base_file} 为 {base}，{other_file} 为 {other}；不同模型的性能用例与精度得分只并列列出，不作比较",
    ),
    "unmatched_cells": (
        "{n} serving case(s) of {file} have no partner in {base_file} and enter no ratio",
        "{file} 有 {n} 个性能用例在 {base_file} 中没有同条件用例，不参与比值计算",
    ),
    "invalid_cells": (
        "{n} of {m} serving case(s) of {file} are invalid: they are shown but enter no ratio",
        "{file} 的 {m} 个性能用例中有 {n} 个无效：照常列出，但不参与比值计算",
    ),
    "doubtful_cells": (
        "{n} of {m} serving case(s) of {file} are doubtful: their ratios are marked",
        "{file} 的 {m} 个性能用例中有 {n} 个存疑：由其算出的比值标为存疑",
    ),
    "imported": (
        "figures of {file} were imported from an existing document, not measured by reportgen",
        "{file} 的数据取自已有评测文档中打印的数值，未重新测量",
    ),
    "accuracy_mode": (
        "{benchmark} ({kind}) was scored in different modes ({modes}): the scores are not compared",
        "{benchmark}（{kind}）的评分口径不同（{modes}），得分不作比较",
    ),
    "accuracy_samples": (
        "{benchmark} ({kind}) was scored on different sample counts ({counts}): the scores are not compared",
        "{benchmark}（{kind}）的评测样本数不同（{counts}），得分不作比较",
    ),
    "embedding_mode": (
        "{model} ({kind}) ran differently ({modes}): throughput includes different software",
        "{model}（{kind}）的推理方式不同（{modes}），吞吐包含不同的软件栈",
    ),
    "capacity_slo": (
        "capacity searches of {file} use SLOs or lengths that {base_file} has no search for: not compared",
        "{file} 的容量搜索所用 SLO 或长度在 {base_file} 中没有对应搜索，不作比较",
    ),
}

# what the notes talk about: key -> (English, Chinese)
THINGS: dict[str, tuple[str, str]] = {
    "model": ("model", "模型"),
    "lengths": ("input/output lengths", "输入/输出长度"),
    "datasets": ("datasets", "数据集"),
    "loads": ("batch sizes / request rates", "批大小/请求速率"),
    "kinds": ("model variants", "模型版本"),
    "engine": ("inference engine", "推理引擎"),
    "vllm": ("vLLM version", "vLLM 版本"),
    "torch": ("PyTorch version", "PyTorch 版本"),
    "driver": ("driver version", "驱动版本"),
    "sdk": ("SDK version", "SDK 版本"),
    "cards": ("card count", "加速卡数量"),
    "chips": ("chip count", "芯片数量"),
    "tp": ("tensor parallel size", "张量并行数"),
    "tokenizer": ("tokenizer of the prompts", "提示词的分词器"),
    "os": ("operating system", "操作系统"),
}


def say(code: str, **values: object) -> Msg:
    """The message ``code`` in both languages; ``values`` may be ``Msg`` (each language
    takes its own text) or plain values (the same text in both)."""
    row = MESSAGES[code]
    return Msg(
        format_row(row, {k: (v.en if isinstance(v, Msg) else v) for k, v in values.items()}, "en"),
        format_row(row, {k: (v.zh if isinstance(v, Msg) else v) for k, v in values.items()}, "zh"),
    )


def thing(key: str) -> Msg:
    en, zh = THINGS[key]
    return Msg(en, zh)
