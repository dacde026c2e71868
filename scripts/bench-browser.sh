#!/usr/bin/env bash
# Browser upload benchmark: Skiff regular/intelligent vs filestack-js 4.3.8 regular/intelligent vs one
# plain fetch PUT of the whole file, 256 MiB, in one headless Chromium page against one skiff-server;
# plus bundle sizes and the memory of a 2 GiB Skiff upload. See bench/browser/upload.bench.mjs for
# the method, the targets and the environment knobs (BENCH_ROUNDS, BENCH_SIZE_MIB, BENCH_ONLY,
# BENCH_MEM_SIZE_MIB, BENCH_DIR, BENCH_RUN_TIMEOUT_S, BENCH_DIAG, BENCH_DRIVER, BENCH_TRACE).
# Prints markdown tables on stdout, progress on stderr.
# Exit status: 0 all targets met, 1 a target missed or an upload failed, 2 setup error.
#
#   scripts/bench-browser.sh
#
# Builds what is missing (dist/ via scripts/build-wasm.sh, the release skiff-server, npm packages);
# set BENCH_REBUILD=1 to rebuild both even when present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[bench-browser] %s\n' "$*" >&2; }

command -v node >/dev/null || { log "node (>= 20) is needed"; exit 2; }

if [[ ! -d node_modules/filestack-js || ! -d node_modules/playwright-core ]]; then
  log "npm ci (filestack-js, playwright-core, binaryen)"
  npm ci --no-audit --no-fund >&2
fi

CHROMIUM="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ -z "${CHROMIUM_BIN:-}" ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    log "installing Chromium (apt-get)"
    apt-get update -qq >&2 && apt-get install -y -qq chromium >&2
  else
    log "$CHROMIUM not found: install Chromium or set CHROMIUM_BIN"; exit 2
  fi
fi

if [[ "${BENCH_REBUILD:-0}" == 1 || ! -f dist/index.js || ! -f dist/skiff.js || ! -f dist/skiff_bg.wasm ]]; then
  log "building dist/ (scripts/build-wasm.sh)"
  bash scripts/build-wasm.sh >&2
fi

if [[ -z "${SKIFF_SERVER_BIN:-}" ]] && [[ "${BENCH_REBUILD:-0}" == 1 || ! -x target/release/skiff-server ]]; then
  log "building skiff-server (cargo build --release -p skiff-server)"
  cargo build --release --quiet -p skiff-server >&2
fi

if [[ "${BENCH_DIAG:-0}" == 1 && ! -x target/release/skiff-bench ]]; then
  log "building skiff-bench for the diagnostic rows (cargo build --release -p skiff-bench)"
  cargo build --release --quiet -p skiff-bench >&2
fi

exec node bench/browser/upload.bench.mjs
