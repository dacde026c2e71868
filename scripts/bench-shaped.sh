#!/usr/bin/env bash
# Browser upload benchmark on bandwidth-limited links: bench/browser/upload.bench.mjs (every
# contender: Skiff regular with and without MD5, Skiff intelligent, filestack-js 4.3.8, the peers
# against their own servers, the plain PUT) run inside a network namespace of its own whose
# loopback is shaped by a tc tbf qdisc, the browser and every server inside it, once per link:
#
#   100mbit  rate 100mbit burst 64kb  latency 50ms, BENCH_SHAPED_100MBIT_MIB (64) MiB file
#   1gbit    rate 1gbit   burst 512kb latency 50ms, BENCH_SHAPED_1GBIT_MIB (256) MiB file
#
# burst: at least what the link carries in one kernel tick (rate / HZ: 50 KB at 100 Mbit/s and
# 500 KB at 1 Gbit/s with HZ = 250), so the bucket never caps the rate below the link's; latency:
# at most 50 ms of queue at the link's rate before packets drop (about 0.6 MB at 100 Mbit/s,
# 6 MB at 1 Gbit/s), a router's buffer rather than a bottomless one. The loopback's MTU is set to
# 1500 first: with lo's 64 KiB MTU, tbf stalls. A veth pair inside the namespace keeps Chromium
# online (see below).
#
# Targets on each link (upload.bench.mjs with BENCH_LINK set): Skiff regular ≥ 0.95 × the plain
# PUT, and no slower than any peer (medians). The memory run and the size target are left to
# scripts/bench-browser.sh (they do not depend on the link). Two more rows, never targets: Skiff
# regular with and without MD5 to a second skiff-server whose data is on a tmpfs (BENCH_RAM_DIR,
# /dev/shm), where its fsyncs cost nothing, as the peers' servers never wait for the disk; the
# report then splits Skiff's gap to the fastest peer into durable writes, the MD5 check and the
# rest ("Where Skiff's time goes").
#
#   scripts/bench-shaped.sh                 both links
#   BENCH_SHAPED_LINKS=100mbit scripts/bench-shaped.sh
#
# Other knobs as for scripts/bench-browser.sh (BENCH_ROUNDS, BENCH_ONLY, BENCH_DIR, …). Needs root
# (ip netns, tc). The namespace is deleted and every process left in it killed on exit, on a
# failure and on Ctrl-C. Exit status: 0 all targets met, 1 a target missed or an upload failed,
# 2 setup error.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/bench-browser-setup.sh
source scripts/bench-browser-setup.sh

[[ $(id -u) == 0 ]] || { log "the shaped links need root (ip netns, tc)"; exit 2; }
command -v ip >/dev/null && command -v tc >/dev/null || { log "ip and tc (iproute2) are needed"; exit 2; }

NS="skiff-bench-shaped-$$"
teardown() {
  if ip netns list | grep -qw "$NS"; then
    # Whatever still runs in the namespace (a run cut short) is this script's.
    for pid in $(ip netns pids "$NS"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$NS"
  fi
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A TBF=([100mbit]="rate 100mbit burst 64kb latency 50ms" [1gbit]="rate 1gbit burst 512kb latency 50ms")
declare -A SIZE=([100mbit]="${BENCH_SHAPED_100MBIT_MIB:-64}" [1gbit]="${BENCH_SHAPED_1GBIT_MIB:-256}")

status=0
for link in ${BENCH_SHAPED_LINKS:-100mbit 1gbit}; do
  [[ -n "${TBF[$link]:-}" ]] || { log "unknown link $link (100mbit or 1gbit)"; exit 2; }
  ip netns add "$NS"
  ip netns exec "$NS" ip link set lo mtu 1500
  ip netns exec "$NS" ip link set lo up
  # A namespace with nothing but its loopback is offline to Chromium (navigator.onLine false), and
  # Uppy's aws-s3 client then waits for an 'online' event that never comes: a veth pair, both
  # ends inside, with an address, makes it online. The traffic stays on the shaped loopback.
  ip netns exec "$NS" ip link add bench0 type veth peer name bench1
  ip netns exec "$NS" ip addr add 10.254.0.1/30 dev bench0
  ip netns exec "$NS" ip link set bench0 up
  ip netns exec "$NS" ip link set bench1 up
  # shellcheck disable=SC2086 # the qdisc's settings are words
  ip netns exec "$NS" tc qdisc add dev lo root tbf ${TBF[$link]}
  log "$link: tc tbf ${TBF[$link]}, ${SIZE[$link]} MiB"
  BENCH_LINK="$link" BENCH_LINK_TC="${TBF[$link]}" BENCH_SIZE_MIB="${SIZE[$link]}" BENCH_MEM_SIZE_MIB=0 \
    ip netns exec "$NS" node bench/browser/upload.bench.mjs || { rc=$?; (( rc > status )) && status=$rc; }
  teardown
done
exit $status
