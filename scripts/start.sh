#!/usr/bin/env bash
# `npm start`: builds (scripts/build.sh) and runs skiff-server on 127.0.0.1:8080 with the embedded
# default (local disk + SQLite under ./data), a demo app key, and the demo page of the picker at
# http://127.0.0.1:8080/demo/ (served from target/demo-site). Extra arguments go to the server, e.g.
#   npm start -- --listen 0.0.0.0:8080 --app mykey:mysecret
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build.sh >&2
LISTEN="${SKIFF_LISTEN:-127.0.0.1:8080}"
echo "skiff: open http://$LISTEN/demo/ for the demo page of the picker"
exec target/release/skiff-server \
  --listen "$LISTEN" \
  --data "${SKIFF_DATA:-data}" \
  --app "${SKIFF_DEMO_KEY:-demo}" \
  --demo target/demo-site \
  "$@"
