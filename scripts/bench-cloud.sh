#!/usr/bin/env bash
# Cloud import benchmark: skiff-server importing a big file from WebDAV (rclone) and from an S3
# bucket (SeaweedFS) vs a plain download of it and vs @uppy/companion importing the same WebDAV
# file (bench/cloud/import.bench.mjs says how and why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh test >&2
# A real @uppy/companion to compare with, in its own folder (not a dependency of the package).
if [ ! -x .cache/companion/node_modules/@uppy/companion/bin/companion ]; then
  echo "==> installing @uppy/companion 6.2.2 into .cache/companion" >&2
  npm install --prefix .cache/companion --no-audit --no-fund --silent @uppy/companion@6.2.2 >&2
fi
echo "==> building (release)" >&2
cargo build --release --quiet -p skiff-server
export SKIFF_SERVER_BIN="$PWD/target/release/skiff-server"
export SKIFF_WEED="${SKIFF_WEED:-$PWD/.cache/tools-venv/bin/weed}"
node bench/cloud/import.bench.mjs
