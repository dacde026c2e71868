#!/usr/bin/env bash
# The fast lane: formatting, clippy (native, and wasm32 for both builds of the browser crate) and
# every native Rust test, in a few minutes. No browser, no wasm build, no release build, no npm
# packages: run it before each commit, and `npm test` (everything) before a merge. Every suite
# runs even when an earlier one fails; the exit status is 1 if any failed.
#
#   scripts/check.sh
#
# Narrower lanes while working on one part (see README, "Developing"):
#   cargo test -p skiff-engine                  the engine's scenarios on a virtual clock
#   cargo test -p skiff-server --test api       the server's handler tests
#   node --test tests/e2e/<file>                one end-to-end file (needs dist/ and the release server)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
# The wasm32 lints need the target's standard library (scripts/setup-wasm.sh adds it too, along
# with tools this lane does not need).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "adding the Rust target wasm32-unknown-unknown" >&2
  rustup target add wasm32-unknown-unknown || exit 1
fi

source scripts/suites.sh

rust_suites
suites_summary
