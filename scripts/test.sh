#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs every suite — formatting and lints (native
# and wasm32), the Rust tests (unit, engine scenarios, picker selection rules, handler and
# real-binary), the wasm build and its browser tests, the package's exports and types (publint,
# attw), filestack-python over TLS, and in headless Chromium: Skiff's client, its picker (modes,
# sources, restrictions, callbacks, keyboard, axe-core, the filestack-js drop-in), filestack-js,
# and the package built into a Vite app and imported by a plain module page.
# Every suite runs even when an earlier one fails; the exit status is 1 if any failed. The last line
# counts suites. scripts/check.sh is the fast lane (formatting, lints, native tests).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh test || { echo "setup failed"; exit 1; }

source scripts/suites.sh

# Tests that need a real peer (rclone's WebDAV server, SeaweedFS, Azurite) fail instead of skipping
# when it is missing; setup.sh installed SeaweedFS's `weed` here, and npm install Azurite.
export SKIFF_REQUIRE_PEERS=1
export SKIFF_WEED="$PWD/.cache/tools-venv/bin/weed"
export SKIFF_AZURITE="$PWD/node_modules/.bin/azurite-blob"

rust_suites
suite "wasm build" bash scripts/build-wasm.sh
# The package as npm would publish it (dist/ just built): package.json's fields and exports point at
# files that are packed (publint; --strict makes its warnings fail too), and every export resolves to
# types for TypeScript (attw). The package is ESM only and for browsers and bundlers (type: module,
# no `require` condition), so attw's esm-only profile is the right bar: it checks the resolutions
# ESM users get (node16 from ESM, bundler) and leaves out node10 (no `exports` support at all) and
# `require` from CommonJS, which an ESM-only package deliberately does not serve; CommonJS code can
# still load it with import().
package_lint() {
  node_modules/.bin/publint --strict && node_modules/.bin/attw --pack . --profile esm-only
}
suite "package: publint, attw" package_lint
suite "wasm in Chromium (wasm-bindgen-test)" env CHROMEDRIVER=/usr/bin/chromedriver cargo test --locked --target wasm32-unknown-unknown -p skiff
suite "dist/ entry in Chromium" node --test tests/wasm/
# The peers and the browser run against the release binary, like users do (and the provider
# stand-ins the sign-in popup test signs in to).
suite "release build" cargo build --locked --release --quiet -p skiff-server -p skiff-standins
export SKIFF_SERVER_BIN="$PWD/target/release/skiff-server"
suite "filestack-python 4.0.0 peer (TLS)" bash tests/peers/python/run.sh -q
suite "end to end in Chromium: Skiff client and picker, filestack-js 4.3.8" node --test tests/e2e/
suite "the package in a Vite app and a plain module page (Chromium)" node --test tests/bundlers/

suites_summary
