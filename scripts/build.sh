#!/usr/bin/env bash
# Builds everything for release: the server binary (target/release/skiff-server), the browser
# module (dist/: the optimised wasm, its glue, index.js and index.d.ts) and the demo site
# (target/demo-site/: www/demo/ with dist/ copied into its dist/ folder, which
# `skiff-server --demo target/demo-site` serves under /demo/). With nothing changed since the last
# run it takes seconds: cargo has nothing to do and scripts/build-wasm.sh reuses dist/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release --locked -p skiff-server
echo "built target/release/skiff-server"
bash scripts/build-wasm.sh
# The demo site, replaced wholesale so no file of an older build lingers.
rm -rf target/demo-site
mkdir -p target/demo-site
cp -r www/demo/. target/demo-site/
cp -r dist target/demo-site/dist
echo "built target/demo-site"
