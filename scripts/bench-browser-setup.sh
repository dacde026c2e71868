# What the browser upload benchmark needs, built or installed when missing; sourced by
# scripts/bench-browser.sh and scripts/bench-shaped.sh from the repository's root. Defines log().
#   npm packages (npm ci), Chromium (apt-get, as root), dist/ (scripts/build-wasm.sh), the release
#   skiff-server, and with BENCH_DIAG=1 skiff-bench; BENCH_REBUILD=1 rebuilds dist/ and the server.
#   SeaweedFS (the S3 peer's server) comes from scripts/setup.sh test (or SKIFF_WEED).

log() { printf '[bench-browser] %s\n' "$*" >&2; }

command -v node >/dev/null || { log "node (>= 20) is needed"; exit 2; }

if [[ ! -d node_modules/filestack-js || ! -d node_modules/playwright-core || ! -d node_modules/@uppy/aws-s3 || ! -d node_modules/tus-js-client ]]; then
  log "npm ci (filestack-js, playwright-core, binaryen, the peers: Uppy, tus)"
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
