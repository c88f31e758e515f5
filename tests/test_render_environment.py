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


def test_no_power_columns_without_readings() -> None:
    from reportgen.metrics import serving_metrics
    from reportgen.results import RequestRecord, ServingCell, TelemetrySeries

    r = Results()
    recs = [RequestRecord(index=0, start_s=0.0, first_token_s=0.1, end_s=1.0, chunk_times_s=[0.1, 1.0], prompt_tokens=16, completion_tokens=2)]
    cell = ServingCell(batch_size=1, input_len=16, output_len=2, duration_s=1.0, requests=recs, metrics=serving_metrics(recs, 1.0),
                       telemetry=TelemetrySeries(stage="serving", reason="not_installed", detail="no SMI tool"))
    r.variant("FP16").serving.append(cell)
    md = render_markdown(r)
    summary = md.split("### 3.4", 1)[1].split("\n## ", 1)[0]
    assert "平均功耗" not in summary
    assert "功耗与温度：未测试（未安装" in md.split("### 3.3", 1)[1].split("### 3.4", 1)[0]
