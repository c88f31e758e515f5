"""Charts: CJK titles with no missing glyph, SVG + PNG, only cells with metrics."""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET

import pytest
from formats_sample import ACCURACY, SUMMARY, sample_results
from PIL import Image

from reportgen.report.charts import PNG_DPI, accuracy_chart, chart_assets, find_cjk_fonts, serving_charts
from reportgen.results import Results


@pytest.fixture(autouse=True)
def _user_warnings_are_errors():  # noqa: ANN202 - missing glyphs are UserWarnings in matplotlib
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        yield


def _svg_texts(svg: bytes) -> list[str]:
    """The charts' texts are SVG <text> elements (svg.fonttype none), in drawing order."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_cjk_font_is_found_through_fontconfig() -> None:
    fonts = find_cjk_fonts()
    assert any(p.name.startswith("NotoSansCJK-Regular") for p in fonts)


def test_serving_charts_have_cjk_titles_and_one_line_per_variant() -> None:
    charts = serving_charts(sample_results())
    assert list(charts) == ["serving_tps", "serving_ttft", "serving_tpot"]
    for chart in charts.values():
        assert chart.svg.startswith(b"<?xml") and b"<svg" in chart.svg
        assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
        texts = _svg_texts(chart.svg)
        assert chart.title in texts and "批大小（并发请求数）" in texts
        assert "FP16" in texts and "INT4" in texts  # legend: one line per variant
        assert "无效数据（不连线）" in texts  # recomputed findings: every INT4 cell has an error (TTFT > duration)
        assert ["1", "2", "4", "8"] == [t for t in texts if t in {"1", "2", "4", "8", "16"}]  # bs 16 has no metrics
        png = Image.open(io.BytesIO(chart.png))
        assert round(png.info["dpi"][0]) == PNG_DPI and 150 <= PNG_DPI <= 200
    # every point of this sample is INVALID: the title says so (the data is shown, not usable)
    assert charts["serving_tps"].title == "输出吞吐（TPS）随批大小变化（全部数据无效，仅供核对）"


def test_serving_chart_points_are_the_metrics_values() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from reportgen.report.charts import SERVING_SERIES, serving_lines

    lines = dict(serving_lines(sample_results(), SERVING_SERIES["serving_tps"][2]))
    expected = {p: [(bs, float(tps)) for q, bs, tps, *_ in SUMMARY if q == p] for p in ("FP16", "INT4")}
    assert {k: [(m.batch, m.y) for m in v] for k, v in lines.items()} == expected
    # The status is recomputed from the data (the file's stored findings are not read).
    assert [m.status for m in lines["INT4"]] == ["INVALID"] * 4


def test_accuracy_chart_groups_benchmarks_and_variants() -> None:
    chart = accuracy_chart(sample_results())
    assert chart is not None and re.fullmatch(r"accuracy-[0-9a-f]{8}", chart.name)
    texts = _svg_texts(chart.svg)
    assert chart.title == "精度评测得分（按基准与精度）" and chart.title in texts
    for bench in ("ceval", "gsm8k", "mmlu", "bbh"):
        assert bench in texts
    for scores in ACCURACY.values():  # bar labels: the score in percent
        for score in scores.values():
            assert f"{score * 100:.2f}" in texts


def test_svg_is_deterministic_and_assets_are_named_by_chart() -> None:
    a = serving_charts(sample_results())
    b = serving_charts(sample_results())
    assert a["serving_tpot"].svg == b["serving_tpot"].svg
    assets = chart_assets(a)
    assert set(assets) == {f"charts/{c.name}.{ext}" for c in a.values() for ext in ("svg", "png")}
    assert all(c.name.startswith(kind + "-") for kind, c in a.items())


def test_chart_file_names_differ_between_documents_and_not_between_renders() -> None:
    r1, r2 = sample_results(), sample_results()
    assert serving_charts(r1)["serving_tps"].name == serving_charts(r2)["serving_tps"].name
    r2.variants[0].serving[0].metrics.output_throughput *= 2  # type: ignore[union-attr]
    assert serving_charts(r1)["serving_tps"].name != serving_charts(r2)["serving_tps"].name
    assert serving_charts(r1)["serving_ttft"].name == serving_charts(r2)["serving_ttft"].name


def test_no_data_no_chart() -> None:
    empty = Results()
    empty.variant("FP16")
    assert serving_charts(empty) == {}
    assert accuracy_chart(empty) is None


def test_missing_cjk_font_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from reportgen.errors import RenderError
    from reportgen.report import fonts

    monkeypatch.setattr(fonts, "_fc_match", lambda pattern: None)
    monkeypatch.setattr(fonts, "_FALLBACK_DIRS", (str(tmp_path),))
    fonts.find_cjk_fonts.cache_clear()
    try:
        with pytest.raises(RenderError, match="fonts-noto-cjk"):
            fonts.find_cjk_fonts()
    finally:
        fonts.find_cjk_fonts.cache_clear()
