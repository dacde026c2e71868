#!/usr/bin/env bash
# Browser upload benchmark on the loopback: Skiff regular (with and without MD5) / intelligent vs
# filestack-js 4.3.8 regular / intelligent vs one plain fetch PUT of the whole file against one
# skiff-server, and the peers against their own servers (tus-js-client and Uppy + @uppy/tus to
# @tus/server, Uppy + @uppy/aws-s3 to SeaweedFS), 256 MiB, in one headless Chromium page; plus
# bundle sizes and the memory of a 2 GiB Skiff upload. See bench/browser/upload.bench.mjs for the
# method, the targets and the environment knobs (BENCH_ROUNDS, BENCH_SIZE_MIB, BENCH_ONLY,
# BENCH_MEM_SIZE_MIB, BENCH_DIR, BENCH_RUN_TIMEOUT_S, BENCH_DIAG, BENCH_DRIVER, BENCH_TRACE);
# scripts/bench-shaped.sh runs the same on bandwidth-limited links.
# Prints markdown tables on stdout, progress on stderr.
# Exit status: 0 all targets met, 1 a target missed or an upload failed, 2 setup error.
#
#   scripts/bench-browser.sh
#
# Builds what is missing (scripts/bench-browser-setup.sh: dist/ via scripts/build-wasm.sh, the
# release skiff-server, npm packages); set BENCH_REBUILD=1 to rebuild both even when present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/bench-browser-setup.sh
source scripts/bench-browser-setup.sh

exec node bench/browser/upload.bench.mjs
