#!/usr/bin/env bash
# `npm start`: builds and runs skiff-server on 127.0.0.1:8080 with the embedded default (local
# disk + SQLite under ./data) and a demo app key. Extra arguments go to the server, e.g.
#   npm start -- --listen 0.0.0.0:8080 --app mykey:mysecret
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build.sh >&2
exec target/release/skiff-server \
  --listen "${SKIFF_LISTEN:-127.0.0.1:8080}" \
  --data "${SKIFF_DATA:-data}" \
  --app "${SKIFF_DEMO_KEY:-demo}" \
  "$@"
