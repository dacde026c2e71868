#!/usr/bin/env bash
# Real-peer test: unmodified filestack-python 4.0.0 (from PyPI) uploads to skiff-server over TLS.
#
#   tests/peers/python/run.sh [pytest args...]
#
# Idempotent and self-contained: creates the venv .cache/peers-venv (repo root) only when it is
# missing, installs the pinned requirements only when they are not already installed, uses the
# server binary from $SKIFF_SERVER_BIN or target/release/skiff-server (built when missing, or
# rebuilt when SKIFF_PEERS_REBUILD=1), then runs pytest and exits with pytest's code.
# Network: PyPI for the first install only; everything else talks to 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
VENV="$ROOT/.cache/peers-venv"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

log() { printf '[peers/python] %s\n' "$*" >&2; }

# 1. venv (only if missing)
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi

# 2. pinned requirements (only if not already installed at the pinned versions)
if ! "$VENV/bin/python" - "$REQ" <<'PYEOF'
import re, sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split('#', 1)[0].strip()
    if not line:
        continue
    m = re.fullmatch(r'([A-Za-z0-9_.\-]+)\s*==\s*(\S+)', line)
    if not m:
        ok = False
        continue
    try:
        ok &= version(m.group(1)) == m.group(2)
    except PackageNotFoundError:
        ok = False
sys.exit(0 if ok else 1)
PYEOF
then
  log "installing $(grep -v '^#' "$REQ" | xargs)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
fi

# 3. the server binary
if [ -n "${SKIFF_SERVER_BIN:-}" ]; then
  if [ ! -x "$SKIFF_SERVER_BIN" ]; then
    log "SKIFF_SERVER_BIN=$SKIFF_SERVER_BIN is not an executable file"
    exit 2
  fi
else
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
  SKIFF_SERVER_BIN="$TARGET_DIR/release/skiff-server"
  if [ ! -x "$SKIFF_SERVER_BIN" ] || [ "${SKIFF_PEERS_REBUILD:-0}" = 1 ]; then
    log "building skiff-server (cargo build --release -p skiff-server)"
    (cd "$ROOT" && cargo build --release -p skiff-server)
  fi
fi
export SKIFF_SERVER_BIN

# 4. the tests (no .pytest_cache / __pycache__ left in the source tree)
export PYTHONDONTWRITEBYTECODE=1
cd "$HERE"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider --rootdir "$HERE" "$@"
