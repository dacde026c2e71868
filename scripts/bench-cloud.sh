#!/usr/bin/env bash
# Cloud import benchmark: skiff-server importing a big file from WebDAV (rclone) and from an S3
# bucket (SeaweedFS) vs a plain download of it (bench/cloud/import.bench.mjs says how and why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh test >&2
echo "==> building (release)" >&2
cargo build --release --quiet -p skiff-server
export SKIFF_SERVER_BIN="$PWD/target/release/skiff-server"
export SKIFF_WEED="${SKIFF_WEED:-$PWD/.cache/tools-venv/bin/weed}"
node bench/cloud/import.bench.mjs
