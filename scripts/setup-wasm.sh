#!/usr/bin/env bash
# Installs what building and testing the WebAssembly module needs, skipping whatever is present:
#
#   - the Rust target wasm32-unknown-unknown (rustup);
#   - wasm-bindgen-cli (wasm-bindgen, wasm-bindgen-test-runner) at exactly the version of the
#     `wasm-bindgen` crate pinned in Cargo.toml, in .cache/bin: linked from PATH when PATH has that
#     version, else built from crates.io (2-4 minutes, once);
#   - wasm-opt from the npm package `binaryen` (a devDependency; Debian's binaryen cannot read what
#     current rustc emits);
#   - with `browser`: Chromium and ChromeDriver from Debian, for the wasm-bindgen-test browser tests.
#
#   scripts/setup-wasm.sh            # build toolchain (scripts/build-wasm.sh runs this)
#   scripts/setup-wasm.sh browser    # plus Chromium + ChromeDriver
#
# scripts/build-wasm.sh and cargo's wasm32 runner (.cargo/config.toml) use .cache/bin directly, so
# after `scripts/setup-wasm.sh browser` the browser tests need no PATH changes:
#   CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p skiff
#
# Only crates.io, npm and Debian are contacted. Needs root (or sudo) only for missing Debian packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

log() { printf '[setup-wasm] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

command -v cargo >/dev/null || { log "cargo not found: install Rust with rustup first"; exit 1; }
command -v rustup >/dev/null || { log "rustup not found: the wasm32 target is installed with rustup"; exit 1; }

# --- Rust target -------------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- wasm-bindgen-cli, same version as the crate (the CLI refuses modules from another version) --
# The version comes from the `wasm-bindgen = "=X.Y.Z"` pin in the root Cargo.toml, so bumping the
# crate there is all it takes.
WB_VERSION="$(sed -n 's/^wasm-bindgen *= *"=\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)"
[ -n "$WB_VERSION" ] || { log 'Cargo.toml must pin the crate as wasm-bindgen = "=X.Y.Z"'; exit 1; }
BIN_DIR="$ROOT/.cache/bin"

# has_wasm_bindgen DIR: DIR (or PATH when DIR is empty) holds both tools at $WB_VERSION.
has_wasm_bindgen() {
  local prefix=${1:+$1/} tool
  for tool in wasm-bindgen wasm-bindgen-test-runner; do
    [ "$("${prefix}$tool" --version 2>/dev/null)" = "$tool $WB_VERSION" ] || return 1
  done
}

if has_wasm_bindgen "$BIN_DIR"; then
  :
elif has_wasm_bindgen ""; then
  log "linking wasm-bindgen $WB_VERSION from PATH ($(command -v wasm-bindgen)) into .cache/bin"
  mkdir -p "$BIN_DIR"
  for tool in wasm-bindgen wasm-bindgen-test-runner; do
    ln -sfn "$(command -v "$tool")" "$BIN_DIR/$tool"
  done
else
  log "building wasm-bindgen-cli $WB_VERSION into .cache/bin (takes a few minutes, once)"
  # Drop links to another version first: cargo install would write through them.
  rm -f "$BIN_DIR/wasm-bindgen" "$BIN_DIR/wasm-bindgen-test-runner"
  # `cargo install --locked wasm-bindgen-cli` fails: the crate's lockfile pins a webpki-roots
  # release that crates.io no longer serves. So: fetch the crate into cargo's registry cache
  # (`cargo info` downloads it), unpack it, move webpki-roots to a served release, and install
  # from the unpacked source with the otherwise unchanged lockfile.
  cargo info --quiet "wasm-bindgen-cli@$WB_VERSION" >/dev/null
  CARGO_DIR="${CARGO_HOME:-$HOME/.cargo}"
  crate_file="$(ls -1 "$CARGO_DIR"/registry/cache/*/"wasm-bindgen-cli-$WB_VERSION.crate" 2>/dev/null | head -n 1 || true)"
  [ -n "$crate_file" ] || { log "wasm-bindgen-cli-$WB_VERSION.crate not found in $CARGO_DIR/registry/cache"; exit 1; }
  src_dir="$(mktemp -d "${TMPDIR:-/tmp}/wasm-bindgen-cli.XXXXXX")"
  trap 'rm -rf "$src_dir"' EXIT
  tar -xzf "$crate_file" -C "$src_dir"
  (
    cd "$src_dir/wasm-bindgen-cli-$WB_VERSION"
    cargo update --quiet -p webpki-roots --precise 1.0.10
    # Own target dir: the project's target/ would pick up .cargo/config.toml and our profiles.
    CARGO_TARGET_DIR="$src_dir/target" \
      cargo install --quiet --locked --force --path . --root "$ROOT/.cache" \
      --bin wasm-bindgen --bin wasm-bindgen-test-runner
  )
  rm -rf "$src_dir"
  trap - EXIT
  has_wasm_bindgen "$BIN_DIR" || { log "wasm-bindgen-cli $WB_VERSION did not install into .cache/bin"; exit 1; }
fi

# --- wasm-opt (npm binaryen) -------------------------------------------------------------------
# Same rule as scripts/setup.sh: reinstall from the lockfile when node_modules is missing or older.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null || { log "npm not found: install Node.js 20 or newer"; exit 1; }
  log "installing npm packages (wasm-opt comes from binaryen)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- Chromium + ChromeDriver for the browser tests ---------------------------------------------
if [ "${1:-}" = browser ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  command -v apt-get >/dev/null || { log "missing Chromium/ChromeDriver; install them with your package manager"; exit 1; }
  log "installing Chromium and ChromeDriver (Debian)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
