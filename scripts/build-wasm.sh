#!/usr/bin/env bash
# Builds the browser module of the npm package into dist/:
#
#   dist/index.js        the package entry (www/index.js): no side effects, loads the wasm on first use
#   dist/index.d.ts      its types (www/index.d.ts)
#   dist/skiff.js        wasm-bindgen's JS glue (internal; index.js imports it lazily)
#   dist/skiff_bg.wasm   the uploader: cargo (wasm-release profile) -> wasm-bindgen -> short names
#                        (scripts/minify-wasm-names.mjs) -> wasm-opt -Oz
#   dist/skiff_picker.js, dist/skiff_picker_bg.wasm
#                        the same with the picker (feature `picker`; its CSS is inside), loaded
#                        by `client.picker()` only
#   dist/hash-worker.js, dist/skiff_hash.js, dist/skiff_hash_bg.wasm, dist/skiff_hash_scalar_bg.wasm
#                        the Web Worker that hashes parts off the page's thread, and its MD5 module
#                        (crates/hash; with WebAssembly SIMD, and without it for browsers that lack
#                        it), started by index.js on the first part to hash
#   dist/filestack.js    registerWithFilestack(): Skiff's picker as filestack-js's picker module
#   dist/filestack-register.js  the same as a script for filestack-js's `pickerUrl`
#   dist/filestack.d.ts, dist/filestack-register.d.ts   their types
#   dist/lang/*.js       the picker's words in the 19 languages besides English (ES modules)
#
# then prints raw/gzip/brotli sizes and fails when a module is over its gzip budget (the budgets
# live in scripts/wasm-sizes.mjs). Runs scripts/setup-wasm.sh first (installs what is missing).
#
# A second run with nothing changed takes seconds: a content stamp of every input (see INPUTS
# below, and the tool versions) and of dist/ itself is kept in cargo's target folder, and when both
# still match, dist/ is reused as it is (its size report, saved with the stamp, is printed again).
# Any changed input, or a changed or missing dist/, rebuilds everything. SKIFF_REBUILD=1 rebuilds
# regardless.
#
#   scripts/build-wasm.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[build-wasm] %s\n' "$*" >&2; }

bash scripts/setup-wasm.sh
# The wasm-bindgen CLI at the crate's version (setup-wasm.sh puts it there).
WASM_BINDGEN="$PWD/.cache/bin/wasm-bindgen"

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | node -e \
  'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')"

# Panic locations name source files: map this machine's folders (the checkout, cargo's registry,
# the toolchain) to short neutral prefixes, so the published wasm names no machine path and is
# smaller. Only this profile's build sees these flags, so other builds keep their caches.
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
SYSROOT="$(rustc --print sysroot)"
export CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$PWD=skiff$(printf '\x1f')--remap-path-prefix=$CARGO_HOME_DIR/registry/src=crates$(printf '\x1f')--remap-path-prefix=$SYSROOT=rust"
WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/skiff.wasm"

# --- Reuse an up-to-date dist/ -------------------------------------------------------------------
# Everything dist/ is made from. www/demo/ is left out: it is not part of dist/ (scripts/build.sh
# copies it on every run). The stamp is kept in the target folder, not in dist/, because dist/ is
# what npm publishes.
INPUTS=(Cargo.lock Cargo.toml crates/protocol crates/engine crates/hash crates/server/Cargo.toml bench/Cargo.toml
  src .cargo www '!www/demo' package-lock.json
  scripts/build-wasm.sh scripts/setup-wasm.sh scripts/minify-wasm-names.mjs scripts/build-stamp.mjs scripts/lang-modules.mjs
  scripts/wasm-sizes.mjs)
STAMP_FILE="$TARGET_DIR/build-wasm.stamp"
# The size report of the stamped dist/, printed again when it is reused (measuring anew takes
# seconds, brotli mostly, and gives the same figures for the same bytes).
SIZES_FILE="$TARGET_DIR/build-wasm.sizes"
# The tools' own versions count too: a new rustc or wasm-opt gives a different module.
tool_versions() {
  rustc -vV
  cargo -V
  "$WASM_BINDGEN" --version
  node --version
  node_modules/.bin/wasm-opt --version
  node_modules/.bin/esbuild --version
}
input_stamp="$(tool_versions | node scripts/build-stamp.mjs "${INPUTS[@]}")"
dist_stamp() { node scripts/build-stamp.mjs dist </dev/null; }
if [[ "${SKIFF_REBUILD:-0}" != 1 && -f "$STAMP_FILE" && -f "$SIZES_FILE" && -d dist ]] &&
  [[ "$(cat "$STAMP_FILE")" == "$(printf 'inputs %s\ndist %s' "$input_stamp" "$(dist_stamp)")" ]]; then
  log "dist/ is up to date with its sources (stamp ${input_stamp:0:12}); reusing it (SKIFF_REBUILD=1 rebuilds)"
  cat "$SIZES_FILE"
  exit 0
fi
rm -f "$STAMP_FILE" "$SIZES_FILE"

mkdir -p "$TARGET_DIR"
STAGE="$(mktemp -d "$TARGET_DIR/build-wasm.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/dist"

# One module: cargo rustc with the given features -> wasm-bindgen (out name $1) -> wasm-opt.
module() {
  local name="$1"
  shift
  log "$name: cargo rustc (wasm-release profile) $*"
  # `cargo rustc --crate-type cdylib`, not `cargo build`: with the manifest's crate-type
  # ["cdylib", "rlib"], cargo build silently drops LTO for the wasm.
  cargo rustc --locked --quiet -p skiff --lib --profile wasm-release \
    --target wasm32-unknown-unknown --crate-type cdylib "$@"
  log "$name: wasm-bindgen --target web, short import/export names, wasm-opt -Oz --converge"
  "$WASM_BINDGEN" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-name "$name" --out-dir "$STAGE/bindgen" "$WASM"
  # The names the glue and the .wasm share carry incompressible hashes: shorten them in both.
  node scripts/minify-wasm-names.mjs node_modules/.bin/wasm-opt "$STAGE/bindgen/${name}_bg.wasm" \
    "$STAGE/bindgen/${name}_min.wasm" "$STAGE/bindgen/$name.js"
  node_modules/.bin/wasm-opt -Oz --converge "$STAGE/bindgen/${name}_min.wasm" -o "$STAGE/dist/${name}_bg.wasm"
  # The JS is minified (esbuild, one file at a time, no bundling): comments and names cost bytes.
  node_modules/.bin/esbuild "$STAGE/bindgen/$name.js" --minify --format=esm --log-level=warning \
    --outfile="$STAGE/dist/$name.js"
}
# The uploader alone (what `client.upload()` and friends load), then everything with the picker
# (what `client.picker()` loads).
module skiff --no-default-features
module skiff_picker --features picker

# The hashing worker (www/hash-worker.js) and its own small module (crates/hash): MD5s of the
# parts ahead computed off the page's thread. Its exports are classes the worker uses by name, so
# it skips the name shortening. Built twice: with WebAssembly SIMD (skiff_hash_bg.wasm, whose
# multi-buffer MD5 hashes four parts at once), and without it (skiff_hash_scalar_bg.wasm, for
# browsers without SIMD; the worker detects them). Both have the same exports, so one glue serves
# both (checked below). Each build has a target folder of its own: with different flags in one
# folder, each build would rebuild the other's dependencies.
hash_module() {
  local wasm="$1" target_dir="$2" flags="$3"
  log "skiff_hash ($wasm): cargo rustc (wasm-release profile${flags:+, $flags}), wasm-bindgen, wasm-opt -Oz"
  CARGO_ENCODED_RUSTFLAGS="$CARGO_ENCODED_RUSTFLAGS${flags:+$(printf '\x1f')$flags}" \
    cargo rustc --locked --quiet -p skiff-hash --lib --profile wasm-release \
    --target wasm32-unknown-unknown --crate-type cdylib --target-dir "$target_dir"
  "$WASM_BINDGEN" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-name skiff_hash --out-dir "$STAGE/bindgen-$wasm" "$target_dir/wasm32-unknown-unknown/wasm-release/skiff_hash.wasm"
  node_modules/.bin/wasm-opt -Oz --converge "$STAGE/bindgen-$wasm/skiff_hash_bg.wasm" -o "$STAGE/dist/$wasm"
}
hash_module skiff_hash_bg.wasm "$TARGET_DIR/wasm-simd" -Ctarget-feature=+simd128
hash_module skiff_hash_scalar_bg.wasm "$TARGET_DIR" ""
if ! cmp -s "$STAGE/bindgen-skiff_hash_bg.wasm/skiff_hash.js" "$STAGE/bindgen-skiff_hash_scalar_bg.wasm/skiff_hash.js"; then
  log "skiff_hash: the glue of the builds with and without SIMD differs; the worker needs one glue for both"
  exit 1
fi
cp "$STAGE/bindgen-skiff_hash_bg.wasm/skiff_hash.js" "$STAGE/bindgen/skiff_hash.js"
for js in "$STAGE/bindgen/skiff_hash.js" www/hash-worker.js; do
  node_modules/.bin/esbuild "$js" --minify --format=esm --log-level=warning --outfile="$STAGE/dist/$(basename "$js")"
done

node_modules/.bin/esbuild www/index.js --minify --format=esm --log-level=warning --outfile="$STAGE/dist/index.js"
cp www/index.d.ts "$STAGE/dist/index.d.ts"
# The drop-in for filestack-js pages, and the picker's words in each language but English, as
# ES modules (index.js imports one only when `lang` asks for it; bundlers emit each as a chunk).
cp www/filestack.js www/filestack.d.ts www/filestack-register.js www/filestack-register.d.ts "$STAGE/dist/"
node scripts/lang-modules.mjs www/lang "$STAGE/dist/lang"

# Replace dist/ only once everything above succeeded.
rm -rf dist
mv "$STAGE/dist" dist

# Sizes and budgets: a module over its budget fails the build (and is not stamped, so the next
# run checks again rather than reusing it silently).
node scripts/wasm-sizes.mjs dist | tee "$SIZES_FILE"
printf 'inputs %s\ndist %s' "$input_stamp" "$(dist_stamp)" >"$STAMP_FILE"
log "stamped dist/ (${input_stamp:0:12})"
