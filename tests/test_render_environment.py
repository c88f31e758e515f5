from reportgen.report.markdown import render_markdown
from reportgen.results import Fact, Results


def test_machine_without_accelerator_says_so_plainly() -> None:
    r = Results()
    r.environment.facts["accelerator.count"] = Fact.of(0, source="sysfs_pci")
    r.environment.facts["accelerator.model"] = Fact.missing("not_applicable", "no accelerator on this machine")
    md = render_markdown(r)
    section = md.split("## 1. 环境规格", 1)[1].split("\n## 2.", 1)[0]
    assert "| 加速卡 | 数量 | 0（本机未发现加速卡） |" in section
    assert "本机未发现加速卡：" in section
    assert "| 加速卡 | 型号 |" not in section


def test_accelerator_rows_shown_when_present() -> None:
    r = Results()
    r.environment.facts["accelerator.count"] = Fact.of(2, origin="imported")
    r.environment.facts["accelerator.model"] = Fact.of("Iluvatar BI-V150", origin="imported")
    section = render_markdown(r).split("## 1. 环境规格", 1)[1].split("\n## 2.", 1)[0]
    assert "| 加速卡 | 型号 | Iluvatar BI-V150 |" in section
    assert "本机未发现加速卡" not in section


def test_model_name_falls_back_to_the_served_path() -> None:
    r = Results()
    r.variant("FP16", served_model_name="/models/Qwen2-7B-Instruct/")
    assert "## 3. Qwen2-7B-Instruct推理用例测试" in render_markdown(r)
