#!/usr/bin/env bash
# `npm run bench`: every benchmark, each printing its table; exits 1 if any missed a target.
#   scripts/bench.sh          server ingest vs raw disk write, server RSS
#   scripts/bench-browser.sh  uploads in Chromium on the loopback: Skiff (with and without MD5) vs
#                             filestack-js 4.3.8 vs tus-js-client / Uppy + tus (@tus/server) vs
#                             Uppy + aws-s3 (SeaweedFS) vs one plain PUT: MiB/s, CPU per GiB,
#                             renderer memory; bundle sizes, a 2 GiB upload's memory
#   scripts/bench-shaped.sh   the same contenders on a 100 Mbit/s and a 1 Gbit/s link (tc tbf in a
#                             network namespace, as root): Skiff vs the plain PUT and every peer
#   scripts/bench-picker.sh   Skiff picker vs Uppy Dashboard in Chromium: first and later open times, gzip sizes
#   bench/hash-simd.bench.mjs  the hashing worker's MD5: four parts side by side over WebAssembly
#                             SIMD vs one at a time (md-5), in V8; target 2x
#   bench/browser/blob-reads.bench.mjs  what reading a file in a Web Worker costs (CPU), by pattern:
#                             6 MiB ranges as the hashing worker reads them vs longer runs; no target
#   bench/browser/small-files.bench.mjs  uploads of 64 KiB files (one, and 20 in one call) on the
#                             loopback and over a 30 ms round trip, and the preflights they cost; no target
#   bench/browser/main-thread.bench.mjs  long tasks and input latency during a 256 MiB picker upload,
#                             parts hashed in the Web Worker vs on the page
#   bench/browser/hostile.bench.mjs  intelligent ingestion over links that throttle and cut each
#                             connection: Skiff vs filestack-js 3.29.0 / 4.3.8 vs Uppy + tus
#   scripts/bench-cloud.sh    cloud imports (WebDAV, S3 bucket) vs a plain download of the same file, server RSS
#   scripts/bench-folder.sh   a 5,000-file WebDAV folder in Skiff's picker vs Uppy's (Companion): first rows, long tasks
#   scripts/bench-scale.mjs   parts straight to SeaweedFS vs a minimal presigned client; two instances
#                             on PostgreSQL behind HAProxy vs one on SQLite: time, CPU per GiB, RSS
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
bash scripts/bench.sh || status=1
bash scripts/bench-browser.sh || status=1
bash scripts/bench-shaped.sh || status=1
bash scripts/bench-picker.sh || status=1
node bench/hash-simd.bench.mjs || status=1
node bench/browser/blob-reads.bench.mjs || status=1
node bench/browser/small-files.bench.mjs || status=1
node bench/browser/main-thread.bench.mjs || status=1
node bench/browser/hostile.bench.mjs || status=1
bash scripts/bench-cloud.sh || status=1
bash scripts/bench-folder.sh || status=1
node scripts/bench-scale.mjs || status=1
exit $status
