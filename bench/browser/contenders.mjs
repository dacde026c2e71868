// The contenders: Skiff regular (with and without MD5) and intelligent, filestack-js 4.3.8 regular
// and intelligent, one plain fetch PUT of the whole File (the limit), and the peers with their own
// servers (tus-js-client and Uppy + tus to @tus/server, Uppy + aws-s3 to SeaweedFS), plus the
// BENCH_DIAG=1 rows; and how one run of a contender is made (in the page through window.bench.run,
// or skiff-bench from Node) and what it cost (CPU per process, the renderer's memory).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { APIKEY, DIAG, LINK, MiB, ONLY, RAM_DIR, RUN_TIMEOUT_MS, SIZE, SKIFF_BENCH } from './config.mjs';
import { cpuDelta, cpuSnapshot } from './cpu.mjs';
import { browserProcesses, procMem } from './processes.mjs';

// lib: who uploads in the page ('skiff', 'fs' = filestack-js, 'put', 'put-xhr', 'put-hash', 'min' = the
// minimal MD5 client, 'parts', 'parts-bytes', the peers 'tusjs', 'uppy-tus', 'uppy-s3') or 'native'
// (skiff-bench, the project's Rust ingest client, run from Node without a browser); opts: upload options; target:
// the server it uploads to (peers.mjs: 'skiff', 'tus' or 's3'); peer: another project's client
// (the shaped-link target says Skiff regular is no slower than any of them).
export const CONTENDERS = [
  { id: 'skiff-regular', label: 'Skiff regular', lib: 'skiff', opts: {}, target: 'skiff' },
  { id: 'skiff-nomd5', label: 'Skiff regular, disableIntegrityCheck', lib: 'skiff', opts: { disableIntegrityCheck: true }, target: 'skiff' },
  // Parts that grow once the first PUTs show a fast link: off by default for client.upload
  // (crates/engine/src/grow.rs), the picker's default for the files a person picks.
  { id: 'skiff-grow', label: 'Skiff regular, growParts (picker default)', lib: 'skiff', opts: { growParts: true }, target: 'skiff' },
  { id: 'skiff-intelligent', label: 'Skiff intelligent', lib: 'skiff', opts: { intelligent: true }, target: 'skiff' },
  { id: 'fs-regular', label: 'filestack-js 4.3.8 regular', lib: 'fs', opts: {}, target: 'skiff', peer: true },
  { id: 'fs-intelligent', label: 'filestack-js 4.3.8 intelligent', lib: 'fs', opts: { intelligent: true }, target: 'skiff', peer: true },
  { id: 'tusjs', label: 'tus-js-client → @tus/server', lib: 'tusjs', opts: {}, target: 'tus', peer: true },
  { id: 'uppy-tus', label: 'Uppy + @uppy/tus → @tus/server', lib: 'uppy-tus', opts: {}, target: 'tus', peer: true },
  { id: 'uppy-s3', label: 'Uppy + @uppy/aws-s3 multipart → SeaweedFS', lib: 'uppy-s3', opts: {}, target: 's3', peer: true },
  { id: 'put', label: 'plain fetch PUT (limit)', lib: 'put', opts: {}, target: 'skiff' },
];
// On a shaped link and with BENCH_DIAG=1: Skiff regular, with and without MD5, to skiff-server
// with its data on a tmpfs. Every part is still fsynced, but there that costs nothing, as the
// peers' servers pay nothing for the disk in a run (they do not fsync: the bytes stay in the page
// cache). What is left of Skiff's gap to a peer is then the MD5 check and the protocol, and the
// report says how much each is (report.mjs, "Where Skiff's time goes").
if ((DIAG || LINK) && existsSync(RAM_DIR)) {
  CONTENDERS.push(
    { id: 'skiff-ram', label: 'diag: Skiff regular, server data on tmpfs', lib: 'skiff', opts: {}, target: 'skiff-ram', diag: true },
    { id: 'skiff-ram-nomd5', label: 'diag: Skiff regular, disableIntegrityCheck, server data on tmpfs', lib: 'skiff', opts: { disableIntegrityCheck: true }, target: 'skiff-ram', diag: true },
  );
}
// BENCH_DIAG=1: extra rows that explain the numbers; never part of a target.
if (DIAG) {
  CONTENDERS.push(
    // Three parts on the wire throughout: a concurrency the app sets is kept, so this is Skiff
    // regular as it was before a fast link widened it to four (crates/engine/src/widen.rs).
    { id: 'skiff-c3', label: 'diag: Skiff regular, concurrency 3 (not widened)', lib: 'skiff', opts: { concurrency: 3 }, target: 'skiff', diag: true },
    { id: 'skiff-c6', label: 'diag: Skiff regular, concurrency 6', lib: 'skiff', opts: { concurrency: 6 }, target: 'skiff', diag: true },
    // What each part costs beside its bytes (its /multipart/upload, its PUT, reading it to hash):
    // the same file in 16 MiB parts from the first byte, against 6 MiB parts (the default) and
    // 6 MiB parts that grow once the link shows itself fast (growParts).
    { id: 'skiff-16m', label: 'diag: Skiff regular, partSize 16 MiB', lib: 'skiff', opts: { partSize: 16 * MiB }, target: 'skiff', diag: true },
    // Intelligent with filestack-js's first chunk (the whole 8 MiB part) instead of Skiff's 2 MiB.
    { id: 'skiff-intelligent-8m', label: 'diag: Skiff intelligent, intelligentChunkSize 8 MiB', lib: 'skiff', opts: { intelligent: true, intelligentChunkSize: 8 * MiB }, target: 'skiff', diag: true },
    { id: 'fs-nomd5', label: 'diag: filestack-js regular, disableIntegrityCheck', lib: 'fs', opts: { disableIntegrityCheck: true }, target: 'skiff', diag: true },
    { id: 'put-xhr', label: 'diag: plain PUT through XMLHttpRequest', lib: 'put-xhr', opts: {}, target: 'skiff', diag: true },
    { id: 'put-hash', label: 'diag: one XHR PUT while the hashing worker hashes the file', lib: 'put-hash', opts: {}, target: 'skiff', diag: true },
    // The parts without MD5 or Skiff's engine, and the same parts sent as the bytes read from
    // the file (what reading each part once, to hash it and send it, would cost).
    { id: 'parts', label: 'diag: 6 MiB parts × 4, no MD5 (page-lib.mjs)', lib: 'parts', opts: {}, target: 'skiff', diag: true },
    { id: 'parts-bytes', label: 'diag: the same, each part sent as its bytes read with arrayBuffer()', lib: 'parts-bytes', opts: {}, target: 'skiff', diag: true },
    { id: 'min-md5', label: 'diag: minimal MD5 client (page-lib.mjs), 6 MiB × 3', lib: 'min', opts: {}, target: 'skiff', diag: true },
  );
  if (existsSync(SKIFF_BENCH)) {
    CONTENDERS.push(
      { id: 'native-6x3', label: 'diag: skiff-bench (Rust, no browser), 6 MiB parts × 3', lib: 'native', args: ['--part', '6MiB', '--clients', '3'], target: 'skiff', diag: true },
      { id: 'native-1', label: 'diag: skiff-bench (Rust, no browser), one whole-file part', lib: 'native', args: ['--part', `${SIZE / MiB}MiB`, '--clients', '1', '--buffers', '1'], target: 'skiff', diag: true },
    );
  }
}
// BENCH_ONLY=id,id: run only these contenders (for quick experiments), plus the three the targets
// are measured against.
if (ONLY) {
  const keep = new Set([...ONLY, 'skiff-regular', 'fs-regular', 'put']);
  for (let i = CONTENDERS.length - 1; i >= 0; i--) if (!keep.has(CONTENDERS[i].id)) CONTENDERS.splice(i, 1);
}
export const MAIN = CONTENDERS.filter((c) => !c.diag);

/**
 * One timed upload of the page's skiffFiles[fileId] (size bytes) by contender c, in tab, to target
 * (peers.mjs); checks the result's size and status where the result has them. Returns
 * window.bench.run's answer; on a failure or a timeout (BENCH_RUN_TIMEOUT_S) also `diag`: the
 * errors, the last API requests, console and server log.
 */
export async function runInPage(tab, target, c, fileId, size) {
  const serverLogFrom = target.log().length;
  const consoleFrom = tab.console.length;
  let timer;
  const r = await Promise.race([
    tab.evaluate(([l, o, f, b, a]) => window.bench.run(l, o, f, b, a), [c.lib, c.opts, fileId, target.url, APIKEY]),
    new Promise((ok) => { timer = setTimeout(() => ok({ ok: false, timeout: true, error: `no result within ${RUN_TIMEOUT_MS / 1000} s` }), RUN_TIMEOUT_MS); }),
  ]);
  clearTimeout(timer);
  if (r.ok && c.target === 'skiff' && r.result?.size !== size) { r.ok = false; r.error = `result size ${r.result?.size} != ${size}: ${JSON.stringify(r.result)}`; }
  if (r.ok && r.result?.status && !['Stored', 'InTransit'].includes(r.result.status)) { r.ok = false; r.error = `result status ${r.result.status}`; }
  if (!r.ok) {
    if (r.timeout) {
      r.resources = await tab.evaluate((b) => performance.getEntriesByType('resource').filter((e) => e.name.startsWith(b))
        .slice(-40).map((e) => `${new URL(e.name).pathname} start=${e.startTime.toFixed(0)} end=${e.responseEnd.toFixed(0)}`), target.url).catch(() => []);
    }
    r.diag = [
      `--- ${c.label}: ${r.error}`,
      ...(r.errors ?? []).map((e) => `upload.error: ${e}`),
      '--- last API requests seen by the page (Resource Timing) ---',
      ...(r.resources ?? []).map((x) => (typeof x === 'string' ? x : `${x.path} ${x.start.toFixed(0)}→${x.end.toFixed(0)} ms`)),
      '--- browser console ---', ...tab.console.slice(consoleFrom),
      `--- ${target.name} log ---`, target.log().slice(serverLogFrom).split('\n').slice(-60).join('\n'),
    ].join('\n');
  }
  return r;
}

// skiff-bench: the project's Rust client over loopback, no browser (diagnostic rows only).
export function runNative(server, c) {
  const args = ['ingest', '--server', server.url, '--apikey', APIKEY, '--size', `${SIZE / MiB}MiB`, ...c.args, '--delete-after'];
  const t = spawnSync(SKIFF_BENCH, args, { encoding: 'utf8' });
  const line = t.stdout.trim().split('\n').at(-1) ?? '';
  if (t.status !== 0 || !line.startsWith('{')) {
    return { ok: false, error: `skiff-bench exited with ${t.status}`, diag: `${SKIFF_BENCH} ${args.join(' ')}\n${t.stdout}\n${t.stderr}` };
  }
  const j = JSON.parse(line);
  return { ok: true, ms: j.seconds * 1000, native: j, resources: [] };
}

/**
 * The page's renderer memory while a run lasts: the RSS of the largest renderer (Chromium keeps a
 * spare one or two of a few MiB next to the page's), sampled every 100 ms; stop() gives { start,
 * peak } in bytes.
 */
function rendererMemory() {
  const pids = browserProcesses().filter((p) => p.type === 'renderer').map((p) => p.pid);
  const sample = () => Math.max(0, ...pids.map((pid) => procMem(pid)?.rss ?? 0));
  const start = sample();
  let peak = start;
  const timer = setInterval(() => { peak = Math.max(peak, sample()); }, 100);
  return { stop: () => { clearInterval(timer); return { start, peak: Math.max(peak, sample()) }; } };
}

/**
 * One run of contender c (runInPage or runNative) to its target (targets[c.target]) with the CPU
 * time it cost per process class (the target's server counted as "server") and the renderer's memory.
 */
export async function measured(tab, targets, c, fileId, size) {
  const target = targets[c.target];
  const a = cpuSnapshot(target.pid);
  const mem = rendererMemory();
  const r = c.lib === 'native' ? runNative(target.server, c) : await runInPage(tab, target, c, fileId, size);
  r.memory = mem.stop();
  r.cpu = cpuDelta(a, cpuSnapshot(target.pid));
  return r;
}
