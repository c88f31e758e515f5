#!/usr/bin/env bash
# Rebuild samples/seed-bi150.json from the inputs extracted from the seed document
# (samples/seed/): hand-recorded facts and steps, the 8 benchmark blocks, the eval logs.
#   usage: samples/build-sample.sh [OUT.json]      (default: samples/seed-bi150.json)
# Uses `reportgen` from PATH, or $REPORTGEN (e.g. REPORTGEN=".venv/bin/reportgen").
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-samples/seed-bi150.json}"
if [[ -n "${REPORTGEN:-}" ]]; then rg=($REPORTGEN)
elif command -v reportgen >/dev/null; then rg=(reportgen)
else rg=(python3 -m reportgen.cli); fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${rg[@]}" import manual samples/seed/manual.toml -o "$tmp/sample.json"
"${rg[@]}" import vllm-log samples/seed/serving/*.log -o "$tmp/sample.json" \
  --command "cd home/workspace/inference_scripts && ./run_openai_api_client_xn.sh"
"${rg[@]}" import swift-eval samples/seed/accuracy/*.log -o "$tmp/sample.json"
chmod 644 "$tmp/sample.json"
mv "$tmp/sample.json" "$out"
echo "built $out"
