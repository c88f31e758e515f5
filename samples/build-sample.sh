#!/usr/bin/env bash
# Rebuild samples/seed-bi150.json from the inputs extracted from the seed document
# (samples/seed/): hand-recorded facts and steps, the 8 benchmark blocks, the eval logs.
#   usage: samples/build-sample.sh [OUT.json]      (default: samples/seed-bi150.json)
# Uses $REPORTGEN if set, else the checkout's .venv/bin/reportgen (scripts/setup.sh), else `reportgen` on PATH.
# The file is built beside its target under a repo-relative name (recorded in its invocations),
# then renamed over it, so a failed build leaves the old sample untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-samples/seed-bi150.json}"
if [[ -n "${REPORTGEN:-}" ]]; then rg=($REPORTGEN)
elif [[ -x .venv/bin/reportgen ]]; then rg=(.venv/bin/reportgen)
elif command -v reportgen >/dev/null; then rg=(reportgen)
else echo "build-sample.sh: reportgen not found: run scripts/setup.sh first" >&2; exit 2; fi
part="${out%.json}.partial.json"
rm -f "$part"
trap 'rm -f "$part"' EXIT
"${rg[@]}" import manual samples/seed/manual.toml -o "$part"
"${rg[@]}" import vllm-log samples/seed/serving/*.log -o "$part" \
  --command "cd home/workspace/inference_scripts && ./run_openai_api_client_xn.sh"
"${rg[@]}" import swift-eval samples/seed/accuracy/*.log -o "$part"
chmod 644 "$part"
mv "$part" "$out"
echo "built $out"
