"""Secrets on imported command lines never reach the results."""

from __future__ import annotations

from pathlib import Path

from reportgen.importers.manual import parse_manual
from reportgen.importers.vllm_log import parse_vllm_text
from reportgen.redact import redact

SERVING = Path(__file__).resolve().parent.parent / "samples" / "seed" / "serving"


def test_redact_patterns() -> None:
    assert redact("curl -H \"Authorization: Bearer sk-xyz\" http://h") == 'curl -H "Authorization: Bearer ***" http://h'
    assert redact("vllm serve m --api-key sk-1 --port 1") == "vllm serve m --api-key *** --port 1"
    assert redact("OPENAI_API_KEY=sk-2 vllm bench") == "OPENAI_API_KEY=*** vllm bench"
    assert redact('{"api_key": "k3"}') == '{"api_key": "***"}'
    assert redact("Namespace(api_key=None, tokenizer='/m', max_tokens=256)") == "Namespace(api_key=None, tokenizer='/m', max_tokens=256)"


def test_namespace_header_and_command_redacted() -> None:
    block = (SERVING / "a-fp16-bs1.log").read_text()
    text = block.replace("base_url=None,", "base_url=None, header={'Authorization': 'Bearer sk-secret'},", 1)
    [item] = parse_vllm_text(text, "a", command="OPENAI_API_KEY=sk-secret ./client.sh")
    assert "sk-secret" not in (item.cell.import_info.text or "") and "sk-secret" not in (item.cell.command or "")
    assert item.namespace["header"] == {"Authorization": "Bearer ***"}
    assert item.cell.metrics.duration_s == 24.37


def test_manual_redacted() -> None:
    m = parse_manual(
        "[[variants]]\nlabel = 'FP16'\n[variants.server]\nlaunch_command = 'vllm serve m --api-key sk-9'\n"
        "[variants.functional_check]\ncommand = '''curl http://h/v1/completions -H \"Authorization: Bearer sk-9\" -d '{\"prompt\": \"x\"}' '''\n",
        "m.toml",
    )
    v = m.variants[0]
    assert v.server.launch_command == "vllm serve m --api-key ***"
    assert "sk-9" not in v.functional_check.command and v.functional_check.request == {"prompt": "x"}
