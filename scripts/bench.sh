#!/usr/bin/env bash
# Ingest benchmark (`npm run bench`): skiff-server's multipart ingest vs the raw sequential write
# speed of the disk its data folder is on, measured side by side in one run.
#
#   1 GiB file, 8 MiB parts, 4 concurrent clients over loopback, BENCH_ROUNDS (default 3) rounds,
#   each round = raw disk write (fsync at the end) then one upload (start → parts → complete);
#   the uploaded file is deleted after each round. Medians are compared. Each round also writes
#   once with O_DIRECT (no page cache) for the diagnostics below the table; it is not the target.
#   Targets: ingest ≥ 0.70 × disk write; server peak RSS (VmHWM) < 100 MiB.
#
# Environment knobs: BENCH_ROUNDS (3), BENCH_SIZE (1GiB), BENCH_PART (8MiB), BENCH_CLIENTS (4),
# BENCH_DIR (folder for the temporary data folder; default: the workspace's target/ folder, i.e.
# the disk the project lives on — not /tmp, which may be RAM). Exit status 1 when a target is missed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ROUNDS="${BENCH_ROUNDS:-3}"
SIZE="${BENCH_SIZE:-1GiB}"
PART="${BENCH_PART:-8MiB}"
CLIENTS="${BENCH_CLIENTS:-4}"
BASE="${BENCH_DIR:-$ROOT/target}"
APIKEY="benchkey"

command -v cargo >/dev/null || { echo "bench: cargo is needed (https://rustup.rs)" >&2; exit 2; }

echo "==> building (release)" >&2
cargo build --release --quiet -p skiff-server -p skiff-bench
SERVER_BIN="$ROOT/target/release/skiff-server"
BENCH="$ROOT/target/release/skiff-bench"

mkdir -p "$BASE"
WORK="$(mktemp -d "$BASE/skiff-bench.XXXXXX")"
DATA="$WORK/data"      # the server's data folder
DISK="$WORK/disk"      # the raw write test: same filesystem, separate folder
RESULTS="$WORK/results.jsonl"
mkdir -p "$DATA" "$DISK"
: >"$RESULTS"

SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Settings from the caller's environment must not change what is measured.
unset "${!SKIFF_@}" 2>/dev/null || true

PORT="$("$BENCH" free-port)"
URL="http://127.0.0.1:$PORT"
echo "==> starting skiff-server on $URL (data: $DATA)" >&2
"$SERVER_BIN" --listen "127.0.0.1:$PORT" --data "$DATA" --app "$APIKEY" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 100); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "bench: skiff-server did not come up; its log:" >&2
  cat "$WORK/server.log" >&2
  exit 2
fi

# Warm-up (not counted): first-touch costs of the server (SQLite, allocator) and of the filesystem.
echo "==> warm-up" >&2
"$BENCH" diskwrite --dir "$DISK" --size "$SIZE" --block "$PART" >/dev/null
"$BENCH" ingest --server "$URL" --apikey "$APIKEY" --size 256MiB --part "$PART" --clients "$CLIENTS" --delete-after >/dev/null

"$BENCH" md5 --size 512MiB >>"$RESULTS"

for r in $(seq 1 "$ROUNDS"); do
  echo "==> round $r/$ROUNDS: raw disk write" >&2
  "$BENCH" diskwrite --dir "$DISK" --size "$SIZE" --block "$PART" --round "$r" | tee -a "$RESULTS" >&2
  echo "==> round $r/$ROUNDS: ingest" >&2
  "$BENCH" ingest --server "$URL" --apikey "$APIKEY" --size "$SIZE" --part "$PART" --clients "$CLIENTS" \
    --server-pid "$SERVER_PID" --delete-after --round "$r" | tee -a "$RESULTS" >&2
  echo "==> round $r/$ROUNDS: device write without the page cache (diagnostic only)" >&2
  "$BENCH" diskwrite --dir "$DISK" --size "$SIZE" --block "$PART" --direct --round "$r" | tee -a "$RESULTS" >&2 ||
    echo "    (O_DIRECT not supported here; skipped)" >&2
done

HWM_KIB="$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

mem_total="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
mem_avail="$(awk '/^MemAvailable:/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
cpu_model="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
fs_type="$(df -PT "$DATA" | awk 'NR==2 {print $2}')"
fs_dev="$(df -P "$DATA" | awk 'NR==2 {print $1}')"

echo
echo "## skiff-server ingest benchmark"
echo
echo "- machine: $(nproc) CPUs ($cpu_model), memory $mem_total (available $mem_avail), kernel $(uname -r)"
echo "- data folder filesystem: $fs_type on $fs_dev (server data and raw write test in the same folder tree)"
echo "- client: skiff-bench, pre-hashed parts, 1-thread tokio runtime, HTTP/1.1 keep-alive, $CLIENTS workers on one shared part queue"
echo
set +e
"$BENCH" table --results "$RESULTS" --hwm-kib "$HWM_KIB"
status=$?
set -e
exit "$status"
