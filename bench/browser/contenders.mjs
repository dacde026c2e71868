// The contenders: Skiff regular and intelligent, filestack-js 4.3.8 regular and intelligent, and one
// plain fetch PUT of the whole File (the limit), plus the BENCH_DIAG=1 rows; and how one run of a
// contender is made (in the page through window.bench.run, or skiff-bench from Node) and checked.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { APIKEY, DIAG, MiB, ONLY, RUN_TIMEOUT_MS, SIZE, SKIFF_BENCH } from './config.mjs';
import { cpuDelta, cpuSnapshot } from './cpu.mjs';

// lib: who uploads in the page ('skiff', 'fs' = filestack-js, 'put', 'min' = the minimal MD5
// client) or 'native' (skiff-bench, the project's Rust ingest client, run from Node without a
// browser); opts: upload options.
export const CONTENDERS = [
  { id: 'skiff-regular', label: 'Skiff regular', lib: 'skiff', opts: {} },
  { id: 'skiff-intelligent', label: 'Skiff intelligent', lib: 'skiff', opts: { intelligent: true } },
  { id: 'fs-regular', label: 'filestack-js 4.3.8 regular', lib: 'fs', opts: {} },
  { id: 'fs-intelligent', label: 'filestack-js 4.3.8 intelligent', lib: 'fs', opts: { intelligent: true } },
  { id: 'put', label: 'plain fetch PUT (limit)', lib: 'put', opts: {} },
];
// BENCH_DIAG=1: extra rows that explain the numbers; never part of a target.
if (DIAG) {
  CONTENDERS.push(
    { id: 'skiff-nomd5', label: 'diag: Skiff regular, disableIntegrityCheck', lib: 'skiff', opts: { disableIntegrityCheck: true }, diag: true },
    { id: 'skiff-c6', label: 'diag: Skiff regular, concurrency 6', lib: 'skiff', opts: { concurrency: 6 }, diag: true },
    { id: 'fs-nomd5', label: 'diag: filestack-js regular, disableIntegrityCheck', lib: 'fs', opts: { disableIntegrityCheck: true }, diag: true },
    { id: 'min-md5', label: 'diag: minimal MD5 client (page-lib.mjs), 6 MiB × 3', lib: 'min', opts: {}, diag: true },
  );
  if (existsSync(SKIFF_BENCH)) {
    CONTENDERS.push(
      { id: 'native-6x3', label: 'diag: skiff-bench (Rust, no browser), 6 MiB parts × 3', lib: 'native', args: ['--part', '6MiB', '--clients', '3'], diag: true },
      { id: 'native-1', label: 'diag: skiff-bench (Rust, no browser), one whole-file part', lib: 'native', args: ['--part', `${SIZE / MiB}MiB`, '--clients', '1', '--buffers', '1'], diag: true },
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
 * One timed upload of the page's skiffFiles[fileId] (size bytes) by contender c, in tab, against
 * server; checks the result's size and status. Returns window.bench.run's answer; on a failure or a
 * timeout (BENCH_RUN_TIMEOUT_S) also `diag`: the errors, the last API requests, console and server log.
 */
export async function runInPage(tab, server, c, fileId, size) {
  const serverLogFrom = server.log().length;
  const consoleFrom = tab.console.length;
  let timer;
  const r = await Promise.race([
    tab.evaluate(([l, o, f, b, a]) => window.bench.run(l, o, f, b, a), [c.lib, c.opts, fileId, server.url, APIKEY]),
    new Promise((ok) => { timer = setTimeout(() => ok({ ok: false, timeout: true, error: `no result within ${RUN_TIMEOUT_MS / 1000} s` }), RUN_TIMEOUT_MS); }),
  ]);
  clearTimeout(timer);
  if (r.ok && r.result?.size !== size) { r.ok = false; r.error = `result size ${r.result?.size} != ${size}: ${JSON.stringify(r.result)}`; }
  if (r.ok && r.result?.status && !['Stored', 'InTransit'].includes(r.result.status)) { r.ok = false; r.error = `result status ${r.result.status}`; }
  if (!r.ok) {
    if (r.timeout) {
      r.resources = await tab.evaluate((b) => performance.getEntriesByType('resource').filter((e) => e.name.startsWith(b))
        .slice(-40).map((e) => `${new URL(e.name).pathname} start=${e.startTime.toFixed(0)} end=${e.responseEnd.toFixed(0)}`), server.url).catch(() => []);
    }
    r.diag = [
      `--- ${c.label}: ${r.error}`,
      ...(r.errors ?? []).map((e) => `upload.error: ${e}`),
      '--- last API requests seen by the page (Resource Timing) ---',
      ...(r.resources ?? []).map((x) => (typeof x === 'string' ? x : `${x.path} ${x.start.toFixed(0)}→${x.end.toFixed(0)} ms`)),
      '--- browser console ---', ...tab.console.slice(consoleFrom),
      '--- server log ---', server.log().slice(serverLogFrom).split('\n').slice(-60).join('\n'),
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

/** One run of contender c (runInPage or runNative) with the CPU time it cost, per process class. */
export async function measured(tab, server, c, fileId, size) {
  const a = cpuSnapshot(server.pid);
  const r = c.lib === 'native' ? runNative(server, c) : await runInPage(tab, server, c, fileId, size);
  r.cpu = cpuDelta(a, cpuSnapshot(server.pid));
  return r;
}
