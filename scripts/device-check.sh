#!/usr/bin/env bash
# The prepared check on a machine with a real accelerator (NVIDIA; the `device` tool's machine,
# or any GPU server you can log in to): what no CPU-only test can show.
#   1. the raw SMI outputs reportgen reads (kept verbatim: they become test fixtures);
#   2. `reportgen collect --only hardware` on the real card (model, count, memory, driver, spec sheet);
#   3. telemetry (power, utilisation, memory) sampled by reportgen while torch loads the GPU;
#   4. `reportgen embed --device cuda` (fp16 on the GPU, checked against a float32 CPU run);
#   5. `reportgen render` of the results, to read section 1 and 5/6 as a user would.
#
# Usage: scripts/device-check.sh [OUT_DIR]   (default: $OUT, else out/device-check)
# Needs: python3 with torch (CUDA) and the packages of pyproject.toml; where pip cannot reach a
# registry, wheels in .whl/ are installed first (see README, "Device check"). The tiny models come
# from scripts/make_tiny_models.py (.cache/tiny-models). Each step runs even when one before failed;
# the exit status is the number of failed steps.
set -u
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-out/device-check}}
mkdir -p "$OUT_DIR"
MODELS=${REPORTGEN_TINY_MODELS:-.cache/tiny-models}
PY=${PYTHON:-python3}
failed=0
step() {  # step NAME COMMAND...: run, log, count a failure
    local name=$1; shift
    echo "== $name: $*"
    local t0=$SECONDS
    if "$@"; then echo "== $name: ok ($((SECONDS - t0)) s)"; else echo "== $name: FAILED with status $? ($((SECONDS - t0)) s)"; failed=$((failed + 1)); fi
}

if ! "$PY" -c 'import pydantic, docx, httpx_aiohttp, msgspec' 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/reportgen-site .whl/*.whl \
        || { echo "cannot install .whl/"; exit 90; }
    export PYTHONPATH="/tmp/reportgen-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
RESULTS="$OUT_DIR/device-results.json"

raw() {  # the outputs the hardware parsers and the telemetry sampler read, verbatim
    nvidia-smi > "$OUT_DIR/nvidia-smi.txt" 2>&1
    nvidia-smi -q > "$OUT_DIR/nvidia-smi-q.txt" 2>&1
    nvidia-smi --query-gpu=index,power.draw,temperature.gpu,utilization.gpu,memory.used,clocks.sm --format=csv > "$OUT_DIR/nvidia-smi-query.csv" 2>&1
    nvidia-smi topo -m > "$OUT_DIR/nvidia-smi-topo.txt" 2>&1 || true
    { uname -a; nproc; head -30 /proc/cpuinfo | grep -m1 'model name'; grep MemTotal /proc/meminfo; } > "$OUT_DIR/host.txt" 2>&1
    "$PY" -c 'import torch, transformers; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0)); print("transformers", transformers.__version__)'
}
step raw raw
step hardware "$PY" -m reportgen collect --only hardware -o "$RESULTS"
step telemetry "$PY" scripts/device_load.py "$OUT_DIR/telemetry.json" --seconds 15
step embedding "$PY" -m reportgen embed --model "$MODELS/tiny-bert-embed" --kind embedding --device cuda --precision fp16 -o "$RESULTS"
step reranker "$PY" -m reportgen embed --model "$MODELS/tiny-xlmr-rerank" --kind reranker --device cuda --precision fp16 -o "$RESULTS"
step summary "$PY" -m reportgen summary "$RESULTS" --embedding
step render "$PY" -m reportgen render "$RESULTS" --format md -o "$OUT_DIR"
if [ -f "$OUT_DIR/device-results.md" ]; then
    sed -n '/^## 1\./,/^## 2\./p' "$OUT_DIR/device-results.md" | head -60
fi
echo "device check: $failed step(s) failed; files in $OUT_DIR"
exit "$failed"
