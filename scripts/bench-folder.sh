#!/usr/bin/env bash
# Big-folder benchmark: one real WebDAV folder of 5,000 files opened in Skiff's picker (through
# skiff-server's `[sources.webdav]`) and in Uppy's (Dashboard + @uppy/webdav through a real
# @uppy/companion), side by side in headless Chromium: click → first rows painted, and long tasks
# while scrolling the whole folder in the grid. See bench/cloud/folder.bench.mjs for the method, the
# targets and the environment knobs (BENCH_FOLDER_ROUNDS, BENCH_FOLDER_ITEMS, BENCH_FOLDER_SCROLL_PX,
# BENCH_FOLDER_SETTLE_MS, BENCH_FOLDER_DIST, CHROMIUM_BIN, SKIFF_SERVER_BIN).
# Prints markdown tables on stdout, progress on stderr.
# Exit status: 0 all targets met, 1 a target missed or a run failed, 2 setup error.
#
#   scripts/bench-folder.sh
#
# Builds what is missing, skipping what is there: npm packages (npm ci), Chromium (scripts/setup-wasm.sh
# browser), rclone, @uppy/companion in .cache/companion, dist/ (scripts/build-wasm.sh), the release
# skiff-server, and the Uppy bundle (esbuild, into .cache/bench-folder/uppy/). BENCH_REBUILD=1
# rebuilds dist/ and the server even when present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[bench-folder] %s\n' "$*" >&2; }
# Any failure while getting ready is a setup error (2), not a missed target (1).
trap 'log "setup failed (line $LINENO)"; exit 2' ERR

command -v node >/dev/null || { log "node (>= 20) is needed"; exit 2; }

if [[ ! -d node_modules/@uppy/core || ! -d node_modules/@uppy/dashboard || ! -d node_modules/@uppy/webdav || ! -d node_modules/esbuild || ! -d node_modules/playwright-core ]]; then
  log "npm ci (@uppy/core, @uppy/dashboard, @uppy/webdav, esbuild, playwright-core)"
  npm ci --no-audit --no-fund >&2
fi
# Chromium (and the wasm toolchain dist/ needs), each skipped when present.
bash scripts/setup-wasm.sh browser >&2

if ! command -v rclone >/dev/null; then
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    log "installing rclone (the WebDAV server)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >&2
  else
    log "rclone is needed (the WebDAV server): apt-get install rclone"; exit 2
  fi
fi

# The same Companion, in the same folder, as scripts/bench-cloud.sh (keep the versions together):
# it is a server to compare with, not a dependency of the package.
if [[ ! -x .cache/companion/node_modules/@uppy/companion/bin/companion ]]; then
  log "installing @uppy/companion 6.2.2 into .cache/companion"
  npm install --prefix .cache/companion --no-audit --no-fund --silent @uppy/companion@6.2.2 >&2
fi

if [[ "${BENCH_REBUILD:-0}" == 1 || ! -f dist/index.js || ! -f dist/skiff_picker.js || ! -f dist/skiff_picker_bg.wasm ]]; then
  log "building dist/ (scripts/build-wasm.sh)"
  bash scripts/build-wasm.sh >&2
fi

if [[ -z "${SKIFF_SERVER_BIN:-}" ]]; then
  if [[ "${BENCH_REBUILD:-0}" == 1 || ! -x target/release/skiff-server ]]; then
    log "building skiff-server (cargo build --release -p skiff-server)"
    cargo build --release --quiet -p skiff-server >&2
  fi
  export SKIFF_SERVER_BIN="$ROOT/target/release/skiff-server"
fi

node bench/cloud/folder-uppy-build.mjs
trap - ERR

exec node bench/cloud/folder.bench.mjs
