#!/usr/bin/env bash
# Picker open-time benchmark: Skiff's picker (overlay) vs Uppy's Dashboard (modal) in headless
# Chromium: first open in a fresh page and later opens (medians), plus gzip sizes. See
# bench/browser/picker-open.bench.mjs for the method, the targets and the environment knobs
# (BENCH_PICKER_ROUNDS, BENCH_PICKER_REOPENS, BENCH_PICKER_SETTLE_MS, CHROMIUM_BIN).
# Prints markdown tables on stdout, progress on stderr.
# Exit status: 0 all targets met, 1 a target missed or an open failed, 2 setup error.
#
#   scripts/bench-picker.sh
#
# Builds what is missing: npm packages (npm ci), Chromium (scripts/setup-wasm.sh browser), dist/
# (scripts/build-wasm.sh) and the Uppy bundle (esbuild, into .cache/bench-picker/uppy/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[bench-picker] %s\n' "$*" >&2; }

command -v node >/dev/null || { log "node (>= 20) is needed"; exit 2; }

if [[ ! -d node_modules/@uppy/core || ! -d node_modules/@uppy/dashboard || ! -d node_modules/esbuild || ! -d node_modules/playwright-core ]]; then
  log "npm ci (@uppy/core, @uppy/dashboard, esbuild, playwright-core)"
  npm ci --no-audit --no-fund >&2
fi
# Chromium (and the wasm toolchain dist/ needs), each skipped when present.
bash scripts/setup-wasm.sh browser >&2 || exit 2

[ -f dist/index.js ] || { log "building dist/ (scripts/build-wasm.sh)"; bash scripts/build-wasm.sh >&2; }

node bench/browser/picker-uppy-build.mjs || exit 2

exec node bench/browser/picker-open.bench.mjs
