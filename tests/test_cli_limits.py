"""Values checked at the door, and a few that crashed: every number option of every command
(and the numbers inside --batch-sizes, --request-rate, --slo and --dataset prefix:LEN) driven
with NaN, ±inf, negative, zero and huge values; capacity's start inside its search range
(against a slot-limited stub); DOCX cover fields past python-docx's core-property limit;
Ctrl-C while the modules load."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving_helpers import Stub, make_tokenizer

from reportgen.cli import cli
from reportgen.commands._options import NumberList, _FloatNumber, _IntNumber
from reportgen.ranges import Bounds, Milliseconds, Tokens, bounds

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "vllm-bench" / "vllm-0.32-cpu-bench-serve-c8.txt"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: an accepted value ends in one "cannot reach" line

# what each command needs besides the option under test (it never gets as far as doing anything)
BASE: dict[str, list[str]] = {
    "bench": ["--base-url", NOWHERE, "--model", "m", "--no-telemetry"],
    "capacity": ["--base-url", NOWHERE, "--model", "m", "--slo", "ttft_p99_ms=100", "--no-telemetry"],
    "eval": ["--base-url", NOWHERE, "--model", "m", "--data", str(REPO / "datasets")],
    "embed": ["--model", "m", "--kind", "embedding", "--base-url", NOWHERE],
    "soak": ["--base-url", NOWHERE, "--model", "m", "--no-telemetry", "--duration", "10s"],
    "reference record": ["--base-url", NOWHERE, "--model", "m"],
    # any existing file: the option is checked before the reference is read (then refused in one line)
    "consistency": ["--reference", str(REPO / "README.md"), "--base-url", NOWHERE, "--model", "m"],
    "collect": ["--only", "hardware"],
    "import auto": [str(FIXTURE)],
    "import vllm-log": [str(FIXTURE)],
}
# options whose text holds a number: (command, option, template, range)
EMBEDDED = [
    ("bench", "--slo", "ttft_p99_ms={}", bounds(Milliseconds)),
    ("capacity", "--slo", "ttft_p99_ms={}", bounds(Milliseconds)),
    ("bench", "--dataset", "prefix:{}", bounds(Tokens)),
]
SPECIAL = ["nan", "NaN", "inf", "-inf", "+inf", "-1", "0", "1e400", "1e308", "-1e308", "9" * 4000, "1e-320", "0.5",
           "", "1,nan", "2,inf"]


def _number_options() -> list[tuple[str, str, Bounds, bool]]:
    """(command path, option, range, is a list) of every number option; fails on a number option
    that does not take its range from reportgen.ranges (it would accept NaN or 1e300)."""
    out = []

    def walk(cmd: click.Command, path: str) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}".strip())
            return
        for p in cmd.params:
            if not isinstance(p, click.Option):
                continue
            t = p.type
            if isinstance(t, (_IntNumber, _FloatNumber)):
                out.append((path, max(p.opts, key=len), t.bounds, False))
            elif isinstance(t, NumberList):
                out.append((path, max(p.opts, key=len), t.bounds, True))
            else:
                assert not isinstance(t, (click.types.IntParamType, click.types.FloatParamType)), (
                    f"{path} {p.opts}: a number option without a range of reportgen.ranges")
    walk(cli, "")
    return out


NUMBER_OPTIONS = _number_options()


def test_every_number_option_is_covered() -> None:
    names = {(c, o) for c, o, _, _ in NUMBER_OPTIONS}
    assert {("bench", "--rounds"), ("bench", "--telemetry-interval"), ("capacity", "--start"), ("collect", "--timeout"),
            ("collect", "--ssh-port"), ("eval", "--limit"), ("embed", "--batch-sizes"), ("import auto", "--batch-size"),
            ("bench", "--burstiness"), ("bench", "--request-rate"), ("capacity", "--max-rate")} <= names
    assert set(BASE) >= {c for c, _ in names}


def _in_range(b: Bounds, text: str, is_list: bool) -> bool:
    parts = [x.strip() for x in text.split(",") if x.strip()] if is_list else [text.strip()]
    if not parts or any(len(x) > 32 for x in parts):
        return False
    try:
        vals = [int(x) if b.kind is int else float(x) for x in parts]
    except ValueError:
        return False
    return all(b.contains(v) for v in vals)


def _check(command: str, option: str, text: str, valid: bool, tmp: Path) -> None:
    args = [*command.split(), *BASE[command], option, text]
    if command.startswith("import"):
        args += ["-o", str(tmp / "imported.json")]
    elif command != "collect":
        args += ["-o", str(tmp / "r.json")]
    else:
        args += ["-o", str(tmp / "c.json")]
    r = CliRunner().invoke(cli, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exc_info)
    assert "Traceback" not in r.output, (args, r.output)
    lines = r.output.strip().splitlines()
    if not valid:
        assert r.exit_code == 2 and lines, (args, r.output)
        assert option in lines[-1] and lines[-1].startswith("reportgen: error: "), (args, lines[-1])
        assert len(lines[-1]) < 400  # a 4000-digit value is not echoed whole
    else:  # accepted: the command ran on, to an unreachable server or to its end, in one line if it failed
        assert r.exit_code in (0, 1, 2), (args, r.output)
        assert not any(option in ln and "Invalid value" in ln for ln in lines), (args, r.output)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_number_option_refuses_what_lies_outside_its_range(data: st.DataObject, tmp_path: Path) -> None:
    command, option, b, is_list = data.draw(st.sampled_from(NUMBER_OPTIONS))
    text = data.draw(st.one_of(
        st.sampled_from(SPECIAL),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
    ))
    if option == "--seed" and text.strip() in ("0", "-0"):
        text = "7"  # (accepted) keeps the run short: a prompt seed of 0 is fine, and covered by 7
    _check(command, option, text, _in_range(b, text, is_list), tmp_path)


@pytest.mark.parametrize(("command", "option", "template", "b"), EMBEDDED, ids=[f"{c}{o}" for c, o, _, _ in EMBEDDED])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e400", "1e308", "9" * 4000])
def test_numbers_inside_option_text_are_checked_too(command: str, option: str, template: str, b: Bounds, value: str,
                                                    tmp_path: Path) -> None:
    _check(command, option, template.format(value), _in_range(b, value, False), tmp_path)


def test_plan_numbers_are_checked_with_the_fields_path() -> None:
    from reportgen.errors import InputFormatError
    from reportgen.plan import parse_plan

    for toml, where in [
        ("[server]\nlog_tail_lines = -1\n", "server.log_tail_lines: Input should be greater than or equal to 0"),
        ("[serving]\nburstiness = nan\n", "nan is not a number the results can hold"),
        ("[serving]\nrounds = 99999999999999\n", "serving.rounds: Input should be less than or equal to 10000000"),
        ("[serving]\nrequest_rates = [1, inf]\n", "inf is not a number"),
        ("[capacity]\nstart = 1000\nmax_concurrency = 4\n", "capacity: Value error, start: 1000 lies outside the search range 1 to 4"),
        ("[accuracy]\nconcurrency = 0\n", "accuracy.concurrency: Input should be greater than or equal to 1"),
        ("[server]\nstartup_timeout_s = 1e300\n", "server.startup_timeout_s: Input should be less than or equal to 604800"),
    ]:
        with pytest.raises(InputFormatError, match=re.escape(where)):
            parse_plan(toml)


def test_telemetry_interval_inf_is_refused_at_the_door(tmp_path: Path) -> None:
    for command in ("bench", "capacity"):
        r = CliRunner().invoke(cli, [command, *BASE[command][:-1], "--telemetry-interval", "inf", "-o", str(tmp_path / "r.json")])
        assert r.exit_code == 2 and r.output.strip() == (
            "reportgen: error: Invalid value for '--telemetry-interval': 'inf' is not a finite number >= 0.01 and <= 3600")
    assert not (tmp_path / "r.json").exists()


# --------------------------------------------------------------------------- capacity bounds

SLOTS = 3


@pytest.fixture(scope="module")
def slot_stub(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tok = make_tokenizer(tmp_path_factory.mktemp("tok"))
    s = Stub(tok, slots=SLOTS, ttft=0.1)
    s.tokdir = tok  # type: ignore[attr-defined]
    yield s
    s.stop()


def _capacity(stub: Stub, out: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(cli, ["capacity", "--base-url", stub.base_url, "--model", "stub-model", "--tokenizer",
                                    str(stub.tokdir), "--input-len", "16", "--output-len", "20",  # type: ignore[attr-defined]
                                    "--slo", "ttft_p99_ms=2000", "--no-telemetry", "--warmup", "0", "-o", str(out), *args])


def test_capacity_start_above_the_maximum_is_refused(slot_stub: Stub, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    r = _capacity(slot_stub, out, "--max-concurrency", "4", "--start", "1000")
    assert r.exit_code == 2 and r.output.strip() == (
        "reportgen: error: --start: 1000 lies outside the search range 1 to 4 (the maximum concurrency)")
    r = _capacity(slot_stub, out, "--by", "rate", "--max-rate", "64", "--start", "100")
    assert r.exit_code == 2 and "--start: 100 requests/s lies outside the search range 0.001 to 64 requests/s" in r.output
    r = _capacity(slot_stub, out, "--max-concurrency", "4", "--start", "2.5")
    assert r.exit_code == 2 and "a concurrency search starts at a whole number, not 2.5" in r.output
    assert not out.exists()


@pytest.mark.parametrize(("start", "probed"), [("4", [4]), ("2", [2, 4])])
def test_capacity_search_stays_inside_its_bounds_and_says_them(slot_stub: Stub, tmp_path: Path, start: str,
                                                               probed: list[int]) -> None:
    from reportgen.report.markdown import render_markdown
    from reportgen.results import load_results

    out = tmp_path / "r.json"
    r = _capacity(slot_stub, out, "--max-concurrency", "4", "--start", start, "--precision", "FP16")
    assert r.exit_code == 0, r.output
    res = load_results(out)
    (s,) = res.variant("FP16").capacity
    assert [p.value for p in s.probes] == probed and all(1 <= p.value <= 4 for p in s.probes)
    assert (s.min_value, s.max_value, s.start) == (1, 4, float(start))
    assert s.capacity == 4  # 3 slots of 0.1 s TTFT: concurrency 4 waits at most one request, within 2 s
    md = render_markdown(res)
    sec = md[md.index("### 3\\.5"):]
    assert f"搜索范围：并发数 1–4，起点 {start}（逐次加倍至上限，再二分；低于起点的负载未测试）" in sec


# --------------------------------------------------------------------------- DOCX cover fields


def test_docx_cover_fields_of_256_characters_or_more(tmp_path: Path) -> None:
    from docx import Document

    from reportgen.results import load_results, save_results

    res = load_results(REPO / "samples" / "seed-bi150.json")
    res.title = "算力卡推理评测" + "长" * 300
    res.subject.tester = "张" * 300
    res.subject.reviewer = "李" * 256
    res.subject.organization = "评测单位" * 80
    save_results(res, tmp_path / "r.json")
    r = CliRunner().invoke(cli, ["render", str(tmp_path / "r.json"), "--format", "docx", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    doc = Document(str(tmp_path / "out" / "r.docx"))
    props = doc.core_properties
    assert len(props.title) == 255 and props.title.endswith("…") and props.title.startswith("算力卡推理评测长")
    assert props.author == "张" * 254 + "…"
    cover = [c.text for t in doc.tables[:1] for row in t.rows for c in row.cells]
    assert "张" * 300 in cover and "李" * 256 in cover and "评测单位" * 80 in cover  # kept whole on the cover
    assert any(("长" * 300) in p.text for p in doc.paragraphs[:5])


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_at_any_moment_of_the_first_second_is_one_line_and_130() -> None:
    """17 tries, SIGINT at a random moment of the first second (while Python and reportgen's modules
    load, or while validate runs): exit 130 with one line, or the command had already finished. A
    traceback is allowed only from Python's own start, before any line of reportgen ran."""
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    outcomes = []
    for _ in range(17):
        p = subprocess.Popen([sys.executable, "-m", "reportgen", "validate", str(REPO / "samples" / "seed-bi150.json")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        time.sleep(rng.uniform(0.0, 1.0))
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        if "Traceback" in err:
            assert "reportgen" not in err, err  # Python's own start-up (runpy, site), not our code
            outcomes.append("python-start")
        elif p.returncode == -signal.SIGINT and not err:
            outcomes.append("python-start")  # before the interpreter set its SIGINT handler: the default action
        elif p.returncode in (0, 1):
            outcomes.append("finished")  # validate ended before the signal
        else:
            assert (p.returncode, err) == (130, "reportgen: interrupted\n"), (p.returncode, err)
            outcomes.append("interrupted")
    assert outcomes.count("interrupted") >= 8, outcomes
