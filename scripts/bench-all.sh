#!/usr/bin/env bash
# `npm run bench`: every benchmark, each printing its table; exits 1 if any missed a target.
#   scripts/bench.sh          server ingest vs raw disk write, server RSS
#   scripts/bench-browser.sh  Skiff vs filestack-js 4.3.8 vs one plain PUT in Chromium, sizes, memory
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
bash scripts/bench.sh || status=1
bash scripts/bench-browser.sh || status=1
exit $status
