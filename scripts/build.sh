#!/usr/bin/env bash
# Builds everything for release: the server binary (target/release/skiff-server) and the browser
# module (dist/: the optimised wasm, its glue, index.js and index.d.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release --locked -p skiff-server
echo "built target/release/skiff-server"
bash scripts/build-wasm.sh
