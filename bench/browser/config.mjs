// Browser benchmark settings: the environment knobs (described in upload.bench.mjs) and the paths
// the benchmark uses. Read once, at import.

import { join } from 'node:path';
import { REPO_ROOT } from '../../tests/e2e/support/server.mjs';

export const MiB = 1024 * 1024;
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
export const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 256) * MiB;
export const MEM_SIZE = Number(process.env.BENCH_MEM_SIZE_MIB ?? 2048) * MiB;
export const WARM_SIZE = 16 * MiB;
export const BENCH_DIR = process.env.BENCH_DIR ?? join(REPO_ROOT, 'target');
// A folder on a tmpfs, where fsync costs nothing: the skiff-ram target keeps its data there.
export const RAM_DIR = process.env.BENCH_RAM_DIR ?? '/dev/shm';
export const RUN_TIMEOUT_MS = Number(process.env.BENCH_RUN_TIMEOUT_S ?? 300) * 1000;
export const APIKEY = 'benchkey';
export const DIST = join(REPO_ROOT, 'dist');
export const FILESTACK_UMD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser', 'filestack.umd.js');

export const DIAG = process.env.BENCH_DIAG === '1';
// BENCH_ONLY: a comma-separated list of contender ids to run (see contenders.mjs), or undefined.
export const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
export const SKIFF_BENCH = join(REPO_ROOT, 'target', 'release', 'skiff-bench');
// Which browser driver runs the pages: 'cdp' (default) or 'playwright'; see driver.mjs.
export const DRIVER = process.env.BENCH_DRIVER ?? 'cdp';
// A file for every run's Resource Timing entries (JSON), or undefined.
export const TRACE = process.env.BENCH_TRACE;
// The shaped link the benchmark runs on, when scripts/bench-shaped.sh runs it inside a network
// namespace whose loopback has a tc tbf qdisc: BENCH_LINK its name (e.g. '100mbit'),
// BENCH_LINK_TC the qdisc's settings; undefined on the plain loopback. It changes the targets.
export const LINK = process.env.BENCH_LINK || undefined;
export const LINK_TC = process.env.BENCH_LINK_TC;
