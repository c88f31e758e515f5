"""``reportgen compare`` and ``summary`` over several files: the document and the rows."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import docx
import pytest
from _clean_run import fail_one_cut_one
from _compare_pairs import SAMPLES, cpu_run, pair
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.results import Results, save_results


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def ab(tmp_path: Path) -> tuple[Path, Path]:
    a, b = pair()
    return save_results(a, tmp_path / "card-a.json"), save_results(b, tmp_path / "card-b.json")


def _sections(md: str) -> list[str]:
    return re.findall(r"^## (.+)$", md, flags=re.M)


def test_halved_run_document_shows_2_and_half(ab: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = ab
    code, out, err = _run("compare", str(a), str(b), "-o", str(tmp_path / "out"))
    assert code == 0, err
    md_path = Path(out.strip())
    assert md_path.name == "compare-card-a-vs-card-b.md"
    md = md_path.read_text(encoding="utf-8")
    assert _sections(md)[0] == "1. 结论"
    assert "| 输出吞吐 TPS 比值（大于 1 更好） | 2.00×（6 个用例，2.00×～2.00×） |" in md
    assert "| TTFT 均值 比值（小于 1 更好） | 0.50×（6 个用例，0.50×～0.50×） |" in md
    assert "| TPOT 均值 比值（小于 1 更好） | 0.50×（6 个用例，0.50×～0.50×） |" in md
    assert md.count("| Card B | 91.41 | 250.00 | 10.00 | 250.00 | 有效 | 2.00× | 0.50× | 0.50× |") == 2
    assert "所有比值均为“本卡 ÷ 基准卡”" in md and "大于 1 表示本卡更好" in md and "小于 1 表示本卡更好" in md
    assert any((tmp_path / "out" / "charts").glob("compare_tps-*.png"))
    # --baseline turns the ratios round
    code, out, _ = _run("compare", str(a), str(b), "--baseline", str(b), "-o", str(tmp_path / "rev"))
    md = Path(out.strip()).read_text(encoding="utf-8")
    assert "| 输出吞吐 TPS 比值（大于 1 更好） | 0.50×（6 个用例，0.50×～0.50×） |" in md


def test_halved_run_summary_has_ratio_columns(ab: tuple[Path, Path]) -> None:
    a, b = ab
    code, out, err = _run("summary", str(a), str(b), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    assert list(rows[0])[0] == "source" and list(rows[0])[-3:] == ["output_tps_ratio", "ttft_mean_ratio", "tpot_mean_ratio"]
    assert {r["source"] for r in rows} == {"Card A (card-a.json)", "Card B (card-b.json)"}
    b_rows = [r for r in rows if r["source"].startswith("Card B")]
    assert {(r["output_tps_ratio"], r["ttft_mean_ratio"], r["tpot_mean_ratio"]) for r in b_rows} == {("2.00", "0.50", "0.50")}
    assert {r["output_tps_ratio"] for r in rows if r["source"].startswith("Card A")} == {""}
    code, out, _ = _run("summary", str(a), str(b), "--accuracy", "--format", "json")
    assert code == 0 and '"source": "Card B (card-b.json)"' in out


def test_invalid_cell_marked_and_excluded_in_document_and_summary(tmp_path: Path) -> None:
    a, b = pair()
    fail_one_cut_one(b.variants[0].serving[0])  # FP16 batch 1 of card B is invalid
    pa, pb = save_results(a, tmp_path / "a.json"), save_results(b, tmp_path / "b.json")
    code, out, _ = _run("compare", str(pa), str(pb), "-o", str(tmp_path))
    md = Path(out.strip()).read_text(encoding="utf-8")
    assert "| 同条件用例（可计算比值 / 双方共有） | 5 / 6 |" in md
    assert "| 输出吞吐 TPS 比值（大于 1 更好） | 2.00×（5 个用例，2.00×～2.00×） |" in md
    row = next(line for line in md.splitlines() if line.startswith("| 批大小 1<br>") and "| Card B |" in line)
    assert "| 无效 | 无效（本卡用例无效，不计算） |" in row
    assert "无法判定（Card B 的用例无效）" in md
    assert "Card B 的 6 个性能用例中有 1 个无效" in md
    code, out, _ = _run("summary", str(pa), str(pb), "--format", "json")
    import json

    bad = [r for r in json.loads(out) if r["source"] == "Card B (b.json)" and r["valid"] == "INVALID"]
    assert len(bad) == 1 and bad[0]["output_tps_ratio"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["one"], "reportgen: error: compare needs at least two results files (got 1)"),
        (["one", "empty"], "have nothing in common to compare"),
        (["one", "one"], "is given twice"),
        (["one", "two", "--baseline", "other.json"], "--baseline other.json is not one of the compared files"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    a, b = pair()
    paths = {"one": str(save_results(a, tmp_path / "one.json")), "two": str(save_results(b, tmp_path / "two.json")),
             "empty": str(save_results(Results(), tmp_path / "empty.json"))}
    code, out, err = _run("compare", *[paths.get(x, x) for x in args], "-o", str(tmp_path / "out"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("reportgen: error: ") and message in err
    assert not (tmp_path / "out").exists()


def test_seed_against_clean_run_in_all_formats(tmp_path: Path) -> None:
    other = save_results(cpu_run(), tmp_path / "cpu-run.json")
    out_dir = tmp_path / "out"
    code, out, err = _run("compare", str(SAMPLES / "seed-bi150.json"), str(other), "--format", "all", "-o", str(out_dir))
    assert code == 0, err
    stem = "compare-seed-bi150-vs-cpu-run"
    written = [Path(p).name for p in out.split()]
    assert written == [f"{stem}.md", f"{stem}.html", f"{stem}.docx", f"{stem}.pdf"]
    md = (out_dir / f"{stem}.md").read_text(encoding="utf-8")
    assert _sections(md) == ["1. 结论", "2. 环境对比", "3. 性能对比", "4. 精度对比", "5. 嵌入/重排对比", "6. 可比性说明",
                             "附录 A 数据来源", "附录 B 术语与比值定义"]
    notes = md.split("## 6. 可比性说明", 1)[1].split("## 附录 A", 1)[0]
    cpu = "x86 CPU（vLLM CPU 后端）"
    assert f"模型不同：Iluvatar BI-V150 为 Qwen2-7B-Instruct，{cpu} 为 Qwen2.5-0.5B-Instruct" in notes
    assert f"输入/输出长度不同：Iluvatar BI-V150 为 8192/256，{cpu} 为 512/64" in notes
    assert f"vLLM 版本不同：Iluvatar BI-V150 为 0.3.3，{cpu} 为 0.8.5" in notes
    assert "Iluvatar BI-V150 的 8 个性能用例中有 8 个无效" in notes
    assert ".json" not in notes  # cards are named by the card, never by a file name
    # the seed's cells are listed (marked), none compared
    seed_rows = [line for line in md.splitlines() if "| Iluvatar BI-V150（基准） |" in line and "输入 8192 / 输出 256 词元" in line]
    assert len(seed_rows) == 8 and all("| 无效 | 无对照用例 |" in line for line in seed_rows)
    assert "没有两张卡都测量的同条件用例" in md
    assert "/tmp" not in md and str(tmp_path) not in md

    pdf = out_dir / f"{stem}.pdf"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert "算力卡推理对比评测" in pages[0] and "1. 结论" in pages[1]
    assert text.index("1. 结论") < text.index("2. 环境对比") < text.index("6. 可比性说明")
    assert "模型不同" in text and "vLLM 版本不同" in text
    html = (out_dir / f"{stem}.html").read_text(encoding="utf-8")
    assert html.count("data:image/svg+xml;base64,") == 7  # two models: each metric once per model; the frontiers overlaid
    assert len(re.findall(r'<td class="[^"]*\binvalid\b[^"]*">无效</td>', html)) == 8  # the seed's 8 verdicts, drawn marked
    d = docx.Document(str(out_dir / f"{stem}.docx"))
    paragraphs = [p.text for p in d.paragraphs]
    assert any(p.endswith("可比性说明") for p in paragraphs) and any("模型不同" in p for p in paragraphs)
    assert len(d.inline_shapes) == 7


def test_summary_baseline_option(ab: tuple[Path, Path]) -> None:
    a, b = ab
    code, out, err = _run("summary", str(a), str(b), "--baseline", str(b), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["output_tps_ratio"] for r in rows if r["source"].startswith("Card A")} == {"0.50"}
    assert {r["ttft_mean_ratio"] for r in rows if r["source"].startswith("Card A")} == {"2.00"}
    assert {r["output_tps_ratio"] for r in rows if r["source"].startswith("Card B")} == {""}


def test_charts_overlay_every_card_and_mark_invalid_points() -> None:
    from reportgen.compare import compare
    from reportgen.compare.charts import _lines, chart_plan

    a, b = pair()
    fail_one_cut_one(b.variants[0].serving[0])
    c = compare([("a.json", a), ("b.json", b)])
    plan = chart_plan(c)
    assert [name.split("-")[0] for name, _ in plan] == ["compare_tps", "compare_ttft", "compare_tpot", "compare_frontier"]
    assert all(title.endswith(" · Qwen2-7B-Instruct") for _, title in plan[:3])  # one model: named in the title
    lines = _lines(c, "output_tps", c.cases[0].key.model)
    assert [label for _, _, label, _ in lines] == ["Card A · FP16", "Card A · GPTQ-Int4", "Card B · FP16", "Card B · GPTQ-Int4"]
    assert [bad for *_, pts in lines[2:3] for _, _, bad in pts] == [True, False, False]


LIVE = SAMPLES / "live-cpu.json"


@pytest.mark.skipif(not LIVE.is_file(), reason="samples/live-cpu.json is not in this checkout yet")
def test_seed_against_live_sample(tmp_path: Path) -> None:
    code, out, err = _run("compare", str(SAMPLES / "seed-bi150.json"), str(LIVE), "--format", "all", "-o", str(tmp_path))
    assert code == 0, err
    md = Path(out.split()[0]).read_text(encoding="utf-8")
    assert _sections(md)[0] == "1. 结论"
    notes = md.split("## 6. 可比性说明", 1)[1]
    # both ran the seed's 8192/256 matrix; what differs is the model, the prompts' dataset (the seed's
    # benchmark read sharegpt, the live run exact-length random prompts) and the vLLM version
    assert "模型不同" in notes and "数据集不同" in notes and "vLLM 版本不同：Iluvatar BI-V150 为 0.3.3" in notes
    assert "输入/输出长度不同" not in notes
    assert all(Path(p).is_file() for p in out.split())


def test_file_text_is_escaped_in_every_table(tmp_path: Path) -> None:
    a, b = pair()
    b.subject.card = "<img src=x onerror=alert(1)> | Card *B*"
    for v in b.variants:
        v.model = "Qwen2-7B-Instruct"
    pa, pb = save_results(a, tmp_path / "a.json"), save_results(b, tmp_path / "b|c.json")
    code, out, err = _run("compare", str(pa), str(pb), "--format", "html", "-o", str(tmp_path / "out"))
    assert code == 0, err
    html = Path(out.strip()).read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; | Card *B*" in html
    from reportgen.compare import compare
    from reportgen.compare.document import compare_markdown

    md = compare_markdown(compare([(str(pa), a), (str(pb), b)]))
    assert "\\<img src=x onerror=alert(1)\\> \\| Card \\*B\\*" in md  # one cell, not a broken row
    header = next(line for line in md.splitlines() if line.startswith("| 项目 | Card A（基准） |"))
    assert header.count(" | ") == 3
